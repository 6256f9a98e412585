"""Small models the exercise tests share."""

from __future__ import annotations

import torch
import torch.nn as nn

from minillada import ModelConfig, Transformer


class ConstantLogits(nn.Module):
    """A stand-in mask predictor that outputs all-zero logits: a uniform guess over V tokens.

    Every bound has a closed form for it (-L log V), which makes it the simplest oracle for the
    likelihood code; it records the inputs it was called with. The library's tests use it too
    (``tests/conftest.py`` imports it from here): one copy.
    """

    def __init__(self, vocab_size=16, mask_id=1, causal=False, max_seq_len=64):
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


def tiny_model(seed=0, causal=False, init_std=0.2, vocab_size=16) -> Transformer:
    torch.manual_seed(seed)
    config = ModelConfig(vocab_size=vocab_size, mask_id=1, d_model=32, n_layers=2, n_heads=2,
                      max_seq_len=32, causal=causal, init_std=init_std)
    return Transformer(config).eval()
