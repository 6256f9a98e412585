"""Exercises of chapter 6: Training. Your file: fill in every stub.

Read GUIDE.md first (and the practice notebook beside it). Run the tests of one step with

    pytest exercises/06_training -m ex6_1

and your score with ``python -m exercises.grade``. The reference solutions are the
library's own functions (named in each error message's module below); the tests also
run against them with ``--impl=reference``.
"""

from __future__ import annotations

# ruff: noqa: F401  (the imports are the tools your solutions will need)
import math

import torch

from minillada.losses import diffusion_loss
from minillada.train import TrainConfig  # noqa: F401  (for the annotations)

# REFERENCE: where each exercise's solution lives in the library (the tests use it)
REFERENCE = {
    'lr_at': 'minillada.train',  # Exercise 6.1
    'train_step': 'minillada.train',  # Exercise 6.2
}


# ---- Exercise 6.1: lr_at -----------------------------------------------------

def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate for optimizer step ``step`` (0-based): linear warmup, then the schedule.

    >>> config = TrainConfig(lr=1.0, warmup_steps=10, max_steps=111, min_lr_ratio=0.0)
    >>> [round(lr_at(s, config), 3) for s in (0, 9, 10, 60, 110)]
    [0.1, 1.0, 1.0, 0.5, 0.0]
    """
    raise NotImplementedError(
        "Exercise 6.1: linear warmup to config.lr over warmup_steps; then constant, cosine down "
        "to lr * min_lr_ratio, or warmup-stable-decay")


# ---- Exercise 6.2: train_step ------------------------------------------------

def train_step(model, optimizer, x0, mask_id: int, prompt_lengths=None, grad_clip: float = 1.0,
               generator=None) -> float:
    """One optimizer step of LLaDA pre-training (Algorithm 1), or SFT (Algorithm 2) with
    ``prompt_lengths``: mask x0 (B, T) at a random rate t, predict, weight by 1/t, backpropagate,
    clip the gradient norm, step. Returns the loss. The :func:`train` loop does the same, plus
    schedules, accumulation, mixed precision and data parallelism.
    """
    raise NotImplementedError(
        "Exercise 6.2: loss = diffusion_loss(...); zero the gradients, backward, clip the norm, "
        "optimizer.step()")
