"""The reversal experiment's targets over seeds, and its wall time against the old recipe.

Runs ``minillada.reversal.run`` with the default settings (what ``python -m minillada reversal``
runs) for each seed and reports, per seed: the MDM's and the AR model's forward and reversed
accuracy, the MDM's infilling, the AR ranking control, the steps each model trained before the
early stop, and the wall time of the whole run (both models, evaluations included). In the same
process it runs the recipe the main job used at commit 46ecd43 (AdamW, d_model 128, a curve point
every 100 steps; every setting pinned in ``BASELINE``) on ``--baseline-seeds``, each seed's baseline
run right after its default run so that the two wall times share a machine state, and reports the
ratio of the summed wall times (and per seed).
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

# the main job's recipe at commit 46ecd43 (2026-11-29), every setting written out so that a change
# of ReversalConfig's defaults cannot move the baseline: AdamW, 128 wide, a curve point every 100
BASELINE = dict(n_facts=200, paired_fraction=0.8, phrasings=None, steps=1500, batch_size=128,
                d_model=128, n_layers=4, n_heads=4, lr=5e-3, optimizer="adamw", weight_decay=2.0,
                eval_every=100, stop_forward=0.95, stop_patience=2)
# the main job's recipe until 2026-11-29, before the early stop: 250 facts, every one of 1500 steps
FULL_LENGTH = {**BASELINE, "n_facts": 250, "eval_every": 250, "stop_forward": None}


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


def wall_ratio(rows: list) -> dict | None:
    """Summed wall time of the default runs over that of the baseline runs, on the seeds both ran
    (and per seed); None when no seed ran both."""
    wall = {(r["recipe"], r["seed"]): r["wall_s"] for r in rows}
    seeds = [s for (recipe, s) in wall if recipe == "default" and ("baseline", s) in wall]
    if not seeds:
        return None
    default_s = sum(wall["default", s] for s in seeds)
    baseline_s = sum(wall["baseline", s] for s in seeds)
    return {"seeds": seeds, "default_s": default_s, "baseline_s": baseline_s,
            "ratio": default_s / baseline_s,
            "per_seed": {s: wall["default", s] / wall["baseline", s] for s in seeds}}


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
    # interleaved by seed: default 0, baseline 0, default 1, ... (the machine's speed drifts)
    plan = []
    for seed in dict.fromkeys(args.seeds + args.baseline_seeds):
        plan += [("default", seed, default)] * (seed in args.seeds)
        plan += [("baseline", seed, BASELINE)] * (seed in args.baseline_seeds)
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
    summary = wall_ratio(rows)
    if summary:
        print(f"wall time, default / baseline: {summary['default_s']:.1f} s / {summary['baseline_s']:.1f} s "
              f"= {summary['ratio']:.2f} (per seed: "
              + ", ".join(f"{s}: {r:.2f}" for s, r in summary["per_seed"].items()) + ")")
    write_json(args.name or (f"reversal_seeds_{args.task}" if not args.quick else "reversal_seeds_quick"),
               {"task": args.task, "device": str(args.device), "cuda": torch.cuda.is_available(),
                "threads": torch.get_num_threads(), "baseline_recipe": BASELINE, "default_changes": default,
                "default_recipe": {k: v for k, v in vars(ReversalConfig()).items()
                                   if k not in ("device", "progress", "seed")},
                "wall_ratio": summary, "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
