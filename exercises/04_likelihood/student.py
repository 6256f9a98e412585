"""Exercises of chapter 4: The likelihood bound. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/04_likelihood -m ex4_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
import itertools

import torch

from minillada.infra import rng
from minillada.infra.checks import mask_id_of, prompt_and_answer, token_ids
from minillada.guidance import guided_logits
from minillada.likelihood import MAX_EXACT_ANSWER
from minillada.losses import token_ce
from minillada.masking import forward_process, prompt_mask

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'mask_exactly': 'minillada.likelihood',  # Exercise 4.1
    'stratified_mask_counts': 'minillada.likelihood',  # Exercise 4.2
    'log_likelihood': 'minillada.likelihood',  # Exercise 4.3
    'exact_elbo': 'minillada.likelihood',  # Exercise 4.4
}


# ---- Exercise 4.1: mask_exactly ----------------------------------------------

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
    raise NotImplementedError(
        "Exercise 4.1: a uniform score per position, prompt positions set above 1, mask the l "
        "smallest (argsort of argsort gives each position's rank)")


# ---- Exercise 4.2: stratified_mask_counts ------------------------------------

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
    raise NotImplementedError(
        "Exercise 4.2: a random start k in [1, L]; row j gets (k - 1 + floor(j L / b)) % L + 1")


# ---- Exercise 4.3: log_likelihood --------------------------------------------

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
    raise NotImplementedError(
        "Exercise 4.3: estimator 'l' (Eq. 14): per batch, l from stratified_mask_counts, mask "
        "exactly l answer tokens, sum CE over masked tokens times L / l; return minus the mean "
        "over mc_num; raise ValueError when mc_num is not a multiple of batch_size")


# ---- Exercise 4.4: exact_elbo ------------------------------------------------

@torch.no_grad()
def exact_elbo(model, prompt, answer, mask_id: int | None = None, batch_size: int = 256) -> float:
    """The bound of :func:`log_likelihood`, computed exactly by enumerating every mask pattern.

        ELBO = - (1/L) sum_{l=1..L} (L/l) mean_{|S|=l} sum_{i in S} CE_i(answer with S masked)

    That is 2^L - 1 forward passes (batched), so answers longer than 12 tokens are refused.
    """
    raise NotImplementedError(
        "Exercise 4.4: enumerate every non-empty subset of answer positions (itertools.product); "
        "average the masked CE over the subsets of each size l, divide by l, sum over l, negate")
