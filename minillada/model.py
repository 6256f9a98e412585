"""Chapter 2: the mask predictor, a Transformer that sees both sides.

LLaDA's network (Nie et al. 2025, Sec. 2.2; Appendix B.2, Table 5) is a LLaMA-style Transformer: token
embedding, rotary position embedding (RoPE, Su et al. 2021), pre-norm RMSNorm (Zhang & Sennrich
2019), SwiGLU MLP (Shazeer 2020), an untied output head, and no time input: the fraction of masks in
the input already tells the network how noisy it is (the MDLM/RADD observation, LLaDA Sec. 2.1).

The one difference from a GPT is the attention mask. A GPT uses causal attention, so position i
sees positions <= i. LLaDA's mask predictor uses full attention: every position sees every other, so
a masked token can be predicted from the words on its left *and* on its right. Here that is one
flag, ``ModelConfig.causal``, passed as ``is_causal`` to ``F.scaled_dot_product_attention``; with
``causal=True`` the very same code is the autoregressive baseline of the reversal chapter.

Shapes: B batch, T sequence length, C = d_model, H heads, D = C // H per head, V vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from .infra import checks
from .fast.kv_cache import AttentionState

PRESETS = {
    # trains a character- or word-level model on a 2-core CPU in minutes (about 0.8M parameters)
    "tiny": dict(d_model=128, n_layers=4, n_heads=4, max_seq_len=64),
    # about 14M parameters: a few minutes on one GPU
    "gpu": dict(d_model=384, n_layers=8, n_heads=6, max_seq_len=256),
}


@dataclass
class ModelConfig:
    """Everything that defines the network's shape. ``ModelConfig.preset("tiny", vocab_size=...,
    mask_id=...)`` gives a named size with your overrides."""

    vocab_size: int
    mask_id: int
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    max_seq_len: int = 64
    causal: bool = False          # False: LLaDA's mask predictor; True: the autoregressive baseline
    rope_theta: float = 10000.0
    mlp_hidden: int | None = None  # SwiGLU width; None: about 8/3 * d_model, rounded up to 32
    norm_eps: float = 1e-5
    dropout: float = 0.0
    init_std: float = 0.02

    def __post_init__(self):
        checks.model_config(self)          # every field, checked once (see minillada/infra/checks.py)
        if self.mlp_hidden is None:
            self.mlp_hidden = 32 * math.ceil(8 * self.d_model / 3 / 32)

    @classmethod
    def preset(cls, name: str, **overrides) -> "ModelConfig":
        """A named size, e.g. ``ModelConfig.preset("tiny", vocab_size=70, mask_id=1)``."""
        checks.preset_name(name, PRESETS)
        return cls(**{**PRESETS[name], **overrides})

    def to_dict(self) -> dict:
        return asdict(self)

    def replace(self, **changes) -> "ModelConfig":
        return replace(self, **changes)


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight: LayerNorm without the mean subtraction and the bias."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # normalise in float32 even under bf16 autocast: the mean of squares loses precision in bf16
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight


def rope_cache(max_seq_len: int, head_dim: int, theta: float = 10000.0):
    """cos and sin tables of shape (max_seq_len, head_dim // 2) for rotary embeddings.

    Pair j of a head's channels is rotated by the angle ``pos * theta^(-2j/head_dim)``: low pairs
    spin fast (local order), high pairs slowly (long-range position).
    """
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # (D/2,)
    angles = torch.outer(torch.arange(max_seq_len, dtype=torch.float32), inv_freq)      # (T, D/2)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotate each pair (x[..., j], x[..., j + D/2]) of x: (..., T, D) by its angle.

    Rotations make the dot product of a query at position m and a key at position n depend only on
    m - n, which is how attention learns relative order. cos, sin: (T, D/2).
    """
    x1, x2 = x.float().chunk(2, dim=-1)                  # each (..., T, D/2)
    out = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.type_as(x)


def attention(q, k, v, causal: bool = False):
    """Scaled dot-product attention written out: softmax(q k^T / sqrt(D)) v, per head.

    q, k, v: (B, H, T, D). With ``causal=True`` position i only attends to positions <= i (GPT);
    with ``causal=False`` every position attends to every other (LLaDA's mask predictor). This is
    the arithmetic that ``F.scaled_dot_product_attention`` (which the model calls) does in one fused
    kernel, kept here to be read.

    >>> q, k, v = torch.randn(3, 1, 2, 4, 8).unbind(0)
    >>> fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    >>> torch.allclose(attention(q, k, v, causal=True), fused, atol=1e-5)
    True
    """
    T, D = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)                        # (B, H, T, T)
    if causal:
        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
    return scores.softmax(dim=-1) @ v                                     # (B, H, T, D)


class Attention(nn.Module):
    """Multi-head self-attention with rotary positions (the fused form of :func:`attention`)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_heads, self.causal, self.dropout = config.n_heads, config.causal, config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model, bias=False)
        self.proj = nn.Linear(config.d_model, config.d_model, bias=False)

    def forward(self, x, cos, sin, state=None, layer: int = 0):
        """x: (B, T, C) -> (B, T, C). ``state``: a :class:`~minillada.fast.kv_cache.AttentionState`
        when sampling with a KV cache or a padding mask (``layer`` says which cache is this one's)."""
        B, T, C = x.shape
        qkv = self.qkv(x).view(B, T, 3, self.n_heads, C // self.n_heads)    # (B, T, 3, H, D)
        qkv = qkv.permute(2, 0, 3, 1, 4)                                    # (3, B, H, T, D)
        q, k = apply_rope(qkv[:2], cos, sin).unbind(0)   # rotate q and k in one go; each (B,H,T,D)
        v = qkv[2]                                                          # (B, H, T, D)
        dropout_p = self.dropout if self.training else 0.0
        if state is None:
            # the whole difference between LLaDA and GPT: is_causal
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal, dropout_p=dropout_p)
        else:
            y = state.attend(layer, q, k, v, dropout_p)                     # (B, H, T, D)
        y = y.transpose(1, 2).reshape(B, T, C)                              # (B, T, C)
        return self.proj(y)


class SwiGLU(nn.Module):
    """MLP(x) = W_down( silu(W_gate x) * W_up x ): a gated MLP, as in LLaMA and LLaDA."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gate = nn.Linear(config.d_model, config.mlp_hidden, bias=False)
        self.up = nn.Linear(config.d_model, config.mlp_hidden, bias=False)
        self.down = nn.Linear(config.mlp_hidden, config.d_model, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    """Pre-norm residual block: x + Attn(Norm(x)), then x + MLP(Norm(x))."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attn = Attention(config)
        self.mlp_norm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = SwiGLU(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x, cos, sin, state=None, layer: int = 0):
        x = x + self.drop(self.attn(self.attn_norm(x), cos, sin, state, layer))
        return x + self.drop(self.mlp(self.mlp_norm(x)))


class Transformer(nn.Module):
    """The mask predictor p_theta(x0 | xt) of LLaDA (or, with ``causal=True``, a GPT).

    >>> config = ModelConfig(vocab_size=10, mask_id=1, d_model=32, n_layers=2, n_heads=2)
    >>> Transformer(config)(torch.zeros(3, 7, dtype=torch.long)).shape
    torch.Size([3, 7, 10])
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        checks.kind_of(config, ModelConfig, "Transformer takes a ModelConfig")
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)  # untied, as in LLaDA
        cos, sin = rope_cache(config.max_seq_len, config.d_model // config.n_heads, config.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)
        # GPT-2's trick: shrink the layers that write into the residual stream by 1/sqrt(2 L), so
        # the stream's variance does not grow with depth at initialisation.
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.down.weight")):
                nn.init.normal_(p, std=config.init_std / math.sqrt(2 * config.n_layers))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=self.config.init_std)

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def num_params(self, non_embedding: bool = False) -> int:
        """Number of parameters; ``non_embedding=True`` leaves out the token embedding."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.embed.weight.numel() if non_embedding else n

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None,
                past_kv: list | None = None, use_cache: bool = False):
        """Logits (B, T, V) for token ids x (B, T).

        For the samplers (see :mod:`minillada.fast.kv_cache`): ``attention_mask`` (B, P + T) hides
        padding; ``past_kv``, an earlier call's cache, holds the keys and values of P positions left
        of x; ``use_cache=True`` returns ``(logits, kv)`` with the cache of all P + T positions.
        """
        checks.model_input(self.config, x, use_cache)   # the ids' range only on the CPU: no GPU sync
        state = None
        if attention_mask is not None or past_kv is not None or use_cache:
            state = AttentionState(self.config, x, attention_mask, past_kv)
        start = 0 if state is None else state.offset    # x sits at positions start..start+T-1
        T = x.shape[1]
        cos, sin = self.rope_cos[start:start + T], self.rope_sin[start:start + T]  # (T, D/2)
        h = self.drop(self.embed(x))                     # (B, T, C)
        for layer, block in enumerate(self.blocks):
            h = block(h, cos, sin, state, layer)         # (B, T, C)
        logits = self.head(self.norm(h)).float()         # (B, T, V), float32 even under autocast
        return (logits, state.new_kv) if use_cache else logits
