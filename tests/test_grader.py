"""The grader against hostile and broken student code: every run finishes, scores honestly, says
why each point was lost, writes results.json that matches its table, and exits non-zero when it
could not grade.

Each case writes a chapter-1 ``student.py`` (3 steps, 6 checks, the fastest chapter) into the
workspace of a scratch copy of ``exercises/`` and the library and runs ``python -m exercises.grade``
there in a child process, under bubblewrap where it is installed (``--sandbox none`` elsewhere;
the cases that are about the sandbox run in both modes, the bubblewrap one skipped without it).
"""

import json
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from exercises import _sandbox

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = "bwrap" if _sandbox.available() else "none"      # what every other case runs under
MODES = [pytest.param("bwrap", marks=pytest.mark.skipif(
             not _sandbox.available(), reason="bubblewrap is not installed (apt-get install bubblewrap)")),
         "none"]

SOLVED = {   # a correct solution of each chapter-1 step, as a learner might import it
    "get_pair_counts": "from minillada.bpe import get_pair_counts  # noqa",
    "merge": "from minillada.bpe import merge  # noqa",
    "learn_merges": "from minillada.bpe import learn_merges  # noqa",
}


def student(header="", **steps) -> str:
    """A chapter-1 student.py: ``header`` at import time, then each step's code (default: the
    library's solution)."""
    body = [textwrap.dedent(header)]
    for name, solved in SOLVED.items():
        body.append(textwrap.dedent(steps.get(name, solved)))
    return "from collections import Counter  # noqa\nimport os, sys  # noqa\n\n" + "\n\n".join(body)


def course(tmp_path) -> Path:
    """A scratch project: copies of ``exercises/`` and the library, which the grader run in it
    imports (its folder comes first on ``sys.path``), so that an attack reaches only the copies."""
    root = tmp_path / "course"
    if not root.exists():
        for folder in ("exercises", "minillada"):
            shutil.copytree(ROOT / folder, root / folder,
                            ignore=shutil.ignore_patterns("__pycache__", "results*.json"))
    return root


def grade(tmp_path, source, *extra, chapter="01_tokenizer", sandbox=SANDBOX):
    """Run the grader on a scratch copy whose chapter-1 student.py is ``source``; returns
    (exit code, stdout + stderr, results.json or None)."""
    root = course(tmp_path)
    (root / "workspace" / "01_tokenizer").mkdir(parents=True, exist_ok=True)
    (root / "workspace" / "01_tokenizer" / "student.py").write_text(source)
    out = root / "results.json"
    proc = subprocess.run([sys.executable, "-m", "exercises.grade", "--chapter", chapter,
                           "--floor", "3", "--out", str(out), "--workspace",
                           str(root / "workspace"), "--sandbox", sandbox, *extra],
                          cwd=root, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text()) if out.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, result


def steps_of(result):
    return {s["marker"]: s for s in result["steps"]}


def assert_table_matches(text, result):
    total = re.search(r"Total: (\d+)/(\d+)", text)
    assert total and (int(total[1]), int(total[2])) == (result["score"], result["max_score"])


def test_a_correct_solution_scores_full_marks(tmp_path):
    code, text, result = grade(tmp_path, student())
    assert code == 0, text
    assert result["score"] == result["max_score"] == 6 and result["graded"]
    assert_table_matches(text, result)


def test_hangs_and_exits_inside_functions_cost_only_their_checks(tmp_path):
    source = student(
        get_pair_counts="""
            def get_pair_counts(chunks):      # an endless loop that swallows every Exception
                while True:
                    try:
                        sum(range(10**6))
                    except Exception:
                        pass
            """,
        merge="""
            def merge(ids, pair, new_id):     # ends the process without a word
                os._exit(0)
            """)
    code, text, result = grade(tmp_path, source)
    by = steps_of(result)
    assert code == 1 and result["score"] == 2
    assert by["ex1_1"]["score"] == 0 and all("longer than its limit" in f for f in by["ex1_1"]["failures"])
    assert by["ex1_2"]["score"] == 0
    assert all("exited with code 0 before reporting" in f for f in by["ex1_2"]["failures"])
    assert by["ex1_3"]["score"] == 2                   # a fresh process after each kill
    assert_table_matches(text, result)


def test_tampering_with_the_test_machinery_changes_nothing(tmp_path):
    # at import time: fake pytest's reports, make every comparison true, plant a results.json at
    # exit; each step then leaves the process its own way
    header = """
        import atexit, json
        import torch
        import _pytest.reports
        _pytest.reports.TestReport.passed = property(lambda self: True)
        _pytest.reports.TestReport.failed = property(lambda self: False)
        torch.allclose = torch.equal = lambda *a, **k: True
        Counter.__eq__ = lambda self, other: True
        atexit.register(lambda: open(os.path.join(os.environ.get("PWD", "."), "results.json"), "w")
                        .write(json.dumps({"score": 6, "max_score": 6})))
        """
    source = student(
        header,
        get_pair_counts="""
            def get_pair_counts(chunks):
                sys.exit(0)
            """,
        merge="""
            def merge(ids, pair, new_id):
                import pytest
                pytest.exit("all done", returncode=0)
            """,
        learn_merges="""
            def learn_merges(chunks, num_merges, first_id=260, verbose=False):
                return [bytearray(10**11) for _ in range(10)]      # 100 GB at a time
            """)
    code, text, result = grade(tmp_path, source)
    by = steps_of(result)
    assert code == 1 and result["score"] == 0, text
    assert all("sys.exit(0)" in f for f in by["ex1_1"]["failures"])
    assert all("pytest.exit()" in f for f in by["ex1_2"]["failures"])
    assert all("MemoryError" in f for f in by["ex1_3"]["failures"])
    assert_table_matches(text, result)


@pytest.mark.parametrize("header, reason", [
    ("while True:\n    pass\n", "importing student.py took longer than"),
    ("os._exit(0)\n", "exited with code 0"),
    ("def oops(:\n    pass\n", "could not be imported: SyntaxError"),
    ("raise SystemExit(3)\n", "could not be imported: the code called sys.exit(3)"),
])
def test_broken_imports_score_zero_with_the_reason(tmp_path, header, reason):
    code, text, result = grade(tmp_path, student(header))
    assert code == 1 and result["score"] == 0 and result["max_score"] == 6
    for step in result["steps"]:
        assert all(reason in f for f in step["failures"]), step["failures"]
    assert reason in text


def test_deleted_or_edited_tests_are_reported_and_not_graded(tmp_path):
    tests = course(tmp_path) / "exercises" / "01_tokenizer" / "test_ex1_tokenizer.py"
    text = tests.read_text()
    # delete the checks of step 1.2: its points are not silently dropped
    start = text.index("# ---- 1.2")
    end = text.index("# ---- 1.3")
    tests.write_text(text[:start] + text[end:])
    code, out, result = grade(tmp_path, student())
    by = steps_of(result)
    assert code == 2 and not result["graded"] and "NOT GRADED" in out
    assert by["ex1_2"]["max_score"] == 2 and by["ex1_2"]["score"] == 0
    assert all("missing" in f for f in by["ex1_2"]["failures"])
    tests.unlink()                                          # the whole file
    code, out, result = grade(tmp_path, student())
    assert code == 2 and result["score"] == 0 and result["max_score"] == 6


def test_bad_arguments_fail_clearly(tmp_path):
    code, text, result = grade(tmp_path, student(), chapter="99_nothing")
    assert code == 2 and "unknown chapter" in text and result is None
    assert "Traceback" not in text


# ---- a value that claims to equal anything (issue 19, item 8) ---------------------------------
# A judge compares plain data: the probe's result crosses to the grader as JSON, so a tuple
# subclass arrives as a tuple, a Counter subclass as a Counter, and any other object as a
# placeholder that equals nothing. The student object's own __eq__ never runs in a judge.

ALWAYS_EQUAL = """
    class AlwaysEqual{base}:
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = object.__hash__
    """


@pytest.mark.parametrize("base, value", [
    ("", "AlwaysEqual()"),
    ("(tuple)", "AlwaysEqual((0,))"),
    ("(list)", "AlwaysEqual([0])"),
    ("(int)", "AlwaysEqual(0)"),
    ("(str)", "AlwaysEqual('x')"),
    ("(Counter)", "AlwaysEqual({(0, 0): 1})"),
])
def test_an_always_equal_value_fails_every_check_of_its_step(base, value):
    """In-process, as ``pytest exercises`` judges: each step in turn returns the object; that
    step's 2 checks fail, the other 4 pass."""
    import importlib.util
    import types
    from collections import Counter

    from exercises._checks import checks_in, roundtrip, run_probe
    from minillada import bpe
    spec = importlib.util.spec_from_file_location(
        "ex1_checks", ROOT / "exercises" / "01_tokenizer" / "test_ex1_tokenizer.py")
    checks = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():              # the step markers are registered in exercises/ only
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        spec.loader.exec_module(checks)
    namespace = {"Counter": Counter}
    exec(textwrap.dedent(ALWAYS_EQUAL.format(base=base)), namespace)
    for step, name in (("1.1", "get_pair_counts"), ("1.2", "merge"), ("1.3", "learn_merges")):
        ex = types.SimpleNamespace(**{n: getattr(bpe, n) for n in SOLVED})
        setattr(ex, name, lambda *args, **kwargs: eval(value, namespace))
        passed = []
        for judge, param in checks_in(checks).values():
            try:
                got = roundtrip(run_probe(judge, param, ex))
                judge(got) if param is None else judge(got, param)
                passed.append(judge.step)
            except Exception:               # noqa: BLE001 (a failed check, whatever the error)
                pass
        assert step not in passed and len(passed) == 4, (name, passed)


def test_the_grader_scores_an_always_equal_value_as_wrong(tmp_path):
    """The reported case, end to end: merge returns an object equal to everything; 4/6, not 6/6."""
    source = student(merge=ALWAYS_EQUAL.format(base="") + """
        def merge(ids, pair, new_id):
            return AlwaysEqual()
        """)
    code, text, result = grade(tmp_path, source)
    assert code == 1 and result["score"] == 4, text
    assert steps_of(result)["ex1_2"]["score"] == 0
    assert_table_matches(text, result)


# ---- student code cannot change what judges it (issue 31) -----------------------------------
# Each attack runs at import time of a student.py whose three steps are the untouched stubs, and
# tries each write in a ``try`` (so the import succeeds whether or not the write does). It aims at
# the project's files (found from the workspace: <project>/workspace/01_tokenizer/student.py) and
# at the copy the child itself imported. Under bubblewrap every write fails and the stubs score
# 0/6 (exit 1); in the weaker mode the writes land in the project and the pristine copy, and the
# run is NOT GRADED (exit 2) with each changed file named.

STUBS = {name: f"""
    def {name}(*args, **kwargs):
        raise NotImplementedError("stub")
    """ for name in SOLVED}

WRITER = """
    import pathlib
    PROJECT = pathlib.Path(__file__).resolve().parents[2]
    LOADED = pathlib.Path(sys.modules["exercises"].__file__).resolve().parent   # the child's copy

    def write(path, text, mode="a"):
        try:
            with open(path, mode) as f:
                f.write(text)
        except OSError as e:
            print("refused:", path, e)
    """

HOOK = '''
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
'''


def attacked(header: str) -> str:
    return student(textwrap.dedent(WRITER) + textwrap.dedent(header), **STUBS)


def assert_judged_honestly(sandbox, code, text, result, changed):
    """The stubs score 0/6; under bubblewrap nothing changed (exit 1); in the weaker mode each of
    ``changed`` is named, nothing is judged, and the run is not graded (exit 2)."""
    assert result["score"] == 0 and result["max_score"] == 6, text
    assert result["sandbox"] == sandbox
    failures = [f for s in result["steps"] for f in s["failures"]]
    if sandbox == "bwrap":
        assert code == 1 and result["graded"] and result["tampered"] == [], text
        assert all("NotImplementedError: stub" in f for f in failures), text
    else:
        assert code == 2 and not result["graded"] and "NOT GRADED" in text, text
        assert all("not judged" in f for f in failures), text
        for name in changed:
            assert name in result["tampered"], (name, result["tampered"])


@pytest.mark.parametrize("sandbox", MODES)
def test_a_conftest_hook_planted_at_import_passes_nothing(tmp_path, sandbox):
    conftest = ROOT / "exercises" / "conftest.py"
    header = """
        for folder in (PROJECT / "exercises", LOADED):
            write(folder / "conftest.py", HOOK)
        """
    source = attacked(f"HOOK = {HOOK!r}\n" + textwrap.dedent(header))   # HOOK: the file's text
    code, text, result = grade(tmp_path, source, sandbox=sandbox)
    assert_judged_honestly(sandbox, code, text, result, [
        "exercises/conftest.py (changed)",
        "exercises/conftest.py (changed) (in the grader's pristine copy)"])
    planted = (course(tmp_path) / "exercises" / "conftest.py").read_text() != conftest.read_text()
    assert planted == (sandbox == "none")


@pytest.mark.parametrize("sandbox", MODES)
def test_a_test_file_rewritten_at_import_is_not_what_judges(tmp_path, sandbox):
    header = """
        for folder in (PROJECT / "exercises", LOADED):
            write(folder / "01_tokenizer" / "test_ex1_tokenizer.py", "def test_x():\\n    pass\\n", "w")
        """
    code, text, result = grade(tmp_path, attacked(header), sandbox=sandbox)
    assert_judged_honestly(sandbox, code, text, result,
                           ["exercises/01_tokenizer/test_ex1_tokenizer.py (changed)"])


def processes_running(token: str) -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if token in cmdline:
            out.append(f"{entry.name}: {cmdline}")
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sandbox", MODES)
def test_processes_that_leave_the_process_group_die_with_the_run(tmp_path, sandbox):
    token = f"60{secrets.randbelow(10**6)}.5"            # a unique argument to find them by
    header = f"""
        import subprocess
        subprocess.Popen(["sleep", "{token}"], start_new_session=True)
        if os.fork() == 0:                      # a second escape: fork, then a session of its own
            os.setsid()
            os.execvp("sleep", ["sleep", "{token}"])
        """
    code, text, result = grade(tmp_path, attacked(header), sandbox=sandbox)
    assert code == 1 and result["score"] == 0 and result["graded"], text
    for _ in range(50):                          # the kernel ends a PID namespace asynchronously
        if not processes_running(token):
            break
        time.sleep(0.1)
    assert processes_running(token) == []


@pytest.mark.parametrize("sandbox", MODES)
def test_writes_into_the_project_and_tmp_do_not_stay_or_change_later_runs(tmp_path, sandbox):
    planted_tmp = Path("/tmp") / f"planted-{secrets.token_hex(8)}.txt"
    header = f"""
        write(PROJECT / "planted.txt", "x", "w")
        write("{planted_tmp}", "x", "w")
        write(PROJECT / "minillada" / "__init__.py", "\\nPLANTED = 1\\n")
        write(LOADED.parent / "minillada" / "__init__.py", "\\nPLANTED = 1\\n")
        """
    try:
        code, text, result = grade(tmp_path, attacked(header), sandbox=sandbox)
        assert_judged_honestly(sandbox, code, text, result, [
            "planted.txt (added)", "minillada/__init__.py (changed)",
            "minillada/__init__.py (changed) (in the grader's pristine copy)"])
        root = course(tmp_path)
        assert (root / "planted.txt").exists() == (sandbox == "none")
        if sandbox == "bwrap":
            assert not planted_tmp.exists()
        # the next run, on a correct solution
        code, text, result = grade(tmp_path, student(), sandbox=sandbox)
        if sandbox == "bwrap":
            assert code == 0 and result["score"] == 6 and result["graded"], text
        else:                                   # the changed library differs from the manifest
            assert code == 2 and result["library_modified"] == ["minillada/__init__.py (changed)"]
            assert "git checkout minillada" in text
    finally:
        planted_tmp.unlink(missing_ok=True)
