"""Chapter 4: the likelihood bound, and the training losses that are estimates of it.

A masked diffusion model does not give log p(x0) directly. LLaDA trains it by minimising an upper
bound on the negative log-likelihood (Nie et al. 2025, Eq. 3 and Eq. 4; Shi et al. 2024, Sahoo et
al. 2024, Ou et al. 2024):

    L(theta) = - E_{t ~ U(0,1)} E_{xt ~ q(.|x0)} [ (1/t) sum_{i: xt^i = [MASK]} log p_theta(x0^i | xt) ]
             >= - log p_theta(x0).                                                    (LLaDA Eq. 3, 4)

Why 1/t? At noise level t about t*L tokens are masked, so the plain sum of cross-entropies grows
with t; dividing by t makes every noise level count equally and turns the sum into the bound.

:func:`diffusion_loss` is a one-sample Monte Carlo estimate of Eq. 3 (pre-training, Algorithm 1)
or of its conditional form Eq. 5 (SFT, Algorithm 2: the prompt is never masked).
:func:`autoregressive_loss` is the GPT loss of the same network built with ``causal=True``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .masking import forward_process, prompt_mask


def resolve_mask_id(model, mask_id=None) -> int:
    """``mask_id`` if given, else ``model.config.mask_id``."""
    if mask_id is not None:
        return int(mask_id)
    cfg = getattr(model, "config", None)
    if cfg is None or getattr(cfg, "mask_id", None) is None:
        raise ValueError("pass mask_id=..., or use a model whose .config has a mask_id")
    return int(cfg.mask_id)


def _token_ce(logits, targets):
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
    mask_id = resolve_mask_id(model, mask_id)
    xt, masked, p_mask = forward_process(x0, mask_id, eps=eps, prompt_lengths=prompt_lengths,
                                         generator=generator)
    logits = model(xt, attention_mask=attention_mask) if attention_mask is not None else model(xt)
    weighted = _token_ce(logits, x0) * masked / p_mask                    # (B, T), 0 where unmasked
    B, T = x0.shape
    if prompt_lengths is None:
        return weighted.sum() / (B * T)
    answer_len = T - torch.as_tensor(prompt_lengths, device=x0.device).reshape(B)
    if bool((answer_len <= 0).any()):
        raise ValueError("every row needs at least one answer token after its prompt; "
                         f"prompt_lengths {torch.as_tensor(prompt_lengths).tolist()} leave none in "
                         f"sequences of length {T}")
    return (weighted.sum(dim=1) / answer_len).sum() / B


def autoregressive_loss(model, x0: torch.Tensor, prompt_lengths=None,
                        attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Next-token cross-entropy, the GPT loss, for the same network built with ``causal=True``.

    Position i predicts token i + 1. With ``prompt_lengths`` only answer tokens are targets, and each
    row is normalised by its number of answer tokens, as in :func:`diffusion_loss`.
    """
    cfg = getattr(model, "config", None)
    if cfg is not None and not getattr(cfg, "causal", True):
        raise ValueError("autoregressive_loss needs a causal model (ModelConfig(causal=True)): a "
                         "bidirectional model would see the very token it must predict")
    B, T = x0.shape
    if T < 2:
        raise ValueError("autoregressive_loss needs sequences of at least 2 tokens")
    logits = model(x0, attention_mask=attention_mask) if attention_mask is not None else model(x0)
    ce = _token_ce(logits[:, :-1], x0[:, 1:])                              # (B, T-1)
    if prompt_lengths is None:
        return ce.mean()
    # target position j + 1 is an answer token when j + 1 >= prompt length
    is_answer = ~prompt_mask(prompt_lengths, (B, T), x0.device)[:, 1:]     # (B, T-1)
    answer_len = is_answer.sum(dim=1)
    if bool((answer_len == 0).any()):
        raise ValueError("every row needs at least one answer token after its prompt")
    return ((ce * is_answer).sum(dim=1) / answer_len).sum() / B
