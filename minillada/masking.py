"""Chapter 3: the forward process, which turns text into noise by masking it.

LLaDA's forward process (Nie et al. 2025, Eq. 7; the same as MDLM and RADD) corrupts a clean
sequence x0 independently per token: at noise level t in [0, 1] each token is replaced by ``[MASK]``
with probability t and kept with probability 1 - t,

    q(xt^i | x0^i) = t if xt^i = [MASK],  1 - t if xt^i = x0^i.            (LLaDA Eq. 7)

At t = 0 nothing is masked; at t = 1 everything is. The schedule is linear in t, so the expected
fraction of masks *is* t, which is why the reverse sampler reveals the same number of tokens per
step (see ``sampling.py``).

In training (LLaDA ``GUIDELINES.md``) each row draws its own ``t ~ U(0, 1)`` and uses
``p_mask = (1 - eps) t + eps``, so that the loss weight 1/p_mask never exceeds 1/eps = 1000: a row
whose t is near 0 would otherwise carry an unbounded weight (eps = 1e-3). In SFT (Algorithm 2)
the prompt is never masked: only the answer is noised, and the model learns p(answer | prompt).

:func:`mask_exactly` is the other way to corrupt a sequence: pick the number of masks ``l`` first,
then a uniformly random set of ``l`` positions. The likelihood estimator of LLaDA Eq. 14 uses it.
"""

from __future__ import annotations

import torch

from . import rng


def prompt_mask(prompt_lengths, shape, device) -> torch.Tensor:
    """Bool (B, T): True at positions ``j < prompt_lengths[b]``.

    >>> prompt_mask([1, 3], (2, 4), "cpu").int().tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    B, T = shape
    # checked where the lengths live (on the CPU in the training loop, so the check costs the GPU
    # nothing), then moved
    lengths = torch.as_tensor(prompt_lengths).long().reshape(-1)
    if lengths.numel() != B:
        raise ValueError(f"prompt_lengths has {lengths.numel()} entries for a batch of {B} rows")
    if bool(((lengths < 0) | (lengths > T)).any()):
        raise ValueError(f"prompt_lengths must lie in 0..{T} (the sequence length), got "
                         f"{lengths.tolist()}")
    lengths = rng.to_device(lengths, device)
    return torch.arange(T, device=device)[None, :] < lengths[:, None]          # (B, T)


def _check_ids(x0) -> None:
    if not isinstance(x0, torch.Tensor) or x0.dim() != 2 or x0.dtype != torch.long:
        raise ValueError("x0 must be a (batch, seq_len) tensor of torch.long token ids, got "
                         f"{tuple(x0.shape) if isinstance(x0, torch.Tensor) else type(x0).__name__}"
                         f"{' of ' + str(x0.dtype) if isinstance(x0, torch.Tensor) else ''}")


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
    _check_ids(x0)
    B, T = x0.shape
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"eps must be in [0, 1), got {eps}")
    if t is None:     # drawn here, so in [0, 1) by construction: no check (a check would sync a GPU)
        t = rng.rand(B, device=x0.device, generator=generator)                  # (B,)
    else:
        t = torch.as_tensor(t, dtype=torch.float32).expand(B)                  # (B,)
        if bool(((t < 0) | (t > 1)).any()):
            raise ValueError(f"t must lie in [0, 1], got {t.tolist()}")
        t = rng.to_device(t, x0.device)
    p_mask = ((1 - eps) * t + eps)[:, None].expand(B, T)                      # (B, T)
    masked = rng.rand(B, T, device=x0.device, generator=generator) < p_mask
    # [MASK] in the clean data is no target: there is nothing to predict there.
    masked &= x0 != mask_id
    if prompt_lengths is not None:
        masked &= ~prompt_mask(prompt_lengths, (B, T), x0.device)
    xt = torch.where(masked, mask_id, x0)
    return xt, masked, p_mask


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
    _check_ids(x0)
    B, T = x0.shape
    prompt = (prompt_mask(prompt_lengths, (B, T), x0.device) if prompt_lengths is not None
              else torch.zeros(B, T, dtype=torch.bool, device=x0.device))
    num = torch.as_tensor(num_masked, device=x0.device).long().reshape(-1).expand(B)
    room = T - prompt.sum(dim=1)
    if bool(((num < 0) | (num > room)).any()):
        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "
                         "positions after the prompt")
    scores = rng.rand(B, T, device=x0.device, generator=generator)
    scores = scores.masked_fill(prompt, 2.0)            # prompt positions sort last, never chosen
    rank = scores.argsort(dim=1).argsort(dim=1)         # (B, T): rank of each position's score
    masked = rank < num[:, None]
    return torch.where(masked, mask_id, x0), masked
