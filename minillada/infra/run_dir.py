"""The run directory before training starts: may we write here, and where do we resume from?

A run directory holds the checkpoints of *one* run (``infra/checkpoint.py`` describes the layout),
written by one process at a time: :func:`run_lock` holds an exclusive ``flock`` on ``.lock`` in
the directory for the whole run, so a second run into it is refused at once, naming the first.
:func:`train <minillada.train.train>` takes it, then calls two helpers before its first step, so
that every problem shows up before any time is spent training:

* :func:`prepare_run_dir`: the directory must be writable; temporaries of an interrupted save
  are removed; and a new run never writes over another run's checkpoints unless asked to
  (``overwrite=True``, ``--overwrite``), since pruning would then delete them.
* :func:`find_resumable`: with ``resume=True``, the newest checkpoint that loads, passes its
  checksums and holds the optimizer and generator states, newest first by step number; the
  newer ones it skipped, each with the reason. A run never restarts from step 0 on top of
  checkpoints it could not read: it stops with an error that lists them.

Then :func:`check_compatible` compares the checkpoint's settings with this run's, so that resuming
with another tokenizer or model size names the setting instead of a tensor size mismatch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from .checkpoint import (Checkpoint, list_checkpoints, load_checkpoint, remove_stale_temporaries,
                         resolve_checkpoint)
from .lock import RunDirInUse, run_lock, writable_dir  # noqa: F401 (RunDirInUse: for callers)

# the TrainConfig fields that decide the model and its vocabulary: a resume must keep them
MODEL_SETTINGS = ("objective", "model_preset", "tokenizer", "bpe_vocab_size", "block_size")


def check_run_dir(run_dir, resume: bool = False, overwrite: bool = False,
                  argument: str = "out_dir") -> Path:
    """Raise a ``ValueError`` unless training may write into ``run_dir``: a writable directory
    (created if need be) that holds no checkpoints, or whose checkpoints this run resumes
    (``resume``) or replaces (``overwrite``). Changes nothing else; returns the directory."""
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other: resume continues the run in the "
                         "directory, overwrite deletes it and starts over")
    run_dir = writable_dir(run_dir, argument)
    found = _existing(run_dir)
    if found and not (resume or overwrite):
        how = ("--resume", "--overwrite") if argument.startswith("--") else ("resume=True", "overwrite=True")
        raise ValueError(f"{argument} {run_dir} already holds a run ({', '.join(found)}); continue it "
                         f"with {how[0]}, replace it with {how[1]}, or choose another directory")
    return run_dir


def prepare_run_dir(run_dir, resume: bool = False, overwrite: bool = False,
                    argument: str = "out_dir") -> list[str]:
    """:func:`check_run_dir`, then clean up: remove the temporaries of interrupted saves and, with
    ``overwrite``, the checkpoints of the run that was there. Returns what it did, a line each."""
    run_dir = check_run_dir(run_dir, resume, overwrite, argument)
    with run_lock(run_dir, argument):           # what is left by a save is then stale
        return _clean(run_dir, overwrite)


def _clean(run_dir: Path, overwrite: bool) -> list[str]:
    notes = []
    stale = remove_stale_temporaries(run_dir)
    if stale:
        notes.append(f"removed {len(stale)} unfinished checkpoint(s) that an interrupted save left "
                     f"in {run_dir}: {', '.join(stale)}")
    if overwrite:
        found = _existing(run_dir)
        for _, path in list_checkpoints(run_dir):
            shutil.rmtree(path)
        (run_dir / "latest").unlink(missing_ok=True)
        if found:
            notes.append(f"overwrite: deleted the previous run in {run_dir} ({', '.join(found)})")
    return notes


def _existing(run_dir: Path) -> list[str]:
    """The names of what marks ``run_dir`` as holding a run: checkpoints and a ``latest`` file."""
    names = [p.name for _, p in list_checkpoints(run_dir)]
    return names + ["latest"] if (run_dir / "latest").exists() else names


def find_resumable(run_dir, device="cpu") -> tuple[Checkpoint | None, list[str]]:
    """``(checkpoint, skipped)``: the newest checkpoint of ``run_dir`` that a run can resume from,
    or None, and one line per problem found on the way (newer checkpoints that are damaged or
    incomplete, a ``latest`` that names nothing usable)."""
    skipped = []
    checkpoints = list_checkpoints(run_dir)
    if (Path(run_dir) / "latest").exists():
        try:
            resolve_checkpoint(run_dir)
        except ValueError as e:
            name = (Path(run_dir) / "latest").read_bytes().decode(errors="replace").strip()
            if name not in {p.name for _, p in checkpoints}:   # else that checkpoint's line says why
                skipped.append(f"latest: {e}")
    for _, path in reversed(checkpoints):
        try:
            ckpt = load_checkpoint(path, device)
            _check_train_state(ckpt)
            return ckpt, skipped
        except ValueError as e:
            skipped.append(f"{path.name}: {e}")
    return None, skipped


def _check_train_state(ckpt: Checkpoint) -> None:
    """What resuming needs besides the weights: the optimizer state and the generator states."""
    where = ckpt.path / "train.pt"
    optim = ckpt.optimizer_state
    # one optimizer's state_dict, or a dict of them (train.MuonAndAdamW: {"muon": ..., "adamw": ...})
    parts = list(optim.values()) if isinstance(optim, dict) and "state" not in optim else [optim]
    if not parts or not all(isinstance(o, dict) and {"state", "param_groups"} <= set(o) for o in parts):
        raise ValueError(f"{where} holds no optimizer state (missing, empty, or saved without an "
                         "optimizer): this checkpoint can be sampled from but not resumed")
    rng = ckpt.rng_state
    if not isinstance(rng, dict) or not all(
            isinstance(rng.get(k), torch.Tensor) and rng[k].dtype == torch.uint8
            for k in ("data", "mask", "torch")):
        raise ValueError(f"{where} holds no random generator states: this checkpoint can be "
                         "sampled from but not resumed exactly")


def check_compatible(ckpt: Checkpoint, model, train_config: dict, tokenizer=None) -> None:
    """Raise a ``ValueError`` naming each setting in which this run differs from the checkpoint
    it would resume: the model config, the TrainConfig fields that build the model, the
    tokenizer's vocabulary."""
    differ = []
    saved, ours = ckpt.model.config.to_dict(), model.config.to_dict()
    differ += [f"{k}: {saved[k]!r} in the checkpoint, {ours.get(k)!r} now"
               for k in saved if saved[k] != ours.get(k)]
    differ += [f"{k}: {ckpt.train_config[k]!r} in the checkpoint, {train_config.get(k)!r} now"
               for k in MODEL_SETTINGS
               if k in ckpt.train_config and ckpt.train_config[k] != train_config.get(k)]
    if (tokenizer is not None and ckpt.tokenizer is not None
            and (tokenizer.kind, tokenizer._state()) != (ckpt.tokenizer.kind, ckpt.tokenizer._state())):
        differ.append("the tokenizer's vocabulary (was it built from other data?)")
    if differ:
        raise ValueError(f"cannot resume from {ckpt.path}: this run differs from it in "
                         f"{'; '.join(differ)}. Resume with the checkpoint's settings (the same "
                         "data, tokenizer, preset and model flags), or start a new run in another "
                         "directory or with --overwrite")
