"""A fast path for small models on a GPU: the training step's forward and backward as CUDA graphs.

A small model on a GPU is slow for a reason that has nothing to do with arithmetic. Every tensor
operation is one kernel launched from Python, and a 4-layer Transformer's training step launches
several hundred of them; each launch costs the CPU some microseconds, while the GPU finishes each
tiny kernel faster than the next one arrives. The GPU mostly waits.

A CUDA graph records the kernels of one call once and then replays the whole recording with a
single launch. ``torch.cuda.make_graphed_callables`` records a module's forward *and* backward and
hands back a module whose forward replays the first and whose backward replays the second, inside
ordinary autograd, so the loss, the optimizer and everything else of the training loop stay as
they are. The price is that everything must be static: the same batch shape every step, no
reading values back to Python inside the model, and the output tensor is overwritten by the next
replay (use it, as the loss does, before the next call).

``TrainConfig(cuda_graph=True)`` turns this on in :func:`minillada.train.train`; the reversal
experiment uses it on a GPU, and ``benchmarks/train_throughput.py --cuda-graph`` measures it.
"""

from __future__ import annotations

import gc

import torch
import torch.nn as nn


class _Forward(nn.Module):
    """A wrapper that shares ``model``'s parameters, so graphing it leaves ``model`` untouched
    (``model.eval()`` and sampling keep the ordinary forward)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


def cuda_graphed(model: nn.Module, batch_shape: tuple, autocast=None) -> nn.Module:
    """A module that computes ``model(x)`` for x of ``batch_shape`` (B, T) by replaying CUDA graphs
    of the forward and the backward, recorded here in training mode (under ``autocast``, which must
    be created with ``cache_enabled=False``).

    Raises ValueError off CUDA. Use it with one optimizer step per backward (no gradient
    accumulation: each replay of the backward overwrites the gradient buffers it wrote last time).
    """
    device = next(model.parameters()).device
    if device.type != "cuda":
        raise ValueError(f"CUDA graphs need the model on a CUDA device, it is on {device}")
    wrapper = _Forward(model).train()
    sample = torch.full(batch_shape, model.config.mask_id, dtype=torch.long, device=device)
    # Graphs from an earlier run may still wait for Python's garbage collector; destroying one
    # *during* a capture would invalidate the capture. So collect them now, and hold the
    # collector off until the capture is done.
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        with autocast or torch.autocast("cuda", enabled=False):
            # three warm-up calls on a side stream, then one recorded forward and one backward
            return torch.cuda.make_graphed_callables(wrapper, (sample,))
    finally:
        if collecting:
            gc.enable()
