"""Random numbers that a seed reproduces on any device.

Every function in minillada that draws random numbers takes an optional ``torch.Generator``. We
draw on the generator's own device and move the result, so a CPU generator also drives a model on
a GPU, and one seed gives the same masks on both.
"""

from __future__ import annotations

import torch


def _draw_device(generator, device):
    return generator.device if generator is not None else device


def rand(*shape, device=None, generator=None, dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) numbers of the given shape on ``device``.

    >>> g = torch.Generator().manual_seed(0)
    >>> rand(2, device="cpu", generator=g).shape
    torch.Size([2])
    """
    out = torch.rand(*shape, generator=generator, dtype=dtype,
                     device=_draw_device(generator, device))
    return out.to(device) if device is not None else out


def randint(low: int, high: int, shape, device=None, generator=None) -> torch.Tensor:
    """Integers uniform in [low, high)."""
    out = torch.randint(low, high, tuple(shape), generator=generator,
                        device=_draw_device(generator, device))
    return out.to(device) if device is not None else out
