"""The exercises are honest: their tests pass on the library, fail on the untouched stubs, and the
stubs have the library's signatures and docstrings. The grader scores, and survives bad code."""

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import math

import torch

from exercises import _manifest as manifest
from exercises import _sandbox
from exercises._checks import Raised, Unsupported, raises, roundtrip
from exercises._impl import TEMPLATES, load_student
from exercises._make_students import student_source
from exercises._spec import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent


def _grade(args, cwd=ROOT, timeout=300):
    """Run the grader (under bubblewrap where it is installed, else in the weaker mode)."""
    out = Path(cwd) / "results_test.json"
    sandbox = "bwrap" if _sandbox.available() else "none"
    proc = subprocess.run([sys.executable, "-m", "exercises.grade", "--out", str(out),
                           "--sandbox", sandbox, *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(out.read_text())
    out.unlink()
    return proc, result


def test_every_exercise_test_passes_on_the_library():
    proc, result = _grade(["--impl", "reference"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["score"] == result["max_score"] >= 60 and result["graded"]
    assert all(s["max_score"] >= 2 for s in result["steps"])           # every step is tested
    assert set(result["reference_seconds"]) == set(CHAPTERS)


def test_pytest_and_the_grader_judge_alike():
    """Run by pytest, each probe's result makes the grader's JSON round trip too."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "exercises", "--impl=reference", "-q",
                           "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    passed = int(proc.stdout.rsplit(" passed", 1)[0].split()[-1])
    assert passed == sum(len(c) for steps in manifest.load()["checks"].values()
                         for c in steps.values())


def test_the_manifest_is_current():
    assert manifest.load() == manifest.build(), "run: python -m exercises._manifest"
    n = sum(len(rows) for steps in manifest.load()["checks"].values() for rows in steps.values())
    assert f"{n} autograded checks" in (ROOT / "exercises" / "README.md").read_text()
    for folder, steps in manifest.load()["checks"].items():
        for rows in steps.values():
            for cid, points, doc in rows:
                assert points >= 1 and len(doc) > 20, f"{folder} {cid}: say what it checks"


@pytest.mark.parametrize("value", [
    [1, 2.5, "x", None, True, float("inf"), float("nan")], (1, (2, 3)),
    {(1, 2): 3}, torch.arange(6).reshape(2, 3), torch.randn(2, 2, dtype=torch.bfloat16),
    torch.tensor([True, False]), torch.tensor(float("-inf")), torch.zeros(0, 4)])
def test_the_json_round_trip_is_exact(value):
    got = roundtrip(value)
    if isinstance(value, torch.Tensor):
        assert got.dtype == value.dtype and got.shape == value.shape
        assert torch.equal(got.nan_to_num(), value.nan_to_num())
    elif isinstance(value, list):
        assert got[:6] == value[:6] and math.isnan(got[6])
    else:
        assert got == value and type(got) is type(value)


def test_the_json_round_trip_refuses_objects_and_keeps_errors():
    assert isinstance(roundtrip(torch.nn.Linear(2, 2)), Unsupported)
    err = roundtrip(raises(int, "x"))
    assert isinstance(err, Raised) and err.is_a("ValueError") and err.is_a("Exception")
    assert roundtrip(raises(int, "7")) == 7


def test_every_exercise_test_fails_on_the_stubs():
    proc, result = _grade(["--workspace", str(TEMPLATES)])         # the tracked stubs
    assert proc.returncode == 1 and result["score"] == 0
    for step in result["steps"]:
        number = step["marker"][2:].replace("_", ".")
        assert len(step["failures"]) == step["max_score"] >= 1
        # each fails because its own stub is not written yet, not for some unrelated reason
        assert all(f"Exercise {number}:" in msg for msg in step["failures"]), step


@pytest.mark.parametrize("folder", list(CHAPTERS))
def test_stubs_match_the_library(folder):
    student = load_student(folder, TEMPLATES)
    number, _, steps = CHAPTERS[folder]
    assert list(student.REFERENCE) == [name for _, _, name, _ in steps]
    for _step, module, name, _ in steps:
        mine, ref = getattr(student, name), getattr(importlib.import_module(module), name)
        pairs = [(mine, ref)]
        if inspect.isclass(ref):
            pairs += [(mine.__init__, ref.__init__), (mine.forward, ref.forward)]
        for a, b in pairs:
            assert inspect.signature(a) == inspect.signature(b), (name, a)
            first = (inspect.getdoc(b) or "").split("\n")[0]
            assert (inspect.getdoc(a) or "").split("\n")[0] == first, (name, a)
    # and the file is exactly what the generator writes from the library today
    path = ROOT / "exercises" / folder / "student.py"
    assert path.read_text() == student_source(folder), "run: python -m exercises._make_students"


def test_guides_name_every_step():
    for folder, (number, _, steps) in CHAPTERS.items():
        guide = (ROOT / "exercises" / folder / "GUIDE.md").read_text()
        for step, module, name, _ in steps:
            assert f"Step {step}" in guide and f"`{name}`" in guide
            assert f"-m ex{number}_{step}" in guide
            assert module.replace(".", "/") + ".py" in guide
