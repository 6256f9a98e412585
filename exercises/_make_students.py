"""Write every chapter's ``student.py`` and ``GUIDE.md`` from ``_spec.py``, ``_handouts.py`` and
the library (for maintainers).

    python -m exercises._make_students

Each stub keeps the library's decorators, signature and docstring, and its body raises
``NotImplementedError("Exercise N.M: <hint>")``. For a class, ``__init__`` is given (so parameter
names match the library's) and ``forward`` is the exercise. Rerunning rewrites these tracked
templates only: a learner works in a workspace of their own (``python -m exercises start``), which
no generator touches.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

from ._handouts import HANDOUTS
from ._spec import CHAPTERS, INTROS

HERE = Path(__file__).resolve().parent

# What each student file imports: the tools a solution needs, and the library helpers that are not
# part of the exercise (they are given).
IMPORTS = {
    "01_tokenizer": ["from collections import Counter", "",
                     "from minillada.bpe import FIRST_MERGE_ID  # noqa: F401  (260: the first merge id)"],
    "02_transformer": ["import math", "", "import torch", "import torch.nn as nn",
                       "import torch.nn.functional as F", "",
                       "from minillada.model import ModelConfig  # noqa: F401  (for the annotations)"],
    "03_masking": ["import torch", "", "from minillada.infra import rng",
                   "from minillada.infra.checks import mask_id_of, token_ids",
                   "from minillada.losses import token_ce"],
    "04_likelihood": ["import itertools", "", "import torch", "",
                      "from minillada.infra import rng",
                      "from minillada.infra.checks import mask_id_of, prompt_and_answer, token_ids",
                      "from minillada.guidance import guided_logits",
                      "from minillada.likelihood import MAX_EXACT_ANSWER",
                      "from minillada.losses import token_ce",
                      "from minillada.masking import forward_process, prompt_mask"],
    "05_sampling": ["import torch", "", "from minillada.infra import rng"],
    "06_training": ["import math", "", "import torch", "",
                    "from minillada.losses import diffusion_loss",
                    "from minillada.train import TrainConfig  # noqa: F401  (for the annotations)"],
}


def _header_and_doc(obj) -> tuple[str, str | None]:
    """The source of ``obj``'s decorators and def/class line(s), and its docstring (raw)."""
    src = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(src).body[0]
    lines = src.splitlines()
    first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    body0 = node.body[0]
    has_doc = isinstance(body0, ast.Expr) and isinstance(getattr(body0, "value", None), ast.Constant) \
        and isinstance(body0.value.value, str)
    end_header = (body0.lineno - 1) if has_doc else node.body[0].lineno - 1
    header = "\n".join(lines[first:end_header])
    doc = "\n".join(lines[body0.lineno - 1:body0.end_lineno]) if has_doc else None
    return header, doc


def _raise(message: str) -> str:
    """``raise NotImplementedError("...")`` with the message wrapped into short string pieces."""
    pieces = textwrap.wrap(message, 88, drop_whitespace=False)
    quoted = "\n".join('        "' + p.replace('"', '\\"') + '"' for p in pieces)
    return f"    raise NotImplementedError(\n{quoted})\n"


def _stub_function(obj, message: str) -> str:
    header, doc = _header_and_doc(obj)
    return header + "\n" + (doc + "\n" if doc else "") + _raise(message)


def _stub_class(cls, message: str) -> str:
    header, doc = _header_and_doc(cls)
    out = header + "\n" + (doc + "\n" if doc else "")
    init = textwrap.indent(textwrap.dedent(inspect.getsource(cls.__init__)), "    ")
    fwd = _stub_function(cls.forward, message)
    fwd = textwrap.indent(textwrap.dedent(fwd), "    ")
    return out + "\n" + init + "\n" + fwd


def student_source(folder: str) -> str:
    number, title, steps = CHAPTERS[folder]
    parts = [f'"""Exercises of chapter {number}: {title}. Your file: fill in every stub.\n\n'
             f"Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with\n\n"
             f"    pytest exercises/{folder} -m ex{number}_1\n\n"
             f"and your score with ``python -m exercises.grade``. The reference solutions are the\n"
             f"library's own functions (named in each error message's module below); the tests also\n"
             f"run against them with ``--impl=reference``.\n"
             f'"""\n',
             "from __future__ import annotations\n",
             "# ruff: noqa: F401  (the imports are the tools your solutions will need)",
             "\n".join(IMPORTS[folder]) + "\n",
             "# REFERENCE: where each exercise's solution lives in the library (the tests use it)",
             "REFERENCE = {"]
    for step, module, name, _ in steps:
        parts.append(f"    {name!r}: {module!r},  # Exercise {number}.{step}")
    parts.append("}\n")
    for step, module, name, hint in steps:
        obj = getattr(importlib.import_module(module), name)
        message = f"Exercise {number}.{step}: {hint}"
        banner = f"# ---- Exercise {number}.{step}: {name} " + "-" * max(4, 80 - 22 - len(name))
        stub = _stub_class(obj, message) if inspect.isclass(obj) else _stub_function(obj, message)
        parts.append("\n" + banner + "\n\n" + stub)
    return "\n".join(parts).rstrip() + "\n"


def _markdown(text: str) -> str:
    """Docstring markup as Markdown: ``x`` and :func:`x` become `x`."""
    text = re.sub(r":(?:func|class|meth):`([^`]+)`", r"`\1`", text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def summary(obj) -> str:
    """The first sentence of ``obj``'s docstring (of its first paragraph, if that has no full stop),
    its lines joined: a summary that does not stop mid-sentence where the docstring wraps."""
    paragraph = (inspect.getdoc(obj) or "").strip().split("\n\n")[0]
    joined = " ".join(line.strip() for line in paragraph.splitlines())
    return _markdown(re.split(r"(?<=[.!?])\s+(?=[A-Z`])", joined, maxsplit=1)[0])


def checks_section(folder: str, step: int) -> str:
    """What the grader checks for step ``step`` of chapter ``folder``: one bullet per check of the
    manifest, in the words of the check's docstring (so the guide and the tests cannot drift apart).
    An empty string renders nothing (no heading either)."""
    from ._manifest import load
    number = CHAPTERS[folder][0]
    rows = load()["checks"].get(folder, {}).get(f"{number}.{step}", [])
    groups: dict[str, list] = {}              # a parametrized check: one line for all its cases
    for cid, points, doc in rows:
        name, _, case = cid.partition("[")
        groups.setdefault(name, []).append((case.rstrip("]"), points, doc))
    lines = []
    for name, cases in groups.items():
        points = sum(p for _, p, _ in cases)
        label = f"`{name}`" + (f" [{', '.join(c for c, _, _ in cases)}]" if cases[0][0] else "")
        per = ", 1 per case" if len(cases) > 1 else ""
        lines.append(f"- {label} ({points} point{'s' if points != 1 else ''}{per}): {cases[0][2]}")
    return "\n".join(lines)


def handout_source(folder: str, step: int) -> str:
    """The handout sections of one step (from ``_handouts.py``), as Markdown."""
    number = CHAPTERS[folder][0]
    h = HANDOUTS[f"{number}.{step}"]
    code, _, prose = h["example"].partition("\n\n")
    out = ["### What and why", "", h["why"], "",
           "### Signature", "", h["signature"], "",
           "### Worked example", "", "```python", code, "```", ""]
    if prose.strip():
        out += [prose.strip(), ""]
    out += ["### Errors to raise", "", h["errors"], "",
            "### Helpers you may use", "", h["helpers"], "",
            "### Depends on", "", h["depends"], "",
            "### Pitfalls", "", h["pitfalls"], ""]
    # ---- the marked spot: what the grader checks (filled by checks_section, from the tests)
    checks = checks_section(folder, step)
    if checks:
        out += ["### What the grader checks", "", checks, ""]
    return "\n".join(out)


def guide_source(folder: str) -> str:
    """The chapter's GUIDE.md: the intro, how to work, then Step 1 ... Step N, each with its
    handout (``_handouts.py``), hint and test command."""
    number, title, steps = CHAPTERS[folder]
    out = [f"# Chapter {number} exercises: {title}", "", textwrap.fill(INTROS[folder], 100), "",
           "How to work, in this order:", "",
           "1. Make your workspace once, from the project's folder: `python -m exercises start` "
           "(it copies this guide, the stubs and the practice notebooks into `workspace/`, which "
           "nothing in the project overwrites).",
           f"2. Work through the practice notebook `workspace/{folder}/{folder}.ipynb`: it derives "
           "every function below, and at each *your turn* cell you write that function in "
           f"`workspace/{folder}/student.py` (each stub says which exercise it is). The check "
           "under the cell compares yours with the library's, and the chapter's experiments then "
           "run on your code.",
           f"3. Run a step's tests (`pytest exercises/{folder} -m ex{number}_1`) and score the "
           f"chapter (`python -m exercises.grade --chapter {folder}`).",
           f"4. Then read the lesson edition, `notebooks/{folder}.ipynb`: it is the answer key, "
           "with every function written out and the questions' worked answers.", ""]
    for step, module, name, hint in steps:
        obj = getattr(importlib.import_module(module), name)
        kind = "class" if inspect.isclass(obj) else "function"
        what = f"`{name}.forward`" if inspect.isclass(obj) else f"`{name}`"
        out += [f"## Step {step}: `{name}`", "",
                f"Write the {kind} {what}: {summary(obj)}", "",
                handout_source(folder, step),
                "### Hint and test", "",
                f"- Hint: {hint}.",
                f"- Test: `pytest exercises/{folder} -m ex{number}_{step}`",
                f"- Stuck? Read `{module.replace('.', '/')}.py`, where `{name}` is the reference "
                "solution.", ""]
    return "\n".join(out)


def main():
    from . import _manifest
    _manifest.main()                        # the guides list the checks of the manifest
    for folder in CHAPTERS:
        path = HERE / folder / "student.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(student_source(folder))
        (HERE / folder / "GUIDE.md").write_text(guide_source(folder))
        print(f"wrote {path.relative_to(HERE.parent)} and GUIDE.md")


if __name__ == "__main__":
    main()
