"""Chapter 4: the likelihood bound. Run: pytest exercises/04_likelihood [-m ex4_3]"""

import math
import statistics

import pytest
import torch

from exercises._helpers import ConstantLogits, tiny_model
from minillada.likelihood import exact_elbo as library_exact_elbo

MASK = 1


@pytest.mark.ex4_1
def test_mask_exactly_counts(ex):
    x0 = torch.randint(4, 16, (3, 10))
    xt, masked = ex.mask_exactly(x0, torch.tensor([0, 4, 7]), MASK, prompt_lengths=[2, 3, 3],
                                 generator=torch.Generator().manual_seed(0))
    assert masked.sum(1).tolist() == [0, 4, 7]
    assert not masked[0, :2].any() and not masked[1:, :3].any()       # the prompt is never masked
    assert torch.equal(xt, torch.where(masked, MASK, x0))


@pytest.mark.ex4_1
def test_mask_exactly_is_uniform_and_checked(ex):
    x0 = torch.randint(4, 16, (4000, 6))
    _, masked = ex.mask_exactly(x0, 2, MASK, prompt_lengths=[1] * 4000,
                                generator=torch.Generator().manual_seed(1))
    freq = masked[:, 1:].float().mean(0)                              # each answer slot: 2/5
    assert torch.allclose(freq, torch.full((5,), 0.4), atol=0.03)
    with pytest.raises(ValueError):
        ex.mask_exactly(x0[:1], 6, MASK, prompt_lengths=[1])          # 6 > 5 answer positions


@pytest.mark.ex4_2
def test_stratified_counts_cover_the_range(ex):
    for seed in range(10):
        g = torch.Generator().manual_seed(seed)
        l = ex.stratified_mask_counts(8, 8, generator=g)
        assert sorted(l.tolist()) == list(range(1, 9))                # b = L: a permutation
        l = ex.stratified_mask_counts(4, 8, generator=g)
        gaps = sorted(l.tolist())
        assert all(1 <= v <= 8 for v in gaps)
        assert [b - a for a, b in zip(gaps, gaps[1:])] == [2, 2, 2]   # evenly spread


@pytest.mark.ex4_2
def test_stratified_counts_are_uniform(ex):
    g = torch.Generator().manual_seed(0)
    counts = torch.zeros(8)
    for _ in range(2000):
        for l in ex.stratified_mask_counts(3, 7, generator=g).tolist():
            counts[l] += 1
    freq = counts[1:] / counts.sum()
    assert torch.allclose(freq, torch.full((7,), 1 / 7), atol=0.02)   # every l equally likely


@pytest.mark.ex4_3
def test_log_likelihood_of_a_uniform_guesser(ex):
    # every masked token costs log V and the weights L / l make each row cost L log V: no noise
    model = ConstantLogits(vocab_size=16)
    ll = ex.log_likelihood(model, [5, 6], [7, 8, 9, 10], mc_num=32, batch_size=8,
                           generator=torch.Generator().manual_seed(0))
    assert math.isclose(ll, -4 * math.log(16), rel_tol=1e-5)


@pytest.mark.ex4_3
def test_log_likelihood_is_unbiased(ex):
    model = tiny_model(init_std=0.3)
    prompt, answer = [5, 6, 7], [8, 9, 10, 11]
    exact = library_exact_elbo(model, prompt, answer)
    g = torch.Generator().manual_seed(0)
    estimates = [ex.log_likelihood(model, prompt, answer, mc_num=64, batch_size=16, generator=g)
                 for _ in range(30)]
    assert abs(statistics.mean(estimates) - exact) < 0.6               # about 3 standard errors
    with pytest.raises(ValueError):
        ex.log_likelihood(model, prompt, answer, mc_num=10, batch_size=4)


@pytest.mark.ex4_4
def test_exact_elbo_of_a_uniform_guesser(ex):
    model = ConstantLogits(vocab_size=10)
    assert math.isclose(ex.exact_elbo(model, [4, 5], [6, 7, 8]), -3 * math.log(10), rel_tol=1e-6)


@pytest.mark.ex4_4
def test_exact_elbo_matches_library(ex):
    model = tiny_model(init_std=0.3)
    got = ex.exact_elbo(model, [5, 6], [7, 8, 9, 10, 11])
    assert math.isclose(got, library_exact_elbo(model, [5, 6], [7, 8, 9, 10, 11]), rel_tol=1e-5)
    with pytest.raises(ValueError):
        ex.exact_elbo(model, [5], [4] * 13)                           # 13 tokens: 8191 passes
    assert math.isfinite(ex.exact_elbo(model, [5], [4] * 12))        # 12 is still allowed
