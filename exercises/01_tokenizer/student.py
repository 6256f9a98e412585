"""Exercises of chapter 1: Byte-level BPE. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/01_tokenizer -m ex1_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
from collections import Counter

from minillada.bpe import FIRST_MERGE_ID  # noqa: F401  (260: the first merge id)

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'get_pair_counts': 'minillada.bpe',  # Exercise 1.1
    'merge': 'minillada.bpe',  # Exercise 1.2
    'learn_merges': 'minillada.bpe',  # Exercise 1.3
}


# ---- Exercise 1.1: get_pair_counts -------------------------------------------

def get_pair_counts(chunks: dict[tuple[int, ...], int]) -> Counter:
    """Count adjacent pairs over all chunks, each chunk weighted by how often it occurs.

    >>> get_pair_counts({(1, 2, 3): 2, (1, 2): 1})
    Counter({(1, 2): 3, (2, 3): 2})
    """
    raise NotImplementedError(
        "Exercise 1.1: loop over chunks, zip(ids, ids[1:]) gives the adjacent pairs; add each "
        "chunk's frequency")


# ---- Exercise 1.2: merge -----------------------------------------------------

def merge(ids, pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every non-overlapping occurrence of ``pair`` in ``ids``, left to right, by ``new_id``.

    >>> merge((5, 6, 5, 6, 6), (5, 6), 99)
    (99, 99, 6)
    >>> merge((7, 7, 7), (7, 7), 99)      # left to right: the third 7 has no partner left
    (99, 7)
    """
    raise NotImplementedError(
        "Exercise 1.2: walk left to right with an index; when ids[i], ids[i + 1] is the pair, "
        "emit new_id and skip two")


# ---- Exercise 1.3: learn_merges ----------------------------------------------

def learn_merges(chunks: dict[tuple[int, ...], int], num_merges: int,
                 first_id: int = FIRST_MERGE_ID, verbose: bool = False) -> list[tuple[int, int]]:
    """The BPE training loop: ``num_merges`` times, merge the most frequent adjacent pair.

    ``chunks`` maps each distinct pre-split chunk (a tuple of ids) to how often it occurs. The k-th
    merge gets id ``first_id + k``. Ties go to the smallest pair, so training is deterministic; the
    loop stops early when no pair occurs twice any more.

    >>> learn_merges({(1, 2, 3): 2, (1, 2): 1}, 2, first_id=10)   # (1, 2) x3, then (10, 3) x2
    [(1, 2), (10, 3)]
    """
    raise NotImplementedError(
        "Exercise 1.3: repeat: count pairs, take the most frequent (ties: the smallest pair), "
        "stop when it occurs fewer than twice, merge it in every chunk")
