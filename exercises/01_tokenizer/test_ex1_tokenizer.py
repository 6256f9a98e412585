"""Chapter 1: byte-level BPE. Run: pytest exercises/01_tokenizer [-m ex1_2] [--impl=reference]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. The checks of 1.3 run your ``learn_merges`` with the library's
``get_pair_counts`` and ``merge``, so that a mistake in 1.1 or 1.2 costs only that step.
"""

import random
from collections import Counter

from exercises._checks import check, expect_type, expect_unchanged, with_library
from minillada import bpe
from minillada.bpe import SPLIT_PATTERN, BPETokenizer


def random_chunks(seed, n=40):
    rnd = random.Random(seed)
    return {tuple(rnd.randint(0, 5) for _ in range(rnd.randint(1, 9))): rnd.randint(1, 4)
            for _ in range(n)}


def expect_pair(pair, fn, what):
    """A tuple of two ints."""
    expect_type(pair, tuple, fn, what)
    assert len(pair) == 2 and all(type(i) is int for i in pair), f"{fn}: {what} is no pair of ints"


def expect_pair_counts(counts, fn="get_pair_counts"):
    """A Counter from pairs to int counts, as the contract says (a dict with the same items would
    compare equal to it, so the types are checked one by one)."""
    expect_type(counts, Counter, fn)
    for pair, n in counts.items():
        expect_pair(pair, fn, f"the key {pair!r}")
        expect_type(n, int, fn, f"the count of {pair}")
    return counts


def expect_merges(merges, fn="learn_merges"):
    """A list of pairs."""
    expect_type(merges, list, fn)
    for pair in merges:
        expect_pair(pair, fn, f"the merge {pair!r}")
    return merges


# ---- 1.1 get_pair_counts ---------------------------------------------------------------------

def probe_pair_counts_small(ex):
    return [ex.get_pair_counts({(1, 2, 3): 2, (1, 2): 1}), ex.get_pair_counts({(7,): 5}),
            ex.get_pair_counts({(4, 4, 4): 1})]


@check("1.1", probe_pair_counts_small)
def test_pair_counts_small(got):
    """returns a Counter (not a plain dict) from pairs (tuples of two ints) to int counts; counts
    each adjacent pair once per occurrence, weighted by the chunk's frequency; a one-token chunk has
    no pairs; overlapping pairs (4, 4, 4) count twice"""
    for counts in got:
        expect_pair_counts(counts)
    weighted, single, overlapping = got
    assert weighted == Counter({(1, 2): 3, (2, 3): 2})
    assert single == Counter()
    assert overlapping == Counter({(4, 4): 2})


def probe_pair_counts_random(ex):
    out = []
    for seed in range(5):
        chunks = random_chunks(seed)
        out.append({"counts": ex.get_pair_counts(chunks), "after": {"chunks": chunks}})
    return out


@check("1.1", probe_pair_counts_random)
def test_pair_counts_random(got):
    """agrees with the library on 5 random chunk tables, and leaves the caller's chunks as they
    were"""
    for seed, case in enumerate(got):
        expect_pair_counts(case["counts"])
        assert case["counts"] == bpe.get_pair_counts(random_chunks(seed)), f"chunks of seed {seed}"
        expect_unchanged(case["after"], {"chunks": random_chunks(seed)}, "get_pair_counts")


# ---- 1.2 merge --------------------------------------------------------------------------------

def probe_merge_small(ex):
    ids = [5, 6, 5, 6, 6]                                    # a list: merge must not change it
    return {"merged": [ex.merge((5, 6, 5, 6, 6), (5, 6), 99), ex.merge((7, 7, 7), (7, 7), 99),
                       ex.merge((1, 2), (3, 4), 99), ex.merge((), (3, 4), 99),
                       ex.merge((3,), (3, 4), 99), ex.merge(ids, (5, 6), 99)],
            "after": {"ids": ids}}


@check("1.2", probe_merge_small)
def test_merge_small(got):
    """returns a tuple (for a list too); replaces every occurrence, scanning left to right
    ((7, 7, 7) -> (99, 7)); leaves ids without the pair, the empty tuple and a single id unchanged;
    leaves the caller's list as it was"""
    for ids in got["merged"]:
        expect_type(ids, tuple, "merge")
    assert got["merged"] == [(99, 99, 6), (99, 7), (1, 2), (), (3,), (99, 99, 6)]
    expect_unchanged(got["after"], {"ids": [5, 6, 5, 6, 6]}, "merge")


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
        expect_type(mine, tuple, "merge")
        assert mine == bpe.merge(ids, pair, 50), f"merge({ids}, {pair}, 50)"


# ---- 1.3 learn_merges -------------------------------------------------------------------------

SMALL_CASES = [({(1, 2, 3): 2, (1, 2): 1}, 2), ({(2, 1): 2, (1, 2): 2}, 5), ({(1, 2, 3): 1}, 5),
               ({(1, 2, 1, 2, 1, 2): 1}, 3)]


def small_cases():
    """(chunks, num_merges) of the small checks, built afresh for each probe and judge."""
    return [(dict(chunks), n) for chunks, n in SMALL_CASES]


def probe_learn_merges_small(ex):
    cases = small_cases()
    with with_library(ex.learn_merges, "get_pair_counts", "merge"):   # 1.1 and 1.2 are charged once
        merges = [ex.learn_merges(chunks, n, first_id=10) for chunks, n in cases]
    return {"merges": merges, "after": {"chunks": [chunks for chunks, _ in cases]}}


@check("1.3", probe_learn_merges_small)
def test_learn_merges_small(got):
    """returns a list of pairs (tuples of two ints); numbers new tokens from first_id on (the 2nd
    merge uses id 10); breaks ties by the smallest pair; stops early once no pair occurs twice;
    keeps merging the new tokens; leaves the caller's chunks as they were"""
    for merges in got["merges"]:
        expect_merges(merges)
    assert got["merges"] == [[(1, 2), (10, 3)], [(1, 2), (2, 1)], [], [(1, 2), (10, 10)]]
    expect_unchanged(got["after"], {"chunks": [chunks for chunks, _ in small_cases()]},
                     "learn_merges")


TEXT = "the cat sat on the mat; the hat is that fat cat's hat. " * 3


def text_chunks():
    return Counter(tuple(b + 4 for b in c.encode()) for c in SPLIT_PATTERN.findall(TEXT))


def probe_learn_merges_on_text(ex):
    chunks = text_chunks()
    with with_library(ex.learn_merges, "get_pair_counts", "merge"):
        return {"merges": ex.learn_merges(chunks, 30), "after": {"chunks": chunks}}


@check("1.3", probe_learn_merges_on_text)
def test_learn_merges_on_text(got):
    """learns the library's 30 merges on a short text, from id 260 on (the default first_id); a
    tokenizer built from them round-trips the text and compresses it; the caller's Counter of
    chunks is left as it was"""
    merges = expect_merges(got["merges"])
    assert merges == bpe.learn_merges(text_chunks(), 30)
    expect_unchanged(got["after"], {"chunks": text_chunks()}, "learn_merges")
    tok = BPETokenizer(merges)
    assert tok.decode(tok.encode(TEXT)) == TEXT and len(tok.encode(TEXT)) < len(TEXT.encode())
