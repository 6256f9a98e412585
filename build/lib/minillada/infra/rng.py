"""Random numbers that a seed reproduces on any device.

Every function in minillada that draws random numbers takes an optional ``torch.Generator``. We
draw on the generator's own device and move the result, so a CPU generator also drives a model on
a GPU, and one seed gives the same masks on both.

Moving a fresh CPU tensor to the GPU would normally make Python wait until the GPU has caught up
(a copy from ordinary memory synchronises). :func:`to_device` copies through page-locked ("pinned")
memory with ``non_blocking=True`` instead, so a training step that draws its masks on the CPU never
stalls the GPU's queue of work.
"""

from __future__ import annotations

import torch


def _draw_device(generator, device):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator (or None), got {type(generator).__name__}")
    return generator.device if generator is not None else device


def to_device(t: torch.Tensor, device) -> torch.Tensor:
    """``t`` on ``device``; a CPU tensor bound for a GPU goes without a host-device sync.

    >>> to_device(torch.arange(3), "cpu").tolist()
    [0, 1, 2]
    """
    device = torch.device(device)
    if device.type == "cuda" and t.device.type == "cpu":
        # pinned memory lets the copy run asynchronously; torch keeps the pinned buffer alive
        # until the copy has finished
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def rand(*shape, device=None, generator=None, dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) numbers of the given shape on ``device``.

    >>> g = torch.Generator().manual_seed(0)
    >>> rand(2, device="cpu", generator=g).shape
    torch.Size([2])
    """
    out = torch.rand(*shape, generator=generator, dtype=dtype,
                     device=_draw_device(generator, device))
    return to_device(out, device) if device is not None else out


def randint(low: int, high: int, shape, device=None, generator=None) -> torch.Tensor:
    """Integers uniform in [low, high)."""
    out = torch.randint(low, high, tuple(shape), generator=generator,
                        device=_draw_device(generator, device))
    return to_device(out, device) if device is not None else out
