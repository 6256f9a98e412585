"""The README's Shakespeare sample: a character-level masked diffusion model trained on the shipped
Tiny Shakespeare in about five minutes on a 2-core CPU, then asked to continue a prompt.

    python -m benchmarks.shakespeare_sample                  # the recipe below (2-core CPU: ~5 min)
    python -m benchmarks.shakespeare_sample --quick          # seconds, for the tests

Runs the command line exactly as a reader would, in a scratch folder (``--workdir``; default a
temporary one): ``python -m minillada train ...`` with the recipe in TRAIN_FLAGS, then
``python -m minillada sample ...`` for each prompt. Measures the training command's wall time
(process start to exit: loading the text, building the tokenizer, the periodic validations and
the checkpoint included), reads the final training loss and the validation curve (LLaDA's bound,
nats per character, on fixed held-out batches) from the checkpoint's ``meta.json``, and writes
benchmarks/results/shakespeare_sample.json (``--quick``: shakespeare_sample_quick.json) with the
commands, the numbers and the samples. The load average before and after training is recorded
too: a busy machine makes the wall time longer.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import write_json

RUN_DIR = "runs/shakespeare"
# the recipe: the tiny preset's model, sized to train in about five minutes on a 2-core CPU
# (32 x 64 characters a step, as the preset has it), with a higher learning rate than the preset's
# 2e-3 held until the last 20% of the steps (warmup-stable-decay)
TRAIN_FLAGS = ["--preset", "tiny", "--data", "shakespeare", "--out", RUN_DIR,
               "--max-steps", "1500", "--lr", "3e-3", "--schedule", "wsd", "--eval-every", "500"]
# semi-autoregressive: blocks of 8 characters left to right, one character a step, sampled at 0.8
SAMPLE_FLAGS = ["--gen-length", "56", "--block-length", "8", "--temperature", "0.8"]
PROMPTS = [("ROMEO:", 0), ("JULIET:", 0), ("ROMEO:", 1)]
# --quick: the same commands, shrunk to seconds (the numbers mean nothing)
QUICK_TRAIN = {"--max-steps": "20", "--batch-size": "8", "--eval-every": "10"}
QUICK_SAMPLE = {"--gen-length": "16"}


def _override(flags: list[str], changes: dict) -> list[str]:
    out = list(flags)
    for flag, value in changes.items():
        if flag in out:
            out[out.index(flag) + 1] = value
        else:
            out += [flag, value]
    return out


def _command(args: list[str]) -> str:
    return shlex.join(["python", "-m", "minillada", *args])


def _run(args: list[str], cwd: Path, capture: bool = False) -> str:
    proc = subprocess.run([sys.executable, "-m", "minillada", *args], cwd=cwd, text=True,
                          stdout=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        raise RuntimeError(f"{_command(args)} exited with {proc.returncode}")
    return proc.stdout if capture else ""


def _final_meta(run_dir: Path) -> dict:
    """The meta.json of the run's newest checkpoint (step, train config, loss history)."""
    latest = (run_dir / "latest").read_text().strip()
    return json.loads((run_dir / latest / "meta.json").read_text())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workdir", default=None,
                    help=f"folder the commands run in (the checkpoint goes to its {RUN_DIR}); "
                    "default: a temporary folder, removed afterwards")
    ap.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    train_flags = _override(TRAIN_FLAGS, QUICK_TRAIN) if args.quick else TRAIN_FLAGS
    sample_flags = _override(SAMPLE_FLAGS, QUICK_SAMPLE) if args.quick else SAMPLE_FLAGS
    if args.quick:
        train_flags = train_flags + ["--no-progress"]
    with tempfile.TemporaryDirectory(prefix="shakespeare_") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if (workdir / RUN_DIR).exists():             # a reused --workdir: replace the earlier run
            train_flags = train_flags + ["--overwrite"]
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        _run(["train", *train_flags], workdir)
        train_s = time.perf_counter() - t0
        load_after = os.getloadavg()
        meta = _final_meta(workdir / RUN_DIR)
        samples = []
        for prompt, seed in PROMPTS:
            flags = ["sample", "--ckpt", RUN_DIR, "--prompt", prompt, *sample_flags,
                     "--seed", str(seed)]
            t0 = time.perf_counter()
            text = _run(flags, workdir, capture=True).removesuffix("\n")
            samples.append({"prompt": prompt, "seed": seed, "command": _command(flags),
                            "text": text, "seconds": time.perf_counter() - t0})
            print(f"--- {prompt!r} (seed {seed})\n{prompt}{text}\n")
    history = meta["history"]
    evals = [{"step": r["step"], "val_loss": r["val_loss"]} for r in history if "val_loss" in r]
    result = {
        "corpus": "tiny_shakespeare (last 10% held out)",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "train_command": _command(["train", *train_flags]),
        "commands": [_command(["train", *train_flags]), samples[0]["command"]],
        "train_wall_s": train_s,
        "loadavg_before": load_before, "loadavg_after": load_after,
        "steps": meta["step"],
        "tokens": meta["step"] * meta["train_config"]["batch_size"] * meta["train_config"]["seq_len"],
        "final_train_loss": history[-1]["loss"],
        "val_loss": evals[-1]["val_loss"] if evals else None,
        "val_curve": evals,
        "train_config": meta["train_config"],
        "samples": samples,
    }
    val = "-" if result["val_loss"] is None else f"{result['val_loss']:.3f}"
    print(f"train: {result['steps']} steps in {train_s:.0f} s wall; final loss "
          f"{result['final_train_loss']:.3f}; validation bound {val} nats per character")
    write_json("shakespeare_sample_quick" if args.quick else "shakespeare_sample", result, args.out)
    return result


if __name__ == "__main__":
    main()
