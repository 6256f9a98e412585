"""Exercises of chapter 3: The forward process and the loss. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/03_masking -m ex3_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
import torch

from minillada.infra import rng
from minillada.infra.checks import mask_id_of, token_ids
from minillada.losses import token_ce

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'forward_process': 'minillada.masking',  # Exercise 3.1
    'prompt_mask': 'minillada.masking',  # Exercise 3.2
    'diffusion_loss': 'minillada.losses',  # Exercise 3.3
}


# ---- Exercise 3.1: forward_process -------------------------------------------

def forward_process(x0: torch.Tensor, mask_id: int, t=None, eps: float = 1e-3, prompt_lengths=None,
                    generator: torch.Generator | None = None):
    """Mask each token of x0 (B, T) independently with probability p_mask = (1 - eps) t + eps.

    Args:
        x0: clean token ids (B, T).
        mask_id: the id of ``[MASK]`` (``tok.mask_id``).
        t: noise level per row, a float or a (B,) tensor; drawn from U(0, 1) per row when None.
        eps: the floor on the masking probability (LLaDA uses 1e-3).
        prompt_lengths: (B,) ints; the first ``prompt_lengths[b]`` tokens of row b are never masked
            (SFT, LLaDA Algorithm 2).
        generator: a ``torch.Generator`` for reproducible masks.

    Returns:
        xt (B, T): x0 with the masked positions set to ``mask_id``;
        masked (B, T) bool: which positions were masked;
        p_mask (B, T) float: the masking probability of each position (the same along a row).

    >>> x0 = torch.arange(4, 10).reshape(1, 6)
    >>> xt, masked, p_mask = forward_process(x0, mask_id=1, t=1.0, eps=0.0, prompt_lengths=[2])
    >>> xt.tolist()
    [[4, 5, 1, 1, 1, 1]]
    """
    raise NotImplementedError(
        "Exercise 3.1: t ~ U(0, 1) per row; p_mask = (1 - eps) t + eps; mask where a uniform draw"
        " < p_mask")


# ---- Exercise 3.2: prompt_mask -----------------------------------------------

def prompt_mask(prompt_lengths, shape, device) -> torch.Tensor:
    """Bool (B, T): True at positions ``j < prompt_lengths[b]``.

    >>> prompt_mask([1, 3], (2, 4), "cpu").int().tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    raise NotImplementedError(
        "Exercise 3.2: compare arange(T)[None, :] with the lengths as a column: (B, 1)")


# ---- Exercise 3.3: diffusion_loss --------------------------------------------

def diffusion_loss(model, x0: torch.Tensor, prompt_lengths=None, eps: float = 1e-3,
                   generator: torch.Generator | None = None, mask_id: int | None = None,
                   attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """LLaDA's training loss: mask x0 with the forward process, score the masked positions.

    Pre-training (LLaDA Algorithm 1, ``GUIDELINES.md``)::

        loss = sum_{masked (b, i)} CE(b, i) / p_mask[b]  /  (B * T)

    SFT (Algorithm 2), when ``prompt_lengths`` is given: the prompt is never masked, and each row is
    normalised by its answer length (everything after the prompt, ``[EOS]`` padding included, so the
    model learns where answers end)::

        loss = sum_b [ sum_{masked i} CE(b, i) / p_mask[b] / answer_len[b] ]  /  B

    The first is an unbiased estimate of the bound of Eq. 3 per token; the second of Eq. 5 per
    answer token. With a model whose logits are constant the expectation is exactly log V.

    >>> from minillada.model import ModelConfig, Transformer
    >>> model = Transformer(ModelConfig(vocab_size=10, mask_id=1, d_model=16, n_layers=1, n_heads=2))
    >>> x0 = torch.randint(4, 10, (2, 8))
    >>> diffusion_loss(model, x0, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([])
    """
    raise NotImplementedError(
        "Exercise 3.3: draw the masks by calling forward_process (the tests hand it fixed masks "
        "that way); CE at the masked positions, divided by p_mask, summed, divided by B * T (SFT:"
        " each row by its answer length, then by B)")
