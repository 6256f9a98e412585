"""Chapter 6: training. Run: pytest exercises/06_training [-m ex6_2]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. The training probes hand back the trained weights, and the judge
measures them itself.
"""

import math

import torch

from exercises._checks import check, expect_type
from exercises._helpers import tiny_model
from minillada.losses import diffusion_loss
from minillada.train import TrainConfig, lr_at, make_optimizer, train_step

# ---- 6.1 lr_at ---------------------------------------------------------------------------------


def probe_lr_small(ex):
    config = TrainConfig(lr=1.0, warmup_steps=10, max_steps=111, min_lr_ratio=0.0)
    return [ex.lr_at(s, config) for s in (0, 9, 10, 60, 110)]


@check("6.1", probe_lr_small)
def test_lr_warmup_and_cosine(got):
    """warmup: step s < warmup_steps gets lr (s + 1) / warmup_steps (0.1 at step 0 of 10); then a
    cosine from lr at step warmup_steps to lr * min_lr_ratio at step max_steps - 1"""
    for v in got:
        expect_type(v, float, "lr_at")
    assert [round(v, 3) for v in got] == [0.1, 1.0, 1.0, 0.5, 0.0]


SCHEDULE = dict(lr=3e-3, warmup_steps=7, max_steps=60, min_lr_ratio=0.1, decay_fraction=0.25)
# the schedules of the comparison; in "wsd_truncated" decay_fraction * max_steps = 18.6 is no whole
# number, so int (18 decay steps), round and ceil (19) disagree
SCHEDULES = {"cosine": dict(schedule="cosine"), "wsd": dict(schedule="wsd"),
             "constant": dict(schedule="constant"),
             "wsd_truncated": dict(schedule="wsd", decay_fraction=0.31)}


def schedule_config(name):
    return TrainConfig(**{**SCHEDULE, **SCHEDULES[name]})


def probe_lr_schedule(ex, name):
    config = schedule_config(name)
    return [ex.lr_at(step, config) for step in range(70)]


@check("6.1", probe_lr_schedule, params=list(SCHEDULES))
def test_lr_matches_library(got, param):
    """equals the library at every step 0..69 of a 60-step run (past max_steps the rate stays at
    its final value) for the cosine, wsd (warmup, constant lr, then a linear decay over the last
    decay_fraction of max_steps, the D = int(decay_fraction * max_steps) steps from step
    S = max_steps - D, to lr * min_lr_ratio) and constant schedules; wsd_truncated has
    decay_fraction 0.31, where int(0.31 * 60) = 18 decay steps, not round's or ceil's 19"""
    config = schedule_config(param)
    for step, mine in enumerate(got):
        want = lr_at(step, config)
        expect_type(mine, float, "lr_at", f"the rate of step {step}")
        assert math.isclose(mine, want, rel_tol=1e-9, abs_tol=1e-12), f"step {step}: {mine} != {want}"


# ---- 6.2 train_step ----------------------------------------------------------------------------

def batch(seed=0):
    return torch.randint(4, 16, (8, 12), generator=torch.Generator().manual_seed(seed))


PROMPTS = [3, 0, 5, 2, 4, 1, 6, 3]


def run_steps(train_step_fn, grad_clip, sft, mask_id=1, steps=3):
    """Three optimizer steps of a tiny model; returns (losses, final weights)."""
    model = tiny_model().train()
    opt = make_optimizer(model, TrainConfig(lr=1e-2))
    losses = [train_step_fn(model, opt, batch(step), mask_id,
                            prompt_lengths=torch.tensor(PROMPTS) if sft else None,
                            grad_clip=grad_clip, generator=torch.Generator().manual_seed(step))
              for step in range(steps)]
    return losses, {k: v.detach().clone() for k, v in model.state_dict().items()}


CASES = ["clip1", "clip0.01", "clip0", "sft", "mask2"]
ARGS = {"clip1": (1.0, False, 1), "clip0.01": (0.01, False, 1), "clip0": (0.0, False, 1),
        "sft": (1.0, True, 1), "mask2": (1.0, False, 2)}


def probe_train_step(ex, case):
    return run_steps(ex.train_step, *ARGS[case])


@check("6.2", probe_train_step, params=CASES)
def test_train_step_matches_library(got, param):
    """three steps give the library's losses (returned as floats) and weights: the loss of
    diffusion_loss with the generator, prompt_lengths (SFT) and mask_id passed on (mask_id = 2 here,
    not the model's 1), gradients zeroed before backward, the gradient norm clipped to grad_clip
    (grad_clip = 0: not clipped at all), one optimizer step"""
    losses, weights = got
    want_losses, want_weights = run_steps(train_step, *ARGS[param])
    for step, (mine, want) in enumerate(zip(losses, want_losses)):
        expect_type(mine, float, "train_step", f"the loss of step {step}")
        assert math.isclose(mine, want, rel_tol=1e-5), f"step {step}: loss {mine} != {want}"
    assert len(losses) == 3
    for name, w in want_weights.items():
        assert torch.allclose(weights[name], w, atol=1e-6), f"{name} differs after 3 steps"


def held_out_loss(weights):
    model = tiny_model()
    model.load_state_dict(weights)
    with torch.no_grad():
        return float(diffusion_loss(model, batch(0).repeat(16, 1), mask_id=1,
                                    generator=torch.Generator().manual_seed(123)))


def probe_train_step_learns(ex):
    model = tiny_model().train()
    opt = make_optimizer(model, TrainConfig(lr=3e-2, weight_decay=0.0))
    g = torch.Generator().manual_seed(0)
    for _ in range(25):
        ex.train_step(model, opt, batch(0), 1, generator=g)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@check("6.2", probe_train_step_learns)
def test_train_step_learns(got):
    """25 steps on one batch lower its loss (measured by the grader on the returned weights, with
    many fixed masks) by at least a quarter"""
    before = held_out_loss(tiny_model().state_dict())
    assert held_out_loss(got) < 0.75 * before
