import math

import matplotlib
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minillada import Transformer
from minillada.fast.sampling import Trace, generate_fast, infill_fast
from minillada.infra.plotting import plot_trace, render_trace
from minillada.sampling import (add_gumbel_noise, generate, generate_autoregressive, get_num_transfer_tokens,
                                infill)

from conftest import tiny_config

matplotlib.use("Agg")
MASK = 1


class Spy(nn.Module):
    """Wraps a model: records every input, and can push the [MASK] logit down by `mask_bias`."""

    def __init__(self, model, mask_bias=0.0):
        super().__init__()
        self.model, self.config, self.mask_bias, self.calls = model, model.config, mask_bias, []

    @property
    def device(self):
        return self.model.device

    def forward(self, x, attention_mask=None):
        self.calls.append(x.clone())
        logits = self.model(x, attention_mask)
        logits[..., self.config.mask_id] += self.mask_bias
        return logits


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(tiny_config(init_std=0.2)).eval()


def prompt(B=1, P=3, seed=0):
    return torch.randint(4, 16, (B, P), generator=torch.Generator().manual_seed(seed))


def reference_generate(model, prompt, steps, gen_length, block_length):
    """LLaDA's generate.py at temperature 0 with low-confidence remasking, written out plainly."""
    x = torch.full((1, prompt.shape[1] + gen_length), MASK)
    x[:, :prompt.shape[1]] = prompt
    num_blocks = gen_length // block_length
    steps = steps // num_blocks
    for nb in range(num_blocks):
        lo = prompt.shape[1] + nb * block_length
        block_masks = int((x[:, lo:lo + block_length] == MASK).sum())
        schedule = [block_masks // steps + (1 if i < block_masks % steps else 0) for i in range(steps)]
        for i in range(steps):
            mask_index = x == MASK
            logits = model(x)
            x0 = logits.argmax(-1)
            p = F.softmax(logits.double(), dim=-1).gather(-1, x0[..., None])[..., 0]
            p[:, lo + block_length:] = -math.inf
            conf = torch.where(mask_index, p, -math.inf)
            _, idx = torch.topk(conf[0], k=schedule[i])
            x[0, idx] = x0[0, idx]
    return x


@pytest.mark.parametrize("steps, gen_length, block_length", [(8, 8, 8), (4, 8, 4), (12, 12, 4)])
def test_matches_the_reference_loop(model, steps, gen_length, block_length):
    # a model that never favours [MASK]: there our one deliberate difference cannot show
    spy = Spy(model, mask_bias=-100.0)
    p = prompt()
    with torch.no_grad():
        expected = reference_generate(spy, p, steps, gen_length, block_length)
    assert torch.equal(generate(spy, p, steps, gen_length, block_length), expected)


def test_one_token_per_step_and_prompt_fixed(model):
    p = prompt(B=2)
    out, trace = generate_fast(model, p, steps=10, gen_length=10, block_length=10, return_trace=True)
    assert out.shape == (2, 13) and len(trace.tokens) == 10 and trace.model_calls == 10
    assert all(r.sum(dim=1).tolist() == [1, 1] for r in trace.revealed)
    for tokens in trace.tokens:
        assert torch.equal(tokens[:, :3], p)
    assert not (out == MASK).any()
    # a revealed token never changes again
    steps_of = trace.reveal_step()
    for s, tokens in enumerate(trace.tokens):
        done = (steps_of <= s) & (steps_of >= 0)
        assert torch.equal(tokens[done], out[done])


def test_later_blocks_wait(model):
    out, trace = generate_fast(model, prompt(), steps=8, gen_length=8, block_length=4, return_trace=True)
    for s, tokens in enumerate(trace.tokens):
        second_block = tokens[0, 7:]
        if s < 3:
            assert (second_block == MASK).all()
        if s == 3:
            assert not (tokens[0, 3:7] == MASK).any() and (second_block == MASK).all()


def test_transfer_counts():
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        mask_index = torch.rand(4, 20, generator=g) < 0.7
        steps = int(torch.randint(1, 25, (), generator=g))
        counts = get_num_transfer_tokens(mask_index, steps)
        assert counts.shape == (4, steps)
        assert torch.equal(counts.sum(dim=1), mask_index.sum(dim=1))
        assert (counts.max(dim=1).values - counts.min(dim=1).values <= 1).all()
        # the larger counts come first, as in the reference
        assert (counts[:, :-1] >= counts[:, 1:]).all()


def test_greedy_is_deterministic_and_sampling_is_seeded(model):
    p = prompt()
    assert torch.equal(generate(model, p, 8, 8, 8), generate(model, p, 8, 8, 8))
    a = generate(model, p, 8, 8, 8, temperature=1.0, generator=torch.Generator().manual_seed(1))
    b = generate(model, p, 8, 8, 8, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_gumbel_max_samples_softmax(temperature):
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0, 0.3])
    n = 40000
    g = torch.Generator().manual_seed(0)
    draws = add_gumbel_noise(logits.expand(n, -1), temperature, g).argmax(dim=-1)
    observed = torch.bincount(draws, minlength=6).double()
    expected = n * torch.softmax(logits.double() / temperature, dim=0)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 20.52, chi2  # the 0.999 quantile of chi-square with 5 degrees of freedom


def test_random_remasking_finishes(model):
    out = generate(model, prompt(), 6, 12, 12, remasking="random",
                   generator=torch.Generator().manual_seed(0))
    assert not (out == MASK).any()


def test_never_predicts_mask(model):
    out = generate(Spy(model, mask_bias=+100.0), prompt(), 8, 8, 8)
    assert not (out == MASK).any()


def test_guidance(model):
    p = prompt()
    assert torch.equal(generate(model, p, 8, 8, 8, cfg_scale=0.0), generate(model, p, 8, 8, 8))
    spy = Spy(model)
    generate(spy, p, 4, 8, 8, cfg_scale=1.0)
    assert len(spy.calls) == 4
    for x in spy.calls:
        assert x.shape[0] == 2 and torch.equal(x[0, :3], p[0]) and (x[1, :3] == MASK).all()
        assert torch.equal(x[0, 3:], x[1, 3:])


def test_threshold(model):
    p = prompt()
    out, trace = generate_fast(model, p, 8, 8, 8, threshold=1.0, return_trace=True)
    assert all(int(r.sum()) == 1 for r in trace.revealed)
    out, trace = generate_fast(model, p, 8, 8, 4, threshold=1e-9, return_trace=True)
    assert trace.model_calls == 2 and not (out == MASK).any()
    # steps is an upper bound: with few steps and a strict threshold the block still finishes
    out, trace = generate_fast(model, p, 2, 8, 8, threshold=1.0, return_trace=True)
    assert trace.model_calls == 2 and not (out == MASK).any()


def test_batch_equals_separate_calls(model):
    p = prompt(B=2, P=4)
    both = generate(model, p, 6, 12, 6)
    assert torch.equal(both[0:1], generate(model, p[0:1], 6, 12, 6))
    assert torch.equal(both[1:2], generate(model, p[1:2], 6, 12, 6))


def test_left_padded_prompt(model):
    p = prompt(B=1, P=3)
    padded = torch.cat([torch.zeros(1, 2, dtype=torch.long), p], dim=1)
    mask = torch.tensor([[0, 0, 1, 1, 1]])
    out = generate_fast(model, padded, 8, 8, 8, attention_mask=mask)
    assert out.shape == (1, 13) and not (out == MASK).any()


def test_infill_only_changes_masks(model):
    x = torch.tensor([[MASK, MASK, 5, 6, 7, MASK, 8]])
    out, trace = infill_fast(model, x, return_trace=True)
    assert trace.model_calls == 3 and not (out == MASK).any()
    keep = x != MASK
    assert torch.equal(out[keep], x[keep])


@pytest.mark.parametrize("kwargs, message", [
    (dict(gen_length=10, block_length=4), "multiple of block_length"),
    (dict(steps=3, gen_length=8, block_length=4), "divisible by the number of blocks"),
    (dict(gen_length=40, block_length=40, steps=40), "max_seq_len=32"),
    (dict(remasking="greedy"), "remasking"),
    (dict(threshold=1.5), "threshold"),
    (dict(steps=0), "steps"),
    (dict(temperature=-1.0), "temperature"),
])
def test_bad_input(model, kwargs, message):
    kw = {"steps": 8, "gen_length": 8, "block_length": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        (generate_fast if "threshold" in kw else generate)(model, prompt(), **kw)


def test_generate_autoregressive():
    torch.manual_seed(0)
    ar = Transformer(tiny_config(causal=True, init_std=0.2)).eval()
    p = prompt(B=2)
    out = generate_autoregressive(ar, p, 5)
    x = p.clone()
    with torch.no_grad():
        for _ in range(5):
            x = torch.cat([x, ar(x)[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(out, x)
    eos = int(out[0, 4])
    stopped = generate_autoregressive(ar, p[:1], 5, eos_id=eos)
    first = int((out[0, 3:] == eos).nonzero()[0])
    assert torch.equal(stopped, out[:1, :3 + first + 1]) and int(stopped[0, -1]) == eos
    with pytest.raises(ValueError, match="causal"):
        generate_autoregressive(Transformer(tiny_config()), p, 3)
    with pytest.raises(ValueError, match="max_seq_len"):
        generate_autoregressive(ar, p, 40)


def test_trace_pictures(model):
    out, trace = generate_fast(model, prompt(), 4, 8, 8, return_trace=True)
    text = render_trace(trace, start=3)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[0].count("_") == 6 and "_" not in lines[-1]
    fig = plot_trace(trace, color_by="confidence")
    assert len(fig.axes[0].patches) == 4 * 11
    with pytest.raises(ValueError, match="color_by"):
        plot_trace(trace, color_by="colour")


# ---- KV caches ---------------------------------------------------------------------------------

def test_autoregressive_kv_cache_is_exact():
    torch.manual_seed(1)
    ar = Transformer(tiny_config(causal=True, init_std=0.3)).eval()
    p = prompt(B=3, P=4)
    cached = generate_autoregressive(ar, p, 12)
    plain = generate_autoregressive(ar, p, 12, kv_cache=False)
    assert torch.equal(cached, plain)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(generate_autoregressive(ar, p, 12, temperature=1.0, generator=g1),
                       generate_autoregressive(ar, p, 12, temperature=1.0, generator=g2,
                                               kv_cache=False))


def test_prefix_cache_is_exact_for_a_causal_model():
    """In a causal model the prefix's keys and values never depend on later tokens, so the
    'approximate' prefix cache is exact: a check of the bookkeeping, block by block."""
    torch.manual_seed(2)
    causal = Transformer(tiny_config(causal=True, init_std=0.3)).eval()
    p = prompt(B=2, P=3)
    for steps, block in ((12, 4), (8, 6), (12, 12)):
        out, tr = generate_fast(causal, p, steps, 12, block, kv_cache=True, return_trace=True)
        ref, tr_ref = generate_fast(causal, p, steps, 12, block, return_trace=True)
        assert torch.equal(out, ref)
        assert tr.model_calls == tr_ref.model_calls
        assert all(torch.equal(a, b) for a, b in zip(tr.revealed, tr_ref.revealed))


def test_prefix_cache_on_a_bidirectional_model(model):
    p = prompt(B=2)
    # one step per block: every step is a block's first, full forward, so nothing is approximate
    assert torch.equal(generate_fast(model, p, 4, 8, 2, kv_cache=True), generate(model, p, 4, 8, 2))
    # several steps per block: a valid answer, mask-free, prompt untouched, same number of calls
    out, tr = generate_fast(model, p, 8, 8, 4, kv_cache=True, return_trace=True)
    assert not out.eq(MASK).any() and torch.equal(out[:, :3], p) and tr.model_calls == 8
    assert int(torch.stack(tr.revealed).sum()) == 2 * 8
    spy = Spy(model)
    with pytest.raises(ValueError, match="guidance"):
        generate_fast(spy, p, 8, 8, 4, cfg_scale=1.0, kv_cache=True)


@pytest.mark.parametrize("steps, gen_length, block_length, temperature, remasking, cfg_scale", [
    (8, 8, 8, 0.0, "low_confidence", 0.0), (6, 12, 4, 0.0, "low_confidence", 0.0),
    (4, 8, 2, 1.0, "low_confidence", 0.0), (8, 8, 4, 0.7, "random", 0.0),
    (8, 8, 8, 0.0, "low_confidence", 1.5)])
def test_fast_path_gives_the_plain_loops_tokens(model, steps, gen_length, block_length,
                                                temperature, remasking, cfg_scale):
    """generate_fast runs the same algorithm: with no option switched on (and with a trace, which
    only records), it gives the plain loop's tokens and draws the same random numbers."""

    p = prompt(B=3, P=4)
    kw = dict(temperature=temperature, remasking=remasking, cfg_scale=cfg_scale)
    plain = generate(model, p, steps, gen_length, block_length,
                     generator=torch.Generator().manual_seed(7), **kw)
    fast = generate_fast(model, p, steps, gen_length, block_length,
                         generator=torch.Generator().manual_seed(7), **kw)
    traced, trace = generate_fast(model, p, steps, gen_length, block_length, return_trace=True,
                                  generator=torch.Generator().manual_seed(7), **kw)
    assert torch.equal(plain, fast) and torch.equal(plain, traced)
    assert trace.model_calls == steps and torch.equal(trace.tokens[-1], plain)
    x = plain.clone()
    x[:, [0, 5, 6]] = MASK
    assert torch.equal(infill(model, x, generator=torch.Generator().manual_seed(3), **kw),
                       infill_fast(model, x, generator=torch.Generator().manual_seed(3), **kw))


def test_trace_text_escapes_newlines():
    from minillada import CharTokenizer

    tok = CharTokenizer.train("ab\ncd")
    x = torch.tensor([tok.encode("ab\ncd")])
    start = x.clone()
    start[0, 1:4] = tok.mask_id
    trace = Trace(start=start, tokens=[x], confidence=[torch.zeros(1, 5)],
                  revealed=[start.eq(tok.mask_id)])
    text = render_trace(trace, tok)
    assert text.count("\n") == 0 and "\\n*" in text
