"""The reversal experiment's targets over seeds, and its wall time against the old recipe.

Runs ``minillada.reversal.run`` with the default settings (what ``python -m minillada reversal``
runs) for each seed and reports, per seed: the MDM's and the AR model's forward and reversed
accuracy, the MDM's infilling, the AR ranking control, the steps each model trained before the
early stop, and the wall time of the whole run (both models, evaluations included). In the same
process it runs the recipe the main job used before (250 facts, every one of 1500 steps, a curve
point every 250) on ``--baseline-seeds``, so that the two wall times share a machine state.
Writes ``benchmarks/results/reversal_seeds_people.json`` (or ``--name``).

    python -m benchmarks.reversal_seeds [--seeds 0 1 2 3 4] [--baseline-seeds 0] [--quick]
    python -m benchmarks.reversal_seeds --stop-patience 1 --baseline-seeds --name reversal_seeds_patience1
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from minillada.reversal import ReversalConfig, run

from .common import print_table, write_json

# the main job's recipe until 2026-11-29 (issue 17 made it stop early, on 200 facts)
BASELINE = dict(n_facts=250, eval_every=250, stop_forward=None)


def one_run(config: ReversalConfig, recipe: str) -> dict:
    t0 = time.perf_counter()
    r = run(config)
    acc = r["accuracy"]
    return {"recipe": recipe, "seed": config.seed, "mdm_forward": acc["mdm"]["forward"],
            "mdm_reversed": acc["mdm"]["reversed"], "mdm_infill": acc["mdm"]["infill"],
            "ar_forward": acc["ar"]["forward"], "ar_reversed": acc["ar"]["reversed"],
            "ar_ranking": acc["ar"]["ranking"], "mdm_steps": r["steps_trained"]["mdm"],
            "ar_steps": r["steps_trained"]["ar"], "wall_s": time.perf_counter() - t0,
            "test_facts": r["n_test_facts"], "load_avg_1min": os.getloadavg()[0],
            # the accuracy curves: from a run's curve one can read where any other stop rule on the
            # forward answers would have stopped it (training does not depend on when it stops)
            "curves": r["curves"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--baseline-seeds", type=int, nargs="*", default=[0],
                    help="seeds of the old recipe to run for comparison (none: skip it)")
    ap.add_argument("--task", default="people", choices=["people", "couplets"])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    ap.add_argument("--stop-forward", type=float, default=None,
                    help="the default recipe's early-stop level (default: ReversalConfig's)")
    ap.add_argument("--stop-patience", type=int, default=None,
                    help="evaluations in a row past --stop-forward (default: ReversalConfig's)")
    ap.add_argument("--name", default=None,
                    help="the JSON's name (default reversal_seeds_<task>, or _quick)")
    args = ap.parse_args(argv)
    default = {k: v for k, v in (("stop_forward", args.stop_forward), ("stop_patience", args.stop_patience))
               if v is not None}
    plan = [("default", s, default) for s in args.seeds] + [("baseline", s, BASELINE)
                                                       for s in args.baseline_seeds]
    rows = []
    for recipe, seed, changes in plan:
        config = ReversalConfig(task=args.task, seed=seed, device=args.device, progress=False,
                                **changes)
        if args.quick:
            config.n_facts, config.steps, config.eval_every = 30, 10, 5
            config.d_model, config.n_layers = 32, 1
        rows.append(one_run(config, recipe))
        print_table(rows[-1:], columns := [k for k in rows[-1] if k != "curves"])
    print()
    print_table(rows, columns)
    write_json(args.name or (f"reversal_seeds_{args.task}" if not args.quick else "reversal_seeds_quick"),
               {"task": args.task, "device": str(args.device), "cuda": torch.cuda.is_available(),
                "threads": torch.get_num_threads(), "baseline_recipe": BASELINE, "default_changes": default,
                "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
