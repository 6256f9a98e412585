"""The input checks of the public functions, in one place.

Every public function of minillada turns a bad argument into a ``ValueError`` that says what was
expected and what came, before anything deep inside torch can fail with a message about strides or
dtypes. The checks live here so that the chapter modules can call them in one line and then read
as the algorithm.
"""

from __future__ import annotations

import math

import torch

REMASKING = ("low_confidence", "random")


def token_ids(x, name: str = "x0", vocab_size: int | None = None) -> None:
    """Raise ValueError unless x is a (batch, seq_len) torch.long tensor (of ids below vocab_size).

    >>> token_ids(torch.zeros(2, 5, dtype=torch.long))
    >>> token_ids(torch.zeros(2, 5), "x0")
    Traceback (most recent call last):
        ...
    ValueError: x0 must be a (batch, seq_len) tensor of torch.long token ids, got (2, 5) of torch.float32
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.dtype != torch.long:
        got = (f"{tuple(x.shape)} of {x.dtype}" if isinstance(x, torch.Tensor)
               else type(x).__name__)
        raise ValueError(f"{name} must be a (batch, seq_len) tensor of torch.long token ids, got {got}")
    if vocab_size is not None and x.numel() and bool(((x < 0) | (x >= vocab_size)).any()):
        raise ValueError(f"token ids must lie in 0..{vocab_size - 1}; got min {int(x.min())}, max "
                         f"{int(x.max())} (was the tokenizer the one the model was built for?)")


def token_batch(x, name: str = "x") -> torch.Tensor:
    """``x`` (ids, a list or a tensor) as a (batch, length) torch.long tensor; a 1-D sequence
    becomes a batch of one.

    >>> token_batch(torch.tensor([5, 6, 7]), "prompt").shape
    torch.Size([1, 3])
    """
    x = torch.as_tensor(x)
    token_ids(x[None, :] if x.dim() == 1 else x, name)
    return x[None, :] if x.dim() == 1 else x


def mask_id_of(model, mask_id=None) -> int:
    """``mask_id`` if given, else the model's own ``config.mask_id`` (one source for the fact)."""
    if mask_id is not None:
        return int(mask_id)
    config = getattr(model, "config", None)
    if config is None or getattr(config, "mask_id", None) is None:
        raise ValueError("pass mask_id=..., or use a model whose .config has a mask_id")
    return int(config.mask_id)


def fits(config, n_tokens: int, what: str) -> None:
    """Refuse ``n_tokens`` positions beyond the model's ``max_seq_len`` (``what`` names them).
    A model without a config (a stand-in a test or notebook wrote) is not checked."""
    limit = getattr(config, "max_seq_len", None)
    if limit is not None and n_tokens > limit:
        raise ValueError(f"{what} is longer than max_seq_len={limit}, the model's number of "
                         "positions; use fewer tokens or build a model with a larger max_seq_len")


def positive_int(value, name: str, zero_ok: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero_ok else 1):
        raise ValueError(f"{name} must be a {'non-negative' if zero_ok else 'positive'} int, got "
                         f"{value!r}")
    return value


def temperature(value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 is greedy), got {value!r}")


def sampling_args(model, steps, temperature_, remasking, cfg_scale, threshold) -> None:
    """The arguments shared by ``generate`` and ``infill``."""
    if not hasattr(model, "config"):
        raise ValueError("the model needs a .config (a minillada Transformer has one)")
    positive_int(steps, "steps")
    if remasking not in REMASKING:
        raise ValueError(f"remasking must be one of {REMASKING}, got {remasking!r}")
    temperature(temperature_)
    if cfg_scale < 0:
        raise ValueError(f"cfg_scale must be >= 0 (0 is no guidance), got {cfg_scale}")
    if threshold is not None and not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")


def blocks(gen_length, block_length, steps) -> int:
    """The number of blocks of a semi-autoregressive layout, after checking that it tiles."""
    positive_int(gen_length, "gen_length")
    positive_int(block_length, "block_length")
    if gen_length % block_length:
        raise ValueError(f"gen_length={gen_length} must be a positive multiple of block_length="
                         f"{block_length}")
    num_blocks = gen_length // block_length
    if steps % num_blocks:
        raise ValueError(f"steps={steps} must be divisible by the number of blocks "
                         f"gen_length / block_length = {num_blocks}")
    return num_blocks
