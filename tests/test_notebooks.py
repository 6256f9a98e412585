"""The chapter notebooks: lessons that are committed clean, teach every exercise function, answer
their own questions, and run top to bottom in fast mode, asserting their own claims as they go.

The ``.ipynb`` files are the single source (see ``notebooks/README.md``): an instructor edits one in
Jupyter, clears the outputs and commits it. The rule for outputs: notebooks are committed clean (no
outputs, no execution counts); the headline figures are PNGs in docs/, which full mode writes and
the README shows."""

import json
import re
import time
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_valid(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)                                # cell ids included (nbformat >= 4.5)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name} has outputs: clear them before committing (Jupyter: Edit > Clear Outputs)"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)


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
