"""The grader: score every exercise check, print a table per chapter, write results.json.

    python -m exercises.grade                        # grade your workspace (./workspace)
    python -m exercises.grade --workspace DIR        # or another one
    python -m exercises.grade --chapter 03_masking   # one chapter
    python -m exercises.grade --impl reference       # the library: full marks

How it decides, and why you can trust it:

1. **The manifest** (``_manifest.py``) lists every check of every step and its points. A check that
   gives no verdict (its test is missing, its probe hung, crashed or exited) scores 0 with the
   reason printed. The manifest also holds a fingerprint of each test file and of every library
   file: an edited test or library is reported, and the run counts as not graded (exit code 2).
2. **A pristine copy** (``_sandbox.py``): before any student code runs, ``exercises/`` and the
   library are copied to a private folder; the children and the judging process import only from
   there. After the last child is gone, the project's files (``exercises/``, the library, the
   project's top-level files) and the copy are fingerprinted again: any change made while student
   code ran is named, and the run is not graded (exit code 2).
3. **Your code runs in child processes** (``_child.py``), one per chapter, each in a bubblewrap
   sandbox (``--sandbox bwrap``, the default: every file read-only, a private ``/tmp``, no
   network, its own PID namespace, so that every process it starts dies with it) and under a
   memory limit. The grader sends one check at a time and kills the child when the check runs
   past its limit, then starts a fresh child for the next check. Import time counts. Without
   bubblewrap the grader refuses, unless ``--sandbox none`` asks for the weaker mode (2 and the
   process-group kill, no read-only files).
4. **Time limits are measured, not guessed**: before your code runs, the library's own solution
   runs the same probes in the same kind of child on this machine; a check's limit is
   ``max(--floor, --factor x the reference's time)``. A busy machine slows both alike.
5. **The verdicts are decided in a judging process** (``_judge.py``, pytest on the pristine copy's
   tests) that never imports ``student.py``, from the JSON data your code returned.
6. **results.json** is written by this process only, atomically, after every child is gone; it
   matches the printed table. Exit code: 0 full marks, 1 graded with points lost, 2 not graded.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._sandbox import (SANDBOXES, SandboxError, Watched, adopt_orphans, changes, find_bwrap,
                       kill_adopted, library_dir, pristine_copy, python_paths, sandbox_command)
from ._spec import CHAPTERS
from .workspace import WorkspaceError, default, student_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class GradingError(Exception):
    """The grader could not produce an honest score (exit code 2)."""


# ---------------------------------------------------------------------------------------------
# Running probes in a child process


@dataclass
class ChapterRun:
    """The probe outcomes of one chapter: ``outcomes[check_id] = {"value": json} | {"error": why}``
    and the seconds each probe took."""
    outcomes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    import_seconds: float | None = None


@dataclass
class Setup:
    """Where and how the children run: the grader's scratch folder, its pristine copy of
    ``exercises/`` and the library (the only place children import them from), the workspace,
    the sandbox ("bwrap" or "none") and the address-space limit."""
    workdir: Path
    pristine: Path
    workspace: Path | None = None
    sandbox: str = "bwrap"
    memory_gb: float = 4.0


class _Child:
    """One child process (in its own sandbox, or process group) and the pipe it reports on."""

    def __init__(self, folder: str, impl: str, setup: Setup):
        from ._child import STARTER
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "MINILLADA_WORKSPACE": str(setup.workspace or default())}
        env.pop("PYTHONPATH", None)         # the pristine copy comes first on sys.path
        argv = [sys.executable, "-B", "-c", STARTER, str(setup.pristine), folder, impl,
                str(write_fd), str(setup.memory_gb)]
        if setup.sandbox == "bwrap":
            readable = [setup.pristine, setup.workspace or default(), *python_paths()]
            argv = sandbox_command(argv, readable)
        self.log_path = setup.workdir / f"{folder}-{impl}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=setup.workdir, env=env, pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        self.fd, self.buffer = read_fd, b""

    def send(self, check_id: str) -> bool:
        try:
            self.proc.stdin.write((check_id + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def receive(self, limit: float):
        """The next JSON message, or "timeout" / "eof"."""
        deadline = time.monotonic() + limit
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return "timeout"
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return "eof"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return "garbled"
        return message if isinstance(message, dict) else "garbled"

    def why_it_ended(self) -> str:
        """The child's exit status and the last line it printed."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        if code is None:
            status = "closed its report channel"
        elif code < 0:
            status = f"was killed by signal {signal.Signals(-code).name}"
            if -code == signal.SIGKILL:
                status += " (out of memory?)"
        else:
            status = f"exited with code {code}"
        tail = self.log_path.read_bytes()[-2000:].decode(errors="replace").strip().splitlines()
        return status + (f"; its last output: {tail[-1][:200]}" if tail else "")

    def kill(self) -> None:
        try:
            # the child's group; under bwrap the sandbox then dies, and every process inside it
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for f in (self.proc.stdin, self.log):
            try:
                f.close()
            except OSError:
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def run_chapter(folder: str, impl: str, check_ids: list[str], limits: dict, import_limit: float,
                setup: Setup) -> ChapterRun:
    """Run the probes ``check_ids`` of one chapter in child processes, each under ``limits[id]``
    seconds; a child that hangs, dies or exits is replaced by a fresh one for the next check."""
    run, child = ChapterRun(), None
    for check_id in check_ids:
        if child is None:
            child = _Child(folder, impl, setup)
            hello = child.receive(import_limit)
            problem = None
            if hello == "timeout":
                problem = (f"importing student.py took longer than {import_limit:.0f} s "
                           "(a loop at import time?)")
            elif not isinstance(hello, dict) or "ready" not in hello:
                problem = ("student.py could not be imported: " + hello["import_error"]
                           if isinstance(hello, dict) and "import_error" in hello
                           else "the process importing student.py " + child.why_it_ended())
            if problem is not None:
                child.kill()
                for rest in check_ids[check_ids.index(check_id):]:
                    run.outcomes[rest] = {"error": problem}
                return run
            run.import_seconds = hello["ready"]
            library = hello.get("library")
            if impl == "reference" and not (library and setup.pristine in Path(library).parents):
                child.kill()
                raise GradingError(f"the checks imported the library from {library}, not from "
                                   f"the grader's pristine copy {setup.pristine}")
        t0 = time.monotonic()
        message = child.receive(limits[check_id]) if child.send(check_id) else "eof"
        if isinstance(message, dict) and message.get("check") == check_id and (
                "value" in message or "error" in message or "missing" in message):
            run.seconds[check_id] = time.monotonic() - t0
            if "missing" in message:
                run.outcomes[check_id] = {"missing": True}
            elif "error" in message:
                run.outcomes[check_id] = {"error": str(message["error"])}
            else:
                run.outcomes[check_id] = {"value": message["value"]}
            continue
        if message == "timeout":
            why = (f"ran longer than its limit of {limits[check_id]:.0f} s and was stopped "
                   "(an endless loop?)")
            child.kill()
        elif message == "eof":
            why = "the process running your code " + child.why_it_ended() + " before reporting"
        else:
            why = "the process running your code sent an unreadable report"
            child.kill()
        run.outcomes[check_id] = {"error": why}
        child = None
    if child is not None:
        child.kill()
    return run


# ---------------------------------------------------------------------------------------------
# Judging, in a process of its own that runs from the pristine copy


def judge(folders: list[str], outcomes: dict, setup: Setup) -> dict:
    """Run the chapters' tests on the probe outcomes in a fresh process started from the pristine
    copy (``_judge.py``); returns ``{(folder, check id): (passed, message)}``."""
    from ._judge import STARTER
    scratch = setup.workdir / "judge"
    scratch.mkdir()
    outcomes_path, verdicts_path = scratch / "outcomes.json", scratch / "verdicts.json"
    outcomes_path.write_text(json.dumps([[f, cid, o] for (f, cid), o in outcomes.items()]))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTHONPATH", None)
    try:
        proc = subprocess.run([sys.executable, "-B", "-c", STARTER, str(setup.pristine),
                               str(outcomes_path), str(verdicts_path), *folders],
                              cwd=scratch, env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise GradingError("the judging process (the exercise tests) ran for more than 900 s") from None
    if proc.returncode != 0 or not verdicts_path.exists():
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise GradingError(f"the exercise tests could not judge (exit {proc.returncode}): {tail[0]}")
    return {(f, cid): (passed, message)
            for f, cid, passed, message in json.loads(verdicts_path.read_text())}


# ---------------------------------------------------------------------------------------------
# The whole run


def grade(impl: str = "student", chapters=None, floor: float = 10.0, factor: float = 20.0,
          memory_gb: float = 4.0, out=None, verbose: bool = True, workspace=None,
          sandbox: str = "bwrap") -> dict:
    """Grade ``impl`` (the student files of ``workspace``, default :func:`workspace.default`)
    and return {"impl", "steps": [...], "score", "max_score", ...}; writes ``out`` (atomically)
    when given. ``sandbox="bwrap"`` runs student code under bubblewrap (``_sandbox.py``);
    ``"none"`` is the weaker mode. Raises GradingError when no honest score can be given."""
    from ._manifest import CHECKS, modified_library_files, modified_test_files

    chapters = list(chapters or CHAPTERS)
    for c in chapters:
        if c not in CHAPTERS:
            raise GradingError(f"unknown chapter {c!r}; choose from {list(CHAPTERS)}")
    if sandbox not in SANDBOXES:
        raise GradingError(f"--sandbox must be one of {SANDBOXES}, got {sandbox!r}")
    workspace = Path(workspace or default()).resolve()
    if impl == "student":
        for folder in chapters:
            try:
                student_file(workspace, folder)
            except WorkspaceError as e:
                raise GradingError(str(e)) from None
    try:
        if sandbox == "bwrap":
            find_bwrap()
        watched = Watched(ROOT, HERE, library_dir())
    except SandboxError as e:
        raise GradingError(str(e)) from None
    if out is not None and Path(out).exists():
        Path(out).unlink()                  # a stale or planted file never outlives this run
    t_start = time.monotonic()
    before = watched.snapshot()             # before any student code runs
    modified = modified_test_files(chapters)
    library_modified = modified_library_files()
    outcomes, reference_seconds = {}, {}
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        workdir = Path(workdir).resolve()
        pristine = pristine_copy(workdir / "pristine", HERE, watched.trees["minillada"])
        copied = watched.tree_snapshot(pristine)
        if copied != {k: v for k, v in before.items() if k.split("/")[0] in watched.trees}:
            raise GradingError("the pristine copy of exercises/ and the library differs from the "
                               "project (were they being edited?); run the grader again")
        setup = Setup(workdir, pristine, workspace, sandbox, memory_gb)
        adopting = sandbox == "none" and adopt_orphans()
        try:
            for folder in chapters:
                ids = [cid for step_checks in CHECKS[folder].values() for cid, _ in step_checks]
                if verbose:
                    print(f"grading {folder}: {len(ids)} checks ...", flush=True)
                ref = run_chapter(folder, "reference", ids, dict.fromkeys(ids, 600.0), 600.0, setup)
                failing = {cid: o["error"] for cid, o in ref.outcomes.items() if "error" in o}
                if failing:
                    cid, why = next(iter(failing.items()))
                    raise GradingError(f"the library's own solution fails probe {folder}::{cid} "
                                       f"on this machine ({why}); the limits cannot be calibrated")
                limits = {cid: max(floor, factor * ref.seconds.get(cid, 0.0)) for cid in ids}
                reference_seconds[folder] = sum(ref.seconds.values()) + (ref.import_seconds or 0.0)
                import_limit = max(3 * floor, 5 * (ref.import_seconds or 0.0))
                run = ref if impl == "reference" else run_chapter(folder, impl, ids, limits,
                                                                  import_limit, setup)
                outcomes.update({(folder, cid): o for cid, o in run.outcomes.items()
                                 if "missing" not in o})
        finally:
            if adopting:
                kill_adopted()              # processes that escaped a child's process group
        # every child is gone: did any of them change what judges it?
        tampered = watched.changes(before) + [
            f"{name} (in the grader's pristine copy)"
            for name in changes(copied, watched.tree_snapshot(pristine))]
        if tampered:                        # what would judge may itself have been changed
            verdicts = {key: (False, "not judged: files changed while student code ran (below)")
                        for key in outcomes}
        else:
            verdicts = judge(chapters, outcomes, setup)
    steps = []
    for folder in chapters:
        number, _title, spec_steps = CHAPTERS[folder]
        for step, _module, name, _ in spec_steps:
            key = f"{number}.{step}"
            checks = []
            for cid, points in CHECKS[folder].get(key, []):
                passed, message = verdicts.get((folder, cid), (False, None))
                if message is None:
                    message = (f"the check is missing from the tests of {folder} (restore them)"
                               if (folder, cid) not in outcomes else "did not run")
                checks.append({"check": cid, "points": points, "passed": passed,
                               "message": message})
            steps.append({"name": f"Exercise {key}: {name}", "chapter": folder,
                          "marker": f"ex{number}_{step}", "checks": checks,
                          "score": sum(c["points"] for c in checks if c["passed"]),
                          "max_score": sum(c["points"] for c in checks),
                          "failures": [f"{c['check']}: {c['message']}" for c in checks
                                       if not c["passed"]]})
    result = {"impl": impl, "workspace": str(workspace) if impl == "student" else None,
              "steps": steps, "score": sum(s["score"] for s in steps),
              "max_score": sum(s["max_score"] for s in steps),
              "tests_modified": modified, "library_modified": library_modified,
              "tampered": tampered, "sandbox": sandbox,
              "graded": not (modified or library_modified or tampered),
              "seconds": round(time.monotonic() - t_start, 1),
              "reference_seconds": {k: round(v, 2) for k, v in reference_seconds.items()}}
    if verbose:
        print(report(result))
    if out is not None:
        tmp = Path(out).with_name(Path(out).name + ".tmp")
        tmp.write_text(json.dumps(result, indent=1))
        os.replace(tmp, out)
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
            for failure in s["failures"][:2]:
                lines.append(f"        {failure[:160]}")
            if len(s["failures"]) > 2:
                lines.append(f"        ... and {len(s['failures']) - 2} more")
    pct = 100 * result["score"] / max(result["max_score"], 1)
    lines.append(f"\nTotal: {result['score']}/{result['max_score']} ({pct:.0f}%)")
    if result["tests_modified"]:
        lines.append("NOT GRADED: these test files differ from the manifest, so the score above "
                     "cannot be trusted: " + ", ".join(result["tests_modified"])
                     + " (restore them, e.g. with git checkout)")
    if result.get("library_modified"):
        lines.append("NOT GRADED: the library differs from the course's manifest, so the checks "
                     "would expect other answers: " + ", ".join(result["library_modified"])
                     + " (restore it, e.g. with git checkout minillada)")
    if result.get("tampered"):
        lines.append("NOT GRADED: while student code ran, these files changed: "
                     + ", ".join(result["tampered"]) + " (restore them, e.g. with git checkout)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--impl", choices=["student", "reference"], default="student")
    ap.add_argument("--chapter", action="append", help="a chapter folder, e.g. 03_masking")
    ap.add_argument("--workspace", default=None,
                    help="the workspace to grade (default: ./workspace under the project, or "
                         "$MINILLADA_WORKSPACE; python -m exercises start makes one)")
    ap.add_argument("--floor", type=float, default=10.0,
                    help="the smallest time limit of a check, in seconds (default 10)")
    ap.add_argument("--factor", type=float, default=20.0,
                    help="a check's limit is this many times the reference's time (default 20)")
    ap.add_argument("--memory-gb", type=float, default=4.0,
                    help="address-space limit of the processes running your code (0: none)")
    ap.add_argument("--out", default="results.json", help="where to write the scores")
    ap.add_argument("--sandbox", choices=SANDBOXES, default="bwrap",
                    help="bwrap (default): student code runs under bubblewrap, read-only, no "
                         "network, its own PID namespace; none: a weaker mode for machines "
                         "without it (exercises/README.md)")
    args = ap.parse_args(argv)
    try:
        if args.floor <= 0 or args.factor <= 0:
            raise GradingError("--floor and --factor must be positive")
        result = grade(args.impl, args.chapter, args.floor, args.factor, args.memory_gb, args.out,
                       workspace=args.workspace, sandbox=args.sandbox)
    except GradingError as e:
        print(f"exercises.grade: not graded: {e}", file=sys.stderr)
        return 2
    if not result["graded"]:
        return 2
    return 0 if result["score"] == result["max_score"] else 1


if __name__ == "__main__":
    sys.exit(main())
