"""Chapter 1: byte-level BPE. Run: pytest exercises/01_tokenizer [-m ex1_2] [--impl=reference]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. The checks of 1.3 run your ``learn_merges`` with the library's
``get_pair_counts`` and ``merge``, so that a mistake in 1.1 or 1.2 costs only that step.
"""

import random
from collections import Counter

from exercises._checks import check, with_library
from minillada import bpe
from minillada.bpe import SPLIT_PATTERN, BPETokenizer


def random_chunks(seed, n=40):
    rnd = random.Random(seed)
    return {tuple(rnd.randint(0, 5) for _ in range(rnd.randint(1, 9))): rnd.randint(1, 4)
            for _ in range(n)}


# ---- 1.1 get_pair_counts ---------------------------------------------------------------------

def probe_pair_counts_small(ex):
    return [ex.get_pair_counts({(1, 2, 3): 2, (1, 2): 1}), ex.get_pair_counts({(7,): 5}),
            ex.get_pair_counts({(4, 4, 4): 1})]


@check("1.1", probe_pair_counts_small)
def test_pair_counts_small(got):
    """counts each adjacent pair once per occurrence, weighted by the chunk's frequency; a
    one-token chunk has no pairs; overlapping pairs (4, 4, 4) count twice"""
    weighted, single, overlapping = got
    assert weighted == Counter({(1, 2): 3, (2, 3): 2})
    assert single == Counter()
    assert overlapping == Counter({(4, 4): 2})


def probe_pair_counts_random(ex):
    return [ex.get_pair_counts(random_chunks(seed)) for seed in range(5)]


@check("1.1", probe_pair_counts_random)
def test_pair_counts_random(got):
    """agrees with the library on 5 random chunk tables"""
    for seed, counts in enumerate(got):
        assert counts == bpe.get_pair_counts(random_chunks(seed)), f"chunks of seed {seed}"


# ---- 1.2 merge --------------------------------------------------------------------------------

def probe_merge_small(ex):
    return [ex.merge((5, 6, 5, 6, 6), (5, 6), 99), ex.merge((7, 7, 7), (7, 7), 99),
            ex.merge((1, 2), (3, 4), 99), ex.merge((), (3, 4), 99), ex.merge((3,), (3, 4), 99)]


@check("1.2", probe_merge_small)
def test_merge_small(got):
    """replaces every occurrence, scanning left to right ((7, 7, 7) -> (99, 7)); leaves ids
    without the pair, the empty tuple and a single id unchanged"""
    assert [tuple(ids) for ids in got] == [(99, 99, 6), (99, 7), (1, 2), (), (3,)]


def random_merges(n=200):
    rnd = random.Random(0)
    return [(tuple(rnd.randint(0, 3) for _ in range(rnd.randint(0, 12))),
             (rnd.randint(0, 3), rnd.randint(0, 3))) for _ in range(n)]


def probe_merge_random(ex):
    return [ex.merge(ids, pair, 50) for ids, pair in random_merges()]


@check("1.2", probe_merge_random)
def test_merge_random(got):
    """agrees with the library on 200 random id sequences and pairs"""
    for (ids, pair), mine in zip(random_merges(), got):
        assert tuple(mine) == bpe.merge(ids, pair, 50), f"merge({ids}, {pair}, 50)"


# ---- 1.3 learn_merges -------------------------------------------------------------------------

def probe_learn_merges_small(ex):
    with with_library(ex.learn_merges, "get_pair_counts", "merge"):   # 1.1 and 1.2 are charged once
        return [ex.learn_merges({(1, 2, 3): 2, (1, 2): 1}, 2, first_id=10),
                ex.learn_merges({(2, 1): 2, (1, 2): 2}, 5, first_id=10),
                ex.learn_merges({(1, 2, 3): 1}, 5, first_id=10),
                ex.learn_merges({(1, 2, 1, 2, 1, 2): 1}, 3, first_id=10)]


@check("1.3", probe_learn_merges_small)
def test_learn_merges_small(got):
    """numbers new tokens from first_id on (the 2nd merge uses id 10); breaks ties by the smallest
    pair; stops early once no pair occurs twice; keeps merging the new tokens"""
    assert [[tuple(m) for m in merges] for merges in got] == [
        [(1, 2), (10, 3)], [(1, 2), (2, 1)], [], [(1, 2), (10, 10)]]


TEXT = "the cat sat on the mat; the hat is that fat cat's hat. " * 3


def text_chunks():
    return Counter(tuple(b + 4 for b in c.encode()) for c in SPLIT_PATTERN.findall(TEXT))


def probe_learn_merges_on_text(ex):
    with with_library(ex.learn_merges, "get_pair_counts", "merge"):
        return ex.learn_merges(text_chunks(), 30)


@check("1.3", probe_learn_merges_on_text)
def test_learn_merges_on_text(got):
    """learns the library's 30 merges on a short text, from id 260 on (the default first_id); a
    tokenizer built from them round-trips the text and compresses it"""
    merges = [tuple(m) for m in got]
    assert merges == bpe.learn_merges(text_chunks(), 30)
    tok = BPETokenizer(merges)
    assert tok.decode(tok.encode(TEXT)) == TEXT and len(tok.encode(TEXT)) < len(TEXT.encode())
