"""The course's two notebook helpers: the learner's own functions, and checks that say what differs.

No chapter teaches this module; the notebooks use it.

- :func:`yours` hands a practice notebook the learner's function from the ``student.py`` beside it
  (their workspace, made by ``python -m exercises start``), or the library's while that exercise is
  still a stub, so that the rest of the lesson runs either way and its experiments run on the
  learner's code as soon as it exists.
- :func:`check_cases` calls a from-scratch function and the library's on the same cases and, when
  they differ, fails with the case, the expected and the received value, not a bare
  ``AssertionError``.
- :func:`figure_dir` is where a notebook's full mode saves its figures: a ``runs/`` folder beside
  the notebook (ignored by git), or the project's ``docs/`` when a maintainer sets
  ``MINILLADA_DOCS=1``; :func:`results_dir` the project's recorded benchmark results, which a
  notebook quotes wherever it is opened (the lesson in ``notebooks/``, the practice edition in a
  workspace).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import os
import sys
from pathlib import Path

import torch

__all__ = ["yours", "is_stub", "check_cases", "same", "close", "figure_dir", "results_dir"]


# ---------------------------------------------------------------------------------------------
# The learner's functions


def _student_path(folder=None) -> Path:
    return Path(folder if folder is not None else Path.cwd()) / "student.py"


def is_stub(source: str, name: str) -> bool:
    """True when ``name`` in this ``student.py`` source is still the untouched exercise stub: its
    body (after the docstring) is one ``raise NotImplementedError(...)``; for a class, its
    ``forward``.

    >>> is_stub('def f(x):\\n    "doc"\\n    raise NotImplementedError("Exercise 1.1: ...")', "f")
    True
    >>> is_stub('def f(x):\\n    return x', "f")
    False
    """
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            if isinstance(node, ast.ClassDef):
                node = next((n for n in node.body if isinstance(n, ast.FunctionDef)
                             and n.name == "forward"), None)
                if node is None:
                    return False
            body = [s for s in node.body
                    if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            return (len(body) == 1 and isinstance(body[0], ast.Raise)
                    and "NotImplementedError" in ast.unparse(body[0].exc or ast.Constant(None)))
    return False                    # not defined in the file as a def: imported or assigned


def _load_student(path: Path):
    name = f"student_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def yours(name: str, library: str, folder=None, verbose: bool = True):
    """The learner's ``name`` from ``student.py`` in ``folder`` (default: the current folder, which
    is the notebook's), or ``library``'s (a module name) while it is still a stub there or there
    is no ``student.py``. Prints one line saying which.

    >>> f = yours("merge", "minillada.bpe", folder="/nonexistent")
    merge: no student.py here, so the library's runs (python -m exercises start makes a workspace)
    >>> f((5, 6, 5, 6), (5, 6), 99)
    (99, 99)
    """
    reference = getattr(importlib.import_module(library), name)
    path = _student_path(folder)
    if not path.exists():
        why = "no student.py here"
    elif is_stub(path.read_text(), name):
        why = "still a stub in student.py"
    else:
        mine = getattr(_load_student(path), name, None)
        if mine is None:
            raise ValueError(f"{path} defines no {name!r}: keep the stub's name and signature")
        if verbose:
            print(f"{name}: yours, from student.py")
        return mine
    if verbose:
        hint = " (python -m exercises start makes a workspace)" if not path.exists() else " here"
        print(f"{name}: {why}, so the library's runs{hint}")
    return reference


# ---------------------------------------------------------------------------------------------
# Checks against the library that say which case differs


def _show(value, width: int = 160) -> str:
    """A short, readable description of a value: tensors by dtype, shape and first values."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().reshape(-1)
        values = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat[:8].tolist())
        more = ", ..." if flat.numel() > 8 else ""
        dtype = str(value.dtype).removeprefix("torch.")
        text = f"tensor({dtype}, shape {tuple(value.shape)}: [{values}{more}])"
    elif isinstance(value, torch.Generator):
        text = "Generator"
    elif isinstance(value, (tuple, list)):
        inner = ", ".join(_show(v, width) for v in value)
        text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {_show(v, width)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def close(atol: float = 1e-5, rtol: float = 1e-5):
    """A comparison for :func:`check_cases`: tensors and floats equal within ``atol + rtol |b|``
    (same shape and dtype), everything else exactly."""
    def compare(a, b):
        return _differs(a, b, atol, rtol)
    return compare


def same(a, b):
    """The default comparison of :func:`check_cases`: equal bit for bit (tensors: dtype, shape
    and values). Returns None when equal, else a short reason."""
    return _differs(a, b, 0.0, 0.0)


def _differs(a, b, atol, rtol):
    if isinstance(b, torch.Tensor):
        if not isinstance(a, torch.Tensor):
            return f"expected a tensor, got a {type(a).__name__}"
        if a.dtype != b.dtype or a.shape != b.shape:
            return (f"expected dtype {b.dtype} and shape {tuple(b.shape)}, got {a.dtype} and "
                    f"shape {tuple(a.shape)}")
        if a.is_floating_point():
            if torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True):
                return None
            gap = float((a.double() - b.double()).abs().nan_to_num(math.inf).max())
            return f"values differ (largest difference {gap:.3g})"
        return None if torch.equal(a, b) else \
            f"values differ at {int((a != b).sum())} of {b.numel()} positions"
    if isinstance(b, (tuple, list)):
        if not isinstance(a, (tuple, list)) or len(a) != len(b):
            return f"expected a {type(b).__name__} of {len(b)}, got {_show(a, 60)}"
        for i, (x, y) in enumerate(zip(a, b)):
            why = _differs(x, y, atol, rtol)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(b, dict):
        if not isinstance(a, dict) or set(a) != set(b):
            return f"expected keys {sorted(map(repr, b))[:10]}, got {_show(a, 60)}"
        for k in b:
            why = _differs(a[k], b[k], atol, rtol)
            if why:
                return f"key {k!r}: {why}"
        return None
    if isinstance(b, float) and isinstance(a, (int, float)):
        return None if math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or a == b else "values differ"
    return None if a == b else "values differ"


def _fresh(value):
    """A copy of a generator (the same state), so that both functions draw the same numbers."""
    if isinstance(value, torch.Generator):
        g = torch.Generator(device=value.device)
        g.set_state(value.get_state())
        return g
    return value


def check_cases(mine, library, cases, compare=same, name: str | None = None) -> int:
    """Call ``mine`` and ``library`` on every case and fail on the first that differs.

    A case is a dict of keyword arguments, or a pair ``(args, kwargs)``. A ``torch.Generator``
    argument is copied for each call, so both functions draw from the same state. The error says
    which case differs: its inputs, the library's value (expected) and yours (got), and why. An
    exception raised by yours is reported with the case too. Returns the number of cases.

    >>> check_cases(lambda n: n * 2, lambda n: n + n, [dict(n=1), dict(n=3)], name="double")
    2
    >>> check_cases(lambda n: n * 3, lambda n: n + n, [dict(n=0), dict(n=3)], name="double")
    Traceback (most recent call last):
        ...
    AssertionError: double differs from the library on case 2 of 2: n=3
      expected 6
      got      9
      (values differ)
    """
    name = name or getattr(library, "__name__", "the function")
    cases = list(cases)
    for i, case in enumerate(cases, 1):
        args, kwargs = case if isinstance(case, tuple) else ((), case)
        inputs = ", ".join([_show(a, 80) for a in args] + [f"{k}={_show(v, 80)}"
                                                            for k, v in kwargs.items()])
        expected = library(*map(_fresh, args), **{k: _fresh(v) for k, v in kwargs.items()})
        try:
            got = mine(*map(_fresh, args), **{k: _fresh(v) for k, v in kwargs.items()})
        except NotImplementedError:
            raise
        except Exception as e:
            raise AssertionError(f"{name} raised on case {i} of {len(cases)}: {inputs}\n"
                                 f"  {type(e).__name__}: {e}") from e
        why = compare(got, expected)
        if why:
            raise AssertionError(f"{name} differs from the library on case {i} of {len(cases)}: "
                                 f"{inputs}\n  expected {_show(expected)}\n  got      {_show(got)}\n"
                                 f"  ({why})")
    return len(cases)


# ---------------------------------------------------------------------------------------------
# Where full mode saves figures


def figure_dir(chapter: str) -> Path:
    """The folder a notebook's full mode saves its figures in, created if needed: the project's
    ``docs/`` when ``MINILLADA_DOCS=1`` (maintainers refreshing the README's figures), otherwise
    ``runs/figures/<chapter>`` under the current folder, which git ignores. A learner's run never
    writes into a tracked file."""
    if os.environ.get("MINILLADA_DOCS") == "1":
        folder = PROJECT / "docs"
    else:
        folder = Path("runs") / "figures" / chapter
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PROJECT = Path(__file__).resolve().parents[2]     # minillada/infra/practice.py -> the checkout


def results_dir() -> Path:
    """The project's recorded benchmark results (``benchmarks/results``), found from the installed
    package (the course runs from a checkout: ``pip install -e .``), not from the notebook's folder."""
    folder = PROJECT / "benchmarks" / "results"
    if not folder.is_dir():
        raise ValueError(f"no {folder}: the notebooks quote the project's recorded benchmarks, so "
                         f"they run from a checkout of minillada installed with pip install -e .")
    return folder
