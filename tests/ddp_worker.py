"""Run by test_train.py, alone or under torchrun: train a few steps, write what each rank saw.

usage: ddp_worker.py OUT_DIR BATCH_SIZE_PER_PROCESS
"""

import json
import os
import sys
from pathlib import Path

import torch

from minillada import CharTokenizer, ModelConfig, Transformer
from minillada.data import TextDataset, synthetic_corpus
from minillada.train import TrainConfig, train

out, batch_size = Path(sys.argv[1]), int(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
rank = int(os.environ.get("RANK", "0"))
text = synthetic_corpus(200, seed=0)
tok = CharTokenizer.train(text)
torch.manual_seed(0)
model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=32,
                                n_layers=2, n_heads=2, max_seq_len=32))
config = TrainConfig(max_steps=5, batch_size=batch_size, seq_len=32, warmup_steps=1, eval_every=0,
                  save_every=0, progress=False, device="cpu")
history = train(model, TextDataset.from_text(text, tok, 32), config, out_dir=out / "run")
param_sum = float(sum(p.double().sum() for p in model.parameters()))
(out / f"rank{rank}.json").write_text(json.dumps({"losses": [h["loss"] for h in history],
                                                  "param_sum": param_sum}))
