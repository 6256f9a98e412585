"""Chapter 6, the recipe: every setting of a training run, checked when it is built.

``TrainConfig`` is a dataclass in the style of nanoGPT: one field per knob, with its default and a
comment. Every field is checked on construction, so a bad setting fails at once with its name
rather than in the middle of a run; the presets are starting points that ``train`` and the command
line share. The loop that reads it is :mod:`minillada.train` (which re-exports these names).

>>> TrainConfig.preset("tiny", max_steps=200).batch_size
32
>>> TrainConfig(lr=-1)
Traceback (most recent call last):
...
ValueError: TrainConfig.lr must be a finite number > 0, got -1
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .infra import checks
from .model import PRESETS

OBJECTIVES = ("mdm", "ar", "bd3")
SCHEDULES = ("cosine", "wsd", "constant")
OPTIMIZERS = ("adamw", "muon")
TOKENIZER_KINDS = ("char", "word", "bpe")     # the command line builds one of these from the data
CHOICES = {"objective": OBJECTIVES, "model_preset": tuple(PRESETS), "tokenizer": TOKENIZER_KINDS,
           "schedule": SCHEDULES, "optimizer": OPTIMIZERS}   # the fields that name one of a few
# the defaults of TrainConfig.preset(name): "tiny", about 2 minutes on 2 CPU cores; "gpu", a few
# minutes on one GPU
TRAIN_PRESETS = {
    "tiny": dict(model_preset="tiny", seq_len=64, batch_size=32, max_steps=1000,
                 lr=2e-3),
    "gpu": dict(model_preset="gpu", seq_len=256, batch_size=64, max_steps=3000, lr=1e-3,
                warmup_steps=200, compile=True, eval_every=500, save_every=1000),
}


@dataclass
class TrainConfig:
    objective: str = "mdm"        # "mdm": masked diffusion (LLaDA); "ar": the same net, causal;
                                  # "bd3": block diffusion (fast/block_diffusion.py)
    block_size: int = 16          # "bd3": tokens per block (the sequence is whole blocks)
    model_preset: str = "tiny"    # the model size, see model.PRESETS
    tokenizer: str = "char"       # for the command line: "char", "word" or "bpe"
    bpe_vocab_size: int = 512
    seq_len: int = 64
    batch_size: int = 32          # rows per micro-batch and process
    grad_accum: int = 1           # micro-batches per optimizer step
    max_steps: int = 1000         # optimizer steps
    lr: float = 2e-3
    optimizer: str = "adamw"      # "adamw", or "muon": Muon for the blocks' matrices, AdamW the rest
    min_lr_ratio: float = 0.1     # the schedule ends at lr * min_lr_ratio
    warmup_steps: int = 50
    schedule: str = "cosine"      # "cosine", "wsd" (warmup-stable-decay) or "constant"
    decay_fraction: float = 0.2   # wsd: the last fraction of steps decays linearly
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0        # 0 disables clipping
    mask_eps: float = 1e-3        # p_mask = (1 - eps) t + eps
    eval_every: int = 250         # 0 disables validation
    eval_batches: int = 8
    save_every: int = 500         # 0: only at the end (when there is an output directory)
    seed: int = 0
    device: str = "auto"          # "auto", "cpu", "cuda", "cuda:1", ...
    bf16: bool = True             # autocast to bfloat16 on CUDA (ignored on CPU)
    compile: bool = False         # torch.compile the model
    cuda_graph: bool = False      # replay forward and backward as CUDA graphs (ignored on CPU)
    progress: bool = True         # show a tqdm progress bar

    def __post_init__(self):
        # every field is checked on construction, so that a bad setting fails at once with its
        # name, not after the model is built or in the middle of a run
        checks.train_config(self, CHOICES)

    @classmethod
    def preset(cls, name: str, **overrides) -> "TrainConfig":
        """``"tiny"``: about 2 minutes on 2 CPU cores; ``"gpu"``: a few minutes on one GPU."""
        checks.preset_name(name, TRAIN_PRESETS)
        return cls(**{**TRAIN_PRESETS[name], **overrides})

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
