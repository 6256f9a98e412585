"""Chapter 5, one level down: the same reverse process with its fast paths and its trace.

:func:`minillada.sampling.generate` is LLaDA's loop and nothing else. This module runs the same
loop (``generate_fast``, ``infill_fast``, public as ``ml.generate_fast`` and ``ml.infill_fast``)
with five additions, each of which changes how a step is computed but not what the algorithm
is (a test checks that both give the same tokens wherever their meanings coincide):

* ``threshold`` (Fast-dLLM, Wu et al. 2025, Sec. 3.2): a step reveals *every* masked position of
  the block whose confidence reaches the threshold, and a block that is done early ends early:
  easy spans take one model call. How many a step must reveal at least is where we differ from
  Fast-dLLM. Fast-dLLM reveals the most confident position plus everything above the threshold,
  and calls the model until the block is done, however many calls that takes. We keep ``steps``
  as a bound: with r masks left and s - i steps left, a step reveals at least ceil(r / (s - i))
  (and at least one), so a block never takes more than its share of ``steps`` calls. When a block
  has at least as many steps as positions the floor is one per step and the two rules agree; they
  differ only when a block has fewer steps than positions, where Fast-dLLM may spend more calls
  than asked and we may reveal a token below the threshold. Why: ``steps`` is the knob a user
  turns to budget the cost, and a threshold should only ever save calls; with a threshold that is
  never reached, the floor is exactly the plain schedule's count (:func:`get_num_transfer_tokens`).
* ``kv_cache`` (Fast-dLLM Sec. 3.1, the approximate prefix cache): the first step of each block
  runs the whole sequence and keeps the keys and values left of the block; the block's other steps
  run only the block and what follows, reusing those keys and values although the tokens they
  attended to have changed since. Faster for long prompts or many blocks, not exact for a
  bidirectional model (exact for a causal one); ``benchmarks/sampling_speed.py`` measures both.
* ``attention_mask`` (B, P): left-padded prompts of different lengths in one batch.
* decoding rules (:mod:`minillada.fast.decoding`): margin and entropy confidence
  (``remasking="margin"``, ``"entropy"``), top-k and top-p truncation before the Gumbel-max draw
  (``top_k``, ``top_p``), and ReMDM-style remasking of decoded tokens (``remask_decoded``).
* ``return_trace``: a :class:`Trace` of every step, for the pictures of
  :mod:`minillada.infra.plotting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..guidance import guided_logits
from ..infra import checks
from ..sampling import get_num_transfer_tokens
from .decoding import decode_step, take_back


@dataclass
class Trace:
    """What happened at every step of one :func:`generate_fast` or :func:`infill_fast` call.

    ``tokens[s]``: (B, T) the sequence after step s. ``confidence[s]``: (B, T) the confidence of each
    candidate position's prediction at step s (-inf elsewhere). ``revealed[s]``: (B, T) bool, the
    positions revealed at step s. ``model_calls``: forward passes (a guided step counts once).
    """

    start: torch.Tensor
    tokens: list = field(default_factory=list)
    confidence: list = field(default_factory=list)
    revealed: list = field(default_factory=list)
    model_calls: int = 0

    def reveal_step(self) -> torch.Tensor:
        """(B, T) long: the step at which each position was revealed, -1 if it was never masked."""
        step = torch.full(self.start.shape, -1, dtype=torch.long)
        for s, rev in enumerate(self.revealed):
            step[rev.cpu()] = s
        return step


def _logits_fn(model, prompt_index, cfg_scale, mask_id, attention_mask):
    """The model call of one step: guided (Eq. 16 of LLaDA), or plain with padding and caches."""
    def logits_of(x, **cache_args):
        if cfg_scale > 0:
            if attention_mask is not None:
                raise ValueError("cfg_scale > 0 with an attention_mask is not supported")
            return guided_logits(model, x, prompt_index, cfg_scale, mask_id)
        return model(x, attention_mask, **cache_args)
    return logits_of


def denoise_fast(logits_of, x, region, steps, mask_id, temperature, remasking, threshold, generator,
                 trace, cache_from=None, top_k=None, top_p=None, remask_decoded=0):
    """:func:`minillada.sampling.denoise` with threshold decoding, the prefix cache, the decoding
    rules of :mod:`minillada.fast.decoding` (``remasking``, ``top_k``, ``top_p``,
    ``remask_decoded``) and a trace.

    ``cache_from`` (prefix KV cache): the first step runs the whole sequence and keeps the keys and
    values of the positions left of ``cache_from``; later steps run only ``x[:, cache_from:]``
    against them. Everything left of ``cache_from`` must be outside ``region``.
    """
    start = cache_from or 0
    prefix_kv = None
    num_transfer = get_num_transfer_tokens(x.eq(mask_id) & region, steps)          # (B, steps)
    # remask_decoded: the confidence each token had when it was revealed, and how many tokens the
    # previous step took back (this step reveals that many more than the plain schedule)
    recorded = torch.full(x.shape, float("inf"), dtype=torch.float64, device=x.device)   # (B, T)
    taken_back = torch.zeros_like(num_transfer[:, 0])                                    # (B,)
    for i in range(steps):
        candidates = x.eq(mask_id) & region
        if threshold is not None:
            if not candidates.any():
                break                           # the block is done early: that is the speed-up
            # at least one per step, and enough to finish within the remaining steps (Fast-dLLM
            # has no such floor and no step limit: see the module docstring for why we do)
            remaining = candidates.sum(dim=1)
            least = torch.maximum((remaining + steps - i - 1) // (steps - i),
                                  remaining.clamp(max=1))
        else:
            least = num_transfer[:, i] + taken_back
        if cache_from is None:
            logits = logits_of(x)                                                # (B, T, V)
        elif prefix_kv is None:
            logits, kv = logits_of(x, use_cache=True)
            prefix_kv = [(k[:, :, :start], v[:, :, :start]) for k, v in kv]     # (B, H, start, D)
            logits = logits[:, start:]                                           # (B, T-start, V)
        else:
            logits = logits_of(x[:, start:], past_kv=prefix_kv)                  # (B, T-start, V)
        trace.model_calls += 1
        tail, conf, revealed = decode_step(logits, x[:, start:], candidates[:, start:], least,
                                           mask_id=mask_id, temperature=temperature,
                                           remasking=remasking, threshold=threshold,
                                           generator=generator, top_k=top_k, top_p=top_p)
        x = torch.cat([x[:, :start], tail], dim=1)
        if not remask_decoded and trace.start is None:
            continue                            # the plain path needs nothing more of this step
        left = revealed.new_zeros(x.shape[0], start)                              # (B, start)
        revealed = torch.cat([left, revealed], dim=1)                             # (B, T)
        conf = torch.cat([left.double() - float("inf"), conf.double()], dim=1)     # (B, T)
        if remask_decoded and i < steps - 1:
            # ReMDM-style: take back the least confident tokens revealed at earlier steps
            recorded = torch.where(revealed, conf, recorded)
            decoded_before = region & x.ne(mask_id) & ~revealed          # not this step's reveals
            x, taken_back = take_back(x, decoded_before, recorded, taken_back.new_full(
                taken_back.shape, remask_decoded), mask_id)
        if trace.start is not None:
            trace.tokens.append(x.clone())
            trace.confidence.append(conf.float())
            trace.revealed.append(revealed)
    return x


@torch.no_grad()
def generate_fast(model, prompt, steps=128, gen_length=128, block_length=128, temperature=0.,
                  cfg_scale=0., remasking="low_confidence", mask_id=None, threshold=None,
                  attention_mask=None, generator=None, return_trace=False, kv_cache=False,
                  top_k=None, top_p=None, remask_decoded=0):
    """:func:`minillada.sampling.generate` with its options (see the module docstring); returns
    (B, P + gen_length) token ids, and the :class:`Trace` too with ``return_trace``."""
    prompt, mask_id, num_blocks = checks.generate_fast_args(**locals())
    B, P = prompt.shape
    x = torch.full((B, P + gen_length), mask_id, dtype=torch.long, device=prompt.device)
    x[:, :P] = prompt
    if attention_mask is not None:
        attention_mask = checks.padding_mask(attention_mask, (B, P), x.device)     # (B, P) bool
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(B, gen_length)], dim=1)
    prompt_index = torch.arange(P + gen_length, device=x.device) < P
    logits_of = _logits_fn(model, prompt_index, cfg_scale=cfg_scale, mask_id=mask_id,
                           attention_mask=attention_mask)
    trace = Trace(start=x.clone() if return_trace else None)
    positions = torch.arange(P + gen_length, device=x.device)
    for b in range(num_blocks):
        lo, hi = P + b * block_length, P + (b + 1) * block_length
        region = ((positions >= lo) & (positions < hi)).expand(B, -1)
        x = denoise_fast(logits_of, x, region, steps // num_blocks, mask_id=mask_id,
                         temperature=temperature, remasking=remasking, threshold=threshold,
                         generator=generator, trace=trace, cache_from=lo if kv_cache else None,
                         top_k=top_k, top_p=top_p, remask_decoded=remask_decoded)
    return (x, trace) if return_trace else x


@torch.no_grad()
def infill_fast(model, x, steps=None, temperature=0., cfg_scale=0., remasking="low_confidence",
                mask_id=None, threshold=None, generator=None, return_trace=False, top_k=None,
                top_p=None, remask_decoded=0):
    """:func:`minillada.sampling.infill` with threshold decoding, the decoding rules of
    :mod:`minillada.fast.decoding` and a trace."""
    x, mask_id, steps = checks.infill_fast_args(**locals())
    region = x.eq(mask_id)
    logits_of = _logits_fn(model, ~region, cfg_scale=cfg_scale, mask_id=mask_id, attention_mask=None)
    trace = Trace(start=x.clone() if return_trace else None)
    x = denoise_fast(logits_of, x, region, steps, mask_id=mask_id, temperature=temperature,
                     remasking=remasking, threshold=threshold, generator=generator, trace=trace,
                     top_k=top_k, top_p=top_p, remask_decoded=remask_decoded)
    return (x, trace) if return_trace else x
