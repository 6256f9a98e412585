"""Exercises of chapter 2: The Transformer. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/02_transformer -m ex2_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from minillada.model import ModelConfig  # noqa: F401  (for the annotations)

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'RMSNorm': 'minillada.model',  # Exercise 2.1
    'rope_cache': 'minillada.model',  # Exercise 2.2
    'apply_rope': 'minillada.model',  # Exercise 2.3
    'attention': 'minillada.model',  # Exercise 2.4
    'SwiGLU': 'minillada.model',  # Exercise 2.5
}


# ---- Exercise 2.1: RMSNorm ---------------------------------------------------

class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight: LayerNorm without the mean subtraction and the bias."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # normalise in float32 even under bf16 autocast: the mean of squares loses precision in bf16
        raise NotImplementedError(
            "Exercise 2.1: x * rsqrt(mean(x^2, last dim) + eps) * weight, computed in float32, "
            "returned in x's dtype")


# ---- Exercise 2.2: rope_cache ------------------------------------------------

def rope_cache(max_seq_len: int, head_dim: int, theta: float = 10000.0):
    """cos and sin tables of shape (max_seq_len, head_dim // 2) for rotary embeddings.

    Pair j of a head's channels is rotated by the angle ``pos * theta^(-2j/head_dim)``: low pairs
    spin fast (local order), high pairs slowly (long-range position).
    """
    raise NotImplementedError(
        "Exercise 2.2: inv_freq = theta ** (-arange(0, D, 2) / D); angles = outer(positions, "
        "inv_freq)")


# ---- Exercise 2.3: apply_rope ------------------------------------------------

def apply_rope(x, cos, sin):
    """Rotate each pair (x[..., j], x[..., j + D/2]) of x: (..., T, D) by its angle.

    Rotations make the dot product of a query at position m and a key at position n depend only on
    m - n, which is how attention learns relative order. cos, sin: (T, D/2).
    """
    raise NotImplementedError(
        "Exercise 2.3: split the last dim in halves x1, x2; return cat(x1 cos - x2 sin, x1 sin + "
        "x2 cos)")


# ---- Exercise 2.4: attention -------------------------------------------------

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
    raise NotImplementedError(
        "Exercise 2.4: scores = q @ k^T / sqrt(D); if causal, fill the strict upper triangle with"
        " -inf; softmax over the last dim, then @ v")


# ---- Exercise 2.5: SwiGLU ----------------------------------------------------

class SwiGLU(nn.Module):
    """MLP(x) = W_down( silu(W_gate x) * W_up x ): a gated MLP, as in LLaMA and LLaDA."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gate = nn.Linear(config.d_model, config.mlp_hidden, bias=False)
        self.up = nn.Linear(config.d_model, config.mlp_hidden, bias=False)
        self.down = nn.Linear(config.mlp_hidden, config.d_model, bias=False)

    def forward(self, x):
        raise NotImplementedError(
            "Exercise 2.5: down(silu(gate(x)) * up(x))")
