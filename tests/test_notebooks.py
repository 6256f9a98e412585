"""The chapter notebooks' lesson edition: committed executed (a reader without a kernel sees every
figure and number), teaching every exercise function, answering its own questions, and running top
to bottom in fast mode, asserting its own claims as it goes.

The lesson ``.ipynb`` files are the single source (see ``notebooks/README.md``): an instructor edits
one in Jupyter and runs ``python -m exercises._execute_lessons NAME``, which executes it in full mode
and records the hash of the code it ran; ``tests/test_editions.py`` holds the practice edition made
from it.
"""

import json
import re
import time
from pathlib import Path

import pytest

from exercises._execute_lessons import code_hash
from exercises._spec import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAST_MODE_SECONDS = 90          # the budget of one notebook in fast mode on 2 CPU cores


def _cells(path, kind):
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of level 1 or 2."""
    match = re.search(rf"^## {heading}\s*$(.*?)(?=^#{{1,2}} |\Z)", markdown, re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def _numbered_items(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+)\. ", text, re.M)]


def test_there_are_seven_chapters_in_order():
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:2] for n in names] == [f"{i:02d}" for i in range(1, 8)]
    assert names[-1] == "07_reversal"


def test_the_notebooks_are_the_single_source():
    # no generator script that would overwrite an instructor's edits
    assert not list((ROOT / "notebooks").glob("*.py"))


def test_chapters_have_one_name():
    """A lesson, its practice edition and its exercise folder share one name."""
    names = {p.stem for p in NOTEBOOKS}
    assert set(CHAPTERS) <= names, set(CHAPTERS) - names


FIGURE_CALLS = re.compile(r"plt\.(show|subplots|figure)\(|(?<!def )\bplot_\w+\(|display\(Image\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_is_committed_executed_from_todays_sources(path):
    """Every code cell ran, in order, without an error; each cell that draws shows its figure as
    an image; and the outputs belong to today's code (the hash recorded when it was executed)."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)                                # cell ids included (nbformat >= 4.5)
    assert nb.metadata.kernelspec.name == "python3"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)
    executed = nb.metadata.get("minillada", {}).get("executed")
    hint = f"run: python -m exercises._execute_lessons {path.stem}"
    assert executed and executed["mode"] == "full", f"{path.name} is not executed in full mode: {hint}"
    assert executed["code_sha256"] == code_hash(nb), \
        f"{path.name}: its outputs are from an older version of its code cells: {hint}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: the cells did not run once each, top to bottom: {hint}"
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], (path.name, cell.id)
        if FIGURE_CALLS.search(cell.source):
            images = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")
                      and ({"image/png", "image/gif"} & set(o.get("data", {})))]
            assert images, f"{path.name}, cell {cell.id} draws a figure but shows no image"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_question_has_a_worked_answer(path):
    markdown = "\n\n".join(_cells(path, "markdown"))
    assert markdown.lstrip().startswith(f"# Chapter {int(path.stem[:2])}:")
    questions = _numbered_items(_section(markdown, "Questions"))
    answers = _numbered_items(_section(markdown, "Answers"))
    assert 3 <= len(questions) <= 6 and questions == list(range(1, len(questions) + 1))
    assert answers == questions, "each question needs an answer with the same number"
    assert markdown.index("## Questions") < markdown.index("## Answers")
    # an answer is worked, not a one-line hint
    assert len(_section(markdown, "Answers")) > 150 * len(questions)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_chapter_derives_and_cites_the_paper(path):
    markdown = "\n".join(_cells(path, "markdown"))
    code = "\n".join(_cells(path, "code"))
    assert "$" in markdown, "the math is written in LaTeX"
    assert re.search(r"LLaDA|Eq\. \d|Algorithm \d", markdown)
    assert "assert" in code, "the notebook checks its own claims"
    assert "plt." in code or "plot_" in code, "the idea comes with a picture"


@pytest.mark.parametrize("folder", list(CHAPTERS))
def test_every_exercise_function_is_taught_in_its_chapter(folder):
    """A learner who reads notebook N can write exercise N: each function the exercise asks for is
    explained in the notebook's text and used in its code."""
    number, _, steps = CHAPTERS[folder]
    path = next(p for p in NOTEBOOKS if int(p.stem[:2]) == number)
    markdown, code = "\n".join(_cells(path, "markdown")), "\n".join(_cells(path, "code"))
    for _, _, name, _ in steps:
        assert re.search(rf"\b{name}\b", markdown), f"{path.name} never explains {name}"
        assert re.search(rf"\b{name}\b", code), f"{path.name} never uses {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_fast_mode(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MINILLADA_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()                # raises CellExecutionError on any error, a failed assert included
    seconds = time.perf_counter() - t0
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "fast mode: True" in printed
    print(f"{path.stem}: {seconds:.1f} s")
    assert seconds < FAST_MODE_SECONDS, f"{path.stem} took {seconds:.0f} s in fast mode"
