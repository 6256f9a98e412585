"""``generate`` and ``infill`` give the tokens they gave before the package took its chapter layout
(issue 27): the outputs below were recorded with the flat layout's code (commit 200ff6e, on main
before the move) and are compared exactly. A random-weight model is enough: the tokens depend on
every logit's order.

    python tests/test_generate_recorded.py --record       # maintainers: write the recording anew
"""

import json
import sys
from pathlib import Path

import pytest
import torch

from minillada import ModelConfig, Transformer, generate, infill

RECORDED = Path(__file__).resolve().parent / "data" / "generate_recorded.json"

CASES = {      # name: keyword arguments of generate (seeded generators are made from "seed")
    "greedy, one block": dict(steps=8, gen_length=8, block_length=8),
    "greedy, two blocks": dict(steps=8, gen_length=8, block_length=4),
    "greedy, two per step": dict(steps=4, gen_length=8, block_length=8),
    "random remasking": dict(steps=8, gen_length=8, block_length=8, remasking="random", seed=1),
    "temperature 1": dict(steps=8, gen_length=8, block_length=4, temperature=1.0, seed=2),
    "guidance 1.5": dict(steps=8, gen_length=8, block_length=8, cfg_scale=1.5),
}


def model_and_prompt():
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=24, mask_id=1, d_model=32, n_layers=2, n_heads=2,
                                    max_seq_len=48, init_std=0.5)).eval()   # varied logits
    prompt = torch.randint(4, 24, (2, 5), generator=torch.Generator().manual_seed(3))
    return model, prompt


def outputs() -> dict:
    model, prompt = model_and_prompt()
    out = {}
    for name, kw in CASES.items():
        kw = dict(kw)
        seed = kw.pop("seed", None)
        g = None if seed is None else torch.Generator().manual_seed(seed)
        out[name] = generate(model, prompt, generator=g, **kw).tolist()
    x = torch.cat([prompt, torch.full((2, 3), 1), prompt[:, :2]], dim=1)     # masks in the middle
    out["infill"] = infill(model, x).tolist()
    return out


@pytest.mark.parametrize("name", [*CASES, "infill"])
def test_the_tokens_are_the_recorded_ones(name):
    assert outputs()[name] == json.loads(RECORDED.read_text())[name]


if __name__ == "__main__" and "--record" in sys.argv:
    rows = [f" {json.dumps(name)}: {json.dumps(tokens)}" for name, tokens in outputs().items()]
    RECORDED.write_text("{\n" + ",\n".join(rows) + "\n}\n")
    print(f"wrote {RECORDED}")
