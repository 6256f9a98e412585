"""Mutation testing of the exercise tests: does each plausible student mistake fail its step?

An exercise test is worth the mistakes it catches. The catalogues (``_mutants_a.py`` for chapters
1-3, ``_mutants_b.py`` for chapters 4-6) list single changes to the library's solutions, written
the way learners err: a missing 1/t, the wrong triangle, the global random generator instead of
the one passed in. For each mutant we

1. take the library's source of the named function (or class), apply the one change, and execute
   it in a fresh module in which the whole library module has been re-run (so that every function
   there shares one set of globals and the checks can swap what they call, as in a learner's
   ``student.py``); when the change is in a private helper, the step's own function is
   re-executed there too, so that it calls the mutated helper;
2. write a ``student.py`` in which every exercise of the chapter is the library's solution except
   the mutated one, into a scratch copy of ``exercises/``;
3. run that step's tests in a child process. The mutant is *caught* when a test fails, *survives*
   when they all pass, and is *broken* (a catalogue bug) when the tests cannot even run.

    python -m exercises.mutation                    # every mutant: survivors and the score
    python -m exercises.mutation --step 4.3         # the mutants of one step
    python -m exercises.mutation --catalogue a      # chapters 1-3 only
    python -m exercises.mutation --min-score 95     # what CI runs: exit 1 below 95% caught
"""

from __future__ import annotations

import __future__
import argparse
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from exercises._spec import CHAPTERS

HERE = Path(__file__).resolve().parent
CATALOGUES = {"a": "exercises._mutants_a", "b": "exercises._mutants_b"}


@dataclass
class Mutant:
    step: str            # "4.3"
    module: str          # where the changed source lives: "minillada.likelihood"
    name: str            # the function or class whose source changes (the step's, or its helper)
    old: str             # text that occurs exactly once in that source
    new: str             # what the learner wrote instead
    why: str             # the mistake, in words

    @property
    def folder(self) -> str:
        chapter = int(self.step.split(".")[0])
        return next(f for f, (number, _, _) in CHAPTERS.items() if number == chapter)

    @property
    def step_name(self) -> str:
        """The exercise function of the step (``log_likelihood`` for 4.3)."""
        number = int(self.step.split(".")[1])
        return next(name for s, _, name, _ in CHAPTERS[self.folder][2] if s == number)

    @property
    def marker(self) -> str:
        return "ex" + self.step.replace(".", "_")


def load_catalogue(letters=tuple(CATALOGUES)) -> list[Mutant]:
    return [Mutant(*row) for letter in letters
            for row in importlib.import_module(CATALOGUES[letter]).MUTANTS]


def source_of(module: str, name: str) -> str:
    return textwrap.dedent(inspect.getsource(getattr(importlib.import_module(module), name)))


def mutated_source(m: Mutant) -> str:
    """The changed source; raises ValueError unless ``old`` occurs exactly once."""
    src = source_of(m.module, m.name)
    count = src.count(m.old)
    if count != 1:
        raise ValueError(f"mutant {m.step} {m.why!r}: {m.old!r} occurs {count} times in "
                         f"{m.module}.{m.name}, not once")
    if m.new == m.old:
        raise ValueError(f"mutant {m.step} {m.why!r} changes nothing")
    return src.replace(m.old, m.new)


def student_source(m: Mutant) -> str:
    """A chapter ``student.py`` whose exercises are the library's, one of them mutated."""
    reference = {name: module for _, module, name, _ in CHAPTERS[m.folder][2]}
    step_module = reference[m.step_name]
    sources = [mutated_source(m)]
    if m.name != m.step_name:                      # a helper changed: rebuild the step around it
        if step_module != m.module:
            raise ValueError(f"mutant {m.step}: helper {m.name} lives in {m.module}, but "
                             f"{m.step_name} in {step_module}")
        sources.append(source_of(step_module, m.step_name))
    return textwrap.dedent(f'''\
        """A mutant of chapter {m.folder} (written by exercises/mutation.py): every exercise is the
        library's solution except {m.step_name}, which carries one mistake: {m.why}"""

        import importlib
        import inspect
        import sys
        import types

        REFERENCE = {reference!r}
        for _name, _module in REFERENCE.items():
            globals()[_name] = getattr(importlib.import_module(_module), _name)

        _library = importlib.import_module({m.module!r})
        _home = types.ModuleType("mutant_home")
        _home.__package__ = _library.__package__
        sys.modules["mutant_home"] = _home
        # the whole library module, re-run here: its functions share these globals, as the
        # functions of a learner's student.py share theirs
        exec(compile(inspect.getsource(_library), "<library copy>", "exec", dont_inherit=True),
             _home.__dict__)
        for _source in {sources!r}:
            exec(compile(_source, "<mutant {m.step}>", "exec",
                         flags={__future__.annotations.compiler_flag}, dont_inherit=True),
                 _home.__dict__)
        globals()[{m.step_name!r}] = _home.__dict__[{m.step_name!r}]
        ''')


def run_one(m: Mutant, timeout: float = 300.0) -> dict:
    """Run the step's tests against the mutant in a child process; returns a result row."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(HERE, Path(tmp) / "exercises",
                        ignore=shutil.ignore_patterns("__pycache__", "results*.json"))
        (Path(tmp) / "workspace" / m.folder).mkdir(parents=True)
        (Path(tmp) / "workspace" / m.folder / "student.py").write_text(student_source(m))
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MINILLADA_WORKSPACE": str(Path(tmp) / "workspace")}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", f"exercises/{m.folder}", "-m",
                                   m.marker, "-q", "-x", "-p", "no:cacheprovider", "--no-header"],
                                  cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
            code, tail = proc.returncode, (proc.stdout + proc.stderr)[-1500:]
        except subprocess.TimeoutExpired:
            code, tail = 1, f"timed out after {timeout:g} s"
    outcome = {0: "survived", 1: "caught"}.get(code, "broken")
    return {**asdict(m), "outcome": outcome, "returncode": code,
            "seconds": round(time.perf_counter() - t0, 1), "tail": tail if outcome != "caught" else ""}


def run(mutants: list[Mutant], workers: int = 2) -> list[dict]:
    for m in mutants:                               # every catalogue error before any test runs
        student_source(m)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run_one, mutants))


def summary(rows: list[dict]) -> str:
    caught = sum(r["outcome"] == "caught" for r in rows)
    lines = [f"{'step':<6}{'mutants':>8}{'caught':>8}"]
    for step in sorted({r["step"] for r in rows}, key=lambda s: tuple(map(int, s.split(".")))):
        mine = [r for r in rows if r["step"] == step]
        lines.append(f"{step:<6}{len(mine):>8}{sum(r['outcome'] == 'caught' for r in mine):>8}")
    lines.append(f"mutation score: {caught}/{len(rows)} caught ({100 * caught / max(len(rows), 1):.1f}%)")
    for r in rows:
        if r["outcome"] != "caught":
            lines.append(f"  {r['outcome'].upper()} {r['step']} {r['name']}: {r['why']}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--catalogue", choices=list(CATALOGUES), nargs="+", default=list(CATALOGUES))
    ap.add_argument("--step", nargs="+", default=None, help="only these steps, e.g. 4.3 5.2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None, help="write every result row to this JSON file")
    ap.add_argument("--min-score", type=float, default=None,
                    help="exit with code 1 unless at least this percentage is caught (CI: 95)")
    args = ap.parse_args(argv)
    mutants = [m for m in load_catalogue(args.catalogue) if not args.step or m.step in args.step]
    if not mutants:
        raise SystemExit("no mutant matches")
    t0 = time.perf_counter()
    rows = run(mutants, args.workers)
    print(summary(rows))
    print(f"{len(rows)} mutants in {time.perf_counter() - t0:.0f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    broken = [r for r in rows if r["outcome"] == "broken"]
    score = 100 * sum(r["outcome"] == "caught" for r in rows) / len(rows)
    if broken:
        print(f"{len(broken)} mutants could not be tested: a catalogue or test bug", file=sys.stderr)
        return 2
    if args.min_score is not None and score < args.min_score:
        print(f"mutation score {score:.1f}% is below the required {args.min_score:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
