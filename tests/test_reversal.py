import json
import subprocess
import sys
from pathlib import Path

import pytest

from minillada import reversal
from minillada.reversal import TEMPLATES, ReversalConfig, build_data, learned_forward, make_task

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("task", ["people", "couplets"])
def test_no_reversed_sentence_of_a_test_fact_is_trained(task):
    t = make_task(task, n_facts=60, paired_fraction=0.8, seed=3)
    assert len(t.forward_only) == 12 and len(t.paired) == 48
    sentences = t.training_sentences()
    for f in t.forward_only:
        left, right = " ".join(f.left), " ".join(f.right)
        with_fact = [s for s in sentences if left in s]
        assert len(with_fact) == len(TEMPLATES[task][0])           # every forward phrasing
        assert all(s.index(left) < s.index(right) for s in with_fact)  # and never reversed
        prompt, _ = t.question(f, "reversed")
        assert not any(s.startswith(prompt) for s in sentences)
    for f in t.paired:
        left, right = " ".join(f.left), " ".join(f.right)
        assert any(s.index(right) < s.index(left) for s in sentences if left in s)


def test_facts_use_disjoint_made_up_words():
    t = make_task("people", n_facts=100, seed=0)
    words = [w for f in t.paired + t.forward_only for w in f.left + f.right]
    assert len(words) == len(set(words))
    template_words = {w for ts in TEMPLATES["people"] for tpl in ts for w in tpl.split()}
    assert not template_words & set(words)
    tok, data, seq_len = build_data(t)
    assert data.rows.shape == (len(t.training_sentences()), seq_len)


def test_one_phrasing_keeps_the_first_template_of_each_direction():
    t = make_task("people", n_facts=20, seed=0, phrasings=1)
    assert t.templates == (TEMPLATES["people"][0][:1], TEMPLATES["people"][1][:1])
    assert len(t.training_sentences()) == len(t.paired) * 2 + len(t.forward_only)
    f = t.forward_only[0]
    assert t.question(f, "reversed") == make_task("people", n_facts=20, seed=0).question(f, "reversed")


def test_bad_task_settings():
    with pytest.raises(ValueError, match="task must be"):
        make_task("poems")
    with pytest.raises(ValueError, match="leaves no test fact"):
        make_task("people", n_facts=3, paired_fraction=0.9)
    with pytest.raises(ValueError, match="phrasings"):
        make_task("people", phrasings=0)


def test_quick_run_writes_json_and_plots(tmp_path):
    run = subprocess.run([sys.executable, "-m", "minillada", "reversal", "--quick", "--out",
                          str(tmp_path), "--no-progress"], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "reversed" in run.stdout
    results = json.loads((tmp_path / "reversal.json").read_text())
    assert set(results["accuracy"]) == {"mdm", "ar"}
    assert set(results["accuracy"]["mdm"]) == {"forward", "reversed", "infill"}
    assert set(results["accuracy"]["ar"]) == {"forward", "reversed", "ranking"}
    for acc in results["accuracy"].values():
        assert all(0 <= v <= 1 for v in acc.values())
    assert [c["step"] for c in results["curves"]["mdm"]] == [15, 30]
    assert (tmp_path / "reversal_bars.png").stat().st_size > 1000
    assert (tmp_path / "reversal_curves.png").stat().st_size > 1000


def test_batched_answer_likelihoods_match_the_library():
    import torch

    from minillada import ModelConfig, Transformer
    from minillada.likelihood import autoregressive_log_likelihood
    from minillada.reversal import _answer_log_likelihoods

    torch.manual_seed(0)
    ar = Transformer(ModelConfig(vocab_size=20, mask_id=1, d_model=32, n_layers=2, n_heads=2,
                                 causal=True, init_std=0.3)).eval()
    prompt = torch.tensor([[5, 6, 7]])
    answers = torch.randint(4, 20, (4, 3))
    got = _answer_log_likelihoods(ar, prompt, answers)
    want = [autoregressive_log_likelihood(ar, prompt[0], a) for a in answers]
    assert torch.allclose(got, torch.tensor(want, dtype=got.dtype), atol=1e-4)


def test_the_early_stop_reads_the_forward_answers_only():
    config = ReversalConfig(stop_forward=0.95, stop_patience=2)
    point = lambda forward, reversed=0.0: {"forward": forward, "reversed": reversed}  # noqa: E731
    assert learned_forward([point(0.1), point(39 / 40), point(1.0)], config)
    assert not learned_forward([point(1.0)], config)                             # one point is not two
    assert not learned_forward([point(1.0), point(38 / 40, 1.0)], config)        # more than 95%
    assert not learned_forward([point(1.0), point(0.5), point(1.0)], config)     # in a row
    assert learned_forward([point(1.0)], ReversalConfig(stop_patience=1))
    assert not learned_forward([point(1.0)] * 3, ReversalConfig(stop_forward=None))
    with pytest.raises(ValueError, match="stop_forward"):
        ReversalConfig(stop_forward=1.5)
    with pytest.raises(ValueError, match="stop_patience"):
        ReversalConfig(stop_patience=0)


def test_run_stops_each_model_at_the_first_evaluation_that_knows_its_facts(monkeypatch):
    calls = []

    def fake_evaluate(model, task, tok, seq_len, extra=True):
        calls.append(model.config.causal)
        # the AR model "knows" its facts at once, the MDM never: only the AR model stops early
        forward = 1.0 if model.config.causal else 0.5
        out = {"forward": forward, "reversed": 0.0}
        if extra:
            out["ranking" if model.config.causal else "infill"] = 0.0
        return out

    monkeypatch.setattr(reversal, "evaluate", fake_evaluate)
    config = ReversalConfig(n_facts=30, steps=16, eval_every=4, d_model=16, n_layers=1, n_heads=2,
                            progress=False, stop_patience=2)
    results = reversal.run(config)
    assert results["steps_trained"] == {"mdm": 16, "ar": 8}       # the AR model: two points in a row
    assert [p["step"] for p in results["curves"]["ar"]] == [4, 8]
    assert [p["step"] for p in results["curves"]["mdm"]] == [4, 8, 12, 16]
