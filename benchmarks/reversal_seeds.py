"""The reversal experiment's accuracy targets, measured over seeds (not a timed test).

Runs ``minillada.reversal.run`` with the default settings for each seed and reports, per seed, the
MDM's and the AR model's forward and reversed accuracy, the MDM's infilling, the AR ranking control
and the wall time; writes ``benchmarks/results/reversal_seeds.json``.

    python -m benchmarks.reversal_seeds [--seeds 0 1 2] [--task people] [--quick]
"""

from __future__ import annotations

import argparse
import time

import torch

from minillada.reversal import ReversalConfig, run

from .common import print_table, write_json


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--task", default="people", choices=["people", "couplets"])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        config = ReversalConfig(task=args.task, seed=seed, device=args.device, progress=False)
        if args.quick:
            config.n_facts, config.steps, config.eval_every = 30, 10, 0
            config.d_model, config.n_layers = 32, 1
        t0 = time.perf_counter()
        r = run(config)
        acc = r["accuracy"]
        rows.append({"seed": seed, "mdm_forward": acc["mdm"]["forward"],
                     "mdm_reversed": acc["mdm"]["reversed"], "mdm_infill": acc["mdm"]["infill"],
                     "ar_forward": acc["ar"]["forward"], "ar_reversed": acc["ar"]["reversed"],
                     "ar_ranking": acc["ar"]["ranking"], "wall_s": time.perf_counter() - t0,
                     "test_facts": r["n_test_facts"]})
        print_table(rows[-1:], list(rows[-1]))
    print()
    print_table(rows, list(rows[0]))
    write_json(f"reversal_seeds_{args.task}" if not args.quick else "reversal_seeds_quick",
               {"task": args.task, "device": str(args.device),
                "cuda": torch.cuda.is_available(), "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
