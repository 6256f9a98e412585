"""Chapter 7's second experiment: an AR model converted into a diffusion model (reversal/convert.py)."""

import json

import pytest
import torch

from minillada import reversal
from minillada.reversal import ReversalConfig, build_data, build_model, make_task, train_model
from minillada.reversal.convert import convert

TINY = dict(n_facts=30, d_model=32, n_layers=1, n_heads=4, progress=False)


@pytest.fixture(scope="module")
def task_data():
    task = make_task("people", n_facts=30, seed=0)
    return build_data(task)                                  # tok, data, seq_len


def _untrained(monkeypatch):
    """Make train() a no-op that records the model it was handed, as it was handed."""
    seen = []

    def fake_train(model, data, config, callback=None, **_):
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return [{"step": 0, "loss": 0.0}]

    monkeypatch.setattr(reversal, "train", fake_train)
    return seen


def test_init_from_copies_every_weight_and_turns_attention_bidirectional(monkeypatch, task_data):
    tok, data, seq_len = task_data
    config = ReversalConfig(**TINY, seed=0)
    ar = build_model(ReversalConfig(**TINY, seed=1), "ar", tok, seq_len).eval()    # other weights
    seen = _untrained(monkeypatch)
    mdm, _ = train_model(config, "mdm", tok, data, seq_len, init_from=ar)
    fresh, _ = train_model(config, "mdm", tok, data, seq_len)
    source = ar.state_dict()
    assert seen[0].keys() == source.keys()
    assert all(torch.equal(seen[0][k], source[k]) for k in source)                  # what train got
    assert all(torch.equal(v, source[k]) for k, v in mdm.state_dict().items())
    assert not all(torch.equal(v, source[k]) for k, v in fresh.state_dict().items())  # a real copy
    assert ar.config.causal is True and mdm.config.causal is False

    x = torch.randint(4, tok.vocab_size, (1, seq_len))
    y = x.clone()
    y[0, -1] = (x[0, -1] + 1 - 4) % (tok.vocab_size - 4) + 4                       # a later token
    with torch.no_grad():
        assert not torch.allclose(mdm(x)[0, 0], mdm(y)[0, 0])       # reaches the first position
        assert torch.allclose(ar(x)[0, 0], ar(y)[0, 0])             # the AR source: it did not


def test_init_from_that_does_not_fit_is_refused(task_data):
    tok, data, seq_len = task_data
    config = ReversalConfig(**TINY)
    narrow = build_model(ReversalConfig(**{**TINY, "d_model": 16}), "ar", tok, seq_len)
    with pytest.raises(ValueError, match=r"d_model \(16 there, 32 here\)"):
        train_model(config, "mdm", tok, data, seq_len, init_from=narrow)
    heads = build_model(ReversalConfig(**{**TINY, "n_heads": 2}), "ar", tok, seq_len)   # same shapes
    with pytest.raises(ValueError, match=r"n_heads \(2 there, 4 here\)"):
        build_model(config, "mdm", tok, seq_len, init_from=heads)
    state = dict(build_model(config, "ar", tok, seq_len).state_dict())
    state["head.weight"] = state["head.weight"][:-1]                       # another vocabulary
    with pytest.raises(ValueError, match=r"head.weight is \(\d+, 32\) there.*same d_model"):
        build_model(config, "mdm", tok, seq_len, init_from=state)
    with pytest.raises(ValueError, match="norm.weight is missing"):
        build_model(config, "mdm", tok, seq_len,
                    init_from={k: v for k, v in state.items() if k != "norm.weight"})
    with pytest.raises(ValueError, match="must be a Transformer or its state_dict"):
        build_model(config, "mdm", tok, seq_len, init_from="ar.pt")


def test_convert_records_the_curve_from_the_step_of_the_conversion(monkeypatch):
    real_evaluate, calls = reversal.evaluate, []

    def spy(model, *args, **kwargs):
        calls.append((model.config.causal, model.head.weight.detach().clone()))
        return real_evaluate(model, *args, **kwargs)

    monkeypatch.setattr(reversal, "evaluate", spy)
    config = ReversalConfig(**TINY, steps=20, eval_every=10)
    results = convert(config, diffusion_steps=20)
    curves = results["curves"]
    assert [p["step"] for p in curves["converted"]] == [0, 10, 20]
    assert [p["step"] for p in curves["mdm"]] == [0, 10, 20]
    assert curves["ar"] and curves["ar"][-1]["step"] == results["steps_trained"]["ar"] <= 20
    for curve in curves.values():
        assert all(0 <= p[q] <= 1 for p in curve for q in ("forward", "reversed"))
    assert set(results["accuracy"]["ar"]) == {"forward", "reversed", "ranking"}
    assert set(results["accuracy"]["converted"]) == {"forward", "reversed", "infill"}
    assert results["diffusion_steps"] == 20 and results["wall_seconds"] > 0
    # the converted model's first evaluation sees the AR model's final weights, attention open
    first_bidirectional = next(i for i, (causal, _) in enumerate(calls) if not causal)
    (ar_causal, ar_head), (causal, head) = calls[first_bidirectional - 1], calls[first_bidirectional]
    assert ar_causal and not causal and torch.equal(ar_head, head)
    assert not torch.equal(head, calls[-1][1])                    # and the diffusion steps moved it


def test_the_diffusion_stage_stops_on_the_reversed_answers_only(monkeypatch):
    def fake_evaluate(model, task, tok, seq_len, extra=True):
        # every model knows its facts forward at once; only the converted one reverses them
        out = {"forward": 1.0, "reversed": 1.0 if not model.config.causal and model.started_as_ar
               else 0.0}
        if extra:
            out["ranking" if model.config.causal else "infill"] = 0.0
        return out

    real_build = reversal.build_model

    def tagged_build(config, objective, tok, seq_len, init_from=None):
        model = real_build(config, objective, tok, seq_len, init_from)
        model.started_as_ar = init_from is not None
        return model

    monkeypatch.setattr(reversal, "evaluate", fake_evaluate)
    monkeypatch.setattr(reversal, "build_model", tagged_build)
    config = ReversalConfig(**{**TINY, "d_model": 16, "n_heads": 2}, steps=16, eval_every=4,
                            stop_patience=2)
    results = convert(config, diffusion_steps=24)
    assert results["steps_trained"] == {"ar": 8, "converted": 4, "mdm": 24}
    assert [p["step"] for p in results["curves"]["converted"]] == [0, 4]
    assert [p["step"] for p in results["curves"]["mdm"]] == [0, 4, 8, 12, 16, 20, 24]
    with pytest.raises(ValueError, match="diffusion_steps"):
        convert(config, diffusion_steps=0)


def test_quick_benchmark_writes_json_and_plot(tmp_path):
    from benchmarks import reversal_convert

    reversal_convert.main(["--quick", "--out", str(tmp_path)])
    results = json.loads((tmp_path / "reversal_convert_quick.json").read_text())
    assert [r["diffusion_step"] for r in results["table"]] == [0, 5, 10]
    assert set(results["curves"]) == {"ar", "converted", "mdm"}
    assert 0 <= results["accuracy"]["ar"]["forward"] <= 1
    assert (tmp_path / "reversal_convert_quick.png").stat().st_size > 1000
