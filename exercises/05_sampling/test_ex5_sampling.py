"""Chapter 5: the reverse process. Run: pytest exercises/05_sampling [-m ex5_3]"""

import pytest
import torch

from exercises._helpers import tiny_model
from minillada import sampling as lib

MASK = 1


@pytest.mark.ex5_1
def test_transfer_counts(ex):
    assert ex.get_num_transfer_tokens(torch.ones(1, 10, dtype=torch.bool), 4).tolist() == [[3, 3, 2, 2]]
    mask = torch.zeros(3, 12, dtype=torch.bool)
    mask[0, :12], mask[1, :5], mask[2, :1] = True, True, True
    got = ex.get_num_transfer_tokens(mask, 5)
    assert got.shape == (3, 5)
    assert got.sum(1).tolist() == [12, 5, 1]                          # every mask revealed
    assert got.tolist() == [[3, 3, 2, 2, 2], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]


@pytest.mark.ex5_2
def test_gumbel_noise_at_temperature_zero_is_greedy(ex):
    logits = torch.randn(4, 9)
    assert torch.equal(ex.add_gumbel_noise(logits, 0.0), logits)


@pytest.mark.ex5_2
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_gumbel_max_samples_the_softmax(ex, temperature):
    logits = torch.tensor([1.0, 0.0, -1.0, 2.0])
    g = torch.Generator().manual_seed(0)
    scores = ex.add_gumbel_noise(logits.expand(40000, 4), temperature, generator=g)
    assert scores.dtype == torch.float64
    freq = torch.bincount(scores.argmax(-1), minlength=4).double() / 40000
    assert torch.allclose(freq, (logits.double() / temperature).softmax(-1), atol=0.01)


def step_inputs(seed=0, B=3, T=10, V=12):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g) * 3
    x = torch.randint(4, V, (B, T), generator=g)
    candidates = torch.rand(B, T, generator=g) < 0.6
    x[candidates] = MASK
    return logits, x, candidates


@pytest.mark.ex5_3
def test_remask_step_reveals_the_most_confident(ex):
    logits, x, candidates = step_inputs()
    k = torch.tensor([1, 2, 3])
    new_x, conf, revealed = ex.remask_step(logits, x, candidates, k, MASK)
    assert revealed.sum(1).tolist() == [min(int(n), int(c)) for n, c in zip(k, candidates.sum(1))]
    assert not (revealed & ~candidates).any()                          # only candidates
    assert torch.equal(new_x[~revealed], x[~revealed])                # the rest untouched
    probs = logits.clone()
    probs[..., MASK] = float("-inf")
    probs = probs.softmax(-1)
    best, x0 = probs.max(-1)
    assert torch.equal(new_x[revealed], x0[revealed])
    for b in range(3):                               # no hidden candidate beats a revealed one
        shown, hidden = best[b][revealed[b]], best[b][candidates[b] & ~revealed[b]]
        if len(shown) and len(hidden):
            assert shown.min() >= hidden.max()


@pytest.mark.ex5_3
def test_remask_step_never_writes_a_mask_and_matches_library(ex):
    logits, x, candidates = step_inputs(seed=1)
    logits[..., MASK] = 100.0                                          # the model loves [MASK]
    k = torch.tensor([2, 2, 2])
    new_x, _, revealed = ex.remask_step(logits, x, candidates, k, MASK)
    assert not new_x[revealed].eq(MASK).any()
    for seed in range(5):
        logits, x, candidates = step_inputs(seed=seed + 10)
        got = ex.remask_step(logits, x, candidates, k, MASK)
        want = lib.remask_step(logits, x, candidates, k, MASK)
        assert torch.equal(got[0], want[0]) and torch.equal(got[2], want[2])
        got_t = ex.remask_step(logits, x, candidates, k, MASK, threshold=0.3)
        want_t = lib.remask_step(logits, x, candidates, k, MASK, threshold=0.3)
        assert torch.equal(got_t[2], want_t[2])                        # the threshold reveals more


class Spy(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.inputs = model, model.config, []

    def forward(self, x, attention_mask=None):
        self.inputs.append(x.clone())
        return self.model(x)


@pytest.mark.ex5_4
def test_guidance(ex):
    model = tiny_model()
    x = torch.tensor([[5, 6, 7, MASK, MASK, MASK]])
    prompt_index = torch.arange(6) < 3
    with torch.no_grad():
        assert torch.allclose(ex.guided_logits(model, x, prompt_index, 0.0, MASK), model(x))
        spy = Spy(model)
        got = ex.guided_logits(spy, x, prompt_index, 2.0, MASK)
        un_x = x.masked_fill(prompt_index, MASK)
        cond, un = model(x), model(un_x)
    assert torch.allclose(got, un + 3.0 * (cond - un), atol=1e-5)
    seen = torch.cat(spy.inputs)
    assert any(torch.equal(row, un_x[0]) for row in seen)              # the prompt was hidden
