"""Chapter 6: training. Run: pytest exercises/06_training [-m ex6_2]"""

import math

import pytest
import torch

from exercises._helpers import tiny_model
from minillada.likelihood import diffusion_loss
from minillada.train import TrainConfig, lr_at, make_optimizer, train_step


@pytest.mark.ex6_1
def test_lr_warmup_and_cosine(ex):
    cfg = TrainConfig(lr=1.0, warmup_steps=10, max_steps=111, min_lr_ratio=0.0)
    assert [round(ex.lr_at(s, cfg), 3) for s in (0, 9, 10, 60, 110)] == [0.1, 1.0, 1.0, 0.5, 0.0]


@pytest.mark.ex6_1
@pytest.mark.parametrize("schedule", ["cosine", "wsd", "constant"])
def test_lr_matches_library(ex, schedule):
    cfg = TrainConfig(lr=3e-3, warmup_steps=7, max_steps=60, min_lr_ratio=0.1, schedule=schedule,
                      decay_fraction=0.25)
    for step in range(60):
        assert math.isclose(ex.lr_at(step, cfg), lr_at(step, cfg), rel_tol=1e-9, abs_tol=1e-12)


def batch(seed=0):
    return torch.randint(4, 16, (8, 12), generator=torch.Generator().manual_seed(seed))


@pytest.mark.ex6_2
@pytest.mark.parametrize("grad_clip", [1.0, 0.01])
def test_train_step_matches_library(ex, grad_clip):
    cfg = TrainConfig(lr=1e-2)
    a, b = tiny_model().train(), tiny_model().train()
    opt_a, opt_b = make_optimizer(a, cfg), make_optimizer(b, cfg)
    for step in range(3):
        la = ex.train_step(a, opt_a, batch(step), 1, grad_clip=grad_clip,
                           generator=torch.Generator().manual_seed(step))
        lb = train_step(b, opt_b, batch(step), 1, grad_clip=grad_clip,
                            generator=torch.Generator().manual_seed(step))
        assert isinstance(la, float) and math.isclose(la, lb, rel_tol=1e-5)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)


@pytest.mark.ex6_2
def test_train_step_learns(ex):
    """A few dozen steps on one batch must lower its loss (measured with many fixed masks)."""
    model = tiny_model().train()
    opt = make_optimizer(model, TrainConfig(lr=1e-2, weight_decay=0.0))
    x0 = batch(0)

    def held_out_loss():
        with torch.no_grad():
            return float(diffusion_loss(model, x0.repeat(32, 1), mask_id=1,
                                        generator=torch.Generator().manual_seed(123)))

    before = held_out_loss()
    g = torch.Generator().manual_seed(0)
    for _ in range(80):
        ex.train_step(model, opt, x0, 1, generator=g)
    assert held_out_loss() < 0.7 * before
