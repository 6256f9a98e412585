"""Run a chapter's practice edition in a scratch workspace, in fast mode (for maintainers and tests).

    python -m exercises._try_practice 03_masking                   # with the untouched stubs
    python -m exercises._try_practice 03_masking --student library # a student.py that is correct
    python -m exercises._try_practice 03_masking --student my.py   # any student.py

The practice notebook is generated from today's lesson (not read from ``notebooks/practice/``), so
a lesson being edited can be tried before ``_make_practice`` is run. Exits non-zero, with the
failing cell's error, when the notebook does not run to the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ._execute_lessons import run_notebook
from ._make_practice import LESSONS, dumps, practice_notebook
from ._spec import CHAPTERS

HERE = Path(__file__).resolve().parent


def library_student(folder: str) -> str:
    """A student.py whose every exercise is the library's own (a correct solution, not a stub)."""
    steps = CHAPTERS[folder][2]
    lines = [f"from {module} import {name}  # noqa: F401" for _, module, name, _ in steps]
    refs = ", ".join(f"{name!r}: {module!r}" for _, module, name, _ in steps)
    return "\n".join(lines) + f"\n\nREFERENCE = {{{refs}}}\n"


def run(folder: str, student: str | None = None, workdir=None, timeout: int = 300):
    """Execute the practice edition of ``folder`` beside ``student`` (the source of a student.py;
    None: the tracked stub) in fast mode; returns the executed notebook (nbformat)."""
    import nbformat

    lesson = next(LESSONS.glob(f"{folder}.ipynb"))
    where = Path(workdir or tempfile.mkdtemp(prefix="practice-")) / folder
    where.mkdir(parents=True, exist_ok=True)
    if folder in CHAPTERS:
        stub = (HERE / folder / "student.py").read_text()
        (where / "student.py").write_text(stub if student is None else student)
    path = where / lesson.name
    path.write_text(dumps(practice_notebook(lesson)))
    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, where, {"MINILLADA_FAST": "1", "MPLBACKEND": "Agg"}, timeout)
    return nb


def printed(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--student", default="stubs", help="stubs, library, or a student.py file")
    args = ap.parse_args(argv)
    student = {"stubs": None, "library": None}.get(args.student)
    if args.student == "library":
        student = library_student(args.folder)
    elif args.student != "stubs":
        student = Path(args.student).read_text()
    try:
        nb = run(args.folder, student)
    except Exception as e:                                   # noqa: BLE001 (reported)
        print(f"the practice edition of {args.folder} stopped: {e}"[-4000:], file=sys.stderr)
        return 1
    lines = [line for line in printed(nb).splitlines() if ": yours" in line or "runs here" in line]
    print("\n".join(lines))
    print(f"the practice edition of {args.folder} ran to the end with student={args.student}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
