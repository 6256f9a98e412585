"""Chapter 5: the reverse process. Run: pytest exercises/05_sampling [-m ex5_3]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. Inputs come from seeded generators, so the judge rebuilds them. The
probes of 5.3 run your ``remask_step`` with the library's ``add_gumbel_noise`` (step 5.2), so that
a mistake in 5.2 is charged to 5.2 only.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from exercises._checks import check, raises, with_library
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
    """returns a (B, steps) integer tensor: n masks in a row over s steps give n // s per step and
    one more in each of the first n % s steps (10 over 4: [3, 3, 2, 2]), so every mask is revealed;
    a row with fewer masks than steps reveals one per step, then 0"""
    ten, three = got
    for counts in got:
        assert not counts.dtype.is_floating_point and counts.dtype != torch.bool, counts.dtype
    assert ten.tolist() == [[3, 3, 2, 2]]
    assert three.shape == (3, 5)
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
        assert counts.shape == want.shape and torch.equal(counts.long(), want), f"seed {seed}"


# ---- 5.2 add_gumbel_noise ------------------------------------------------------------------------

def probe_gumbel_zero(ex):
    logits = torch.randn(4, 9, generator=seeded(0))
    return ex.add_gumbel_noise(logits, 0.0, generator=seeded(1))


@check("5.2", probe_gumbel_zero)
def test_gumbel_noise_at_temperature_zero_is_greedy(got):
    """temperature 0 returns the logits unchanged (same values, same dtype float32)"""
    logits = torch.randn(4, 9, generator=seeded(0))
    assert got.dtype == logits.dtype and torch.equal(got, logits)


SOFTMAX_LOGITS = torch.tensor([1.0, 0.0, -1.0, 2.0])
N_SAMPLES = 40000


def probe_gumbel_softmax(ex, temperature):
    scores = ex.add_gumbel_noise(SOFTMAX_LOGITS.expand(N_SAMPLES, 4), temperature, generator=seeded(0))
    return {"dtype": str(scores.dtype), "shape": tuple(scores.shape),
            "counts": torch.bincount(scores.argmax(-1), minlength=4)}


@check("5.2", probe_gumbel_softmax, params=[1.0, 0.5])
def test_gumbel_max_samples_the_softmax(got, param):
    """returns float64 scores of the logits' shape whose argmax is a sample of
    softmax(logits / temperature): over 40000 rows the argmax lands on each token as often as the
    softmax says (within 4 standard errors), at temperature 1 and 0.5"""
    assert got["dtype"] == "torch.float64" and got["shape"] == (N_SAMPLES, 4)
    freq = got["counts"].double() / N_SAMPLES
    p = (SOFTMAX_LOGITS.double() / param).softmax(-1)
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
        assert mine.shape == want.shape, f"temperature {t}: shape {tuple(mine.shape)}"
        assert torch.allclose(mine.double(), want, rtol=1e-6, atol=1e-6), \
            f"temperature {t}: not the library's scores (float32 uniforms? another generator?)"


def probe_gumbel_resolution(ex):
    return ex.add_gumbel_noise(torch.zeros(50000), 1.0, generator=seeded(5))


@check("5.2", probe_gumbel_resolution)
def test_gumbel_noise_has_float64_resolution(got):
    """the noise has float64 resolution (float64 scores): 50000 draws for zero logits are all
    different (float32
    uniforms take only 2^24 values, so about 75 of them would repeat)"""
    assert got.dtype == torch.float64
    assert got.unique().numel() == got.numel(), f"{got.numel() - got.unique().numel()} repeats"


def probe_gumbel_seeded(ex):
    logits = torch.zeros(2, 6, 8)
    return [ex.add_gumbel_noise(logits, 1.0, generator=seeded(s)) for s in (7, 7, 8)]


@check("5.2", probe_gumbel_seeded)
def test_gumbel_noise_is_seeded(got):
    """every random number comes from `generator`: the same seed gives the same scores, another
    seed other scores"""
    a, b, c = got
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


def probe_remask_greedy(ex):
    logits, x, candidates = step_inputs()
    out = run_step(ex, logits, x, candidates, torch.tensor([1, 2, 3]), MASK)
    return {"out": out, "logits_after": logits, "x_after": x}


@check("5.3", probe_remask_greedy)
def test_remask_step_reveals_the_most_confident(got):
    """returns (new x, confidence, revealed), each (B, T), revealed bool; at temperature 0:
    reveals min(num_transfer[b], candidates) positions of row b, only
    candidates, the ones whose prediction (the argmax with the [MASK] logit at -inf) has the
    highest probability; revealed positions get that prediction, all others keep x; the returned
    confidence is that probability (softmax over the vocabulary, [MASK] excluded) on the
    candidates and -inf elsewhere; the caller's logits and x are left unchanged"""
    logits, x, candidates = step_inputs()
    new_x, conf, revealed = got["out"]
    k = torch.tensor([1, 2, 3])
    assert torch.equal(got["logits_after"], logits), "the caller's logits were changed (no clone?)"
    assert torch.equal(got["x_after"], x), "the caller's x was changed"
    assert revealed.dtype == torch.bool and new_x.shape == conf.shape == revealed.shape == x.shape
    assert revealed.sum(1).tolist() == [min(int(n), int(c)) for n, c in zip(k, candidates.sum(1))]
    assert not (revealed & ~candidates).any()                          # only candidates
    assert torch.equal(new_x[~revealed], x[~revealed])                # the rest untouched
    best, x0 = probs_without_mask(logits).max(-1)
    assert torch.equal(new_x[revealed], x0[revealed])
    assert torch.allclose(conf.double()[candidates], best[candidates], rtol=1e-5, atol=1e-7)
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
    for new_x, _, revealed in got:
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
    new_x, _, revealed = got["mask_lover"]
    assert revealed.any() and not new_x[revealed].eq(MASK).any()
    k = torch.tensor([2, 2, 2])
    for seed, (plain, thresholded) in enumerate(got["cases"]):
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
        for t, (_, _, revealed) in zip(THRESHOLDS, cases):
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
    for seed, (new_x, conf, revealed) in enumerate(got):
        logits, x, candidates = step_inputs(seed=seed + 30, B=4, T=12)
        want = lib.remask_step(logits, x, candidates, torch.tensor([1, 3, 5, 12]), MASK,
                               temperature=TEMPERATURE, generator=seeded(seed))
        # row 3 reveals every candidate: its confidences are those of the sampled tokens it shows
        shown = candidates[3]
        p = probs_without_mask(logits[3])[shown].gather(-1, new_x[3][shown][:, None]).squeeze(-1)
        assert torch.allclose(conf[3][shown].double(), p, rtol=1e-5, atol=1e-7), \
            f"seed {seed}: the confidence is not the probability of the sampled token"
        assert torch.equal(new_x, want[0]), f"seed {seed}: not the library's sample"
        assert torch.allclose(conf.double(), want[1], rtol=1e-5, atol=1e-7), f"seed {seed}: confidence"
        assert torch.equal(revealed, want[2]), f"seed {seed}: revealed"


ONE_POSITION = torch.tensor([0.5, 2.0, 1.0, 0.0, -0.5, 1.5])    # [MASK] (id 1) would win greedily
N_ROWS = 20000


def probe_remask_distribution(ex):
    logits = ONE_POSITION.expand(N_ROWS, 1, 6)
    x = torch.full((N_ROWS, 1), MASK)
    new_x, _, _ = run_step(ex, logits, x, torch.ones(N_ROWS, 1, dtype=torch.bool),
                           torch.ones(N_ROWS, dtype=torch.long), MASK, temperature=0.7,
                           generator=seeded(40))
    return torch.bincount(new_x[:, 0], minlength=6)


@check("5.3", probe_remask_distribution)
def test_remask_step_samples_the_softmax(got):
    """at temperature 0.7 the revealed tokens of 20000 rows are samples of softmax(logits / 0.7)
    with [MASK] excluded: each token's frequency within 4 standard errors"""
    freq = got.double() / N_ROWS
    p = probs_without_mask(ONE_POSITION / 0.7)
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
    for i, ((t, seed), (new_x, conf, revealed)) in enumerate(zip(RANDOM_CASES, got)):
        logits, x, candidates = step_inputs(seed=seed, B=4, T=12)
        want = lib.remask_step(logits, x, candidates, torch.tensor([2, 3, 1, 4]), MASK,
                               temperature=t, remasking="random", generator=seeded(i))
        assert torch.allclose(conf.double(), want[1], rtol=1e-6, atol=1e-9), \
            f"temperature {t}: the random confidences are not the generator's draws"
        assert torch.equal(revealed, want[2]), f"temperature {t}: revealed"
        assert torch.equal(new_x, want[0]), f"temperature {t}: new x"


# ---- 5.4 guided_logits ---------------------------------------------------------------------------

class Spy(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.inputs = model, model.config, []

    def forward(self, x, attention_mask=None):
        self.inputs.append(x.clone())
        return self.model(x)


GUIDE_XS = [torch.tensor([[5, 6, 7, MASK, MASK, MASK]]), torch.tensor([[5, 6, 7, 8, MASK, 9, MASK, MASK]])]


def probe_guidance(ex):
    model, out = tiny_model(), []
    with torch.no_grad():
        for x in GUIDE_XS:
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
    for x, case in zip(GUIDE_XS, got):
        prompt_index = torch.arange(x.shape[1]) < 3
        un_x = x.masked_fill(prompt_index, MASK)
        with torch.no_grad():
            cond, un = model(x), model(un_x)
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


ROWS_X = torch.tensor([[5, 6, 7, 8, MASK, 9, MASK], [10, 11, 12, 13, 14, MASK, 15]])
ROWS_PROMPT = torch.arange(7)[None, :] < torch.tensor([[2], [4]])                   # (B, T)


def probe_guidance_rows(ex):
    model = ContextModel()
    return {"w": ex.guided_logits(model, ROWS_X, ROWS_PROMPT, 1.5, MASK), "seen": model.inputs}


@check("5.4", probe_guidance_rows)
def test_guidance_with_a_prompt_per_row(got):
    """a (B, T) prompt_index hides each row's own prompt (2 and 4 tokens here) in the
    unconditional pass and nothing else; with a model whose logits depend on every visible token
    the result is un + (w + 1)(cond - un) at w = 1.5"""
    model = ContextModel()
    un_x = ROWS_X.masked_fill(ROWS_PROMPT, MASK)
    cond, un = model(ROWS_X), model(un_x)
    seen = torch.cat(got["seen"]) if got["seen"] else torch.zeros(0, 7, dtype=torch.long)
    assert any(torch.equal(seen[i:i + 2], un_x) for i in range(len(seen) - 1)), \
        f"the model saw {seen.tolist()}; the unconditional rows should be {un_x.tolist()}"
    assert torch.allclose(got["w"].double(), un + 2.5 * (cond - un), rtol=1e-6, atol=1e-6)


def probe_guidance_negative(ex):
    model = ContextModel()
    return [raises(ex.guided_logits, model, ROWS_X, ROWS_PROMPT, w, MASK) for w in (-1.0, -0.01)]


@check("5.4", probe_guidance_negative)
def test_guidance_rejects_a_negative_scale(got):
    """raises ValueError when cfg_scale < 0 (-1 and -0.01)"""
    for w, outcome in zip((-1.0, -0.01), got):
        assert getattr(outcome, "is_a", lambda _: False)("ValueError"), f"cfg_scale {w}: got {outcome!r}"

