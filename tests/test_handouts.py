"""The exercise handouts can be trusted: every step has every section, every worked example is what
the library prints, the stated learning-rate formulas are the library's, and the GUIDE.md files on
disk are what the generator writes from them."""

import doctest
import importlib
import io
import math
import re
from pathlib import Path

import pytest

from exercises._handouts import HANDOUTS, SECTIONS
from exercises._make_students import checks_section, guide_source, summary
from exercises._spec import CHAPTERS
from minillada.train import TrainConfig, lr_at

ROOT = Path(__file__).resolve().parent.parent
STEPS = {f"{number}.{step}": (folder, step, module, name)
         for folder, (number, _, steps) in CHAPTERS.items() for step, module, name, _ in steps}


def test_every_step_has_every_section():
    assert list(HANDOUTS) == list(STEPS)
    for key, handout in HANDOUTS.items():
        assert tuple(handout) == SECTIONS, key
        for section, text in handout.items():
            assert isinstance(text, str) and text.strip(), (key, section)


@pytest.mark.parametrize("key", list(STEPS))
def test_worked_example_is_what_the_library_prints(key):
    folder, step, module, name = STEPS[key]
    example = HANDOUTS[key]["example"]
    # it calls the library's own solution, imported from its module
    assert re.search(rf"from {re.escape(module)} import [\w, ]*\b{name}\b", example), key
    test = doctest.DocTestParser().get_doctest(example, {}, f"handout {key}", None, 0)
    out = io.StringIO()
    result = doctest.DocTestRunner().run(test, out=out.write)
    assert result.attempted >= 2 and result.failed == 0, out.getvalue()
    # the doctest is the first paragraph (the guide's code block); sentences on it follow
    code, _, prose = example.partition("\n\n")
    assert code.startswith(">>> "), key
    assert prose.strip() and ">>>" not in prose, key


def handout_lr(step: int, config: TrainConfig) -> float:
    """The schedule exactly as the 6.1 handout states it, written from its formulas."""
    eta, W, N = config.lr, config.warmup_steps, config.max_steps
    eta_min = eta * config.min_lr_ratio
    if step < W:
        return eta * (step + 1) / W
    if config.schedule == "constant":
        return eta
    if config.schedule == "cosine":
        q = min((step - W) / max(1, N - 1 - W), 1.0)
        return eta_min + (eta - eta_min) * 0.5 * (1 + math.cos(math.pi * q))
    D = int(config.decay_fraction * N)
    S = N - D
    if step < S:
        return eta
    q = min((step - S + 1) / max(1, D), 1.0)
    return eta + (eta_min - eta) * q


@pytest.mark.parametrize("schedule", ["cosine", "wsd", "constant"])
@pytest.mark.parametrize("warmup,max_steps,ratio,fraction", [
    (7, 60, 0.1, 0.25),        # the exercise tests' configuration
    (10, 111, 0.0, 0.2),       # the docstring's
    (0, 20, 0.5, 0.1),         # no warmup
    (5, 5, 0.1, 0.5),          # warmup as long as the run
    (3, 100, 0.2, 0.29),       # int(0.29 * 100) is 28: the truncation the handout names
    (2, 12, 0.1, 0.0),         # wsd without a decay
    (2, 10, 0.1, 1.0),         # wsd decaying from the first step
])
def test_the_handout_lr_formulas_are_the_library_schedule(schedule, warmup, max_steps, ratio,
                                                          fraction):
    config = TrainConfig(lr=3e-3, warmup_steps=warmup, max_steps=max_steps, min_lr_ratio=ratio,
                      schedule=schedule, decay_fraction=fraction)
    for step in range(max_steps + 5):                        # a few steps past the end too
        assert math.isclose(handout_lr(step, config), lr_at(step, config), rel_tol=1e-12,
                            abs_tol=1e-15), (schedule, step)


@pytest.mark.parametrize("folder", list(CHAPTERS))
def test_guides_on_disk_are_generated(folder):
    path = ROOT / "exercises" / folder / "GUIDE.md"
    assert path.read_text() == guide_source(folder), "run: python -m exercises._make_students"


def test_guides_render_every_section_and_whole_summaries():
    for key, (folder, step, module, name) in STEPS.items():
        guide = guide_source(folder)
        section = guide.split(f"## Step {step}: `{name}`")[1].split("\n## Step ")[0]
        for heading in ("What and why", "Signature", "Worked example", "Errors to raise",
                        "Helpers you may use", "Depends on", "Pitfalls"):
            assert f"### {heading}\n" in section, (key, heading)
        assert ("### What the grader checks" in section) == bool(checks_section(folder, step))
        line = summary(getattr(importlib.import_module(module), name))
        assert line.endswith("."), (key, line)               # a sentence, not a cut-off line
        assert f": {line}\n" in section
