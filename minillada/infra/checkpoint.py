"""Checkpoints: everything needed to resume training, or to sample, in one directory.

Layout of a run directory ``out/``::

    out/latest                 the name of the newest complete checkpoint, e.g. "step_000500"
    out/step_000500/model.pt   model weights (a plain state dict of tensors)
    out/step_000500/train.pt   optimizer state, RNG states (tensors, ints and floats only)
    out/step_000500/meta.json  step, model config, train config, loss history, file checksums
    out/step_000500/tokenizer.json

Five guarantees:

* **Atomic.** A checkpoint is written into a temporary directory, renamed into place, and only
  then does ``latest`` (itself replaced atomically with ``os.replace``) point at it. A crash at any
  moment leaves ``latest`` naming a complete checkpoint. The temporary directories a crash leaves
  behind are removed (and reported) by the next save.
* **Ordered by number.** Checkpoints are ordered by the step number in their names, never by the
  names as strings ("step_1000000" sorts before "step_999999" as a string). Pruning keeps the
  newest ``keep`` checkpoints up to the one just written and never the one ``latest`` names.
* **Inside the run.** ``latest`` may only name a checkpoint directory of its own run directory.
* **Checked.** ``meta.json`` holds the sha256 of every other file, verified on load, and tensors
  are read with ``torch.load(..., weights_only=True)``, which refuses arbitrary Python objects (no
  pickle code runs). A damaged or incompatible checkpoint raises a ``ValueError`` naming the file.
* **A full disk says so.** A save that runs out of space (``ENOSPC``, a quota, or a file-size
  limit) raises :class:`NoSpaceError` naming the file and the last checkpoint, which is intact
  (the half-written one is removed): "no space left writing .../model.pt; the last checkpoint is
  step 200 (intact)".

Before training into a run directory, :mod:`minillada.infra.run_dir` checks it and finds the checkpoint
to resume from.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import torch

from ..model import ModelConfig, Transformer
from ..tokenizer import load_tokenizer
from .lock import run_lock, writable_dir  # noqa: F401 (writable_dir: also the CLI's, from here)
from .shipped import resolve_name

FORMAT_VERSION = 1
KEEP = 2  # how many complete checkpoints to keep in a run directory
CHECKPOINT_NAME = re.compile(r"step_(\d+)")        # step_000500, step_1000000
FILES = ("model.pt", "train.pt", "tokenizer.json")  # the files meta.json holds checksums of


class NoSpaceError(OSError):
    """A checkpoint could not be written for want of space; the message names the file, and the
    last complete checkpoint, which the failed save left as it was."""

    def __str__(self):
        return self.strerror


_NO_SPACE = {errno.ENOSPC: "", errno.EDQUOT: " (the disk quota was reached)",
             errno.EFBIG: " (a file-size limit, ulimit -f, was reached)"}


@contextlib.contextmanager
def _writing(file: Path):
    """Turn the OSError of a full disk while writing ``file`` into a NoSpaceError that names it."""
    try:
        yield
    except OSError as e:
        if e.errno not in _NO_SPACE or isinstance(e, NoSpaceError):
            raise
        raise NoSpaceError(e.errno, f"no space left writing {file}{_NO_SPACE[e.errno]}") from None


def _save_tensors(obj, file: Path) -> None:
    """``torch.save``, through a buffer, so that a failed write is an OSError (torch's own file
    writer reports it as "unexpected pos ..." instead)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with _writing(file), open(file, "wb") as f:
        f.write(buffer.getbuffer())


@dataclass
class Checkpoint:
    model: Transformer
    tokenizer: object
    step: int
    train_config: dict
    history: list = field(default_factory=list)
    optimizer_state: dict | None = None
    rng_state: dict | None = None
    path: Path | None = None          # the checkpoint directory it was read from


def checkpoint_name(step: int) -> str:
    """The directory name of the checkpoint of ``step``: ``checkpoint_name(500) == "step_000500"``."""
    if not isinstance(step, Integral) or isinstance(step, bool) or step < 0:
        raise ValueError(f"step must be a non-negative int, got {step!r}")
    return f"step_{int(step):06d}"


def save_checkpoint(out_dir, model, step: int, tokenizer=None, optimizer=None,
                    train_config: dict | None = None, history=None, rng_state: dict | None = None,
                    keep: int = KEEP) -> Path:
    """Write a checkpoint of ``model`` (and what resuming needs) under ``out_dir``; return its path."""
    name = checkpoint_name(step)
    out_dir = writable_dir(out_dir)
    with run_lock(out_dir):                   # no other process saves here: what is left is stale
        return _save(out_dir, name, model, step, tokenizer, optimizer, train_config, history,
                     rng_state, keep)


def _save(out_dir: Path, name: str, model, step, tokenizer, optimizer, train_config, history,
          rng_state, keep) -> Path:
    removed = remove_stale_temporaries(out_dir)
    if removed:
        warnings.warn(f"removed {len(removed)} unfinished checkpoint(s) an interrupted save left in "
                      f"{out_dir}: {', '.join(removed)}", stacklevel=3)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    try:
        model = getattr(model, "module", model)                 # unwrap DistributedDataParallel
        model = getattr(model, "_orig_mod", model)              # unwrap torch.compile
        _save_tensors({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp / "model.pt")
        _save_tensors({"optimizer": optimizer.state_dict() if optimizer is not None else None,
                       "rng": rng_state}, tmp / "train.pt")
        if tokenizer is not None:
            with _writing(tmp / "tokenizer.json"):
                tokenizer.save(tmp / "tokenizer.json")
        meta = {"format_version": FORMAT_VERSION, "step": int(step),
                "model_config": model.config.to_dict(), "train_config": train_config or {},
                "history": history or [],
                "files": {f: _sha256(tmp / f) for f in FILES if (tmp / f).exists()}}
        with _writing(tmp / "meta.json"):
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        for f in tmp.iterdir():                                  # on disk before we point at it
            with _writing(f), open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = out_dir / name
        if final.exists():       # set the old one aside first: a crash leaves it as a temporary
            os.rename(final, Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir)) / "old")
        os.rename(tmp, final)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, NoSpaceError):
            raise NoSpaceError(e.errno, f"{e.strerror}; {last_checkpoint(out_dir)}") from None
        raise
    with _writing(out_dir / "latest"):
        point_latest(out_dir, name)
    _prune(out_dir, keep, int(step))
    remove_stale_temporaries(out_dir)                            # the old copy set aside above
    return final


def point_latest(run_dir, name: str) -> None:
    """Make ``run_dir/latest`` name the checkpoint ``name``, atomically (``os.replace``)."""
    pointer = Path(run_dir) / ".latest.tmp"
    pointer.write_text(name)
    os.replace(pointer, Path(run_dir) / "latest")


def last_checkpoint(run_dir) -> str:
    """What a run directory holds to resume from, in words, checksums verified: "the last
    checkpoint is step 200 (intact)", or that there is none yet, or why it cannot be used."""
    if not (Path(run_dir) / "latest").exists():
        return "no checkpoint was written yet"
    try:
        path = resolve_checkpoint(run_dir)
        meta = read_meta(path)
        verify_checksums(path, meta)
    except ValueError as e:
        return f"the last checkpoint cannot be used ({e})"
    return f"the last checkpoint is step {meta['step']} (intact)"


def list_checkpoints(run_dir) -> list[tuple[int, Path]]:
    """``[(step, directory), ...]`` of the checkpoint directories in ``run_dir``, oldest first,
    ordered by the step number in the name."""
    run_dir = Path(run_dir)
    found = []
    if run_dir.is_dir():
        for p in run_dir.iterdir():
            m = CHECKPOINT_NAME.fullmatch(p.name)
            if m and p.is_dir():
                found.append((int(m[1]), p))
    return sorted(found)


def remove_stale_temporaries(run_dir) -> list[str]:
    """Delete what interrupted saves left in ``run_dir`` (``.step_*`` directories, ``.latest.tmp``);
    return their names. Called only under :func:`~minillada.infra.lock.run_lock`: no other process
    saves into the directory, so none of them belongs to a live save."""
    run_dir = Path(run_dir)
    stale = sorted(run_dir.glob(".step_*")) + sorted(run_dir.glob(".latest.tmp"))
    for p in stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return [p.name for p in stale]


def _prune(out_dir: Path, keep: int, step: int) -> None:
    """Keep the ``keep`` newest checkpoints up to ``step`` (the one just written); leave later ones,
    which are not this save's to judge (a damaged one a resume skipped is replaced when its step
    comes round again)."""
    older = [p for s, p in list_checkpoints(out_dir) if s <= step]
    for old in older[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)


def resolve_checkpoint(path) -> Path:
    """A run directory (follow ``latest``) or a checkpoint directory, as a checkpoint directory;
    the name of a shipped model (``"shakespeare"``, see :mod:`~minillada.infra.shipped`) where no
    such path exists."""
    path = resolve_name(path)
    latest = path / "latest"
    if latest.is_file():
        try:
            name = latest.read_text().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"{latest} cannot be read: {e}") from None
        if not CHECKPOINT_NAME.fullmatch(name):
            raise ValueError(f"{latest} names {name[:100]!r}, which is not a checkpoint of this run "
                             "directory (a name like step_000500)")
        target = path / name
        if not (target / "meta.json").is_file():
            raise ValueError(f"{latest} names {name}, but {target} is not a complete checkpoint (no "
                             f"meta.json); the intact ones here: {_names(path) or 'none'}")
        if target.resolve().parent != path.resolve():
            raise ValueError(f"{target} is a link out of the run directory {path}; a run's "
                             "checkpoints must lie inside it")
        return target
    if CHECKPOINT_NAME.fullmatch(path.name) and not (path / "meta.json").is_file():
        raise ValueError(f"the checkpoint is incomplete: {path / 'meta.json'} is missing")
    if not (path / "meta.json").is_file():
        found = _names(path)
        hint = f"; it holds {found} but no 'latest' file: pass one of them" if found else ""
        raise ValueError(f"{path} is not a minillada checkpoint (no meta.json and no 'latest' file)"
                         + hint)
    return path


def _names(run_dir) -> str:
    return ", ".join(p.name for _, p in list_checkpoints(run_dir) if (p / "meta.json").is_file())


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (or a run directory's newest)."""
    path = resolve_checkpoint(path)
    meta = read_meta(path)
    verify_checksums(path, meta)
    try:
        config = ModelConfig(**meta["model_config"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path / 'meta.json'} has an incompatible model config: {e}") from None
    model = Transformer(config)
    state = _load_tensors(path / "model.pt")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path / 'model.pt'} holds a {type(state).__name__}, not a state dict "
                         "(a dict of tensors by parameter name)")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{path / 'model.pt'} does not fit the model its config describes: "
                         f"{str(e).splitlines()[0]}") from None
    train_state = _load_tensors(path / "train.pt") if (path / "train.pt").exists() else {}
    if not isinstance(train_state, dict):
        raise ValueError(f"{path / 'train.pt'} holds a {type(train_state).__name__}, not a dict")
    tokenizer = load_tokenizer(path / "tokenizer.json") if (path / "tokenizer.json").exists() else None
    return Checkpoint(model=model.to(device), tokenizer=tokenizer, step=meta["step"],
                      train_config=meta.get("train_config", {}), history=meta.get("history", []),
                      optimizer_state=train_state.get("optimizer"), rng_state=train_state.get("rng"),
                      path=path)


def read_meta(path: Path) -> dict:
    """The checkpoint's ``meta.json``, checked for the fields a load needs."""
    file = path / "meta.json"
    try:
        meta = json.loads(file.read_text())
    except FileNotFoundError:
        raise ValueError(f"the checkpoint is incomplete: {file} is missing") from None
    except (OSError, ValueError, RecursionError) as e:        # JSON and UTF-8 errors are ValueErrors
        raise ValueError(f"{file} is damaged: {type(e).__name__}: {e}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{file} is damaged: it holds a JSON {type(meta).__name__}, not an object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format {meta.get('format_version')!r}; this "
                         f"minillada reads format {FORMAT_VERSION}")
    step = meta.get("step")
    if type(step) is not int or step < 0:
        raise ValueError(f"{file} is damaged: its 'step' is {step!r}, not a non-negative int")
    for key, kind in (("model_config", dict), ("train_config", dict), ("history", list),
                      ("files", dict)):
        if key in meta and not isinstance(meta[key], kind):
            raise ValueError(f"{file} is damaged: its {key!r} is a {type(meta[key]).__name__}, "
                             f"not a {kind.__name__}")
    if "model_config" not in meta:
        raise ValueError(f"{file} is damaged: it has no 'model_config'")
    return meta


def verify_checksums(path: Path, meta: dict) -> None:
    """Compare each file with the sha256 that ``meta.json`` recorded when it was saved. Checkpoints
    of older minillada versions have no checksums and load unchecked."""
    files = meta.get("files")
    if files is None:
        return
    for name in FILES:
        if name not in files:
            if (path / name).exists():
                raise ValueError(f"{path / name} is not listed in {path / 'meta.json'}: it was "
                                 "added after the checkpoint was saved")
            continue
        if not (path / name).is_file():
            raise ValueError(f"the checkpoint is incomplete: {path / name} is missing")
        if _sha256(path / name) != files[name]:
            raise ValueError(f"{path / name} does not match the sha256 checksum in meta.json: the "
                             "file was damaged or changed after it was saved")


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_tensors(file: Path):
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"the checkpoint is incomplete: {file} is missing") from None
    except Exception as e:  # torch raises several types for damaged files and refused pickles
        first_line = (str(e).splitlines() or ["(no message)"])[0][:200]
        raise ValueError(f"{file} is damaged or not a weights-only file: "
                         f"{type(e).__name__}: {first_line}") from None
