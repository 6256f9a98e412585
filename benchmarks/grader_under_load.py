"""Does the grader ever fail correct code? Grade a correct solution of every chapter N times while
other processes keep every core busy, and time the grader on the reference, on the stubs, and on
the correct solution with and without its sandbox (bubblewrap against ``--sandbox none``, the same
workspace graded twice in a row, when idle).

    python benchmarks/grader_under_load.py                 # 10 runs under load (about 15 min)
    python benchmarks/grader_under_load.py --runs 2 --busy 0

A "correct solution" is a student.py that imports the library's solution of each step (what a
learner who solved everything hands in). The busy processes are plain Python loops, one per core,
at the same priority as the grader. Writes benchmarks/results/grader.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exercises import _sandbox  # noqa: E402
from exercises._spec import CHAPTERS  # noqa: E402
from exercises._try_practice import library_student  # noqa: E402


def spin():
    while True:
        pass


def solved_copy(where: Path) -> Path:
    """A copy of exercises/ and a workspace whose every student.py imports the library's solutions."""
    shutil.copytree(ROOT / "exercises", where / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "results*.json"))
    for folder in CHAPTERS:
        (where / "workspace" / folder).mkdir(parents=True, exist_ok=True)
        (where / "workspace" / folder / "student.py").write_text(library_student(folder))
    return where


def grade(cwd: Path, *args) -> tuple[dict, float, int]:
    out = cwd / "results.json"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "exercises.grade", "--out", str(out),
                           "--workspace", str(cwd / "workspace"), *args],
                          cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if not out.exists():
        raise SystemExit(f"the grader wrote no results (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(out.read_text()), seconds, proc.returncode


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--busy", type=int, default=os.cpu_count() or 2,
                    help="busy loops (default: one per core)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "grader.json"))
    ap.add_argument("--sandbox", choices=_sandbox.SANDBOXES,
                    default="bwrap" if _sandbox.available() else "none",
                    help="the grader's sandbox for the runs under load (default: bwrap if it works)")
    args = ap.parse_args(argv)
    record = {"cpu_count": os.cpu_count(), "busy_processes": args.busy, "sandbox": args.sandbox,
              "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        # idle: the grader's own time on the reference and on the untouched stubs
        stubs = Path(tmp) / "stubs"
        shutil.copytree(ROOT / "exercises", stubs / "exercises",
                        ignore=shutil.ignore_patterns("__pycache__", "results*.json"))
        sandbox = ("--sandbox", args.sandbox)
        ref, ref_s, _ = grade(stubs, "--impl", "reference", *sandbox)
        stub, stub_s, _ = grade(stubs, "--workspace", str(stubs / "exercises"), *sandbox)  # templates
        record["idle"] = {"reference_seconds": round(ref_s, 1), "reference_score": ref["score"],
                          "stubs_seconds": round(stub_s, 1), "stubs_score": stub["score"],
                          "max_score": ref["max_score"]}
        print(f"idle: reference {ref['score']}/{ref['max_score']} in {ref_s:.0f} s; "
              f"stubs {stub['score']}/{stub['max_score']} in {stub_s:.0f} s", flush=True)
        solved = solved_copy(Path(tmp) / "solved")
        if _sandbox.available():             # the sandbox's cost: one workspace, both modes
            record["idle"]["solved_seconds"] = {}
            for mode in ("bwrap", "none"):
                result, seconds, code = grade(solved, "--sandbox", mode)
                assert code == 0, (mode, result["score"])
                record["idle"]["solved_seconds"][mode] = round(seconds, 1)
                print(f"idle, correct solution, --sandbox {mode}: {result['score']}/"
                      f"{result['max_score']} in {seconds:.0f} s", flush=True)
        busy = [mp.Process(target=spin, daemon=True) for _ in range(args.busy)]
        for p in busy:
            p.start()
        try:
            for i in range(args.runs):
                result, seconds, code = grade(solved, *sandbox)
                lost = [f for s in result["steps"] for f in s["failures"]]
                record["runs"].append({"score": result["score"], "max_score": result["max_score"],
                                       "seconds": round(seconds, 1), "exit_code": code, "lost": lost})
                print(f"run {i + 1}/{args.runs} under load: {result['score']}/{result['max_score']} "
                      f"in {seconds:.0f} s" + (f"; lost: {lost}" if lost else ""), flush=True)
        finally:
            for p in busy:
                p.terminate()
    full = sum(r["score"] == r["max_score"] and r["exit_code"] == 0 for r in record["runs"])
    record["full_marks"] = f"{full}/{args.runs}"
    print(f"full marks under load: {full} of {args.runs} runs")
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
