"""Two versions of minillada side by side: is a refactor as fast as the code it replaced?

    git worktree add /tmp/before <commit>            # the version to compare against
    python -m benchmarks.compare_trees /tmp/before .  [--repeats 5] [--out DIR] [--quick]

Each repeat runs the same small workloads once per tree, alternating the trees, each in a fresh
process whose ``PYTHONPATH`` puts that tree's ``minillada`` first (so both see the same machine
state, load and thermal conditions). Reported: the median seconds per call of each workload, per
tree, and the ratio new / old (1.00 = the same speed; the spread across repeats is the noise).

Workloads (CPU, one thread each, so two cores give one process the machine without contention):

* ``train_step``: one MDM optimizer step of the tiny preset, 32 x 64 tokens (forward, backward, AdamW);
* ``forward``: inference forward at batch 16, 128 positions, d_model 128, 4 layers;
* ``generate``: 64 tokens in blocks of 16, one token per step (the plain loop);
* ``generate_kv``: the same with the prefix KV cache (the fast path);
* ``generate_ar``: 64 tokens of the AR model with its exact KV cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from .common import RESULTS, machine

WORKLOAD = r"""
import json, os, time, torch
torch.set_num_threads(1)
QUICK = os.environ.get("COMPARE_TREES_QUICK") == "1"         # a seconds-long run for the test
from minillada import ModelConfig, Transformer, generate, generate_autoregressive, generate_fast
from minillada.train import TrainConfig, make_optimizer, step_loss

def timed(fn, n):
    fn()                                                    # warm-up
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n

out = {}
torch.manual_seed(0)
config = TrainConfig.preset("tiny", device="cpu")
model = Transformer(ModelConfig.preset("tiny", vocab_size=70, mask_id=1))
opt = make_optimizer(model, config)
x0 = torch.randint(4, 70, (32, 64))
g = torch.Generator().manual_seed(0)
def train_step():
    loss = step_loss(model, x0, None, config, 1, g)
    loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
out["train_step"] = timed(train_step, 1 if QUICK else 10)
big = Transformer(ModelConfig(vocab_size=70, mask_id=1, d_model=128, n_layers=4, n_heads=4,
                              max_seq_len=256)).eval()
x = torch.randint(4, 70, (16, 128))
with torch.no_grad():
    out["forward"] = timed(lambda: big(x), 1 if QUICK else 10)
prompt = torch.randint(4, 70, (4, 32))
n_gen = 8 if QUICK else 64
out["generate"] = timed(lambda: generate(big, prompt, n_gen, n_gen, n_gen // 4), 1 if QUICK else 2)
out["generate_kv"] = timed(lambda: generate_fast(big, prompt, n_gen, n_gen, n_gen // 4, kv_cache=True),
                           1 if QUICK else 2)
ar = Transformer(ModelConfig(vocab_size=70, mask_id=1, d_model=128, n_layers=4, n_heads=4,
                             max_seq_len=256, causal=True)).eval()
out["generate_ar"] = timed(lambda: generate_autoregressive(ar, prompt, n_gen), 1 if QUICK else 2)
print(json.dumps(out))
"""


def run_tree(root: Path, quick: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1",
           "COMPARE_TREES_QUICK": "1" if quick else "0"}
    done = subprocess.run([sys.executable, "-c", WORKLOAD], capture_output=True, text=True,
                          env=env, cwd=root, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"the workload failed in {root}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old", type=Path, help="root of the version to compare against")
    ap.add_argument("new", type=Path, help="root of the new version")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--quick", action="store_true", help="one small repeat (for the test suite)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = 1
    runs = {"old": [], "new": []}
    for r in range(args.repeats):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")     # alternate who goes first
        for which in order:
            runs[which].append(run_tree(getattr(args, which).resolve(), args.quick))
    rows = []
    for name in runs["old"][0]:
        old = statistics.median(run[name] for run in runs["old"])
        new = statistics.median(run[name] for run in runs["new"])
        rows.append({"workload": name, "old_s": old, "new_s": new, "new_over_old": new / old,
                     "old_all": [run[name] for run in runs["old"]],
                     "new_all": [run[name] for run in runs["new"]]})
        print(f"{name:<12} old {1000 * old:8.2f} ms   new {1000 * new:8.2f} ms   "
              f"new/old {new / old:.3f}")
    result = {"machine": machine(), "repeats": args.repeats, "old": str(args.old),
              "new": str(args.new), "rows": rows}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    name = "compare_trees_quick.json" if args.quick else "compare_trees.json"
    (Path(args.out) / name).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
