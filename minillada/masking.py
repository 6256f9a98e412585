"""Chapter 3: the forward process, which turns text into noise by masking it.

LLaDA's forward process (Nie et al. 2025, Eq. 7 and 8; the same as MDLM and RADD) corrupts a clean
sequence x0 independently per token: at noise level t in [0, 1] each token is replaced by ``[MASK]``
with probability t and kept with probability 1 - t,

    q(xt^i | x0^i) = t if xt^i = [MASK],  1 - t if xt^i = x0^i.            (LLaDA Eq. 8)

(Eq. 7 is the product of these factors over the positions: the tokens are masked independently.)
At t = 0 nothing is masked; at t = 1 everything is. The schedule is linear in t, so the expected
fraction of masks *is* t, which is why the reverse sampler reveals the same number of tokens per
step (see ``sampling.py``).

In training (LLaDA ``GUIDELINES.md``) each row draws its own ``t ~ U(0, 1)`` and uses
``p_mask = (1 - eps) t + eps``, so that the loss weight 1/p_mask never exceeds 1/eps = 1000: a row
whose t is near 0 would otherwise carry an unbounded weight (eps = 1e-3). In SFT (Algorithm 2)
the prompt is never masked: only the answer is noised, and the model learns p(answer | prompt).

The loss that trains the model on these noisy sequences is in ``losses.py`` (chapter 3, part 2);
the other way to corrupt a sequence, with an exact number of masks, in ``likelihood.py``
(chapter 4's estimator).
"""

from __future__ import annotations

import torch

from .infra import checks, rng


def prompt_mask(prompt_lengths, shape, device) -> torch.Tensor:
    """Bool (B, T): True at positions ``j < prompt_lengths[b]``.

    >>> prompt_mask([1, 3], (2, 4), "cpu").int().tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    B, T = shape
    lengths = checks.prompt_lengths(prompt_lengths, B, T)   # (B,), checked where it lives: the CPU
    lengths = rng.to_device(lengths, device)
    return torch.arange(T, device=device)[None, :] < lengths[:, None]          # (B, T)


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
    t = checks.forward_process_args(x0, mask_id, t, eps)        # None, or one t per row in [0, 1]
    B, T = x0.shape
    # Eq. 8 with the floor: p_mask = (1 - eps) t + eps, one noise level t per row
    if t is None:     # drawn here, so in [0, 1) by construction: no check (a check would sync a GPU)
        t = rng.rand(B, device=x0.device, generator=generator)                  # (B,)
    else:
        t = rng.to_device(t, x0.device)                                         # (B,)
    p_mask = ((1 - eps) * t + eps)[:, None].expand(B, T)                      # (B, T)
    # each token is masked on its own with probability p_mask (Eq. 7: the factors are independent)
    masked = rng.rand(B, T, device=x0.device, generator=generator) < p_mask
    # [MASK] in the clean data is no target: there is nothing to predict there.
    masked &= x0 != mask_id
    if prompt_lengths is not None:                       # SFT (Algorithm 2): the prompt stays clean
        masked &= ~prompt_mask(prompt_lengths, (B, T), x0.device)
    xt = torch.where(masked, mask_id, x0)                # xt^i = [MASK] where masked, else x0^i
    return xt, masked, p_mask
