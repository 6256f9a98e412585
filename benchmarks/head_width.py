"""Issue 28's lever "pad the output head to a multiple of 16 or 64": does it make a training step
of the reversal model cheaper? (A benchmark, not a timed test.)

The reversal task's vocabulary has 815 tokens. We time ``train_step`` of the reversal network
(4 layers, 4 heads, rows of 10 tokens, batch 128) with the head and embedding 815, 816 (a multiple
of 16) and 832 (a multiple of 64) wide, at d_model 64 (today's default) and 128 (the recipe before),
in interleaved rounds so that the machine's drift hits every width alike, and report the median
milliseconds per step. The extra columns are never a training target (no row holds their ids).

    python -m benchmarks.head_width [--rounds 5] [--steps 20] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from minillada.model import ModelConfig, Transformer
from minillada.train import train_step

from .common import print_table, write_json

VOCAB, WIDTHS = 815, (815, 816, 832)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="steps timed per round")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    rounds, steps = (1, 2) if args.quick else (args.rounds, args.steps)
    widths = (16,) if args.quick else (64, 128)
    torch.manual_seed(0)
    x0 = torch.randint(2, VOCAB, (128, 10))                                   # (B, T) ids below 815
    nets = {}
    for d in widths:
        for v in WIDTHS:
            model = Transformer(ModelConfig(vocab_size=v, mask_id=1, d_model=d, n_layers=4, n_heads=4,
                                            max_seq_len=16))
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            for _ in range(3):                                                # warm up
                train_step(model, opt, x0, 1)
            nets[d, v] = (model, opt, [])
    for _ in range(rounds):
        for model, opt, ms in nets.values():
            t0 = time.perf_counter()
            for _ in range(steps):
                train_step(model, opt, x0, 1)
            ms.append(1000 * (time.perf_counter() - t0) / steps)
    rows = []
    for (d, v), (_, _, ms) in nets.items():
        base = statistics.median(nets[d, VOCAB][2])
        rows.append({"d_model": d, "head_width": v, "ms_per_step": statistics.median(ms),
                     "spread_ms": max(ms) - min(ms), "ratio_to_815": statistics.median(ms) / base})
    print_table(rows, list(rows[0]))
    write_json("head_width" if not args.quick else "head_width_quick",
               {"threads": torch.get_num_threads(), "batch": 128, "seq_len": 10, "rounds": rounds,
                "steps_per_round": steps, "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
