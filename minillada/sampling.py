"""Chapter 5: the reverse process, generating text by unmasking.

Generation runs the forward process backwards (LLaDA Sec. 2.4, Algorithms 4 and 5; the reference is
``generate.py`` in the LLaDA repository, whose names we keep). Start from a prompt followed by
``gen_length`` masks, then repeat for ``steps`` steps:

1. predict every masked position at once: x0 = argmax of the logits (with Gumbel noise, a sample);
2. give each prediction a confidence: its softmax probability (``"low_confidence"`` remasking,
   Algorithm 5) or a uniform random number (``"random"``, Algorithm 4, the literal reverse process);
3. keep the k most confident predictions and *remask* the rest. Kept tokens never change again.

Because the noise schedule is linear (Eq. 8), each step should reveal the same number of tokens:
``get_num_transfer_tokens`` spreads n masks over s steps as n // s each, one more in the first n % s.

Semi-autoregressive decoding (``block_length < gen_length``) splits the answer into blocks decoded
left to right; positions right of the current block are never revealed early.

This file is that algorithm and nothing else: :func:`generate` is the loop over blocks,
:func:`denoise` the loop over steps, :func:`remask_step` one step, with LLaDA's arguments. The
speed-ups of Fast-dLLM (Wu et al. 2025: confidence-threshold parallel decoding, the approximate
prefix KV cache), left-padded batches and the step-by-step ``Trace`` run the same loop in
:mod:`minillada.fast.sampling` (``generate_fast``, ``infill_fast``), which imports this module and
is never imported by it.

One deliberate difference from the reference: we set the ``[MASK]`` logit to -inf before choosing
x0, so the sampler can never "predict" a mask (which the reference may, and then writes a mask into
a position it counts as revealed).
"""

from __future__ import annotations

import torch

from .infra import checks, rng
from .guidance import guided_logits


def get_num_transfer_tokens(mask_index: torch.Tensor, steps: int) -> torch.Tensor:
    """How many masks to reveal at each step: (B, steps) for mask_index (B, L) bool.

    >>> get_num_transfer_tokens(torch.ones(1, 10, dtype=torch.bool), 4).tolist()
    [[3, 3, 2, 2]]
    """
    checks.positive_int(steps, "steps")
    mask_num = mask_index.sum(dim=1, keepdim=True)                               # (B, 1)
    base, remainder = mask_num // steps, mask_num % steps
    extra = torch.arange(steps, device=mask_index.device)[None, :] < remainder  # (B, steps)
    return base + extra.long()


def add_gumbel_noise(logits: torch.Tensor, temperature: float, generator=None) -> torch.Tensor:
    """Scores whose argmax is an exact sample from softmax(logits / temperature) (Gumbel-max).

    argmax_v (logits_v / T + g_v) with g_v = -log(-log u_v), u_v ~ U(0, 1), is distributed as
    softmax(logits / T). The reference writes the same thing as exp(logits) / (-log u)^T; we stay in
    log space, which has the same argmax and cannot overflow. Float64 as in the reference: in low
    precision the rounding of the noise visibly skews the samples (Zheng et al. 2024).
    ``temperature = 0`` returns the logits: greedy decoding.
    """
    if temperature == 0:
        return logits
    u = rng.rand(*logits.shape, device=logits.device, generator=generator, dtype=torch.float64)
    gumbel = -torch.log(-torch.log(u.clamp_min(1e-300)))
    return logits.double() / temperature + gumbel


def remask_step(logits, x, candidates, num_transfer, mask_id, temperature=0.0,
                remasking="low_confidence", threshold=None, generator=None):
    """One step of the reverse process: predict, score, reveal the most confident candidates.

    Args:
        logits: (B, T, V) model output for x.
        x: (B, T) current tokens; candidates: (B, T) bool, the masked positions this step may reveal.
        num_transfer: (B,) how many to reveal (without threshold; with it, the least to reveal).
        threshold: if set, also reveal every candidate whose confidence is at least this.

    Returns (new x, confidence (B, T) with -inf off the candidates, revealed (B, T) bool).
    """
    logits = logits.clone()
    logits[..., mask_id] = float("-inf")                     # never predict [MASK] (see module doc)
    # step 1 (Algorithm 4/5, line "predict x0"): every position's prediction, a sample or argmax
    x0 = add_gumbel_noise(logits, temperature, generator).argmax(dim=-1)        # (B, T)
    # step 2: a confidence per prediction; Algorithm 5 scores by probability, Algorithm 4 at random
    if remasking == "low_confidence":
        probs = logits.double().softmax(dim=-1)
        conf = probs.gather(-1, x0[..., None]).squeeze(-1)                      # (B, T)
    else:
        conf = rng.rand(*x.shape, device=x.device, generator=generator, dtype=torch.float64)
    conf = torch.where(candidates, conf, float("-inf"))     # only masked candidates compete
    # step 3: keep the k most confident, remask the rest: rank every position by confidence
    # (stable: ties go left), reveal those ranked below k
    order = conf.argsort(dim=1, descending=True, stable=True)
    rank = order.argsort(dim=1)                                                 # (B, T)
    k = num_transfer.reshape(-1, 1)
    revealed = (rank < k) & candidates
    if threshold is not None:                               # Fast-dLLM: and every confident one
        revealed |= candidates & (conf >= threshold)
    return torch.where(revealed, x0, x), conf, revealed


def denoise(model, x, region, steps, mask_id, temperature=0., remasking="low_confidence",
            cfg_scale=0., prompt_index=None, generator=None) -> torch.Tensor:
    """Reveal every mask of x (B, T) inside ``region`` (B, T) bool in exactly ``steps`` steps.

    The inner loop of LLaDA's Algorithm 5 (and of ``generate.py``): each step predicts every
    position and keeps the ``num_transfer[:, i]`` most confident predictions inside the region.
    ``prompt_index`` (T,) or (B, T) bool marks what classifier-free guidance hides (``cfg_scale > 0``).
    """
    # the linear schedule (Eq. 8): the region's masks spread evenly over the steps
    num_transfer = get_num_transfer_tokens(x.eq(mask_id) & region, steps)        # (B, steps)
    for i in range(steps):                          # t runs from 1 down to 0 in `steps` steps
        candidates = x.eq(mask_id) & region         # the masks this step may reveal  (B, T)
        # one model call predicts every position at once (with guidance: two, Eq. 16)
        if cfg_scale > 0:
            logits = guided_logits(model, x, prompt_index, cfg_scale=cfg_scale, mask_id=mask_id)
        else:
            logits = model(x)                                                    # (B, T, V)
        # predict, score, reveal num_transfer[:, i], remask the rest (Algorithm 4/5's body)
        x, _, _ = remask_step(logits, x, candidates, num_transfer=num_transfer[:, i], mask_id=mask_id,
                              temperature=temperature, remasking=remasking, generator=generator)
    return x


@torch.no_grad()
def generate(model, prompt, steps=128, gen_length=128, block_length=128, temperature=0.,
             cfg_scale=0., remasking="low_confidence", mask_id=None, generator=None):
    """Generate ``gen_length`` tokens after ``prompt`` (B, P) by iterative unmasking.

    Returns (B, P + gen_length) token ids. The arguments mean what they mean in LLaDA's
    ``generate.py``; the module docstring walks through the algorithm. For threshold decoding,
    the prefix cache, left-padded prompts or a trace of every step, use
    :func:`minillada.fast.sampling.generate_fast` (``ml.generate_fast``), the same loop with them.
    """
    prompt, mask_id, num_blocks = checks.generate_args(**locals())   # every argument, checked once
    B, P = prompt.shape
    # the answer starts as gen_length masks after the prompt
    x = torch.full((B, P + gen_length), mask_id, dtype=torch.long, device=prompt.device)
    x[:, :P] = prompt
    prompt_index = torch.arange(P + gen_length, device=x.device) < P             # (T,)
    # blocks are decoded left to right; within a block, steps // num_blocks steps of remasking
    for b in range(num_blocks):
        block = torch.zeros_like(x, dtype=torch.bool)                              # (B, T)
        block[:, P + b * block_length:P + (b + 1) * block_length] = True
        x = denoise(model, x, block, steps=steps // num_blocks, mask_id=mask_id,
                    temperature=temperature, remasking=remasking, cfg_scale=cfg_scale,
                    prompt_index=prompt_index, generator=generator)
    return x


@torch.no_grad()
def infill(model, x, steps=None, temperature=0., cfg_scale=0., remasking="low_confidence",
           mask_id=None, generator=None):
    """Fill the ``[MASK]`` positions of x (B, T), wherever they are, with the same remasking rules.

    Every mask is a candidate at every step (one block spanning the whole sequence); the other
    tokens are context and never change. ``steps`` defaults to the number of masks (one per step).
    For guidance, the unmasked tokens play the prompt. Threshold decoding and a trace: see
    :func:`minillada.fast.sampling.infill_fast`. Example, with a word tokenizer::

        x = torch.tensor([tok.encode("[MASK] [MASK] is a brave pilot .", allow_special=True)])
        filled = infill(model, x)          # the two masks become a name
    """
    x, mask_id, steps = checks.infill_args(**locals())              # every argument, checked once
    region = x.eq(mask_id)                                 # (B, T): every mask, wherever it is
    return denoise(model, x, region, steps=steps, mask_id=mask_id, temperature=temperature,
                   remasking=remasking,
                   cfg_scale=cfg_scale, prompt_index=~region, generator=generator)


@torch.no_grad()
def generate_autoregressive(model, prompt, max_new_tokens, temperature=0., generator=None,
                            eos_id=None, kv_cache=True):
    """Left-to-right generation for the ``causal=True`` baseline: one token per model call.

    Greedy at ``temperature=0``, else a sample from softmax(logits / temperature). With ``eos_id``,
    a row that has produced it keeps producing it, and generation stops when every row has.
    ``kv_cache`` (default on; exact for a causal model): the prompt is run once, then each call
    runs only the newest token against the cached keys and values of everything before it.
    """
    x = checks.generate_autoregressive_args(**locals())              # every argument, checked once
    done = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    kv = None
    for _ in range(max_new_tokens):
        if not kv_cache:
            logits = model(x)                                                    # (B, T, V)
        elif kv is None:
            logits, kv = model(x, use_cache=True)                                # the prompt, once
        else:
            logits, kv = model(x[:, -1:], past_kv=kv, use_cache=True)            # (B, 1, V)
        nxt = add_gumbel_noise(logits[:, -1], temperature, generator).argmax(dim=-1)  # (B,)
        if eos_id is not None:
            nxt = torch.where(done, eos_id, nxt)
            done |= nxt == eos_id
        x = torch.cat([x, nxt[:, None]], dim=1)
        if eos_id is not None and done.all():
            break
    return x
