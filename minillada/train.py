"""Chapter 6: training a masked diffusion model (LLaDA Algorithms 1 and 2), or its AR twin.

One optimizer step, the whole idea:

    x0, prompt_lengths = data.sample(rows)                       # clean text (and prompt lengths)
    xt, masked, p_mask = forward_process(x0, mask_id, ...)       # mask each token w.p. t
    loss = sum over masked of CE(model(xt), x0) / p_mask / ...   # LLaDA Eq. 3 (or Eq. 5 for SFT)
    loss.backward(); clip; optimizer.step()

The settings are a ``TrainConfig`` (``train_config.py``). Everything else in this file is what
makes that loop practical: AdamW, a learning-rate schedule (warmup then cosine, or LLaDA's
warmup-stable-decay, Sec. 2.2), gradient clipping and accumulation, bf16 autocast on CUDA,
optional ``torch.compile`` or CUDA graphs (for small models, ``fast/cuda_graph.py``), a progress bar, a
periodic validation bound with a sample, checkpoints that resume exactly, and data parallelism
under ``torchrun``. The same loop trains the autoregressive baseline with ``objective="ar"``.

Reproducibility: the data order and the masks come from two ``torch.Generator`` objects whose
states are saved in every checkpoint, so an interrupted and resumed run computes the same losses as
an uninterrupted one. Under data parallelism every rank draws the *global* batch and its masks and
keeps its own rows, so N processes see exactly the batches one process would.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict

import torch

from .infra import checks, rng
from .fast import distributed
from .infra.checkpoint import last_checkpoint, point_latest, save_checkpoint
from .fast.block_diffusion import block_diffusion_loss, generate_blocks
from .fast.training import step_function, step_loss  # noqa: F401 (step_loss: for the notebooks)
from .losses import autoregressive_loss, diffusion_loss
from .infra.progress import progress_bar
from .infra.run_dir import check_compatible, check_run_dir, find_resumable, prepare_run_dir, run_lock
from .train_config import (OBJECTIVES, OPTIMIZERS, SCHEDULES, TOKENIZER_KINDS,  # noqa: F401
                           TRAIN_PRESETS, TrainConfig)
from .sampling import generate, generate_autoregressive

def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate for optimizer step ``step`` (0-based): linear warmup, then the schedule.

    >>> config = TrainConfig(lr=1.0, warmup_steps=10, max_steps=111, min_lr_ratio=0.0)
    >>> [round(lr_at(s, config), 3) for s in (0, 9, 10, 60, 110)]
    [0.1, 1.0, 1.0, 0.5, 0.0]
    """
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    floor = config.lr * config.min_lr_ratio
    if config.schedule == "constant":
        return config.lr
    if config.schedule == "cosine":
        progress = (step - config.warmup_steps) / max(1, config.max_steps - 1 - config.warmup_steps)
        return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    decay_start = config.max_steps - int(config.decay_fraction * config.max_steps)   # warmup-stable-decay
    if step < decay_start:
        return config.lr
    progress = (step - decay_start + 1) / max(1, config.max_steps - decay_start)
    return config.lr + (floor - config.lr) * min(progress, 1.0)


def make_optimizer(model, config: TrainConfig):
    """AdamW, with no weight decay on norms (1-D weights), as is usual for Transformers; with
    ``config.optimizer == "muon"``, :class:`MuonAndAdamW`."""
    if config.optimizer == "muon":
        return MuonAndAdamW(model, config)
    return _adamw([p for p in model.parameters() if p.requires_grad], config)


def _adamw(params: list, config: TrainConfig) -> torch.optim.AdamW:
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2),
                             fused=bool(params) and params[0].is_cuda)


class MuonAndAdamW:
    """Muon (``torch.optim.Muon``: momentum, then the update orthogonalised by Newton-Schulz) for
    the 2-D weights of the Transformer blocks, AdamW for the embeddings, the output head and the
    norms, behind one optimizer's interface (the loop sets ``lr`` in every param group and saves
    ``state_dict()``). Muon's ``match_rms_adamw`` scaling gives its updates AdamW's size, so one
    learning rate and weight decay serve both (Liu et al. 2025, "Muon is scalable")."""

    def __init__(self, model, config: TrainConfig):
        blocks = {id(p) for n, p in model.named_parameters() if n.startswith("blocks.") and p.dim() == 2}
        params = [p for p in model.parameters() if p.requires_grad]
        self.muon = torch.optim.Muon([p for p in params if id(p) in blocks], lr=config.lr,
                                     weight_decay=config.weight_decay, adjust_lr_fn="match_rms_adamw")
        self.adamw = _adamw([p for p in params if id(p) not in blocks], config)

    @property
    def param_groups(self) -> list:
        # read afresh each time: load_state_dict gives each optimizer new group dicts
        return self.muon.param_groups + self.adamw.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.muon.zero_grad(set_to_none=set_to_none)
        self.adamw.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.muon.step()
        self.adamw.step()

    def state_dict(self) -> dict:
        return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.muon.load_state_dict(state["muon"])
        self.adamw.load_state_dict(state["adamw"])


def resolve_device(name: str) -> torch.device:
    """The torch.device of ``TrainConfig.device`` ("auto": a GPU if there is one), checked to exist."""
    return checks.device(name)


def train_step(model, optimizer, x0, mask_id: int, prompt_lengths=None, grad_clip: float = 1.0,
               generator=None) -> float:
    """One optimizer step of LLaDA pre-training (Algorithm 1), or SFT (Algorithm 2) with
    ``prompt_lengths``: mask x0 (B, T) at a random rate t, predict, weight by 1/t, backpropagate,
    clip the gradient norm, step. Returns the loss. The :func:`train` loop does the same, plus
    schedules, accumulation, mixed precision and data parallelism.
    """
    # Algorithm 1 (Algorithm 2 with prompts): t ~ U(0, 1), mask x0 into xt, predict, and the
    # 1/t-weighted cross-entropy of the masked positions (Eq. 3; Eq. 5 with prompts) ...
    loss = diffusion_loss(model, x0, prompt_lengths, generator=generator, mask_id=mask_id)
    # ... then a gradient step on it
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:                    # not in Algorithm 1: a guard against one bad batch
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def validation_loss(model, data, config: TrainConfig, mask_id: int, device) -> float:
    """The validation loss: the same batches and masks every time (a fixed seed), in eval mode."""
    was_training = model.training
    model.eval()
    g_data, g_mask = torch.Generator().manual_seed(1234), torch.Generator().manual_seed(5678)
    total = 0.0
    for _ in range(config.eval_batches):
        x0, pl = data.sample(config.batch_size, g_data)
        x0 = x0.to(device)
        if config.objective == "ar":
            total += float(autoregressive_loss(model, x0, pl))
        elif config.objective == "bd3":      # the block-diffusion bound (fast/block_diffusion.py)
            total += float(block_diffusion_loss(model, x0, config.block_size, pl, eps=config.mask_eps,
                                                generator=g_mask, mask_id=mask_id))
        else:
            total += float(diffusion_loss(model, x0, pl, eps=config.mask_eps, generator=g_mask,
                                          mask_id=mask_id))
    model.train(was_training)
    return total / config.eval_batches


def sample_text(model, data, tokenizer, config: TrainConfig, device, n_prompt: int = 8) -> str:
    """A short sample after a validation prompt, to watch the model learn."""
    x0, pl = data.sample(1, torch.Generator().manual_seed(99))
    n_prompt = int(pl[0]) if pl is not None else min(n_prompt, config.seq_len // 2)
    prompt = x0[:, :n_prompt].to(device)
    n_new = min(32, model.config.max_seq_len - n_prompt)
    was_training = model.training
    model.eval()
    if config.objective == "mdm":
        out = generate(model, prompt, steps=n_new, gen_length=n_new, block_length=n_new)
    elif config.objective == "bd3":
        out = generate_blocks(model, prompt, n_new, config.block_size)
    else:
        out = generate_autoregressive(model, prompt, n_new)
    model.train(was_training)
    return tokenizer.decode(prompt[0]) + " >> " + tokenizer.decode(out[0, n_prompt:])


def train(model, data, config: TrainConfig, val_data=None, tokenizer=None, out_dir=None,
          resume: bool = False, callback=None, overwrite: bool = False) -> list[dict]:
    """Train ``model`` on ``data`` (a TextDataset or SFTDataset: anything with ``sample(rows,
    generator)``, and ``seq_len`` for CUDA graphs) for ``config.max_steps`` steps.

    Returns the history: one dict per step with ``step``, ``loss``, ``lr``, ``tokens_per_s`` (the
    steps run in this call; checkpoints store the history without it, so that two runs with the
    same seed write identical files), and ``val_loss`` (and ``sample``) at validation steps.
    ``callback(step, record)``, if given, runs after every optimizer step and may add entries to
    that step's record; when it returns True, training stops after that step (early stopping: the
    learning-rate schedule still spans ``max_steps``).

    With ``out_dir`` it writes checkpoints there. ``out_dir`` is checked before the first step: a
    directory that holds another run's checkpoints is refused unless ``resume=True`` continues
    from its newest intact checkpoint (damaged newer ones are skipped, and said so) or
    ``overwrite=True`` deletes them. ``resume=True`` on an empty directory starts from step 0.
    One run at a time writes into ``out_dir`` (:func:`~minillada.infra.run_dir.run_lock`): a second is
    refused at once, with a ``ValueError`` that names the first.

    Ctrl-C raises :class:`TrainingInterrupted` (a ``KeyboardInterrupt``) saying the step reached and
    the last checkpoint, which is intact; a save that finds the disk full raises
    :class:`~minillada.infra.checkpoint.NoSpaceError` saying the same. Either way ``resume=True`` goes on.
    """
    checks.train_args(config_type=TrainConfig, **locals())    # every argument, checked once
    device, dist = _device_and_ranks(config)
    history = []                        # filled as the run goes, so that Ctrl-C can say how far
    try:
        with run_lock(out_dir if dist.is_main else None):      # one run per run directory
            _train(model, data, config, val_data=val_data, tokenizer=tokenizer, out_dir=out_dir,
                   resume=resume, callback=callback, overwrite=overwrite, device=device, dist=dist,
                   history=history)
    except KeyboardInterrupt:
        raise TrainingInterrupted.during(history, out_dir) from None
    return history


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`: ``step``, the last step done, and ``last``, what the run
    directory holds to resume from ("the last checkpoint is step 200 (intact)")."""

    def __init__(self, step: int, last: str):
        self.step, self.last = step, last
        super().__init__(f"interrupted at step {step}; {last}; continue with resume=True")

    @classmethod
    def during(cls, history: list, out_dir) -> "TrainingInterrupted":
        """The interruption of a run that has done ``history`` and saves into ``out_dir``."""
        return cls(history[-1]["step"] if history else 0,
                   "nothing is saved without out_dir" if out_dir is None else last_checkpoint(out_dir))


def _train(model, data, config, val_data, tokenizer, out_dir, resume, callback, overwrite, device,
           dist, history) -> None:
    """The body of :func:`train`, once its arguments are checked and the run directory is locked;
    appends to ``history`` as it goes."""
    if out_dir is not None:             # before anything is spent: a bad out_dir fails here
        if dist.is_main:
            for note in prepare_run_dir(out_dir, resume, overwrite):
                print(note)
        else:
            check_run_dir(out_dir, resume, overwrite)
    torch.manual_seed(config.seed)
    g_data = torch.Generator().manual_seed(config.seed)          # the order of the data
    g_mask = torch.Generator().manual_seed(config.seed + 1)      # the masks of the forward process
    model.to(device).train()
    optimizer = make_optimizer(model, config)
    start = 0
    if resume:
        start, done = _resume(out_dir, model, optimizer, g_data=g_data, g_mask=g_mask,
                              config=config, tokenizer=tokenizer, is_main=dist.is_main)
        history.extend(done)
    rows_per_step = config.batch_size * dist.world_size * config.grad_accum  # all ranks, all micro-batches
    if _plain(config, device, dist):    # exercise 6.2's step, as it is
        def take_step(x0, prompt_lengths):
            return train_step(model, optimizer, x0, mask_id=model.config.mask_id,
                              prompt_lengths=prompt_lengths, grad_clip=config.grad_clip,
                              generator=g_mask)
    else:                               # micro-batches, ranks, autocast, compile, CUDA graphs, AR
        take_step = step_function(model, optimizer, config, device=device, dist=dist, data=data,
                                  g_mask=g_mask)

    def save(step):
        if out_dir is not None and dist.is_main:
            save_checkpoint(out_dir, model, step, tokenizer=tokenizer, optimizer=optimizer,
                            train_config=asdict(config), history=[_untimed(r) for r in history],
                            rng_state={"data": g_data.get_state(), "mask": g_mask.get_state(),
                                       "torch": torch.get_rng_state()})

    bar = progress_bar(range(start, config.max_steps), initial=start, total=config.max_steps,
                       disable=not (config.progress and dist.is_main), desc=f"train {config.objective}")
    t_last = time.perf_counter()
    for step in bar:
        lr = lr_at(step, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        # Algorithm 1: a batch of clean text (under torchrun the global batch: each rank keeps its rows)
        x0, prompt_lengths = data.sample(rows_per_step, g_data)
        # mask at a random rate t, predict the masks, 1/t-weighted cross-entropy, backward, step
        loss = take_step(rng.to_device(x0, device), prompt_lengths)

        # bookkeeping: the record of this step, validation, the progress bar, checkpoints
        now = time.perf_counter()
        record = {"step": step + 1, "loss": loss, "lr": lr,
                  "tokens_per_s": rows_per_step * config.seq_len / (now - t_last)}
        checks.finite_loss(loss, step + 1)
        last = step + 1 == config.max_steps
        if val_data is not None and config.eval_every and ((step + 1) % config.eval_every == 0 or last):
            record["val_loss"] = validation_loss(model, val_data, config,
                                                 mask_id=model.config.mask_id, device=device)
            if tokenizer is not None and dist.is_main:
                record["sample"] = sample_text(model, val_data, tokenizer, config=config, device=device)
                bar.write(f"step {step + 1}: val {record['val_loss']:.4f} | {record['sample']!r}")
        stop = callback is not None and callback(step + 1, record) is True
        history.append(record)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}", tok_s=f"{record['tokens_per_s']:.0f}",
                        refresh=False)        # the bar redraws at its own pace (infra/progress.py)
        if stop:
            break
        if config.save_every and (step + 1) % config.save_every == 0 and not last:
            save(step + 1)
        t_last = time.perf_counter()      # evaluation and saving are not training throughput
    bar.close()
    if history and history[-1]["step"] > start:      # the last step of this call, once
        save(history[-1]["step"])
    distributed.cleanup(dist)


# ---- the helpers of train(): devices and ranks, which step, resuming ---------------------------

def _plain(config: TrainConfig, device, dist) -> bool:
    """Whether this run's step is exactly :func:`train_step`: one process, one micro-batch, the
    MDM objective, no autocast, compile or CUDA graphs, and train_step's eps (``diffusion_loss``'s
    default). Otherwise ``fast/training.py`` takes the step (the same computation where they
    overlap)."""
    autocast = device.type == "cuda" and (config.bf16 or config.cuda_graph)
    return (config.objective == "mdm" and not dist.enabled and config.grad_accum == 1
            and not config.compile and not autocast and config.mask_eps == 1e-3)


def _device_and_ranks(config: TrainConfig):
    """The device, and the data-parallel layout (one process, or the ranks of ``torchrun``)."""
    device = resolve_device(config.device)
    dist = distributed.setup(device.type)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
    return device, dist


def _resume(out_dir, model, optimizer, g_data, g_mask, config, tokenizer, is_main: bool):
    """Load the newest intact checkpoint of ``out_dir`` into the model, the optimizer and the
    generators, saying which and what it skipped (and pointing ``latest`` at it); returns (its
    step, its history). No checkpoint at all: (0, []). Checkpoints, but none intact: a
    ``ValueError`` that lists them."""
    say = print if is_main else (lambda *args: None)
    ckpt, skipped = find_resumable(out_dir)
    checks.resumable(ckpt, skipped, out_dir)
    if ckpt is None:
        say(f"resume: no checkpoint in {out_dir} yet, so training starts from step 0")
        return 0, []
    for line in skipped:
        say(f"resume: skipped {line}")
    check_compatible(ckpt, model, asdict(config), tokenizer)
    say(f"resume: continuing from {ckpt.path} (step {ckpt.step})")
    if skipped and is_main:                 # latest may have named a damaged one
        point_latest(out_dir, ckpt.path.name)
    model.load_state_dict(ckpt.model.state_dict())
    optimizer.load_state_dict(ckpt.optimizer_state)
    g_data.set_state(ckpt.rng_state["data"])
    g_mask.set_state(ckpt.rng_state["mask"])
    torch.set_rng_state(ckpt.rng_state["torch"])
    return ckpt.step, ckpt.history


def _untimed(record: dict) -> dict:
    """A history record without its wall-clock throughput, the one entry two identical runs differ in."""
    return {k: v for k, v in record.items() if k != "tokens_per_s"}
