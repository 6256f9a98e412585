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

import json
import random
from pathlib import Path

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
        self.ids = checks.as_ids(ids, "ids").reshape(-1)
        if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 2:
            raise ValueError(f"seq_len must be an int of at least 2, got {seq_len!r}")
        if self.ids.numel() < seq_len:
            raise ValueError(f"the text has {self.ids.numel()} tokens, fewer than seq_len={seq_len}; "
                             "use more text or a shorter seq_len")
        self.seq_len = seq_len

    @classmethod
    def from_text(cls, text: str, tokenizer, seq_len: int) -> "TextDataset":
        return cls(tokenizer.encode(text), seq_len)

    def __len__(self) -> int:
        return self.ids.numel() - self.seq_len + 1  # number of distinct windows

    def split(self, val_fraction: float = 0.1) -> tuple["TextDataset", "TextDataset"]:
        """(train, validation): the last ``val_fraction`` of the stream is held out."""
        cut = int(self.ids.numel() * (1 - val_fraction))
        if cut < self.seq_len or self.ids.numel() - cut < self.seq_len:
            raise ValueError(f"the text ({self.ids.numel()} tokens) is too short to split "
                             f"{val_fraction:.0%} off with seq_len={self.seq_len}")
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
        # ints, checked (a string or 4.9 is no token id)
        pairs = [(checks.as_ids(p, "prompt").tolist(), checks.as_ids(a, "answer").tolist()) for p, a in pairs]
        if not pairs:
            raise ValueError("SFTDataset needs at least one (prompt, answer) pair")
        if not any(a for _, a in pairs):
            raise ValueError(f"every answer of the {len(pairs)} pairs is empty: SFT learns only the "
                             "answers, so the model would learn to answer nothing (is the "
                             "answer, or 'completion', field filled in?)")
        longest = max(len(p) + len(a) + 1 for p, a in pairs)  # + 1: at least one [EOS]
        seq_len = longest if seq_len is None else seq_len
        if longest > seq_len:
            raise ValueError(f"the longest pair needs {longest} tokens with its [EOS], more than "
                             f"seq_len={seq_len}")
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


# Named data sets shipped inside the package (see corpora/README.md): no network, ever.
CORPORA = Path(__file__).resolve().parent / "corpora"
DATASETS = {"shakespeare": "tiny_shakespeare.txt"}


def dataset_path(name_or_path) -> Path:
    """The file behind ``--data``: a shipped data set by name (``"shakespeare"``), else a path.

    >>> dataset_path("shakespeare").name
    'tiny_shakespeare.txt'
    """
    if str(name_or_path) in DATASETS:
        return CORPORA / DATASETS[str(name_or_path)]
    path = Path(name_or_path)
    if not path.exists() and path.suffix == "" and "/" not in str(name_or_path):
        raise ValueError(f"no data set named {str(name_or_path)!r} and no file at that path; the "
                         f"shipped data sets are {sorted(DATASETS)}")
    return path


# the largest file --data reads (enwik8, the classic character-level set, is 95 MiB); a character
# tokenizer turns every byte into a Python int, so a bigger file needs a streaming loader instead
MAX_TEXT_BYTES = 128 * 2 ** 20


def read_file_text(path, what: str = "data file", limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    A directory, a device such as ``/dev/zero`` (which never ends), a pipe, a missing file, a file
    too large or not UTF-8: each is a ValueError naming the path, raised before more than
    ``limit + 1`` bytes are read.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no {what} at {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a {what} (a UTF-8 text file)")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file (a device, a pipe or a socket?); give a {what}")
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if not data:
        raise ValueError(f"{path} is empty; give a {what} with some text in it")
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit // 2 ** 20} MiB, the most minillada reads "
                         f"into memory (minillada.data.MAX_TEXT_BYTES); use a smaller file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text ({e})") from None


def read_text(path) -> str:
    """The UTF-8 text of a file, or of a shipped data set named like ``"shakespeare"``."""
    return read_file_text(dataset_path(path), "data file")


def read_jsonl(path, answer_keys=("completion", "answer")) -> list[dict]:
    r"""Prompt/completion pairs from a JSONL file: one JSON object per line, blank lines skipped.

    The convention of fine-tuning data sets and of the reversal-curse literature: each line is
    ``{"prompt": "...", "completion": "..."}`` (``"answer"`` is accepted for the completion). Other
    string fields are kept (the reversal test reads ``"group"``); fields of other kinds are ignored.
    Every problem is a ``ValueError`` naming the file, the line and what is wrong.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "facts.jsonl"
    >>> _ = path.write_text('{"prompt": "Daxo is", "completion": " a pilot.", "group": "fwd"}\n')
    >>> read_jsonl(path)
    [{'prompt': 'Daxo is', 'completion': ' a pilot.', 'group': 'fwd'}]
    """
    path = Path(path)
    text = read_file_text(path, "JSONL file")
    records = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: expected an object like {{\"prompt\": ..., \"completion\": "
                             f"...}}, got a JSON {type(obj).__name__}")
        key = next((k for k in answer_keys if k in obj), None)
        if "prompt" not in obj or key is None:
            missing = "'prompt'" if "prompt" not in obj else " or ".join(repr(k) for k in answer_keys)
            raise ValueError(f"{where}: no {missing} field (the line has {sorted(obj)})")
        record = {"prompt": obj["prompt"], "completion": obj[key]}
        for field, value in record.items():
            if not isinstance(value, str):
                raise ValueError(f"{where}: {field!r} must be a string, got "
                                 f"{type(value).__name__} {value!r:.40}")
        record.update({k: v for k, v in obj.items()
                       if k not in ("prompt", *answer_keys) and isinstance(v, str)})
        records.append(record)
    if not records:
        raise ValueError(f"{path} has no JSON lines")
    return records


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
