"""Sampling speed and quality: how many model calls an answer costs, and what fewer calls lose.

Part 1, a trained toy model. We train an MDM and its AR twin on the couplets reversal task (rows
padded so that every answer is decoded as 8 positions: 3 words, ".", and [EOS] padding) and answer
the forward and the reversed questions of the test couplets one at a time (batch 1), with:

* low-confidence and random remasking at 8, 4, 2 and 1 steps (8 steps = one token per call);
* semi-autoregressive blocks (block_length 4 and 2, 8 steps);
* confidence-threshold decoding (Fast-dLLM) at several thresholds, at most 8 steps;
* the prefix KV cache (``kv_cache=True``) with blocks;
* the AR baseline, greedy, with and without its KV cache.

For each: exact-match accuracy (mean of the forward and reversed questions), model calls per
answer, and answers per second (median over repeats).

Part 2, a long answer. The prefix cache pays off when the prefix is long: an untrained model
decodes ``gen_length=256`` in blocks of 32, one token per step, after a long prompt, with and
without the cache, interleaved over repeats; we report the median seconds and the speed-up.

    python -m benchmarks.sampling_speed [--device auto] [--steps 1500] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from minillada import Transformer
from minillada.reversal import ReversalConfig, build_data, make_task, train_model
from minillada.fast.sampling import generate_fast
from minillada.sampling import generate_autoregressive
from minillada.train import resolve_device

from .common import model_config, print_table, sync, write_json
from .reversal_seeds import BASELINE

GEN = 8                                    # positions the MDM decodes after each question

# (name, keyword arguments of generate); every MDM configuration decodes GEN positions
MDM_CONFIGS = [
    ("low-confidence, 8 steps", dict(steps=8)),
    ("low-confidence, 4 steps", dict(steps=4)),
    ("low-confidence, 2 steps", dict(steps=2)),
    ("low-confidence, 1 step", dict(steps=1)),
    ("random, 8 steps", dict(steps=8, remasking="random")),
    ("random, 4 steps", dict(steps=4, remasking="random")),
    ("random, 2 steps", dict(steps=2, remasking="random")),
    ("blocks of 4, 8 steps", dict(steps=8, block_length=4)),
    ("blocks of 2, 8 steps", dict(steps=8, block_length=2)),
    ("threshold 0.95", dict(steps=8, threshold=0.95)),
    ("threshold 0.9", dict(steps=8, threshold=0.9)),
    ("threshold 0.8", dict(steps=8, threshold=0.8)),
    ("threshold 0.7", dict(steps=8, threshold=0.7)),
    ("threshold 0.5", dict(steps=8, threshold=0.5)),
    ("blocks of 4 + prefix cache", dict(steps=8, block_length=4, kv_cache=True)),
    ("blocks of 2 + prefix cache", dict(steps=8, block_length=2, kv_cache=True)),
    ("blocks of 4 + cache + thr 0.9", dict(steps=8, block_length=4, kv_cache=True, threshold=0.9)),
]
AR_CONFIGS = [("AR greedy + KV cache", dict(kv_cache=True)), ("AR greedy, no cache", dict(kv_cache=False))]


def questions(task, tok, device):
    """[(prompt ids (1, P), answer ids (A,))] for the forward and the reversed test questions."""
    out = []
    for direction in ("forward", "reversed"):
        for f in task.forward_only:
            prompt, answer = task.question(f, direction)
            out.append((direction, torch.tensor([tok.encode(prompt)], device=device),
                        torch.tensor(tok.encode(answer), device=device)))
    return out


def answer_all(model, qs, kwargs) -> tuple[dict, float, float]:
    """Accuracy per direction, mean model calls per answer, and seconds for the whole pass."""
    hits, calls = {"forward": [], "reversed": []}, []
    device = model.device
    sync(device)
    t0 = time.perf_counter()
    for direction, P, A in qs:
        n = P.shape[1]
        if model.config.causal:
            x = generate_autoregressive(model, P, len(A), **kwargs)
            calls.append(len(A))
        else:
            x, trace = generate_fast(model, P, gen_length=GEN, return_trace=True,
                                     **{"block_length": GEN, **kwargs})
            calls.append(trace.model_calls)
        hits[direction].append(bool((x[0, n:n + len(A)] == A).all()))
    sync(device)
    seconds = time.perf_counter() - t0
    acc = {d: sum(h) / len(h) for d, h in hits.items()}
    return acc, sum(calls) / len(calls), seconds


def toy_table(args, device) -> list[dict]:
    # the recipe the recorded tables were trained with (commit 46ecd43's), not today's default
    config = ReversalConfig(**{**BASELINE, "task": "couplets", "steps": args.steps}, seed=args.seed,
                            device=str(device), progress=False)
    if args.quick:
        config.n_facts, config.d_model, config.n_layers = 30, 32, 1
    task = make_task(config.task, config.n_facts, config.paired_fraction, config.seed)
    # rows padded to 4 + GEN tokens: question (4 tokens) + answer (3 words, ".") + [EOS] padding
    tok, data, seq_len = build_data(task, seq_len=4 + GEN)
    models = {}
    for objective in ("mdm", "ar"):
        t0 = time.perf_counter()
        models[objective], _ = train_model(config, objective, tok, data, seq_len)
        print(f"trained the {objective} model in {time.perf_counter() - t0:.0f} s")
    qs = questions(task, tok, device)
    configs = [("mdm", n, k) for n, k in MDM_CONFIGS] + [("ar", n, k) for n, k in AR_CONFIGS]
    if args.quick:
        configs = configs[:1] + configs[9:10] + configs[14:15] + configs[-2:]
    times = {name: [] for _, name, _ in configs}
    results = {}
    for _ in range(args.repeats):          # interleaved, so drift in the machine hits all alike
        for objective, name, kwargs in configs:
            acc, calls, secs = answer_all(models[objective], qs, kwargs)
            results[name] = (objective, acc, calls)
            times[name].append(secs)
    rows = []
    for objective, name, _ in configs:
        _, acc, calls = results[name]
        secs = statistics.median(times[name])
        rows.append({"decoder": name, "model": objective, "forward": acc["forward"],
                     "reversed": acc["reversed"], "accuracy": (acc["forward"] + acc["reversed"]) / 2,
                     "calls_per_answer": calls, "answers_per_s": len(qs) / secs})
    return rows


def long_answer(args, device, preset: str, batch: int) -> dict:
    """Seconds to decode ``gen_length`` tokens in blocks, with and without the prefix cache."""
    gen, block, prompt_len = args.gen_length, args.block_length, args.prompt_length
    torch.manual_seed(0)
    config = model_config(preset, max_seq_len=prompt_len + gen, vocab_size=512, mask_id=1)
    model = Transformer(config).to(device).eval()
    prompt = torch.randint(4, 512, (batch, prompt_len), device=device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    seconds = {False: [], True: []}
    for rep in range(args.repeats + 1):                      # the first round is a warm-up
        for cache in (False, True):
            sync(device)
            t0 = time.perf_counter()
            with autocast:
                generate_fast(model, prompt, steps=gen, gen_length=gen, block_length=block,
                              kv_cache=cache)
            sync(device)
            if rep:
                seconds[cache].append(time.perf_counter() - t0)
    plain, cached = statistics.median(seconds[False]), statistics.median(seconds[True])
    return {"preset": preset, "params": model.num_params(), "batch": batch,
            "prompt_length": prompt_len, "gen_length": gen, "block_length": block, "steps": gen,
            "seconds_no_cache": plain, "seconds_prefix_cache": cached, "speedup": plain / cached}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=1500, help="training steps of the toy models")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gen-length", type=int, default=256)
    ap.add_argument("--block-length", type=int, default=32)
    ap.add_argument("--prompt-length", type=int, default=256)
    ap.add_argument("--long-preset", nargs="+", default=None, help="models of part 2: tiny, gpu "
                    "or 100m (default: tiny on CPU, gpu on CUDA)")
    ap.add_argument("--long-batch", type=int, nargs="+", default=[1], help="batch sizes of part 2")
    ap.add_argument("--skip-toy", action="store_true", help="only part 2")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    args.long_preset = args.long_preset or ["gpu" if device.type == "cuda" else "tiny"]
    if args.quick:
        args.steps, args.repeats, args.gen_length, args.block_length = 20, 1, 16, 8
        args.prompt_length = 8
    rows = [] if args.skip_toy else toy_table(args, device)
    if rows:
        print_table(rows, ["decoder", "model", "forward", "reversed", "accuracy",
                           "calls_per_answer", "answers_per_s"])
    long = [long_answer(args, device, preset, b) for preset in args.long_preset
            for b in args.long_batch]
    print(f"\nprefix cache: prompt {args.prompt_length}, gen_length {args.gen_length}, block "
          f"{args.block_length}, one token per step:")
    print_table(long, ["preset", "params", "batch", "seconds_no_cache", "seconds_prefix_cache",
                       "speedup"])
    # part 2 alone gets its own file, so that it never replaces a part 1 table
    name = (f"sampling_speed_{device.type}" + ("_long" if args.skip_toy else "")
            + ("_quick" if args.quick else ""))
    write_json(name, {"device": str(device), "toy": rows, "long_answer": long,
                      "settings": vars(args)}, args.out)
    return rows, long


if __name__ == "__main__":
    main()
