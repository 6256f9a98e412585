"""Byte-level BPE speed, in pure Python: training time and encode/decode throughput.

The corpus is generated (``minillada.data.synthetic_corpus``) to about 1 MB, so nothing is
downloaded; a second, harder corpus of random made-up words has far more distinct chunks and so
measures the merge loop rather than the chunk cache.

    python -m benchmarks.tokenizer_speed [--mb 1.0] [--vocab-size 512] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from minillada import BPETokenizer
from minillada.data import synthetic_corpus
from minillada.reversal import made_up_words

from .common import print_table, write_json


def corpora(n_bytes: int) -> dict:
    text = synthetic_corpus(max(1, n_bytes // 40), seed=0)[:n_bytes]
    rnd = random.Random(0)
    words = made_up_words(20000, rnd)
    varied = " ".join(rnd.choice(words) for _ in range(n_bytes // 7))[:n_bytes]
    return {"synthetic sentences": text, "random made-up words": varied}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mb", type=float, default=1.0, help="corpus size in MB")
    ap.add_argument("--vocab-size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.mb, args.vocab_size, args.repeats = 0.01, 280, 1
    rows = []
    for name, text in corpora(int(args.mb * 1e6)).items():
        mb = len(text.encode()) / 1e6
        t0 = time.perf_counter()
        tok = BPETokenizer.train(text, args.vocab_size)
        train_s = time.perf_counter() - t0
        enc, dec = [], []
        for _ in range(args.repeats):
            tok._cache.clear()                       # every repeat starts with a cold cache
            t0 = time.perf_counter()
            ids = tok.encode(text)
            enc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert tok.decode(ids) == text
            dec.append(time.perf_counter() - t0)
        rows.append({"corpus": name, "MB": mb, "vocab": tok.vocab_size, "train_s": train_s,
                     "encode_MB_per_s": mb / statistics.median(enc),
                     "decode_MB_per_s": mb / statistics.median(dec),
                     "bytes_per_token": len(text.encode()) / len(ids)})
    print_table(rows, list(rows[0]))
    write_json("tokenizer_speed", {"rows": rows, "repeats": args.repeats}, args.out)
    return rows


if __name__ == "__main__":
    main()
