"""Write the practice edition of every chapter notebook from its lesson edition (for maintainers).

    python -m exercises._make_practice        # notebooks/NN_*.ipynb -> notebooks/practice/NN_*.ipynb

The lesson edition (``notebooks/NN_*.ipynb``) is the one source an instructor edits. Its
from-scratch solutions sit between nbgrader's markers, in cells that carry nbgrader's solution
metadata, so a course run on nbgrader can use them as they are::

    ### BEGIN SOLUTION
    def my_forward_process(x0, mask_id, t=None, eps=1e-3, prompt_lengths=None, generator=None):
        ...
    ### END SOLUTION

A region holds only exercise functions: ``def my_<name>`` or ``class My<name>`` for a step
``name`` of the chapter (``exercises/_spec.py``), with the library's signature. The practice
edition is the lesson with three changes:

1. each region becomes a "your turn" block, ``my_forward_process = yours("forward_process",
   "minillada.masking")``: the learner's function from the ``student.py`` beside the notebook, or
   the library's while it is a stub (``minillada/practice.py``). Everything after it, the check
   against the library and the chapter's experiments, then runs on the learner's code;
2. the ``## Answers`` section is left out (the lesson edition is the answer key), all but the
   closing cell that prints the notebook's time;
3. outputs are cleared, and a note at the top says what the edition is.

We wrote this instead of running nbgrader's ``generate_assignment``: nbgrader would replace a region
with ``raise NotImplementedError()``, which stops the lesson at the first exercise, while ours keeps
the lesson running on the library until the learner's function exists; and nbgrader brings a
database, a course directory layout and server extensions that a 21-step course does not need.
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
import re
import sys
from pathlib import Path

from ._spec import CHAPTERS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LESSONS = ROOT / "notebooks"
PRACTICE = LESSONS / "practice"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class EditionError(ValueError):
    """A lesson notebook that breaks the conventions above."""


def lessons() -> list[Path]:
    return sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))


def chapter_of(path: Path):
    """(folder, number, steps) of a lesson notebook; folder None for a chapter without exercises."""
    number = int(path.name[:2])
    for folder, (n, _title, steps) in CHAPTERS.items():
        if n == number:
            return folder, number, steps
    return None, number, []


def source_of(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def regions(source: str) -> list[tuple[int, int]]:
    """(first, last) line numbers of each solution region, markers included."""
    lines, out, start = source.split("\n"), [], None
    for i, line in enumerate(lines):
        if line.strip() == BEGIN:
            if start is not None:
                raise EditionError(f"{BEGIN} inside a region (line {i + 1})")
            start = i
        elif line.strip() == END:
            if start is None:
                raise EditionError(f"{END} without {BEGIN} (line {i + 1})")
            out.append((start, i))
            start = None
    if start is not None:
        raise EditionError(f"{BEGIN} without {END}")
    return out


def exercise_names(region_source: str, steps) -> list[tuple[str, str, str, int]]:
    """(defined name, exercise name, library module, step) for each definition in a region."""
    by_name = {name: (module, step) for step, module, name, _ in steps}
    out = []
    for node in ast.parse(region_source).body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        prefix = "my_" if isinstance(node, ast.FunctionDef) else "My"
        name = node.name.removeprefix(prefix)
        if not node.name.startswith(prefix) or name not in by_name:
            raise EditionError(f"{node.name}: a solution region defines only exercise functions "
                               f"(my_<name> or My<Name> for one of {sorted(by_name)})")
        module, step = by_name[name]
        _same_signature(node, getattr(importlib.import_module(module), name))
        out.append((node.name, name, module, step))
    if not out:
        raise EditionError("a solution region that defines no exercise function")
    return out


def _parameters(args: ast.arguments) -> list[str]:
    return [a.arg for a in args.posonlyargs + args.args] + \
        ([f"*{args.vararg.arg}"] if args.vararg else []) + [a.arg for a in args.kwonlyargs]


def _same_signature(node, reference) -> None:
    """A region's function (or class: its ``__init__`` and ``forward``) takes the library's
    parameters, in the library's order, so that the learner's function drops in for it."""
    pairs = [(node, reference)]
    if isinstance(node, ast.ClassDef):
        methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
        pairs = [(methods.get(m), getattr(reference, m)) for m in ("__init__", "forward")]
    for fn, ref in pairs:
        want = [("*" if p.kind is p.VAR_POSITIONAL else "") + p.name
                for p in inspect.signature(ref).parameters.values()]
        got = _parameters(fn.args) if fn is not None else None
        if got != want:
            raise EditionError(f"{node.name}: takes {got}, the library's {ref.__qualname__} takes "
                               f"{want}; the learner's function must drop in for it")


def your_turn(defined, number: int) -> list[str]:
    """The lines that replace a region in the practice edition."""
    in_order = sorted(defined, key=lambda d: d[3])
    what = ", ".join(f"Exercise {number}.{step} `{name}`" for _, name, _, step in in_order)
    steps = " and ".join(str(step) for *_, step in in_order)
    lines = [f"# ---- Your turn: {what}",
             f"# Write {'it' if len(defined) == 1 else 'them'} in student.py beside this notebook "
             f"(GUIDE.md, Step{'s' if len(defined) > 1 else ''} {steps}),",
             "# then restart the kernel and run again. Until then the library's version stands "
             "in, and the",
             "# printed line says which one runs.",
             "from minillada.infra.practice import yours", ""]
    lines += [f'{mine} = yours("{name}", "{module}")' for mine, name, module, _ in defined]
    return lines


def practice_source(source: str, steps, number: int) -> tuple[str, list]:
    lines = source.split("\n")
    found = regions(source)
    defined_all = []
    for first, last in reversed(found):
        defined = exercise_names("\n".join(lines[first + 1:last]), steps)
        defined_all = defined + defined_all
        lines[first:last + 1] = your_turn(defined, number)
    return "\n".join(lines), defined_all


def _is_timing(cell) -> bool:
    """The last cell of a lesson, which prints how long it ran: kept after the answers."""
    return cell["cell_type"] == "code" and "notebook ran in" in source_of(cell)


def practice_notebook(path: Path) -> dict:
    """The practice edition of the lesson at ``path``, as nbformat JSON."""
    nb = json.loads(path.read_text())
    folder, number, steps = chapter_of(path)
    cells, seen, answers = [], [], False
    for cell in nb["cells"]:
        src = source_of(cell)
        if cell["cell_type"] == "markdown" and re.match(r"\s*## Answers\b", src):
            answers = True
        if answers and not _is_timing(cell):
            continue
        cell = copy.deepcopy(cell)
        cell["metadata"].pop("nbgrader", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if BEGIN in src:
                src, defined = practice_source(src, steps, number)
                seen += [name for _, name, _, _ in defined]
        cell["source"] = src.splitlines(keepends=True)
        cells.append(cell)
    missing = [name for _, _, name, _ in steps if name not in seen]
    if missing:
        raise EditionError(f"no solution region for {missing}")
    lesson = f"notebooks/{path.name}"
    workspace = f"{folder or path.stem}/student.py"
    note = (f"> **Practice edition** of chapter {number}, generated from the lesson edition "
            f"`{lesson}` (edit that one; `python -m exercises._make_practice` writes this). ")
    if steps:
        note += (f"At each **your turn** cell, write that function in `student.py` beside this "
                 f"notebook (in your workspace: `{workspace}`, made by `python -m exercises start`; "
                 f"its `GUIDE.md` is the handout), restart the kernel and run again: the check under "
                 f"the cell compares yours with the library's, and the chapter's experiments run on "
                 f"your code. Until you do, the library's version stands in. ")
    note += ("The questions are here; their worked answers are in the lesson edition, which is "
             "the answer key: open it after you have tried.")
    header = {"cell_type": "markdown", "id": f"ch{number:02d}-practice-note", "metadata": {},
              "source": note.splitlines(keepends=True)}
    cells.insert(1, header)
    if answers:
        at = next((i for i, c in enumerate(cells) if _is_timing(c)), len(cells))
        cells.insert(at, {"cell_type": "markdown", "id": f"ch{number:02d}-practice-answers",
                          "metadata": {}, "source": [
                              "## Answers\n", "\n",
                              f"Try every question first. The worked answers are in the lesson "
                              f"edition, `{lesson}`.\n"]})
    metadata = copy.deepcopy(nb["metadata"])
    metadata.pop("minillada", None)
    metadata["minillada"] = {"edition": "practice", "lesson": lesson}
    return {"cells": cells, "metadata": metadata, "nbformat": nb["nbformat"],
            "nbformat_minor": nb["nbformat_minor"]}


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    PRACTICE.mkdir(exist_ok=True)
    failed = 0
    for path in lessons():
        try:
            text = dumps(practice_notebook(path))
        except EditionError as e:
            print(f"{path.name}: not written: {e}", file=sys.stderr)
            failed += 1
            continue
        (PRACTICE / path.name).write_text(text)
        print(f"wrote {(PRACTICE / path.name).relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
