"""``python -m minillada bench`` (issue 29): each decoder's model calls per token, tokens per
second, latency and peak memory, counted the way the module docstring of fast/bench.py says."""

import json

import pytest
import torch

from minillada.cli import main as cli_main
from minillada.fast import bench as bench_module
from minillada.fast.bench import bench, held_out_prompts
from minillada.model import ModelConfig, Transformer
from minillada.tokenizer import CharTokenizer


def _model(causal=False):
    torch.manual_seed(0)
    return Transformer(ModelConfig(vocab_size=12, mask_id=11, d_model=16, n_layers=1, n_heads=2,
                                   causal=causal)).eval()


def test_the_plain_loop_makes_one_call_per_token_and_throughput_counts_every_row():
    prompts = torch.randint(0, 11, (3, 4))
    rows = {r["decoder"]: r for r in bench(_model(), prompts, gen_length=8, block_length=4, repeats=2)}
    assert list(rows) == ["plain", "blocks", "prefix cache", "threshold", "threshold + prefix cache"]
    for r in rows.values():
        assert r["gen_length"] == 8 and r["batch"] == 3 and r["prompt_length"] == 4
        assert r["tokens_per_s"] == pytest.approx(3 * 8 / r["latency_s"])   # rows x generated only
        assert r["peak_memory_mb"] is None                                   # CPU: not measured
    assert rows["plain"]["model_calls_per_token"] == rows["blocks"]["model_calls_per_token"] == 1.0


def test_a_threshold_every_prediction_reaches_finishes_each_block_in_one_call(monkeypatch):
    monkeypatch.setattr(bench_module, "THRESHOLD", 1e-9)      # every confidence is above it
    rows = {r["decoder"]: r for r in bench(_model(), torch.randint(0, 11, (1, 4)), gen_length=8,
                                          block_length=4, repeats=1)}
    assert rows["threshold"]["model_calls_per_token"] == 2 / 8          # two blocks, one call each
    assert rows["plain"]["model_calls_per_token"] == 1.0


def test_an_autoregressive_model_gets_its_two_decoders():
    rows = bench(_model(causal=True), torch.randint(0, 11, (2, 4)), gen_length=6, block_length=6,
                 repeats=1)
    assert [r["decoder"] for r in rows] == ["no cache", "kv cache"]
    assert all(r["model_calls_per_token"] == 1.0 for r in rows)


def test_a_block_diffusion_model_gets_its_sampler_and_its_calls_are_counted():
    # generate_blocks runs the model's layers itself, not model.forward: the count must still see it
    rows = bench(_model(), torch.randint(0, 11, (2, 4)), gen_length=8, block_length=8, repeats=1,
                 block_size=4)
    assert [r["decoder"] for r in rows] == ["block diffusion, no cache", "block diffusion + exact cache"]
    assert all(r["model_calls_per_token"] == 1.0 for r in rows)


def test_prompts_come_from_the_held_out_tenth():
    text = "abcdefghij" * 50
    tok = CharTokenizer.train(text)
    prompts = held_out_prompts(text, tok, n=4, prompt_length=5, seed=1)
    held_out = tok.encode(text)[int(len(text) * 0.9):]
    assert prompts.shape == (4, 5)
    assert all(any(held_out[i:i + 5] == row.tolist() for i in range(len(held_out) - 4)) for row in prompts)


@pytest.mark.parametrize("bad, word", [
    (dict(gen_length=0), "gen_length"), (dict(gen_length=6, block_length=4), "block_length"),
    (dict(repeats=0), "repeats"), (dict(gen_length=100), "max_seq_len"),
])
def test_bad_arguments_are_named(bad, word):
    args = {**dict(gen_length=8, block_length=4, repeats=1), **bad}
    with pytest.raises(ValueError, match=word):
        bench(_model(), torch.randint(0, 11, (1, 4)), **args)


@pytest.mark.parametrize("name, decoders", [("shakespeare", 5), ("shakespeare_ar", 2)])
def test_the_command_prints_a_table_and_writes_json(name, decoders, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = cli_main(["bench", "--ckpt", name, "--gen-length", "16", "--repeats", "1", "--out", str(out),
                     "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| decoder | model calls per token |") and printed.count("\n| ") == decoders
    report = json.loads(out.read_text())
    assert report["data"] == "shakespeare" and len(report["rows"]) == decoders


def test_the_command_names_what_is_wrong(tmp_path, capsys):
    assert cli_main(["bench", "--ckpt", "shakespeare", "--gen-length", "10", "--out",
                     str(tmp_path / "b.json")]) == 2
    assert "--gen-length 10 must be a multiple of --block-length 8" in capsys.readouterr().err
    run = tmp_path / "run"
    assert cli_main(["train", "--max-steps", "2", "--batch-size", "2", "--eval-every", "0", "--out",
                     str(run), "--no-progress"]) == 0
    capsys.readouterr()
    assert cli_main(["bench", "--ckpt", str(run), "--out", str(tmp_path / "b.json")]) == 2
    assert "--data: name the text the checkpoint was trained on" in capsys.readouterr().err


def test_out_replaces_an_earlier_report_but_never_another_file(tmp_path, capsys):
    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "work"}')
    assert cli_main(["bench", "--ckpt", "shakespeare", "--out", str(mine)]) == 2
    assert "is not a bench report" in capsys.readouterr().err and mine.read_text() == '{"my": "work"}'
    report = tmp_path / "bench.json"
    args = ["bench", "--ckpt", "shakespeare_ar", "--gen-length", "8", "--repeats", "1", "--no-progress",
            "--out", str(report)]
    assert cli_main(args) == 0 and cli_main(args) == 0                   # the second replaces the first
