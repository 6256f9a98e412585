"""Chapter 5: the reverse process. Run: pytest exercises/05_sampling [-m ex5_3]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. Inputs come from seeded generators, so the judge rebuilds them. The
probes of 5.3 run your ``remask_step`` with the library's ``add_gumbel_noise`` (step 5.2), so that
a mistake in 5.2 is charged to 5.2 only.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from exercises._checks import (check, expect_error, expect_tensor, expect_tuple, expect_unchanged, raises,
                               with_library)
from exercises._helpers import tiny_model
from minillada import sampling as lib

MASK = 1


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def within_sampling_noise(freq, p, n, se=4.0):
    """|freq - p| <= se standard errors of a frequency of n draws, sqrt(p (1 - p) / n), per entry
    (plus a hair for p = 0 or 1, where the standard error is 0)."""
    tol = se * (p * (1 - p) / n).sqrt() + 1e-9
    return bool(((freq - p).abs() <= tol).all()), (freq - p).abs() / (tol / se)


# ---- 5.1 get_num_transfer_tokens ---------------------------------------------------------------

def rows_with(counts, L):
    """A (len(counts), L) bool mask whose row b holds counts[b] Trues, spread over the row."""
    mask = torch.zeros(len(counts), L, dtype=torch.bool)
    for b, n in enumerate(counts):
        mask[b, torch.randperm(L, generator=seeded(b))[:n]] = True
    return mask


def probe_transfer_counts(ex):
    mask = torch.zeros(3, 12, dtype=torch.bool)
    mask[0, :12], mask[1, :5], mask[2, :1] = True, True, True
    return [ex.get_num_transfer_tokens(torch.ones(1, 10, dtype=torch.bool), 4),
            ex.get_num_transfer_tokens(mask, 5)]


@check("5.1", probe_transfer_counts)
def test_transfer_counts(got):
    """returns a (B, steps) torch.long tensor (int32 is refused): n masks in a row over s steps
    give n // s per step and one more in each of the first n % s steps (10 over 4: [3, 3, 2, 2]),
    so every mask is revealed; a row with fewer masks than steps reveals one per step, then 0"""
    ten, three = got
    expect_tensor(ten, "get_num_transfer_tokens", dtype=torch.long, shape=(1, 4))
    expect_tensor(three, "get_num_transfer_tokens", dtype=torch.long, shape=(3, 5))
    assert ten.tolist() == [[3, 3, 2, 2]]
    assert three.sum(1).tolist() == [12, 5, 1]                        # every mask revealed
    assert three.tolist() == [[3, 3, 2, 2, 2], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]


FLOOR_ROWS = [7, 11, 4, 0, 2, 15]


def probe_transfer_counts_floor(ex):
    return ex.get_num_transfer_tokens(rows_with(FLOOR_ROWS, 16), 4)


@check("5.1", probe_transfer_counts_floor)
def test_transfer_counts_take_the_floor(got):
    """counts the masks of each row on its own (rows of 7, 11, 4, 0, 2 and 15 masks scattered over
    16 positions, 4 steps) and takes the floor of n / s, not the rounded value: 7 -> [2, 2, 2, 1],
    11 -> [3, 3, 3, 2], 15 -> [4, 4, 4, 3]"""
    expect_tensor(got, "get_num_transfer_tokens", dtype=torch.long, shape=(6, 4))
    assert got.tolist() == [[2, 2, 2, 1], [3, 3, 3, 2], [1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 0, 0],
                            [4, 4, 4, 3]]


def random_masks(seed):
    g = seeded(seed)
    B, L, steps = (int(v) for v in torch.randint(1, 7, (3,), generator=g) * torch.tensor([1, 6, 2]))
    return torch.rand(B, L, generator=g) < torch.rand(B, 1, generator=g), steps


def probe_transfer_counts_random(ex):
    return [ex.get_num_transfer_tokens(*random_masks(seed)) for seed in range(8)]


@check("5.1", probe_transfer_counts_random)
def test_transfer_counts_match_library(got):
    """equals the library on 8 random masks (1 to 6 rows, up to 36 positions, 2 to 12 steps)"""
    for seed, counts in enumerate(got):
        mask, steps = random_masks(seed)
        want = lib.get_num_transfer_tokens(mask, steps)
        expect_tensor(counts, "get_num_transfer_tokens", dtype=torch.long, shape=want.shape)
        assert torch.equal(counts, want), f"seed {seed}"


# ---- 5.2 add_gumbel_noise ------------------------------------------------------------------------

def probe_gumbel_zero(ex):
    logits = torch.randn(4, 9, generator=seeded(0))
    return ex.add_gumbel_noise(logits, 0.0, generator=seeded(1))


@check("5.2", probe_gumbel_zero)
def test_gumbel_noise_at_temperature_zero_is_greedy(got):
    """temperature 0 returns the logits unchanged (same values, same dtype float32)"""
    logits = torch.randn(4, 9, generator=seeded(0))
    expect_tensor(got, "add_gumbel_noise", dtype=logits.dtype, shape=logits.shape)
    assert torch.equal(got, logits)


SOFTMAX_LOGITS = [1.0, 0.0, -1.0, 2.0]
N_SAMPLES = 40000


def probe_gumbel_softmax(ex, temperature):
    logits = torch.tensor(SOFTMAX_LOGITS).expand(N_SAMPLES, 4)
    scores = ex.add_gumbel_noise(logits, temperature, generator=seeded(0))
    return {"dtype": str(scores.dtype), "shape": tuple(scores.shape),
            "counts": torch.bincount(scores.argmax(-1), minlength=4)}


@check("5.2", probe_gumbel_softmax, params=[1.0, 0.5])
def test_gumbel_max_samples_the_softmax(got, param):
    """returns float64 scores of the logits' shape whose argmax is a sample of
    softmax(logits / temperature): over 40000 rows the argmax lands on each token as often as the
    softmax says (within 4 standard errors), at temperature 1 and 0.5"""
    assert got["dtype"] == "torch.float64" and got["shape"] == (N_SAMPLES, 4)
    freq = got["counts"].double() / N_SAMPLES
    p = (torch.tensor(SOFTMAX_LOGITS, dtype=torch.float64) / param).softmax(-1)
    ok, z = within_sampling_noise(freq, p, N_SAMPLES)          # SE = sqrt(p (1 - p) / 40000)
    assert ok, f"frequencies {freq.tolist()} vs softmax {p.tolist()} ({z.tolist()} SEs)"


def gumbel_inputs():
    return torch.randn(3, 5, 7, generator=seeded(2)) * 2


def probe_gumbel_values(ex):
    return [ex.add_gumbel_noise(gumbel_inputs(), t, generator=seeded(seed))
            for t, seed in [(1.0, 3), (0.7, 4)]]


@check("5.2", probe_gumbel_values)
def test_gumbel_noise_matches_library(got):
    """the scores are logits / temperature - log(-log u) with u drawn in float64 from the
    generator, one per logit, as torch.rand(logits.shape, dtype=torch.float64,
    generator=generator) (the library's values for the same seed, at temperature 1 and 0.7)"""
    for (t, seed), mine in zip([(1.0, 3), (0.7, 4)], got):
        want = lib.add_gumbel_noise(gumbel_inputs(), t, generator=seeded(seed))
        expect_tensor(mine, "add_gumbel_noise", dtype=torch.float64, shape=want.shape)
        assert torch.allclose(mine, want, rtol=1e-6, atol=1e-6), \
            f"temperature {t}: not the library's scores (float32 uniforms? another generator?)"


def probe_gumbel_bf16(ex):
    return ex.add_gumbel_noise(gumbel_inputs().bfloat16(), 0.7, generator=seeded(6))


@check("5.2", probe_gumbel_bf16)
def test_gumbel_noise_of_bf16_logits(got):
    """for bfloat16 logits the scores are computed in float64 from the start, logits.double() /
    temperature + noise: they equal the library's for the same seed within 1e-12 (dividing in
    bfloat16 first is off by about 1e-3)"""
    want = lib.add_gumbel_noise(gumbel_inputs().bfloat16(), 0.7, generator=seeded(6))
    expect_tensor(got, "add_gumbel_noise", dtype=torch.float64, shape=want.shape)
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-12), \
        "not the library's float64 scores: was the division done in the logits' dtype?"


def probe_gumbel_input(ex):
    logits = gumbel_inputs().double()
    return {"scores": ex.add_gumbel_noise(logits, 0.7, generator=seeded(7)), "after": {"logits": logits}}


@check("5.2", probe_gumbel_input)
def test_gumbel_noise_leaves_the_logits_alone(got):
    """the caller's logits are left as they were, float64 logits too (for them logits.double() is
    the logits themselves: dividing or adding in place would overwrite them); the scores are the
    library's"""
    expect_unchanged(got["after"], {"logits": gumbel_inputs().double()}, "add_gumbel_noise")
    want = lib.add_gumbel_noise(gumbel_inputs().double(), 0.7, generator=seeded(7))
    expect_tensor(got["scores"], "add_gumbel_noise", dtype=torch.float64, shape=want.shape)
    assert torch.allclose(got["scores"], want, rtol=1e-12, atol=1e-12)


def probe_gumbel_resolution(ex):
    return ex.add_gumbel_noise(torch.zeros(50000), 1.0, generator=seeded(5))


@check("5.2", probe_gumbel_resolution)
def test_gumbel_noise_has_float64_resolution(got):
    """the noise has float64 resolution (float64 scores): 50000 draws for zero logits are all
    different (float32
    uniforms take only 2^24 values, so about 75 of them would repeat)"""
    expect_tensor(got, "add_gumbel_noise", dtype=torch.float64, shape=(50000,))
    assert got.unique().numel() == got.numel(), f"{got.numel() - got.unique().numel()} repeats"


def probe_gumbel_seeded(ex):
    logits = torch.zeros(2, 6, 8)
    return [ex.add_gumbel_noise(logits, 1.0, generator=seeded(s)) for s in (7, 7, 8)]


@check("5.2", probe_gumbel_seeded)
def test_gumbel_noise_is_seeded(got):
    """every random number comes from `generator`: the same seed gives the same scores, another
    seed other scores"""
    a, b, c = (expect_tensor(scores, "add_gumbel_noise", dtype=torch.float64) for scores in got)
    assert torch.equal(a, b), "the same seed gave different scores (the global RNG?)"
    assert not torch.equal(a, c), "two seeds gave the same scores"


# ---- 5.3 remask_step -----------------------------------------------------------------------------

def step_inputs(seed=0, B=3, T=10, V=12):
    g = seeded(seed)
    logits = torch.randn(B, T, V, generator=g) * 3
    x = torch.randint(4, V, (B, T), generator=g)
    candidates = torch.rand(B, T, generator=g) < 0.6
    x[candidates] = MASK
    return logits, x, candidates


def probs_without_mask(logits):
    """softmax over the vocabulary with the [MASK] logit at -inf (float64)."""
    logits = logits.double().clone()
    logits[..., MASK] = float("-inf")
    return logits.softmax(-1)


def run_step(ex, *args, **kwargs):
    """Step 5.3 with the library's add_gumbel_noise (step 5.2)."""
    with with_library(ex.remask_step, "add_gumbel_noise"):
        return ex.remask_step(*args, **kwargs)


def expect_step(got, B, T):
    """The tuple (new x long, confidence float64, revealed bool), each (B, T)."""
    new_x, conf, revealed = expect_tuple(got, 3, "remask_step")
    expect_tensor(new_x, "remask_step", "new x", dtype=torch.long, shape=(B, T))
    expect_tensor(conf, "remask_step", "the confidence", dtype=torch.float64, shape=(B, T))
    expect_tensor(revealed, "remask_step", "revealed", dtype=torch.bool, shape=(B, T))
    return new_x, conf, revealed


def probe_remask_greedy(ex):
    logits, x, candidates = step_inputs()
    k = torch.tensor([1, 2, 3])
    out = run_step(ex, logits, x, candidates, k, MASK)
    return {"out": out, "after": {"logits": logits, "x": x, "candidates": candidates, "num_transfer": k}}


@check("5.3", probe_remask_greedy)
def test_remask_step_reveals_the_most_confident(got):
    """returns the tuple (new x, confidence, revealed), each (B, T): new x torch.long, the
    confidence float64, revealed bool; at temperature 0: reveals min(num_transfer[b], candidates)
    positions of row b, only candidates, the ones whose prediction (the argmax with the [MASK]
    logit at -inf) has the highest probability; revealed positions get that prediction, all others
    keep x; the returned confidence is that probability (softmax over the vocabulary, [MASK]
    excluded) on the candidates and -inf elsewhere; the caller's logits, x, candidates and
    num_transfer are left unchanged"""
    logits, x, candidates = step_inputs()
    k = torch.tensor([1, 2, 3])
    expect_unchanged(got["after"], {"logits": logits, "x": x, "candidates": candidates, "num_transfer": k},
                     "remask_step")
    new_x, conf, revealed = expect_step(got["out"], 3, 10)
    assert revealed.sum(1).tolist() == [min(int(n), int(c)) for n, c in zip(k, candidates.sum(1))]
    assert not (revealed & ~candidates).any()                          # only candidates
    assert torch.equal(new_x[~revealed], x[~revealed])                # the rest untouched
    best, x0 = probs_without_mask(logits).max(-1)
    assert torch.equal(new_x[revealed], x0[revealed])
    assert torch.allclose(conf[candidates], best[candidates], rtol=1e-5, atol=1e-7)
    assert torch.isneginf(conf[~candidates]).all(), "the confidence off the candidates must be -inf"
    for b in range(3):                               # no hidden candidate beats a revealed one
        shown, hidden = best[b][revealed[b]], best[b][candidates[b] & ~revealed[b]]
        if len(shown) and len(hidden):
            assert shown.min() >= hidden.max()


def probe_remask_all(ex):
    logits, x, candidates = step_inputs(seed=2)
    return [run_step(ex, logits, x, candidates, torch.tensor([10, 10, 10]), MASK),
            run_step(ex, logits, x, candidates, torch.tensor([10, 11, 12]), MASK, threshold=0.5)]


@check("5.3", probe_remask_all)
def test_remask_step_reveals_only_candidates(got):
    """when num_transfer is larger than the number of candidates (10 of 10 positions), reveals
    exactly the candidates, with and without a threshold, and leaves every other position as it
    was"""
    logits, x, candidates = step_inputs(seed=2)
    _, x0 = probs_without_mask(logits).max(-1)
    for out in got:
        new_x, _, revealed = expect_step(out, 3, 10)
        assert torch.equal(revealed, candidates), "revealed positions that are not candidates"
        assert torch.equal(new_x, torch.where(candidates, x0, x))


def probe_remask_library(ex):
    logits, x, candidates = step_inputs(seed=1)
    logits[..., MASK] = 100.0                                          # the model loves [MASK]
    k = torch.tensor([2, 2, 2])
    out = {"mask_lover": run_step(ex, logits, x, candidates, k, MASK), "cases": []}
    for seed in range(5):
        logits, x, candidates = step_inputs(seed=seed + 10)
        out["cases"].append([run_step(ex, logits, x, candidates, k, MASK),
                             run_step(ex, logits, x, candidates, k, MASK, threshold=0.3)])
    return out


@check("5.3", probe_remask_library)
def test_remask_step_never_writes_a_mask_and_matches_library(got):
    """never reveals [MASK], even when the model's [MASK] logit is the largest; on 5 random inputs
    gives the library's new x and revealed positions at temperature 0, without and with threshold
    0.3 (which reveals more)"""
    new_x, _, revealed = expect_step(got["mask_lover"], 3, 10)
    assert revealed.any() and not new_x[revealed].eq(MASK).any()
    k = torch.tensor([2, 2, 2])
    for seed, (plain, thresholded) in enumerate(got["cases"]):
        plain, thresholded = expect_step(plain, 3, 10), expect_step(thresholded, 3, 10)
        logits, x, candidates = step_inputs(seed=seed + 10)
        want = lib.remask_step(logits, x, candidates, k, MASK)
        assert torch.equal(plain[0], want[0]) and torch.equal(plain[2], want[2]), f"seed {seed + 10}"
        want_t = lib.remask_step(logits, x, candidates, k, MASK, threshold=0.3)
        assert torch.equal(thresholded[2], want_t[2]), f"seed {seed + 10}, threshold 0.3"
        assert torch.equal(thresholded[0], want_t[0]), f"seed {seed + 10}, threshold 0.3"


THRESHOLDS = [0.9, 0.99]


def probe_remask_threshold(ex):
    out = []
    for seed in range(4):
        logits, x, candidates = step_inputs(seed=seed + 20, B=4, T=12)
        out.append([run_step(ex, logits, x, candidates, torch.tensor([1, 2, 3, 0]), MASK,
                             threshold=t) for t in THRESHOLDS])
    return out


@check("5.3", probe_remask_threshold)
def test_remask_step_threshold_adds_to_the_top_k(got):
    """with a threshold, reveals the num_transfer[b] most confident candidates AND every other
    candidate whose confidence is at least the threshold (thresholds 0.9 and 0.99, which few
    candidates reach: the top num_transfer are revealed all the same)"""
    for seed, cases in enumerate(got):
        logits, x, candidates = step_inputs(seed=seed + 20, B=4, T=12)
        k = torch.tensor([1, 2, 3, 0])
        _, _, top_k = lib.remask_step(logits, x, candidates, k, MASK)
        best, _ = probs_without_mask(logits).max(-1)
        for t, out in zip(THRESHOLDS, cases):
            _, _, revealed = expect_step(out, 4, 12)
            want = top_k | (candidates & (best >= t))
            assert torch.equal(revealed, want), f"seed {seed + 20}, threshold {t}"


TEMPERATURE = 0.8


def probe_remask_temperature(ex):
    out = []
    for seed in range(3):
        logits, x, candidates = step_inputs(seed=seed + 30, B=4, T=12)
        out.append(run_step(ex, logits, x, candidates, torch.tensor([1, 3, 5, 12]), MASK,
                            temperature=TEMPERATURE, generator=seeded(seed)))
    return out


@check("5.3", probe_remask_temperature)
def test_remask_step_samples_with_the_generator(got):
    """at temperature 0.8 the prediction is the argmax of add_gumbel_noise(logits with [MASK] at
    -inf, temperature, generator) (the generator is passed on): new x, confidence and revealed
    positions equal the library's for the same seed; the confidence is the softmax probability of
    that sampled prediction from the noise-free logits (not divided by the temperature, [MASK]
    excluded), not the highest probability and not a probability of the noised scores"""
    for seed, out in enumerate(got):
        new_x, conf, revealed = expect_step(out, 4, 12)
        logits, x, candidates = step_inputs(seed=seed + 30, B=4, T=12)
        want = lib.remask_step(logits, x, candidates, torch.tensor([1, 3, 5, 12]), MASK,
                               temperature=TEMPERATURE, generator=seeded(seed))
        # row 3 reveals every candidate: its confidences are those of the sampled tokens it shows
        shown = candidates[3]
        p = probs_without_mask(logits[3])[shown].gather(-1, new_x[3][shown][:, None]).squeeze(-1)
        assert torch.allclose(conf[3][shown], p, rtol=1e-5, atol=1e-7), \
            f"seed {seed}: the confidence is not the probability of the sampled token"
        assert torch.equal(new_x, want[0]), f"seed {seed}: not the library's sample"
        assert torch.allclose(conf, want[1], rtol=1e-5, atol=1e-7), f"seed {seed}: confidence"
        assert torch.equal(revealed, want[2]), f"seed {seed}: revealed"


ONE_POSITION = [0.5, 2.0, 1.0, 0.0, -0.5, 1.5]                  # [MASK] (id 1) would win greedily
N_ROWS = 20000


def probe_remask_distribution(ex):
    logits = torch.tensor(ONE_POSITION).expand(N_ROWS, 1, 6)
    x = torch.full((N_ROWS, 1), MASK)
    out = run_step(ex, logits, x, torch.ones(N_ROWS, 1, dtype=torch.bool),
                   torch.ones(N_ROWS, dtype=torch.long), MASK, temperature=0.7, generator=seeded(40))
    return torch.bincount(out[0][:, 0], minlength=6)


@check("5.3", probe_remask_distribution)
def test_remask_step_samples_the_softmax(got):
    """at temperature 0.7 the revealed tokens of 20000 rows are samples of softmax(logits / 0.7)
    with [MASK] excluded: each token's frequency within 4 standard errors"""
    freq = got.double() / N_ROWS
    p = probs_without_mask(torch.tensor(ONE_POSITION) / 0.7)
    ok, z = within_sampling_noise(freq, p, N_ROWS)              # SE = sqrt(p (1 - p) / 20000)
    assert ok, f"frequencies {freq.tolist()} vs {p.tolist()} ({z.tolist()} SEs)"


RANDOM_CASES = [(0.0, 50), (0.0, 51), (0.9, 52)]


def probe_remask_random(ex):
    out = []
    for i, (t, seed) in enumerate(RANDOM_CASES):
        logits, x, candidates = step_inputs(seed=seed, B=4, T=12)
        out.append(run_step(ex, logits, x, candidates, torch.tensor([2, 3, 1, 4]), MASK,
                            temperature=t, remasking="random", generator=seeded(i)))
    return out


@check("5.3", probe_remask_random)
def test_remask_step_random_remasking(got):
    """remasking="random": the confidences are uniform draws torch.rand((B, T),
    dtype=torch.float64, generator=generator), drawn after the Gumbel noise (temperature > 0), and
    the revealed positions are the num_transfer most confident candidates by them: new x,
    confidence and revealed equal the library's for the same seed (at temperature 0 and 0.9)"""
    for i, ((t, seed), out) in enumerate(zip(RANDOM_CASES, got)):
        new_x, conf, revealed = expect_step(out, 4, 12)
        logits, x, candidates = step_inputs(seed=seed, B=4, T=12)
        want = lib.remask_step(logits, x, candidates, torch.tensor([2, 3, 1, 4]), MASK,
                               temperature=t, remasking="random", generator=seeded(i))
        assert torch.allclose(conf, want[1], rtol=1e-6, atol=1e-9), \
            f"temperature {t}: the random confidences are not the generator's draws"
        assert torch.equal(revealed, want[2]), f"temperature {t}: revealed"
        assert torch.equal(new_x, want[0]), f"temperature {t}: new x"


def probe_remask_bf16(ex):
    out = []
    for seed in range(3):
        logits, x, candidates = step_inputs(seed=seed + 60, B=4, T=12)
        out.append(run_step(ex, logits.bfloat16(), x, candidates, torch.tensor([1, 3, 2, 4]), MASK))
    return out


@check("5.3", probe_remask_bf16)
def test_remask_step_confidence_in_float64(got):
    """for bfloat16 logits the confidence is the softmax taken in float64
    (logits.double().softmax(dim=-1)), not in bfloat16: it equals the library's within 1e-12, and
    so do new x and revealed"""
    for seed, out in enumerate(got):
        new_x, conf, revealed = expect_step(out, 4, 12)
        logits, x, candidates = step_inputs(seed=seed + 60, B=4, T=12)
        want = lib.remask_step(logits.bfloat16(), x, candidates, torch.tensor([1, 3, 2, 4]), MASK)
        assert torch.allclose(conf, want[1], rtol=1e-12, atol=1e-12), \
            f"seed {seed + 60}: not the float64 softmax of the bfloat16 logits"
        assert torch.equal(revealed, want[2]) and torch.equal(new_x, want[0]), f"seed {seed + 60}"


def tied_inputs():
    """Logits whose confidences tie exactly: row 0 has the same logits at every one of its 40
    positions; in row 1 the positions 3, 5, 6 and 7 share the best logits (probability 0.7 for
    token 4) and every other position has probability 0.4."""
    B, T, V = 2, 40, 6
    best = torch.tensor([0.1, 0.0, 0.05, 0.05, 0.7, 0.1]).log()      # [MASK] (id 1) has 0
    other = torch.tensor([0.4, 0.0, 0.2, 0.2, 0.1, 0.1]).log()
    logits = other.expand(B, T, V).clone()
    logits[1, [3, 5, 6, 7]] = best
    x = torch.full((B, T), MASK)
    candidates = torch.ones(B, T, dtype=torch.bool)
    candidates[0, ::3] = False                                        # 0, 3, 6, ...: not candidates
    return logits, x, candidates


def probe_remask_ties(ex):
    logits, x, candidates = tied_inputs()
    return run_step(ex, logits, x, candidates, torch.tensor([5, 2]), MASK)


@check("5.3", probe_remask_ties)
def test_remask_step_ties_go_left(got):
    """among candidates of equal confidence the leftmost are revealed first (the stable sort of the
    guide): row 0, 40 positions that all tie, reveals its 5 leftmost candidates (1, 2, 4, 5, 7);
    row 1 reveals 3 and 5 of the four best (3, 5, 6, 7)"""
    logits, x, candidates = tied_inputs()
    new_x, _, revealed = expect_step(got, 2, 40)
    shown = [row.nonzero().flatten().tolist() for row in revealed]
    assert shown == [[1, 2, 4, 5, 7], [3, 5]], f"revealed {shown}: ties must go to the leftmost"
    want = lib.remask_step(logits, x, candidates, torch.tensor([5, 2]), MASK)
    assert torch.equal(revealed, want[2]) and torch.equal(new_x, want[0])


def threshold_inputs():
    """Logits whose confidences are exactly 1, 1/2 and 1/4 (equal logits, the rest -inf), and the
    candidates: every position."""
    inf = float("-inf")                                              # V = 5; [MASK] (id 1) at 3
    rows = {1.0: [0.0, 3.0, inf, inf, inf], 0.5: [0.0, 3.0, 0.0, inf, inf], 0.25: [0.0, 3.0, 0.0, 0.0, 0.0]}
    pattern = [0.5, 0.25, 1.0, 0.5, 0.25, 0.5]                       # the confidence of each position
    logits = torch.tensor([[rows[c] for c in pattern]] * 3)          # (3, 6, V)
    x = torch.full((3, len(pattern)), MASK)
    return logits, x, torch.ones(3, len(pattern), dtype=torch.bool)


THRESHOLD_EDGES = [0.5, 0.25, 1.0]                                     # one per row


def probe_remask_threshold_edge(ex):
    logits, x, candidates = threshold_inputs()
    return [run_step(ex, logits[b:b + 1], x[b:b + 1], candidates[b:b + 1], torch.tensor([0]), MASK,
                     threshold=t) for b, t in enumerate(THRESHOLD_EDGES)]


@check("5.3", probe_remask_threshold_edge)
def test_remask_step_threshold_is_inclusive(got):
    """a candidate whose confidence equals the threshold is revealed (confidence >= threshold),
    at thresholds 0.5, 0.25 and 1.0 with num_transfer 0: confidences exactly 1, 1/2 and 1/4"""
    pattern = torch.tensor([0.5, 0.25, 1.0, 0.5, 0.25, 0.5], dtype=torch.float64)
    for t, out in zip(THRESHOLD_EDGES, got):
        _, conf, revealed = expect_step(out, 1, 6)
        assert torch.equal(conf[0], pattern), f"threshold {t}: confidences {conf[0].tolist()}"
        want = (pattern >= t).tolist()
        assert revealed[0].tolist() == want, f"threshold {t}: revealed {revealed[0].tolist()}, not {want}"


# ---- 5.4 guided_logits ---------------------------------------------------------------------------

class Spy(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.inputs = model, model.config, []

    def forward(self, x, attention_mask=None):
        self.inputs.append(x.clone())
        return self.model(x)


GUIDE_XS = [[[5, 6, 7, MASK, MASK, MASK]], [[5, 6, 7, 8, MASK, 9, MASK, MASK]]]


def guide_xs():
    """The inputs of the guidance check, built afresh for each probe and judge."""
    return [torch.tensor(x) for x in GUIDE_XS]


def probe_guidance(ex):
    model, out = tiny_model(), []
    with torch.no_grad():
        for x in guide_xs():
            prompt_index = torch.arange(x.shape[1]) < 3
            spy0, spy = Spy(model), Spy(model)
            out.append({"w0": ex.guided_logits(spy0, x, prompt_index, 0.0, MASK), "seen0": spy0.inputs,
                        "w2": ex.guided_logits(spy, x, prompt_index, 2.0, MASK), "seen": spy.inputs})
    return out


@check("5.4", probe_guidance)
def test_guidance(got):
    """cfg_scale 0 returns model(x); cfg_scale w > 0 returns un + (w + 1)(cond - un) with
    cond = model(x) and un = the model on x with only the prompt positions set to [MASK] (answer
    tokens that are not masks stay); the model sees exactly those rows (LLaDA runs both in one
    batch of 2B rows; two calls are accepted)"""
    model = tiny_model()
    for x, case in zip(guide_xs(), got):
        prompt_index = torch.arange(x.shape[1]) < 3
        un_x = x.masked_fill(prompt_index, MASK)
        with torch.no_grad():
            cond, un = model(x), model(un_x)
        expect_tensor(case["w0"], "guided_logits", dtype=cond.dtype, shape=cond.shape)
        expect_tensor(case["w2"], "guided_logits", dtype=cond.dtype, shape=cond.shape)
        assert torch.allclose(case["w0"], cond, atol=1e-6)
        assert all(torch.equal(row, x[0]) for row in torch.cat(case["seen0"])), "w = 0: model(x)"
        assert torch.allclose(case["w2"], un + 3.0 * (cond - un), atol=1e-5)
        seen = sorted(map(tuple, torch.cat(case["seen"]).tolist()))
        assert seen == sorted(map(tuple, torch.cat([x, un_x]).tolist())), \
            f"the model saw {seen}, not x and x with only the prompt masked"


class ContextModel(nn.Module):
    """Logits that depend strongly on the context: a term for the token itself and its position,
    one for every visible (non-[MASK]) token of the row, and one per [MASK] in the row."""

    def __init__(self, V=16):
        super().__init__()
        g = seeded(99)
        self.token, self.context = torch.randn(V, V, generator=g), torch.randn(V, V, generator=g)
        self.position, self.per_mask = torch.randn(32, V, generator=g), torch.randn(V, generator=g)
        self.V, self.inputs = V, []

    def forward(self, x, attention_mask=None):
        self.inputs.append(x.clone())
        visible = x.ne(MASK)
        bag = (F.one_hot(x, self.V).double() * visible[..., None]).sum(1)          # (B, V)
        n_masks = (~visible).sum(1).double()                                       # (B,)
        return (self.token.double()[x] + (bag @ self.context.double())[:, None, :]
                + self.position.double()[: x.shape[1]] + n_masks[:, None, None] * self.per_mask)


def rows_inputs():
    """x (B, T) and a (B, T) prompt_index hiding 2 and 4 prompt tokens, built afresh each time."""
    x = torch.tensor([[5, 6, 7, 8, MASK, 9, MASK], [10, 11, 12, 13, 14, MASK, 15]])
    return x, torch.arange(7)[None, :] < torch.tensor([[2], [4]])


def probe_guidance_rows(ex):
    model, (x, prompt_index) = ContextModel(), rows_inputs()
    return {"w": ex.guided_logits(model, x, prompt_index, 1.5, MASK), "seen": model.inputs,
            "after": {"x": x, "prompt_index": prompt_index}}


@check("5.4", probe_guidance_rows)
def test_guidance_with_a_prompt_per_row(got):
    """a (B, T) prompt_index hides each row's own prompt (2 and 4 tokens here) in the
    unconditional pass and nothing else; with a model whose logits depend on every visible token
    the result is un + (w + 1)(cond - un) at w = 1.5, in the model's dtype (float64 here); the
    caller's x and prompt_index are left as they were (the unconditional input is a new tensor)"""
    model, (x, prompt_index) = ContextModel(), rows_inputs()
    expect_unchanged(got["after"], {"x": x, "prompt_index": prompt_index}, "guided_logits")
    un_x = x.masked_fill(prompt_index, MASK)
    cond, un = model(x), model(un_x)
    seen = torch.cat(got["seen"]) if got["seen"] else torch.zeros(0, 7, dtype=torch.long)
    assert any(torch.equal(seen[i:i + 2], un_x) for i in range(len(seen) - 1)), \
        f"the model saw {seen.tolist()}; the unconditional rows should be {un_x.tolist()}"
    w = expect_tensor(got["w"], "guided_logits", dtype=torch.float64, shape=cond.shape)
    assert torch.allclose(w, un + 2.5 * (cond - un), rtol=1e-6, atol=1e-6)


def probe_guidance_negative(ex):
    model, (x, prompt_index) = ContextModel(), rows_inputs()
    return [raises(ex.guided_logits, model, x, prompt_index, w, MASK) for w in (-1.0, -0.01)]


@check("5.4", probe_guidance_negative)
def test_guidance_rejects_a_negative_scale(got):
    """raises ValueError when cfg_scale < 0 (-1 and -0.01)"""
    for w, outcome in zip((-1.0, -0.01), got):
        expect_error(outcome, f"cfg_scale {w}")

