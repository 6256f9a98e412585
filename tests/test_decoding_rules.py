"""The decoding rules of minillada.fast.decoding, each on a model whose distribution is known.

The stand-in models below return logits we wrote, so we know what each rule must do: which position
margin or entropy confidence reveals first, which tokens top-k and top-p may draw and how often, and
which decision taking back a decoded token must change.
"""

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from minillada import Transformer
from minillada.fast.decoding import confidence, decode_step, take_back, truncate_logits
from minillada.fast.sampling import generate_fast, infill_fast
from minillada.sampling import generate, remask_step

from conftest import tiny_config

MASK, V = 1, 8


class Known(nn.Module):
    """A stand-in masked diffusion model: ``probs_of(x)`` gives the (B, T, V) distribution."""

    def __init__(self, probs_of, max_seq_len=16):
        super().__init__()
        self.probs_of, self.calls = probs_of, 0
        self.config = SimpleNamespace(vocab_size=V, mask_id=MASK, max_seq_len=max_seq_len, causal=False)
        self.anchor = nn.Parameter(torch.zeros(()))           # gives the model a device

    def forward(self, x, attention_mask=None, **cache):
        self.calls += 1
        return self.probs_of(x).clamp_min(1e-12).log().float()


def fixed(rows):
    """A model whose position j always predicts rows[j] (V probabilities), whatever the input."""
    table = torch.tensor(rows, dtype=torch.float64)
    return Known(lambda x: table[: x.shape[1]].expand(x.shape[0], -1, -1))


def dist(**p):
    """V probabilities with mass p on token ids given as t2=0.5 etc., the rest spread evenly."""
    row = torch.zeros(V, dtype=torch.float64)
    for name, value in p.items():
        row[int(name[1:])] = value
    rest = [v for v in range(2, V) if row[v] == 0]
    row[rest] = (1 - row.sum()) / len(rest)
    return row.tolist()


def first_revealed(model, remasking, gen=2):
    """The position (0-based in the answer) revealed by the first step of a one-token-a-step run."""
    prompt = torch.empty(1, 0, dtype=torch.long)
    _, trace = generate_fast(model, prompt, steps=gen, gen_length=gen, block_length=gen,
                             remasking=remasking, return_trace=True)
    return int(trace.revealed[0][0].nonzero()[0])


# ---- the confidences -----------------------------------------------------------------------------

def test_margin_waits_on_a_tie_that_probability_would_take():
    # position 0: two tokens at 0.45 each (p 0.45, margin 0); position 1: 0.4 against at most 0.1
    model = fixed([dist(t2=0.45, t3=0.45), dist(t4=0.4)])
    assert first_revealed(model, "low_confidence") == 0
    assert first_revealed(model, "margin") == 1


def test_entropy_prefers_the_peaked_distribution_over_the_likelier_top():
    # position 0: 0.55 / 0.45 on two tokens (H = 0.69 nats); position 1: 0.6 and the rest spread
    # over five tokens (H = 1.29): probability takes position 1, entropy position 0
    model = fixed([dist(t2=0.55, t3=0.45), dist(t4=0.6)])
    assert first_revealed(model, "low_confidence") == 1
    assert first_revealed(model, "entropy") == 0


def test_confidence_values_against_their_formulas():
    p = torch.tensor([[dist(t2=0.5, t3=0.3), dist(t4=0.9)]], dtype=torch.float64)   # (1, 2, V)
    logits, x0 = p.log(), p.argmax(-1)
    probs = p / p.sum(-1, keepdim=True)
    assert torch.allclose(confidence(logits, x0, "low_confidence"), probs.max(-1).values)
    top2 = probs.sort(-1, descending=True).values
    assert torch.allclose(confidence(logits, x0, "margin"), top2[..., 0] - top2[..., 1])
    assert torch.allclose(confidence(logits, x0, "entropy"), torch.special.xlogy(probs, probs).sum(-1))
    assert float(confidence(torch.tensor([[[0., -math.inf]]]), torch.tensor([[0]]), "entropy")) == 0


# ---- top-k and top-p: what may be drawn, and how often ------------------------------------------

def draws(top_k=None, top_p=None, n=4000, temperature=1.0):
    """n samples of one position whose distribution is 0.4, 0.3, 0.2, 0.1 on tokens 2..5."""
    row = [0, 0, 0.4, 0.3, 0.2, 0.1, 0, 0]
    model = fixed([row])
    out = generate_fast(model, torch.empty(n, 0, dtype=torch.long), steps=1, gen_length=1,
                        block_length=1, temperature=temperature, top_k=top_k, top_p=top_p,
                        generator=torch.Generator().manual_seed(0))
    return torch.bincount(out[:, 0], minlength=V).double() / n


def within_noise(freq, p, n=4000):
    se = (p * (1 - p) / n) ** 0.5
    return bool(((freq - p).abs() <= 4 * se + 1e-9).all())


@pytest.mark.parametrize("top_k,top_p,kept", [
    (None, None, [2, 3, 4, 5]),
    (2, None, [2, 3]),
    (3, None, [2, 3, 4]),
    (None, 0.65, [2, 3]),         # 0.4 < 0.65 <= 0.7
    (None, 0.7, [2, 3]),          # reaching p exactly is enough
    (None, 0.75, [2, 3, 4]),
    (None, 0.3, [2]),             # the most likely token always stays
    (3, 0.65, [2, 3]),            # both: the smaller set
])
def test_truncation_samples_the_renormalised_distribution(top_k, top_p, kept):
    p = torch.tensor([0, 0, 0.4, 0.3, 0.2, 0.1, 0, 0], dtype=torch.float64)
    want = torch.zeros(V, dtype=torch.float64)
    want[kept] = p[kept] / p[kept].sum()
    freq = draws(top_k, top_p)
    assert freq[[v for v in range(V) if v not in kept]].sum() == 0     # nothing outside is drawn
    assert within_noise(freq, want)


def test_top_p_nucleus_follows_the_temperature():
    # at temperature 2 the distribution flattens (0.31, 0.27, 0.22, 0.16 ...), so a nucleus of 0.65
    # needs three tokens where at temperature 1 it needs two
    logits = torch.tensor([0, 0, 0.4, 0.3, 0.2, 0.1, 0, 0]).clamp_min(1e-12).log()
    assert (~truncate_logits(logits, top_p=0.65, temperature=1.0).isinf()).sum() == 2
    assert (~truncate_logits(logits, top_p=0.65, temperature=2.0).isinf()).sum() == 3
    assert (~truncate_logits(logits, top_p=0.65, temperature=0.0).isinf()).sum() == 2


def test_confidence_is_read_from_the_truncated_distribution():
    logits = torch.tensor([[[0, 0, 0.4, 0.3, 0.2, 0.1, 0, 0]]]).clamp_min(1e-12).log()   # (1, 1, V)
    x = torch.full((1, 1), MASK)
    cand = torch.ones(1, 1, dtype=torch.bool)
    _, conf, _ = decode_step(logits, x, cand, torch.tensor([1]), MASK, top_k=2)
    assert float(conf) == pytest.approx(0.4 / 0.7)


# ---- where the rules coincide with the chapter's step -------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(), dict(temperature=0.9), dict(remasking="random"),
                                    dict(threshold=0.2), dict(temperature=0.7, threshold=0.3)])
def test_decode_step_without_truncation_is_remask_step(kwargs):
    torch.manual_seed(0)
    logits = torch.randn(3, 10, V)
    x = torch.randint(2, V, (3, 10))
    cand = torch.rand(3, 10) < 0.6
    x[cand] = MASK
    k = torch.tensor([1, 2, 3])
    want = remask_step(logits, x, cand, k, MASK, generator=torch.Generator().manual_seed(5), **kwargs)
    # top_k = V and top_p = 1 truncate nothing but take decode_step's own path
    got = decode_step(logits, x, cand, k, MASK, generator=torch.Generator().manual_seed(5),
                      top_k=V, top_p=1.0, **kwargs)
    for w, g in zip(want, got):
        assert torch.equal(w, g)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(tiny_config(init_std=0.2)).eval()


@pytest.mark.parametrize("kwargs", [dict(), dict(temperature=0.8), dict(remasking="random", temperature=0.5)])
def test_generate_fast_with_idle_options_is_generate(model, kwargs):
    prompt = torch.randint(4, 16, (2, 3), generator=torch.Generator().manual_seed(0))
    args = dict(steps=8, gen_length=8, block_length=4, **kwargs)
    want = generate(model, prompt, generator=torch.Generator().manual_seed(3), **args)
    got = generate_fast(model, prompt, generator=torch.Generator().manual_seed(3), top_k=10 ** 6,
                        top_p=1.0, remask_decoded=0, **args)
    assert torch.equal(want, got)


# ---- taking back decoded tokens (ReMDM-style) ----------------------------------------------------

def coupled(x):
    """Position 0 predicts token 2 (p 0.7) while position 2 is masked, and token 3 (p 0.99) once
    position 2 holds token 4: the answer that fits is "3 5 4". Position 1 is always 5 (p 0.6),
    position 2 always 4 (p 0.65)."""
    B, T = x.shape
    probs = torch.zeros(B, T, V, dtype=torch.float64)
    for b in range(B):
        probs[b, 0] = torch.tensor(dist(t2=0.7) if x[b, 2] == MASK else dist(t3=0.99))
        probs[b, 1] = torch.tensor(dist(t5=0.6))
        probs[b, 2] = torch.tensor(dist(t4=0.65))
    return probs


def test_taking_back_a_token_mends_an_early_mistake():
    prompt = torch.empty(1, 0, dtype=torch.long)
    plain = generate_fast(Known(coupled), prompt, steps=3, gen_length=3, block_length=3)
    # plain: step 1 reveals position 0 as 2 (0.7), then 4 and 5; the 2 is never revisited
    assert plain[0].tolist() == [2, 5, 4]
    m = Known(coupled)
    mended, trace = generate_fast(m, prompt, steps=3, gen_length=3, block_length=3, remask_decoded=1,
                                  return_trace=True)
    # step 2 reveals position 2 and takes back position 0 (the only earlier token); step 3 reveals
    # two: position 0 again, now seeing the 4, and position 1
    assert mended[0].tolist() == [3, 5, 4]
    assert m.calls == 3 and trace.model_calls == 3            # the plain loop's budget
    assert trace.tokens[1][0].tolist() == [MASK, MASK, 4]
    assert [int(r.sum()) for r in trace.revealed] == [1, 1, 2]


def test_take_back_picks_the_least_confident_earlier_tokens():
    x = torch.tensor([[5, 6, 7, 3], [5, 6, 7, 3]])
    before = torch.tensor([[True, True, True, False], [True, False, False, False]])
    conf = torch.tensor([[0.9, 0.2, 0.5, 0.1], [0.3, 0.2, 0.5, 0.1]])
    out, n = take_back(x, before, conf, torch.tensor([2, 2]), mask_id=0)
    assert out.tolist() == [[5, 0, 0, 3], [0, 6, 7, 3]]       # row 2 has only one to give
    assert n.tolist() == [2, 1]


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("kv_cache", [False, True])
def test_taking_back_ends_every_block_unmasked_in_its_steps(model, r, kv_cache):
    prompt = torch.randint(4, 16, (3, 4), generator=torch.Generator().manual_seed(1))
    out, trace = generate_fast(model, prompt, steps=12, gen_length=12, block_length=4, remask_decoded=r,
                               kv_cache=kv_cache, temperature=0.5, return_trace=True,
                               generator=torch.Generator().manual_seed(0))
    assert not out.eq(MASK).any() and trace.model_calls == 12
    assert torch.equal(out[:, :4], prompt)
    # some position was revealed twice: it was taken back and predicted again
    times = torch.stack(trace.revealed).sum(dim=0)                                     # (B, T)
    assert times.max() == 2 and times[:, 4:].min() >= 1
    # never a position outside the current block: each step's masks lie in its own block
    for s, tokens in enumerate(trace.tokens):
        block = s // 4
        assert not tokens[:, 4 + 4 * (block + 1):].ne(MASK).any()


def test_infill_fast_takes_the_rules_too(model):
    x = torch.randint(4, 16, (2, 10), generator=torch.Generator().manual_seed(2))
    x[:, 2:7] = MASK
    for kwargs in (dict(remasking="margin"), dict(remasking="entropy", top_p=0.9, temperature=1.0),
                   dict(remask_decoded=1)):
        out = infill_fast(model, x, generator=torch.Generator().manual_seed(0), **kwargs)
        assert not out.eq(MASK).any()
        assert torch.equal(out[:, :2], x[:, :2]) and torch.equal(out[:, 7:], x[:, 7:])


@pytest.mark.parametrize("kwargs,words", [
    (dict(top_k=0), "top_k must be a positive int"),
    (dict(top_k=2.0), "top_k must be a positive int"),
    (dict(top_p=0.0), "top_p"),
    (dict(top_p=1.5), "top_p"),
    (dict(remask_decoded=-1), "remask_decoded must be a non-negative int"),
    (dict(remask_decoded=1, threshold=0.9), "remask_decoded > 0 with a threshold"),
    (dict(remasking="confident"), "remasking must be one of"),
])
def test_bad_rule_arguments_are_named(model, kwargs, words):
    with pytest.raises(ValueError, match=words):
        generate_fast(model, torch.tensor([[4, 5]]), steps=4, gen_length=4, block_length=4, **kwargs)


def test_the_plain_loop_points_to_the_fast_rules(model):
    with pytest.raises(ValueError, match="rule of ml.generate_fast"):
        generate(model, torch.tensor([[4, 5]]), steps=4, gen_length=4, remasking="margin")
