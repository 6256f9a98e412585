"""Issue 28's trials: which change to the reversal recipe makes the main job faster?

Each trial trains the experiment's MDM (and, with ``--both``, its AR twin) on one seed with the
recipe of commit 46ecd43 (``reversal_seeds.BASELINE``: AdamW, d_model 128) plus one change, stops
by the main job's rule (forward answers above ``stop_forward`` at ``stop_patience`` evaluations in
a row; the reversed answers are never read), and records the steps trained, the wall time and the
final accuracies. Every trial is kept in ``benchmarks/results/reversal_trials.json``, the ones that
did not help included, so that the next session starts from what was measured.

    python -m benchmarks.reversal_trials --trials default lr_2x muon --seeds 0
    python -m benchmarks.reversal_trials --list

A trial changes ``ReversalConfig`` fields, or the optimizer: ``muon`` trains the 2-D weights of
the blocks with ``torch.optim.Muon`` (``ReversalConfig(optimizer="muon")``, that is
``minillada.train.MuonAndAdamW``: its ``match_rms_adamw`` scaling, so that the AdamW learning rate
and weight decay carry over) and everything else (embeddings, output head, norms) with AdamW.
(The first trials, before that setting existed, patched the same split into the training loop.)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import time

import torch

from minillada.reversal import ReversalConfig, run

from .common import RESULTS
from .reversal_seeds import BASELINE

OUT = RESULTS / "reversal_trials.json"


@contextlib.contextmanager
def optimizer(kind: str):
    """``muon_ns3``: the library's Muon with 3 Newton-Schulz iterations instead of 5 (cheaper steps,
    a rougher orthogonalisation); "adamw" and "muon" are ReversalConfig's own settings."""
    if kind != "muon_ns3":
        yield
        return
    original = torch.optim.Muon
    torch.optim.Muon = functools.partial(original, ns_steps=3)
    try:
        yield
    finally:
        torch.optim.Muon = original


# name: (ReversalConfig changes, optimizer)
TRIALS = {
    "default": ({}, "adamw"),
    "lr_2x": ({"lr": 1e-2}, "adamw"),
    "lr_half": ({"lr": 2.5e-3}, "adamw"),
    "wd_3": ({"weight_decay": 3.0}, "adamw"),
    "wd_1": ({"weight_decay": 1.0}, "adamw"),
    "batch_64": ({"batch_size": 64}, "adamw"),
    "batch_256": ({"batch_size": 256}, "adamw"),
    "eval_50": ({"eval_every": 50}, "adamw"),
    "muon": ({}, "muon"),
    "muon_lr_2x": ({"lr": 1e-2}, "muon"),
    "muon_wd_1": ({"weight_decay": 1.0}, "muon"),
    "muon_wd_3": ({"weight_decay": 3.0}, "muon"),
    "muon_ns3": ({}, "muon_ns3"),
    "muon_batch_64": ({"batch_size": 64}, "muon"),
    "muon_d64": ({"d_model": 64}, "muon"),
    "muon_b64_d64": ({"batch_size": 64, "d_model": 64}, "muon"),
    "muon_b64_ns3": ({"batch_size": 64}, "muon_ns3"),
    "muon_b32": ({"batch_size": 32}, "muon"),
    "muon_b64_layers_2": ({"batch_size": 64, "n_layers": 2}, "muon"),
    "muon_d64_eval50": ({"d_model": 64, "eval_every": 50}, "muon"),
    "d_model_64": ({"d_model": 64}, "adamw"),
    "layers_2": ({"n_layers": 2}, "adamw"),
}


def one_trial(name: str, seed: int, objectives) -> dict:
    changes, kind = TRIALS[name]
    # every trial changes commit 46ecd43's recipe (reversal_seeds.BASELINE), whatever today's defaults
    config = ReversalConfig(seed=seed, progress=False, **{
        **BASELINE, "optimizer": "adamw" if kind == "adamw" else "muon", **changes})
    t0 = time.perf_counter()
    with optimizer(kind):
        r = run(config, objectives=objectives)
    row = {"trial": name, "seed": seed, "changes": changes, "optimizer": kind,
           "wall_s": round(time.perf_counter() - t0, 1), "load_avg_1min": os.getloadavg()[0]}
    for obj in objectives:
        acc = r["accuracy"][obj]
        row[obj] = {"steps": r["steps_trained"][obj], "train_s": round(r["train_seconds"][obj], 1),
                    "forward": acc["forward"], "reversed": acc["reversed"],
                    "curve": [(p["step"], p["forward"], p["reversed"]) for p in r["curves"][obj]]}
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", nargs="+", default=["default"], choices=list(TRIALS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--both", action="store_true", help="train the AR twin too")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.list:
        for name, (changes, kind) in TRIALS.items():
            print(f"{name:12} {kind:6} {changes}")
        return
    record = json.loads(OUT.read_text()) if OUT.exists() else {"rows": []}
    objectives = ("mdm", "ar") if args.both else ("mdm",)
    for seed in args.seeds:
        for name in args.trials:
            row = one_trial(name, seed, objectives)
            record["rows"].append(row)
            OUT.write_text(json.dumps(record, indent=1) + "\n")     # after each: nothing is lost
            summary = {o: (row[o]["steps"], row[o]["train_s"], row[o]["forward"], row[o]["reversed"])
                       for o in objectives}
            print(f"{name:12} seed {seed}: {row['wall_s']:7.1f} s  (steps, train s, fwd, rev) {summary}",
                  flush=True)


if __name__ == "__main__":
    main()
