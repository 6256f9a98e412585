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
    spec.loader.exec_module(module)
    return module


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
