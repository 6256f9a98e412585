"""Benchmarks are not timed tests: here each one only has to run in a tiny configuration and write
valid JSON."""

import json

import pytest

from benchmarks import likelihood_variance
from minillada.infra.checkpoint import load_checkpoint


def test_likelihood_variance_quick(tmp_path):
    rows = likelihood_variance.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "likelihood_variance.json").read_text())
    assert data["rows"] == rows and "machine" in data
    assert {r["estimator"] for r in rows} == {"l", "t"}
    assert all(r["std"] >= 0 for r in rows)


def test_reversal_seeds_quick(tmp_path):
    from benchmarks import reversal_seeds

    rows = reversal_seeds.main(["--quick", "--seeds", "0", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "reversal_seeds_quick.json").read_text())
    assert data["rows"] == rows and [(r["recipe"], r["seed"]) for r in rows] == [("default", 0),
                                                                                ("baseline", 0)]
    for r in rows:
        assert all(0 <= r[k] <= 1 for k in ("mdm_forward", "mdm_reversed", "ar_reversed"))
        assert 1 <= r["mdm_steps"] <= 10 and 1 <= r["ar_steps"] <= 10 and r["wall_s"] > 0
    # the baseline is commit 46ecd43's recipe, written out: a change of the defaults cannot move it
    assert data["baseline_recipe"]["optimizer"] == "adamw" and data["baseline_recipe"]["d_model"] == 128
    assert data["default_recipe"]["optimizer"] == "muon"
    ratio = data["wall_ratio"]
    assert ratio["seeds"] == [0] and ratio["ratio"] == rows[0]["wall_s"] / rows[1]["wall_s"]


def test_reversal_seeds_interleaves_and_sums():
    from benchmarks.reversal_seeds import wall_ratio

    rows = [{"recipe": "default", "seed": 0, "wall_s": 3.0}, {"recipe": "baseline", "seed": 0, "wall_s": 6.0},
            {"recipe": "default", "seed": 1, "wall_s": 5.0}, {"recipe": "baseline", "seed": 1, "wall_s": 6.0},
            {"recipe": "default", "seed": 2, "wall_s": 9.0}]                  # no baseline for seed 2
    r = wall_ratio(rows)
    assert r["seeds"] == [0, 1] and r["ratio"] == 8.0 / 12.0
    assert r["per_seed"] == {0: 0.5, 1: 5.0 / 6.0}
    assert wall_ratio(rows[-1:]) is None


def test_tokenizer_speed_quick(tmp_path):
    from benchmarks import tokenizer_speed

    rows = tokenizer_speed.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "tokenizer_speed.json").read_text())
    assert data["rows"] == rows and len(rows) == 2
    assert all(r["encode_MB_per_s"] > 0 and r["bytes_per_token"] >= 1 for r in rows)


def test_train_throughput_quick(tmp_path):
    from benchmarks import train_throughput

    rows, ratio = train_throughput.main(["--quick", "--device", "cpu", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "train_throughput_cpu.json").read_text())
    assert data["mdm_ar_ratio"] == ratio > 0
    assert [r["objective"] for r in rows] == ["mdm", "ar"]


def test_sampling_speed_quick(tmp_path):
    from benchmarks import sampling_speed

    rows, long = sampling_speed.main(["--quick", "--device", "cpu", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "sampling_speed_cpu_quick.json").read_text())
    assert data["toy"] == rows and data["long_answer"] == long
    assert {r["model"] for r in rows} == {"mdm", "ar"}
    assert all(0 <= r["accuracy"] <= 1 and r["calls_per_answer"] >= 1 for r in rows)
    one_step = next(r for r in rows if r["decoder"] == "low-confidence, 8 steps")
    assert one_step["calls_per_answer"] == sampling_speed.GEN
    assert long[0]["seconds_no_cache"] > 0 and long[0]["speedup"] > 0


def test_readme_results_are_generated_from_the_json():
    from benchmarks import report

    text = report.README.read_text()
    block = text.split(report.START, 1)[1].split(report.END, 1)[0]
    assert block.strip() == report.markdown().strip(), "run: python -m benchmarks.report --write"
    assert "| 16 |" in block and "H100" in block


def test_reversal_ablations_quick(tmp_path):
    from benchmarks import reversal_ablations

    rows = reversal_ablations.main(["--quick", "--only", "default", "one_phrasing", "--out",
                                    str(tmp_path)])
    data = json.loads((tmp_path / "reversal_ablations_quick.json").read_text())
    assert data["rows"] == rows
    assert [r["ablation"] for r in rows] == ["default", "one_phrasing"]
    assert rows[0]["n_phrasings"] is None and rows[1]["n_phrasings"] == 1
    assert all(0 <= r["mdm_reversed"] <= 1 and r["curve"][-1]["step"] == r["steps"] for r in rows)
    # a later call with --only replaces its rows and keeps the others, in the table's order
    again = reversal_ablations.main(["--quick", "--only", "no_paired", "--out", str(tmp_path)])
    assert [r["ablation"] for r in again] == ["default", "no_paired", "one_phrasing"]
    assert again[0] == rows[0]


def test_likelihood_gap_quick(tmp_path):
    from benchmarks import likelihood_gap

    result = likelihood_gap.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "likelihood_gap_quick.json").read_text())
    assert data["final"] == result["final"] and "machine" in data
    for objective in ("ar", "mdm"):
        curve = data[objective]["curve"]
        assert [p["step"] for p in curve] == [10, 20]
        assert all(0 < p["bits_per_char"] < 10 for p in curve)
    assert all(p["se"] >= 0 for p in data["mdm"]["curve"])


def test_compare_trees_quick(tmp_path):
    from pathlib import Path

    from benchmarks import compare_trees

    root = Path(__file__).resolve().parent.parent
    result = compare_trees.main([str(root), str(root), "--quick", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "compare_trees_quick.json").read_text())
    assert [r["workload"] for r in saved["rows"]] == ["train_step", "forward", "generate",
                                                      "generate_kv", "generate_ar"]
    assert all(r["old_s"] > 0 and r["new_s"] > 0 for r in result["rows"])


def test_shakespeare_sample_quick(tmp_path):
    from benchmarks import shakespeare_sample

    result = shakespeare_sample.main(["--quick", "--out", str(tmp_path), "--ship", str(tmp_path / "one")])
    data = json.loads((tmp_path / "shakespeare_sample_quick.json").read_text())
    # --ship writes both models weights-only; a second run writes the same bytes
    shakespeare_sample.main(["--quick", "--out", str(tmp_path), "--ship", str(tmp_path / "two")])
    for name in ("shakespeare", "shakespeare_ar"):
        one, two = (load_checkpoint(tmp_path / d / name) for d in ("one", "two"))
        assert one.optimizer_state is None and one.step == 20
        assert (one.path / "model.pt").read_bytes() == (two.path / "model.pt").read_bytes()
    with pytest.raises(ValueError, match="--quick --ship would replace the shipped models"):
        shakespeare_sample.main(["--quick", "--ship"])
    assert data["mdm"] == result["mdm"] and "machine" in data
    mdm, ar = data["mdm"], data["ar"]
    # every MDM sampler of the list, measured on the same checkpoint; the first is the README's
    assert [s["sampler"] for s in mdm["samplers"]] == [s for s, _ in shakespeare_sample.MDM_SAMPLERS]
    assert mdm["measured"] == mdm["samplers"][0]
    assert ["--remasking", "random"] == mdm["samplers"][-1]["flags"][-2:]
    for measured in (*mdm["samplers"], ar["measured"]):
        assert len(measured["texts"]) == 2 and 0 <= measured["in_corpus"] <= measured["words"]
    # the AR twin: the same flags with --objective ar, sampled at the MDM's temperature
    assert ar["train_command"] == mdm["train_command"].replace(
        "runs/shakespeare ", "runs/shakespeare_ar ") + " --objective ar"
    assert ar["measured"]["flags"] == ["--temperature", "0.8", "--gen-length", "16"]
    for run in (mdm, ar):
        assert run["steps"] == 20 and run["train_wall_s"] > 0 and 0 < run["val_loss"] < 10
        assert [p["step"] for p in run["val_curve"]] == [10, 20]
    train_cmd, sample_cmd = data["commands"][:2]
    assert "--data shakespeare" in train_cmd and train_cmd.startswith("python -m minillada train")
    assert sample_cmd.startswith("python -m minillada sample") and "--seed 0" in sample_cmd


def test_word_stats_counts_corpus_words_and_back_to_back_repeats():
    from benchmarks.shakespeare_sample import word_stats
    stats = word_stats(["You, he deave of the i", "word is of you not have you you"],
                       {"you", "he", "of", "the", "i", "word", "is", "not", "have"})
    assert stats == {"words": 14, "in_corpus": 13, "real_word_share": 0.929, "repeats": 1}
    assert word_stats(["Thou thou THOU"], {"thou"})["repeats"] == 2    # case does not hide one
    assert word_stats([""], set())["real_word_share"] == 0.0


def test_forward_speed_quick(tmp_path):
    from benchmarks import forward_speed

    rows = forward_speed.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "forward_speed_quick.json").read_text())
    assert data["rows"] == rows
    assert [r["network"] for r in rows] == ["ours", "ours, fused norm", "ours, no input check",
                                            "nanochat-style"]
    assert rows[0]["ratio_to_ours"] == 1.0 and all(r["ms_per_call"] > 0 for r in rows)


def test_every_reversal_trial_is_a_valid_recipe_and_the_record_keeps_each_run():
    from benchmarks.reversal_trials import OUT, TRIALS
    from minillada.reversal import ReversalConfig
    for name, (changes, kind) in TRIALS.items():
        assert kind in ("adamw", "muon", "muon_ns3"), name
        ReversalConfig(optimizer="adamw" if kind == "adamw" else "muon", **changes)
    rows = json.loads(OUT.read_text())["rows"]
    assert {r["trial"] for r in rows} <= set(TRIALS)
    for r in rows:          # a stopped run's curve ends where it stopped
        assert r["mdm"]["curve"][-1][0] == r["mdm"]["steps"] and r["wall_s"] > 0


def test_head_width_quick(tmp_path):
    from benchmarks import head_width

    rows = head_width.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "head_width_quick.json").read_text())
    assert data["rows"] == rows and [r["head_width"] for r in rows] == [815, 816, 832]
    assert rows[0]["ratio_to_815"] == 1.0 and all(r["ms_per_step"] > 0 for r in rows)


def test_every_shakespeare_trial_is_a_valid_recipe_with_measured_samplers():
    from minillada.train_config import TrainConfig
    from benchmarks.common import RESULTS
    rows = json.loads((RESULTS / "shakespeare_trials.json").read_text())["rows"]
    assert [r["trial"] for r in rows] == list("ABCDEFG")
    for r in rows:
        recipe = {k: v for k, v in r["recipe"].items() if k != "preset"}
        TrainConfig.preset(r["recipe"]["preset"], **recipe)           # raises on a bad field
        assert r["samplers"] and all(0 <= s["real_word_share"] <= 1 and s["repeats"] >= 0
                                     for s in r["samplers"])


def test_ship_replaces_an_earlier_build_but_never_another_folder(tmp_path):
    from benchmarks.shakespeare_sample import ship
    mine = tmp_path / "into" / "shakespeare"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my work")
    with pytest.raises(ValueError, match="exists and is not a run directory"):
        ship(tmp_path, tmp_path / "into")
    assert (mine / "notes.txt").read_text() == "my work"


def test_decoding_rules_quick(tmp_path):
    from benchmarks import decoding_rules
    toy, text = decoding_rules.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "decoding_rules_quick.json").read_text())
    assert len(data["toy"]) == len(decoding_rules.TOY_RULES) * len(decoding_rules.TOY_STEPS)
    assert {r["rule"] for r in data["shakespeare"]} == {name for name, _ in decoding_rules.TEXT_RULES}
    # every toy row spends exactly its steps: the rules never change the cost of the plain loop
    assert all(r["calls_per_answer"] == r["steps"] for r in toy)
    assert all(0 <= r["real_word_share"] <= 1 for r in text)


def test_block_diffusion_quick(tmp_path):
    from benchmarks import block_diffusion
    result = block_diffusion.main(["--quick", "--out", str(tmp_path)])
    speed = json.loads((tmp_path / "block_diffusion_speed_quick.json").read_text())["speed"]
    assert [r["decoder"] for r in speed] == [name for name, _ in block_diffusion.decoders(16, 8)]
    assert all(r["seconds"] > 0 for r in speed)
    bound = json.loads((tmp_path / "block_diffusion_bound_quick.json").read_text())["bound"]
    assert bound["train_config"]["objective"] == "bd3" and bound["train_config"]["block_size"] == 16
    assert bound["val_loss"] == result["bound"]["bound"]["val_loss"] and bound["val_loss"] > 0
