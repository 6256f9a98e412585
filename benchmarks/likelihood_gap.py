"""The likelihood gap: the same network trained as a masked diffusion model and as an AR model on
the same Shakespeare characters, with the same recipe and token budget, measured in bits per
character on the same held-out windows as training goes on.

    python -m benchmarks.likelihood_gap                 # tiny preset, 2,000 steps each (CPU: 35 min recorded)
    python -m benchmarks.likelihood_gap --quick         # seconds, for the tests

What is measured, on N fixed windows of T characters from the held-out last 10% of the text, each
scored after its first character (so both models condition on the same one-character prompt):

* AR: the exact negative log-likelihood, sum_i -log p(x_i | x_<i).
* MDM: the negative of LLaDA's bound (Eq. 14, exact-l Monte Carlo, ``log_likelihood``), an upper
  bound on the MDM's negative log-likelihood. Each window is estimated in K independent groups of
  ``mc_num / K`` samples; the standard error reported is that of the Monte Carlo average over the
  windows (the windows themselves are fixed, so window-to-window spread is not noise here).
* The MDM also at two fixed mask rates with ``masked_token_ce`` (15% and 50% of a window masked),
  the yardstick any masked-token predictor can be measured with (an AR model cannot fill a hole).

Writes benchmarks/results/likelihood_gap.json and docs/likelihood_gap.png.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from minillada import ModelConfig, Transformer
from minillada.data import TextDataset, read_text
from minillada.likelihood import answer_log_probs, log_likelihood, masked_token_ce
from minillada.tokenizer import CharTokenizer
from minillada.train import TrainConfig, lr_at, make_optimizer, step_loss

from .common import RESULTS, write_json

LN2 = math.log(2)


def held_out_windows(val: TextDataset, n: int, seq_len: int, seed: int = 0) -> torch.Tensor:
    """n windows of seq_len tokens from the held-out stream, evenly spaced (fixed, no randomness)."""
    starts = torch.linspace(0, val.ids.numel() - seq_len, n).long()
    return val.ids[starts[:, None] + torch.arange(seq_len)]                   # (n, seq_len)


@torch.no_grad()
def ar_bits(model, windows) -> float:
    """Exact bits per character of tokens 1..T-1 of each window given the tokens before them."""
    model.eval()
    nll = -answer_log_probs(model, windows, 1)                                 # (N,)
    model.train()
    return float(nll.mean()) / LN2 / (windows.shape[1] - 1)


def mdm_bits(model, windows, mc_num: int, groups: int = 4, seed: int = 0) -> tuple[float, float]:
    """The bound in bits per character (tokens 1..T-1 given token 0) and its Monte Carlo SE."""
    model.eval()
    per_group = mc_num // groups
    g = torch.Generator().manual_seed(seed)
    estimates = torch.tensor([[-log_likelihood(model, w[:1], w[1:], mc_num=per_group,
                                               batch_size=per_group, generator=g)
                               for _ in range(groups)] for w in windows], dtype=torch.float64)
    model.train()
    n, L = len(windows), windows.shape[1] - 1
    mean = estimates.mean(dim=1)                                               # (N,) per window
    mc_var = estimates.var(dim=1) / groups                                     # (N,) its MC variance
    scale = 1 / LN2 / L
    return float(mean.mean()) * scale, float(mc_var.sum().sqrt() / n) * scale


def fixed_rate_bits(model, windows, rate: float) -> float:
    """``masked_token_ce`` at one mask rate, in bits per masked character: the yardstick another
    masked-token predictor (tiny-diffusion, say) can be measured with on the same windows and masks.
    (An AR model cannot fill a gap from both sides, so it is measured for the MDM only.)"""
    model.eval()
    ce, _ = masked_token_ce(model, windows, rate, generator=torch.Generator().manual_seed(0))
    model.train()
    return ce / LN2


def train_and_measure(objective: str, text_ids, tok, config: TrainConfig, windows, eval_at,
                      mc_num: int) -> dict:
    data = TextDataset(text_ids, config.seq_len)
    torch.manual_seed(config.seed)                                   # the same initialisation for both
    mcfg = ModelConfig.preset(config.model_preset, vocab_size=tok.vocab_size, mask_id=tok.mask_id,
                              causal=objective == "ar")
    model = Transformer(mcfg)
    opt = make_optimizer(model, config)
    cfg_obj = TrainConfig(**{**config.__dict__, "objective": objective})
    g_data = torch.Generator().manual_seed(config.seed)             # the same batches for both
    g_mask = torch.Generator().manual_seed(config.seed + 1)
    curve, t0 = [], time.perf_counter()
    for step in range(config.max_steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, config)
        x0, _ = data.sample(config.batch_size, g_data)
        loss = step_loss(model, x0, None, cfg_obj, tok.mask_id, g_mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        if step + 1 in eval_at:
            point = {"step": step + 1, "tokens": (step + 1) * config.batch_size * config.seq_len,
                     "train_loss": float(loss.detach())}
            if objective == "ar":
                point["bits_per_char"] = ar_bits(model, windows)
            else:
                point["bits_per_char"], point["se"] = mdm_bits(model, windows, mc_num)
                point["masked_15"] = fixed_rate_bits(model, windows, 0.15)
                point["masked_50"] = fixed_rate_bits(model, windows, 0.50)
            curve.append(point)
            print(f"{objective} step {step + 1}: {point['bits_per_char']:.3f} bits/char "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"curve": curve, "seconds": time.perf_counter() - t0,
            "params": model.num_params()}


def plot(result: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ar, mdm = result["ar"]["curve"], result["mdm"]["curve"]
    ax.plot([p["step"] for p in ar], [p["bits_per_char"] for p in ar], "o-", label="AR: exact NLL")
    ax.errorbar([p["step"] for p in mdm], [p["bits_per_char"] for p in mdm],
                yerr=[2 * p["se"] for p in mdm], fmt="s-", capsize=3,
                label="MDM: bound (Eq. 14), ±2 SE")
    ax.set_xlabel("optimizer step (same batches, same recipe)")
    ax.set_ylabel("held-out bits per character")
    ax.set_title("Tiny Shakespeare: the likelihood gap", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--windows", type=int, default=32, help="held-out windows")
    ap.add_argument("--mc-num", type=int, default=128, help="bound samples per window")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a tiny run in seconds (for tests)")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    text = read_text("shakespeare")
    if args.quick:
        text, args.steps, args.eval_every, args.windows, args.mc_num = text[:50_000], 20, 10, 4, 8
    tok = CharTokenizer.train(text)
    ids = torch.tensor(tok.encode(text))
    cut = int(len(ids) * 0.9)
    config = TrainConfig.preset("tiny", max_steps=args.steps, seed=args.seed, progress=False)
    windows = held_out_windows(TextDataset(ids[cut:], config.seq_len), args.windows, config.seq_len)
    eval_at = set(range(args.eval_every, args.steps + 1, args.eval_every)) | {args.steps}
    result = {"corpus": "tiny_shakespeare (last 10% held out)", "seq_len": config.seq_len,
              "batch_size": config.batch_size, "steps": args.steps, "windows": args.windows,
              "mc_num": args.mc_num, "seed": args.seed}
    for objective in ("ar", "mdm"):
        result[objective] = train_and_measure(objective, ids[:cut], tok, config, windows, eval_at,
                                              args.mc_num)
    end_ar = result["ar"]["curve"][-1]["bits_per_char"]
    end_mdm = result["mdm"]["curve"][-1]["bits_per_char"]
    result["ratio_by_step"] = [{"step": a["step"], "mdm_over_ar": m["bits_per_char"] / a["bits_per_char"]}
                               for a, m in zip(result["ar"]["curve"], result["mdm"]["curve"])]
    result["final"] = {"ar_bits_per_char": end_ar, "mdm_bound_bits_per_char": end_mdm,
                       "mdm_se": result["mdm"]["curve"][-1]["se"], "ratio": end_mdm / end_ar}
    print(f"final: AR {end_ar:.3f} bits/char, MDM bound {end_mdm:.3f} "
          f"(SE {result['final']['mdm_se']:.3f}), ratio {end_mdm / end_ar:.2f}")
    name = "likelihood_gap_quick" if args.quick else "likelihood_gap"
    write_json(name, result, args.out)
    if not args.quick:
        plot(result, RESULTS.parent.parent / "docs" / "likelihood_gap.png")
    return result


if __name__ == "__main__":
    main()
