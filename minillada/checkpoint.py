"""Checkpoints: everything needed to resume training, or to sample, in one directory.

Layout of a run directory ``out/``::

    out/latest                 the name of the newest complete checkpoint, e.g. "step_000500"
    out/step_000500/model.pt   model weights (a plain state dict of tensors)
    out/step_000500/train.pt   optimizer state, RNG states (tensors, ints and floats only)
    out/step_000500/meta.json  step, model config, train config, loss history
    out/step_000500/tokenizer.json

Two guarantees:

* **Atomic.** A checkpoint is written into a temporary directory, renamed into place, and only
  then does ``latest`` (itself replaced atomically with ``os.replace``) point at it. A crash at any
  moment leaves ``latest`` naming a complete checkpoint.
* **No pickle.** Tensors are read with ``torch.load(..., weights_only=True)``, which refuses
  arbitrary Python objects; everything else is JSON. A damaged or incompatible checkpoint raises a
  ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .model import ModelConfig, Transformer
from .tokenizer import load_tokenizer

FORMAT_VERSION = 1
KEEP = 2  # how many complete checkpoints to keep in a run directory


@dataclass
class Checkpoint:
    model: Transformer
    tokenizer: object
    step: int
    train_config: dict
    history: list = field(default_factory=list)
    optimizer_state: dict | None = None
    rng_state: dict | None = None


def save_checkpoint(out_dir, model, step: int, tokenizer=None, optimizer=None,
                    train_config: dict | None = None, history=None, rng_state: dict | None = None,
                    keep: int = KEEP) -> Path:
    """Write a checkpoint of ``model`` (and what resuming needs) under ``out_dir``; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"step_{step:06d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    try:
        model = getattr(model, "module", model)                 # unwrap DistributedDataParallel
        model = getattr(model, "_orig_mod", model)              # unwrap torch.compile
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp / "model.pt")
        torch.save({"optimizer": optimizer.state_dict() if optimizer is not None else None,
                    "rng": rng_state}, tmp / "train.pt")
        meta = {"format_version": FORMAT_VERSION, "step": step,
                "model_config": model.config.to_dict(), "train_config": train_config or {},
                "history": history or []}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        if tokenizer is not None:
            tokenizer.save(tmp / "tokenizer.json")
        for f in tmp.iterdir():                                  # on disk before we point at it
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = out_dir / name
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer = out_dir / ".latest.tmp"
    pointer.write_text(name)
    os.replace(pointer, out_dir / "latest")
    _prune(out_dir, keep)
    return final


def _prune(out_dir: Path, keep: int) -> None:
    steps = sorted(p for p in out_dir.glob("step_*") if p.is_dir())
    for old in steps[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)


def resolve_checkpoint(path) -> Path:
    """A run directory (follow ``latest``) or a checkpoint directory, as a checkpoint directory."""
    path = Path(path)
    if (path / "latest").is_file():
        path = path / (path / "latest").read_text().strip()
    if not (path / "meta.json").is_file():
        raise ValueError(f"{path} is not a minillada checkpoint (no meta.json and no 'latest' file)")
    return path


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (or a run directory's newest)."""
    path = resolve_checkpoint(path)
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path / 'meta.json'} is damaged: {e}") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format {meta.get('format_version')!r}; this "
                         f"minillada reads format {FORMAT_VERSION}")
    try:
        config = ModelConfig(**meta["model_config"])
    except (KeyError, TypeError) as e:
        raise ValueError(f"{path} has an incompatible model config: {e}") from None
    model = Transformer(config)
    state = _load_tensors(path / "model.pt")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{path / 'model.pt'} does not fit the model its config describes: "
                         f"{str(e).splitlines()[0]}") from None
    train_state = _load_tensors(path / "train.pt") if (path / "train.pt").exists() else {}
    tokenizer = load_tokenizer(path / "tokenizer.json") if (path / "tokenizer.json").exists() else None
    return Checkpoint(model=model.to(device), tokenizer=tokenizer, step=int(meta["step"]),
                      train_config=meta.get("train_config", {}), history=meta.get("history", []),
                      optimizer_state=train_state.get("optimizer"), rng_state=train_state.get("rng"))


def _load_tensors(file: Path):
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"the checkpoint is incomplete: {file} is missing") from None
    except Exception as e:  # torch raises several types for damaged files and refused pickles
        raise ValueError(f"{file} is damaged or not a weights-only file: "
                         f"{type(e).__name__}: {str(e).splitlines()[0][:200]}") from None
