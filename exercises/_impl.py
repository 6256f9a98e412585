"""Load a chapter's implementation: the learner's ``student.py`` or the library (the reference)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

from exercises._spec import CHAPTERS

HERE = Path(__file__).resolve().parent
IMPLS = ("student", "reference")


def load_student(folder):
    """Import ``<folder>/student.py`` afresh (folder: a chapter's name or path), as the module
    ``student_<chapter>``."""
    folder = HERE / folder
    name = f"student_{folder.name}"
    spec = importlib.util.spec_from_file_location(name, folder / "student.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                     # so that swapping what it calls works by name
    spec.loader.exec_module(module)
    return module


def load(folder, impl: str = "student"):
    """An object whose attributes are the chapter's exercise names, from ``impl``. The reference
    never imports ``student.py``."""
    if impl not in IMPLS:
        raise ValueError(f"--impl must be one of {IMPLS}, got {impl!r}")
    if impl == "student":
        return load_student(folder)
    _, _, steps = CHAPTERS[Path(folder).name]
    return SimpleNamespace(**{name: getattr(importlib.import_module(module), name)
                              for _, module, name, _ in steps})
