import pytest
import torch

from minillada import forward_process, mask_exactly

MASK = 1


def ids(B, T, seed=0):
    return torch.randint(4, 20, (B, T), generator=torch.Generator().manual_seed(seed))


def test_outputs_are_consistent():
    x0 = ids(8, 30)
    xt, masked, p_mask = forward_process(x0, MASK, generator=torch.Generator().manual_seed(0))
    assert xt.shape == masked.shape == p_mask.shape == x0.shape
    assert torch.equal(xt[masked], torch.full_like(xt[masked], MASK))
    assert torch.equal(xt[~masked], x0[~masked])
    # p_mask is constant along a row and lies in [eps, 1]
    assert torch.equal(p_mask, p_mask[:, :1].expand_as(p_mask))
    assert (p_mask >= 1e-3).all() and (p_mask <= 1).all()


def test_p_mask_formula():
    x0 = ids(3, 5)
    _, _, p_mask = forward_process(x0, MASK, t=torch.tensor([0.0, 0.5, 1.0]), eps=0.1)
    assert torch.allclose(p_mask[:, 0], torch.tensor([0.1, 0.55, 1.0]))


def test_masked_fraction_matches_p_mask():
    T = 4000
    x0 = ids(64, T)
    _, masked, p_mask = forward_process(x0, MASK, generator=torch.Generator().manual_seed(1))
    p = p_mask[:, 0]
    frac = masked.float().mean(dim=1)
    sd = (p * (1 - p) / T).sqrt()
    assert ((frac - p).abs() <= 5 * sd + 1e-9).all()
    # and t itself is spread over (0, 1): the rows cover the unit interval
    assert p.min() < 0.2 and p.max() > 0.8


def test_prompt_is_never_masked():
    x0 = ids(16, 20)
    lengths = torch.randint(0, 20, (16,))
    g = torch.Generator().manual_seed(2)
    for _ in range(200):
        xt, masked, _ = forward_process(x0, MASK, prompt_lengths=lengths, generator=g)
        for b in range(16):
            assert not masked[b, : lengths[b]].any()
            assert torch.equal(xt[b, : lengths[b]], x0[b, : lengths[b]])
    # at t = 1 every answer position is masked
    _, masked, _ = forward_process(x0, MASK, t=1.0, eps=0.0, prompt_lengths=lengths)
    assert int(masked.sum()) == int((20 - lengths).sum())


def test_mask_tokens_in_data_are_not_targets():
    x0 = ids(2, 10)
    x0[:, 3] = MASK
    _, masked, _ = forward_process(x0, MASK, t=1.0, eps=0.0)
    assert not masked[:, 3].any() and masked[:, :3].all()


def test_generator_reproduces():
    x0 = ids(4, 50)
    a = forward_process(x0, MASK, generator=torch.Generator().manual_seed(7))
    b = forward_process(x0, MASK, generator=torch.Generator().manual_seed(7))
    assert all(torch.equal(u, v) for u, v in zip(a, b))


def test_mask_exactly_counts_and_uniformity():
    x0 = ids(1, 8)
    g = torch.Generator().manual_seed(3)
    counts = torch.zeros(8)
    n = 4000
    for _ in range(n):
        xt, masked = mask_exactly(x0, [2], MASK, prompt_lengths=[3], generator=g)
        assert int(masked.sum()) == 2 and not masked[0, :3].any()
        counts += masked[0].float()
    # each of the 5 answer positions is masked with probability 2/5
    p = 2 / 5
    sd = (n * p * (1 - p)) ** 0.5
    assert ((counts[3:] - n * p).abs() < 5 * sd).all()


def test_mask_exactly_per_row_counts():
    x0 = ids(4, 6)
    xt, masked = mask_exactly(x0, torch.tensor([0, 1, 3, 6]), MASK)
    assert masked.sum(dim=1).tolist() == [0, 1, 3, 6]
    assert torch.equal(xt == MASK, masked)


@pytest.mark.parametrize("kwargs, message", [
    (dict(t=1.5), "t must lie in"),
    (dict(prompt_lengths=[1, 2]), "entries for a batch"),
    (dict(prompt_lengths=[1, 2, 99]), "prompt_lengths must lie"),
    (dict(eps=1.0), "eps"),
])
def test_forward_process_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forward_process(ids(3, 5), MASK, **kwargs)


def test_bad_x0_and_impossible_counts():
    with pytest.raises(ValueError, match="torch.long"):
        forward_process(torch.zeros(2, 3), MASK)
    with pytest.raises(ValueError, match="cannot mask"):
        mask_exactly(ids(1, 5), [4], MASK, prompt_lengths=[2])
