"""Chapter 6, part 1: where training batches come from.

Two kinds of data, matching LLaDA's two phases (Nie et al. 2025, Sec. 2.2 and 2.3):

* :class:`TextDataset`, for pre-training: one long stream of token ids, from which a batch is a set
  of random windows of ``seq_len`` tokens. Every token can be masked.
* :class:`SFTDataset`, for supervised fine-tuning: (prompt, answer) pairs. Each row is
  ``prompt + answer + [EOS] ... [EOS]`` padded to a common length with ``[EOS]``, and the prompt
  length travels with the row so the loss never masks the prompt. The ``[EOS]`` padding belongs to
  the answer and is trained like any answer token: that is how the model learns to end an answer,
  and why LLaDA can generate a fixed ``gen_length`` and cut at the first ``[EOS]``.

Both give a batch through ``sample(n, generator) -> (x0, prompt_lengths or None)``, drawing rows
with a ``torch.Generator`` so that a seed (and a saved generator state) reproduces the data order.

:func:`synthetic_corpus` writes a small English-like text from a seed, for the tiny preset and the
tests: no downloads anywhere in minillada.
"""

from __future__ import annotations

import random

import torch

from .infra import checks, rng


class TextDataset:
    """Random windows of a token stream, for pre-training.

    >>> ds = TextDataset(torch.arange(4, 104), seq_len=8)
    >>> x0, prompt_lengths = ds.sample(3, torch.Generator().manual_seed(0))
    >>> x0.shape, prompt_lengths
    (torch.Size([3, 8]), None)
    """

    def __init__(self, ids, seq_len: int):
        self.ids = checks.text_dataset_args(ids, seq_len)        # (N,) ids, N >= seq_len
        self.seq_len = seq_len

    @classmethod
    def from_text(cls, text: str, tokenizer, seq_len: int) -> "TextDataset":
        return cls(tokenizer.encode(text), seq_len)

    def __len__(self) -> int:
        return self.ids.numel() - self.seq_len + 1  # number of distinct windows

    def split(self, val_fraction: float = 0.1) -> tuple["TextDataset", "TextDataset"]:
        """(train, validation): the last ``val_fraction`` of the stream is held out."""
        cut = int(self.ids.numel() * (1 - val_fraction))
        checks.split_args(self.ids.numel(), cut, self.seq_len, val_fraction)   # both halves fit
        return TextDataset(self.ids[:cut], self.seq_len), TextDataset(self.ids[cut:], self.seq_len)

    def sample(self, n: int, generator=None):
        checks.positive_int(n, "n (rows)")
        starts = rng.randint(0, len(self), (n,), generator=generator)             # (n,)
        offsets = torch.arange(self.seq_len)
        return self.ids[starts[:, None] + offsets[None, :]], None                 # (n, seq_len)


class SFTDataset:
    """(prompt, answer) pairs padded with ``[EOS]`` to ``seq_len``, for SFT (LLaDA Sec. 2.3).

    >>> ds = SFTDataset([([5, 6], [7]), ([5], [8, 9])], eos_id=3, seq_len=5)
    >>> ds.rows.tolist(), ds.prompt_lengths.tolist()
    ([[5, 6, 7, 3, 3], [5, 8, 9, 3, 3]], [2, 1])
    """

    def __init__(self, pairs, eos_id: int, seq_len: int | None = None):
        pairs, seq_len = checks.sft_pairs(pairs, seq_len)       # lists of ints that fit seq_len
        self.rows = torch.full((len(pairs), seq_len), eos_id, dtype=torch.long)
        for i, (p, a) in enumerate(pairs):
            self.rows[i, : len(p) + len(a)] = torch.tensor(p + a, dtype=torch.long)
        self.prompt_lengths = torch.tensor([len(p) for p, _ in pairs])
        self.seq_len = seq_len

    @classmethod
    def from_text_pairs(cls, pairs, tokenizer, seq_len=None) -> "SFTDataset":
        return cls([(tokenizer.encode(p), tokenizer.encode(a)) for p, a in pairs],
                   tokenizer.eos_id, seq_len)

    def __len__(self) -> int:
        return len(self.rows)

    def sample(self, n: int, generator=None):
        checks.positive_int(n, "n (rows)")
        idx = rng.randint(0, len(self), (n,), generator=generator)
        return self.rows[idx], self.prompt_lengths[idx]


# The files behind --data (a shipped data set by name, a text file, a JSONL file) are read by
# minillada/infra/files.py, which checks each on the way in; their names stay importable from here.
from .infra.files import (CORPORA, DATASETS, MAX_TEXT_BYTES, dataset_path,  # noqa: E402,F401
                          read_file_text, read_jsonl, read_text)


# ---- a small corpus generated from a seed ------------------------------------------------------

_WORDS = {
    "adj": "small quiet brave old bright dark gentle clever happy tired green silver".split(),
    "noun": "fox river pilot garden lamp child tower cat sailor forest poet engine".split(),
    "verb": "sees follows carries finds paints hears guards remembers builds".split(),
    "place": "by the sea|under the bridge|in the valley|near the old mill|at dawn".split("|"),
}


def synthetic_corpus(n_sentences: int = 2000, seed: int = 0) -> str:
    """A simple English-like text: "the brave fox follows the old lamp by the sea." and so on.

    Small enough for a character-level model to learn in minutes; structured enough that learning
    shows (agreement of articles, word shapes, punctuation).

    >>> synthetic_corpus(2, seed=0).count(".")
    2
    """
    checks.positive_int(n_sentences, "n_sentences")
    r = random.Random(seed)

    def pick(kind):
        return r.choice(_WORDS[kind])

    sentences = []
    for _ in range(n_sentences):
        s = f"the {pick('adj')} {pick('noun')} {pick('verb')} the {pick('noun')}"
        if r.random() < 0.5:
            s += " " + pick("place")
        sentences.append(s + ".")
    return "\n".join(sentences) + "\n"
