"""The fast training step: LLaDA's Algorithm 1 with micro-batches, data parallelism and fast forwards.

:func:`minillada.train.train_step` is one optimizer step as the paper states it (mask x0 at a random
rate t, predict, weight the cross-entropy by 1/t, backpropagate, clip, step). A real run may need
more around the same computation, and :func:`minillada.train.train` hands the step to
:func:`step_function` here when it does:

* gradient accumulation (``grad_accum`` micro-batches per step);
* data parallelism under ``torchrun``: every rank draws the *global* batch and its masks and keeps
  its own rows, so N processes see exactly the batches one process would (``fast/distributed.py``);
* bf16 autocast on CUDA, ``torch.compile``, or CUDA graphs for small models (``fast/cuda_graph.py``);
* the autoregressive baseline (``objective="ar"``): next-token cross-entropy instead;
* block diffusion (``objective="bd3"``, one process): ``fast/block_diffusion.py``'s loss instead.

With none of them, the step computed here is the plain one, float for float:
``tests/test_train.py`` trains one run each way and compares the losses and the checkpoints' bytes.
"""

from __future__ import annotations

import torch

from . import distributed
from .cuda_graph import cuda_graphed
from ..losses import autoregressive_loss_from_logits, diffusion_loss_from_logits
from ..masking import forward_process
from .block_diffusion import block_diffusion_loss


def step_loss(model, x0, prompt_lengths, config, mask_id: int, generator=None,
              rows: slice | None = None, autocast=None):
    """The loss of one micro-batch x0 (B, T), of this rank's ``rows`` of it (all by default).

    MDM: masks are drawn for every row (so every rank draws the same), then ``rows`` are kept, and
    the loss is LLaDA's Eq. 3 (Eq. 5 with prompt lengths). AR: next-token cross-entropy.
    """
    rows = rows or slice(None)
    pl = prompt_lengths[rows] if prompt_lengths is not None else None
    autocast = autocast or torch.autocast("cpu", enabled=False)
    if config.objective == "ar":
        with autocast:
            logits = model(x0[rows])                                           # (b, T, V)
        return autoregressive_loss_from_logits(logits, x0[rows], pl)
    if config.objective == "bd3":          # block diffusion: one t per block (fast/block_diffusion.py)
        with autocast:
            return block_diffusion_loss(model, x0[rows], config.block_size, pl, eps=config.mask_eps,
                                        generator=generator)
    xt, masked, p_mask = forward_process(x0, mask_id, eps=config.mask_eps,
                                         prompt_lengths=prompt_lengths, generator=generator)
    with autocast:
        logits = model(xt[rows])                                               # (b, T, V)
    return diffusion_loss_from_logits(logits, x0[rows], masked[rows], p_mask[rows], pl)


def _fast_forward(model, config, device, dist, data):
    """(the network to call, the autocast context): the model itself, or wrapped for data
    parallelism (DDP), ``torch.compile`` or CUDA graphs; bf16 autocast on CUDA."""
    graphs = config.cuda_graph and device.type == "cuda"
    if graphs and dist.enabled:
        raise ValueError("cuda_graph=True does not support data parallelism (torchrun)")
    if config.objective == "bd3" and dist.enabled:
        raise ValueError("objective='bd3' trains in one process (its loss calls the model's layers, "
                         "which DDP does not wrap); run it without torchrun")
    autocast = torch.autocast("cuda", dtype=torch.bfloat16,
                              enabled=device.type == "cuda" and config.bf16, cache_enabled=not graphs)
    net = model
    if dist.enabled:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    if config.compile:
        net = torch.compile(net)
    if graphs:
        net = cuda_graphed(model, (config.batch_size, data.seq_len), autocast)   # fixed shapes
    return net, autocast


def _forward_backward(net, x0, prompt_lengths, config, mask_id: int, g_mask, dist,
                      autocast) -> float:
    """Accumulate the gradient of one step's batch over ``config.grad_accum`` micro-batches; returns
    the step's loss (averaged over ranks). Under data parallelism each micro-batch holds every
    rank's rows, masks are drawn for all of them, and this rank keeps its own slice."""
    rows_per_micro = config.batch_size * dist.world_size
    mine = slice(dist.rank * config.batch_size, (dist.rank + 1) * config.batch_size)  # within a micro
    total = torch.zeros((), device=x0.device)
    for micro in range(config.grad_accum):
        in_micro = slice(micro * rows_per_micro, (micro + 1) * rows_per_micro)
        pl = prompt_lengths[in_micro] if prompt_lengths is not None else None
        # gradients are averaged across ranks only on the last micro-batch
        sync = micro == config.grad_accum - 1 or not dist.enabled
        with (torch.enable_grad() if sync else net.no_sync()):
            loss = step_loss(net, x0[in_micro], pl, config, mask_id=mask_id, generator=g_mask, rows=mine,
                             autocast=autocast)
            loss = loss / config.grad_accum
            loss.backward()
        total += loss.detach()
    return float(distributed.mean_over_ranks(total, dist))


def step_function(model, optimizer, config, device, dist, data, g_mask):
    """``step(x0, prompt_lengths) -> loss``: one optimizer step on the global batch x0, with
    everything ``config`` and ``dist`` ask for (see the module docstring). The gradient is clipped
    to ``config.grad_clip`` (0: not clipped), as in ``train_step``."""
    net, autocast = _fast_forward(model, config, device=device, dist=dist, data=data)

    def step(x0, prompt_lengths) -> float:
        loss = _forward_backward(net, x0, prompt_lengths, config, mask_id=model.config.mask_id,
                                 g_mask=g_mask, dist=dist, autocast=autocast)
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss
    return step
