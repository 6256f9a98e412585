import math

import pytest
import torch
import torch.nn as nn

from minillada import Transformer
from minillada.guidance import guided_logits
from minillada.likelihood import (autoregressive_log_likelihood, choose, exact_elbo, log_likelihood,
                                  stratified_mask_counts)

from conftest import ConstantLogits, tiny_config

PROMPT, ANSWER = [5, 6, 7], [8, 9, 10, 11, 12]


@pytest.fixture(scope="module")
def random_model():
    # large initial weights, so that the cross-entropies differ a lot between mask patterns
    torch.manual_seed(0)
    return Transformer(tiny_config(init_std=0.3)).eval()


class PrefersToken(nn.Module):
    """Logits that favour one token everywhere, so some answers are clearly more likely."""

    def __init__(self, token, causal):
        super().__init__()
        self.config = ConstantLogits(causal=causal).config
        self.token = token
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, attention_mask=None):
        logits = torch.zeros(*x.shape, self.config.vocab_size)
        logits[..., self.token] = 3.0
        return logits


@pytest.mark.parametrize("mc_num, batch_size", [(1, 1), (16, 4), (128, 16), (32, 32)])
def test_constant_logits_give_exactly_minus_L_log_V(mc_num, batch_size):
    model = ConstantLogits(vocab_size=16)
    expected = -len(ANSWER) * math.log(16)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        ll = log_likelihood(model, PROMPT, ANSWER, mc_num=mc_num, batch_size=batch_size, generator=g)
        assert ll == pytest.approx(expected, rel=1e-6)
    assert exact_elbo(model, PROMPT, ANSWER) == pytest.approx(expected, rel=1e-6)


def test_exact_elbo_by_hand_for_two_tokens(random_model):
    prompt, answer = torch.tensor([5, 6]), torch.tensor([8, 9])
    M = random_model.config.mask_id

    def ce_sum(masked_positions):
        x = torch.cat([prompt, answer])
        y = x.clone()
        y[masked_positions] = M
        logp = random_model(y[None])[0].log_softmax(-1)
        return -sum(logp[i, x[i]] for i in masked_positions)

    with torch.no_grad():
        # l = 1: two patterns, weight L/l = 2; l = 2: one pattern, weight 1; then average over l
        expected = -0.5 * (2 * (ce_sum([2]) + ce_sum([3])) / 2 + 1 * ce_sum([2, 3]))
    assert exact_elbo(random_model, prompt, answer) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("estimator", ["l", "t"])
def test_monte_carlo_converges_to_exact_elbo(random_model, estimator):
    exact = exact_elbo(random_model, PROMPT, ANSWER)
    g = torch.Generator().manual_seed(1)
    draws = torch.tensor([log_likelihood(random_model, PROMPT, ANSWER, mc_num=128, batch_size=64,
                                         generator=g, estimator=estimator) for _ in range(40)])
    mean, se = draws.mean().item(), draws.std().item() / math.sqrt(len(draws))
    assert abs(mean - exact) < 3 * se + 1e-3 * abs(exact), (mean, se, exact)


def test_exact_l_estimator_has_lower_variance(random_model):
    g = torch.Generator().manual_seed(2)
    std = {est: torch.tensor([log_likelihood(random_model, PROMPT, ANSWER, mc_num=16, batch_size=16,
                                             generator=g, estimator=est) for _ in range(60)]).std()
           for est in ("l", "t")}
    assert std["l"] < 0.5 * std["t"], std


def test_prompt_is_never_masked():
    model = ConstantLogits()
    g = torch.Generator().manual_seed(0)
    for estimator in ("l", "t"):
        log_likelihood(model, PROMPT, ANSWER, mc_num=64, batch_size=8, generator=g,
                       estimator=estimator)
    exact_elbo(model, PROMPT, ANSWER)
    for x in model.calls:
        assert (x[:, :3] == torch.tensor(PROMPT)).all()


def test_stratified_counts_cover_1_to_L_evenly():
    g = torch.Generator().manual_seed(0)
    for L in (1, 3, 5, 16, 40):
        for batch_size in (1, 4, 16, 32):
            for _ in range(20):
                l = stratified_mask_counts(batch_size, L, generator=g)
                assert l.min() >= 1 and l.max() <= L
                if batch_size >= L:
                    counts = torch.bincount(l, minlength=L + 1)[1:]
                    assert counts.max() - counts.min() <= 2
    # over many batches, every l is equally frequent
    counts = torch.bincount(torch.cat([stratified_mask_counts(4, 7, generator=g)
                                       for _ in range(3500)]), minlength=8)[1:].float()
    assert ((counts - 2000).abs() < 5 * math.sqrt(2000)).all(), counts


def test_guidance_formula_and_zero_scale(random_model):
    x = torch.randint(4, 16, (2, 8))
    prompt_index = torch.arange(8) < 3
    with torch.no_grad():
        assert torch.equal(guided_logits(random_model, x, prompt_index, 0.0, 1), random_model(x))
        un = random_model(x.masked_fill(prompt_index, 1))
        expected = un + 2.5 * (random_model(x) - un)
        assert torch.allclose(guided_logits(random_model, x, prompt_index, 1.5, 1), expected,
                              atol=1e-5)


def test_cfg_zero_is_no_guidance_and_guidance_changes_the_estimate(random_model):
    def ll(**kw):
        return log_likelihood(random_model, PROMPT, ANSWER, mc_num=32, batch_size=16,
                              generator=torch.Generator().manual_seed(3), **kw)

    assert ll(cfg_scale=0.0) == ll()
    assert ll(cfg_scale=1.0) != ll()


def test_generator_reproduces_exactly(random_model):
    a = log_likelihood(random_model, PROMPT, ANSWER, generator=torch.Generator().manual_seed(9))
    b = log_likelihood(random_model, PROMPT, ANSWER, generator=torch.Generator().manual_seed(9))
    assert a == b


def test_accepts_tensors_and_lists(random_model):
    g = lambda: torch.Generator().manual_seed(4)  # noqa: E731
    a = log_likelihood(random_model, PROMPT, ANSWER, mc_num=16, generator=g())
    b = log_likelihood(random_model, torch.tensor(PROMPT), torch.tensor(ANSWER), mc_num=16,
                       generator=g())
    assert a == b


@pytest.mark.parametrize("kwargs, message", [
    (dict(answer=[]), "answer is empty"),
    (dict(answer=list(range(4, 16)) * 3), "longer than max_seq_len=32"),
    (dict(mc_num=100, batch_size=16), "multiple of batch_size"),
    (dict(estimator="x"), "estimator"),
    (dict(cfg_scale=-1.0), "cfg_scale"),
])
def test_bad_input(random_model, kwargs, message):
    kw = {"prompt": PROMPT, "answer": ANSWER, **kwargs}
    with pytest.raises(ValueError, match=message):
        log_likelihood(random_model, **kw)


def test_exact_elbo_refuses_long_answers(random_model):
    with pytest.raises(ValueError, match="2\\^L - 1"):
        exact_elbo(random_model, [5], [6] * 13)


def test_autoregressive_log_likelihood_is_the_chain_rule():
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=True, init_std=0.3)).eval()
    seq = torch.tensor(PROMPT + ANSWER)
    with torch.no_grad():
        # one prefix at a time: log p(a_i | prompt, a_<i) from the last position of the prefix
        expected = sum(model(seq[None, :i])[0, -1].log_softmax(-1)[seq[i]]
                       for i in range(len(PROMPT), len(seq)))
    assert autoregressive_log_likelihood(model, PROMPT, ANSWER) == pytest.approx(float(expected),
                                                                                  rel=1e-5)
    assert autoregressive_log_likelihood(ConstantLogits(causal=True), PROMPT, ANSWER) == \
        pytest.approx(-5 * math.log(16))
    with pytest.raises(ValueError, match="prompt is empty"):
        autoregressive_log_likelihood(model, [], ANSWER)
    with pytest.raises(ValueError, match="causal"):
        autoregressive_log_likelihood(ConstantLogits(), PROMPT, ANSWER)


@pytest.mark.parametrize("causal", [False, True])
def test_choose_picks_the_most_likely_answer(causal):
    model = PrefersToken(token=7, causal=causal)
    index, scores = choose(model, [4, 5], [[6, 6], [7, 7], [8, 7]], mc_num=16)
    assert index == 1 and len(scores) == 3
    assert scores[1] > scores[2] > scores[0]


# ---- masked_token_ce: the model-agnostic yardstick ---------------------------------------------

def _small_model():
    torch.manual_seed(0)
    return Transformer(tiny_config()).eval()


def test_masked_token_ce_of_a_uniform_guesser_is_log_v_for_any_callable():
    from minillada.likelihood import masked_token_ce

    windows = torch.randint(4, 16, (10, 20), generator=torch.Generator().manual_seed(0))
    # a plain function, not a minillada model: only (B, T) -> (B, T, V) logits is needed
    ce, se = masked_token_ce(lambda x: torch.zeros(*x.shape, 16), windows, 0.5, mask_id=1)
    assert ce == pytest.approx(math.log(16)) and se == pytest.approx(0.0, abs=1e-12)


def test_masked_token_ce_masks_the_asked_fraction_and_is_reproducible():
    from minillada.likelihood import masked_token_ce

    seen = []

    def spy(x):
        seen.append(x.clone())
        return torch.zeros(*x.shape, 16)

    windows = torch.randint(4, 16, (70, 20), generator=torch.Generator().manual_seed(1))
    masked_token_ce(spy, windows, 0.15, mask_id=1, batch_size=32, generator=torch.Generator().manual_seed(3))
    xs = torch.cat(seen)
    assert [x.shape[0] for x in seen] == [32, 32, 6]                   # batches of at most 32 rows
    assert (xs.eq(1).sum(1) == 3).all()                                 # round(0.15 * 20) = 3 per row
    model = _small_model()
    a = masked_token_ce(model, windows % 16, 0.5, generator=torch.Generator().manual_seed(0))
    b = masked_token_ce(model, windows % 16, 0.5, generator=torch.Generator().manual_seed(0))
    assert a == b and a[1] > 0


def test_masked_token_ce_rejects_bad_arguments():
    from minillada.likelihood import masked_token_ce

    windows = torch.randint(4, 16, (2, 8))
    with pytest.raises(ValueError, match="rate"):
        masked_token_ce(_small_model(), windows, 0.0)
    with pytest.raises(ValueError, match="mask_id"):
        masked_token_ce(lambda x: torch.zeros(*x.shape, 16), windows, 0.5)
    with pytest.raises(ValueError, match="windows"):
        masked_token_ce(_small_model(), windows.float(), 0.5)
