"""Execute lesson notebooks in full mode and keep their outputs (for maintainers).

    python -m exercises._execute_lessons                 # every lesson, in order
    python -m exercises._execute_lessons 05_sampling     # one

The lesson edition is committed executed, so that a reader who opens it on a code-hosting site,
without a kernel, sees every figure and number the text refers to. This runs a lesson top to bottom
in full mode (no ``MINILLADA_FAST``) with ``MINILLADA_DOCS=1``, so that its headline figures in
``docs/`` come from the same run as its outputs, and writes it back with its outputs and, in its
metadata, what ran::

    "minillada": {"executed": {"code_sha256": ..., "seconds": ..., "mode": "full", ...}}

``code_sha256`` is the hash of the code cells' sources (see :func:`code_hash`): a test recomputes
it, so outputs left over from an older version of a cell fail the suite until the lesson is run
again.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSONS = HERE.parent / "notebooks"


def code_hash(nb) -> str:
    """SHA-256 of the code cells' sources, in order (a notebook as nbformat or plain JSON)."""
    digest = hashlib.sha256()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = cell["source"]
            digest.update(("".join(src) if isinstance(src, list) else src).encode())
            digest.update(b"\x00")
    return digest.hexdigest()


def run_notebook(nb, folder, env: dict, timeout: int = 3600) -> None:
    """Execute ``nb`` (nbformat) in place, its kernel started in ``folder`` with the environment
    variables ``env`` set (a value of None: unset), and the caller's environment restored after."""
    import nbclient

    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(path: Path, timeout: int = 3600) -> float:
    """Run the lesson at ``path`` in full mode and write it back executed; returns the seconds."""
    import nbformat
    import torch

    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    run_notebook(nb, path.parent, {"MINILLADA_FAST": None, "MINILLADA_DOCS": "1",
                                   "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
                 timeout)
    seconds = time.perf_counter() - t0
    nb.metadata.setdefault("minillada", {})["executed"] = {
        "code_sha256": code_hash(nb), "mode": "full", "seconds": round(seconds),
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()}-core {platform.machine()}, torch {torch.__version__}"}
    nb.metadata.pop("widgets", None)     # widget state would only repeat the static pictures
    nbformat.write(nb, str(path))
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("names", nargs="*", help="lesson names, e.g. 05_sampling (default: all)")
    args = ap.parse_args(argv)
    paths = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
        if len(paths) != len(args.names):
            print(f"unknown lesson among {args.names}; choose from "
                  f"{[p.stem for p in LESSONS.glob('[0-9][0-9]_*.ipynb')]}", file=sys.stderr)
            return 2
    for path in paths:
        print(f"{path.stem}: running in full mode ...", flush=True)
        seconds = execute(path)
        size = path.stat().st_size
        print(f"{path.stem}: {seconds:.0f} s, {size / 1e6:.2f} MB executed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
