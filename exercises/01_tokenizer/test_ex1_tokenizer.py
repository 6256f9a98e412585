"""Chapter 1: byte-level BPE. Run: pytest exercises/01_tokenizer [-m ex1_2] [--impl=reference]"""

import random
from collections import Counter

import pytest

from minillada import bpe
from minillada.bpe import SPLIT_PATTERN, BPETokenizer


def random_chunks(seed, n=40):
    rnd = random.Random(seed)
    return {tuple(rnd.randint(0, 5) for _ in range(rnd.randint(1, 9))): rnd.randint(1, 4)
            for _ in range(n)}


@pytest.mark.ex1_1
def test_pair_counts_small(ex):
    assert ex.get_pair_counts({(1, 2, 3): 2, (1, 2): 1}) == Counter({(1, 2): 3, (2, 3): 2})
    assert ex.get_pair_counts({(7,): 5}) == Counter()
    assert ex.get_pair_counts({(4, 4, 4): 1}) == Counter({(4, 4): 2})   # overlapping pairs count


@pytest.mark.ex1_1
def test_pair_counts_random(ex):
    for seed in range(5):
        chunks = random_chunks(seed)
        assert ex.get_pair_counts(chunks) == bpe.get_pair_counts(chunks)


@pytest.mark.ex1_2
def test_merge_small(ex):
    assert tuple(ex.merge((5, 6, 5, 6, 6), (5, 6), 99)) == (99, 99, 6)
    assert tuple(ex.merge((7, 7, 7), (7, 7), 99)) == (99, 7)          # left to right
    assert tuple(ex.merge((1, 2), (3, 4), 99)) == (1, 2)
    assert tuple(ex.merge((), (3, 4), 99)) == ()


@pytest.mark.ex1_2
def test_merge_random(ex):
    rnd = random.Random(0)
    for _ in range(200):
        ids = tuple(rnd.randint(0, 3) for _ in range(rnd.randint(0, 12)))
        pair = (rnd.randint(0, 3), rnd.randint(0, 3))
        assert tuple(ex.merge(ids, pair, 50)) == bpe.merge(ids, pair, 50)


@pytest.mark.ex1_3
def test_learn_merges_small(ex):
    assert ex.learn_merges({(1, 2, 3): 2, (1, 2): 1}, 2, first_id=10) == [(1, 2), (10, 3)]
    # ties go to the smallest pair; nothing occurs twice: stop early
    assert ex.learn_merges({(2, 1): 2, (1, 2): 2}, 5, first_id=10) == [(1, 2), (2, 1)]
    assert ex.learn_merges({(1, 2, 3): 1}, 5, first_id=10) == []


@pytest.mark.ex1_3
def test_learn_merges_on_text(ex):
    text = "the cat sat on the mat; the hat is that fat cat's hat. " * 3
    chunks = Counter(tuple(b + 4 for b in c.encode()) for c in SPLIT_PATTERN.findall(text))
    merges = ex.learn_merges(chunks, 30)
    assert [tuple(m) for m in merges] == bpe.learn_merges(chunks, 30)
    tok = BPETokenizer([tuple(m) for m in merges])          # a tokenizer from your merges
    assert tok.decode(tok.encode(text)) == text and len(tok.encode(text)) < len(text.encode())
