import math

import pytest
import torch
import torch.nn.functional as F

from minillada import Transformer, autoregressive_loss, diffusion_loss, forward_process

from conftest import ConstantLogits, tiny_config


def mean_and_se(values):
    v = torch.tensor(values, dtype=torch.float64)
    return v.mean().item(), (v.std() / math.sqrt(len(v))).item()


@pytest.mark.parametrize("sft", [False, True])
def test_constant_logits_expected_loss_is_log_v(sft):
    model = ConstantLogits(vocab_size=12)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randint(4, 12, (64, 32), generator=g)
    lengths = torch.randint(0, 20, (64,), generator=g) if sft else None
    losses = [diffusion_loss(model, x0, prompt_lengths=lengths, generator=g).item()
              for _ in range(200)]
    mean, se = mean_and_se(losses)
    assert abs(mean - math.log(12)) < 4 * se, (mean, se)
    assert se < 0.05  # the test has the power to see a wrong weighting


def test_pretraining_loss_matches_the_reference_formula(tiny_model):
    # LLaDA GUIDELINES.md: CE over masked positions / p_mask, summed, / (B * T)
    x0 = torch.randint(4, 16, (4, 20))
    loss = diffusion_loss(tiny_model, x0, generator=torch.Generator().manual_seed(5))
    xt, masked, p_mask = forward_process(x0, 1, generator=torch.Generator().manual_seed(5))
    logits = tiny_model(xt)
    ce = F.cross_entropy(logits[masked], x0[masked], reduction="none") / p_mask[masked]
    assert torch.allclose(loss, ce.sum() / x0.numel(), atol=1e-6)


def test_sft_loss_matches_the_reference_formula(tiny_model):
    # Algorithm 2: each row's masked CE / p_mask, divided by that row's answer length; mean over rows
    x0 = torch.randint(4, 16, (4, 20))
    lengths = torch.tensor([3, 0, 10, 19])
    loss = diffusion_loss(tiny_model, x0, prompt_lengths=lengths,
                          generator=torch.Generator().manual_seed(6))
    xt, masked, p_mask = forward_process(x0, 1, prompt_lengths=lengths,
                                         generator=torch.Generator().manual_seed(6))
    logits = tiny_model(xt)
    answer_len = (20 - lengths)[:, None].expand(4, 20)
    ce = F.cross_entropy(logits[masked], x0[masked], reduction="none") / p_mask[masked]
    assert torch.allclose(loss, (ce / answer_len[masked]).sum() / 4, atol=1e-6)


def test_sft_loss_never_shows_the_model_a_masked_prompt():
    model = ConstantLogits()
    x0 = torch.randint(4, 12, (8, 16))
    lengths = torch.arange(8)
    g = torch.Generator().manual_seed(0)
    for _ in range(100):
        diffusion_loss(model, x0, prompt_lengths=lengths, generator=g)
    for xt in model.calls:
        for b in range(8):
            assert torch.equal(xt[b, : lengths[b]], x0[b, : lengths[b]])


def test_mask_token_is_never_a_target():
    """forward_process never counts a [MASK] of x0 as masked (nothing to predict there), and the
    loss refuses such an x0 outright: clean data holds no noise (issue 31)."""
    x0 = torch.full((2, 8), 1)
    _, masked, _ = forward_process(x0, 1, t=1.0, eps=0.0)
    assert not masked.any()
    with pytest.raises(ValueError, match=r"x0 holds the \[MASK\] id 1 \(at row 0, position 0\)"):
        diffusion_loss(ConstantLogits(vocab_size=12), x0, generator=torch.Generator().manual_seed(0))


def test_sft_needs_an_answer():
    with pytest.raises(ValueError, match="at least one answer token"):
        diffusion_loss(ConstantLogits(), torch.randint(4, 12, (2, 5)), prompt_lengths=[5, 2])


def test_autoregressive_loss_matches_next_token_cross_entropy():
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=True))
    x0 = torch.randint(4, 16, (3, 12))
    logits = model(x0)
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 16), x0[:, 1:].reshape(-1))
    assert torch.allclose(autoregressive_loss(model, x0), expected, atol=1e-6)
    # SFT: only the answer tokens (positions >= prompt length) are targets
    lengths = torch.tensor([4, 4, 4])
    expected = F.cross_entropy(logits[:, 3:-1].reshape(-1, 16), x0[:, 4:].reshape(-1))
    assert torch.allclose(autoregressive_loss(model, x0, prompt_lengths=lengths), expected, atol=1e-6)


def test_autoregressive_loss_refuses_a_bidirectional_model(tiny_model):
    with pytest.raises(ValueError, match="causal"):
        autoregressive_loss(tiny_model, torch.randint(4, 16, (2, 8)))


def test_tiny_model_overfits_one_batch():
    torch.manual_seed(0)
    model = Transformer(tiny_config(d_model=64, n_heads=4, vocab_size=20))
    x0 = torch.randint(4, 20, (2, 16), generator=torch.Generator().manual_seed(0))

    def eval_loss():
        # the same 32 mask draws before and after training
        g = torch.Generator().manual_seed(123)
        with torch.no_grad():
            return sum(diffusion_loss(model, x0, generator=g).item() for _ in range(32)) / 32

    before = eval_loss()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    for _ in range(300):
        loss = diffusion_loss(model, x0.repeat(32, 1), generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    after = eval_loss()
    assert after < 0.1 * before, (before, after)
