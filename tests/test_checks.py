"""The input checks every public function calls (minillada/checks.py): each bad input is one clear
ValueError, and the public functions reach them."""

import math

import pytest
import torch

from minillada import generate, generate_fast, infill
from minillada.infra import checks
from minillada.model import ModelConfig, Transformer


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(ModelConfig(vocab_size=16, mask_id=1, d_model=16, n_layers=1, n_heads=2,
                                   max_seq_len=32)).eval()


@pytest.mark.parametrize("x, message", [
    (torch.zeros(2, 3), r"\(2, 3\) of torch.float32"),
    (torch.zeros(3, dtype=torch.long), r"\(3,\) of torch.int64"),
    ([[1, 2]], "got list"),
    (torch.full((1, 2), 16), r"0\.\.15; got min 16, max 16"),
    (torch.full((1, 2), -1), r"0\.\.15"),
])
def test_token_ids(x, message):
    with pytest.raises(ValueError, match=message):
        checks.token_ids(x, "x0", vocab_size=16)


def test_token_batch_makes_a_batch_and_refuses_floats():
    assert checks.token_batch([4, 5]).tolist() == [[4, 5]]
    assert checks.token_batch(torch.ones(2, 3, dtype=torch.long)).shape == (2, 3)
    with pytest.raises(ValueError, match="prompt must be"):
        checks.token_batch([4.9, 5.0], "prompt")


def test_fits_and_mask_id_of(model):
    checks.fits(model.config, 32, "32 tokens")
    with pytest.raises(ValueError, match="33 tokens is longer than max_seq_len=32"):
        checks.fits(model.config, 33, "33 tokens")
    checks.fits(None, 10_000, "a model without a config is not checked")
    assert checks.mask_id_of(model) == 1 and checks.mask_id_of(model, 7) == 7
    with pytest.raises(ValueError, match="mask_id"):
        checks.mask_id_of(object())


@pytest.mark.parametrize("kwargs, message", [
    (dict(temperature=math.nan), "temperature"), (dict(temperature=math.inf), "temperature"),
    (dict(temperature=None), "temperature"), (dict(steps=0), "steps"), (dict(steps=2.0), "steps"),
    (dict(steps=True), "steps"), (dict(gen_length=8.0), "gen_length"),
    (dict(block_length=0), "block_length"), (dict(remasking="greedy"), "remasking"),
    (dict(cfg_scale=-1.0), "cfg_scale"), (dict(threshold=0.0), "threshold"),
])
def test_generate_refuses_bad_arguments(model, kwargs, message):
    kw = {"steps": 8, "gen_length": 8, "block_length": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        (generate_fast if "threshold" in kw else generate)(model, torch.tensor([[4, 5]]), **kw)


def test_generate_autoregressive_refuses_bad_arguments():
    from minillada import generate_autoregressive

    ar = Transformer(ModelConfig(vocab_size=16, mask_id=1, d_model=16, n_layers=1, n_heads=2,
                                 causal=True))
    for kwargs, message in [(dict(max_new_tokens=-1), "non-negative"),
                            (dict(max_new_tokens=2.5), "max_new_tokens"),
                            (dict(max_new_tokens=2, temperature=math.nan), "temperature")]:
        with pytest.raises(ValueError, match=message):
            generate_autoregressive(ar, torch.tensor([[4, 5]]), **kwargs)
    assert generate_autoregressive(ar, torch.tensor([[4, 5]]), 0).tolist() == [[4, 5]]


def test_the_fast_path_and_infill_check_the_same_way(model):
    with pytest.raises(ValueError, match="temperature"):
        generate_fast(model, torch.tensor([[4, 5]]), 8, 8, 8, temperature=math.nan, return_trace=True)
    with pytest.raises(ValueError, match="steps"):
        infill(model, torch.tensor([[4, 1, 5]]), steps=0)
    with pytest.raises(ValueError, match="x must be"):
        infill(model, torch.tensor([[4.0, 1.0]]))
