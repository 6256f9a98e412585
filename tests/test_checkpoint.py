"""A run directory never loses a checkpoint (issue 19, and the checkpoint cases of issue 18).

Each test reproduces one case that once lost a trained model, loaded the wrong one, or failed
with a raw exception: resuming past damaged checkpoints, pruning by step number, refusing to
train over another run, a ``latest`` that points out of the run, checksums, damaged files, stale
temporaries of interrupted saves, and the command line's seed and --out checks.
"""

import json
import warnings
from pathlib import Path

import pytest
import torch

from minillada import CharTokenizer, ModelConfig, Transformer
from minillada.cli import main
from minillada.infra.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from minillada.data import TextDataset, synthetic_corpus
from minillada.infra.run_dir import find_resumable
from minillada.train import TrainConfig, train

TEXT = synthetic_corpus(300, seed=0)
TOK = CharTokenizer.train(TEXT)
DATA = TextDataset.from_text(TEXT, TOK, seq_len=32)


def tiny(seed=0, d_model=32):
    torch.manual_seed(seed)
    return Transformer(ModelConfig(vocab_size=TOK.vocab_size, mask_id=TOK.mask_id, d_model=d_model,
                                   n_layers=2, n_heads=2, max_seq_len=32))


def config(**kw):
    base = dict(max_steps=20, batch_size=4, seq_len=32, warmup_steps=2, eval_every=0,
                save_every=5, progress=False, lr=3e-3)
    return TrainConfig(**{**base, **kw})


def run(out, seed=0, **kw):
    """Train a tiny model into ``out``; returns its history."""
    return train(tiny(seed), DATA, config(**kw), tokenizer=TOK, out_dir=out)


def names(run_dir):
    return [p.name for _, p in list_checkpoints(run_dir)]


def weights(path):
    return (Path(path) / "model.pt").read_bytes()


def without_checksums(path):
    """Make ``path`` look like a checkpoint of an older minillada (no checksums in meta.json)."""
    meta = json.loads((path / "meta.json").read_text())
    del meta["files"]
    (path / "meta.json").write_text(json.dumps(meta))


def flip_bytes(file, n=16):
    data = bytearray(file.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + n):
        data[i] ^= 0xFF
    file.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 20-step run (checkpoints step_000015 and step_000020) and its losses."""
    out = tmp_path_factory.mktemp("finished") / "run"
    losses = [h["loss"] for h in run(out)]
    assert names(out) == ["step_000015", "step_000020"]
    return out, losses


@pytest.fixture
def run_dir(finished, tmp_path):
    """A fresh copy of the finished run, to damage."""
    import shutil
    out = tmp_path / "run"
    shutil.copytree(finished[0], out)
    return out


# ---- 1. resume: the newest intact checkpoint, never a silent restart --------------------------

@pytest.mark.parametrize("damage, resumed", [
    (lambda d: (d / "latest").write_text("step_000099"), 20),                  # names a missing dir
    (lambda d: ((d / "step_000099").mkdir(), (d / "latest").write_text("step_000099")), 20),
    (lambda d: (d / "latest").write_text("/etc"), 20),
    (lambda d: (d / "latest").write_text("../../word/step_000005"), 20),
    (lambda d: (d / "step_000020" / "meta.json").unlink(), 15),
    (lambda d: ((d / "step_000020" / "meta.json").unlink(), (d / "step_000020" / "meta.json").mkdir()),
     15),
    (lambda d: flip_bytes(d / "step_000020" / "model.pt"), 15),
    (lambda d: __import__("shutil").rmtree(d / "step_000020"), 15),
], ids=["latest-missing", "latest-empty", "latest-etc", "latest-outside", "meta-missing",
        "meta-a-directory", "model-damaged", "step-deleted"])
def test_resume_skips_what_is_damaged_and_says_so(run_dir, finished, capsys, damage, resumed):
    damage(run_dir)
    intact = weights(run_dir / "step_000015")
    history = train(tiny(seed=123), DATA, config(), tokenizer=TOK, out_dir=run_dir, resume=True)
    said = capsys.readouterr().out
    assert f"resume: continuing from {run_dir / f'step_{resumed:06d}'} (step {resumed})" in said
    assert "resume: skipped" in said
    # the resumed run repeats the lost steps exactly (and rewrites step_000020), keeps the intact
    # checkpoints, and leaves latest naming the newest one
    assert [h["loss"] for h in history] == finished[1]
    assert weights(run_dir / "step_000020") == weights(finished[0] / "step_000020")
    assert weights(run_dir / "step_000015") == intact
    assert load_checkpoint(run_dir).step == 20


def test_resume_with_no_intact_checkpoint_stops_and_changes_nothing(run_dir):
    for name in ("step_000015", "step_000020"):
        (run_dir / name / "meta.json").unlink()
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    called = []
    with pytest.raises(ValueError, match="no intact checkpoint"):
        train(tiny(), DATA, config(), tokenizer=TOK, out_dir=run_dir, resume=True,
              callback=lambda step, record: called.append(step))
    assert not called
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


def test_resume_into_an_empty_directory_starts_from_step_0_and_says_so(tmp_path, capsys):
    history = train(tiny(), DATA, config(max_steps=3), out_dir=tmp_path / "new", resume=True)
    assert len(history) == 3 and "training starts from step 0" in capsys.readouterr().out
    assert load_checkpoint(tmp_path / "new").step == 3


@pytest.mark.parametrize("damage, reason", [
    (lambda d: (d / "train.pt").unlink(), "holds no optimizer state"),
    (lambda d: torch.save({}, d / "train.pt"), "holds no optimizer state"),
    (lambda d: (d / "train.pt").write_bytes(b""), "damaged"),
])
def test_resume_without_a_usable_train_pt_is_a_clear_error(tmp_path, damage, reason):
    out = tmp_path / "run"
    run(out, max_steps=5)
    without_checksums(out / "step_000005")
    damage(out / "step_000005")
    with pytest.raises(ValueError, match="no intact checkpoint"):
        train(tiny(), DATA, config(max_steps=10), out_dir=out, resume=True)
    assert reason in find_resumable(out)[1][0]


@pytest.mark.parametrize("change, setting", [
    (dict(d_model=16), "d_model"),
    (dict(tokenizer="word"), "tokenizer"),
])
def test_resume_with_other_settings_names_the_setting(tmp_path, change, setting):
    out = tmp_path / "run"
    run(out, max_steps=5)
    model = tiny(d_model=change.get("d_model", 32))
    cfg = config(max_steps=10, **{k: v for k, v in change.items() if k != "d_model"})
    with pytest.raises(ValueError, match=f"cannot resume .* differs from it in .*{setting}"):
        train(model, DATA, cfg, tokenizer=TOK, out_dir=out, resume=True)


def test_resume_with_another_tokenizer_vocabulary_says_so(tmp_path):
    out = tmp_path / "run"
    run(out, max_steps=5)
    other = CharTokenizer(sorted(set(TEXT))[::-1])               # same size, other ids
    with pytest.raises(ValueError, match="tokenizer's vocabulary"):
        train(tiny(), DATA, config(max_steps=10), tokenizer=other, out_dir=out, resume=True)


# ---- 2. a new run never writes over another run; pruning by step number ----------------------

def test_a_new_run_into_a_run_directory_is_refused_before_training(run_dir):
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    called = []
    with pytest.raises(ValueError, match="already holds a run .*resume=True.*overwrite=True"):
        train(tiny(), DATA, config(max_steps=10), out_dir=run_dir,
              callback=lambda step, record: called.append(step))
    assert not called
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


def test_overwrite_replaces_the_previous_run(run_dir, capsys):
    train(tiny(), DATA, config(max_steps=10), out_dir=run_dir, overwrite=True)
    assert "deleted the previous run" in capsys.readouterr().out
    assert names(run_dir) == ["step_000005", "step_000010"] and load_checkpoint(run_dir).step == 10
    with pytest.raises(ValueError, match="exclude each other"):
        train(tiny(), DATA, config(), out_dir=run_dir, overwrite=True, resume=True)


def test_pruning_orders_by_step_number_not_by_name(tmp_path):
    model = tiny()
    for step in (999_998, 999_999, 1_000_000):
        save_checkpoint(tmp_path, model, step)
    assert names(tmp_path) == ["step_999999", "step_1000000"]
    assert load_checkpoint(tmp_path).step == 1_000_000


def test_saving_an_earlier_step_keeps_it_and_latest_names_it(tmp_path):
    model = tiny()
    for step in (15, 20, 10):
        save_checkpoint(tmp_path, model, step)
    assert names(tmp_path) == ["step_000010", "step_000015", "step_000020"]
    assert (tmp_path / "latest").read_text() == "step_000010"
    assert load_checkpoint(tmp_path).step == 10


@pytest.mark.parametrize("step", [-1, 1.5, True, "3"])
def test_save_checkpoint_rejects_a_step_that_is_not_a_count(tmp_path, step):
    with pytest.raises(ValueError, match="step must be a non-negative int"):
        save_checkpoint(tmp_path, tiny(), step)
    assert not list(tmp_path.iterdir())


# ---- 5. latest stays inside the run directory ------------------------------------------------

def test_latest_cannot_point_out_of_the_run_directory(tmp_path):
    save_checkpoint(tmp_path / "word", tiny(), 5)
    save_checkpoint(tmp_path / "runs" / "char", tiny(), 5)
    (tmp_path / "runs" / "char" / "latest").write_text("../../word/step_000005")
    with pytest.raises(ValueError, match="not a checkpoint of this run directory"):
        load_checkpoint(tmp_path / "runs" / "char")
    (tmp_path / "runs" / "char" / "step_000007").symlink_to(tmp_path / "word" / "step_000005")
    (tmp_path / "runs" / "char" / "latest").write_text("step_000007")
    with pytest.raises(ValueError, match="a link out of the run directory"):
        load_checkpoint(tmp_path / "runs" / "char")


# ---- 6. checksums ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["model.pt", "train.pt", "tokenizer.json"])
def test_flipped_bytes_are_caught_by_the_checksum(tmp_path, name):
    path = save_checkpoint(tmp_path, tiny(), 1, tokenizer=TOK)
    flip_bytes(path / name)
    with pytest.raises(ValueError, match=f"{name} does not match the sha256 checksum"):
        load_checkpoint(tmp_path)


def test_a_file_added_after_saving_or_missing_is_caught(tmp_path):
    path = save_checkpoint(tmp_path, tiny(), 1)                  # no tokenizer
    TOK.save(path / "tokenizer.json")
    with pytest.raises(ValueError, match="tokenizer.json is not listed"):
        load_checkpoint(tmp_path)
    (path / "tokenizer.json").unlink()
    (path / "train.pt").unlink()
    with pytest.raises(ValueError, match="incomplete: .*train.pt is missing"):
        load_checkpoint(tmp_path)


def test_a_checkpoint_without_checksums_still_loads(tmp_path):
    path = save_checkpoint(tmp_path, tiny(), 1, tokenizer=TOK)
    without_checksums(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_checkpoint(tmp_path).step == 1


# ---- issue 18: damaged files, each a ValueError that names the file --------------------------

@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.pt").write_bytes(b""), "model.pt is damaged"),
    (lambda d: torch.save(torch.zeros(3), d / "model.pt"), "model.pt holds a Tensor, not a state dict"),
    (lambda d: (d / "meta.json").write_text("[1, 2]"), "meta.json is damaged: it holds a JSON list"),
    (lambda d: (d / "meta.json").write_text(json.dumps({"format_version": 1, "model_config": {}})),
     "meta.json is damaged: its 'step' is None"),
    (lambda d: (d / "meta.json").write_text(json.dumps({"format_version": 1, "step": -3})),
     "'step' is -3"),
    (lambda d: (d / "meta.json").write_text("[" * 100_000 + "]" * 100_000), "meta.json is damaged"),
])
def test_damaged_files_are_a_value_error_naming_the_file(tmp_path, damage, message):
    path = save_checkpoint(tmp_path, tiny(), 1, tokenizer=TOK)
    without_checksums(path)                            # the checks behind the checksums
    damage(path)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(tmp_path)


def test_a_zero_byte_model_fails_the_checksum(tmp_path):
    path = save_checkpoint(tmp_path, tiny(), 1)
    (path / "model.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="model.pt does not match"):
        load_checkpoint(tmp_path)


# ---- issue 18: temporaries that killed saves leave behind ------------------------------------

def leave_temporaries(run_dir):
    (run_dir / ".step_000025.k1llxd").mkdir(parents=True)
    (run_dir / ".step_000025.k1llxd" / "model.pt").write_bytes(b"half")
    (run_dir / ".step_000030.zz9").mkdir()
    (run_dir / ".latest.tmp").write_text("step_000030")


def test_the_next_save_removes_stale_temporaries_and_says_so(run_dir):
    leave_temporaries(run_dir)
    with pytest.warns(UserWarning, match="removed 3 unfinished checkpoint"):
        save_checkpoint(run_dir, tiny(), 25)
    assert sorted(p.name for p in run_dir.iterdir()) == ["latest", "step_000020", "step_000025"]


def test_the_next_start_removes_stale_temporaries_and_says_so(run_dir, capsys):
    leave_temporaries(run_dir)
    train(tiny(), DATA, config(max_steps=25), tokenizer=TOK, out_dir=run_dir, resume=True)
    assert "removed 3 unfinished checkpoint" in capsys.readouterr().out
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]


# ---- 3 and 4. the command line: --out checked first; the same --seed, the same bytes ----------

def cli(*args, capsys):
    """Run ``python -m minillada ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    said = capsys.readouterr()
    return code, said.out, said.err


TRAIN = ("train", "--max-steps", "3", "--batch-size", "4", "--seq-len", "32", "--eval-every", "0",
         "--warmup-steps", "1", "--no-progress", "--device", "cpu")


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "text.txt").write_text(TEXT)
    return tmp_path / "text.txt"


@pytest.mark.parametrize("out", ["file", "file/sub"])
def test_cli_bad_out_fails_before_training(tmp_path, corpus, capsys, out):
    (tmp_path / "file").write_text("not a directory")
    code, said, err = cli(*TRAIN, "--data", corpus, "--out", tmp_path / out, capsys=capsys)
    assert code == 2 and err.startswith("minillada train: error: --out") and "Traceback" not in err
    assert "parameters" not in said                     # it stopped before building a model


def test_cli_reversal_bad_out_fails_at_once(tmp_path, capsys):
    (tmp_path / "file").write_text("not a directory")
    code, _, err = cli("reversal", "--quick", "--no-progress", "--out", tmp_path / "file" / "sub",
                       capsys=capsys)
    assert code == 2 and err.startswith("minillada reversal: error: --out")


def test_cli_same_seed_same_bytes(tmp_path, corpus, capsys):
    for out, seed in (("a", 7), ("b", 7), ("c", 9)):
        torch.manual_seed(out == "b")      # whatever state the process is in: --seed decides
        code, _, err = cli(*TRAIN, "--data", corpus, "--seed", seed, "--out", tmp_path / out,
                           capsys=capsys)
        assert code == 0, err
    a, b, c = (tmp_path / out / "step_000003" for out in ("a", "b", "c"))
    for name in ("model.pt", "train.pt", "tokenizer.json", "meta.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "model.pt").read_bytes() != (c / "model.pt").read_bytes()


def test_cli_refuses_a_run_directory_then_resume_and_overwrite_work(tmp_path, corpus, capsys):
    out = tmp_path / "run"
    assert cli(*TRAIN, "--data", corpus, "--out", out, capsys=capsys)[0] == 0
    code, said, err = cli(*TRAIN, "--data", corpus, "--out", out, capsys=capsys)
    assert code == 2 and "already holds a run" in err and "with --resume" in err
    assert "parameters" not in said                     # refused before the data was read
    code, said, _ = cli(*TRAIN[:2], 6, *TRAIN[3:], "--data", corpus, "--out", out, "--resume",
                        capsys=capsys)
    assert code == 0 and "continuing from" in said and "3 steps in" in said
    code, said, _ = cli(*TRAIN[:2], 6, *TRAIN[3:], "--data", corpus, "--out", out, "--resume",
                        capsys=capsys)
    assert code == 0 and "no steps to run" in said
    code, said, _ = cli(*TRAIN, "--data", corpus, "--out", out, "--overwrite", capsys=capsys)
    assert code == 0 and "deleted the previous run" in said and names(out) == ["step_000003"]
    code, _, err = cli(*TRAIN, "--data", corpus, "--out", out, "--resume", "--tokenizer", "word",
                       capsys=capsys)
    assert code == 2 and "tokenizer: 'char' in the checkpoint, 'word' now" in err


def test_cli_sample_refuses_a_latest_out_of_the_run(tmp_path, capsys):
    save_checkpoint(tmp_path / "word", tiny(), 5, tokenizer=TOK)
    save_checkpoint(tmp_path / "runs" / "char", tiny(), 5, tokenizer=TOK)
    (tmp_path / "runs" / "char" / "latest").write_text("../../word/step_000005")
    code, _, err = cli("sample", "--ckpt", tmp_path / "runs" / "char", "--prompt", "the", capsys=capsys)
    assert code == 2 and "not a checkpoint of this run directory" in err
