"""The README's results section, generated from the JSON in ``benchmarks/results/``.

    python -m benchmarks.report            # print the Markdown
    python -m benchmarks.report --write    # replace the block between the markers in README.md

Every figure in the block comes from a results file, which names the machine (and card) it was
measured on; a test checks that the README's block is what this script writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from minillada.fast.bench import table as bench_table

from .common import RESULTS
from .shakespeare_sample import MEASURED_PROMPTS, _final_meta, val_curve

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _where(d) -> str:
    m = d["machine"]
    return (f"{m['gpu']}, torch {m['torch']}" if m.get("gpu")
            else f"{m['cores']}-core CPU, torch {m['torch']}")


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def throughput() -> list[str]:
    out = ["### Training throughput: the same network as MDM and as AR",
           "`python -m benchmarks.train_throughput` (GPU: bf16 autocast, and `--compile` or "
           "`--cuda-graph`). Median of interleaved repeats; MFU counts 6N + 12LTd FLOPs per token "
           "against 989 TFLOP/s dense bf16.", "",
           "| machine | model | path | batch x seq | MDM tokens/s | AR tokens/s | MDM/AR "
           "| MFU (MDM / AR) |",
           "|---|---|---|---|---|---|---|---|"]
    for name in ("train_throughput_cpu", "train_throughput_cuda", "train_throughput_cuda_100m",
                 "train_throughput_cuda_tiny", "train_throughput_cuda_tiny_graph"):
        d = _load(name)
        if d is None:
            continue
        mdm, ar = d["rows"]
        s = d["settings"]
        mfu = "-" if mdm.get("MFU") is None else f"{100 * mdm['MFU']:.1f}% / {100 * ar['MFU']:.1f}%"
        path = d.get("path") or ("compile" if d.get("compile") else "eager")
        out.append(f"| {_where(d)} | {mdm['preset']} ({mdm['params'] / 1e6:.1f}M) | {path} | "
                   f"{s['batch_size']} x {s['seq_len']} | {mdm['tokens_per_s']:,.0f} | "
                   f"{ar['tokens_per_s']:,.0f} | {d['mdm_ar_ratio']:.3f} | {mfu} |")
    return out


def sampling() -> list[str]:
    out = []
    for name in ("sampling_speed_cpu", "sampling_speed_cuda"):
        d = _load(name)
        if d is None or not d["toy"]:
            continue
        out += [f"### Sampling on the toy task ({_where(d)})",
                "`python -m benchmarks.sampling_speed`: an MDM and an AR model trained on the "
                "couplets task answer the 50 test couplets' forward and reversed questions one at a "
                "time; the MDM decodes 8 positions per answer.", "",
                "| decoder | accuracy (fwd / rev) | model calls per answer | answers/s |",
                "|---|---|---|---|"]
        for r in d["toy"]:
            out.append(f"| {r['decoder']} | {_pct(r['accuracy'])} ({_pct(r['forward'])} / "
                       f"{_pct(r['reversed'])}) | {r['calls_per_answer']:.2f} | "
                       f"{r['answers_per_s']:.0f} |")
        out.append("")
    out += ["### Prefix KV cache on a long answer",
            "256 tokens in blocks of 32, one token per step, after a 256-token prompt; untrained "
            "model; median of interleaved repeats.", "",
            "| machine | model | batch | no cache (s) | prefix cache (s) | speed-up |",
            "|---|---|---|---|---|---|"]
    for device in ("cpu", "cuda"):
        # a part-2-only run (--skip-toy) is newer than the part 2 of a full run, when there is one
        d = _load(f"sampling_speed_{device}_long") or _load(f"sampling_speed_{device}")
        if d is None:
            continue
        longs = d["long_answer"] if isinstance(d["long_answer"], list) else [d["long_answer"]]
        for r in longs:
            out.append(f"| {_where(d)} | {r['preset']} ({r['params'] / 1e6:.1f}M) | {r['batch']} | "
                       f"{r['seconds_no_cache']:.2f} | {r['seconds_prefix_cache']:.2f} | "
                       f"{r['speedup']:.2f}x |")
    return out


def likelihood() -> list[str]:
    d = _load("likelihood_variance")
    if d is None:
        return []
    by = {(r["estimator"], r["mc_num"]): r["std"] for r in d["rows"]}
    out = [f"### Likelihood estimators ({_where(d)})",
           "`python -m benchmarks.likelihood_variance`: standard deviation of the log-likelihood "
           f"bound over {d['repeats']} repeats.", "",
           "| mc_num | exact-l (Eq. 14) | random-t (Eq. 12) |", "|---|---|---|"]
    for n in sorted({k[1] for k in by}):
        out.append(f"| {n} | {by[('l', n)]:.2f} | {by[('t', n)]:.2f} |")
    return out


def tokenizer() -> list[str]:
    d = _load("tokenizer_speed")
    if d is None:
        return []
    out = [f"### Byte-level BPE in pure Python ({_where(d)})",
           "`python -m benchmarks.tokenizer_speed`, 1 MB generated corpora.", "",
           "| corpus | vocab | train (s) | encode MB/s | decode MB/s |", "|---|---|---|---|---|"]
    for r in d["rows"]:
        out.append(f"| {r['corpus']} | {r['vocab']} | {r['train_s']:.2f} | "
                   f"{r['encode_MB_per_s']:.1f} | {r['decode_MB_per_s']:.1f} |")
    return out


def ablations() -> list[str]:
    d = _load("reversal_ablations")
    if d is None:
        return []
    out = [f"### What the reversal needs: ablations of the MDM ({_where(d)}, seed {d['seed']})",
           "`python -m benchmarks.reversal_ablations`: the full-length recipe (250 people, all 1500 "
           "steps, no early stop) with one setting changed; accuracy on the test facts; the last "
           "column is the reversed accuracy at steps 1000, 1250 and 1500.", "",
           "| ablation | forward | reversed | infill | reversed over training |", "|---|---|---|---|---|"]
    for r in d["rows"]:
        curve = " ".join(f"{_pct(c['reversed'])}@{c['step']}" for c in r["curve"] if c["step"] >= 1000)
        out.append(f"| {r['ablation']}: {r['description']} | {_pct(r['mdm_forward'])} | "
                   f"{_pct(r['mdm_reversed'])} | {_pct(r['mdm_infill'])} | {curve} |")
    return out


def _verse(text: str) -> str:
    """A sample as one table cell: line breaks written " / ", as verse is quoted inline."""
    lines = [line.strip() for line in text.strip().split("\n")]
    return " / ".join(line for line in lines if line).replace("|", "\\|")


def shipped_curve(name: str) -> list[dict]:
    """The validation curve in the meta.json of a shipped model (minillada.infra.shipped)."""
    from minillada.infra.shipped import shipped_path
    return val_curve(_final_meta(shipped_path(name))["history"])


def shakespeare_sample() -> list[str]:
    d = _load("shakespeare_sample")
    if d is None:
        return []
    mdm, ar, goal = d["mdm"], d["ar"], d["goal"]
    config = mdm["train_config"]
    m = mdm["measured"]
    met = (m["real_word_share"] >= goal["real_word_share"] and m["repeats"] <= goal["repeats"]
           and mdm["train_wall_s"] <= goal["train_wall_s"])
    n, length = len(m["texts"]), len(m["texts"][0]) if m["texts"] else 0
    out = [f"### A Shakespeare sample in five minutes: the MDM and its AR twin ({_where(d)})",
           "`python -m benchmarks.shakespeare_sample` trains the same network twice with the same "
           f"flags ({config['batch_size']} x {config['seq_len']} characters a step, "
           f"{config['optimizer']}, lr {config['lr']:g}, {config['schedule']}), as a masked diffusion "
           "model and with `--objective ar` as an autoregressive one, then scores "
           f"{n} samples of {length} characters from each (seeds 0-{n - 1}, the prompts "
           f"{', '.join(MEASURED_PROMPTS)} in turn): the share of generated words that "
           "occur in the corpus, and how often a word repeats the one before it (\"you you\"). "
           "The MDM's two commands, then the AR twin's:", "",
           "```bash", *d["commands"], "```", "",
           "| model | steps | training wall time | validation, nats per character | words in the "
           "corpus | back-to-back repeats |", "|---|---|---|---|---|---|"]
    for name, run, what in (("MDM", mdm, "bound"), ("AR twin", ar, "NLL")):
        r = run["measured"]
        out.append(f"| {name} | {run['steps']} | {run['train_wall_s']:.0f} s | {run['val_loss']:.3f} "
                   f"({what}) | {_pct(r['real_word_share'])} ({r['in_corpus']} of {r['words']}) | "
                   f"{r['repeats']} |")
    out += ["", f"Issue 28's goal for the MDM, at least {_pct(goal['real_word_share'])} of its words "
            f"in the corpus with at most {goal['repeats']} back-to-back repeat in {goal['train_wall_s']} s "
            f"of training: **{'met' if met else 'not met'}**. At this compute an AR model learns "
            "faster: the MDM's bound is "
            f"{mdm['val_loss'] - ar['val_loss']:.2f} nats per character above the AR twin's NLL "
            "(SMDM, Nie et al. 2024, needs about 16 times the AR model's training compute for an MDM "
            "to match it; an MDM overtakes an AR model only when data, not compute, runs short, "
            "Prabhudesai et al. 2025). The trials that chose this recipe (a BPE tokenizer, the "
            "optimizer, the learning rate, an AR warm start, other confidence rules and top-p) are "
            "in benchmarks/results/shakespeare_trials.json. Other samplers on the same MDM "
            "checkpoint trade one measure against the other (more words from the corpus, more "
            "repeats: the confident choices are the common short words):", "",
            "| MDM sampler | words in the corpus | back-to-back repeats |", "|---|---|---|"]
    for r in mdm["samplers"]:
        out.append(f"| {r['sampler']} | {_pct(r['real_word_share'])} ({r['in_corpus']} of "
                   f"{r['words']}) | {r['repeats']} |")
    if (shipped_curve("shakespeare"), shipped_curve("shakespeare_ar")) == (mdm["val_curve"], ar["val_curve"]):
        out += ["", "These two runs are the models the package ships (`--ship`): "
                "`python -m minillada sample --ckpt shakespeare ...` and `--ckpt shakespeare_ar`."]
    out += ["", "The first five samples of each, same prompt and seed side by side (line breaks "
            "written /):", "", "| prompt, seed | MDM | AR twin |", "|---|---|---|"]
    for i in range(min(5, n)):
        prompt = MEASURED_PROMPTS[i % len(MEASURED_PROMPTS)]         # the prompts in turn
        out.append(f"| {prompt} {i} | {_verse(m['texts'][i])} | {_verse(ar['measured']['texts'][i])} |")
    return out


def bench_shipped() -> list[str]:
    """The tables of ``python -m minillada bench`` on the two shipped models."""
    runs = [d for d in (_load("bench_shakespeare"), _load("bench_shakespeare_ar")) if d is not None]
    if not runs:
        return []
    d, r0 = runs[0], runs[0]["rows"][0]
    where = (d["device"] if d["device"] != "cpu" else f"{d['cores']}-core CPU") + f", torch {d['torch']}"
    out = [f"### `bench` on the shipped models ({where})",
           "`python -m minillada bench --ckpt shakespeare --out benchmarks/results/bench_shakespeare.json`"
           " (and `--ckpt shakespeare_ar`): "
           f"{r0['gen_length']} characters after a {r0['prompt_length']}-character held-out prompt, "
           f"batch {r0['batch']}, blocks of 8, median of the timed calls.", ""]
    for d in runs:
        out += [f"{'AR twin' if d['causal'] else 'MDM'} (`--ckpt {d['ckpt']}`):", "",
                *bench_table(d["rows"]).splitlines(), ""]
    threshold = [r for d in runs for r in d["rows"] if r["decoder"] == "threshold"]
    if threshold and threshold[0]["model_calls_per_token"] > 0.99:
        out.append("The threshold (0.9) saves no calls here: this small character-level model is "
                   "seldom that sure of a second position in the same step.")
        return out
    return out[:-1]


def likelihood_gap() -> list[str]:
    d = _load("likelihood_gap")
    if d is None:
        return []
    f = d["final"]
    out = [f"### The likelihood gap on Tiny Shakespeare ({_where(d)}, seed {d['seed']})",
           "`python -m benchmarks.likelihood_gap`: the tiny network trained as an MDM and as an AR "
           f"model on the same batches with the same recipe ({d['steps']} steps of "
           f"{d['batch_size']} x {d['seq_len']} characters), scored on {d['windows']} fixed held-out "
           "windows after their first character: the AR model's exact NLL, the MDM's bound (Eq. 14, "
           f"{d['mc_num']} samples per window, Monte Carlo SE in brackets), in bits per character. "
           "The fixed-rate columns are `masked_token_ce` (bits per masked character), the yardstick "
           "any masked-token predictor can be measured with.", "",
           "| step | AR NLL | MDM bound | MDM / AR | MDM, 15% masked | MDM, 50% masked |",
           "|---|---|---|---|---|---|"]
    for a, m in zip(d["ar"]["curve"], d["mdm"]["curve"]):
        out.append(f"| {a['step']} | {a['bits_per_char']:.3f} | {m['bits_per_char']:.3f} "
                   f"({m['se']:.3f}) | {m['bits_per_char'] / a['bits_per_char']:.2f} | "
                   f"{m['masked_15']:.3f} | {m['masked_50']:.3f} |")
    ratios = d["ratio_by_step"]
    out += ["", f"At the end the MDM's bound is {f['ratio']:.2f}x the AR model's NLL "
            f"({f['mdm_bound_bits_per_char']:.3f} against {f['ar_bits_per_char']:.3f} bits per "
            f"character); the ratio went from {ratios[0]['mdm_over_ar']:.2f} at step "
            f"{ratios[0]['step']} to {ratios[-1]['mdm_over_ar']:.2f} at step {ratios[-1]['step']}. "
            "At equal compute the masked model trails, as MDLM and SMDM report; whether more compute "
            "closes the gap is not something this budget can show.", "",
            "Another masked model of the same file (tiny-diffusion's character-level diffusion "
            "Transformer, for example, which reports no likelihood) is measured the same way: wrap it "
            "as `(B, T) -> (B, T, V)` logits and call `masked_token_ce(model, windows, 0.15)` on "
            "these windows (`benchmarks/likelihood_gap.py` builds them). We have not run "
            "tiny-diffusion here: its weights would have to be downloaded, and nothing in minillada "
            "downloads.", "",
            "![likelihood gap](docs/likelihood_gap.png)"]
    return out


def reversal_seeds() -> list[str]:
    """The main job over seeds, side by side with commit 46ecd43's recipe, and the wall-time ratio."""
    d = _load("reversal_speed")
    if d is None:
        return []
    new, old, ratio = d["default_recipe"], d["baseline_recipe"], d["wall_ratio"]
    out = [f"### The reversal main job over seeds, against the recipe it replaced ({_where(d)}, "
           f"{d['threads']} threads)",
           "`python -m benchmarks.reversal_seeds --baseline-seeds 0 1 2 3 4 --name reversal_speed`: the "
           f"default run of `python -m minillada reversal` ({new['optimizer']}, d_model {new['d_model']}, a "
           f"curve point every {new['eval_every']} steps) and commit 46ecd43's recipe ({old['optimizer']}, "
           f"d_model {old['d_model']}, every {old['eval_every']}) on seeds 0-4, each seed's two runs one "
           "after the other in the same process. Both stop once a model has answered more than 95% of "
           "its forward questions at two evaluations in a row. Wall time: both models, evaluations included. "
           f"**Ratio of the summed wall times: {ratio['default_s']:.0f} s / {ratio['baseline_s']:.0f} s = "
           f"{ratio['ratio']:.2f}** (per seed: "
           + ", ".join(f"{ratio['per_seed'][str(s)]:.2f}" for s in ratio["seeds"]) + ").", "",
           "| recipe | seed | MDM forward | MDM reversed | MDM infill | AR forward | AR reversed | "
           "AR ranking | MDM steps | AR steps | wall time |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in d["rows"]:
        recipe = "default" if r["recipe"] == "default" else "46ecd43"
        out.append(f"| {recipe} | {r['seed']} | {_pct(r['mdm_forward'])} | {_pct(r['mdm_reversed'])} | "
                   f"{_pct(r['mdm_infill'])} | {_pct(r['ar_forward'])} | {_pct(r['ar_reversed'])} | "
                   f"{_pct(r['ar_ranking'])} | {r['mdm_steps']} | {r['ar_steps']} | {r['wall_s']:.0f} s |")
    return out


def forward_speed() -> list[str]:
    """Our inference forward against a nanochat-style network of the same width (issue 17)."""
    d = _load("forward_speed_cpu")
    if d is None:
        return []
    out = [f"### Inference forward against a nanochat-style network ({_where(d)}, {d['threads']} threads)",
           f"`python -m benchmarks.forward_speed`: batch {d['batch']} x {d['seq_len']} positions, d_model "
           f"{d['d_model']}, {d['n_layers']} layers, {d['n_heads']} heads; the median of {d['repeats']} "
           "rounds that call each network in turn (spread: the range over rounds). The variants of ours "
           "only look for where time goes.", "",
           "| network | parameters | ms per call | spread | ratio to ours |", "|---|---|---|---|---|"]
    for r in d["rows"]:
        out.append(f"| {r['network']} | {r['params']:,} | {r['ms_per_call']:.1f} | {r['spread_ms']:.0f} ms | "
                   f"{r['ratio_to_ours']:.2f} |")
    return out


def own_facts() -> list[str]:
    d = _load("reversal_own_facts_seed0")
    if d is None:
        return []
    acc, n = d["accuracy"], d["n_test_facts"] // len(d["groups"])
    out = [f"### The reversal test on your own facts ({_where(d)}, seed {d['config']['seed']})",
           f"`{d['command']}`: {d['n_train_sentences']} training lines (200 made-up people, each "
           "in five phrasings that name the person first; 160 of them also in three that name the "
           f"office first), {n} people seen only forward, asked both ways; "
           f"{d['config']['steps']} steps per model, every one (JSONL runs do not stop early).", "",
           "| question (exact match of the completion) | MDM | AR |", "|---|---|---|"]
    examples = {"forward": '"Zapoam Laufeinei is" -> "the mayor of Ploba."',
                "reversed": '"The mayor of Ploba is" -> "Zapoam Laufeinei."'}
    for g in d["groups"]:
        out.append(f"| {g}: {examples.get(g, '')} | {_pct(acc['mdm'][g])} | {_pct(acc['ar'][g])} |")
    curve = {c["step"]: c["reversed"] for c in d["curves"]["mdm"]}
    steps = sorted(curve)
    out += ["", f"The MDM's reversed accuracy was {_pct(curve[steps[-3]])} at step {steps[-3]}, "
            f"{_pct(curve[steps[-2]])} at step {steps[-2]} and {_pct(curve[steps[-1]])} at step "
            f"{steps[-1]}: still rising when training stopped. {d['note'][0].upper()}{d['note'][1:]} "
            f"({d['wall_seconds']:.0f} s).", "",
            "![own facts](docs/reversal_own_facts_curves.png)"]
    return out


def decoding_rules() -> list[str]:
    """The decoding rules of ``fast/decoding.py`` on the toy task and on the shipped Shakespeare MDM."""
    d = _load("decoding_rules")
    if d is None:
        return []
    trained = d["toy_model"]
    steps = sorted({r["steps"] for r in d["toy"]}, reverse=True)
    out = [f"### Decoding rules ({_where(d)})",
           "`python -m benchmarks.decoding_rules`. The toy task: an MDM trained with chapter 7's "
           f"recipe on the couplets task ({trained['steps']} steps, {trained['train_s']:.0f} s) answers "
           "the forward and reversed test questions, 8 positions an answer, in one block; accuracy "
           "(forward / reversed) by steps per answer:", "",
           "| rule | " + " | ".join(f"{s} steps" for s in steps) + " |",
           "|---|" + "---|" * len(steps)]
    by = {(r["rule"], r["steps"]): r for r in d["toy"]}
    for rule in dict.fromkeys(r["rule"] for r in d["toy"]):
        cells = [f"{_pct(by[rule, s]['accuracy'])} ({_pct(by[rule, s]['forward'])} / "
                 f"{_pct(by[rule, s]['reversed'])})" for s in steps]
        out.append(f"| {rule} | " + " | ".join(cells) + " |")
    out += ["", "Shakespeare: the shipped MDM (`--ckpt shakespeare`), the README's sampler (blocks of 8, "
            "temperature 0.8) changed by one rule, 20 samples of 64 characters (the prompts and seeds "
            "of the Shakespeare benchmark):", "",
            "| rule | words in the corpus | back-to-back repeats |", "|---|---|---|"]
    for r in d["shakespeare"]:
        out.append(f"| {r['rule']} | {_pct(r['real_word_share'])} | {r['repeats']} |")
    return out


def block_diffusion() -> list[str]:
    """Block diffusion against LLaDA's blocks: speed on a long answer, and the Shakespeare bound."""
    d, bound = _load("block_diffusion_speed"), _load("block_diffusion_bound")
    if d is None:
        return []
    s = d["settings"]
    out = [f"### Block diffusion (BD3-LM) against LLaDA's blocks ({_where(d)})",
           f"`python -m benchmarks.block_diffusion`. Speed: an untrained `tiny` network decodes "
           f"{s['gen_length']} tokens after a {s['prompt_length']}-token prompt in blocks of "
           f"{s['block_length']}, one token a step (median of {s['repeats']} interleaved repeats):", "",
           "| decoder | seconds | tokens/s | speed-up over LLaDA's prefix cache |", "|---|---|---|---|"]
    for r in d["speed"]:
        out.append(f"| {r['decoder']} | {r['seconds']:.2f} | {r['tokens_per_s']:.0f} | "
                   f"{r['speedup_vs_prefix_cache']:.2f}x |")
    b = bound and bound["bound"]
    if b:
        c, m = b["compare"], b["measured"]
        out += ["", "The bound: the README's Shakespeare recipe with `--objective bd3 --block-size 16` "
                f"({b['steps']} steps; {b['train_wall_s']:.0f} s of training at a load average of "
                f"{b['loadavg_after'][2]:.1f}, beside other jobs, so no speed figure), validation loss "
                "in nats per character (an upper bound on the NLL for both diffusion models, the exact "
                "NLL for the AR model), and 20 samples of 64 characters at temperature 0.8:", "",
                "| model | validation | words in the corpus | back-to-back repeats |", "|---|---|---|---|",
                f"| MDM (LLaDA), shipped | {c['mdm']['val_loss']:.3f} | {_pct(c['mdm']['real_word_share'])} "
                f"| {c['mdm']['repeats']} |",
                f"| block diffusion, blocks of 16 | {b['val_loss']:.3f} | {_pct(m['real_word_share'])} | "
                f"{m['repeats']} |",
                f"| AR twin, shipped | {c['ar']['val_loss']:.3f} | {_pct(c['ar']['real_word_share'])} | "
                f"{c['ar']['repeats']} |"]
    return out


def reversal_convert() -> list[str]:
    """Chapter 7 on an AR model converted into a diffusion model (issue 29, item 3)."""
    d = _load("reversal_convert")
    if d is None:
        return []
    acc, steps = d["accuracy"], d["steps_trained"]
    out = [f"### AR to diffusion: does the converted model gain the reversed answers? ({_where(d)}, "
           f"seed {d['seed']})",
           "`python -m benchmarks.reversal_convert`: the AR twin of the reversal experiment, trained as "
           f"`run` trains it ({steps['ar']} steps: forward {_pct(acc['ar']['forward'])}, reversed "
           f"{_pct(acc['ar']['reversed'])}), then its weights with the attention made bidirectional "
           "(no logit shift) trained on with the diffusion loss; beside it the MDM from scratch on the "
           "same batches and masks. Both stop once the reversed answers pass 95% twice in a row.", "",
           "| diffusion steps | converted: forward / reversed | from scratch: forward / reversed |",
           "|---|---|---|"]
    for r in d["table"]:
        if r["diffusion_step"] % 100 == 0 or r is d["table"][-1]:
            scratch = (f"{_pct(r['scratch_forward'])} / {_pct(r['scratch_reversed'])}"
                       if r["scratch_forward"] != "-" else "-")
            out.append(f"| {r['diffusion_step']} | {_pct(r['forward'])} / {_pct(r['reversed'])} | "
                       f"{scratch} |")
    out += ["", f"Right after the conversion the model answers nothing (its head still predicts the "
            "*next* token at each position, and here position i must predict token i); it gains the "
            "reversed answers, a little ahead of the "
            f"model from scratch in the middle, and both stop at {steps['converted']} and "
            f"{steps['mdm']} steps: on this task the AR start saves no steps.", "",
            "![AR to diffusion](benchmarks/results/reversal_convert.png)"]
    return out


def markdown() -> str:
    parts = [reversal_seeds(), throughput(), forward_speed(), sampling(), likelihood(), shakespeare_sample(),
             bench_shipped(), decoding_rules(), block_diffusion(), reversal_convert(), likelihood_gap(),
             tokenizer(), ablations(), own_facts()]
    return "\n\n".join("\n".join(p) for p in parts if p).replace("\n\n\n", "\n\n") + "\n"


def write(readme: Path = README) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(f"{head}{START}\n{markdown()}{END}{tail}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--write", action="store_true", help="update README.md in place")
    args = ap.parse_args(argv)
    if args.write:
        write()
        print(f"updated {README}")
    else:
        print(markdown())


if __name__ == "__main__":
    main()
