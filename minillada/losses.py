"""Chapter 3, part 2: the training losses, Monte Carlo estimates of the likelihood bound.

A masked diffusion model is trained by minimising an upper bound on the negative log-likelihood,

    L(theta) = - E_{t ~ U(0,1)} E_{xt ~ q(.|x0)} [ (1/t) sum_{i: xt^i = [MASK]} log p_theta(x0^i | xt) ]
             >= - log p_theta(x0)                                                     (LLaDA Eq. 3, 4)

(why it is a bound, and why the 1/t: the top of ``likelihood.py``, chapter 4).

:func:`diffusion_loss` is a one-sample Monte Carlo estimate of Eq. 3 (pre-training, Algorithm 1)
or of its conditional form Eq. 5 (SFT, Algorithm 2: the prompt is never masked), drawing the masks
with chapter 3's forward process. :func:`autoregressive_loss` is the GPT loss of the same network
built with ``causal=True``, the baseline of chapter 7.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .infra import checks, rng
from .masking import forward_process


def token_ce(logits, targets):
    """Cross-entropy of every position: logits (B, T, V), targets (B, T) -> (B, T).

    We compute it densely and weight afterwards (rather than gathering the masked positions with a
    boolean index), so the loss has static shapes: no host-device sync and friendly to torch.compile.
    """
    B, T, V = logits.shape
    return F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T),
                           reduction="none").view(B, T)


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
    mask_id = checks.diffusion_loss_args(model, x0, prompt_lengths, mask_id)
    # Algorithm 1 (Algorithm 2 with prompts): draw t per row and mask x0 into xt (Eq. 7, 8)
    xt, masked, p_mask = forward_process(x0, mask_id, eps=eps, prompt_lengths=prompt_lengths,
                                         generator=generator)
    # predict every position of xt at once; then the 1/t-weighted CE of the masked ones (Eq. 3)
    logits = model(xt, attention_mask=attention_mask) if attention_mask is not None else model(xt)
    return diffusion_loss_from_logits(logits, x0, masked, p_mask, prompt_lengths=prompt_lengths)


def diffusion_loss_from_logits(logits, x0, masked, p_mask, prompt_lengths=None) -> torch.Tensor:
    """The second half of :func:`diffusion_loss`: the 1/t-weighted CE of given logits (B, T, V).

    Split out so that a training loop can draw the masks itself (for example for a whole global
    batch, then keep its own rows under data parallelism).
    """
    weighted = token_ce(logits, x0) * masked / p_mask                     # (B, T), 0 where unmasked
    B, T = x0.shape
    if prompt_lengths is None:                       # Eq. 3: the sum over all B * T positions
        return weighted.sum() / (B * T)
    # Eq. 5: each row by its answer length (prompt_lengths as given: the caller's door checked them)
    answer_len = T - rng.to_device(torch.as_tensor(prompt_lengths), x0.device)           # (B,)
    return (weighted.sum(dim=1) / answer_len).sum() / B


def autoregressive_loss(model, x0: torch.Tensor, prompt_lengths=None,
                        attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Next-token cross-entropy, the GPT loss, for the same network built with ``causal=True``.

    Position i predicts token i + 1. With ``prompt_lengths`` only answer tokens are targets, and each
    row is normalised by its number of answer tokens, as in :func:`diffusion_loss`.
    """
    checks.autoregressive_loss_args(model, x0, prompt_lengths)
    logits = model(x0, attention_mask=attention_mask) if attention_mask is not None else model(x0)
    return autoregressive_loss_from_logits(logits, x0, prompt_lengths)


def autoregressive_loss_from_logits(logits, x0, prompt_lengths=None) -> torch.Tensor:
    """The second half of :func:`autoregressive_loss`: next-token CE of given logits (B, T, V)."""
    B, T = x0.shape
    ce = token_ce(logits[:, :-1], x0[:, 1:])                               # (B, T-1)
    if prompt_lengths is None:
        return ce.mean()
    # target position j + 1 is an answer token when j + 1 >= the row's prompt length
    lengths = rng.to_device(torch.as_tensor(prompt_lengths), x0.device)          # (B,)
    is_answer = torch.arange(1, T, device=x0.device)[None, :] >= lengths[:, None]  # (B, T-1)
    answer_len = is_answer.sum(dim=1)
    return ((ce * is_answer).sum(dim=1) / answer_len).sum() / B
