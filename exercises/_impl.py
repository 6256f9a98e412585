"""Load a chapter's implementation: the learner's ``student.py`` or the library (the reference)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

from exercises._spec import CHAPTERS
from exercises.workspace import default, student_file

HERE = Path(__file__).resolve().parent
IMPLS = ("student", "reference")
TEMPLATES = HERE              # the tracked stubs: laid out like a workspace, never the learner's file


def load_student(folder, workspace=None):
    """Import ``<workspace>/<chapter>/student.py`` afresh (folder: a chapter's name or path), as
    the module ``student_<chapter>``. The workspace defaults to the learner's
    (:func:`exercises.workspace.default`); ``workspace=TEMPLATES`` reads the tracked stubs."""
    chapter = Path(folder).name
    path = student_file(default() if workspace is None else workspace, chapter)
    name = f"student_{chapter}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                     # so that swapping what it calls works by name
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        moved = _moved(e)
        if moved is None:
            raise
        old, new = moved
        raise ImportError(f"{e} ({old} moved to {new} on 2026-12-07, when the package took its "
                          f"chapter layout: {_fix(old, new)} in {path})") from None
    return module


# modules that left the top of the package (issue 27); a student.py made before may import them
MOVED = {f"minillada.{old}": f"minillada.{new}" for old, new in {
    "checks": "infra.checks", "rng": "infra.rng", "progress": "infra.progress",
    "checkpoint": "infra.checkpoint", "run_dir": "infra.run_dir", "plotting": "infra.plotting",
    "practice": "infra.practice", "sampling_fast": "fast.sampling", "kv_cache": "fast.kv_cache",
    "cuda_graph": "fast.cuda_graph", "distributed": "fast.distributed",
    "reversal_task": "reversal.task", "reversal_jsonl": "reversal.jsonl",
    # names the stubs of chapters 3 and 4 imported before the stubs took public names only
    "losses._token_ce": "losses.token_ce", "losses.resolve_mask_id": "infra.checks.mask_id_of",
    "likelihood._token_ce": "losses.token_ce",
    "likelihood.resolve_mask_id": "infra.checks.mask_id_of",
    "likelihood._pair": "infra.checks.prompt_and_answer"}.items()}


def _fix(old: str, new: str) -> str:
    """What to write instead: a module's new path, or for a renamed function an import under its
    old name, so that the code which calls it stays as it is."""
    if old.split(".")[-1] == new.split(".")[-1] or old.count(".") == 1:
        return "change that import"
    module, name = new.rsplit(".", 1)
    return f"import it as `from {module} import {name} as {old.split('.')[-1]}`"


def _moved(error: ImportError):
    """(old, new) when ``error`` is the import of a module that has moved, else None:
    ``import minillada.checks`` and ``from minillada import rng`` alike."""
    if error.name in MOVED:
        return error.name, MOVED[error.name]
    missing = str(error).split("'")
    if str(error).startswith("cannot import name") and len(missing) > 3:
        old = f"{missing[3]}.{missing[1]}"           # cannot import name 'rng' from 'minillada'
        if old in MOVED:
            return old, MOVED[old]
    return None


def load(folder, impl: str = "student", workspace=None):
    """An object whose attributes are the chapter's exercise names, from ``impl``. The reference
    never imports ``student.py``."""
    if impl not in IMPLS:
        raise ValueError(f"--impl must be one of {IMPLS}, got {impl!r}")
    if impl == "student":
        return load_student(folder, workspace)
    _, _, steps = CHAPTERS[Path(folder).name]
    return SimpleNamespace(**{name: getattr(importlib.import_module(module), name)
                              for _, module, name, _ in steps})
