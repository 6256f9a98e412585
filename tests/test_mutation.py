"""The mutation catalogue is well formed and the runner tells a caught mistake from a harmless
change. (The full run, every mutant against its step's tests, is ``python -m exercises.mutation``:
minutes, so not part of the default suite.)"""

from collections import Counter

import pytest

from exercises._spec import CHAPTERS
from exercises.mutation import Mutant, load_catalogue, run_one, student_source

STEPS = [f"{number}.{step}" for number, _, steps in CHAPTERS.values() for step, *_ in steps]


def test_the_catalogue_covers_every_step_with_valid_mutants():
    mutants = load_catalogue()
    assert len(mutants) >= 100
    per_step = Counter(m.step for m in mutants)
    assert set(per_step) == set(STEPS), set(STEPS) ^ set(per_step)
    assert min(per_step.values()) >= 4, per_step
    for m in mutants:
        compile(student_source(m), f"mutant {m.step}", "exec")   # old found once; still Python
        assert m.why.strip(), m
    assert len({(m.module, m.name, m.old, m.new) for m in mutants}) == len(mutants), "duplicates"


def test_a_catalogue_error_is_refused_before_anything_runs():
    with pytest.raises(ValueError, match="occurs 0 times"):
        student_source(Mutant("1.2", "minillada.bpe", "merge", "not in the source", "x", "typo"))


def test_the_runner_catches_a_real_mistake_and_lets_a_harmless_change_pass():
    caught = run_one(Mutant("3.3", "minillada.losses", "diffusion_loss_from_logits",
                            "masked / p_mask", "masked", "drops the 1/t weight"))
    harmless = run_one(Mutant("3.3", "minillada.losses", "diffusion_loss_from_logits",
                              "weighted.sum() / (B * T)", "weighted.sum() / (T * B)",
                              "the same product in the other order"))
    assert caught["outcome"] == "caught", caught["tail"]
    assert harmless["outcome"] == "survived", harmless["tail"]


def test_the_recorded_score_is_todays_catalogue_and_the_readme_says_it():
    """benchmarks/results/exercise_mutation.json holds one row per mutant of today's catalogue
    (rerun ``python -m exercises.mutation --out ...`` after changing it), and exercises/README.md
    quotes its score."""
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    rows = json.loads((root / "benchmarks/results/exercise_mutation.json").read_text())
    key = lambda r: (r["step"], r["module"], r["name"], r["old"], r["new"])  # noqa: E731
    assert sorted(map(key, rows)) == sorted((m.step, m.module, m.name, m.old, m.new)
                                            for m in load_catalogue())
    caught = sum(r["outcome"] == "caught" for r in rows)
    assert caught / len(rows) >= 0.95
    assert f"{caught} of {len(rows)} mistakes caught" in (root / "exercises/README.md").read_text()
