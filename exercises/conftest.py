"""pytest plumbing for the exercises: ``--impl``, the ``ex`` and ``got`` fixtures, step markers.

    pytest exercises                       # your workspace (python -m exercises start made it)
    pytest exercises --workspace DIR       # another workspace
    pytest exercises --impl=reference      # the library's solutions: every test passes
    pytest exercises -m ex3_2              # the tests of one step

Each test is a *judge*: its argument ``got`` is the data that its *probe* returned after running
your code (see ``_checks.py``). Run by you, the probe runs right here; run by the grader, it ran in
a child process and ``got`` comes from the grader (``config.exercise_results``).
"""

import signal

import pytest

from exercises._checks import roundtrip, run_probe
from exercises._impl import IMPLS, load
from exercises._spec import CHAPTERS
from exercises.workspace import WorkspaceError

# the stubs' doctests are the library's examples: they would only repeat NotImplementedError
collect_ignore_glob = ["*/student.py", "_make_students.py"]


def pytest_addoption(parser):
    parser.addoption("--impl", choices=IMPLS, default="student",
                     help="test the learner's student.py files (default) or the library")
    parser.addoption("--workspace", default=None,
                     help="the workspace whose student.py files are tested (default: ./workspace "
                          "under the project, or $MINILLADA_WORKSPACE)")
    parser.addoption("--ex-timeout", type=float, default=60.0,
                     help="seconds a probe may run before its test fails (pytest runs only; "
                          "the grader enforces its own limits from outside)")


def pytest_configure(config):
    for number, _title, steps in CHAPTERS.values():
        for step, _, name, _ in steps:
            config.addinivalue_line("markers", f"ex{number}_{step}: exercise {number}.{step} ({name})")


@pytest.fixture(scope="module")
def ex(request):
    """The chapter's implementation under test: ``ex.merge``, ``ex.RMSNorm``, ..."""
    impl, workspace = request.config.getoption("impl"), request.config.getoption("workspace")
    try:
        return load(request.path.parent, impl, workspace)
    except WorkspaceError as e:
        pytest.exit(f"exercises: {e}", returncode=4)


@pytest.fixture
def got(request):
    """What the test's probe returned, after the JSON round trip the grader's data makes."""
    results = getattr(request.config, "exercise_results", None)
    judge = request.function
    param = request.node.callspec.params.get("param") if hasattr(request.node, "callspec") else None
    if results is not None:                           # the grader ran the probe in a child
        outcome = results.get((request.path.parent.name, request.node.name))
        if outcome is None:
            pytest.fail("the grader has no result for this check", pytrace=False)
        if "error" in outcome:
            pytest.fail(outcome["error"], pytrace=False)
        return outcome["value"]
    with _time_limit(request.config.getoption("ex_timeout")):
        return roundtrip(run_probe(judge, param, request.getfixturevalue("ex")))


class _time_limit:
    """Raise TimeoutError in a probe that runs longer than ``seconds`` (pytest runs; POSIX)."""

    def __init__(self, seconds):
        self.seconds = seconds if hasattr(signal, "SIGALRM") else 0

    def __enter__(self):
        if self.seconds > 0:
            def on_alarm(signum, frame):
                raise TimeoutError(f"the probe ran longer than {self.seconds:g} s (an endless loop?)")
            self.previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
