"""How noisy is each likelihood estimator? (LLaDA Sec. B.6: Eq. 14 against Eq. 12.)

For one small model and one (prompt, answer) pair, we repeat ``log_likelihood`` many times at each
``mc_num`` and report the standard deviation of the estimate, for the exact-l estimator (Eq. 14) and
the random-t estimator (Eq. 12), next to the exact bound from ``exact_elbo``.

    python -m benchmarks.likelihood_variance [--repeats 100] [--quick]
"""

from __future__ import annotations

import argparse
import time

import torch

from minillada import ModelConfig, Transformer, exact_elbo, log_likelihood

from .common import print_table, write_json


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=100)
    ap.add_argument("--mc-nums", type=int, nargs="+", default=[16, 64, 128, 1024])
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.mc_nums = 5, [16, 32]

    torch.manual_seed(0)
    # an untrained model with large weights: its cross-entropies vary a lot between mask patterns
    config = ModelConfig(vocab_size=32, mask_id=1, d_model=64, n_layers=2, n_heads=4, max_seq_len=32,
                      init_std=0.3)
    model = Transformer(config).eval()
    prompt, answer = list(range(4, 12)), list(range(12, 20))        # L = 8: 255 mask patterns
    exact = exact_elbo(model, prompt, answer)
    g = torch.Generator().manual_seed(0)
    rows = []
    for mc in args.mc_nums:
        for est in ("l", "t"):
            t0 = time.perf_counter()
            draws = torch.tensor([log_likelihood(model, prompt, answer, mc_num=mc,
                                                 batch_size=min(mc, 64), generator=g, estimator=est)
                                  for _ in range(args.repeats)], dtype=torch.float64)
            rows.append({"estimator": est, "mc_num": mc, "mean": draws.mean().item(),
                         "std": draws.std().item(), "exact": exact,
                         "ms_per_estimate": 1000 * (time.perf_counter() - t0) / args.repeats})
    print(f"exact bound: {exact:.4f}  (answer length 8, {args.repeats} repeats per row)")
    print_table(rows, ["estimator", "mc_num", "mean", "std", "ms_per_estimate"])
    write_json("likelihood_variance", {"repeats": args.repeats, "rows": rows}, args.out)
    return rows


if __name__ == "__main__":
    main()
