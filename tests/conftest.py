"""Shared helpers for the tests: tiny models and a model whose logits are constant."""

import pytest
import torch
import torch.nn as nn

from minillada import ModelConfig, Transformer


class ConstantLogits(nn.Module):
    """A stand-in mask predictor that outputs all-zero logits: a uniform guess over V tokens.

    Every bound we compute has a closed form for it (-L log V), which makes it the simplest
    oracle for the likelihood code. It records the inputs it was called with."""

    def __init__(self, vocab_size=16, mask_id=1, causal=False, max_seq_len=512):
        super().__init__()
        self.config = ModelConfig(vocab_size=vocab_size, mask_id=mask_id, d_model=8, n_layers=1,
                                  n_heads=2, max_seq_len=max_seq_len, causal=causal)
        self.dummy = nn.Parameter(torch.zeros(()))  # so that .parameters() and .device work
        self.calls = []

    @property
    def device(self):
        return self.dummy.device

    def forward(self, x, attention_mask=None):
        self.calls.append(x.clone())
        return torch.zeros(*x.shape, self.config.vocab_size) + 0 * self.dummy


def tiny_config(**overrides):
    base = dict(vocab_size=16, mask_id=1, d_model=32, n_layers=2, n_heads=2, max_seq_len=32)
    return ModelConfig(**{**base, **overrides})


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return Transformer(tiny_config()).eval()


@pytest.fixture
def constant_model():
    return ConstantLogits()
