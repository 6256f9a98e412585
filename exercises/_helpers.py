"""Small models the exercise tests share."""

from __future__ import annotations

import torch
import torch.nn as nn

from minillada import ModelConfig, Transformer


class ConstantLogits(nn.Module):
    """A mask predictor that always guesses uniformly over V tokens: every bound is -L log V."""

    def __init__(self, vocab_size=16, mask_id=1):
        super().__init__()
        self.config = ModelConfig(vocab_size=vocab_size, mask_id=mask_id, d_model=8, n_layers=1,
                                  n_heads=2, max_seq_len=64)
        self.dummy = nn.Parameter(torch.zeros(()))
        self.calls = []

    @property
    def device(self):
        return self.dummy.device

    def forward(self, x, attention_mask=None):
        self.calls.append(x.clone())
        return torch.zeros(*x.shape, self.config.vocab_size) + 0 * self.dummy


def tiny_model(seed=0, causal=False, init_std=0.2, vocab_size=16) -> Transformer:
    torch.manual_seed(seed)
    cfg = ModelConfig(vocab_size=vocab_size, mask_id=1, d_model=32, n_layers=2, n_heads=2,
                      max_seq_len=32, causal=causal, init_std=init_std)
    return Transformer(cfg).eval()
