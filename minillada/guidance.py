"""Unsupervised classifier-free guidance (LLaDA Appendix B.3 and Eq. 16; Nie et al. 2024).

A masked diffusion model trained without any class label can still be *guided* toward its prompt:
run the model twice, once on the real input (conditional) and once with every prompt token replaced
by ``[MASK]`` (unconditional), and push the prediction away from the unconditional one:

    logits = un + (w + 1) (cond - un)                  (LLaDA Eq. 16, in logit space)

With w = 0 this is just ``cond``. The sampler and the likelihood estimator share this helper.
"""

from __future__ import annotations

import torch

from .infra import checks


def guided_logits(model, x: torch.Tensor, prompt_index: torch.Tensor, cfg_scale: float,
                  mask_id: int) -> torch.Tensor:
    """Logits (B, T, V) for x (B, T), with guidance of strength ``cfg_scale`` when it is positive.

    ``prompt_index`` is a bool tensor of shape (T,) or (B, T), True at the prompt positions that the
    unconditional pass hides.
    """
    checks.guidance_scale(cfg_scale)
    if cfg_scale == 0:
        return model(x)
    uncond = x.masked_fill(prompt_index.expand_as(x), mask_id)
    both = model(torch.cat([x, uncond], dim=0))                  # (2B, T, V)
    cond, un = both.chunk(2, dim=0)                              # each (B, T, V)
    return un + (cfg_scale + 1) * (cond - un)
