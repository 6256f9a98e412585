"""Block diffusion (BD3-LM) against LLaDA's blocks: the speed of a long answer, and the bound.

Part 1, speed. One untrained ``tiny``-preset network decodes a 256-token answer after a 256-token
prompt, one token a step in blocks of 32, four ways, interleaved over repeats (median seconds):
LLaDA's blocks (``generate_fast``) without and with the approximate prefix cache, and the
block-diffusion sampler (``generate_blocks``) without and with its exact cache. The weights do not
matter for speed; the work per call does (LLaDA's prefix cache still runs the current block *and
everything right of it*; block diffusion runs the current block alone).

Part 2, the bound. The README's Shakespeare recipe (``benchmarks/shakespeare_sample.py``'s flags:
32 x 128 characters, Muon, lr 3e-3, wsd, 1250 steps) trained with ``--objective bd3 --block-size
16`` through the command line; its validation bound in nats per character beside the shipped MDM's
(2.066) and AR twin's (1.485) from ``benchmarks/results/shakespeare_sample.json``, and 20 samples
scored as that benchmark scores them.

    python -m benchmarks.block_diffusion [--part speed|bound|both] [--quick] [--out DIR]

Each part writes its own file (block_diffusion_speed.json, block_diffusion_bound.json), so that the
speed can be measured again on a quiet machine without retraining.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from minillada import Transformer
from minillada.data import read_text
from minillada.fast.block_diffusion import generate_blocks
from minillada.fast.sampling import generate_fast

from .common import RESULTS, model_config, print_table, write_json
from .shakespeare_sample import (MEASURED_LENGTH, N_MEASURED, QUICK_TRAIN, TRAIN_FLAGS, WORD, _override,
                                 measure_samples, train_run)

BD3_FLAGS = ["--objective", "bd3", "--block-size", "16"]


def decoders(gen: int, block: int):
    """(name, function of (model, prompt)) for the four samplers of part 1, one token a step."""
    return [
        ("LLaDA blocks", lambda m, p: generate_fast(m, p, steps=gen, gen_length=gen, block_length=block)),
        ("LLaDA blocks + prefix cache",
         lambda m, p: generate_fast(m, p, steps=gen, gen_length=gen, block_length=block, kv_cache=True)),
        ("block diffusion, no cache", lambda m, p: generate_blocks(m, p, gen, block, kv_cache=False)),
        ("block diffusion + exact cache", lambda m, p: generate_blocks(m, p, gen, block, kv_cache=True)),
    ]


def speed(args) -> list[dict]:
    torch.manual_seed(0)
    P, G, L = args.prompt_length, args.gen_length, args.block_length
    model = Transformer(model_config("tiny", max_seq_len=P + G, vocab_size=70, mask_id=1)).eval()
    prompt = torch.randint(4, 70, (1, P))
    runs = decoders(G, L)
    seconds = {name: [] for name, _ in runs}
    for rep in range(args.repeats + 1):                      # round 0 is a warm-up
        for name, fn in runs:
            t0 = time.perf_counter()
            fn(model, prompt)
            if rep:
                seconds[name].append(time.perf_counter() - t0)
    ref = statistics.median(seconds["LLaDA blocks + prefix cache"])
    rows = []
    for name, _ in runs:
        s = statistics.median(seconds[name])
        rows.append({"decoder": name, "seconds": round(s, 3), "tokens_per_s": round(G / s, 1),
                     "speedup_vs_prefix_cache": round(ref / s, 2)})
    return rows


def bound(args, workdir: Path) -> dict:
    flags = _override(TRAIN_FLAGS, {"--out": "runs/bd3"}) + BD3_FLAGS
    if args.quick:
        flags = _override(flags, QUICK_TRAIN) + ["--no-progress"]
    run = train_run(workdir, flags, "runs/bd3")
    n, length = (2, 16) if args.quick else (N_MEASURED, MEASURED_LENGTH)
    corpus_words = {w.lower() for w in WORD.findall(read_text("shakespeare"))}
    run["measured"] = measure_samples(workdir / "runs/bd3", ["--temperature", "0.8"], corpus_words, n,
                                      length)
    recorded = json.loads((RESULTS / "shakespeare_sample.json").read_text())
    run["compare"] = {k: {"val_loss": recorded[k]["val_loss"],
                          "real_word_share": recorded[k]["measured"]["real_word_share"],
                          "repeats": recorded[k]["measured"]["repeats"]} for k in ("mdm", "ar")}
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--prompt-length", type=int, default=256)
    ap.add_argument("--gen-length", type=int, default=256)
    ap.add_argument("--block-length", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--part", choices=("speed", "bound", "both"), default="both")
    ap.add_argument("--workdir", default=None, help="where part 2 trains (default: a temporary folder)")
    ap.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.prompt_length, args.gen_length, args.block_length, args.repeats = 8, 16, 8, 1
    suffix = "_quick" if args.quick else ""
    result = {}
    if args.part in ("speed", "both"):
        rows = speed(args)
        print(f"prompt {args.prompt_length}, answer {args.gen_length}, blocks of {args.block_length}, "
              "one token a step:")
        print_table(rows, ["decoder", "seconds", "tokens_per_s", "speedup_vs_prefix_cache"])
        result["speed"] = {"speed": rows, "settings": vars(args)}
        write_json("block_diffusion_speed" + suffix, result["speed"], args.out)
    if args.part in ("bound", "both"):
        with tempfile.TemporaryDirectory(prefix="bd3_") as tmp:
            workdir = Path(args.workdir or tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            b = bound(args, workdir)
        print(f"bd3 (blocks of 16): {b['steps']} steps in {b['train_wall_s']:.0f} s; validation bound "
              f"{b['val_loss']:.3f} nats/char (MDM {b['compare']['mdm']['val_loss']:.3f}, AR NLL "
              f"{b['compare']['ar']['val_loss']:.3f}); {b['measured']['real_word_share']:.0%} corpus "
              f"words, {b['measured']['repeats']} repeats")
        result["bound"] = {"bound": b, "settings": vars(args)}
        write_json("block_diffusion_bound" + suffix, result["bound"], args.out)
    return result


if __name__ == "__main__":
    main()
