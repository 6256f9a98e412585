"""The learner's workspace: a folder of their own, which nothing in the project ever overwrites.

    python -m exercises start                 # makes ./workspace (git ignores it)
    python -m exercises start ~/llada-course  # or any folder
    python -m exercises start --add-missing   # a newer course: copy only the files you lack

A workspace holds one folder per chapter: ``student.py`` (the stubs, to fill in), ``GUIDE.md`` (the
handouts) and the chapter's practice notebook, which uses the functions of that ``student.py``::

    workspace/
      README.md
      01_tokenizer/  01_tokenizer.ipynb  GUIDE.md  student.py
      ...
      07_reversal/   07_reversal.ipynb

``start`` refuses a folder that already holds files (your work stays as it is); ``--add-missing``
copies only the files that are not there yet and never replaces one. The grader and ``pytest
exercises`` read the workspace (``--workspace DIR``; default ``./workspace`` under the project, or
``$MINILLADA_WORKSPACE``). The tracked ``exercises/*/student.py`` are templates: the maintainers'
generator rewrites them, and it never touches a workspace.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ._make_practice import PRACTICE          # the practice edition, generated
from ._spec import CHAPTERS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARKER = ".minillada-workspace"                      # written by start: this folder is a workspace


class WorkspaceError(ValueError):
    """A workspace that cannot be made or read; the message says what to do."""


def default() -> Path:
    """The workspace the grader and ``pytest exercises`` use when none is named."""
    return Path(os.environ.get("MINILLADA_WORKSPACE") or ROOT / "workspace")


def student_file(workspace, folder: str) -> Path:
    """``<workspace>/<chapter>/student.py``, or a WorkspaceError that says how to make it."""
    workspace = Path(workspace)
    path = workspace / folder / "student.py"
    if not path.is_file():
        if not workspace.is_dir():
            raise WorkspaceError(f"no workspace at {workspace}: make one with "
                                 f"`python -m exercises start {workspace}`")
        raise WorkspaceError(f"{path} is missing: `python -m exercises start --add-missing "
                             f"{workspace}` copies the files you lack (it replaces none)")
    return path


def files_of(chapter_folder: str) -> dict[str, Path]:
    """What ``start`` copies for one chapter: {name in the workspace: source in the project}."""
    out = {}
    if chapter_folder in CHAPTERS:
        out["student.py"] = HERE / chapter_folder / "student.py"
        out["GUIDE.md"] = HERE / chapter_folder / "GUIDE.md"
    notebook = PRACTICE / f"{chapter_folder}.ipynb"
    if notebook.exists():
        out[notebook.name] = notebook
    return out


def chapter_folders() -> list[str]:
    """Every chapter with files to copy: the exercise chapters and the practice notebooks."""
    names = set(CHAPTERS) | {p.stem for p in PRACTICE.glob("[0-9][0-9]_*.ipynb")}
    return sorted(names)


README = """# Your workspace

Your own copy of the course: nothing in the project writes here. One folder per chapter.

1. Open the chapter's practice notebook (`jupyter lab {where}`) and read it. At each "your turn"
   cell, write that function in `student.py` beside the notebook (`GUIDE.md` is its handout),
   restart the kernel and run again: the check below the cell compares yours with the library's,
   and the chapter's experiments run on your code.
2. Score a step or all: `pytest exercises/03_masking -m ex3_1 --workspace {where}`, then
   `python -m exercises.grade --workspace {where}` (run both from the project's folder).
3. Only then open the lesson edition, `notebooks/NN_*.ipynb` in the project: it is the answer key,
   with every solution written out and the questions' worked answers.
"""


def start(workspace, add_missing: bool = False) -> list[Path]:
    """Make a workspace at ``workspace``; returns the files written. Never replaces a file."""
    workspace = Path(workspace)
    if workspace.exists() and not workspace.is_dir():
        raise WorkspaceError(f"{workspace} is a file, not a folder")
    if not add_missing and workspace.is_dir() and any(workspace.iterdir()):
        raise WorkspaceError(f"{workspace} already holds files, so nothing was copied (your work "
                             f"is as it was); `--add-missing` adds only the files it lacks")
    plan = {Path("README.md"): None, Path(MARKER): None}
    for chapter in chapter_folders():
        for name, source in files_of(chapter).items():
            plan[Path(chapter) / name] = source
    written = []
    for rel, source in plan.items():
        target = workspace / rel
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.name == "README.md":
            target.write_text(README.format(where=workspace))
        elif rel.name == MARKER:
            target.write_text("a minillada workspace: python -m exercises start made it\n")
        else:
            shutil.copyfile(source, target)
        written.append(target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m exercises",
                                 description="Make your workspace: " + __doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    st = sub.add_parser("start", help="copy the stubs, guides and practice notebooks into DIR")
    st.add_argument("dir", nargs="?", default=None, help=f"where (default {default()})")
    st.add_argument("--add-missing", action="store_true",
                    help="copy only the files DIR lacks (never replaces one)")
    args = ap.parse_args(argv)
    where = Path(args.dir) if args.dir else default()
    try:
        written = start(where, args.add_missing)
    except WorkspaceError as e:
        print(f"exercises start: {e}", file=sys.stderr)
        return 2
    print(f"{len(written)} files written into {where}" + (" (none was missing)" if not written else ""))
    if written and not args.add_missing:
        print(f"next: jupyter lab {where}   (start with 01_tokenizer/01_tokenizer.ipynb)")
    return 0
