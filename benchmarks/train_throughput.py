"""Training throughput of the same network as a masked diffusion model and as an AR model.

Both objectives run the same Transformer on the same batch shape; the only differences are the
attention mask (``causal``) and the loss (masked diffusion, or next token). We time optimizer steps
(forward, backward, AdamW), interleave the two objectives over repeats, and report median tokens/s,
achieved TFLOP/s and, on a GPU with a known peak, the model FLOPs utilisation (MFU), with
FLOPs per token = 6 N + 12 L T d (N: parameters in matmuls; PaLM appendix B).

The masks of the MDM step are drawn on the CPU from a seeded generator and sent to the GPU without
a host-device sync (``rng.to_device``), so neither objective ever makes Python wait for the GPU.
Three ways to run the model: eager, ``--compile`` (torch.compile: fused kernels, for models big
enough to keep the GPU busy) and ``--cuda-graph`` (replayed CUDA graphs: no per-kernel launch
cost, for small models whose steps are all launch overhead).

    python -m benchmarks.train_throughput [--preset tiny|gpu|100m] [--device auto]
                                          [--compile | --cuda-graph] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from minillada import Transformer
from minillada.fast.cuda_graph import cuda_graphed
from minillada.train import TrainConfig, make_optimizer, resolve_device, step_loss

from .common import model_config, print_table, sync, write_json

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}  # dense, no sparsity


def flops_per_token(model: Transformer, seq_len: int) -> float:
    config = model.config
    n_matmul = model.num_params(non_embedding=True)
    return 6 * n_matmul + 12 * config.n_layers * seq_len * config.d_model


class Runner:
    """One objective's model, optimizer and batch, built (and compiled) once; ``time(n)`` runs n
    optimizer steps and returns the seconds per step."""

    def __init__(self, objective, args, device):
        torch.manual_seed(0)
        model_cfg = model_config(args.preset, max_seq_len=args.seq_len, vocab_size=args.vocab,
                                 mask_id=1, causal=objective == "ar")
        self.model = Transformer(model_cfg).to(device)
        self.config = TrainConfig(objective=objective, batch_size=args.batch_size,
                               seq_len=args.seq_len, device=str(device), compile=args.compile,
                               cuda_graph=args.cuda_graph)
        self.opt = make_optimizer(self.model, self.config)
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda",
                                       cache_enabled=not args.cuda_graph)
        self.net = self.model
        if args.compile:
            self.net = torch.compile(self.model)
        elif args.cuda_graph:
            self.net = cuda_graphed(self.model, (args.batch_size, args.seq_len), self.autocast)
        self.g = torch.Generator().manual_seed(0)
        self.x0 = torch.randint(4, args.vocab, (args.batch_size, args.seq_len),
                                generator=self.g).to(device)
        self.device = device
        self.time(args.warmup)

    def step(self):
        loss = step_loss(self.net, self.x0, None, self.config, 1, self.g, autocast=self.autocast)
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)

    def time(self, n: int) -> float:
        sync(self.device)
        t0 = time.perf_counter()
        for _ in range(n):
            self.step()
        sync(self.device)
        return (time.perf_counter() - t0) / max(n, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--preset", default=None, help="model size: a model preset (tiny, gpu) or 100m "
                    "(default: tiny on CPU, gpu on CUDA)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--seq-len", type=int, default=None)
    ap.add_argument("--vocab", type=int, default=None, help="default 512 (8192 for 100m)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--cuda-graph", action="store_true", help="replay the model's forward and "
                    "backward as CUDA graphs (CUDA only)")
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    if args.cuda_graph and (args.compile or not gpu):
        ap.error("--cuda-graph needs a CUDA device and excludes --compile")
    default_preset = "gpu" if gpu else "tiny"
    args.preset = args.preset or default_preset
    model_config(args.preset, vocab_size=2, mask_id=1)          # an unknown size fails here
    big = args.preset == "100m"
    args.vocab = args.vocab or (8192 if big else 512)
    args.batch_size = args.batch_size or ((32 if big else 256) if gpu else 32)
    args.seq_len = args.seq_len or ((1024 if big else 256) if gpu else 64)
    if args.quick:
        args.steps, args.warmup, args.repeats, args.batch_size, args.seq_len = 2, 1, 1, 4, 16
    runners = {objective: Runner(objective, args, device) for objective in ("mdm", "ar")}
    seconds = {objective: [] for objective in runners}
    for _ in range(args.repeats):          # interleaved, so drift in the machine hits both alike
        for objective, runner in runners.items():
            seconds[objective].append(runner.time(args.steps))
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items()
                 if gpu and k in torch.cuda.get_device_name(device)), None)
    rows = []
    for objective, runner in runners.items():
        tps = args.batch_size * args.seq_len / statistics.median(seconds[objective])
        tflops = tps * flops_per_token(runner.model, args.seq_len) / 1e12
        rows.append({"objective": objective, "preset": args.preset,
                     "params": runner.model.num_params(), "batch": args.batch_size,
                     "seq_len": args.seq_len, "tokens_per_s": tps, "TFLOP_per_s": tflops,
                     "MFU": tflops / peak if peak else None})
    ratio = rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"]
    print_table(rows, ["objective", "preset", "params", "batch", "seq_len", "tokens_per_s",
                       "TFLOP_per_s", "MFU"])
    print(f"MDM/AR throughput ratio: {ratio:.3f}")
    path = "compile" if args.compile else "cuda_graph" if args.cuda_graph else "eager"
    name = (f"train_throughput_{device.type}"
            + ("" if args.preset == default_preset else f"_{args.preset}")
            + ("_graph" if args.cuda_graph else ""))
    write_json(name, {"rows": rows, "mdm_ar_ratio": ratio, "compile": args.compile, "path": path,
                      "settings": vars(args)}, args.out)
    return rows, ratio


if __name__ == "__main__":
    main()
