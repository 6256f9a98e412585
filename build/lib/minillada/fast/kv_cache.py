"""Chapter 2, beside the model: the KV cache and the padding mask, for the samplers.

The plain forward of :class:`~minillada.model.Transformer` maps T tokens to T rows of logits with
full (LLaDA) or causal (GPT) attention among those T positions. Two sampling features need more,
and this module holds all of it, so the model's forward reads as the architecture:

* **a KV cache**: the keys and values of P positions left of the input, computed by an earlier
  call. The T new queries attend to them as well as to each other, and the input sits at positions
  P..P+T-1 (its rotary angles start at P). For a causal model this is exact: the autoregressive
  sampler runs one new token per call. For a bidirectional model it is exact only if the cached
  positions would not have changed: Fast-dLLM's prefix cache reuses them anyway, as an
  approximation (``generate_fast(kv_cache=True)``, in ``fast/sampling.py``).
* **a padding mask**: rows of a batch left-padded to one length; padding is hidden as a key from
  every query.

``AttentionState`` carries both through one forward call: each layer's attention hands it its
queries, keys and values, and it concatenates the cache, records the new keys and values and
applies the mask.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..infra import checks


class AttentionState:
    """The cache and the mask of one forward call over x (B, T).

    ``past_kv``: one (k, v) pair per layer, each (B, H, P, D), from an earlier call's ``new_kv``.
    ``attention_mask`` (B, P + T): 1/True for real tokens, 0/False for padding.
    """

    def __init__(self, config, x: torch.Tensor, attention_mask=None, past_kv=None):
        B, T = x.shape
        self.causal = config.causal
        self.past_kv = past_kv
        self.offset = 0 if past_kv is None else _cached_length(past_kv, config, B)   # P
        checks.fits(config, self.offset + T, f"{self.offset} cached + {T} new positions")
        self.mask = self._mask(attention_mask, B, self.offset, T, x.device)
        self.new_kv = []                  # (k, v) of all P + T positions, per layer, for the next call

    def attend(self, layer: int, q, k, v, dropout_p: float = 0.0) -> torch.Tensor:
        """Attention of q over the cached and the new keys: q, k, v (B, H, T, D) -> (B, H, T, D)."""
        if self.past_kv is not None:
            past_k, past_v = self.past_kv[layer]
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)      # (B, H, P+T, D)
        self.new_kv.append((k, v))
        # SDPA's is_causal assumes no cache; with a cache or a padding mask the causal triangle is
        # folded into self.mask (a single new query after a cache may see every key anyway)
        return F.scaled_dot_product_attention(
            q, k, v, attn_mask=self.mask, dropout_p=dropout_p,
            is_causal=self.causal and self.mask is None and self.past_kv is None)

    def _mask(self, attention_mask, B, P, T, device):
        """The boolean (B or 1, 1, T, P + T) mask SDPA needs, or None when ``is_causal`` or full
        attention will do. Query i sits at position P + i; key j at position j."""
        causal_with_cache = self.causal and P > 0 and T > 1
        if attention_mask is None and not causal_with_cache:
            return None
        if attention_mask is None:
            keep = torch.ones(1, 1, 1, P + T, dtype=torch.bool, device=device)
        else:
            keep = checks.padding_mask(attention_mask, (B, P + T), device,
                                       "attention_mask (batch, cached + new positions)")
            keep = keep[:, None, None, :]                                              # (B,1,1,P+T)
        # query i (position P + i) sees key j when j <= P + i, in a causal model; and always itself,
        # so a row of pure padding never becomes a softmax over nothing but -inf
        diag = torch.ones(T, P + T, dtype=torch.bool, device=device).tril(diagonal=P)   # (T, P+T)
        if self.causal:
            keep = keep & diag
        return keep | (diag & ~diag.tril(diagonal=P - 1))


def _cached_length(past_kv, config, B: int) -> int:
    """P, the number of cached positions, after checking that ``past_kv`` is what an earlier call's
    ``new_kv`` looks like: one (k, v) pair per layer, each (B, H, P, D)."""
    H, D = config.n_heads, config.d_model // config.n_heads
    if not isinstance(past_kv, (list, tuple)) or len(past_kv) != config.n_layers:
        raise ValueError(f"past_kv must be a list of {config.n_layers} (k, v) pairs, one per layer (an "
                         f"earlier call's cache), got {type(past_kv).__name__}")
    shape = None
    for pair in past_kv:
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(t, torch.Tensor) and t.dim() == 4 for t in pair)):
            raise ValueError("each entry of past_kv must be a (k, v) pair of (B, H, P, D) tensors")
        for t in pair:
            shape = shape or tuple(t.shape)
            if tuple(t.shape) != shape or shape[0] != B or shape[1] != H or shape[3] != D:
                raise ValueError(f"past_kv holds a tensor of shape {tuple(t.shape)}; this call needs "
                                 f"({B}, {H}, P, {D}) in every layer, the same P throughout")
    return shape[2]
