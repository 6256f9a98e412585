"""The command line: ``python -m minillada <command>`` (also installed as ``minillada``).

Each command is a small function that takes the parsed arguments; ``main`` builds the parser.
"""

from __future__ import annotations

import argparse
import sys


def cmd_reversal(args) -> int:
    try:
        from . import reversal
    except ImportError:
        print("The reversal experiment is not built yet in this version of minillada.\n"
              "What is here: tokenizers, the Transformer, the forward process and the losses.\n"
              "Try: python -m minillada info")
        return 0
    return reversal.main(args)


def cmd_info(args) -> int:
    import torch

    import minillada as ml

    print(f"minillada {ml.__version__}, torch {torch.__version__}, "
          f"cuda available: {torch.cuda.is_available()}")
    print("public names:", ", ".join(ml.__all__))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minillada", description="Masked diffusion language models (LLaDA) from scratch.")
    sub = parser.add_subparsers(dest="command", metavar="command")
    p = sub.add_parser("reversal", help="the reversal-curse experiment: MDM vs AR at toy scale")
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
    return args.func(args)
