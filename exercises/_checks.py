"""Exercise checks in two halves: a *probe* that runs your code, and a *judge* that decides.

A check is a pytest test whose argument ``got`` is what its probe returned::

    def probe_merge(ex):                          # runs your code, returns plain data
        return ex.merge((5, 6, 5, 6, 6), (5, 6), 99)

    @check("1.2", probe_merge)
    def test_merge_small(got):                    # the judge: asserts on that data only
        \"\"\"merges every occurrence, left to right\"\"\"
        assert tuple(got) == (99, 99, 6)

Why split them? So that no verdict is ever decided next to the code it judges. The grader
(``python -m exercises.grade``) runs every probe in a child process that imports your
``student.py``, under a time limit enforced from outside; the probe's result travels back as JSON
(tensors as dtype, shape and values: never pickle); the judges then run in the grader's own
process, which has never imported your code. Whatever your code does to torch, pytest or the
process it runs in, it can only change the data it hands back.

When you run ``pytest exercises`` yourself, the same probe runs in the same process and its result
makes the same JSON round trip before the judge sees it, so both ways judge identical data.

The probe gets ``ex``: your chapter's ``student.py`` (or the library, with ``--impl=reference``).
A probe that must observe an error returns ``raises(fn, ...)``; the judge checks
``got.is_a("ValueError")``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import sys
from collections import Counter

import pytest
import torch

from exercises._spec import CHAPTERS

MAX_PAYLOAD_CHARS = 20_000_000          # a probe's JSON result; more is a bug (or an attack)


# ---------------------------------------------------------------------------------------------
# Declaring checks


def check(step: str, probe, params=None, points: int = 1):
    """Decorate a judge ``test_x(got[, param])``: it belongs to exercise ``step`` ("3.1"), its
    data comes from ``probe(ex[, param])``, and it is worth ``points`` in the grader."""
    number, sub = step.split(".")

    def wrap(judge):
        judge.probe, judge.step, judge.params, judge.points = probe, step, params, points
        judge = getattr(pytest.mark, f"ex{number}_{sub}")(judge)
        if params is not None:
            judge = pytest.mark.parametrize("param", params, ids=[str(p) for p in params])(judge)
        return judge
    return wrap


def checks_in(module) -> dict:
    """``{check id: (judge, param)}`` of a test module, ids as pytest names them:
    ``test_merge_small``, ``test_lr_matches_library[wsd]``."""
    out = {}
    for name, judge in vars(module).items():
        if name.startswith("test_") and hasattr(judge, "probe"):
            if judge.params is None:
                out[name] = (judge, None)
            else:
                for p in judge.params:
                    out[f"{name}[{p}]"] = (judge, p)
    return out


def run_probe(judge, param, ex):
    """Call a check's probe on the implementation ``ex``."""
    return judge.probe(ex) if judge.params is None else judge.probe(ex, param)


# ---------------------------------------------------------------------------------------------
# Results as JSON (no pickle: loading data must never run code)


class Raised:
    """What a probe's ``raises(...)`` saw: the exception's class names (its MRO) and message."""

    def __init__(self, names, message):
        self.names, self.message = list(names), message

    def is_a(self, name: str) -> bool:
        return name in self.names

    def __repr__(self):
        return f"Raised({self.names[0]}: {self.message[:200]})"


def raises(fn, *args, **kwargs):
    """Call ``fn`` and return what it returned, or a :class:`Raised` if it raised an Exception."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:                                        # noqa: BLE001 (recorded, judged)
        return Raised([c.__name__ for c in type(e).__mro__], str(e))


def encode(obj):
    """A JSON-able description of ``obj``: tensors keep dtype, shape and exact values, tuples stay
    tuples, dicts may have tuple keys. Anything else is described by its type, not its contents."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if type(obj) is int:
        return obj
    if type(obj) is float:
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu()
        if t.is_complex() or t.is_sparse or t.is_quantized:
            return {"__object__": f"unsupported tensor {t.dtype} {t.layout}"}
        flat = t.reshape(-1)
        values = flat.double().tolist() if t.is_floating_point() else flat.tolist()
        values = [v if not isinstance(v, float) or math.isfinite(v) else repr(v) for v in values]
        return {"__tensor__": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                "values": values, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, Raised):
        return {"__raised__": obj.names, "message": obj.message}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        kind = "Counter" if isinstance(obj, Counter) else "dict"
        return {"__dict__": kind, "items": [[encode(k), encode(v)] for k, v in obj.items()]}
    return {"__object__": type(obj).__qualname__}


class Unsupported:
    """A value of a type that does not cross the process boundary (a numpy float, a module...)."""

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"<a {self.kind}>"


def _float(v):
    return float(v) if isinstance(v, str) else v


def decode(obj):
    """The inverse of :func:`encode` (tensors come back with ``requires_grad`` as an attribute
    ``t.was_requires_grad``, since a rebuilt tensor has no graph)."""
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__tensor__" in obj:
        dtype = getattr(torch, obj["__tensor__"])
        values = [_float(v) for v in obj["values"]]
        t = torch.tensor(values, dtype=torch.float64 if dtype.is_floating_point else dtype)
        t = t.to(dtype).reshape(obj["shape"])
        t.was_requires_grad = obj["requires_grad"]
        return t
    if "__raised__" in obj:
        return Raised(obj["__raised__"], obj["message"])
    if "__tuple__" in obj:
        return tuple(decode(v) for v in obj["__tuple__"])
    if "__dict__" in obj:
        items = {_hashable(decode(k)): decode(v) for k, v in obj["items"]}
        return Counter(items) if obj["__dict__"] == "Counter" else items
    if "__object__" in obj:
        return Unsupported(obj["__object__"])
    raise ValueError(f"not an encoded value: {str(obj)[:100]}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def dumps(obj) -> str:
    text = json.dumps(encode(obj))
    if len(text) > MAX_PAYLOAD_CHARS:
        raise ValueError(f"the result is too large to judge ({len(text):,} characters of JSON)")
    return text


def roundtrip(obj):
    """What the judge sees of a probe's result: ``decode(json.loads(dumps(obj)))``."""
    return decode(json.loads(dumps(obj)))


# ---------------------------------------------------------------------------------------------
# Helpers for probes

def home_module(fn):
    """The module whose globals ``fn`` looks names up in (to swap what it calls)."""
    return sys.modules[fn.__module__]


@contextlib.contextmanager
def patched(fn, **names):
    """Within the block, the functions ``fn`` calls by these global names are replaced."""
    home = home_module(fn)
    missing = object()
    saved = {name: getattr(home, name, missing) for name in names}
    try:
        for name, value in names.items():
            setattr(home, name, value)
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                delattr(home, name)
            else:
                setattr(home, name, value)


def library(name: str):
    """The library's solution of exercise ``name`` (from the table in ``_spec.py``)."""
    for _, _, steps in CHAPTERS.values():
        for _, module, step_name, _ in steps:
            if step_name == name:
                return getattr(importlib.import_module(module), name)
    raise KeyError(name)


def with_library(fn, *names):
    """Run ``fn`` (a later step) with the library's solutions of the earlier steps ``names`` that it
    calls, so that a bug in those steps is charged to them, not to this one."""
    return patched(fn, **{name: library(name) for name in names})
