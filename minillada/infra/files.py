"""Reading the files a user names: a data set, a JSONL file, a JSON file such as a tokenizer's.

Each reader checks the file on the way in (it exists, is a regular file, is not too large, is
UTF-8, parses) and turns every problem into one ``ValueError`` that names the path, so that the
chapters that use them (``data.py``, ``tokenizer.py``, ``reversal/``) read only the data.
"""

from __future__ import annotations

import json
from pathlib import Path


# Named data sets shipped inside the package (see corpora/README.md): no network, ever.
CORPORA = Path(__file__).resolve().parent.parent / "corpora"
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


def read_json(path, what: str, limit: int):
    """The parsed JSON of a file of at most ``limit`` bytes; ``what`` names it in the errors
    ("tokenizer file").

    A missing file, one too large, not UTF-8 or not JSON: a ValueError naming the path.
    """
    path = Path(path)
    try:
        if path.stat().st_size > limit:
            raise ValueError(f"{path} has {path.stat().st_size:,} bytes; a {what} may have at "
                             f"most {limit:,}")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no {what} at {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f"{path} is not valid JSON, so not a minillada {what} "
                         f"({type(e).__name__}: {e})") from None
    except OSError as e:
        raise ValueError(f"cannot read the {what} {path}: {e.strerror or e}") from None


def write_text(path, text: str, what: str) -> None:
    """Write ``text`` (UTF-8) to ``path``; a directory, a missing folder or no permission is a
    ValueError naming the path."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise ValueError(f"cannot write the {what} {path}: {e.strerror}") from None
