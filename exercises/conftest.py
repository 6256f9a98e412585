"""pytest plumbing for the exercises: ``--impl``, the ``ex`` fixture, step markers, a time limit.

    pytest exercises                       # your stubs (exercises/*/student.py)
    pytest exercises --impl=reference      # the library's solutions: every test passes
    pytest exercises -m ex3_2              # the tests of one step
"""

import signal

import pytest

from exercises._impl import IMPLS, load
from exercises._spec import CHAPTERS

# the stubs' doctests are the library's examples: they would only repeat NotImplementedError
collect_ignore_glob = ["*/student.py", "_make_students.py"]


def pytest_addoption(parser):
    parser.addoption("--impl", choices=IMPLS, default="student",
                     help="test the learner's student.py files (default) or the library")
    parser.addoption("--ex-timeout", type=float, default=30.0,
                     help="seconds a single exercise test may run before it fails")


def pytest_configure(config):
    for number, _title, steps in CHAPTERS.values():
        for step, _, name, _ in steps:
            config.addinivalue_line("markers", f"ex{number}_{step}: exercise {number}.{step} ({name})")


@pytest.fixture(scope="module")
def ex(request):
    """The chapter's implementation under test: ``ex.merge``, ``ex.RMSNorm``, ..."""
    return load(request.path.parent, request.config.getoption("impl"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fail a test that runs longer than --ex-timeout (a loop that never ends, say)."""
    limit = item.config.getoption("ex_timeout")
    if not hasattr(signal, "SIGALRM") or limit <= 0:       # no alarms on Windows: no limit
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"the test ran longer than {limit:g} s (an endless loop?)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
