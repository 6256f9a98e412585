"""The learner's edition and workspace: the practice notebooks hand over no solution, run on the
learner's own code, and nothing the project runs overwrites a learner's file or fails because of it.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exercises import _make_practice as editions
from exercises import workspace
from exercises._spec import CHAPTERS
from exercises._try_practice import library_student, printed, run as run_practice

ROOT = Path(__file__).resolve().parent.parent
LESSONS = editions.lessons()
STEPS = [(folder, number, step, module, name) for folder, (number, _, steps) in CHAPTERS.items()
         for step, module, name, _ in steps]


def _nb(path):
    return json.loads(Path(path).read_text())


def _code(nb):
    return [editions.source_of(c) for c in nb["cells"] if c["cell_type"] == "code"]


# ---- the two editions -------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_the_practice_edition_is_what_the_generator_writes_today(lesson):
    committed = editions.PRACTICE / lesson.name
    assert committed.exists(), "run: python -m exercises._make_practice"
    assert committed.read_text() == editions.dumps(editions.practice_notebook(lesson)), \
        "run: python -m exercises._make_practice"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_practice_edition_is_clean_with_questions_but_no_answers(lesson):
    nb = _nb(editions.PRACTICE / lesson.name)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        assert "nbgrader" not in cell["metadata"]
    markdown = "\n".join(editions.source_of(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Questions" in markdown and "the answer key" in markdown
    answers = markdown[markdown.index("## Answers"):]
    assert not re.search(r"^\d+\. ", answers, re.M), "a worked answer was left in the practice edition"
    lesson_answers = [editions.source_of(c) for c in _nb(lesson)["cells"]][
        next(i for i, c in enumerate(_nb(lesson)["cells"])
             if editions.source_of(c).lstrip().startswith("## Answers")):]
    for text in lesson_answers[1:]:
        if len(text) > 80 and "notebook ran in" not in text:
            assert text not in "\n".join(editions.source_of(c) for c in nb["cells"])


@pytest.mark.parametrize("folder,number,step,module,name", STEPS,
                         ids=[f"{n}.{s}" for _, n, s, _, _ in STEPS])
def test_every_step_is_a_solution_region_with_a_check_in_the_lesson(folder, number, step, module,
                                                                       name):
    """nbgrader's markers and metadata around the from-scratch solution, then a locked check cell
    that compares it with the library through check_cases."""
    cells = _nb(editions.LESSONS / f"{folder}.ipynb")["cells"]
    mine = f"My{name}" if name[0].isupper() else f"my_{name}"
    where = [i for i, c in enumerate(cells) if c["cell_type"] == "code"
             and editions.BEGIN in editions.source_of(c)
             and re.search(rf"^(def|class) {mine}\b", editions.source_of(c), re.M)]
    assert len(where) == 1, f"{folder}: {mine} is not in exactly one solution cell"
    meta = cells[where[0]]["metadata"].get("nbgrader", {})
    assert meta.get("solution") is True and meta.get("grade") is False and meta.get("grade_id")
    checks = [c for c in cells[where[0] + 1:] if c["cell_type"] == "code"
              and c["metadata"].get("nbgrader", {}).get("grade") is True
              and "check_cases(" in editions.source_of(c) and mine in editions.source_of(c)]
    assert checks, f"{folder}: no check cell compares {mine} with the library"
    meta = checks[0]["metadata"]["nbgrader"]
    assert meta["locked"] is True and meta["points"] >= 1 and meta["grade_id"]


def _solution_lines(lesson) -> set[str]:
    """Every non-trivial line of the lesson's solution regions (comments and short lines left out)."""
    out = set()
    for source in _code(_nb(lesson)):
        lines = source.split("\n")
        for first, last in editions.regions(source):
            for line in lines[first + 1:last]:
                line = line.split("#")[0].strip()
                if len(line) >= 16 and not line.startswith(("def ", "class ", '"""', "return ")):
                    out.add(line)
    return out


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_practice_notebook_holds_a_working_solution(lesson):
    """No solution region survives, no line of one is left anywhere in the practice edition, and
    every exercise name the practice edition binds comes from yours(): the learner's or the
    library's, never one written in the notebook."""
    code = "\n".join(_code(_nb(editions.PRACTICE / lesson.name)))
    assert editions.BEGIN not in code and editions.END not in code
    leaked = [line for line in _solution_lines(lesson) if line in code]
    assert not leaked, f"{lesson.stem}: solution lines in the practice edition: {leaked[:3]}"
    tree = ast.parse(code)
    names = {name for _, n, _, _, name in STEPS if n == int(lesson.name[:2])}
    own = {f"my_{n}" for n in names} | {f"My{n}" for n in names} | names
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            assert node.name not in own, f"{lesson.stem} defines {node.name}"
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in own for t in node.targets):
            assert isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "yours"
    bound = re.findall(r'^(\w+) = yours\("(\w+)", "([\w.]+)"\)', code, re.M)
    assert sorted(n for _, n, _ in bound) == sorted(names)


def test_a_region_that_leaks_or_breaks_the_signature_is_refused():
    steps = CHAPTERS["03_masking"][2]
    with pytest.raises(editions.EditionError, match="only exercise functions"):
        editions.practice_source("### BEGIN SOLUTION\ndef helper(x):\n    return x\n"
                                 "### END SOLUTION", steps, 3)
    with pytest.raises(editions.EditionError, match="drop in"):
        editions.practice_source("### BEGIN SOLUTION\ndef my_prompt_mask(lengths, T):\n    pass\n"
                                 "### END SOLUTION", steps, 3)
    with pytest.raises(editions.EditionError, match="without"):
        editions.regions("### BEGIN SOLUTION\nx = 1")
    src, defined = editions.practice_source(
        "a = 1\n### BEGIN SOLUTION\ndef my_prompt_mask(prompt_lengths, shape, device):\n"
        "    return 42\n### END SOLUTION\nb = 2", steps, 3)
    assert "return 42" not in src and src.startswith("a = 1") and src.endswith("b = 2")
    assert 'my_prompt_mask = yours("prompt_mask", "minillada.masking")' in src
    assert [d[1] for d in defined] == ["prompt_mask"]


# ---- the practice edition runs on the learner's code --------------------------------------------

@pytest.mark.parametrize("folder", list(CHAPTERS))
def test_practice_edition_runs_on_the_untouched_stubs(folder, tmp_path):
    """A learner's first run: every step is a stub, the library stands in, the lesson runs to
    the end and says so for every step."""
    nb = run_practice(folder, None, tmp_path)
    out = printed(nb)
    for _, _, name, _ in CHAPTERS[folder][2]:
        assert f"{name}: still a stub in student.py, so the library's runs here" in out


def test_practice_experiments_run_on_the_learners_code(tmp_path):
    """Chapter 3 with a correct student.py that counts its calls: the check cell and the training
    experiment call the learner's diffusion_loss, not the library's."""
    student = library_student("03_masking").replace(
        "from minillada.losses import diffusion_loss  # noqa: F401\n", "") + '''
import minillada.losses as _losses

CALLS = [0]


def diffusion_loss(model, x0, prompt_lengths=None, eps=1e-3, generator=None, mask_id=None,
                   attention_mask=None):
    CALLS[0] += 1
    if CALLS[0] in (1, 100):
        print(f"learner's diffusion_loss: call {CALLS[0]}")
    return _losses.diffusion_loss(model, x0, prompt_lengths, eps, generator, mask_id, attention_mask)
'''
    out = printed(run_practice("03_masking", student, tmp_path))
    assert "diffusion_loss: yours, from student.py" in out
    assert "learner's diffusion_loss: call 100" in out        # the training loop ran on it


def test_a_wrong_step_fails_its_check_cell_with_the_case(tmp_path):
    """A forward_process that floors p_mask wrongly: the check cell names the case, the expected
    and the received value."""
    student = library_student("03_masking").replace(
        "from minillada.masking import forward_process  # noqa: F401\n", "") + '''
from minillada import masking as _masking


def forward_process(x0, mask_id, t=None, eps=1e-3, prompt_lengths=None, generator=None):
    return _masking.forward_process(x0, mask_id, t, 2 * eps, prompt_lengths, generator)
'''
    nbclient = pytest.importorskip("nbclient")
    with pytest.raises(nbclient.exceptions.CellExecutionError) as err:
        run_practice("03_masking", student, tmp_path)
    text = str(err.value)
    assert "differs from the library on case" in text and "expected" in text and "got" in text


# ---- the workspace ------------------------------------------------------------------------------

def test_start_copies_every_chapter_and_refuses_a_folder_that_holds_work(tmp_path):
    ws = tmp_path / "ws"
    written = workspace.start(ws)
    for folder in CHAPTERS:
        for name in ("student.py", "GUIDE.md", f"{folder}.ipynb"):
            assert (ws / folder / name).is_file(), (folder, name)
    assert (ws / "07_reversal" / "07_reversal.ipynb").is_file() and (ws / "README.md").is_file()
    mine = ws / "03_masking" / "student.py"
    mine.write_text("# my work\n")
    with pytest.raises(workspace.WorkspaceError, match="already holds files"):
        workspace.start(ws)
    (ws / "05_sampling" / "GUIDE.md").unlink()
    added = workspace.start(ws, add_missing=True)
    assert added == [ws / "05_sampling" / "GUIDE.md"] and mine.read_text() == "# my work\n"
    assert len(written) > 3 * len(CHAPTERS)
    proc = subprocess.run([sys.executable, "-m", "exercises", "start", str(ws)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "already holds" in proc.stderr


def test_the_generators_never_touch_a_workspace(tmp_path):
    """The maintainers' generators, run in a copy of the project that holds a learner's
    workspace, rewrite only the tracked files."""
    copy = tmp_path / "project"
    for part in ("exercises", "notebooks"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    ws = copy / "workspace"
    subprocess.run([sys.executable, "-m", "exercises", "start"], cwd=copy, check=True,
                   capture_output=True)
    for path in ws.rglob("*.*"):
        path.write_text(path.read_text() + "\n# the learner's edit\n")
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    env = {**os.environ, "PYTHONPATH": str(copy)}
    for module in ("exercises._make_students", "exercises._make_practice"):
        subprocess.run([sys.executable, "-m", module], cwd=copy, env=env, check=True,
                       capture_output=True)
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before


def _fill(ws, kind):
    """A workspace whose every student.py is correct (the library's) or broken (syntax error)."""
    workspace.start(ws)
    for folder in CHAPTERS:
        source = library_student(folder) if kind == "correct" else "def broken(:\n"
        (ws / folder / "student.py").write_text(source)


@pytest.mark.parametrize("kind", ["correct", "broken"])
def test_the_projects_tests_pass_whatever_the_workspace_holds(kind, tmp_path):
    """With a learner's workspace as the default one (correct or broken), the project's own tests
    of the exercises still pass: they read the tracked templates, never the workspace; and
    `pytest exercises` judges that workspace."""
    ws = tmp_path / "ws"
    _fill(ws, kind)
    env = {**os.environ, "MINILLADA_WORKSPACE": str(ws)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_exercises.py", "-q",
                           "-p", "no:cacheprovider", "-k", "stubs or manifest or guides"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:]
    proc = subprocess.run([sys.executable, "-m", "pytest", "exercises/01_tokenizer", "-q",
                           "-p", "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert (proc.returncode == 0) == (kind == "correct"), proc.stdout[-2000:]


def test_grading_a_missing_workspace_says_how_to_make_one(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "exercises.grade", "--workspace",
                           str(tmp_path / "none"), "--out", str(tmp_path / "r.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "python -m exercises start" in proc.stderr
    assert proc.stderr.count("\n") == 1
