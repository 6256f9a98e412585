"""The grader: run every exercise's tests, print a score per step and chapter, write results.json.

    python -m exercises.grade                        # grade your student.py files
    python -m exercises.grade --chapter 03_masking   # one chapter
    python -m exercises.grade --impl reference       # the library: full marks

A step scores one point per test that passes. Student code that raises, returns nonsense or never
returns only loses that test's point: each test runs under a time limit (``--timeout`` seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from ._spec import CHAPTERS

HERE = Path(__file__).resolve().parent


class Collector:
    """A pytest plugin that records each test's step marker and outcome."""

    def __init__(self):
        self.step_of: dict[str, str] = {}
        self.outcome: dict[str, str] = {}
        self.message: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marks = [m.name for m in item.iter_markers() if m.name.startswith("ex")]
            if marks:
                self.step_of[item.nodeid] = marks[0]

    def pytest_runtest_logreport(self, report):
        """A test's outcome is its call's, unless a setup, call or teardown failed first."""
        if self.outcome.get(report.nodeid) == "failed":
            return
        if report.failed or report.when == "call":
            self.outcome[report.nodeid] = report.outcome
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                text = crash.message if crash is not None else str(report.longrepr)
                self.message[report.nodeid] = " ".join(text.split())[:200] or "failed"


def grade(impl: str = "student", chapters=None, timeout: float = 30.0, out=None,
          verbose: bool = True) -> dict:
    """Run the tests and return {"impl", "steps": [...], "score", "max_score"}."""
    chapters = chapters or list(CHAPTERS)
    for c in chapters:
        if c not in CHAPTERS:
            raise ValueError(f"unknown chapter {c!r}; choose from {list(CHAPTERS)}")
    collector = Collector()
    args = [str(HERE / c) for c in chapters] + [
        f"--impl={impl}", f"--ex-timeout={timeout}", "-p", "no:cacheprovider",
        "-p", "no:terminal", "-o", "addopts=", "--rootdir", str(HERE.parent)]
    code = pytest.main(args, plugins=[collector])
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR,
                pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"pytest could not run the exercise tests (exit code {code})")
    steps = []
    for folder in chapters:
        number, title, spec_steps = CHAPTERS[folder]
        for step, _module, name, _ in spec_steps:
            marker = f"ex{number}_{step}"
            tests = [t for t, m in collector.step_of.items() if m == marker]
            passed = sum(collector.outcome.get(t) == "passed" for t in tests)
            steps.append({"name": f"Exercise {number}.{step}: {name}", "chapter": folder,
                          "marker": marker, "score": passed, "max_score": len(tests),
                          "failures": [collector.message.get(t, "did not run") for t in tests
                                       if collector.outcome.get(t) != "passed"]})
    result = {"impl": impl, "steps": steps, "score": sum(s["score"] for s in steps),
              "max_score": sum(s["max_score"] for s in steps)}
    if verbose:
        print(report(result))
    if out is not None:
        Path(out).write_text(json.dumps(result, indent=1))
        if verbose:
            print(f"wrote {out}")
    return result


def report(result: dict) -> str:
    lines = []
    for folder in dict.fromkeys(s["chapter"] for s in result["steps"]):
        number, title, _ = CHAPTERS[folder]
        rows = [s for s in result["steps"] if s["chapter"] == folder]
        got, most = sum(s["score"] for s in rows), sum(s["max_score"] for s in rows)
        lines.append(f"\nChapter {number}: {title}  ({got}/{most})")
        for s in rows:
            mark = "ok " if s["score"] == s["max_score"] else "   "
            lines.append(f"  {mark} {s['name']:<48} {s['score']:>2}/{s['max_score']:<2}  "
                         f"(pytest exercises/{folder} -m {s['marker']})")
            if s["failures"]:
                lines.append(f"        first failure: {s['failures'][0]}")
    pct = 100 * result["score"] / max(result["max_score"], 1)
    lines.append(f"\nTotal: {result['score']}/{result['max_score']} ({pct:.0f}%)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--impl", choices=["student", "reference"], default="student")
    ap.add_argument("--chapter", action="append", help="a chapter folder, e.g. 03_masking")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per test")
    ap.add_argument("--out", default="results.json", help="where to write the scores")
    args = ap.parse_args(argv)
    try:
        result = grade(args.impl, args.chapter, args.timeout, args.out)
    except ValueError as e:
        print(f"exercises.grade: error: {e}", file=sys.stderr)
        return 2
    return 0 if result["score"] == result["max_score"] else 1


if __name__ == "__main__":
    sys.exit(main())
