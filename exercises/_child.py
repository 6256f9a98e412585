"""The grader's child process: import one chapter's implementation and run probes on request.

    python -B -c "$STARTER" PRISTINE 03_masking student FD [MEMORY_GB]      (started by grade.py)

It reads check ids from stdin, one per line, runs each check's probe (``_checks.py``) and writes
one JSON line per check to the file descriptor FD: ``{"check", "value"|"error", "seconds"}``.
Before the first it writes ``{"ready": seconds}`` (or ``{"import_error": ...}``). It decides
nothing: the grader judges the values, and kills this process (its whole sandbox, or process
group) when a probe takes too long, so nothing here needs to be trusted. PRISTINE is the grader's
copy of ``exercises/`` and the library (``_sandbox.pristine_copy``): this process imports the
checks and the library from there, and the learner's code from the workspace.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

# Run by the grader as: python -B -c "$STARTER" PRISTINE FOLDER IMPL FD [MEMORY_GB]
STARTER = ("import sys; sys.path.insert(0, sys.argv[1]); "
           "from exercises._child import run; run(sys.argv[2:])")


def _send(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _describe(exc: BaseException) -> str:
    """One line for the grade table: the exception and where in the learner's code it arose."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith("student.py"):
            where = f" (student.py, line {frame.lineno}, in {frame.name})"
            break
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({exc.code!r})"
    elif type(exc).__name__ == "Exit":
        text = f"the code called pytest.exit() ({exc})"
    return text[:300] + where


def main(argv) -> None:
    folder, impl, fd = argv[:3]
    fd = int(fd)
    memory_gb = float(argv[3]) if len(argv) > 3 else 0
    import resource
    if memory_gb > 0:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # no file it writes (its printed output included) may pass 64 MB: a print loop cannot fill the disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    t0 = time.perf_counter()
    try:
        import importlib.util
        from pathlib import Path

        from exercises._checks import checks_in, dumps, run_probe
        from exercises._impl import load
        here = Path(__file__).resolve().parent / folder
        checks = {}
        for test_file in sorted(here.glob("test_*.py")):        # none: every check is missing
            spec = importlib.util.spec_from_file_location(f"checks_{folder}", test_file)
            tests = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(tests)
            checks.update(checks_in(tests))
        ex = load(folder, impl)
    except BaseException as e:                                    # noqa: BLE001 (reported)
        _send(fd, {"import_error": _describe(e)})
        return
    library = sys.modules.get("minillada")
    _send(fd, {"ready": time.perf_counter() - t0, "library": getattr(library, "__file__", None)})
    for line in sys.stdin:
        check_id = line.strip()
        t0 = time.perf_counter()
        if check_id not in checks:
            _send(fd, {"check": check_id, "missing": True, "seconds": 0.0})
            continue
        try:
            judge, param = checks[check_id]
            message = {"check": check_id, "value": dumps(run_probe(judge, param, ex))}
        except BaseException as e:                                # noqa: BLE001 (reported)
            message = {"check": check_id, "error": _describe(e)}
        message["seconds"] = time.perf_counter() - t0
        _send(fd, message)


def run(argv) -> None:
    main(argv)
    sys.stdout.flush()
    os._exit(0)        # skip interpreter shutdown: atexit hooks of the probed code do not run
