"""Shared helpers for the tests: tiny models and a model whose logits are constant."""

import pytest
import torch

from exercises._helpers import ConstantLogits  # noqa: F401  (the tests import it from here)
from minillada import ModelConfig, Transformer


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
