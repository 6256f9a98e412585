"""Issue 28's trials: which change to the reversal recipe makes the main job faster?

Each trial trains the experiment's MDM (and, with ``--both``, its AR twin) on one seed with the
default recipe plus one change, stops by the main job's rule (forward answers above
``stop_forward`` at ``stop_patience`` evaluations in a row; the reversed answers are never read),
and records the steps trained, the wall time and the final accuracies. Every trial is kept in
``benchmarks/results/reversal_trials.json``, the ones that did not help included, so that the
next session starts from what was measured.

    python -m benchmarks.reversal_trials --trials default lr_2x muon --seeds 0
    python -m benchmarks.reversal_trials --list

A trial changes ``ReversalConfig`` fields, or the optimizer: ``muon`` trains the 2-D weights of
the blocks with ``torch.optim.Muon`` (its ``match_rms_adamw`` scaling, so that the AdamW learning
rate and weight decay carry over) and everything else (embeddings, output head, norms) with AdamW.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time

import torch

from minillada import train as train_module
from minillada.reversal import ReversalConfig, run

from .common import RESULTS

OUT = RESULTS / "reversal_trials.json"


class MuonAndAdamW:
    """Muon for the blocks' matrices, AdamW for the rest, behind one optimizer's interface (the
    training loop sets ``lr`` in every param group and saves ``state_dict()``)."""

    def __init__(self, model, config):
        matrices = [p for n, p in model.named_parameters() if p.dim() == 2 and n.startswith("blocks.")]
        ids = {id(p) for p in matrices}
        rest = [p for p in model.parameters() if id(p) not in ids]
        decay = [p for p in rest if p.dim() >= 2]
        no_decay = [p for p in rest if p.dim() < 2]
        self.muon = torch.optim.Muon(matrices, lr=config.lr, weight_decay=config.weight_decay,
                                     adjust_lr_fn="match_rms_adamw")
        self.adamw = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                        {"params": no_decay, "weight_decay": 0.0}], lr=config.lr,
                                       betas=(config.beta1, config.beta2))
        self.param_groups = self.muon.param_groups + self.adamw.param_groups

    def zero_grad(self, set_to_none=True):
        self.muon.zero_grad(set_to_none=set_to_none)
        self.adamw.zero_grad(set_to_none=set_to_none)

    def step(self):
        self.muon.step()
        self.adamw.step()

    def state_dict(self):
        return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

    def load_state_dict(self, state):
        self.muon.load_state_dict(state["muon"])
        self.adamw.load_state_dict(state["adamw"])


@contextlib.contextmanager
def optimizer(kind: str):
    if kind == "adamw":
        yield
        return
    original = train_module.make_optimizer
    train_module.make_optimizer = MuonAndAdamW
    try:
        yield
    finally:
        train_module.make_optimizer = original


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
    "d_model_64": ({"d_model": 64}, "adamw"),
    "layers_2": ({"n_layers": 2}, "adamw"),
}


def one_trial(name: str, seed: int, objectives) -> dict:
    changes, kind = TRIALS[name]
    config = ReversalConfig(seed=seed, progress=False, **changes)
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
