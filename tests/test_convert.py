"""AR-to-diffusion (issue 29): ``train --init-from`` starts a run from another run's weights; from
an AR run into ``--objective mdm`` the same weights continue, bidirectional, with the diffusion
loss."""

import subprocess
import sys

import pytest
import torch

from minillada.cli import _init_from
from minillada.infra.checkpoint import load_checkpoint
from minillada.model import ModelConfig, Transformer
from minillada.tokenizer import CharTokenizer

TRAIN = [sys.executable, "-m", "minillada", "train", "--max-steps", "3", "--batch-size", "4",
         "--eval-every", "0", "--no-progress"]


@pytest.fixture(scope="module")
def ar_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ar")
    proc = subprocess.run([*TRAIN, "--objective", "ar", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_an_ar_run_continues_as_a_masked_diffusion_model(ar_run, tmp_path):
    proc = subprocess.run([*TRAIN, "--init-from", str(ar_run), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"initialised from {ar_run} (AR, step 3); training on as a masked diffusion model" in proc.stdout
    mdm = load_checkpoint(tmp_path)
    assert mdm.model.config.causal is False and mdm.step == 3


def test_the_weights_are_the_ar_runs_and_the_attention_turns_bidirectional(ar_run):
    ar = load_checkpoint(ar_run)
    model = Transformer(ModelConfig(**{**ar.model.config.to_dict(), "causal": False}))
    _init_from(model, ar.tokenizer, ar_run, resume=False)
    theirs = ar.model.state_dict()
    assert all(torch.equal(v, theirs[k]) for k, v in model.state_dict().items())
    assert not model.config.causal and all(not b.attn.causal for b in model.blocks)


def test_a_different_model_or_tokenizer_or_resume_is_refused(ar_run):
    ar = load_checkpoint(ar_run)
    wider = Transformer(ModelConfig(**{**ar.model.config.to_dict(), "d_model": 64, "causal": False}))
    with pytest.raises(ValueError, match=r"differs from this run's in d_model \(128 there, 64 here\)"):
        _init_from(wider, ar.tokenizer, ar_run, resume=False)
    same = Transformer(ModelConfig(**{**ar.model.config.to_dict(), "causal": False}))
    other = CharTokenizer.train("zyxwvutsrqponmlkjihgfedcba" * 3)
    with pytest.raises(ValueError, match="its tokenizer is not this run's"):
        _init_from(same, other, ar_run, resume=False)
    with pytest.raises(ValueError, match="--init-from starts a new run"):
        _init_from(same, ar.tokenizer, ar_run, resume=True)


def test_a_missing_checkpoint_is_named_by_its_flag(tmp_path):
    model = Transformer(ModelConfig(vocab_size=12, mask_id=11, d_model=16, n_layers=1, n_heads=2))
    with pytest.raises(ValueError, match="--init-from: .*not a minillada checkpoint"):
        _init_from(model, None, tmp_path / "nowhere", resume=False)
