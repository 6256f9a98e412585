"""The README's Shakespeare sample: a character-level masked diffusion model trained on the shipped
Tiny Shakespeare in about five minutes on a 2-core CPU, then asked to continue a prompt; beside it,
with ``--ar``, the same network trained as an autoregressive model (causal) with the same flags
and sampled at the same temperature: the baseline people know from nanoGPT.

The samples are measured (issue 28): over ``N_MEASURED`` samples of ``MEASURED_LENGTH`` characters
with fixed seeds, the share of generated words that occur in the corpus, and how often a word
repeats the one before it ("you you").

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
import contextlib
import io
import json
import os
import re
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
# the measured samples: 20 continuations of 64 characters, seeds 0..19, the prompts in turn
N_MEASURED, MEASURED_LENGTH = 20, 64
MEASURED_PROMPTS = ("ROMEO:", "JULIET:", "KING HENRY:", "First Citizen:")
WORD = re.compile(r"[A-Za-z']+")


def word_stats(texts: list[str], corpus_words: set[str]) -> dict:
    """How word-like generated ``texts`` are: the share of their words (runs of letters and
    apostrophes, compared in lower case) that occur in the corpus, and the number of words equal
    to the word before them in the same text ("you you").

    >>> word_stats(["the king the king", "you you zqx"], {"the", "king", "you"})
    {'words': 7, 'in_corpus': 6, 'real_word_share': 0.857, 'repeats': 1}
    """
    words = in_corpus = repeats = 0
    for text in texts:
        ws = [w.lower() for w in WORD.findall(text)]
        words += len(ws)
        in_corpus += sum(w in corpus_words for w in ws)
        repeats += sum(a == b for a, b in zip(ws, ws[1:]))
    return {"words": words, "in_corpus": in_corpus,
            "real_word_share": round(in_corpus / words, 3) if words else 0.0, "repeats": repeats}


def _sample_in_process(run_dir: Path, prompt: str, flags: list[str], seed: int) -> str:
    """One ``minillada sample`` call, run in this process (the checkpoint is small: loading it
    costs less than starting Python)."""
    from minillada.cli import main as cli_main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(["sample", "--ckpt", str(run_dir), "--prompt", prompt, *flags,
                         "--seed", str(seed)])
    if code not in (0, None):
        raise RuntimeError(f"minillada sample exited with {code}")
    return out.getvalue().removesuffix("\n")


def measure_samples(run_dir: Path, flags: list[str], corpus_words: set[str], n: int,
                    length: int) -> dict:
    """``n`` samples of ``length`` characters (seeds 0..n-1, the prompts in turn) and their
    :func:`word_stats`."""
    flags = _override(flags, {"--gen-length": str(length)})
    texts = [_sample_in_process(run_dir, MEASURED_PROMPTS[i % len(MEASURED_PROMPTS)], flags, i)
             for i in range(n)]
    return {"flags": flags, "texts": texts, **word_stats(texts, corpus_words)}


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
    ap.add_argument("--ar", action="store_true",
                    help="train the same network as an AR model too, and measure its samples")
    args = ap.parse_args(argv)
    n_measured, length = (2, 16) if args.quick else (N_MEASURED, MEASURED_LENGTH)
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
        from minillada.data import read_text
        corpus_words = {w.lower() for w in WORD.findall(read_text("shakespeare"))}
        measured = measure_samples(workdir / RUN_DIR, sample_flags, corpus_words, n_measured, length)
        ar = None
        if args.ar:                 # the same network and flags, causal; sampled at the same temperature
            ar_dir = RUN_DIR + "_ar"
            ar_flags = _override(train_flags, {"--out": ar_dir}) + ["--objective", "ar"]
            if (workdir / ar_dir).exists() and "--overwrite" not in ar_flags:
                ar_flags.append("--overwrite")
            t0 = time.perf_counter()
            _run(["train", *ar_flags], workdir)
            ar_train_s = time.perf_counter() - t0
            ar_meta = _final_meta(workdir / ar_dir)
            temperature = sample_flags[sample_flags.index("--temperature") + 1]
            ar = {"train_command": _command(["train", *ar_flags]), "train_wall_s": ar_train_s,
                  "steps": ar_meta["step"], "final_train_loss": ar_meta["history"][-1]["loss"],
                  "measured": measure_samples(workdir / ar_dir, ["--temperature", temperature],
                                              corpus_words, n_measured, length)}
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
        "measured": measured,
        "ar": ar,
    }
    val = "-" if result["val_loss"] is None else f"{result['val_loss']:.3f}"
    print(f"train: {result['steps']} steps in {train_s:.0f} s wall; final loss "
          f"{result['final_train_loss']:.3f}; validation bound {val} nats per character")
    for name, m in (("mdm", measured), ("ar", ar and ar["measured"])):
        if m:
            print(f"{name}: {m['in_corpus']} of {m['words']} words in the corpus "
                  f"({m['real_word_share']:.0%}), {m['repeats']} back-to-back repeats")
    write_json("shakespeare_sample_quick" if args.quick else "shakespeare_sample", result, args.out)
    return result


if __name__ == "__main__":
    main()
