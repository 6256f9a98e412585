"""Chapter 7, second experiment: an AR model turned into a diffusion model (Dream, Ye et al. 2025;
DiffuLLaMA, Gong et al. 2025), asked the reversed questions.

The reversal curse of :func:`minillada.reversal.run` is a property of how a model was *trained*:
the AR model only ever predicted tokens from their left context. Large diffusion models are often
not trained from scratch but converted from AR ones: the same weights, the attention mask switched
off, trained on with the diffusion loss. So we ask: does an AR model that has learned the facts
forward gain the reversed answers once it is converted, and after how many diffusion steps,
compared with an MDM trained from scratch?

:func:`convert` runs three models on the same task, all with the experiment's recipe (size,
optimizer, batch, learning rate and its warmup):

1. ``ar``: the AR twin, trained exactly as ``run`` trains it, with its early stop on the forward
   answers;
2. ``converted``: a ``causal=False`` model that starts from the AR model's weights and is trained
   with the diffusion loss (LLaDA Eq. 3) for ``diffusion_steps`` steps, a fresh optimizer and
   learning-rate schedule;
3. ``mdm``: the MDM from scratch, for the same steps with the same rule.

We do not shift the logits as Dream does: position i predicts token i, as every MDM of this library
does (see ``cli._init_from``). The AR head predicted token i + 1 at position i, so right after the
conversion the model answers almost nothing, forward included, and the first diffusion steps
relearn that alignment. The converted model and the scratch MDM draw the same batches and the same
masks (``train`` seeds both from ``config.seed``): their curves differ only in the starting weights.

The stopping rule of the two diffusion models is not ``run``'s: the forward answers come back soon
after the conversion, and stopping there would cut the curve we want. Both are evaluated at step 0
and every ``config.eval_every`` steps, and stop once they have answered more than
``config.stop_forward`` of the *reversed* questions at ``config.stop_patience`` evaluations in a
row (:func:`learned_reversed`: the curve has reached its ceiling and more steps would only repeat
it; the point at step 0 counts among them), or after ``diffusion_steps``. ``stop_forward=None``
trains every step of every model.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..infra import checks
from . import ReversalConfig, _above, _setup, _train_and_score


def learned_reversed(curve: list, config: ReversalConfig) -> bool:
    """The diffusion stage's stop: more than ``config.stop_forward`` of the reversed questions
    answered at each of the last ``config.stop_patience`` points of the curve."""
    return _above(curve, config, "reversed")


def convert(config: ReversalConfig, diffusion_steps: int | None = None) -> dict:
    """Train the AR model, convert it to an MDM and train that on with the diffusion loss; train an
    MDM from scratch for comparison. ``diffusion_steps`` (default ``config.steps``) bounds both
    diffusion models.

    Returns :func:`~minillada.reversal.run`'s keys for "ar", "converted" and "mdm" (so ``report``
    and the plots of ``run`` apply to "ar" and "mdm"), plus "diffusion_steps" and "wall_seconds".
    ``results["curves"]["converted"]`` is the curve: points ``{"step", "forward", "reversed"}``,
    the first at step 0, right after the conversion and before any diffusion step."""
    diffusion_steps = config.steps if diffusion_steps is None else diffusion_steps
    checks.positive_int(diffusion_steps, "diffusion_steps")
    t0 = time.perf_counter()
    setup = _setup(config)             # the task, tokenizer and rows of run(config)
    results = setup[-1]
    ar = _train_and_score(config, "ar", setup)                      # as run() trains it
    stage = replace(config, steps=diffusion_steps)                  # the diffusion stage's length
    # the AR weights, the attention now bidirectional (objective "mdm" builds causal=False)
    _train_and_score(stage, "mdm", setup, name="converted", init_from=ar, stop=learned_reversed,
                     from_step_zero=True)
    _train_and_score(stage, "mdm", setup, stop=learned_reversed, from_step_zero=True)
    results["diffusion_steps"] = diffusion_steps
    results["wall_seconds"] = time.perf_counter() - t0
    return results
