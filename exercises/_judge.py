"""The judging process: the chapters' tests decide each check from the probes' results.

    python -B -c "..." PRISTINE OUTCOMES.json VERDICTS.json FOLDER ...      (started by grade.py)

The grader starts this process after every child that ran student code is gone, from its pristine
copy (``_sandbox.pristine_copy``): ``exercises/``, its ``conftest.py`` and tests, and the library
are imported from there, never from the project folder a student process could have written to.
It reads the probes' JSON results from OUTCOMES.json, runs pytest on the copy's test files of the
given chapters, and writes ``[[folder, check id, passed, message], ...]`` to VERDICTS.json. It
never imports a ``student.py``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# Run by the grader as: python -B -c "$STARTER" PRISTINE OUTCOMES VERDICTS FOLDER...
STARTER = ("import sys; sys.path.insert(0, sys.argv[1]); "
           "from exercises._judge import main; sys.exit(main(sys.argv[2:]))")


class Verdicts:
    """A pytest plugin: hands each test the decoded probe result, records each verdict."""

    def __init__(self, outcomes: dict):
        self.outcomes = outcomes            # (folder, check id) -> {"value": decoded} | {"error"}
        self.verdict: dict = {}             # (folder, check id) -> (passed, message)

    def pytest_configure(self, config):
        config.exercise_results = self.outcomes

    def pytest_runtest_logreport(self, report):
        path, _, name = report.nodeid.partition("::")
        key = (Path(path).parent.name, name)
        if report.failed or (report.when == "call" and key not in self.verdict):
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                text = crash.message if crash is not None else str(report.longrepr)
                text = " ".join(text.split()).removeprefix("Failed: ")
                self.verdict[key] = (False, text[:300] or "failed")
            elif key not in self.verdict:
                self.verdict[key] = (report.passed, "" if report.passed else report.outcome)


def decode_outcomes(rows) -> dict:
    """``[[folder, id, outcome], ...]`` (values as the children's JSON text) -> decoded dict."""
    from exercises._checks import decode
    decoded = {}
    for folder, cid, outcome in rows:
        if "value" in outcome:
            try:
                decoded[folder, cid] = {"value": decode(json.loads(outcome["value"]))}
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                decoded[folder, cid] = {"error": f"the result could not be read back: {e}"}
        else:
            decoded[folder, cid] = outcome
    return decoded


def main(argv) -> int:
    import pytest

    outcomes_path, verdicts_path, *folders = argv
    here = Path(__file__).resolve().parent
    pristine = here.parent
    import minillada
    if pristine not in Path(minillada.__file__).resolve().parents:
        print(f"the judge imported the library from {minillada.__file__}, not from its pristine "
              f"copy {pristine}", file=sys.stderr)
        return 3
    plugin = Verdicts(decode_outcomes(json.loads(Path(outcomes_path).read_text())))
    files = [str(p) for f in folders for p in sorted((here / f).glob("test_*.py"))]
    if files:
        ini = Path(verdicts_path).parent / "judge.ini"      # stops pytest looking for others
        ini.write_text("[pytest]\n")
        code = pytest.main(files + ["-c", str(ini), "--rootdir", str(pristine),
                                    "--confcutdir", str(pristine), "-p", "no:cacheprovider",
                                    "-p", "no:terminal"], plugins=[plugin])
        if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR,
                    pytest.ExitCode.INTERRUPTED):
            print(f"pytest could not run the exercise tests (exit code {code})", file=sys.stderr)
            return 3
    rows = [[folder, cid, passed, message]
            for (folder, cid), (passed, message) in plugin.verdict.items()]
    tmp = Path(verdicts_path + ".tmp")
    tmp.write_text(json.dumps(rows))
    os.replace(tmp, verdicts_path)
    return 0
