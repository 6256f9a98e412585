"""What makes the reversal experiment work: the MDM trained without each ingredient (not a timed test).

Each ablation changes one setting of the full-length recipe and trains the MDM alone. The recipe
is the one the main job used until 2026-11-29 (``reversal_seeds.FULL_LENGTH``: AdamW, d_model 128,
250 facts, all 1500 steps, no early stop), so that every ablation trains as long as the default
it is compared with; an early stop on the forward questions would end the runs at different steps.
The AR twin is left out: it answers no reversed question in the default run on any seed, and none
of these changes gives its left-to-right objective the reversed conditionals. The ablations:

* ``default``: the full-length recipe itself;
* ``no_paired``: no fact is written in the reversed template (``paired_fraction=0``), so the
  template "<adjective> <noun> is called ..." never occurs in training;
* ``one_phrasing``: each fact in one phrasing per direction instead of four and three;
* ``weak_weight_decay``: weight decay 0.1 instead of 2.0.

For each it records the final forward, reversed and infilling accuracy and the accuracy curve, and
writes ``benchmarks/results/reversal_ablations.json`` (notebook 07 reads it).

    python -m benchmarks.reversal_ablations [--seed 0] [--only one_phrasing ...] [--quick]

The JSON is written after each run; ``--only`` replaces those rows and keeps the others.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from minillada.reversal import ReversalConfig, run

from .common import RESULTS, print_table, write_json
from .reversal_seeds import FULL_LENGTH

ABLATIONS = {
    "default": ("the default run", {}),
    "no_paired": ("no fact written in the reversed template (paired_fraction 0)",
                  {"paired_fraction": 0.0}),
    "one_phrasing": ("one phrasing per direction instead of four and three", {"phrasings": 1}),
    "weak_weight_decay": ("weight decay 0.1 instead of 2.0", {"weight_decay": 0.1}),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="+", choices=list(ABLATIONS), default=list(ABLATIONS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    name = "reversal_ablations" if not args.quick else "reversal_ablations_quick"
    rows = []
    for ablation in args.only:
        description, changes = ABLATIONS[ablation]
        config = ReversalConfig(seed=args.seed, device=args.device, progress=False,
                                **{**FULL_LENGTH, **changes})
        if args.quick:
            config.n_facts, config.steps, config.eval_every = 30, 10, 5
            config.d_model, config.n_layers = 32, 1
        t0 = time.perf_counter()
        r = run(config, objectives=("mdm",))
        acc = r["accuracy"]["mdm"]
        rows.append({"ablation": ablation, "description": description, "seed": config.seed,
                     "paired_fraction": config.paired_fraction, "n_phrasings": config.phrasings,
                     "weight_decay": config.weight_decay, "steps": config.steps,
                     "mdm_forward": acc["forward"], "mdm_reversed": acc["reversed"],
                     "mdm_infill": acc["infill"], "test_facts": r["n_test_facts"],
                     "curve": r["curves"]["mdm"], "wall_s": time.perf_counter() - t0})
        print_table(rows[-1:], [c for c in rows[-1] if c not in ("curve", "description")])
        # written after every run (each takes minutes on a CPU), keeping the rows of the other
        # ablations of this seed from an earlier call
        path = (Path(args.out) if args.out else RESULTS) / f"{name}.json"
        earlier = json.loads(path.read_text())["rows"] if path.exists() else []
        done = {row["ablation"] for row in rows}
        kept = [row for row in earlier if row["seed"] == args.seed and row["ablation"] not in done]
        all_rows = sorted(kept + rows, key=lambda row: list(ABLATIONS).index(row["ablation"]))
        write_json(name, {"seed": args.seed, "device": str(args.device), "rows": all_rows}, args.out)
    columns = ["ablation", "mdm_forward", "mdm_reversed", "mdm_infill", "test_facts", "wall_s"]
    print()
    print_table(all_rows, columns)
    return all_rows


if __name__ == "__main__":
    main()
