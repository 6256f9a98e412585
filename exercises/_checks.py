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
A probe that must observe an error returns ``raises(fn, ...)``; the judge checks it with
``expect_error(got, case)``. The other ``expect_*`` helpers at the end of this file say in one line
what is wrong with a result: "forward_process returned xt as a numpy.ndarray, expected a
torch.Tensor", "apply_rope changed the caller's x". How a check is written (the types it insists
on, the inputs it hands over, the draws it compares) is set out in ``exercises/README.md``, "Rules
for writing a check".
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


def type_path(obj) -> str:
    """The name of ``obj``'s type as a reader knows it: ``int``, ``Counter``, ``numpy.ndarray``."""
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ in ("builtins", "collections") else \
        f"{kind.__module__}.{kind.__qualname__}"


def encode(obj):
    """A JSON-able description of ``obj`` that keeps its type: tensors keep dtype, shape and exact
    values, tuples stay tuples and lists lists, an int stays an int and a float a float (JSON
    writes ``1`` and ``1.0``), a Counter stays a Counter, and dicts may have tuple keys. Anything
    else (a numpy array, a numpy float, a module) is described by the name of its type only, so
    that a judge can say what came back instead of what the contract names."""
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
    return {"__object__": type_path(obj)}


class Unsupported:
    """A value of a type that does not cross the process boundary (a numpy array, a numpy float, a
    module...): the judge sees the name of its type, ``kind`` (``"numpy.ndarray"``), and nothing
    else. It equals nothing, and reading any attribute of it fails with that name."""

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"<a {self.kind}>"

    def __getattr__(self, name):
        # only reached for attributes it does not have; ``kind`` is looked up in __dict__ so that
        # a half-built object (copy, pickle) cannot recurse here
        kind = self.__dict__.get("kind", "value")
        raise AttributeError(f"the step returned a {kind}, which the check cannot read (it has no "
                             f".{name} here): return the type that the guide names")


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


# ---------------------------------------------------------------------------------------------
# Helpers for judges: each way a result can be wrong, said in one line

def type_name(value) -> str:
    """What a failure message calls the type of a judged value: ``torch.Tensor``, ``tuple``,
    ``Counter``, ``float``; a type that does not cross the boundary keeps its name
    (``numpy.ndarray``)."""
    if isinstance(value, Unsupported):
        return value.kind
    if isinstance(value, torch.Tensor):
        return "torch.Tensor"
    return "None" if value is None else type(value).__name__


def _returned(fn: str, part: str | None) -> str:
    return f"{fn} returned {part} as" if part else f"{fn} returned"


def expect_type(value, kind, fn: str, part: str | None = None):
    """Assert that ``value``, what ``fn`` returned (or the ``part`` of it named), has exactly the
    type ``kind`` that the step's contract names: a list is no tuple, a dict no Counter, an int no
    float and a numpy array no tensor, even where they would compare equal. Returns ``value``."""
    ok = isinstance(value, torch.Tensor) if kind is torch.Tensor else type(value) is kind
    if not ok:
        want = "torch.Tensor" if kind is torch.Tensor else kind.__name__
        if isinstance(value, Raised):
            raise AssertionError(f"{fn} raised {value.names[0]}: {value.message[:200]}")
        raise AssertionError(f"{_returned(fn, part)} a {type_name(value)}, expected a {want}")
    return value


def expect_tuple(value, n: int, fn: str) -> tuple:
    """Assert that ``fn`` returned a tuple of ``n`` items (``xt, masked, p_mask``); returns it."""
    expect_type(value, tuple, fn)
    if len(value) != n:
        raise AssertionError(f"{fn} returned a tuple of {len(value)} items, expected {n}")
    return value


def expect_tensor(value, fn: str, part: str | None = None, dtype=None, shape=None):
    """Assert that ``value`` is a torch.Tensor, of ``dtype`` and ``shape`` when they are given
    (the dtype exactly: int32 is no torch.long, float32 no float64); returns it."""
    expect_type(value, torch.Tensor, fn, part)
    what = f"{fn}: {part or 'the result'}"
    if dtype is not None and value.dtype != dtype:
        raise AssertionError(f"{what} is a {value.dtype} tensor, expected {dtype}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    return value


def expect_error(outcome, case: str, error: str = "ValueError") -> None:
    """Assert that the probe's ``raises(...)`` saw an exception of class ``error`` (by name, so a
    subclass counts) in ``case``."""
    if isinstance(outcome, Raised):
        if not outcome.is_a(error):
            raise AssertionError(f"{case}: raised {outcome.names[0]} ({outcome.message[:200]}), "
                                 f"expected a {error}")
    else:
        raise AssertionError(f"{case}: returned a {type_name(outcome)} instead of raising a {error}")


def same(a, b) -> bool:
    """Equal as data: the same type, and for tensors the same dtype, shape and values (NaN equal to
    NaN); containers item by item."""
    if isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape):
            return False
        if a.is_floating_point():
            return bool(torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
        return bool(torch.equal(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    return a == b


def expect_unchanged(after: dict, before: dict, fn: str) -> None:
    """Assert that every argument the probe handed to ``fn``, as the probe found it after the call
    (``after``, by name), equals ``before``: the judge's own rebuild of it. A step reads what it is
    given and builds its result in new objects; it never writes into the caller's tensors, lists
    or dicts."""
    for name, value in before.items():
        if not same(after.get(name), value):
            raise AssertionError(f"{fn} changed the caller's {name}: work on a copy (or build new "
                                 "tensors) instead of writing into the argument")


def expect_rounded_once(got, want, fn: str, part: str | None = None, max_share: float = 0.02):
    """Assert that ``got``, a low-precision result (bfloat16, float16), is ``want``: the library's
    result for the same input, computed in float32 and rounded once to that precision. In at most
    ``max_share`` of the entries it may differ, by a step or two of the low precision: a float32
    computation in another order can land on the other side of a rounding boundary. Computing in
    the low precision itself rounds more than once, and moves a quarter of the entries or more."""
    expect_tensor(got, fn, part, dtype=want.dtype, shape=want.shape)
    what = f"{fn}: {part or 'the result'}"
    g, w = got.double(), want.double()
    info = torch.finfo(want.dtype)
    # one step of the low precision at each wanted value (the spacing above |w|)
    step = torch.exp2(torch.floor(torch.log2(w.abs().clamp_min(info.tiny)))) * info.eps
    if not bool(((g - w).abs() <= 2 * step).all()):
        raise AssertionError(f"{what} is more than two {want.dtype} steps away from the library's "
                             "float32 result, rounded once")
    share = float((g != w).double().mean()) if w.numel() else 0.0
    if share > max_share:
        raise AssertionError(f"{what} differs from the library's float32 result, rounded once to "
                             f"{want.dtype}, in {share:.0%} of the entries (at most "
                             f"{max_share:.0%} may): the arithmetic was done in {want.dtype}, not "
                             "in float32")
