"""Chapter 1, continued: byte-level byte-pair encoding (BPE), written from scratch.

Byte-level BPE (Sennrich et al. 2016; GPT-2, Radford et al. 2019) starts from the 256 possible bytes
of UTF-8, so it can encode *any* string, emoji and control characters included, with no unknown
token. Training then repeats one step: find the most frequent adjacent pair of tokens and replace it
everywhere by a new token. Encoding replays the learned merges in the order they were learned.

Two details make it usable:

* A regex **pre-split** cuts text into chunks (words with their leading space, numbers of up to three
  digits, runs of punctuation, whitespace) and merges never cross a chunk boundary, so that " the"
  becomes one token but "the." never does. We use only the standard ``re`` module, so the pattern
  spells "a letter" as ``[^\\W\\d_]``.
* Encoding **caches** each distinct chunk, so long text costs one dictionary look-up per repeated
  word instead of a fresh merge loop: encoding stays linear in the length of the text.

Ids: 0..3 are the special tokens (never merged, never produced by the pre-split), 4..259 are the
bytes 0..255, and merge ``k`` creates id ``260 + k``.
"""

from __future__ import annotations

import re
from collections import Counter

from .infra import checks
from .tokenizer import MAX_TOKEN_BYTES, MAX_TOTAL_TOKEN_BYTES, MAX_VOCAB_SIZE, SPECIAL_TOKENS, Tokenizer

N_SPECIAL = len(SPECIAL_TOKENS)
BYTE_OFFSET = N_SPECIAL  # id of byte b is BYTE_OFFSET + b
FIRST_MERGE_ID = BYTE_OFFSET + 256
# what a merge list may ask for (see tokenizer.py): ids, bytes per token, bytes of all tokens
LIMITS = {"vocab_size": MAX_VOCAB_SIZE, "token_bytes": MAX_TOKEN_BYTES,
          "total_bytes": MAX_TOTAL_TOKEN_BYTES}

# The GPT-2 split, with "letter" written for the re module. Every character of any string falls in
# one of the alternatives, so "".join(SPLIT_PATTERN.findall(s)) == s (a test checks it).
SPLIT_PATTERN = re.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d{1,3}| ?(?:[^\w\s]|_)+|\s+(?!\S)|\s+""")


def get_pair_counts(chunks: dict[tuple[int, ...], int]) -> Counter:
    """Count adjacent pairs over all chunks, each chunk weighted by how often it occurs.

    >>> get_pair_counts({(1, 2, 3): 2, (1, 2): 1})
    Counter({(1, 2): 3, (2, 3): 2})
    """
    counts: Counter = Counter()
    for ids, freq in chunks.items():
        for pair in zip(ids, ids[1:]):
            counts[pair] += freq
    return counts


def merge(ids, pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every non-overlapping occurrence of ``pair`` in ``ids``, left to right, by ``new_id``.

    >>> merge((5, 6, 5, 6, 6), (5, 6), 99)
    (99, 99, 6)
    >>> merge((7, 7, 7), (7, 7), 99)      # left to right: the third 7 has no partner left
    (99, 7)
    """
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return tuple(out)


def learn_merges(chunks: dict[tuple[int, ...], int], num_merges: int,
                 first_id: int = FIRST_MERGE_ID, verbose: bool = False) -> list[tuple[int, int]]:
    """The BPE training loop: ``num_merges`` times, merge the most frequent adjacent pair.

    ``chunks`` maps each distinct pre-split chunk (a tuple of ids) to how often it occurs. The k-th
    merge gets id ``first_id + k``. Ties go to the smallest pair, so training is deterministic; the
    loop stops early when no pair occurs twice any more.

    >>> learn_merges({(1, 2, 3): 2, (1, 2): 1}, 2, first_id=10)   # (1, 2) x3, then (10, 3) x2
    [(1, 2), (10, 3)]
    """
    chunks = dict(chunks)
    merges: list[tuple[int, int]] = []
    for new_id in range(first_id, first_id + num_merges):
        counts = get_pair_counts(chunks)
        if not counts:
            break
        pair, freq = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if freq < 2:
            break
        merges.append(pair)
        merged: Counter = Counter()
        for ids, f in chunks.items():
            merged[merge(ids, pair, new_id) if len(ids) > 1 else ids] += f
        chunks = merged
        if verbose:
            print(f"merge {len(merges)}: {pair} -> {new_id} ({freq} times)")
    return merges


def _bytes_to_ids(chunk: str) -> tuple[int, ...]:
    # surrogatepass lets lone surrogates (which str can hold) round-trip too
    return tuple(b + BYTE_OFFSET for b in chunk.encode("utf-8", "surrogatepass"))


class BPETokenizer(Tokenizer):
    """Byte-level BPE with a GPT-2 style pre-split.

    >>> tok = BPETokenizer.train("hug hug hug pug", vocab_size=262)
    >>> [tok.token_bytes(i) for i in range(260, 262)]   # "ug" occurs 4 times, then "hug" 3 times
    [b'ug', b'hug']
    >>> tok.encode(" pug hug")                          # " ", "p", "ug", " ", "hug"
    [36, 116, 260, 36, 261]
    >>> tok.decode(tok.encode("pug 😀"))
    'pug 😀'
    """

    kind = "bpe"

    def __init__(self, merges: list[tuple[int, int]]):
        self.merges = [tuple(m) for m in merges]
        checks.bpe_merges(self.merges, BYTE_OFFSET, FIRST_MERGE_ID, LIMITS)   # ids, repeats, sizes
        # vocab[i] is the bytes that token i stands for (specials are handled by the base class)
        self.vocab: dict[int, bytes] = {BYTE_OFFSET + b: bytes([b]) for b in range(256)}
        self.ranks: dict[tuple[int, int], int] = {}
        for new_id, (a, b) in enumerate(self.merges, start=FIRST_MERGE_ID):
            self.vocab[new_id] = self.vocab[a] + self.vocab[b]    # the k-th merge's bytes
            self.ranks[(a, b)] = new_id                           # encode merges low ids first
        self._cache: dict[str, tuple[int, ...]] = {}

    @property
    def vocab_size(self) -> int:
        return FIRST_MERGE_ID + len(self.merges)

    def token_bytes(self, i: int) -> bytes:
        return SPECIAL_TOKENS[i].encode() if i < N_SPECIAL else self.vocab[i]

    @classmethod
    def train(cls, text: str, vocab_size: int, verbose: bool = False) -> "BPETokenizer":
        """Learn ``vocab_size - 260`` merges from ``text``.

        Stops early (with a smaller vocabulary) when no pair occurs twice any more.
        """
        checks.bpe_train_args(text, vocab_size, FIRST_MERGE_ID)
        # Distinct chunks with their frequencies: a word that occurs 1000 times is merged once.
        chunks = Counter(_bytes_to_ids(c) for c in SPLIT_PATTERN.findall(text))
        merges = learn_merges(chunks, vocab_size - FIRST_MERGE_ID, verbose=verbose)
        return cls(merges)

    def _encode_chunk(self, chunk: str) -> tuple[int, ...]:
        ids = _bytes_to_ids(chunk)
        while len(ids) > 1:
            # the pair that was learned first (lowest new id) is merged first, as in training
            pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, float("inf")))
            if pair not in self.ranks:
                break
            ids = merge(ids, pair, self.ranks[pair])
        return ids

    def _encode_text(self, text: str, offset: int) -> list[int]:
        out: list[int] = []
        cache = self._cache
        for chunk in SPLIT_PATTERN.findall(text):
            ids = cache.get(chunk)
            if ids is None:
                ids = cache[chunk] = self._encode_chunk(chunk)
            out.extend(ids)
        return out

    def _decode_ids(self, ids: list[int]) -> str:
        raw = b"".join(self.vocab[i] for i in ids)
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            # a model can emit byte tokens that are not valid UTF-8; show them as U+FFFD
            return raw.decode("utf-8", "replace")

    def _state(self) -> dict:
        return {"merges": [list(m) for m in self.merges]}

    @classmethod
    def _from_state(cls, state: dict):
        merges = checks.saved_merges(state["merges"])
        return cls([tuple(m) for m in merges])
