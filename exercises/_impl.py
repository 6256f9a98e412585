"""Load a chapter's implementation: the learner's ``student.py`` or the library (the reference)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
IMPLS = ("student", "reference")


def load_student(folder):
    """Import ``<folder>/student.py`` afresh (folder: a chapter's name or path), as the module
    ``student_<chapter>``."""
    folder = HERE / folder
    name = f"student_{folder.name}"
    spec = importlib.util.spec_from_file_location(name, folder / "student.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                     # so that monkeypatching by module name works
    spec.loader.exec_module(module)
    return module


def load(folder, impl: str = "student"):
    """An object whose attributes are the chapter's exercise names, from ``impl``."""
    if impl not in IMPLS:
        raise ValueError(f"--impl must be one of {IMPLS}, got {impl!r}")
    student = load_student(folder)
    if impl == "student":
        return student
    return SimpleNamespace(**{name: getattr(importlib.import_module(module), name)
                              for name, module in student.REFERENCE.items()})


def home_module(fn):
    """The module whose globals ``fn`` looks names up in (to monkeypatch what it calls)."""
    return sys.modules[fn.__module__]
