"""Chapter 5, one level down: decoding rules beyond LLaDA's two.

:func:`minillada.sampling.remask_step` gives each prediction one of two confidences (its softmax
probability, Algorithm 5, or a random number, Algorithm 4) and reveals the k most confident. Users of
masked diffusion models ask for more (MDLM issue 35, LLaDA issues 27 and 70, ReMDM issue 8); here
they are, as options of :func:`minillada.fast.sampling.generate_fast` and ``infill_fast``:

* **margin confidence** (``remasking="margin"``): p(1st) - p(2nd), the gap between the two most
  likely tokens at a position (Kim et al. 2025; Dream's ``margin_confidence``). A position torn
  between two tokens waits, however likely each of them is.
* **entropy confidence** (``remasking="entropy"``): -H(p) = sum_v p_v log p_v, which looks at the
  whole distribution, not only its top (Ben-Hamu et al. 2025; Dream's ``neg_entropy``). Zero (the
  most confident) when one token has all the mass.
* **top-k and top-p** (nucleus, Holtzman et al. 2020): before the Gumbel-max draw, every token
  outside the k most likely, or outside the smallest set whose probability reaches p, gets logit
  -inf, so the draw is a sample from the truncated, renormalised distribution. As in Dream, the
  confidence is then read from that truncated distribution too. The nucleus is taken of
  softmax(logits / temperature), the distribution being sampled (as Hugging Face's order of
  temperature then top-p does); at temperature 0 the draw is greedy and only the confidence changes.
* **remasking decoded tokens** (``remask_decoded=r``, after ReMDM, Wang et al. 2025): LLaDA never
  changes a token it has revealed, so an early mistake stays. ReMDM lets the reverse process put
  masks back. Our count version keeps LLaDA's step budget: every step but a block's last takes back
  the r decoded tokens of the block with the lowest confidence *recorded when they were revealed*
  (tokens revealed in this very step excepted), and the next step reveals r more than the plain
  schedule, so the block still ends, unmasked, after exactly its steps. A token taken back is
  predicted again from a context that has grown since. Where we differ from ReMDM: ReMDM remasks
  each decoded token at random with a probability sigma_t from its schedule (its "conf" schedule
  weights that probability by softmax(-confidence)); we take back a fixed number, the least
  confident first, so that the cost is the plain loop's and a seed reproduces a run.

:func:`decode_step` is ``remask_step`` with these rules; with the chapter's two rules and no
truncation it *is* ``remask_step`` (it calls it), and a test checks the rules on a model whose
distribution is known.
"""

from __future__ import annotations

import torch

from ..infra import rng
from ..sampling import add_gumbel_noise, remask_step


def truncate_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None,
                    temperature: float = 0.) -> torch.Tensor:
    """``logits`` (..., V) with -inf outside the ``top_k`` most likely tokens and outside the
    nucleus: the fewest most likely tokens whose probability under softmax(logits / temperature)
    (softmax(logits) at temperature 0) reaches ``top_p``. The most likely token always stays.

    >>> l = torch.tensor([[2., 1., 0., -1.]]).log_softmax(-1)    # p = 0.64, 0.24, 0.09, 0.03
    >>> truncate_logits(l, top_k=2).isinf().tolist()
    [[False, False, True, True]]
    >>> truncate_logits(l, top_p=0.8).isinf().tolist()            # 0.64 < 0.8 <= 0.64 + 0.24
    [[False, False, True, True]]
    """
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]                           # (..., 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        scaled = logits.double() / (temperature if temperature > 0 else 1.)
        probs, order = scaled.softmax(dim=-1).sort(dim=-1, descending=True)          # (..., V)
        # drop a token when the tokens more likely than it already reach top_p
        before = probs.cumsum(dim=-1) - probs
        drop_sorted = before >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)          # back to vocabulary order
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def confidence(logits: torch.Tensor, x0: torch.Tensor, rule: str, generator=None) -> torch.Tensor:
    """The confidence (B, T) float64 of the predictions ``x0`` (B, T) under ``logits`` (B, T, V).

    ``low_confidence``: p(x0); ``margin``: p(1st) - p(2nd); ``entropy``: sum p log p (= -H);
    ``random``: uniform noise. Larger is more confident in every rule.

    >>> l = torch.tensor([[[0.5, 0.5, 0.0], [0.45, 0.05, 0.5]]]).clamp_min(1e-9).log()
    >>> confidence(l, l.argmax(-1), "low_confidence").round(decimals=2).tolist()
    [[0.5, 0.5]]
    >>> confidence(l, l.argmax(-1), "margin").round(decimals=2).tolist()    # a tie, then a lead
    [[0.0, 0.05]]
    """
    if rule == "random":
        return rng.rand(*x0.shape, device=x0.device, generator=generator, dtype=torch.float64)
    probs = logits.double().softmax(dim=-1)                                        # (B, T, V)
    if rule == "low_confidence":
        return probs.gather(-1, x0[..., None]).squeeze(-1)
    if rule == "margin":
        top2 = probs.topk(2, dim=-1).values                                        # (B, T, 2)
        return top2[..., 0] - top2[..., 1]
    if rule == "entropy":
        return torch.where(probs > 0, probs * probs.log(), 0.).sum(dim=-1)        # -H, (B, T)
    raise ValueError(f"unknown confidence rule {rule!r}")


def decode_step(logits, x, candidates, num_transfer, mask_id, temperature=0.,
                remasking="low_confidence", threshold=None, generator=None, top_k=None, top_p=None):
    """:func:`minillada.sampling.remask_step` with every rule of the module docstring; the same
    arguments and returns (new x, confidence (B, T) with -inf off the candidates, revealed)."""
    if remasking in ("low_confidence", "random") and top_k is None and top_p is None:
        return remask_step(logits, x, candidates, num_transfer, mask_id, temperature=temperature,
                           remasking=remasking, threshold=threshold, generator=generator)
    logits = logits.clone()
    logits[..., mask_id] = float("-inf")                      # never predict [MASK], as remask_step
    logits = truncate_logits(logits, top_k, top_p, temperature)                    # (B, T, V)
    x0 = add_gumbel_noise(logits, temperature, generator).argmax(dim=-1)            # (B, T)
    conf = torch.where(candidates, confidence(logits, x0, remasking, generator), float("-inf"))
    # keep the k most confident (stable ranking, ties go left), as remask_step does
    rank = conf.argsort(dim=1, descending=True, stable=True).argsort(dim=1)        # (B, T)
    revealed = (rank < num_transfer.reshape(-1, 1)) & candidates
    if threshold is not None:
        revealed |= candidates & (conf >= threshold)
    return torch.where(revealed, x0, x), conf, revealed


def take_back(x, decoded_before, recorded_conf, count, mask_id):
    """Remask the ``count`` (B,) positions of ``decoded_before`` (B, T) bool with the lowest
    ``recorded_conf`` (B, T), fewer where a row has fewer. Returns (new x, how many per row (B,)).

    >>> x = torch.tensor([[5, 6, 7]]); conf = torch.tensor([[0.9, 0.2, 0.5]])
    >>> take_back(x, torch.tensor([[True, True, False]]), conf, torch.tensor([1]), mask_id=0)
    (tensor([[5, 0, 7]]), tensor([1]))
    """
    score = torch.where(decoded_before, recorded_conf.double(), float("inf"))
    rank = score.argsort(dim=1, stable=True).argsort(dim=1)                        # (B, T)
    count = torch.minimum(count, decoded_before.sum(dim=1))
    back = (rank < count.reshape(-1, 1)) & decoded_before
    return torch.where(back, mask_id, x), count
