"""Chapter 4: the likelihood bound. Run: pytest exercises/04_likelihood [-m ex4_3] [--impl=reference]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. Inputs come from seeded generators, so the judge rebuilds them. The
checks of 4.3 run your ``log_likelihood`` with the library's ``mask_exactly`` and
``stratified_mask_counts`` (so a mistake in 4.1 or 4.2 costs only that step), and note what it
handed them.
"""

import inspect
import math
import statistics
from collections import Counter
from itertools import combinations, product

import torch
import torch.nn as nn

from exercises._checks import (check, expect_error, expect_tensor, expect_tuple, expect_type,
                               expect_unchanged, library, patched, raises, with_library)
from exercises._helpers import ConstantLogits, tiny_model
from minillada import ModelConfig
from minillada.guidance import guided_logits
from minillada.losses import token_ce
from minillada.likelihood import exact_elbo as library_exact_elbo
from minillada.likelihood import log_likelihood as library_log_likelihood
from minillada.masking import forward_process as library_forward_process

MASK = 1


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def tokens(B, T, seed=0):
    return torch.randint(4, 16, (B, T), generator=seeded(seed))


class Progression(nn.Module):
    """A hand-made mask predictor whose guesses depend strongly on the context: every visible token
    x_j votes for the token x_j + (i - j) at position i, with a weight that decays with |i - j|
    (plus a fixed random bias per position). On an arithmetic sequence such as 5 6 7 | 8 9 10 11
    it is confident when many neighbours are visible and unsure when they are masked, so masking
    the prompt, hiding one more token or dropping a weight moves the bound a lot. Deterministic:
    its bias comes from a seeded generator."""

    def __init__(self, vocab_size=16, mask_id=MASK, max_len=24, base=3.0, decay=0.7):
        super().__init__()
        self.config = ModelConfig(vocab_size=vocab_size, mask_id=mask_id, d_model=8, n_layers=1,
                                  n_heads=1, max_seq_len=max_len)
        self.bias = nn.Parameter(torch.randn(max_len, vocab_size,
                                             generator=torch.Generator().manual_seed(0)))
        self.weight = nn.Parameter(base * decay ** torch.arange(max_len, dtype=torch.float32))

    def forward(self, x, attention_mask=None):
        B, T = x.shape
        V = self.config.vocab_size
        pos = torch.arange(T, device=x.device)
        shift = pos[:, None] - pos[None, :]                        # (i, j): i - j
        vote = x[:, None, :] + shift[None]                         # (B, i, j): j's guess at i
        counts = (x[:, None, :] != self.config.mask_id) & (vote >= 0) & (vote < V)
        w = self.weight[shift.abs()][None].expand(B, T, T) * counts
        logits = self.bias[:T].expand(B, T, V).clone()
        return logits.scatter_add(2, vote.clamp(0, V - 1), w)


class NoConfig(nn.Module):
    """A model without a .config, so without a [MASK] id of its own: zero logits over 16 tokens."""

    def forward(self, x, attention_mask=None):
        return torch.zeros(*x.shape, 16)


# ---- 4.1 mask_exactly ---------------------------------------------------------------------------

def expect_masks(got, B, T):
    """The tuple (xt long, masked bool), each (B, T)."""
    xt, masked = expect_tuple(got, 2, "mask_exactly")
    expect_tensor(xt, "mask_exactly", "xt", dtype=torch.long, shape=(B, T))
    expect_tensor(masked, "mask_exactly", "masked", dtype=torch.bool, shape=(B, T))
    return xt, masked


def probe_mask_exactly_counts(ex):
    x0 = tokens(3, 10)
    out = [ex.mask_exactly(x0, torch.tensor([0, 4, 7]), MASK, prompt_lengths=[2, 3, 3],
                           generator=seeded(0)),
           ex.mask_exactly(tokens(3, 10), [1, 0, 10], MASK, generator=seeded(1)),
           ex.mask_exactly(tokens(3, 10), 3, MASK, prompt_lengths=torch.tensor([0, 5, 7]),
                           generator=seeded(2))]
    return {"out": out, "after": {"x0": x0}}


@check("4.1", probe_mask_exactly_counts)
def test_mask_exactly_counts(got):
    """returns (xt, masked), each (B, T): masked (bool) has exactly num_masked[b] Trues in row b,
    none in its first prompt_lengths[b] tokens, up to every position after the prompt; xt (long)
    is x0 with [MASK] where masked; num_masked may be a tensor, a list or one int for every row,
    prompt_lengths a list or a tensor; without prompt_lengths any position may be masked; returns
    the tuple (xt, masked) and leaves the caller's x0 as it was"""
    x0 = tokens(3, 10)
    expect_unchanged(got["after"], {"x0": x0}, "mask_exactly")
    for case, out, num, prompt in zip(
            ["tensor counts", "list counts, no prompt", "one int for every row"], got["out"],
            [[0, 4, 7], [1, 0, 10], [3, 3, 3]], [[2, 3, 3], [0, 0, 0], [0, 5, 7]]):
        xt, masked = expect_masks(out, 3, 10)
        assert masked.sum(1).tolist() == num, f"{case}: {masked.sum(1).tolist()} masks, not {num}"
        in_prompt = torch.arange(10)[None, :] < torch.tensor(prompt)[:, None]
        assert not (masked & in_prompt).any(), f"{case}: a prompt position was masked"
        assert torch.equal(xt, torch.where(masked, MASK, x0)), case


def probe_mask_exactly_uniform(ex):
    x0 = tokens(4000, 6, seed=1)
    _, masked = ex.mask_exactly(x0, 2, MASK, prompt_lengths=[1] * 4000, generator=seeded(1))
    return {"masked": masked,
            "too_many": raises(ex.mask_exactly, x0[:1], 6, MASK, prompt_lengths=[1]),
            "too_many_in_a_row": raises(ex.mask_exactly, x0[:2], torch.tensor([4, 2]), MASK,
                                        prompt_lengths=[3, 0])}


@check("4.1", probe_mask_exactly_uniform)
def test_mask_exactly_is_uniform_and_checked(got):
    """every set of l positions after the prompt is equally likely (4000 rows, 2 of 5 answer
    positions: each position masked with probability 2/5, each of the 10 pairs 1/10, within 4
    standard errors); raises ValueError when some num_masked[b] is more than the positions after
    row b's prompt (6 of 5; 4 of 3 in a row of 6)"""
    masked = expect_tensor(got["masked"], "mask_exactly", "masked", dtype=torch.bool, shape=(4000, 6))
    assert not masked[:, 0].any()
    assert (masked.sum(1) == 2).all()
    freq = masked[:, 1:].double().mean(0)                          # each answer slot: 2/5
    se = math.sqrt(0.4 * 0.6 / 4000)                                # binomial SE, 0.0077
    assert torch.allclose(freq, torch.full((5,), 0.4, dtype=torch.float64), atol=4 * se), freq
    pairs = Counter(tuple(row.nonzero().flatten().tolist()) for row in masked)
    se = math.sqrt(0.1 * 0.9 / 4000)                                # binomial SE, 0.0047
    for pair in combinations(range(1, 6), 2):
        assert abs(pairs[pair] / 4000 - 0.1) < 4 * se, f"pair {pair}: {pairs[pair] / 4000:.3f}"
    for case in ["too_many", "too_many_in_a_row"]:
        expect_error(got[case], case)


def probe_mask_exactly_seeded(ex):
    x0 = tokens(50, 12, seed=2)
    return [ex.mask_exactly(x0, 4, MASK, prompt_lengths=[3] * 50, generator=seeded(s))[1]
            for s in (3, 3, 4)]


@check("4.1", probe_mask_exactly_seeded)
def test_mask_exactly_is_seeded(got):
    """draws every random number from `generator`: the same seed gives the same masks, another
    seed other masks"""
    a, b, c = (expect_tensor(m, "mask_exactly", "masked", dtype=torch.bool) for m in got)
    assert torch.equal(a, b), "the same seed gave other masks: is the generator used?"
    assert not torch.equal(a, c), "another seed gave the same masks"


# (num_masked, prompt_lengths, seed) of the comparisons with the library's draws
EXACT_DRAWS = [(3, None, 12), ([0, 2, 5, 9], [0, 3, 4, 1], 13), ([1, 6, 2, 4], [6, 6, 0, 2], 14)]


def probe_mask_exactly_draws(ex):
    return [ex.mask_exactly(tokens(4, 12, seed=seed), num, MASK, prompt_lengths=pl, generator=seeded(seed))
            for num, pl, seed in EXACT_DRAWS]


@check("4.1", probe_mask_exactly_draws)
def test_mask_exactly_matches_library_draws(got):
    """draws the scores as the guide fixes, one rng.rand(B, T, generator=generator), and masks the
    l smallest after the prompt: xt and masked equal the library's for the same seed"""
    mask_exactly = library("mask_exactly")
    for (num, pl, seed), mine in zip(EXACT_DRAWS, got):
        xt, masked = expect_masks(mine, 4, 12)
        want_xt, want_masked = mask_exactly(tokens(4, 12, seed=seed), num, MASK, prompt_lengths=pl,
                                            generator=seeded(seed))
        assert torch.equal(masked, want_masked), \
            f"seed {seed}: not the library's masks (the draw? the l smallest scores?)"
        assert torch.equal(xt, want_xt), f"seed {seed}: xt"


def probe_mask_exactly_errors(ex):
    x0 = tokens(2, 6, seed=3)
    out = {case: raises(ex.mask_exactly, x, 2, MASK, generator=seeded(0))
           for case, x in [("x0 of floats", x0.float()), ("x0 of int32 ids", x0.int()),
                           ("x0 as a list of lists", x0.tolist()), ("a 1-D x0", x0[0])]}
    out["a count of -1"] = raises(ex.mask_exactly, x0, [1, -1], MASK, generator=seeded(0))
    return out


@check("4.1", probe_mask_exactly_errors)
def test_mask_exactly_rejects_bad_arguments(got):
    """raises ValueError when x0 is not a (B, T) tensor of torch.long ids (a float tensor, int32
    ids, a list of lists, a 1-D tensor) and when some num_masked[b] is negative (-1)"""
    for case, outcome in got.items():
        expect_error(outcome, case)


# ---- 4.2 stratified_mask_counts ---------------------------------------------------------------

def probe_stratified_cover(ex):
    out = []
    for seed in range(10):
        g = seeded(seed)
        out.append((ex.stratified_mask_counts(8, 8, generator=g, device="cpu"),
                    ex.stratified_mask_counts(4, 8, generator=g)))
    return out


@check("4.2", probe_stratified_cover)
def test_stratified_counts_cover_the_range(got):
    """returns a (batch_size,) torch.long tensor (on `device` when given) with values in 1..L:
    batch_size = L = 8 gives every l once, batch_size 4 with L = 8 gives l spaced by 2"""
    for seed, (full, half) in enumerate(got):
        for l, b in [(full, 8), (half, 4)]:
            expect_tensor(l, "stratified_mask_counts", dtype=torch.long, shape=(b,))
        assert sorted(full.tolist()) == list(range(1, 9)), f"seed {seed}: b = L gives {full.tolist()}"
        gaps = sorted(half.tolist())
        assert all(1 <= v <= 8 for v in gaps), f"seed {seed}: {gaps}"
        assert [b - a for a, b in zip(gaps, gaps[1:])] == [2, 2, 2], f"seed {seed}: {gaps}"


SHAPES = [(3, 7), (4, 10), (4, 7), (6, 16), (5, 3), (16, 4), (1, 5)]       # (batch_size, L)


def probe_stratified_offsets(ex):
    g = seeded(11)
    return {(b, L): [ex.stratified_mask_counts(b, L, generator=g) for _ in range(6)]
            for b, L in SHAPES}


@check("4.2", probe_stratified_offsets)
def test_stratified_counts_offsets(got):
    """values in 1..L: row j gets (k - 1 + floor(j L / b)) % L + 1 for one start k in 1..L
    (b = batch_size; multiply j by L first, then floor-divide by b), also when b does not divide L
    (b, L = 3, 7; 4, 10; 4, 7; 6, 16) and when b > L (5, 3; 16, 4)"""
    for (b, L), draws in got.items():
        for l in draws:
            expect_tensor(l, "stratified_mask_counts", dtype=torch.long, shape=(b,))
            assert all(1 <= v <= L for v in l.tolist()), f"b={b}, L={L}: {l.tolist()}"
            offsets = ((l - l[0]) % L).tolist()
            want = [j * L // b for j in range(b)]
            assert offsets == want, f"b={b}, L={L}: {l.tolist()} has offsets {offsets}, not {want}"


def probe_stratified_uniform(ex):
    return {(b, L): [ex.stratified_mask_counts(b, L, generator=g).tolist() for _ in range(2000)]
            for (b, L), g in [((3, 7), seeded(0)), ((4, 10), seeded(1))]}


@check("4.2", probe_stratified_uniform)
def test_stratified_counts_are_uniform(got):
    """every l in 1..L is equally likely (2000 batches each of b, L = 3, 7 and 4, 10: every
    frequency 1/L within 4 standard errors)"""
    for (b, L), draws in got.items():
        counts = Counter(v for draw in draws for v in draw)
        assert set(counts) <= set(range(1, L + 1)), f"b={b}, L={L}: values {sorted(counts)}"
        # the b values of a batch are distinct (b <= L), so each l is in a batch w.p. p = b/L,
        # independently across batches: its frequency has SE sqrt(p (1 - p) / n) / b
        p, n = b / L, len(draws)
        se = math.sqrt(p * (1 - p) / n) / b
        for l in range(1, L + 1):
            freq = counts[l] / (n * b)
            assert abs(freq - 1 / L) < 4 * se, f"b={b}, L={L}: l={l} has frequency {freq:.4f}"


def probe_stratified_seeded(ex):
    return [[ex.stratified_mask_counts(4, 8, generator=g) for _ in range(5)]
            for g in (seeded(3), seeded(3), seeded(4))]


@check("4.2", probe_stratified_seeded)
def test_stratified_counts_are_seeded(got):
    """draws its random start from `generator`, as the guide fixes it (one
    rng.randint(1, L + 1, (), generator=generator)): the same seed gives the same counts, another
    seed other counts, and five batches in a row equal the library's for the same seed"""
    for draws in got:
        for l in draws:
            expect_tensor(l, "stratified_mask_counts", dtype=torch.long, shape=(4,))
    a, b, c = ([l.tolist() for l in draws] for draws in got)
    assert a == b, "the same seed gave other counts: is the generator used?"
    assert a != c, "another seed gave the same counts"
    g = seeded(3)
    want = [library("stratified_mask_counts")(4, 8, generator=g).tolist() for _ in range(5)]
    assert a == want, f"seed 3 gave {a}, the library {want}: not the draw the guide fixes"


# ---- 4.3 log_likelihood -------------------------------------------------------------------------

PROMPT, ANSWER = [5, 6, 7], [8, 9, 10, 11]
SEQ = torch.tensor(PROMPT + ANSWER)
P, L = len(PROMPT), len(ANSWER)


class Spy:
    """Calls the library's ``fn`` and notes, as plain data, what it got and what it returned."""

    def __init__(self, fn, generator):
        self.fn, self.generator, self.calls = fn, generator, []
        self.signature = inspect.signature(fn)

    def __call__(self, *args, **kwargs):
        out = self.fn(*args, **kwargs)
        kept = tuple(t.clone() for t in out) if isinstance(out, tuple) else out.clone()
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        call = {"same_generator": arguments.get("generator") is self.generator, "out": kept}
        for name, value in arguments.items():
            if name == "generator":
                continue
            if name == "prompt_lengths" and value is not None:
                value = torch.as_tensor(value).tolist()
            call[name] = value.clone() if isinstance(value, torch.Tensor) else value
        self.calls.append(call)
        return out


LL_CASES = {"l": ("l", 0.0), "l_cfg": ("l", 2.0), "t": ("t", 0.0), "t_cfg": ("t", 2.0)}
LL_EPS = 0.02


def probe_log_likelihood_draws(ex, case):
    estimator, cfg_scale = LL_CASES[case]
    g = seeded(7)
    counts = Spy(library("stratified_mask_counts"), g)
    masks = Spy(library("mask_exactly"), g)
    noise = Spy(library_forward_process, g)
    with patched(ex.log_likelihood, stratified_mask_counts=counts, mask_exactly=masks,
                 forward_process=noise):
        ll = ex.log_likelihood(Progression(), list(PROMPT), list(ANSWER), mc_num=64, batch_size=16,
                               cfg_scale=cfg_scale, generator=g, estimator=estimator, eps=LL_EPS)
    return {"ll": ll, "counts": counts.calls, "masks": masks.calls, "noise": noise.calls}


def weighted_ce(xt, masked, weight, cfg_scale):
    """sum over rows of weight * (the CE of the masked answer tokens), under guidance cfg_scale"""
    prompt_index = torch.arange(P + L) < P
    with torch.no_grad():
        logits = guided_logits(Progression(), xt, prompt_index, cfg_scale, MASK)
    return float((token_ce(logits, SEQ.expand(len(xt), -1)) * masked * weight).sum())


@check("4.3", probe_log_likelihood_draws, params=list(LL_CASES))
def test_log_likelihood_scores_the_masks_it_draws(got, param):
    """runs mc_num / batch_size batches of batch_size rows (prompt + answer in each); estimator
    'l': per batch, l = stratified_mask_counts(batch_size, L, generator), then mask_exactly of
    exactly those l with prompt_lengths P for every row, mask_id model.config.mask_id and the
    same generator; estimator 't': forward_process with eps, prompt_lengths P, that mask_id and
    the same generator; the logits come with guidance cfg_scale (the unconditional pass hides the
    prompt only); returns the float -(1 / mc_num) * sum over rows of weight * (the CE of the
    masked answer tokens), weight L / l ('l') or 1 / p_mask ('t'); checked on 64 samples in
    batches of 16, cfg_scale 0 and 2"""
    estimator, cfg_scale = LL_CASES[param]
    expect_type(got["ll"], float, "log_likelihood")
    total = 0.0
    if estimator == "l":
        assert not got["noise"], "estimator 'l' called forward_process"
        assert len(got["counts"]) == len(got["masks"]) == 4, (
            f"{len(got['counts'])} calls of stratified_mask_counts and {len(got['masks'])} of "
            "mask_exactly for mc_num=64, batch_size=16: want 4 of each")
        for counts, masks in zip(got["counts"], got["masks"]):
            l = counts["out"]
            assert (counts["batch_size"], counts["L"]) == (16, L), "stratified_mask_counts(b, L)"
            assert counts["same_generator"], "stratified_mask_counts did not get the generator"
            assert masks["same_generator"], "mask_exactly did not get the generator"
            assert torch.equal(masks["x0"], SEQ.expand(16, -1)), "mask_exactly's x0"
            assert masks["mask_id"] == MASK, f"mask_exactly got mask_id={masks['mask_id']}"
            assert masks["prompt_lengths"] == [P] * 16, (
                f"mask_exactly got prompt_lengths={masks['prompt_lengths']}, not [P] * batch_size")
            assert torch.equal(torch.as_tensor(masks["num_masked"]).long().reshape(-1), l), (
                "mask_exactly was not given the l of stratified_mask_counts")
            xt, masked = masks["out"]
            assert torch.equal(masked.sum(1), l) and not masked[:, :P].any()
            total += weighted_ce(xt, masked, (L / l.double())[:, None], cfg_scale)
    else:
        assert not got["masks"], "estimator 't' called mask_exactly"
        assert len(got["noise"]) == 4, f"{len(got['noise'])} calls of forward_process, want 4"
        for noise in got["noise"]:
            assert noise["same_generator"], "forward_process did not get the generator"
            assert torch.equal(noise["x0"], SEQ.expand(16, -1)), "forward_process's x0"
            assert noise["mask_id"] == MASK, f"forward_process got mask_id={noise['mask_id']}"
            assert noise["eps"] == LL_EPS, f"forward_process got eps={noise['eps']}, not eps"
            assert noise["prompt_lengths"] == [P] * 16, (
                f"forward_process got prompt_lengths={noise['prompt_lengths']}")
            xt, masked, p_mask = noise["out"]
            total += weighted_ce(xt, masked, 1.0 / p_mask.double(), cfg_scale)
    assert math.isclose(got["ll"], -total / 64, rel_tol=1e-5), (
        f"log_likelihood returned {got['ll']:.5f}; the masks it drew give {-total / 64:.5f}")


def probe_log_likelihood_uniform(ex):
    with with_library(ex.log_likelihood, "mask_exactly", "stratified_mask_counts"):
        return ex.log_likelihood(ConstantLogits(vocab_size=16), [5, 6], [7, 8, 9, 10], mc_num=32,
                                 batch_size=8, generator=seeded(0))


@check("4.3", probe_log_likelihood_uniform)
def test_log_likelihood_of_a_uniform_guesser(got):
    """a model that guesses uniformly over V = 16 tokens scores exactly -L log V with estimator
    'l' (every masked token costs log V and the weight L / l makes every row cost L log V), as a
    float"""
    expect_type(got, float, "log_likelihood")
    assert math.isclose(got, -4 * math.log(16), rel_tol=1e-5)


def probe_log_likelihood_seeded(ex):
    out = {}
    with with_library(ex.log_likelihood, "mask_exactly", "stratified_mask_counts"):
        for estimator in ("l", "t"):
            out[estimator] = [ex.log_likelihood(Progression(), list(PROMPT), list(ANSWER), mc_num=32,
                                                batch_size=8, generator=seeded(s), estimator=estimator)
                              for s in (5, 5, 6)]
    return out


@check("4.3", probe_log_likelihood_seeded)
def test_log_likelihood_is_seeded(got):
    """draws every random number from `generator`, for both estimators: the same seed gives the
    same estimate, another seed another; and in the order the guide fixes (per batch, l from
    stratified_mask_counts, then mask_exactly; estimator 't': forward_process), so the estimate
    equals the library's for the same seed"""
    for estimator, (a, b, c) in got.items():
        expect_type(a, float, "log_likelihood")
        assert a == b, f"estimator {estimator!r}: the same seed gave {a} and {b}"
        assert a != c, f"estimator {estimator!r}: another seed gave the same estimate"
        want = library_log_likelihood(Progression(), PROMPT, ANSWER, mc_num=32, batch_size=8,
                                      generator=seeded(5), estimator=estimator)
        assert math.isclose(a, want, rel_tol=1e-6), (
            f"estimator {estimator!r}: seed 5 gave {a:.6f}, the library {want:.6f} (the order of "
            "the draws?)")


# estimator: (estimates, mc_num, batch_size)
UNBIASED = {"l": (30, 64, 16), "t": (30, 256, 64)}


def probe_log_likelihood_unbiased(ex, estimator):
    n, mc_num, batch_size = UNBIASED[estimator]
    g = seeded(0)
    with with_library(ex.log_likelihood, "mask_exactly", "stratified_mask_counts"):
        return [ex.log_likelihood(Progression(), list(PROMPT), list(ANSWER), mc_num=mc_num,
                                  batch_size=batch_size, generator=g, estimator=estimator)
                for _ in range(n)]


def pattern_costs():
    """(sizes, costs) over every set S of answer positions (the empty one too): |S| and the summed
    CE of the tokens in S when exactly S is masked, under the Progression model, in float64"""
    patterns = torch.tensor(list(product([False, True], repeat=L)))
    masked = torch.cat([torch.zeros(len(patterns), P, dtype=torch.bool), patterns], dim=1)
    x0 = SEQ.expand(len(masked), -1)
    with torch.no_grad():
        ce = token_ce(Progression()(x0.masked_fill(masked, MASK)), x0).double()
    return patterns.sum(1).tolist(), (ce * masked).sum(1).tolist()


def t_row_moments(eps=1e-3):
    """Mean and variance of one sample of estimator 't', X = (1/p) sum_{i in S} CE_i(S), computed
    exactly: p ~ U[eps, 1) and each answer position is in S with probability p, so
    E[X^k] = sum_S c_S^k / (1 - eps) * integral_eps^1 p^(|S| - k) (1 - p)^(L - |S|) dp."""
    def integral(a, b):                                   # integral_eps^1 p^a (1 - p)^b dp
        return sum(math.comb(b, j) * (-1) ** j * (math.log(1 / eps) if a + j == -1 else
                                                  (1 - eps ** (a + j + 1)) / (a + j + 1))
                   for j in range(b + 1))
    sizes, costs = pattern_costs()
    moments = [sum(c ** k * integral(s - k, L - s) for s, c in zip(sizes, costs) if s > 0)
               / (1 - eps) for k in (1, 2)]
    return moments[0], moments[1] - moments[0] ** 2


@check("4.3", probe_log_likelihood_unbiased, params=list(UNBIASED))
def test_log_likelihood_is_unbiased(got, param):
    """the mean of 30 estimates (64 samples each for 'l', 256 for 't') equals exact_elbo within 4
    standard errors, on a model whose guesses depend strongly on the context (masking the prompt
    or forgetting a weight moves the estimate by more than 15 standard errors)"""
    exact = library_exact_elbo(Progression(), PROMPT, ANSWER)
    n, mc_num, _ = UNBIASED[param]
    assert len(got) == n, f"{len(got)} estimates, not {n}"
    for v in got:
        expect_type(v, float, "log_likelihood")
    mean = statistics.mean(got)
    if param == "l":
        # the estimates are independent (the samples within one are stratified, so correlated):
        # the SE of their mean from their spread (0.012 on the reference)
        se = statistics.stdev(got) / math.sqrt(n)
    else:
        # every one of the n * mc_num samples is independent, but its weight 1/p reaches 1/eps,
        # so the spread of 30 estimates is itself noisy: the SE from the exact variance (0.036)
        mean_t, var = t_row_moments()
        se = math.sqrt(var / (n * mc_num))
        assert abs(-mean_t - exact) < 0.1 * se            # the eps floor's bias is negligible
    assert abs(mean - exact) < 4 * se, (
        f"mean {mean:.4f} of {n} estimates, exact {exact:.4f}, standard error {se:.4f}")


def probe_log_likelihood_errors(ex):
    return raises(ex.log_likelihood, Progression(), list(PROMPT), list(ANSWER), mc_num=10, batch_size=4)


@check("4.3", probe_log_likelihood_errors)
def test_log_likelihood_rejects_a_partial_batch(got):
    """raises ValueError when mc_num is not a multiple of batch_size (10 and 4)"""
    expect_error(got, "mc_num = 10, batch_size = 4")


LL_ERRORS = {"estimator 'x'": dict(estimator="x"), "mc_num = -8": dict(mc_num=-8, batch_size=4),
             "mc_num = 0": dict(mc_num=0, batch_size=4),
             "batch_size = -4": dict(mc_num=8, batch_size=-4), "batch_size = 0": dict(batch_size=0),
             "a model without config.mask_id": dict(model=NoConfig())}


def probe_log_likelihood_bad_arguments(ex):
    out = {}
    with with_library(ex.log_likelihood, "mask_exactly", "stratified_mask_counts"):
        for case, kwargs in LL_ERRORS.items():
            kwargs = {"model": Progression(), "prompt": list(PROMPT), "answer": list(ANSWER), "mc_num": 8,
                      "batch_size": 4, "generator": seeded(0), **kwargs}
            out[case] = raises(ex.log_likelihood, **kwargs)
    return out


@check("4.3", probe_log_likelihood_bad_arguments)
def test_log_likelihood_rejects_bad_arguments(got):
    """raises ValueError when estimator is neither 'l' nor 't', when mc_num or batch_size is not
    positive (mc_num -8 or 0, batch_size -4 or 0), and when mask_id is None and the model has no
    config.mask_id"""
    for case, outcome in got.items():
        expect_error(outcome, case)


# ---- 4.4 exact_elbo ---------------------------------------------------------------------------

def probe_exact_elbo_uniform(ex):
    return ex.exact_elbo(ConstantLogits(vocab_size=10), [4, 5], [6, 7, 8])


@check("4.4", probe_exact_elbo_uniform)
def test_exact_elbo_of_a_uniform_guesser(got):
    """a model that guesses uniformly over V = 10 tokens gets exactly -L log V, as a float"""
    expect_type(got, float, "exact_elbo")
    assert math.isclose(got, -3 * math.log(10), rel_tol=1e-6)


def elbo_cases():
    """(model, prompt, answer) of the comparisons with the library"""
    return [(tiny_model(init_std=0.3), [5, 6], [7, 8, 9, 10, 11]),
            (Progression(), PROMPT, ANSWER), (Progression(), [2, 3], [4, 5, 6, 7, 8]),
            (Progression(), [5], [4] * 12), (Progression(), [4] * 13, [5, 6])]


def probe_exact_elbo(ex):
    return {"values": [ex.exact_elbo(*case) for case in elbo_cases()],
            "too_long": raises(ex.exact_elbo, Progression(), [5], [4] * 13)}


@check("4.4", probe_exact_elbo)
def test_exact_elbo_matches_library(got):
    """equals the library's exact_elbo on a small Transformer and on a model whose guesses depend
    on the context (only answer positions are masked; each size l is weighted equally); an answer
    of 12 tokens is allowed (and a prompt of 13), one of 13 tokens (8191 patterns) raises
    ValueError"""
    for (model, prompt, answer), mine in zip(elbo_cases(), got["values"]):
        expect_type(mine, float, "exact_elbo")
        want = library_exact_elbo(model, prompt, answer)
        assert math.isfinite(mine) and math.isclose(mine, want, rel_tol=1e-5), (
            f"prompt {prompt}, answer {answer}: {mine} != {want}")
    expect_error(got["too_long"], "an answer of 13 tokens")


def probe_exact_elbo_no_mask_id(ex):
    return raises(ex.exact_elbo, NoConfig(), [4], [5, 6])


@check("4.4", probe_exact_elbo_no_mask_id)
def test_exact_elbo_needs_a_mask_id(got):
    """raises ValueError when mask_id is None and the model has no config.mask_id"""
    expect_error(got, "a model without config.mask_id")
