"""Several processes, one model: the little that data parallelism needs.

``torchrun --nproc_per_node=N -m minillada train ...`` starts N copies of the program with the
environment variables RANK, LOCAL_RANK and WORLD_SIZE set. Each copy (a *rank*) holds the whole
model, trains on its own rows of every global batch, and DistributedDataParallel averages the
gradients across ranks after each backward pass, so every rank takes the same optimizer step and
the copies stay identical. Only rank 0 prints and writes checkpoints.

Without those variables everything here is a no-op for a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device_type: str) -> DistInfo:
    """Join the process group when launched by torchrun (NCCL on GPUs, gloo on CPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return info


def mean_over_ranks(value: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """The average of a scalar tensor over all ranks (itself when there is one process)."""
    if not info.enabled:
        return value
    value = value.detach().clone()
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value / info.world_size


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
