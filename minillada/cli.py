"""The command line: ``python -m minillada <command>`` (also installed as ``minillada``).

    train      train a model on a text file (or SFT pairs in a .jsonl file); torchrun-ready
    sample     generate from a checkpoint
    reversal   the reversal-curse experiment (MDM against AR)
    info       versions and public names

Each command is a small function that takes the parsed arguments; ``main`` builds the parser and
turns the ``ValueError`` of a bad input into a one-line message and exit code 2 (argparse's code
for a bad command line), instead of a traceback. Settings are checked before any data is read or
any model is built. A run that diverges (``FloatingPointError``), runs out of memory or finds the
disk full is not a bad input but a failed run: a one-line message and exit code 1. Ctrl-C ends in
one line too (the step reached, the last checkpoint), with exit code 130.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import torch

import minillada

from .infra import checks
from . import reversal
from .reversal import jsonl as reversal_jsonl
from .bpe import BPETokenizer
from .infra.checkpoint import NoSpaceError, load_checkpoint, writable_dir
from .data import SFTDataset, TextDataset, read_jsonl, read_text, synthetic_corpus
from .model import PRESETS, ModelConfig, Transformer
from .infra.plotting import plot_reversal_bars, plot_reversal_curves
from .infra.run_dir import check_run_dir, run_lock
from .infra.shipped import shipped_name
from .fast.bench import bench, held_out_prompts
from .fast.bench import table as bench_table
from .fast.block_diffusion import generate_blocks
from .fast.sampling import generate_fast
from .sampling import generate_autoregressive
from .tokenizer import CharTokenizer, WordTokenizer
from .train import (OBJECTIVES, OPTIMIZERS, SCHEDULES, TRAIN_PRESETS, TrainConfig, TrainingInterrupted,
                    train)


def _say(*args) -> None:
    """print, but only once under torchrun (on rank 0)."""
    if os.environ.get("RANK", "0") == "0":
        print(*args)


# the tokenizers by their kind ("char", "word", "bpe"), the name they save under
TOKENIZERS = {cls.kind: cls for cls in (CharTokenizer, WordTokenizer, BPETokenizer)}


def _build_tokenizer(kind: str, text: str, bpe_vocab_size: int):
    if kind not in TOKENIZERS:
        raise ValueError(f"--tokenizer must be one of {sorted(TOKENIZERS)}, got {kind!r}")
    if kind == "bpe":
        return BPETokenizer.train(text, bpe_vocab_size)
    return TOKENIZERS[kind].train(text)


def _load_data(path, config):
    """(tokenizer, train data, validation data) from a text file, a .jsonl of SFT pairs, or, with
    no file, the built-in synthetic corpus."""
    if path is not None and str(path).endswith(".jsonl"):
        pairs = [(r["prompt"], r["completion"]) for r in read_jsonl(path)]
        tok = _build_tokenizer(config.tokenizer, " ".join(p + " " + a for p, a in pairs),
                               config.bpe_vocab_size)
        try:
            data = SFTDataset.from_text_pairs(pairs, tok, config.seq_len)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        return tok, data, data
    if path is None:
        text = synthetic_corpus(2000, seed=config.seed)
        _say("no --data given: training on the built-in synthetic corpus")
    else:
        text = read_text(path)
    tok = _build_tokenizer(config.tokenizer, text, config.bpe_vocab_size)
    train_data, val_data = TextDataset.from_text(text, tok, config.seq_len).split(0.1)
    return tok, train_data, val_data


def _as_flags(error: ValueError) -> ValueError:
    """A config's ValueError with its field names written as the flags that set them:
    "TrainConfig.weight_decay must be ..." becomes "--weight-decay must be ..."."""
    return ValueError(re.sub(r"\b(?:TrainConfig|ReversalConfig)\.(\w+)",
                             lambda m: "--" + m.group(1).replace("_", "-"), str(error)))


def cmd_train(args) -> int:
    overrides = {name: getattr(args, name) for name in TrainConfig.field_names()
                 if getattr(args, name, None) is not None}
    try:
        config = TrainConfig.preset(args.preset, **overrides)   # checks every setting
    except ValueError as e:
        raise _as_flags(e) from None
    checks.device(config.device, "--device")             # before the data is read or a model built
    with run_lock(args.out if os.environ.get("RANK", "0") == "0" else None, "--out"):
        return _train_into(args, config)


def _train_into(args, config) -> int:
    """``train`` once its settings are checked and ``--out`` is locked."""
    check_run_dir(args.out, args.resume, args.overwrite, "--out")
    tok, train_data, val_data = _load_data(args.data, config)
    model_cfg = ModelConfig.preset(config.model_preset, vocab_size=tok.vocab_size,
                                   mask_id=tok.mask_id, causal=config.objective == "ar")
    model_cfg.max_seq_len = max(model_cfg.max_seq_len, config.seq_len)
    torch.manual_seed(config.seed)            # the initial weights too follow --seed
    model = Transformer(model_cfg)
    if args.init_from is not None:
        _init_from(model, tok, args.init_from, resume=args.resume)
    _say(f"{config.objective} model: {model.num_params() / 1e6:.2f}M parameters, "
          f"{tok.vocab_size} tokens ({config.tokenizer})")
    t0 = time.perf_counter()
    history = train(model, train_data, config, val_data, tok, out_dir=args.out, resume=args.resume,
                    overwrite=args.overwrite)
    timed = [r["tokens_per_s"] for r in history if "tokens_per_s" in r]   # this session's steps
    if timed:
        late = statistics.median(timed[len(timed) // 2:])
        _say(f"final loss {history[-1]['loss']:.4f}; {len(timed)} steps in "
             f"{time.perf_counter() - t0:.0f} s, median {late:.0f} tokens/s over "
             f"the second half; checkpoint in {args.out}")
    else:
        _say(f"no steps to run: the run in {args.out} has reached --max-steps {config.max_steps} "
             "(raise it to train further)")
    return 0


def _init_from(model, tok, path, resume: bool) -> None:
    """``--init-from``: start ``model`` from another run's weights. From an AR run into an MDM this
    is AR-to-diffusion (Dream, Ye et al. 2025; DiffuLLaMA, Gong et al. 2025): the same weights, the
    attention now bidirectional, trained on with the diffusion loss. We do not shift the logits as
    Dream does (Dream reads the prediction of token i at position i - 1, where the AR head put it);
    here position i predicts token i, as every MDM of this library does, so the converted model
    samples, scores and checkpoints like any other, at the price of relearning that alignment."""
    if resume:
        raise ValueError("--init-from starts a new run from another run's weights; --resume continues "
                         "this one: give one of them")
    try:
        src = load_checkpoint(path)
    except ValueError as e:
        raise ValueError(f"--init-from: {e}") from None
    mine, theirs = model.config.to_dict(), src.model.config.to_dict()
    differ = [k for k in mine if k not in ("causal", "max_seq_len") and mine[k] != theirs.get(k)]
    if differ:
        raise ValueError(f"--init-from {path}: its model differs from this run's in "
                         f"{', '.join(f'{k} ({theirs.get(k)} there, {mine[k]} here)' for k in differ)}; "
                         "give the same --preset and data")
    same_tokens = (src.tokenizer is not None and src.tokenizer.vocab_size == tok.vocab_size
                   and all(src.tokenizer.decode([i]) == tok.decode([i]) for i in range(tok.vocab_size)))
    if not same_tokens:
        raise ValueError(f"--init-from {path}: its tokenizer is not this run's (train on the same "
                         "data with the same --tokenizer)")
    model.load_state_dict(src.model.state_dict())
    kind = "AR" if src.model.config.causal else "MDM"
    _say(f"initialised from {path} ({kind}, step {src.step}); training on as "
         f"{'an AR model' if model.config.causal else 'a masked diffusion model'}")


def _check_sample_flags(args) -> torch.device:
    """The numbers of ``sample``, checked before the checkpoint is loaded (the library checks them
    again, but by their Python names)."""
    checks.positive_int(args.gen_length, "--gen-length")
    for flag, value in (("--steps", args.steps), ("--block-length", args.block_length)):
        if value is not None:            # None: the default, gen-length
            checks.positive_int(value, flag)
    checks.number(args.temperature, "--temperature (0 is greedy)", 0)
    if args.threshold is not None:
        checks.number(args.threshold, "--threshold", 0, 1, open_low=True)
    if args.top_k is not None:
        checks.positive_int(args.top_k, "--top-k")
    if args.top_p is not None:
        checks.number(args.top_p, "--top-p", 0, 1, open_low=True)
    checks.positive_int(args.remask_decoded, "--remask-decoded", zero_ok=True)
    if args.remask_decoded and args.threshold is not None:
        raise ValueError("--remask-decoded with --threshold is not supported (a threshold may end a "
                         "block before the tokens taken back are predicted again); give one of them")
    return checks.device(args.device, "--device")


def _block_size_of(ckpt):
    """The block size of a block-diffusion checkpoint (``--objective bd3``), None for any other."""
    config = ckpt.train_config
    return config.get("block_size") if config.get("objective") == "bd3" else None


def cmd_sample(args) -> int:
    torch.manual_seed(args.seed)              # before anything random happens
    device = _check_sample_flags(args)
    ckpt = load_checkpoint(args.ckpt, device=device)
    model, tok = ckpt.model.eval(), ckpt.tokenizer
    if tok is None:
        raise ValueError(f"{args.ckpt} has no tokenizer.json, so text prompts cannot be encoded")
    try:
        ids = tok.encode(args.prompt, allow_special=True)
    except ValueError as e:
        raise ValueError(f"--prompt: {e}") from None
    mdm_only = [flag for flag, value in (("--steps", args.steps), ("--block-length", args.block_length),
                                         ("--threshold", args.threshold), ("--kv-cache", args.kv_cache),
                                         ("--remasking", args.remasking != "low_confidence"),
                                         ("--remask-decoded", args.remask_decoded),
                                         ("--top-k", args.top_k), ("--top-p", args.top_p))
                if value not in (None, False)]
    if model.config.causal and mdm_only:
        raise ValueError(f"{', '.join(mdm_only)}: masked diffusion settings, but {args.ckpt} holds an "
                         "autoregressive model, which samples one token at a time; leave them out")
    if not ids and model.config.causal:
        raise ValueError("--prompt is empty: an autoregressive model needs at least one token to "
                         "continue (a masked diffusion model can start from nothing)")
    block_size = _block_size_of(ckpt)
    not_bd3 = [f for f in mdm_only if f in ("--steps", "--block-length", "--threshold", "--kv-cache",
                                            "--remask-decoded")]
    if block_size and not_bd3:
        raise ValueError(f"{', '.join(not_bd3)}: LLaDA sampler settings, but {args.ckpt} holds a "
                         f"block-diffusion model, which decodes its own blocks of {block_size} one "
                         "token a step with an exact cache; leave them out")
    prompt = torch.tensor([ids], dtype=torch.long, device=device)          # (1, P); P = 0 is allowed
    g = torch.Generator().manual_seed(args.seed)
    if block_size:
        out = generate_blocks(model, prompt, args.gen_length, block_size, temperature=args.temperature,
                              remasking=args.remasking, generator=g, top_k=args.top_k, top_p=args.top_p)
    elif model.config.causal:
        out = generate_autoregressive(model, prompt, args.gen_length, args.temperature, g,
                                      eos_id=tok.eos_id)
    else:
        gen_length = args.gen_length
        out = generate_fast(model, prompt, steps=gen_length if args.steps is None else args.steps,
                            gen_length=gen_length,
                            block_length=gen_length if args.block_length is None else args.block_length,
                            temperature=args.temperature, remasking=args.remasking,
                            threshold=args.threshold, generator=g, kv_cache=args.kv_cache,
                            top_k=args.top_k, top_p=args.top_p, remask_decoded=args.remask_decoded)
    print(tok.decode(out[0, prompt.shape[1]:], skip_special=True))
    return 0


def _refuse_to_overwrite_other_files(out: Path) -> None:
    """``bench --out``: replace an earlier bench report, never another file (a learner's work)."""
    if not out.exists():
        return
    try:
        earlier = json.loads(out.read_text())
    except (OSError, ValueError):
        earlier = None
    if not (isinstance(earlier, dict) and {"ckpt", "rows"} <= earlier.keys()):
        raise ValueError(f"--out {out} exists and is not a bench report; name another file")


def cmd_bench(args) -> int:
    """``python -m minillada bench``: each decoder's cost on a checkpoint and its own text."""
    for flag, value in (("--gen-length", args.gen_length), ("--block-length", args.block_length),
                        ("--batch", args.batch), ("--prompt-length", args.prompt_length),
                        ("--repeats", args.repeats)):
        checks.positive_int(value, flag)
    if args.gen_length % args.block_length:
        raise ValueError(f"--gen-length {args.gen_length} must be a multiple of --block-length "
                         f"{args.block_length}")
    _refuse_to_overwrite_other_files(Path(args.out))        # before anything is timed
    device = checks.device(args.device, "--device")
    data = args.data
    if data is None and shipped_name(args.ckpt) is not None:
        data = "shakespeare"                         # what the shipped models were trained on
    if data is None:
        raise ValueError("--data: name the text the checkpoint was trained on (a shipped data set "
                         "such as shakespeare, or a text file); its last 10% gives the prompts")
    ckpt = load_checkpoint(args.ckpt, device=device)
    model, tok = ckpt.model.eval(), ckpt.tokenizer
    if tok is None:
        raise ValueError(f"{args.ckpt} has no tokenizer.json, so --data cannot be encoded")
    prompts = held_out_prompts(read_text(data), tok, args.batch, args.prompt_length, args.seed)
    block_size = _block_size_of(ckpt)
    rows = bench(model, prompts, args.gen_length, args.block_length, args.repeats,
                 progress=not args.no_progress, block_size=block_size)
    print(bench_table(rows))
    report = {"ckpt": str(args.ckpt), "data": str(data), "device": str(device),
              "cores": os.cpu_count(), "torch": torch.__version__, "causal": model.config.causal,
              "parameters": model.num_params(), "block_size": block_size, "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    _say(f"wrote {out}")
    return 0


def cmd_reversal(args) -> int:
    """``python -m minillada reversal``: run, print the table, write JSON and PNGs to --out."""
    matplotlib.use("Agg")                                  # the plots go to files, never a window
    if (args.train is None) != (args.test is None):
        raise ValueError("--train and --test go together: a JSONL file of training lines and one "
                         "of test questions")
    task = None if args.train is None else reversal_jsonl.JsonlTask.from_files(args.train, args.test)
    out = writable_dir(args.out, "--out")     # before training, so a bad --out fails at once
    try:                                       # ReversalConfig checks every setting
        config = reversal.ReversalConfig(task=args.task, n_facts=args.n_facts,
                                         paired_fraction=args.paired_fraction, seed=args.seed,
                                         steps=args.steps, device=args.device,
                                         eval_every=args.eval_every, optimizer=args.optimizer,
                                         progress=not args.no_progress,
                                         cuda_graph=not args.no_cuda_graph,
                                         stop_forward=None if args.no_early_stop
                                         else reversal.ReversalConfig.stop_forward)
    except ValueError as e:
        raise _as_flags(e) from None
    checks.device(config.device, "--device")
    if args.quick:
        config.n_facts, config.steps, config.eval_every = 40, 30, 15
        config.d_model, config.n_layers = 32, 2
    t0 = time.perf_counter()
    results = reversal.run(config) if task is None else reversal_jsonl.run(config, task)
    results["wall_seconds"] = time.perf_counter() - t0
    (out / "reversal.json").write_text(json.dumps(results, indent=1))
    plot_reversal_bars(results).savefig(out / "reversal_bars.png", dpi=110)
    plot_reversal_curves(results).savefig(out / "reversal_curves.png", dpi=110)
    print(reversal.report(results))
    for name in ("mdm", "ar"):
        for ex in results["examples"][name][:2]:
            print(f"  {name.upper()}: {ex['prompt']!r} -> {ex['got']!r} (expected {ex['expected']!r})")
    print(f"wall time {results['wall_seconds']:.0f} s; wrote {out}/reversal.json, "
          "reversal_bars.png, reversal_curves.png")
    return 0


def cmd_info(args) -> int:
    print(f"minillada {minillada.__version__}, torch {torch.__version__}, "
          f"cuda available: {torch.cuda.is_available()}")
    print("public names:", ", ".join(minillada.__all__))
    return 0


# the choices of the flags, from the modules that define them
CHOICES = {"objective": list(OBJECTIVES), "model_preset": sorted(PRESETS),
           "schedule": list(SCHEDULES), "tokenizer": list(TOKENIZERS), "optimizer": list(OPTIMIZERS)}


def _add_train_flags(p) -> None:
    p.add_argument("--data", default=None, help="a shipped data set (shakespeare: 1.1 MB of "
                   "Shakespeare's plays), a UTF-8 text file, or a .jsonl file of "
                   '{"prompt": ..., "answer": ...} lines for SFT (default: a synthetic corpus)')
    p.add_argument("--out", default="runs/train", help="run directory for checkpoints")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest intact checkpoint in --out (none yet: start)")
    p.add_argument("--init-from", metavar="CKPT", default=None,
                   help="start from this checkpoint's weights (same preset and data); from an AR run "
                   "with --objective mdm: AR-to-diffusion")
    p.add_argument("--overwrite", action="store_true",
                   help="delete the checkpoints already in --out and start over (without --resume "
                   "or --overwrite, a directory that holds a run is refused)")
    p.add_argument("--preset", default="tiny", choices=sorted(TRAIN_PRESETS),
                   help="model size and training defaults")
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                           help=f"(default {f.default})")
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(f.type), type(f.default))
            p.add_argument(flag, type=kind, default=None, choices=CHOICES.get(f.name),
                           help=f"(default {f.default})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minillada", description="Masked diffusion language models (LLaDA) from scratch.")
    sub = parser.add_subparsers(dest="command", metavar="command")

    p = sub.add_parser("train", help="train a masked diffusion (or AR) model",
                       description="Train on a text file. Every TrainConfig field is a flag; a "
                       "preset sets the defaults. Runs under torchrun for several GPUs.")
    _add_train_flags(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="generate text from a checkpoint")
    p.add_argument("--ckpt", required=True, help="a run directory or checkpoint directory")
    p.add_argument("--prompt", required=True)
    p.add_argument("--gen-length", type=int, default=32)
    p.add_argument("--steps", type=int, default=None, help="default: gen-length (one per step)")
    p.add_argument("--block-length", type=int, default=None, help="default: gen-length")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--remasking", default="low_confidence", choices=checks.FAST_REMASKING,
                   help="MDM: which predictions a step keeps: the most confident (LLaDA's "
                   "Algorithm 5), random ones (Algorithm 4, the reverse process as it is), or the "
                   "most confident by margin or entropy (minillada/fast/decoding.py)")
    p.add_argument("--threshold", type=float, default=None,
                   help="confidence-threshold parallel decoding (Fast-dLLM)")
    p.add_argument("--top-k", type=int, default=None, help="draw only from the k most likely tokens")
    p.add_argument("--top-p", type=float, default=None,
                   help="draw only from the nucleus: the most likely tokens whose mass reaches p")
    p.add_argument("--remask-decoded", type=int, default=0, metavar="R",
                   help="each step takes back the R least confident decoded tokens (ReMDM-style)")
    p.add_argument("--kv-cache", action="store_true",
                   help="MDM: Fast-dLLM's approximate prefix cache across blocks (AR models always "
                   "use their exact KV cache)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("bench", help="what each decoder costs on a checkpoint: model calls per "
                       "token, tokens per second, latency, peak memory",
                       description="Time every decoder (MDM: plain, blocks, prefix cache, threshold; "
                       "AR: with and without its KV cache) on prompts from the held-out 10%% of the "
                       "checkpoint's text; print a table and write it as JSON.")
    p.add_argument("--ckpt", required=True, help="a run directory, a checkpoint directory, or "
                   "shakespeare / shakespeare_ar (the shipped models)")
    p.add_argument("--data", default=None, help="the text the checkpoint was trained on (default "
                   "for the shipped models: shakespeare)")
    p.add_argument("--gen-length", type=int, default=64)
    p.add_argument("--block-length", type=int, default=8)
    p.add_argument("--batch", type=int, default=1, help="prompts decoded together")
    p.add_argument("--prompt-length", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3, help="timed calls per decoder (median)")
    p.add_argument("--seed", type=int, default=0, help="which held-out windows are the prompts")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="bench.json", help="the JSON file to write")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "reversal", help="the reversal-curse experiment: MDM vs AR at toy scale",
        description="Train a masked diffusion model and an autoregressive model of the same size "
        "on the same made-up facts, then ask both the reversed question about the facts they "
        "only ever saw forward. Prints a table; writes reversal.json and two PNG plots.")
    p.add_argument("--task", default="people", choices=list(reversal.TASKS),
                   help="people: '<first> <last> is <adj> <noun>'; couplets: two-line poems")
    p.add_argument("--train", metavar="FILE.jsonl", default=None,
                   help="your own facts instead of a built-in task: one {\"prompt\": ..., "
                   "\"completion\": ...} per line, learned whole by both models (example: "
                   "minillada/corpora/facts_train.jsonl)")
    p.add_argument("--test", metavar="FILE.jsonl", default=None,
                   help="the questions for --train: prompt, expected completion and an optional "
                   "\"group\" (one table row per group; example: minillada/corpora/facts_test.jsonl)")
    p.add_argument("--seed", type=int, default=0, help="data, initialisation and training seed")
    p.add_argument("--steps", type=int, default=reversal.ReversalConfig.steps,
                   help="optimizer steps for each model, at most (see --no-early-stop)")
    p.add_argument("--no-early-stop", action="store_true",
                   help="train every step, instead of stopping each model once it has answered "
                   "more than 95%% of its forward questions at two evaluations in a row")
    p.add_argument("--n-facts", type=int, default=reversal.ReversalConfig.n_facts,
                   help="number of made-up facts")
    p.add_argument("--paired-fraction", type=float, default=reversal.ReversalConfig.paired_fraction,
                   help="share of facts also trained in the reversed template; the rest are "
                   "seen only forward and are the test set")
    p.add_argument("--eval-every", type=int, default=reversal.ReversalConfig.eval_every,
                   help="steps between curve points (and early-stopping checks)")
    p.add_argument("--optimizer", default=reversal.ReversalConfig.optimizer, choices=reversal.OPTIMIZERS,
                   help="muon: Muon for the blocks' matrices and AdamW for the rest (the default); "
                   "adamw: AdamW for everything, the recipe before 2026-12-07")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--no-cuda-graph", action="store_true",
                   help="on a GPU, train eagerly instead of replaying CUDA graphs (slower)")
    p.add_argument("--out", default="runs/reversal", help="output directory")
    p.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_reversal)
    p = sub.add_parser("info", help="print the version and the public names")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ValueError as e:               # a bad input: the arguments, a file, a setting
        print(f"minillada {args.command}: error: {e}", file=sys.stderr)
        return 2
    except FloatingPointError as e:       # the run diverged: its message says what to try
        print(f"minillada {args.command}: error: {e}", file=sys.stderr)
        return 1
    except NoSpaceError as e:             # the disk is full; the last checkpoint is intact
        print(f"minillada {args.command}: error: {e}", file=sys.stderr)
        return 1
    except TrainingInterrupted as e:      # Ctrl-C: 130, the shell's code for death by SIGINT
        print(f"minillada {args.command}: interrupted at step {e.step}; {e.last}; continue with "
              "--resume", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"minillada {args.command}: interrupted", file=sys.stderr)
        return 130
    except (MemoryError, torch.OutOfMemoryError, RuntimeError) as e:
        if not _out_of_memory(e):
            raise
        print(f"minillada {args.command}: error: out of memory ({str(e).splitlines()[0][:200]}); "
              "use a smaller --batch-size, --seq-len or model", file=sys.stderr)
        return 1


def _out_of_memory(e: BaseException) -> bool:
    """True for the ways torch and Python say that memory ran out (the CPU allocator's is a plain
    RuntimeError, recognised by its message)."""
    return isinstance(e, (MemoryError, torch.OutOfMemoryError)) or "can't allocate memory" in str(e)
