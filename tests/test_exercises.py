"""The exercises are honest: their tests pass on the library, fail on the untouched stubs, and the
stubs have the library's signatures and docstrings. The grader scores, and survives bad code."""

import importlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exercises._impl import load_student
from exercises._make_students import student_source
from exercises._spec import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent


def _grade(args, cwd=ROOT, timeout=300):
    out = Path(cwd) / "results_test.json"
    proc = subprocess.run([sys.executable, "-m", "exercises.grade", "--out", str(out), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(out.read_text())
    out.unlink()
    return proc, result


def test_every_exercise_test_passes_on_the_library():
    proc, result = _grade(["--impl", "reference"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["score"] == result["max_score"] >= 40
    assert all(s["max_score"] >= 1 for s in result["steps"])           # every step is tested


def test_every_exercise_test_fails_on_the_stubs():
    proc, result = _grade([])
    assert proc.returncode == 1 and result["score"] == 0
    for step in result["steps"]:
        number = step["marker"][2:].replace("_", ".")
        assert len(step["failures"]) == step["max_score"] >= 1
        # each fails because its own stub is not written yet, not for some unrelated reason
        assert all(f"Exercise {number}:" in msg for msg in step["failures"]), step


@pytest.mark.parametrize("folder", list(CHAPTERS))
def test_stubs_match_the_library(folder):
    student = load_student(folder)
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


def test_the_grader_scores_partial_work_and_survives_bad_code(tmp_path):
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    student = tmp_path / "exercises" / "01_tokenizer" / "student.py"
    student.write_text(student.read_text() + (
        "\n\nfrom minillada.bpe import merge  # noqa: E402,F811  (step 2 solved)\n\n\n"
        "def get_pair_counts(chunks):  # noqa: F811  (step 1: never returns)\n"
        "    while True:\n        pass\n\n\n"
        "def learn_merges(chunks, num_merges, first_id=260, verbose=False):  # noqa: F811\n"
        "    return 42  # step 3: nonsense\n"))
    proc, result = _grade(["--chapter", "01_tokenizer", "--timeout", "2"], cwd=tmp_path)
    by_step = {s["marker"]: s for s in result["steps"]}
    assert by_step["ex1_2"]["score"] == by_step["ex1_2"]["max_score"] == 2
    assert by_step["ex1_1"]["score"] == 0
    assert any("longer than 2 s" in m for m in by_step["ex1_1"]["failures"])
    assert by_step["ex1_3"]["score"] == 0
    assert result["score"] == 2 and result["max_score"] == 6
    assert "Total: 2/6" in proc.stdout
