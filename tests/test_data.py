"""The shipped corpus: found by name without a network, intact, fast to encode, and trainable from
the command line."""

import hashlib
import subprocess
import sys
import time

import pytest
import torch

from minillada.data import DATASETS, TextDataset, dataset_path, read_text
from minillada.tokenizer import CharTokenizer


def test_shakespeare_is_shipped_intact():
    path = dataset_path("shakespeare")
    assert path.is_file() and "shakespeare" in DATASETS
    assert hashlib.md5(path.read_bytes()).hexdigest() == "6fb458f1232090904fb40fe944165e91"
    text = read_text("shakespeare")
    assert len(text) == 1_115_394 and text.startswith("First Citizen:")


def test_a_path_still_works_and_an_unknown_name_is_a_clear_error(tmp_path):
    f = tmp_path / "mine.txt"
    f.write_text("hello there")
    assert read_text(f) == "hello there" and read_text(str(f)) == "hello there"
    with pytest.raises(ValueError, match="no data set named 'shakspeare'.*shakespeare"):
        read_text("shakspeare")
    with pytest.raises(ValueError, match="no data file"):
        read_text(tmp_path / "missing.txt")


def test_encoding_a_megabyte_is_fast_and_windows_do_not_copy_the_corpus():
    text = read_text("shakespeare")
    tok = CharTokenizer.train(text)
    t0 = time.perf_counter()
    ids = tok.encode(text)
    seconds = time.perf_counter() - t0
    assert len(ids) == len(text) and tok.vocab_size == 65 + 4
    assert seconds < 5.0, f"{seconds:.2f} s to encode 1.1 MB"    # about 0.1 s; generous under load
    ds = TextDataset(ids, seq_len=64)
    train, val = ds.split(0.1)
    assert train.ids.data_ptr() == ds.ids.data_ptr()             # views, not copies
    assert val.ids.numel() == len(text) - int(len(text) * 0.9)   # the last 10% held out
    x0, _ = train.sample(4, torch.Generator().manual_seed(0))
    assert x0.shape == (4, 64)


def test_cli_trains_on_shakespeare_by_name(tmp_path):
    run = subprocess.run([sys.executable, "-m", "minillada", "train", "--data", "shakespeare",
                          "--max-steps", "2", "--batch-size", "4", "--eval-every", "2",
                          "--eval-batches", "1", "--out", str(tmp_path), "--no-progress"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "69 tokens (char)" in run.stdout
    out = subprocess.run([sys.executable, "-m", "minillada", "sample", "--ckpt", str(tmp_path),
                          "--prompt", "ROMEO:", "--gen-length", "8"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
