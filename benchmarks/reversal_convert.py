"""The reversal experiment on an AR model converted into a diffusion model (issue 29, item 3).

Runs ``minillada.reversal.convert`` with the default ReversalConfig (what ``python -m minillada
reversal`` trains): the AR twin as ``run`` trains it, then the same weights with the attention
mask off, trained on with the diffusion loss and evaluated at step 0 and every ``eval_every``
steps; beside it the MDM trained from scratch with the same batches and masks. Prints the curve
(diffusion step | forward | reversed of the converted model, and the scratch MDM's at the same
step), writes ``benchmarks/results/reversal_convert.json`` and plots the curves to
``reversal_convert.png`` beside it (``_quick`` in both names with ``--quick``).

    python -m benchmarks.reversal_convert [--seed 0] [--steps N] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from minillada.reversal import ReversalConfig
from minillada.reversal.convert import convert

from .common import RESULTS, print_table, write_json


def curve_rows(results: dict) -> list[dict]:
    """One row per point of the converted model's curve, with the scratch MDM's point at the same
    step ("-" where the scratch MDM has none: it stopped earlier, or evaluated elsewhere)."""
    scratch = {p["step"]: p for p in results["curves"]["mdm"]}
    rows = []
    for p in results["curves"]["converted"]:
        s = scratch.get(p["step"], {})
        rows.append({"diffusion_step": p["step"], "forward": p["forward"], "reversed": p["reversed"],
                     "scratch_forward": s.get("forward", "-"), "scratch_reversed": s.get("reversed", "-")})
    return rows


def plot_curves(results: dict, path: Path) -> Path:
    """The converted model's forward and reversed accuracy against diffusion steps, and the
    scratch MDM's reversed (and, faint, forward) against its own steps, on one axis."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    curves = results["curves"]
    lines = [("converted", "forward", "-o", "#e1812c", 1.0, "AR -> MDM, forward"),
             ("converted", "reversed", "-s", "#c03d3e", 1.0, "AR -> MDM, reversed"),
             ("mdm", "forward", ":o", "#3b75af", 0.5, "MDM from scratch, forward"),
             ("mdm", "reversed", "--s", "#3b75af", 1.0, "MDM from scratch, reversed")]
    for name, query, style, colour, alpha, label in lines:
        c = curves[name]
        ax.plot([p["step"] for p in c], [100 * p[query] for p in c], style, ms=3, color=colour,
                alpha=alpha, label=label)
    ar = results["accuracy"]["ar"]
    ax.set_xlabel("diffusion training steps (converted: after the conversion)")
    ax.set_ylabel("exact match on test facts (%)")
    ax.set_ylim(-5, 105)
    ax.legend(fontsize=8, loc="center right")
    ax.set_title(f"AR model converted to an MDM ({results['config']['task']}, "
                 f"{results['n_test_facts']} facts seen only forward)\nthe AR model before it: "
                 f"{100 * ar['forward']:.0f}% forward, {100 * ar['reversed']:.0f}% reversed", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None,
                    help="diffusion steps of the converted and the scratch MDM (default: "
                         "ReversalConfig.steps)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON and the plot "
                                                "(default benchmarks/results)")
    args = ap.parse_args(argv)
    config = ReversalConfig(seed=args.seed, device=args.device, progress=False)
    steps = args.steps
    if args.quick:
        config.n_facts, config.steps, config.eval_every = 30, 10, 5
        config.d_model, config.n_layers = 32, 1
        steps = steps or 10
    results = convert(config, diffusion_steps=steps)
    acc, trained, secs = results["accuracy"], results["steps_trained"], results["train_seconds"]
    print(f"AR model: {trained['ar']} steps, {secs['ar']:.0f} s; forward {acc['ar']['forward']:.3f}, "
          f"reversed {acc['ar']['reversed']:.3f}, ranking {acc['ar']['ranking']:.3f}")
    rows = curve_rows(results)
    print_table(rows, list(rows[0]))
    for name in ("converted", "mdm"):
        print(f"{name}: {trained[name]} diffusion steps, {secs[name]:.0f} s; final forward "
              f"{acc[name]['forward']:.3f}, reversed {acc[name]['reversed']:.3f}, "
              f"infill {acc[name]['infill']:.3f}")
    print(f"wall time {results['wall_seconds']:.0f} s")
    name = "reversal_convert_quick" if args.quick else "reversal_convert"
    write_json(name, {"seed": args.seed, "device": str(args.device), "cuda": torch.cuda.is_available(),
                      "threads": torch.get_num_threads(), "load_avg_1min": os.getloadavg()[0],
                      "table": rows, **results}, args.out)
    plot_curves(results, (Path(args.out) if args.out else RESULTS) / f"{name}.png")
    return results


if __name__ == "__main__":
    main()
