"""Inference forward of minillada's Transformer against a nanochat-style network of the same width.

The question (issue 17): is our forward slower than it needs to be, for what it computes? The
baseline is a network in the style of nanochat's GPT (Karpathy 2025), which tiny-diffusion uses:
RMSNorm without a learned weight (``F.rms_norm``), separate q, k and v projections, rotary
embeddings on a (B, T, H, D) layout, a norm on q and k, a ReLU^2 MLP four times as wide as the
model, an untied head. Ours differs where the chapters teach LLaMA/LLaDA: a learned RMSNorm weight
written out in float32, one fused qkv projection, rotation of q and k after moving heads first, no
q/k norm, a SwiGLU MLP of width 8/3 d_model. Both have the same width, depth and heads, and about
the same number of parameters (printed).

Diagnostic variants of ours, to find where the difference goes (none changes the arithmetic beyond
rounding; each is checked against ours):

* ``ours, fused norm``: RMSNorm through ``F.rms_norm`` instead of the written-out formula;
* ``ours, no input check``: without the forward's door, ``checks.model_input`` (which reads the ids
  back on a CPU tensor only).

Timing: ``--repeats`` rounds; each round calls every network ``--calls`` times, in turn, so the
networks share the machine's state; reported is the median per call over rounds (and the ratio to
ours). ``--threads`` sets torch's threads (default: torch's choice).

    python -m benchmarks.forward_speed [--batch 16] [--seq-len 128] [--repeats 15] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

from minillada import ModelConfig, Transformer
from minillada import model as model_module
from minillada.infra import checks

from .common import print_table, write_json


class NanochatStyleBlock(nn.Module):
    """Pre-norm block: x + attn(norm(x)), then x + W2 relu(W1 norm(x))^2; norms without weights."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q, self.k, self.v, self.out = (nn.Linear(d_model, d_model, bias=False) for _ in range(4))
        self.up = nn.Linear(d_model, 4 * d_model, bias=False)
        self.down = nn.Linear(4 * d_model, d_model, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        H, D = self.n_heads, C // self.n_heads
        h = F.rms_norm(x, (C,))
        q, k, v = (proj(h).view(B, T, H, D) for proj in (self.q, self.k, self.v))   # each (B, T, H, D)
        q, k = F.rms_norm(_rotate(q, cos, sin), (D,)), F.rms_norm(_rotate(k, cos, sin), (D,))
        y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        x = x + self.out(y.transpose(1, 2).reshape(B, T, C))                          # (B, T, C)
        return x + self.down(F.relu(self.up(F.rms_norm(x, (C,)))).square())


def _rotate(x, cos, sin):
    """Rotary embedding on (B, T, H, D): pairs (j, j + D/2) turned by their angles; cos, sin (T, 1, D/2)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class NanochatStyle(nn.Module):
    def __init__(self, vocab_size: int, d_model: int, n_layers: int, n_heads: int, max_seq_len: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model)
        self.blocks = nn.ModuleList(NanochatStyleBlock(d_model, n_heads) for _ in range(n_layers))
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        cos, sin = model_module.rope_cache(max_seq_len, d_model // n_heads)            # (T, D/2)
        self.register_buffer("cos", cos[:, None, :], persistent=False)                  # (T, 1, D/2)
        self.register_buffer("sin", sin[:, None, :], persistent=False)

    def forward(self, x):
        T = x.shape[1]
        h = F.rms_norm(self.embed(x), (self.embed.embedding_dim,))
        for block in self.blocks:
            h = block(h, self.cos[:T], self.sin[:T])
        return self.head(F.rms_norm(h, (h.shape[-1],))).float()                         # (B, T, V)


@contextmanager
def _patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _fused_norm(self, x):
    return F.rms_norm(x.float(), (x.shape[-1],), self.weight.float(), self.eps).type_as(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--n-layers", type=int, default=4)
    ap.add_argument("--n-heads", type=int, default=4)
    ap.add_argument("--vocab-size", type=int, default=70)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.calls, args.seq_len = 2, 1, 16
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = Transformer(ModelConfig(vocab_size=args.vocab_size, mask_id=1, d_model=args.d_model,
                                   n_layers=args.n_layers, n_heads=args.n_heads,
                                   max_seq_len=args.seq_len)).eval()
    theirs = NanochatStyle(args.vocab_size, args.d_model, args.n_layers, args.n_heads,
                           args.seq_len).eval()
    x = torch.randint(4, args.vocab_size, (args.batch, args.seq_len))

    def fused_norm():
        with _patched(model_module.RMSNorm, "forward", _fused_norm):
            return ours(x)

    def unchecked():
        with _patched(checks, "model_input", lambda config, x, use_cache: None):
            return ours(x)

    networks = {"ours": lambda: ours(x), "ours, fused norm": fused_norm,
                "ours, no input check": unchecked, "nanochat-style": lambda: theirs(x)}
    params = {"ours": sum(p.numel() for p in ours.parameters()),
              "nanochat-style": sum(p.numel() for p in theirs.parameters())}
    times = {name: [] for name in networks}
    with torch.no_grad():
        reference = ours(x)
        for name in ("ours, fused norm", "ours, no input check"):     # same arithmetic, up to rounding
            assert torch.allclose(networks[name](), reference, atol=1e-4), name
        for fn in networks.values():                                   # warm-up
            fn()
        for _ in range(args.repeats):
            for name, fn in networks.items():
                t0 = time.perf_counter()
                for _ in range(args.calls):
                    fn()
                times[name].append((time.perf_counter() - t0) / args.calls)
    base = statistics.median(times["ours"])
    rows = [{"network": name, "ms_per_call": 1e3 * statistics.median(t),
             "ratio_to_ours": statistics.median(t) / base, "spread_ms": 1e3 * (max(t) - min(t)),
             "params": params.get(name.split(",")[0], params["ours"])} for name, t in times.items()]
    print_table(rows, ["network", "ms_per_call", "ratio_to_ours", "spread_ms", "params"])
    write_json("forward_speed_cpu" if not args.quick else "forward_speed_quick",
               {"batch": args.batch, "seq_len": args.seq_len, "d_model": args.d_model,
                "n_layers": args.n_layers, "n_heads": args.n_heads, "vocab_size": args.vocab_size,
                "threads": torch.get_num_threads(), "repeats": args.repeats, "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
