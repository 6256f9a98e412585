"""Training throughput of the same network as a masked diffusion model and as an AR model.

Both objectives run the same Transformer on the same batch shape; the only differences are the
attention mask (``causal``) and the loss (masked diffusion, or next token). We time optimizer steps
(forward, backward, AdamW), interleave the two objectives over repeats, and report median tokens/s,
achieved TFLOP/s and, on a GPU with a known peak, the model FLOPs utilisation (MFU), with
FLOPs per token = 6 N + 12 L T d (N: parameters in matmuls; PaLM appendix B).

    python -m benchmarks.train_throughput [--preset tiny|gpu] [--device auto] [--compile] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from minillada import ModelConfig, Transformer
from minillada.train import TrainConfig, make_optimizer, resolve_device, step_loss

from .common import print_table, write_json

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}  # dense, no sparsity


def flops_per_token(model: Transformer, seq_len: int) -> float:
    cfg = model.config
    n_matmul = model.num_params(non_embedding=True)
    return 6 * n_matmul + 12 * cfg.n_layers * seq_len * cfg.d_model


def time_steps(objective, args, device) -> dict:
    torch.manual_seed(0)
    model_cfg = ModelConfig.preset(args.preset, vocab_size=args.vocab, mask_id=1,
                                   causal=objective == "ar", max_seq_len=args.seq_len)
    model = Transformer(model_cfg).to(device)
    cfg = TrainConfig(objective=objective, batch_size=args.batch_size, seq_len=args.seq_len,
                      device=str(device), compile=args.compile)
    opt = make_optimizer(model, cfg)
    net = torch.compile(model) if args.compile else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    g = torch.Generator().manual_seed(0)
    x0 = torch.randint(4, args.vocab, (args.batch_size, args.seq_len), generator=g).to(device)

    def step():
        loss = step_loss(net, x0, None, cfg, 1, g, autocast=autocast)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - t0) / args.steps
    return {"tokens_per_s": args.batch_size * args.seq_len / seconds,
            "flops_per_token": flops_per_token(model, args.seq_len), "params": model.num_params()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--preset", default=None, help="model preset (default: tiny on CPU, gpu on CUDA)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--seq-len", type=int, default=None)
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    args.preset = args.preset or ("gpu" if gpu else "tiny")
    args.batch_size = args.batch_size or (64 if gpu else 32)
    args.seq_len = args.seq_len or (256 if gpu else 64)
    if args.quick:
        args.steps, args.warmup, args.repeats, args.batch_size, args.seq_len = 2, 1, 1, 4, 16
    runs = {"mdm": [], "ar": []}
    for _ in range(args.repeats):          # interleaved, so drift in the machine hits both alike
        for objective in runs:
            runs[objective].append(time_steps(objective, args, device))
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items()
                 if gpu and k in torch.cuda.get_device_name(device)), None)
    rows = []
    for objective, rs in runs.items():
        tps = statistics.median(r["tokens_per_s"] for r in rs)
        tflops = tps * rs[0]["flops_per_token"] / 1e12
        rows.append({"objective": objective, "preset": args.preset, "params": rs[0]["params"],
                     "tokens_per_s": tps, "TFLOP_per_s": tflops,
                     "MFU": tflops / peak if peak else None})
    ratio = rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"]
    print_table(rows, ["objective", "preset", "params", "tokens_per_s", "TFLOP_per_s", "MFU"])
    print(f"MDM/AR throughput ratio: {ratio:.3f}")
    write_json(f"train_throughput_{device.type}", {"rows": rows, "mdm_ar_ratio": ratio,
                                                   "settings": vars(args)}, args.out)
    return rows, ratio


if __name__ == "__main__":
    main()
