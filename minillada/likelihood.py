"""Chapter 4: the likelihood bound, and how to estimate it with low variance.

A masked diffusion model does not give log p(x0) directly. LLaDA trains it by minimising an upper
bound on the negative log-likelihood (Nie et al. 2025, Eq. 3 and Eq. 4; Shi et al. 2024, Sahoo et
al. 2024, Ou et al. 2024):

    L(theta) = - E_{t ~ U(0,1)} E_{xt ~ q(.|x0)} [ (1/t) sum_{i: xt^i = [MASK]} log p_theta(x0^i | xt) ]
             >= - log p_theta(x0).                                                    (LLaDA Eq. 3, 4)

Why 1/t? At noise level t about t*L tokens are masked, so the plain sum of cross-entropies grows
with t; dividing by t makes every noise level count equally and turns the sum into the bound.

The training losses that estimate this bound (:func:`~minillada.losses.diffusion_loss`, Eq. 3 and
Eq. 5) are chapter 3's, in ``losses.py``. This chapter is about *evaluating* the bound.

To *evaluate* a model we want the conditional bound on log p(answer | prompt) for one pair, and its
Monte Carlo estimate should have low variance. Two estimators of the same number (L = answer length):

    (Eq. 12)  - E_t  E_{mask each answer token w.p. t} [ (1/t) sum_{masked i} log p(a_i | prompt, a_t) ]
    (Eq. 14)  - E_l  E_{mask exactly l of L, uniformly} [ (L/l) sum_{masked i} log p(a_i | prompt, a_l) ]
              with l uniform on {1, ..., L}

Both equal sum_l (1/l) E_{|S|=l}[ sum_{i in S} CE_i ]; Eq. 14 has much lower variance because the
number of masks is no longer random (LLaDA Sec. B.6: 128 samples of Eq. 14 are as stable as more than
1000 of Eq. 12). :func:`log_likelihood` implements both (``estimator="l"`` or ``"t"``), the way the
reference ``get_log_likelihood.py`` does; :func:`exact_elbo` computes the sum exactly by enumerating
every mask pattern, which is how the tests check the estimators.
"""

from __future__ import annotations

import itertools

import torch

from .infra import checks, rng
from .infra.checks import MAX_EXACT_ANSWER  # noqa: F401  (exact_elbo's limit, 12 tokens)
from .guidance import guided_logits
from .losses import token_ce
from .masking import forward_process


# ---- evaluating log p(answer | prompt) ----------------------------------------------------------

def mask_exactly(x0: torch.Tensor, num_masked, mask_id: int, prompt_lengths=None,
                 generator: torch.Generator | None = None):
    """Mask exactly ``num_masked[b]`` positions of row b, chosen uniformly without replacement
    among the positions after the prompt.

    Every set of that size is equally likely: we give each candidate position a uniform random
    score and mask the ``l`` smallest (the order of i.i.d. uniforms is a uniform permutation).

    Returns (xt, masked), as :func:`forward_process` without ``p_mask``.

    >>> x0 = torch.arange(4, 10).reshape(1, 6)
    >>> xt, masked = mask_exactly(x0, [3], mask_id=1, prompt_lengths=[2])
    >>> int(masked.sum()), masked[0, :2].any().item()
    (3, False)
    """
    prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)  # (B, T), (B,)
    B, T = x0.shape
    scores = rng.rand(B, T, device=x0.device, generator=generator)
    scores = scores.masked_fill(prompt, 2.0)            # prompt positions sort last, never chosen
    rank = scores.argsort(dim=1).argsort(dim=1)         # (B, T): rank of each position's score
    masked = rank < num[:, None]
    return torch.where(masked, mask_id, x0), masked


def stratified_mask_counts(batch_size: int, L: int, generator=None, device=None) -> torch.Tensor:
    """Numbers of masks l in [1, L] for one batch, spread evenly as in ``get_log_likelihood.py``.

    A random start k in [1, L], then steps of L / batch_size, wrapped around into [1, L]: each batch
    covers the range of l evenly instead of drawing each l independently (stratified sampling, lower
    variance), and every row's l is still uniform on [1, L], so the estimate stays unbiased.

    One deliberate difference from the reference: it rounds ``k + j L / b`` with ``torch.round``,
    which rounds halves to even, so for some (b, L) (e.g. b = 4, L = 7) the start k leaks into the
    rounding and some l are drawn more often than others, a small bias. We take the floor of the
    offset ``j L / b`` instead, which keeps every l equally likely.

    >>> stratified_mask_counts(4, 8, generator=torch.Generator().manual_seed(0)).tolist()
    [5, 7, 1, 3]
    """
    checks.stratified_mask_counts_args(batch_size, L)
    k = int(rng.randint(1, L + 1, (), generator=generator))
    offsets = torch.arange(batch_size) * L // batch_size                   # floor(j L / b)
    return ((k - 1 + offsets) % L + 1).to(device)


def _batch_loss(model, seq, P, L, batch_size, estimator, cfg_scale, mask_id, eps, generator):
    """One batch of Monte Carlo terms: returns the sum over rows of the weighted masked CE."""
    x0 = seq.expand(batch_size, -1)                                       # (b, P + L)
    if estimator == "l":
        # Eq. 14: l uniform on {1..L} (stratified over the batch), exactly l answer tokens masked,
        # weight L / l
        l = stratified_mask_counts(batch_size, L, generator, seq.device)  # (b,)
        xt, masked = mask_exactly(x0, l, mask_id, prompt_lengths=[P] * batch_size,
                                  generator=generator)
        weight = (L / l.float())[:, None]                                 # (b, 1)
    else:
        # Eq. 12: t ~ U(0, 1), each answer token masked w.p. t (floored at eps), weight 1 / t
        xt, masked, p_mask = forward_process(x0, mask_id, eps=eps, prompt_lengths=[P] * batch_size,
                                             generator=generator)
        weight = 1.0 / p_mask
    # predict the masked answer tokens from the prompt and the rest (guided: Eq. 16)
    prompt_index = torch.arange(P + L, device=seq.device) < P
    logits = guided_logits(model, xt, prompt_index, cfg_scale=cfg_scale, mask_id=mask_id)
    # the weighted CE of the masked positions: b Monte Carlo terms of the bound, summed
    return (token_ce(logits, x0) * masked * weight).sum()


@torch.no_grad()
def log_likelihood(model, prompt, answer, mc_num: int = 128, batch_size: int = 16,
                   cfg_scale: float = 0.0, mask_id: int | None = None,
                   generator: torch.Generator | None = None, estimator: str = "l",
                   eps: float = 1e-3) -> float:
    """A Monte Carlo lower bound on log p(answer | prompt), as ``get_log_likelihood.py`` computes it.

    Args:
        prompt, answer: 1-D token ids (lists or tensors). The prompt is never masked.
        mc_num: number of Monte Carlo samples, a multiple of ``batch_size``.
        cfg_scale: unsupervised classifier-free guidance strength (``guidance.py``); 0 is none.
        estimator: ``"l"`` (LLaDA Eq. 14: exactly l masks, l stratified over [1, L], weight L/l) or
            ``"t"`` (Eq. 12: mask w.p. t ~ U(0, 1), weight 1/t, the pre-training loss read as an
            estimate, with t floored at ``eps`` as in training).

    Returns minus the mean of the weighted masked cross-entropies, a float.
    """
    mask_id, seq, P, L = checks.log_likelihood_args(**locals())   # every argument, checked once
    batch = dict(batch_size=batch_size, estimator=estimator, cfg_scale=cfg_scale, mask_id=mask_id,
                 eps=eps, generator=generator)
    total = sum(_batch_loss(model, seq, P, L, **batch).item() for _ in range(mc_num // batch_size))
    return -total / mc_num


@torch.no_grad()
def exact_elbo(model, prompt, answer, mask_id: int | None = None, batch_size: int = 256) -> float:
    """The bound of :func:`log_likelihood`, computed exactly by enumerating every mask pattern.

        ELBO = - (1/L) sum_{l=1..L} (L/l) mean_{|S|=l} sum_{i in S} CE_i(answer with S masked)

    That is 2^L - 1 forward passes (batched), so answers longer than 12 tokens are refused.
    """
    mask_id, seq, P, L = checks.exact_elbo_args(**locals())
    # every non-empty subset of answer positions, as a (2^L - 1, L) bool matrix
    patterns = torch.tensor(list(itertools.product([False, True], repeat=L))[1:], device=seq.device)
    masked = torch.cat([torch.zeros(len(patterns), P, dtype=torch.bool, device=seq.device),
                        patterns], dim=1)                                   # (N, P + L)
    sizes = patterns.sum(dim=1)                                             # (N,) = l of each pattern
    per_pattern = []
    for start in range(0, len(masked), batch_size):
        m = masked[start:start + batch_size]
        x0 = seq.expand(len(m), -1)
        ce = token_ce(model(x0.masked_fill(m, mask_id)), x0)
        per_pattern.append((ce * m).sum(dim=1))
    per_pattern = torch.cat(per_pattern).double()                           # (N,)
    # the mean over patterns of each size l, weighted by 1/l (= (1/L) * (L/l)), summed over l
    elbo = sum(per_pattern[sizes == l].mean() / l for l in range(1, L + 1))
    return -float(elbo)


@torch.no_grad()
def autoregressive_log_likelihood(model, prompt, answer) -> float:
    """Exact log p(answer | prompt) = sum_i log p(a_i | prompt, a_<i) of a causal model."""
    seq, P, L = checks.autoregressive_log_likelihood_args(model, prompt, answer)
    return float(answer_log_probs(model, seq[None], P)[0])


def answer_log_probs(model, x: torch.Tensor, P: int) -> torch.Tensor:
    """sum_i log p(x[n, P + i] | x[n, :P + i]) for every row n of x (N, P + L) under a causal model:
    the log-likelihood of each row's answer after its P prompt tokens, all rows in one call."""
    logp = model(x)[:, P - 1:-1].float().log_softmax(dim=-1)             # (N, L, V): predicts answers
    return logp.gather(-1, x[:, P:, None]).squeeze(-1).sum(dim=1)        # (N,)


def choose(model, prompt, choices, **kw) -> tuple[int, list[float]]:
    """Multiple choice by likelihood: score every choice as an answer to the prompt, pick the best.

    A causal model is scored exactly (:func:`autoregressive_log_likelihood`); a masked diffusion
    model by :func:`log_likelihood` with ``kw`` passed on. Without a ``generator`` in ``kw``, every
    choice is scored with a fresh generator seeded 0, so the result is deterministic and the choices
    share their random numbers (lower variance when they compare).

    Returns (index of the best choice, list of scores).
    """
    checks.choose_args(choices)
    scores = []
    for choice in choices:
        if getattr(getattr(model, "config", None), "causal", False):
            scores.append(autoregressive_log_likelihood(model, prompt, choice))
        else:
            g = kw.get("generator") or torch.Generator().manual_seed(0)
            scores.append(log_likelihood(model, prompt, choice, **{**kw, "generator": g}))
    return max(range(len(scores)), key=scores.__getitem__), scores


# ---- a yardstick any model can be measured with -------------------------------------------------

@torch.no_grad()
def masked_token_ce(model, windows, rate: float, mask_id: int | None = None, generator=None,
                    batch_size: int = 64) -> tuple[float, float]:
    """Held-out cross-entropy of masked tokens at a fixed mask rate, for comparing models.

    Each row of ``windows`` (N, T) gets exactly ``max(1, round(rate * T))`` positions masked,
    chosen uniformly (:func:`mask_exactly`); the model predicts them from everything else; the
    result is the cross-entropy per masked token, averaged over the rows, in nats, and its standard
    error over the rows. Unlike the likelihood bound this is not a log-likelihood (one mask rate,
    no 1/t weighting), but it needs nothing from the model except ``model(x) -> logits (B, T, V)``,
    so any masked-token predictor (another library's diffusion model included) can be measured
    on the same windows with the same masks: pass the same ``generator`` seed.

    >>> from minillada.model import ModelConfig, Transformer
    >>> model = Transformer(ModelConfig(vocab_size=12, mask_id=1, d_model=16, n_layers=1, n_heads=2))
    >>> windows = torch.randint(4, 12, (8, 16), generator=torch.Generator().manual_seed(0))
    >>> ce, se = masked_token_ce(model, windows, 0.15, generator=torch.Generator().manual_seed(0))
    >>> 1.0 < ce < 4.0 and se >= 0
    True
    """
    mask_id, windows = checks.masked_token_ce_args(**locals())
    N, T = windows.shape
    n_masked = max(1, round(rate * T))
    per_row = []
    for start in range(0, N, batch_size):
        x0 = windows[start:start + batch_size]
        xt, masked = mask_exactly(x0, n_masked, mask_id, generator=generator)
        ce = token_ce(model(xt), x0)                                       # (b, T)
        per_row.append((ce * masked).sum(dim=1) / n_masked)                 # (b,)
    per_row = torch.cat(per_row).double()
    se = float(per_row.std() / N ** 0.5) if N > 1 else 0.0
    return float(per_row.mean()), se
