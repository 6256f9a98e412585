"""Exercises of chapter 5: The reverse process. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/05_sampling -m ex5_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
import torch

from minillada.infra import rng

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'get_num_transfer_tokens': 'minillada.sampling',  # Exercise 5.1
    'add_gumbel_noise': 'minillada.sampling',  # Exercise 5.2
    'remask_step': 'minillada.sampling',  # Exercise 5.3
    'guided_logits': 'minillada.guidance',  # Exercise 5.4
}


# ---- Exercise 5.1: get_num_transfer_tokens -----------------------------------

def get_num_transfer_tokens(mask_index: torch.Tensor, steps: int) -> torch.Tensor:
    """How many masks to reveal at each step: (B, steps) for mask_index (B, L) bool.

    >>> get_num_transfer_tokens(torch.ones(1, 10, dtype=torch.bool), 4).tolist()
    [[3, 3, 2, 2]]
    """
    raise NotImplementedError(
        "Exercise 5.1: n masks over s steps: n // s each, and one more in the first n % s steps")


# ---- Exercise 5.2: add_gumbel_noise ------------------------------------------

def add_gumbel_noise(logits: torch.Tensor, temperature: float, generator=None) -> torch.Tensor:
    """Scores whose argmax is an exact sample from softmax(logits / temperature) (Gumbel-max).

    argmax_v (logits_v / T + g_v) with g_v = -log(-log u_v), u_v ~ U(0, 1), is distributed as
    softmax(logits / T). The reference writes the same thing as exp(logits) / (-log u)^T; we stay in
    log space, which has the same argmax and cannot overflow. Float64 as in the reference: in low
    precision the rounding of the noise visibly skews the samples (Zheng et al. 2024).
    ``temperature = 0`` returns the logits: greedy decoding.
    """
    raise NotImplementedError(
        "Exercise 5.2: temperature 0: return the logits; else logits / T - log(-log u) with u ~ "
        "U(0, 1), in float64")


# ---- Exercise 5.3: remask_step -----------------------------------------------

def remask_step(logits, x, candidates, num_transfer, mask_id, temperature=0.0,
                remasking="low_confidence", threshold=None, generator=None):
    """One step of the reverse process: predict, score, reveal the most confident candidates.

    Args:
        logits: (B, T, V) model output for x.
        x: (B, T) current tokens; candidates: (B, T) bool, the masked positions this step may reveal.
        num_transfer: (B,) how many to reveal (without threshold; with it, the least to reveal).
        threshold: if set, also reveal every candidate whose confidence is at least this.

    Returns (new x, confidence (B, T) with -inf off the candidates, revealed (B, T) bool).
    """
    raise NotImplementedError(
        "Exercise 5.3: x0 = argmax (with Gumbel noise) after setting the [MASK] logit to -inf; "
        "confidence = softmax prob of x0 (or random); reveal the num_transfer most confident "
        "candidates")


# ---- Exercise 5.4: guided_logits ---------------------------------------------

def guided_logits(model, x: torch.Tensor, prompt_index: torch.Tensor, cfg_scale: float,
                  mask_id: int) -> torch.Tensor:
    """Logits (B, T, V) for x (B, T), with guidance of strength ``cfg_scale`` when it is positive.

    ``prompt_index`` is a bool tensor of shape (T,) or (B, T), True at the prompt positions that the
    unconditional pass hides.
    """
    raise NotImplementedError(
        "Exercise 5.4: run the model on x and on x with the prompt masked, in one batch; un + (w "
        "+ 1)(cond - un)")
