"""Decoding rules compared: accuracy on the toy task, repetition on Shakespeare (issue 29, item 5).

Each rule of :mod:`minillada.fast.decoding` (margin and entropy confidence, top-k / top-p before the
Gumbel-max draw, taking back decoded tokens) against LLaDA's two (probability, random), on two models:

Part 1, the toy task. An MDM trained with chapter 7's recipe (``ReversalConfig()``'s defaults) on
the couplets task, its rows padded so that every answer is decoded as 8 positions, as in
``benchmarks/sampling_speed.py``. Each rule answers the forward and the reversed test questions
(exact match, greedy unless a temperature is given) at 8 steps (one token a step) and at 4 (two).

Part 2, Shakespeare. The shipped MDM (``--ckpt shakespeare``: no training) writes 20 samples of 64
characters with the README's sampler (blocks of 8, temperature 0.8) changed by one rule at a time;
we count the share of its words that occur in the corpus and the back-to-back repeated words
("the the"), as ``benchmarks/shakespeare_sample.py`` does. Every sample is a ``minillada sample``
command run in this process, so the flags are the ones a reader types.

    python -m benchmarks.decoding_rules [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import time

from minillada.data import read_text
from minillada.infra.shipped import shipped_path
from minillada.reversal import ReversalConfig, build_data, make_task, train_model

from .common import print_table, write_json
from .sampling_speed import GEN, answer_all, questions
from .shakespeare_sample import MEASURED_LENGTH, N_MEASURED, SAMPLE_FLAGS, WORD, _override, measure_samples

# (rule, keyword arguments of generate_fast); every row decodes GEN positions in one block
TOY_RULES = [
    ("probability (LLaDA, Algorithm 5)", {}),
    ("random (Algorithm 4)", {"remasking": "random"}),
    ("margin", {"remasking": "margin"}),
    ("entropy", {"remasking": "entropy"}),
    ("take back 1 a step", {"remask_decoded": 1}),
    ("take back 2 a step", {"remask_decoded": 2}),
    ("probability, temperature 1", {"temperature": 1.0}),
    ("top-k 3, temperature 1", {"temperature": 1.0, "top_k": 3}),
    ("top-p 0.9, temperature 1", {"temperature": 1.0, "top_p": 0.9}),
    ("top-p 0.5, temperature 1", {"temperature": 1.0, "top_p": 0.5}),
]
TOY_STEPS = (8, 4)
# (rule, the flags it changes in the README's sample command)
TEXT_RULES = [
    ("probability (the README's command)", {}),
    ("margin", {"--remasking": "margin"}),
    ("entropy", {"--remasking": "entropy"}),
    ("top-k 10", {"--top-k": "10"}),
    ("top-p 0.9", {"--top-p": "0.9"}),
    ("top-p 0.8", {"--top-p": "0.8"}),
    ("take back 1 a step", {"--remask-decoded": "1"}),
    ("take back 2 a step", {"--remask-decoded": "2"}),
    ("take back 1, one block of 64", {"--remask-decoded": "1", "--block-length": "64"}),
    ("one block of 64 (no taking back)", {"--block-length": "64"}),
]


def toy_table(args) -> tuple[list[dict], dict]:
    config = ReversalConfig(task="couplets", seed=args.seed, device="cpu", progress=False)
    if args.quick:
        config.n_facts, config.steps, config.d_model, config.n_layers = 30, 20, 32, 1
    task = make_task(config.task, config.n_facts, config.paired_fraction, config.seed)
    tok, data, seq_len = build_data(task, seq_len=4 + GEN)      # question (4) + 8 answer positions
    t0 = time.perf_counter()
    model, history = train_model(config, "mdm", tok, data, seq_len)
    trained = {"steps": history[-1]["step"], "train_s": round(time.perf_counter() - t0, 1),
               "final_loss": history[-1]["loss"]}
    print(f"trained the couplets MDM: {trained['steps']} steps in {trained['train_s']:.0f} s")
    qs = questions(task, tok, model.device)
    rows = []
    for steps in TOY_STEPS:
        for name, kwargs in TOY_RULES:
            acc, calls, _ = answer_all(model, qs, {"steps": steps, **kwargs})
            rows.append({"rule": name, "steps": steps, "forward": acc["forward"],
                         "reversed": acc["reversed"], "accuracy": (acc["forward"] + acc["reversed"]) / 2,
                         "calls_per_answer": calls})
    return rows, trained


def text_table(args) -> list[dict]:
    n, length = (2, 16) if args.quick else (N_MEASURED, MEASURED_LENGTH)
    corpus_words = {w.lower() for w in WORD.findall(read_text("shakespeare"))}
    rows = []
    for name, changes in TEXT_RULES:
        flags = _override(SAMPLE_FLAGS, changes)
        block = flags.index("--block-length") + 1                 # a block no longer than the sample
        flags[block] = str(min(int(flags[block]), length))
        m = measure_samples(shipped_path("shakespeare"), flags, corpus_words, n, length)
        rows.append({"rule": name, "real_word_share": m["real_word_share"], "repeats": m["repeats"],
                     "words": m["words"], "flags": " ".join(m["flags"]), "first_sample": m["texts"][0]})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    toy, trained = toy_table(args)
    print_table(toy, ["rule", "steps", "forward", "reversed", "accuracy", "calls_per_answer"])
    text = text_table(args)
    print_table(text, ["rule", "real_word_share", "repeats", "words"])
    name = "decoding_rules" + ("_quick" if args.quick else "")
    write_json(name, {"toy": toy, "toy_model": trained, "shakespeare": text,
                      "settings": vars(args)}, args.out)
    return toy, text


if __name__ == "__main__":
    main()
