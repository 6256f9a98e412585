"""The README's Shakespeare sample (issue 28): a character-level masked diffusion model trained on
the shipped Tiny Shakespeare in under five minutes on a 2-core CPU, and beside it the same network
trained as an autoregressive model (causal) with the same flags and the same wall time: the
baseline people know from nanoGPT.

    python -m benchmarks.shakespeare_sample                  # both models (2-core CPU: ~10 min)
    python -m benchmarks.shakespeare_sample --quick          # seconds, for the tests
    python -m benchmarks.shakespeare_sample --ship           # and write the package's shipped models

Runs the command line exactly as a reader would, in a scratch folder (``--workdir``; default a
temporary one): ``python -m minillada train ...`` with the recipe in TRAIN_FLAGS, once as an MDM and
once with ``--objective ar``. Measures each training command's wall time (process start to exit:
loading the text, building the tokenizer, the periodic validations and the checkpoints included)
and reads the final training loss and the validation curve from the checkpoint's ``meta.json``:
for the MDM LLaDA's bound, for the AR model its exact NLL, both in nats per character on the same
held-out text.

The samples are measured: ``N_MEASURED`` continuations of ``MEASURED_LENGTH`` characters, seeds
0..19, the prompts of MEASURED_PROMPTS in turn, scored by :func:`word_stats` (the share of generated
words that occur in the corpus, and how often a word repeats the one before it, "you you"). The AR
model samples one character a step at the MDM's temperature; the MDM is measured under each
setting of MDM_SAMPLERS, the first being the README's command. One ``minillada sample`` command is
also run as a separate process, and its text must equal the first measured sample: the README's
command reproduces what was measured.

With ``--ship`` both trained models are written, weights only, as the models the package ships
(:mod:`minillada.infra.shipped`: ``--ckpt shakespeare`` and ``--ckpt shakespeare_ar``); the same
command on the same machine and torch writes the same bytes (a test checks it on the quick run).

Writes benchmarks/results/shakespeare_sample.json (``--quick``: shakespeare_sample_quick.json). The
load average before and after each training run is recorded too: a busy machine makes the wall
time longer.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import write_json

RUN_DIR, AR_RUN_DIR = "runs/shakespeare", "runs/shakespeare_ar"
# the recipe, the same for both models: the tiny preset's network (4 layers, d_model 128) on
# windows of 128 characters, room for the longest prompt and its 64-character sample (32 windows a
# step: 4096 characters, twice the preset's 32 x 64, at the same ~20k characters a second on a
# 2-core CPU), Muon for the blocks' matrices at lr 3e-3 held until the last 20% of the steps
# (warmup-stable-decay); benchmarks/results/shakespeare_trials.json records the trials that chose it
TRAIN_FLAGS = ["--preset", "tiny", "--data", "shakespeare", "--out", RUN_DIR, "--seq-len", "128",
               "--max-steps", "1250", "--optimizer", "muon", "--lr", "3e-3", "--schedule", "wsd",
               "--eval-every", "500"]
# the README's MDM command: semi-autoregressive, blocks of 8 characters left to right, one
# character a step (steps = gen-length), each prediction sampled at temperature 0.8
SAMPLE_FLAGS = ["--gen-length", "64", "--block-length", "8", "--temperature", "0.8"]
# the MDM's samplers measured on the same checkpoint: (what it is, the flags it changes)
MDM_SAMPLERS = [
    ("blocks of 8, temperature 0.8 (the command above)", {}),
    ("blocks of 16, temperature 0.6", {"--block-length": "16", "--temperature": "0.6"}),
    ("one block of 64, temperature 0.6", {"--block-length": "64", "--temperature": "0.6"}),
    ("blocks of 1 (left to right), temperature 0.8", {"--block-length": "1"}),
    ("random remasking (Algorithm 4), one block of 64, temperature 0.8",
     {"--block-length": "64", "--remasking": "random"}),
]
# --quick: the same commands, shrunk to seconds (the numbers mean nothing)
QUICK_TRAIN = {"--max-steps": "20", "--batch-size": "8", "--eval-every": "10", "--seq-len": "32"}
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


def val_curve(history: list[dict]) -> list[dict]:
    """The validation points of a run's history: [{"step": ..., "val_loss": ...}, ...]."""
    return [{"step": r["step"], "val_loss": r["val_loss"]} for r in history if "val_loss" in r]


def train_run(workdir: Path, flags: list[str], run_dir: str) -> dict:
    """Run ``minillada train`` with ``flags`` in ``workdir`` and read back what it did."""
    if (workdir / run_dir).exists():                 # a reused --workdir: replace the earlier run
        flags = flags + ["--overwrite"]
    load_before = list(os.getloadavg())
    t0 = time.perf_counter()
    _run(["train", *flags], workdir)
    wall = time.perf_counter() - t0
    meta = _final_meta(workdir / run_dir)
    history, config = meta["history"], meta["train_config"]
    evals = val_curve(history)
    return {"train_command": _command(["train", *flags]), "train_wall_s": wall,
            "loadavg_before": load_before, "loadavg_after": list(os.getloadavg()),
            "steps": meta["step"], "tokens": meta["step"] * config["batch_size"] * config["seq_len"],
            "final_train_loss": history[-1]["loss"],
            "val_loss": evals[-1]["val_loss"] if evals else None, "val_curve": evals,
            "train_config": config}


def ship(workdir: Path, into: Path | None = None) -> list[Path]:
    """Write the newest checkpoint of each run as a shipped model (minillada.infra.shipped):
    weights, tokenizer, configs and history, without the optimizer's state; into ``into`` instead
    of the package when given. Returns the run directories written."""
    from minillada.infra.checkpoint import load_checkpoint, save_checkpoint
    from minillada.infra.shipped import SHIPPED, shipped_path
    written = []
    for name, run_dir in zip(SHIPPED, (RUN_DIR, AR_RUN_DIR)):
        dest = shipped_path(name) if into is None else into / name
        if dest.exists() and not (dest / "latest").is_file():   # replace a build, nothing else
            raise ValueError(f"--ship: {dest} exists and is not a run directory; name another folder")
        ckpt = load_checkpoint(workdir / run_dir)
        shutil.rmtree(dest, ignore_errors=True)                  # the previous build
        save_checkpoint(dest, ckpt.model, ckpt.step, tokenizer=ckpt.tokenizer,
                        train_config=ckpt.train_config, history=ckpt.history)
        written.append(dest)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workdir", default=None,
                    help=f"folder the commands run in (the checkpoints go to its {RUN_DIR} and "
                    f"{AR_RUN_DIR}); default: a temporary folder, removed afterwards")
    ap.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    ap.add_argument("--ship", nargs="?", const="package", default=None, metavar="DIR",
                    help="also write both trained models, weights only, as the package's shipped "
                    "models (minillada/infra/weights/: python -m minillada sample --ckpt shakespeare), "
                    "or into DIR")
    args = ap.parse_args(argv)
    if args.quick and args.ship == "package":
        raise ValueError("--quick --ship would replace the shipped models with a 20-step run; "
                         "give --ship a folder of its own")
    n_measured, length = (2, 16) if args.quick else (N_MEASURED, MEASURED_LENGTH)
    train_flags = TRAIN_FLAGS
    if args.quick:
        train_flags = _override(TRAIN_FLAGS, QUICK_TRAIN) + ["--no-progress"]
    from minillada.data import read_text
    corpus_words = {w.lower() for w in WORD.findall(read_text("shakespeare"))}
    with tempfile.TemporaryDirectory(prefix="shakespeare_") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        mdm = train_run(workdir, train_flags, RUN_DIR)
        mdm["samplers"] = []
        for label, changes in MDM_SAMPLERS:
            flags = _override(SAMPLE_FLAGS, changes)
            block = flags.index("--block-length") + 1            # a block no longer than the sample
            flags[block] = str(min(int(flags[block]), length))
            measured = measure_samples(workdir / RUN_DIR, flags, corpus_words, n_measured, length)
            mdm["samplers"].append({"sampler": label, **measured})
        mdm["measured"] = mdm["samplers"][0]
        # the README's command, run as a reader runs it, gives the first measured sample
        sample_cmd = ["sample", "--ckpt", RUN_DIR, "--prompt", MEASURED_PROMPTS[0],
                      *mdm["measured"]["flags"], "--seed", "0"]
        text = _run(sample_cmd, workdir, capture=True).removesuffix("\n")
        if text != mdm["measured"]["texts"][0]:
            raise RuntimeError(f"{_command(sample_cmd)} printed {text!r}, but the first measured "
                               f"sample is {mdm['measured']['texts'][0]!r}")
        # the same network and flags, causal, sampled one character a step at the same temperature
        ar = train_run(workdir, _override(train_flags, {"--out": AR_RUN_DIR}) + ["--objective", "ar"],
                       AR_RUN_DIR)
        temperature = SAMPLE_FLAGS[SAMPLE_FLAGS.index("--temperature") + 1]
        ar["measured"] = measure_samples(workdir / AR_RUN_DIR, ["--temperature", temperature],
                                         corpus_words, n_measured, length)
        if args.ship:
            ship(workdir, None if args.ship == "package" else Path(args.ship))
    result = {
        "corpus": "tiny_shakespeare (last 10% held out)",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "commands": [mdm["train_command"], _command(sample_cmd), ar["train_command"],
                     _command(["sample", "--ckpt", AR_RUN_DIR, "--prompt", MEASURED_PROMPTS[0],
                               *ar["measured"]["flags"], "--seed", "0"])],
        "goal": {"real_word_share": 0.85, "repeats": 1, "train_wall_s": 300},
        "mdm": mdm,
        "ar": ar,
    }
    for name, run in (("mdm", mdm), ("ar", ar)):
        val = "-" if run["val_loss"] is None else f"{run['val_loss']:.3f}"
        m = run["measured"]
        print(f"{name}: {run['steps']} steps in {run['train_wall_s']:.0f} s wall; validation "
              f"{'bound' if name == 'mdm' else 'NLL'} {val} nats per character; {m['in_corpus']} of "
              f"{m['words']} words in the corpus ({m['real_word_share']:.0%}), {m['repeats']} "
              "back-to-back repeats")
    for s in mdm["samplers"][1:]:
        print(f"  mdm, {s['sampler']}: {s['real_word_share']:.0%} corpus words, {s['repeats']} repeats")
    write_json("shakespeare_sample_quick" if args.quick else "shakespeare_sample", result, args.out)
    return result


if __name__ == "__main__":
    main()
