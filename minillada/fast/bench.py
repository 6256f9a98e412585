"""The efficiency report of ``python -m minillada bench --ckpt DIR`` (issue 29): what each decoder
costs on a checkpoint and its own text.

For a masked diffusion model the decoders are the plain loop of chapter 5 (one block, one token a
step: LLaDA's ``generate``), LLaDA's semi-autoregressive blocks, and the two fast paths of
:mod:`minillada.fast.sampling` on those blocks: Fast-dLLM's confidence threshold and its prefix
cache. For an autoregressive model: one token per call, with and without its exact KV cache. For a
block-diffusion model (``objective="bd3"``): its own sampler, with and without its exact cache.
Each decoder continues the same prompts, windows of the held-out 10% of the text (the split the
training loop validates on), and is timed ``repeats`` times after one untimed warm-up call. Four
numbers per decoder:

* **model calls per token**: forward passes of the network (a hook counts every call) divided by
  the tokens one sequence generates. A batch shares its calls, so the batch size does not enter:
  the plain loop makes exactly 1.0, a threshold fewer.
* **tokens per second**: generated tokens of every row of the batch, over the median wall time of
  one call. Only generated positions count, never the prompt: counting the prompt, or one row of
  a batch, is how throughput gets misreported (Fast-dLLM issue 15).
* **latency**: the median wall time of one call for the whole batch, in seconds.
* **peak memory**: on CUDA, the most memory the call allocated above what was held before it
  (``torch.cuda.max_memory_allocated``, reset before each decoder), in MB; on a CPU, not measured
  (torch keeps no such count there), so ``None``.

Example, on a random tiny network (the numbers of a real run come from the command line)::

    >>> import torch
    >>> from minillada.model import ModelConfig, Transformer
    >>> torch.manual_seed(0) and None
    >>> model = Transformer(ModelConfig(vocab_size=12, mask_id=11, d_model=16, n_layers=1, n_heads=2)).eval()
    >>> rows = bench(model, torch.randint(0, 11, (2, 4)), gen_length=8, block_length=4, repeats=1)
    >>> [(r["decoder"], r["model_calls_per_token"]) for r in rows][:3]
    [('plain', 1.0), ('blocks', 1.0), ('prefix cache', 1.0)]
"""

from __future__ import annotations

import statistics
import time

import torch

from ..infra import checks
from ..infra.progress import progress_bar
from ..sampling import generate, generate_autoregressive
from .block_diffusion import generate_blocks
from .sampling import generate_fast

THRESHOLD = 0.9        # Fast-dLLM's default confidence threshold


def mdm_decoders(gen_length: int, block_length: int) -> dict:
    """name -> a function of (model, prompt) that generates ``gen_length`` tokens, one per step."""
    L, B = gen_length, block_length
    return {
        "plain": lambda m, p: generate(m, p, steps=L, gen_length=L, block_length=L),
        "blocks": lambda m, p: generate(m, p, steps=L, gen_length=L, block_length=B),
        "prefix cache": lambda m, p: generate_fast(m, p, steps=L, gen_length=L, block_length=B,
                                                   kv_cache=True),
        "threshold": lambda m, p: generate_fast(m, p, steps=L, gen_length=L, block_length=B,
                                                threshold=THRESHOLD),
        "threshold + prefix cache": lambda m, p: generate_fast(m, p, steps=L, gen_length=L,
                                                               block_length=B, threshold=THRESHOLD,
                                                               kv_cache=True),
    }


def ar_decoders(gen_length: int) -> dict:
    """The autoregressive model's two decoders, one token per call."""
    return {
        "no cache": lambda m, p: generate_autoregressive(m, p, gen_length, kv_cache=False),
        "kv cache": lambda m, p: generate_autoregressive(m, p, gen_length, kv_cache=True),
    }


def bd3_decoders(gen_length: int, block_size: int) -> dict:
    """A block-diffusion model's sampler (:mod:`minillada.fast.block_diffusion`), one token a step,
    in the blocks it was trained with."""
    return {
        "block diffusion, no cache": lambda m, p: generate_blocks(m, p, gen_length, block_size,
                                                                  kv_cache=False),
        "block diffusion + exact cache": lambda m, p: generate_blocks(m, p, gen_length, block_size),
    }


def held_out_prompts(text: str, tokenizer, n: int, prompt_length: int, seed: int = 0) -> torch.Tensor:
    """(n, prompt_length) windows of the last 10% of ``text``, drawn with ``seed``."""
    from ..data import TextDataset
    held_out = TextDataset.from_text(text, tokenizer, prompt_length).split(0.1)[1]
    return held_out.sample(n, torch.Generator().manual_seed(seed))[0]


def bench(model, prompts, gen_length: int, block_length: int, repeats: int = 3,
          progress: bool = False, block_size: int | None = None) -> list[dict]:
    """One row of the four numbers per decoder (see the module docstring) for ``prompts`` (B, P);
    ``block_size``: the model is a block-diffusion model with blocks of that many tokens."""
    checks.bench_args(**locals())                              # every argument, checked once
    if block_size is not None:
        decoders = bd3_decoders(gen_length, block_size)
    elif model.config.causal:
        decoders = ar_decoders(gen_length)
    else:
        decoders = mdm_decoders(gen_length, block_length)
    device = next(model.parameters()).device
    prompts = prompts.to(device)
    calls = [0]
    # every forward pass embeds its input once, the block sampler's (which calls the layers itself)
    # included: so we count calls at the embedding
    hook = model.embed.register_forward_pre_hook(lambda module, args: calls.__setitem__(0, calls[0] + 1))
    rows = []
    try:
        for name in progress_bar(decoders, disable=not progress, desc="bench"):
            run = decoders[name]
            run(model, prompts)                                    # warm-up, untimed
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
            held = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
            seconds = []
            for _ in range(repeats):
                calls[0] = 0
                t0 = time.perf_counter()
                out = run(model, prompts)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                seconds.append(time.perf_counter() - t0)
            generated = out.shape[1] - prompts.shape[1]            # per row
            latency = statistics.median(seconds)
            peak = ((torch.cuda.max_memory_allocated(device) - held) / 2**20
                    if device.type == "cuda" else None)
            rows.append({"decoder": name, "model_calls_per_token": calls[0] / generated,
                         "tokens_per_s": prompts.shape[0] * generated / latency,
                         "latency_s": latency, "peak_memory_mb": peak,
                         "batch": prompts.shape[0], "prompt_length": prompts.shape[1],
                         "gen_length": generated})
    finally:
        hook.remove()
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (what ``bench`` prints).

    >>> print(table([{"decoder": "plain", "model_calls_per_token": 1.0, "tokens_per_s": 250.0,
    ...               "latency_s": 0.256, "peak_memory_mb": None}]))
    | decoder | model calls per token | tokens per second | latency (s) | peak memory (MB) |
    |---|---|---|---|---|
    | plain | 1.00 | 250.0 | 0.256 | - |
    """
    out = ["| decoder | model calls per token | tokens per second | latency (s) | peak memory (MB) |",
           "|---|---|---|---|---|"]
    for r in rows:
        peak = "-" if r["peak_memory_mb"] is None else f"{r['peak_memory_mb']:.1f}"
        out.append(f"| {r['decoder']} | {r['model_calls_per_token']:.2f} | {r['tokens_per_s']:.1f} | "
                   f"{r['latency_s']:.3f} | {peak} |")
    return "\n".join(out)
