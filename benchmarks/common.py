"""What every benchmark shares: the machine's name, a table printer and a JSON writer."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from minillada import ModelConfig
from minillada.model import PRESETS

RESULTS = Path(__file__).resolve().parent / "results"
# model sizes beyond model.PRESETS: "100m" is GPT-2-small-shaped (about 98M parameters at vocab 8192)
SIZES = {"100m": dict(d_model=768, n_layers=12, n_heads=12)}


def model_config(size: str, **fields) -> ModelConfig:
    """A ModelConfig of a named size: a model preset ("tiny", "gpu") or one of SIZES ("100m")."""
    shapes = {**PRESETS, **SIZES}
    if size not in shapes:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(shapes)}")
    return ModelConfig(**{**shapes[size], **fields})


def sync(device: torch.device) -> None:
    """Wait for the GPU's queued work, so that a host clock read after it times the work."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def machine() -> dict:
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "torch": torch.__version__, "python": platform.python_version()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).rjust(w) for c, w in zip(columns, widths)))


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def write_json(name: str, payload: dict, out_dir=None) -> Path:
    out = Path(out_dir) if out_dir else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=1))
    print(f"wrote {path}")
    return path
