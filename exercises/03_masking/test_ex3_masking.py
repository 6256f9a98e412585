"""Chapter 3: the forward process and the loss. Run: pytest exercises/03_masking [-m ex3_1]"""

import math

import pytest
import torch
import torch.nn.functional as F

from exercises._helpers import tiny_model
from exercises._impl import home_module

MASK = 1


def clean(B=4, T=12, seed=0):
    return torch.randint(4, 16, (B, T), generator=torch.Generator().manual_seed(seed))


@pytest.mark.ex3_1
def test_forward_process_outputs(ex):
    x0 = clean()
    xt, masked, p_mask = ex.forward_process(x0, MASK, generator=torch.Generator().manual_seed(0))
    assert xt.shape == masked.shape == p_mask.shape == x0.shape
    assert masked.dtype == torch.bool and xt.dtype == torch.long
    assert torch.equal(xt, torch.where(masked, MASK, x0))
    assert (p_mask >= 1e-3 - 1e-7).all() and (p_mask <= 1).all()
    assert torch.allclose(p_mask, p_mask[:, :1].expand_as(p_mask))    # one rate per row


@pytest.mark.ex3_1
def test_forward_process_rates(ex):
    x0 = clean(B=2, T=20000)
    _, all_masked, _ = ex.forward_process(x0, MASK, t=1.0, eps=0.0)
    _, none_masked, _ = ex.forward_process(x0, MASK, t=0.0, eps=0.0)
    assert all_masked.all() and not none_masked.any()
    g = torch.Generator().manual_seed(1)
    _, masked, p_mask = ex.forward_process(x0, MASK, t=torch.tensor([0.25, 0.75]), eps=0.1,
                                           generator=g)
    assert torch.allclose(p_mask[:, 0], torch.tensor([0.9 * 0.25 + 0.1, 0.9 * 0.75 + 0.1]))
    rate = masked.float().mean(dim=1)
    assert torch.allclose(rate, p_mask[:, 0], atol=0.02)               # about p_mask of each row


@pytest.mark.ex3_1
def test_forward_process_draws_t_per_row_and_is_seeded(ex):
    x0 = clean(B=200, T=50)
    a = ex.forward_process(x0, MASK, generator=torch.Generator().manual_seed(3))
    b = ex.forward_process(x0, MASK, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    t = a[2][:, 0]
    assert t.std() > 0.2 and 0.35 < float(t.mean()) < 0.65              # t ~ U(0, 1) per row


@pytest.mark.ex3_2
def test_prompt_mask(ex):
    got = ex.prompt_mask([1, 3, 0], (3, 4), "cpu")
    want = torch.tensor([[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)
    assert got.dtype == torch.bool and torch.equal(got, want)
    assert ex.prompt_mask(torch.tensor([4]), (1, 4), "cpu").all()


@pytest.mark.ex3_2
def test_prompt_mask_rejects_bad_lengths(ex):
    with pytest.raises(ValueError):
        ex.prompt_mask([1, 2], (3, 4), "cpu")          # one length per row
    with pytest.raises(ValueError):
        ex.prompt_mask([5], (1, 4), "cpu")             # longer than the sequence


def fixed_masks(x0, prompt_lengths=None):
    """A deterministic stand-in for forward_process: row b masked at every (b + 2)-th answer token."""
    B, T = x0.shape
    pos = torch.arange(T)[None, :].expand(B, T)
    masked = (pos % (torch.arange(B)[:, None] + 2)) == 1
    if prompt_lengths is not None:
        masked &= pos >= torch.as_tensor(prompt_lengths)[:, None]
    t = torch.linspace(0.2, 0.9, B)[:, None].expand(B, T)
    return torch.where(masked, MASK, x0), masked, t


@pytest.mark.ex3_3
@pytest.mark.parametrize("sft", [False, True])
def test_diffusion_loss_weights_by_one_over_t(ex, monkeypatch, sft):
    model = tiny_model()
    x0 = clean(B=3, T=10)
    pl = torch.tensor([2, 4, 3]) if sft else None
    xt, masked, p_mask = fixed_masks(x0, pl)
    # your diffusion_loss must draw its masks with forward_process: here it gets fixed ones
    monkeypatch.setattr(home_module(ex.diffusion_loss), "forward_process",
                        lambda *a, **k: (xt, masked, p_mask))
    loss = ex.diffusion_loss(model, x0, prompt_lengths=pl)
    ce = F.cross_entropy(model(xt).transpose(1, 2), x0, reduction="none")          # (B, T)
    per_token = ce * masked / p_mask
    if sft:
        want = (per_token.sum(1) / (10 - pl)).mean()      # each row by its answer length
    else:
        want = per_token.sum() / x0.numel()               # by B * T
    assert loss.requires_grad and loss.dim() == 0
    assert math.isclose(loss.item(), want.item(), rel_tol=1e-5)
