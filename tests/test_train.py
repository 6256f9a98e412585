import errno
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import minillada.infra.checkpoint as checkpoint_module
from minillada import CharTokenizer, ModelConfig, Transformer
from minillada.infra.checkpoint import load_checkpoint, save_checkpoint
from minillada.data import SFTDataset, TextDataset, synthetic_corpus
from minillada.train import TrainConfig, lr_at, train

from conftest import ConstantLogits

TEXT = synthetic_corpus(300, seed=0)
ROOT = Path(__file__).resolve().parent.parent


def small_setup(causal=False, seed=0):
    tok = CharTokenizer.train(TEXT)
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=32,
                                    n_layers=2, n_heads=2, max_seq_len=32, causal=causal))
    data = TextDataset.from_text(TEXT, tok, seq_len=32)
    return tok, model, data


def quick_cfg(**kw):
    base = dict(max_steps=12, batch_size=8, seq_len=32, warmup_steps=2, eval_every=0,
                save_every=0, progress=False, lr=3e-3)
    return TrainConfig(**{**base, **kw})


def test_lr_schedules():
    cos = TrainConfig(lr=1.0, warmup_steps=10, max_steps=110, min_lr_ratio=0.1)
    assert lr_at(0, cos) == pytest.approx(0.1) and lr_at(9, cos) == pytest.approx(1.0)
    assert lr_at(109, cos) == pytest.approx(0.1)
    lrs = [lr_at(s, cos) for s in range(10, 110)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))       # cosine only goes down
    wsd = TrainConfig(lr=1.0, warmup_steps=10, max_steps=100, schedule="wsd", decay_fraction=0.2,
                      min_lr_ratio=0.0)
    assert lr_at(50, wsd) == 1.0 and lr_at(79, wsd) == 1.0     # stable
    assert lr_at(80, wsd) < 1.0 and lr_at(99, wsd) == pytest.approx(0.0)  # decay


@pytest.mark.parametrize("objective", ["mdm", "ar"])
def test_overfits_a_tiny_corpus(objective):
    text = "abcabd abcabd abcabd abcabd " * 20
    tok = CharTokenizer.train(text)
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=32,
                                    n_layers=2, n_heads=2, max_seq_len=16,
                                    causal=objective == "ar"))
    data = TextDataset.from_text(text, tok, seq_len=16)
    config = quick_cfg(objective=objective, max_steps=150, batch_size=16, seq_len=16, lr=1e-2,
                    eval_every=150, eval_batches=4)
    history = train(model, data, config, val_data=data)
    first = sum(h["loss"] for h in history[:5]) / 5
    assert history[-1]["val_loss"] < 0.25 * first, (first, history[-1]["val_loss"])


def test_history_records():
    tok, model, data = small_setup()
    history = train(model, data, quick_cfg(max_steps=4, eval_every=2), val_data=data, tokenizer=tok)
    assert [h["step"] for h in history] == [1, 2, 3, 4]
    assert {"loss", "lr", "tokens_per_s"} <= set(history[0])
    assert "val_loss" in history[1] and "sample" in history[1] and "val_loss" not in history[0]


def test_a_callback_that_returns_true_stops_training_and_the_stop_is_saved(tmp_path):
    tok, model, data = small_setup()
    seen = []

    def stop_at_3(step, record):
        seen.append(step)
        return step == 3 or None                      # None, False: go on; True: stop here

    config = quick_cfg(max_steps=10)
    history = train(model, data, config, tokenizer=tok, out_dir=tmp_path, callback=stop_at_3)
    assert seen == [1, 2, 3] and [h["step"] for h in history] == [1, 2, 3]
    assert load_checkpoint(tmp_path).step == 3       # the last step trained, not max_steps
    assert history[-1]["lr"] == lr_at(2, config)     # the schedule still spans max_steps
    # a truthy value that is not True does not stop (only an explicit True does)
    _, model, data = small_setup()
    assert len(train(model, data, quick_cfg(max_steps=4), callback=lambda s, r: 1)) == 4


class StopAfter:
    """A dataset that raises after n batches: a simulated crash in the middle of training."""

    def __init__(self, data, n):
        self.data, self.n = data, n

    def sample(self, rows, generator=None):
        if self.n == 0:
            raise KeyboardInterrupt("simulated crash")
        self.n -= 1
        return self.data.sample(rows, generator)


@pytest.mark.parametrize("optimizer", ["adamw", "muon"])
def test_resume_gives_the_same_losses(tmp_path, optimizer):
    config = quick_cfg(save_every=5, grad_accum=2, optimizer=optimizer)
    _, model, data = small_setup()
    straight = train(model, data, config, out_dir=tmp_path / "a")

    _, model, data = small_setup()
    with pytest.raises(KeyboardInterrupt):
        train(model, StopAfter(data, 7), config, out_dir=tmp_path / "b")
    assert load_checkpoint(tmp_path / "b").step == 5
    _, model, data = small_setup(seed=123)          # a fresh process would start from other weights
    resumed = train(model, data, config, out_dir=tmp_path / "b", resume=True)
    assert [h["loss"] for h in resumed] == [h["loss"] for h in straight]
    assert torch.equal(load_checkpoint(tmp_path / "a").model.head.weight,
                       load_checkpoint(tmp_path / "b").model.head.weight)


def test_muon_trains_the_block_matrices_and_adamw_the_rest():
    from minillada.train import MuonAndAdamW, make_optimizer
    _, model, data = small_setup()
    opt = make_optimizer(model, quick_cfg(optimizer="muon"))
    assert isinstance(opt, MuonAndAdamW)
    in_muon = {id(p) for g in opt.muon.param_groups for p in g["params"]}
    for name, p in model.named_parameters():
        assert (id(p) in in_muon) == (name.startswith("blocks.") and p.dim() == 2), name
    assert len(opt.param_groups) == 3                 # the loop's schedule reaches every group
    history = train(model, data, quick_cfg(optimizer="muon", max_steps=30))
    assert history[-1]["loss"] < history[0]["loss"]


def test_checkpoint_round_trip(tmp_path):
    tok, model, _ = small_setup()
    save_checkpoint(tmp_path, model, 3, tokenizer=tok, train_config={"lr": 1.0})
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 3 and ckpt.train_config == {"lr": 1.0}
    assert ckpt.model.config == model.config and ckpt.tokenizer.encode("the") == tok.encode("the")
    for a, b in zip(ckpt.model.parameters(), model.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("code, message", [
    (errno.ENOSPC, r"no space left writing \S+/train.pt; the last checkpoint is step 1 \(intact\)$"),
    (errno.EFBIG, r"no space left writing \S+/train.pt \(a file-size limit.*step 1 \(intact\)$"),
    (errno.EIO, r"Input/output error"),              # not about space: passed on as it was
])
def test_a_crash_during_save_keeps_the_good_checkpoint(tmp_path, monkeypatch, code, message):
    tok, model, _ = small_setup()
    save_checkpoint(tmp_path, model, 1, tokenizer=tok)
    real_write = checkpoint_module._save_tensors
    calls = []

    def failing_write(obj, file):
        calls.append(file)
        if len(calls) == 2:  # model.pt is written, then the disk fails while writing train.pt
            Path(file).write_bytes(b"half")
            with checkpoint_module._writing(file):
                raise OSError(code, os.strerror(code))
        return real_write(obj, file)

    monkeypatch.setattr(checkpoint_module, "_save_tensors", failing_write)
    with torch.no_grad():
        model.head.weight.add_(1.0)
    with pytest.raises(OSError, match=message) as info:
        save_checkpoint(tmp_path, model, 2, tokenizer=tok)
    assert isinstance(info.value, checkpoint_module.NoSpaceError) == (code != errno.EIO)
    monkeypatch.setattr(checkpoint_module, "_save_tensors", real_write)
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 1
    assert not torch.equal(ckpt.model.head.weight, model.head.weight)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step_000001"]


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.pt").write_bytes(b"not a tensor file"), "damaged"),
    (lambda d: (d / "meta.json").write_text("{oops"), "damaged"),
    (lambda d: (d / "model.pt").unlink(), "incomplete"),
    (lambda d: torch.save({"embed.weight": torch.zeros(3, 3)}, d / "model.pt"), "does not fit"),
    (lambda d: torch.save({"x": object()}, d / "model.pt"), "weights-only"),
    (lambda d: (d / "meta.json").write_text(json.dumps({"format_version": 0})), "format"),
])
def test_corrupt_checkpoint_raises_value_error(tmp_path, damage, message):
    tok, model, _ = small_setup()
    path = save_checkpoint(tmp_path, model, 1, tokenizer=tok)
    meta = json.loads((path / "meta.json").read_text())
    del meta["files"]          # as an older checkpoint, without checksums: the checks behind them
    (path / "meta.json").write_text(json.dumps(meta))
    damage(path)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(tmp_path)


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="not a minillada checkpoint"):
        load_checkpoint(tmp_path)


def test_sft_training_never_masks_the_prompt():
    spy = ConstantLogits(vocab_size=16)
    data = SFTDataset([([5, 6, 7], [8, 9]), ([5], [10, 11, 12, 13])], eos_id=3, seq_len=8)
    train(spy, data, quick_cfg(max_steps=20, batch_size=4, seq_len=8))
    assert len(spy.calls) == 20
    for x in spy.calls:
        for row in x:
            plen = 3 if int(row[1]) == 6 else 1
            assert (row[:plen] != 1).all()


def test_sft_dataset_and_text_dataset():
    data = SFTDataset([([5, 6], [7]), ([5], [8, 9])], eos_id=3, seq_len=6)
    x0, pl = data.sample(10, torch.Generator().manual_seed(0))
    assert x0.shape == (10, 6) and set(pl.tolist()) <= {1, 2}
    with pytest.raises(ValueError, match="longest pair"):
        SFTDataset([([5] * 5, [6] * 5)], eos_id=3, seq_len=8)
    stream = TextDataset(torch.arange(100), seq_len=10)
    x0, _ = stream.sample(5, torch.Generator().manual_seed(0))
    assert (x0[:, 1:] - x0[:, :-1] == 1).all()               # windows are contiguous
    with pytest.raises(ValueError, match="fewer than seq_len"):
        TextDataset(torch.arange(5), seq_len=10)


def test_ar_objective_needs_a_causal_model():
    _, model, data = small_setup(causal=False)
    with pytest.raises(ValueError, match="causal=True"):
        train(model, data, quick_cfg(objective="ar"))


def _run(args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT, **kw)


def test_two_process_gloo_matches_one_process(tmp_path):
    worker = Path(__file__).parent / "ddp_worker.py"
    two = _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                "--master_port=29517", str(worker), str(tmp_path / "two"), "4"])
    assert two.returncode == 0, two.stderr[-3000:]
    one = _run([sys.executable, str(worker), str(tmp_path / "one"), "8"])
    assert one.returncode == 0, one.stderr[-3000:]
    r0 = json.loads((tmp_path / "two" / "rank0.json").read_text())
    r1 = json.loads((tmp_path / "two" / "rank1.json").read_text())
    single = json.loads((tmp_path / "one" / "rank0.json").read_text())
    assert r0["param_sum"] == r1["param_sum"]             # the ranks stayed identical
    assert r0["losses"] == pytest.approx(single["losses"], rel=1e-4)
    assert r0["param_sum"] == pytest.approx(single["param_sum"], rel=1e-4)
    assert not (tmp_path / "two" / "run" / "rank1").exists()


def test_cli_train_and_sample(tmp_path):
    run = _run([sys.executable, "-m", "minillada", "train", "--max-steps", "3", "--batch-size", "4",
                "--eval-every", "0", "--out", str(tmp_path), "--no-progress"])
    assert run.returncode == 0, run.stderr[-2000:]
    out = _run([sys.executable, "-m", "minillada", "sample", "--ckpt", str(tmp_path), "--prompt",
                "the brave", "--gen-length", "8"])
    assert out.returncode == 0, out.stderr[-2000:]
    cached = _run([sys.executable, "-m", "minillada", "sample", "--ckpt", str(tmp_path), "--prompt",
                   "the brave", "--gen-length", "8", "--block-length", "4", "--kv-cache"])
    assert cached.returncode == 0 and len(cached.stdout.strip("\n")) <= 8, cached.stderr[-2000:]
    ancestral = _run([sys.executable, "-m", "minillada", "sample", "--ckpt", str(tmp_path), "--prompt",
                      "the brave", "--gen-length", "8", "--remasking", "random"])
    assert ancestral.returncode == 0, ancestral.stderr[-2000:]
    bad = _run([sys.executable, "-m", "minillada", "sample", "--ckpt", str(tmp_path), "--prompt",
                "ZZZ"])
    assert bad.returncode == 2 and "'Z' at position 0" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_train_step_is_one_step_of_the_loop():
    """train_step, the exercise's one-function version, matches the loop's first step exactly."""
    from minillada.train import make_optimizer, train_step

    tok, model_a, data = small_setup()
    _, model_b, _ = small_setup()
    config = quick_cfg(max_steps=1, warmup_steps=0, schedule="constant", batch_size=8)
    history = train(model_a, data, config)
    g_data = torch.Generator().manual_seed(config.seed)
    g_mask = torch.Generator().manual_seed(config.seed + 1)
    x0, _ = data.sample(config.batch_size, g_data)
    loss = train_step(model_b, make_optimizer(model_b, config), x0, tok.mask_id, generator=g_mask)
    assert loss == pytest.approx(history[0]["loss"], rel=1e-5)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


# ---- the loop runs exercise 6.2's step (issue 27) ---------------------------------------------

@pytest.mark.parametrize("sft", [False, True], ids=["pretrain", "sft"])
def test_train_runs_train_step_and_the_fast_step_gives_the_same_run(tmp_path, monkeypatch, sft):
    """With nothing fast asked for, every step of train() is a call of train_step (LLaDA's
    Algorithm 1, the function exercise 6.2 builds); forcing fast/training.py's step instead gives
    the same losses and checkpoints identical byte for byte."""
    train_module = importlib.import_module("minillada.train")   # the module (ml.train is the function)
    calls = []
    real_step = train_module.train_step
    monkeypatch.setattr(train_module, "train_step", lambda *a, **k: calls.append(1) or real_step(*a, **k))
    runs = {}
    for plain in (True, False):
        monkeypatch.setattr(train_module, "_plain", lambda *a, plain=plain: plain)
        tok, model, data = small_setup()
        if sft:
            data = SFTDataset.from_text_pairs([("the cat", " sat"), ("a dog", " ran far")], tok, 16)
        runs[plain] = train(model, data, quick_cfg(max_steps=6, seq_len=16, eval_every=3), tokenizer=tok,
                            out_dir=tmp_path / str(plain))
    assert len(calls) == 6                                   # the plain run, one call per step
    losses = {plain: [(r["loss"], r.get("val_loss")) for r in h] for plain, h in runs.items()}
    assert losses[True] == losses[False]
    for name in ("model.pt", "train.pt", "tokenizer.json", "meta.json"):
        plain, fast = (tmp_path / str(p) / "step_000006" / name for p in (True, False))
        assert plain.read_bytes() == fast.read_bytes(), name


def test_the_fast_step_is_used_when_the_run_needs_it():
    from minillada.train import _plain
    cpu, one = torch.device("cpu"), type("Ranks", (), {"enabled": False})()
    assert _plain(quick_cfg(), cpu, one)
    for changed in (dict(grad_accum=2), dict(objective="ar"), dict(mask_eps=0.01), dict(compile=True)):
        assert not _plain(quick_cfg(**changed), cpu, one), changed
    assert not _plain(quick_cfg(), torch.device("cuda"), one)          # bf16 autocast on a GPU
