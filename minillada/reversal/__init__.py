"""Chapter 7: the reversal curse, at toy scale (LLaDA Sec. 3.3 and Table 4; SMDM, Nie et al. 2024).

An autoregressive model trained on "A is B" does not learn "B is A" (Berglund et al. 2023): it only
ever predicts tokens from their left context, so the fact is stored in one direction. A masked
diffusion model is trained to predict *any* masked subset from the rest, the left entity from the
right one included, so the same fact can be recalled in both directions.

We show it with two models built from the same code, size, data, optimizer and stopping rule, one
trained as a masked diffusion model (MDM) and one as an autoregressive model (AR, ``causal=True``), on
made-up facts ("<first> <last> is <adjective> <noun> .", or two-line couplets). Some facts are
also written the other way round, so the reversed template is known; the test asks the reversed
question about the facts seen *only* forward. The facts and their sentences come from
:mod:`minillada.reversal.task` (its names are re-exported here); this module is the experiment.

Queries (exact match on the whole entity):

* ``forward``: "<first> <last> is" -> "<adjective> <noun>"   (both models; AR by greedy decoding)
* ``reversed``: "<adjective> <noun> is called" -> "<first> <last>"   (the reversal question)
* ``infill`` (MDM only): "[MASK] [MASK] is <adjective> <noun> ." filled in place
* ``ranking`` (AR only, a control): the reversed prompt scored against every test person's name
  by exact log-likelihood; the reversal curse is about recall, and this shows what scoring
  can and cannot do without it.

:func:`minillada.reversal.convert.convert` asks the question once more of an AR model converted into a
diffusion model, the way large MDMs are often made: does it gain the reversed answers?
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from ..infra import checks
from ..likelihood import answer_log_probs
from ..model import ModelConfig, Transformer
from ..sampling import generate, generate_autoregressive, infill
from ..train import OPTIMIZERS, TrainConfig, train
from .task import (TASKS, TEMPLATES, Fact, Task, MAX_FACTS, build_data, fill,  # noqa: F401
                   made_up_words, make_task, max_facts, word_space)


@dataclass
class ReversalConfig:
    task: str = "people"
    n_facts: int = 200
    paired_fraction: float = 0.8
    phrasings: int | None = None  # None: every template of the task; 1: one phrasing per direction
    seed: int = 0
    steps: int = 1500             # at most; the learning-rate schedule spans them all
    batch_size: int = 128
    d_model: int = 64             # half the tiny preset's width: with Muon about as few steps, each cheaper
    n_layers: int = 4
    n_heads: int = 4
    lr: float = 5e-3
    # Muon for the blocks' matrices, AdamW for the rest (train.MuonAndAdamW): the reversed answers
    # appear in about 1000 steps instead of 1300 (benchmarks/results/reversal_trials.json)
    optimizer: str = "muon"
    # strong weight decay is what makes the reversed answers appear within a CPU budget: it pushes
    # the model from memorising each sentence towards one shared lookup (see the notebook)
    weight_decay: float = 2.0
    eval_every: int = 50          # a curve point (and a chance to stop) every 50 steps
    # early stopping, the same rule for both models: stop once the model has answered more than
    # stop_forward of the *forward* questions (the facts it was taught) at stop_patience
    # evaluations in a row, never looking at the reversed ones; None trains every step
    stop_forward: float | None = 0.95
    stop_patience: int = 2
    device: str = "auto"
    cuda_graph: bool = True       # on a GPU, replay each training step as CUDA graphs (fast/cuda_graph.py)
    progress: bool = True

    def __post_init__(self):
        checks.reversal_config(self, MAX_FACTS, OPTIMIZERS)   # every setting, before any word is drawn


def _encode_batch(tok, texts) -> torch.Tensor:
    rows = [tok.encode(t, allow_special=True) for t in texts]
    checks.require(len({len(r) for r in rows}) == 1,
                   "the questions of one batch must have the same number of tokens")
    return torch.tensor(rows)


@torch.no_grad()
def complete_prompts(model, prompts: torch.Tensor, seq_len: int, n_ar: int) -> torch.Tensor:
    """The prompts (B, p) followed by the model's answer: the AR model writes ``n_ar`` tokens; the
    MDM fills the rest of the ``seq_len`` row with masks and decodes them one per step, as the rows
    looked in training."""
    if model.config.causal:
        return generate_autoregressive(model, prompts, n_ar)
    n = seq_len - prompts.shape[1]
    return generate(model, prompts, steps=n, gen_length=n, block_length=n)


@torch.no_grad()
def _answer_log_likelihoods(model, prompt, answers) -> torch.Tensor:
    """log p(answer | prompt) under a causal model for each row of answers (N, A), in one call:
    the batched form of ``likelihood.autoregressive_log_likelihood``."""
    x = torch.cat([prompt.expand(len(answers), -1), answers], dim=1)               # (N, P + A)
    return answer_log_probs(model, x, prompt.shape[1])                             # (N,)


@torch.no_grad()
def evaluate(model, task: Task, tok, seq_len: int, extra: bool = True) -> dict:
    """Exact-match accuracy of ``model`` on the test facts: forward and reversed questions, and
    (``extra``) the MDM's in-place infilling or the AR model's likelihood ranking."""
    was_training = model.training
    model.eval()
    device = model.device
    facts = task.forward_only
    causal = model.config.causal
    scores = {}
    for direction in ("forward", "reversed"):
        prompts, answers = zip(*(task.question(f, direction) for f in facts))
        prompt_ids = _encode_batch(tok, prompts).to(device)                      # (N, p)
        answer_ids = _encode_batch(tok, answers).to(device)                      # (N, a)
        p, a = prompt_ids.shape[1], answer_ids.shape[1]
        got = complete_prompts(model, prompt_ids, seq_len, a)[:, p:p + a]        # (N, a)
        scores[direction] = float((got == answer_ids).all(dim=1).double().mean())  # 38/40 is 0.95
    if extra and not causal:
        # "[MASK] [MASK] is brave pilot ." padded with [EOS]: fill the left entity in place
        masked = [fill(task.templates[0][0], Fact(("[MASK]",) * len(f.left), f.right)) for f in facts]
        X = _encode_batch(tok, masked)
        X = torch.cat([X, X.new_full((len(facts), seq_len - X.shape[1]), tok.eos_id)], 1).to(device)
        left = _encode_batch(tok, [" ".join(f.left) for f in facts]).to(device)
        scores["infill"] = float((infill(model, X)[:, :left.shape[1]] == left).all(1).double().mean())
    if extra and causal:
        # rank every test person's name as the answer to each reversed question
        names = _encode_batch(tok, [" ".join(f.left) + " ." for f in facts]).to(device)  # (N, A)
        hits = 0
        for i, f in enumerate(facts):
            prompt = _encode_batch(tok, [task.question(f, "reversed")[0]]).to(device)      # (1, P)
            ll = _answer_log_likelihoods(model, prompt, names)                             # (N,)
            hits += int(ll.argmax()) == i
        scores["ranking"] = hits / len(facts)
    model.train(was_training)
    return scores


def load_weights(model: Transformer, init_from) -> None:
    """Copy ``init_from``'s weights into ``model``, refusing any that do not fit. Only the attention
    mask may differ (``causal`` is not a weight: that is what makes AR-to-diffusion a one-line
    change); a state_dict is checked by its shapes alone, so the same vocabulary (task, n_facts,
    seed) is the caller's to keep. ``build_model(config, "mdm", tok, seq_len, init_from=ar)``
    calls it: the converted model, ``causal=False``, with every weight of ``ar``."""
    if isinstance(init_from, Transformer):
        mine, theirs = model.config.to_dict(), init_from.config.to_dict()
        differ = [f"{k} ({theirs[k]} there, {mine[k]} here)" for k in mine
                  if k not in ("causal", "max_seq_len") and mine[k] != theirs[k]]
        checks.require(not differ, f"init_from differs from this model in {', '.join(differ)}; give a "
                       "model trained with the same ReversalConfig sizes on the same task")
        init_from = init_from.state_dict()
    checks.kind_of(init_from, Mapping, "init_from must be a Transformer or its state_dict")
    own = model.state_dict()
    wrong = [f"{k} is missing" for k in own if k not in init_from]
    wrong += [f"{k} is not a weight of this model" for k in init_from if k not in own]
    shape = {k: tuple(getattr(w, "shape", ())) for k, w in init_from.items()}   # () for a non-tensor
    wrong += [f"{k} is {shape[k]} there, {tuple(v.shape)} here" for k, v in own.items()
              if k in shape and shape[k] != tuple(v.shape)]
    checks.require(not wrong, f"init_from does not fit this model: {'; '.join(wrong[:3])}"
                   f"{f' (and {len(wrong) - 3} more)' if len(wrong) > 3 else ''}; give the weights of a "
                   "model with the same d_model, n_layers, n_heads and vocabulary (task, n_facts, seed)")
    model.load_state_dict(init_from)


def build_model(config: ReversalConfig, objective: str, tok, seq_len: int, init_from=None) -> Transformer:
    """The experiment's model for ``objective`` ("mdm" or "ar": ``causal`` follows it), with fresh
    weights drawn from ``config.seed``, or those of ``init_from`` (a Transformer or its state_dict)."""
    torch.manual_seed(config.seed)
    model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id,
                                    d_model=config.d_model, n_layers=config.n_layers, n_heads=config.n_heads,
                                    max_seq_len=seq_len, causal=objective == "ar"))
    if init_from is not None:
        load_weights(model, init_from)
    return model


def _fit(config: ReversalConfig, objective: str, model, data, seq_len: int, callback=None) -> list:
    """Train ``model`` with the experiment's recipe for ``config.steps`` steps; returns the history."""
    train_cfg = TrainConfig(objective=objective, max_steps=config.steps, batch_size=config.batch_size,
                            seq_len=seq_len, lr=config.lr, optimizer=config.optimizer,
                            weight_decay=config.weight_decay,
                            warmup_steps=min(100, config.steps // 10), eval_every=0, save_every=0,
                            seed=config.seed, device=config.device, progress=config.progress,
                            cuda_graph=config.cuda_graph)     # ignored on the CPU
    return train(model, data, train_cfg,
                 callback=None if callback is None else lambda s, r: callback(model, s, r))


def train_model(config: ReversalConfig, objective: str, tok, data, seq_len: int, callback=None,
                init_from=None):
    """Build and train one model of the experiment ("mdm" or "ar"); returns (model, history).
    ``callback(model, step, record)``, if given, runs after every optimizer step. ``init_from`` (a
    trained Transformer of the same sizes, or its state_dict) gives the starting weights: an AR
    model's, with ``objective="mdm"``, is the AR-to-diffusion conversion of :mod:`.convert`."""
    model = build_model(config, objective, tok, seq_len, init_from)
    history = _fit(config, objective, model, data, seq_len, callback)
    return model.eval(), history


def _above(curve: list, config: ReversalConfig, query: str) -> bool:
    """More than ``config.stop_forward`` of the ``query`` answers at each of the last
    ``config.stop_patience`` points of the curve (never, when stop_forward is None)."""
    recent = curve[-config.stop_patience:]
    return (config.stop_forward is not None and len(recent) == config.stop_patience
            and all(p[query] > config.stop_forward for p in recent))


def learned_forward(curve: list, config: ReversalConfig) -> bool:
    """The early-stopping rule: has the model learned the facts it was taught? True when it answered
    more than ``config.stop_forward`` of the forward questions (with 40 test people and 0.95: 39 or
    40 of them) at each of the last ``config.stop_patience`` points of its accuracy curve. The
    second point is a margin: the reversed answers can trail the forward ones by one evaluation.
    The reversed answers themselves play no part."""
    return _above(curve, config, "forward")


def _setup(config: ReversalConfig):
    """The task of ``config``, its tokenizer and training rows, and the results to fill in."""
    task = make_task(config.task, n_facts=config.n_facts, paired_fraction=config.paired_fraction,
                     seed=config.seed, phrasings=config.phrasings)
    tok, data, seq_len = build_data(task)
    results = {"config": dict(vars(config)), "n_train_sentences": len(data),
               "n_test_facts": len(task.forward_only), "seq_len": seq_len,
               "accuracy": {}, "curves": {}, "train_seconds": {}, "steps_trained": {}, "examples": {},
               "final_loss": {}}
    return task, tok, data, seq_len, results


def _train_and_score(config: ReversalConfig, objective: str, setup, name=None, init_from=None,
                     stop=learned_forward, from_step_zero: bool = False):
    """Train one model and record it in the results of ``setup`` under ``name`` (default: the
    objective): its curve (a point every ``config.eval_every`` steps, and one at step 0 with
    ``from_step_zero``), training time, steps, final accuracy, examples and loss. Training stops
    when ``stop(curve, config)`` says so. Returns the model."""
    task, tok, data, seq_len, results = setup
    name = name or objective
    curve = results["curves"][name] = []

    def on_step(model, step, record):
        if config.eval_every and step % config.eval_every == 0 and step < config.steps:
            curve.append({"step": step, **evaluate(model, task, tok, seq_len, extra=False)})
            return stop(curve, config)                      # True: stop training here

    t0 = time.perf_counter()
    model = build_model(config, objective, tok, seq_len, init_from)
    if from_step_zero:      # the model as it starts: train() reseeds, so this changes no step
        curve.append({"step": 0, **evaluate(model, task, tok, seq_len, extra=False)})
    history = _fit(config, objective, model, data, seq_len, callback=on_step)
    model.eval()
    results["train_seconds"][name] = time.perf_counter() - t0
    results["steps_trained"][name] = history[-1]["step"]
    final = evaluate(model, task, tok, seq_len)
    if not curve or curve[-1]["step"] != history[-1]["step"]:     # not stopped at a curve point
        curve.append({"step": history[-1]["step"], **{k: final[k] for k in ("forward", "reversed")}})
    results["accuracy"][name] = final
    results["examples"][name] = _examples(model, task, tok, seq_len)
    results["final_loss"][name] = history[-1]["loss"]
    return model


def run(config: ReversalConfig, objectives=("mdm", "ar")) -> dict:
    """Train the MDM and the AR model on the same data with the same recipe; evaluate both.
    ``objectives=("mdm",)`` trains the MDM alone (the ablations need no AR twin)."""
    setup = _setup(config)
    for objective in objectives:
        _train_and_score(config, objective, setup)
    return setup[-1]


def _examples(model, task, tok, seq_len, n=3) -> list:
    """A few reversed questions with the model's answers, for the report."""
    model.eval()
    out = []
    for f in task.forward_only[:n]:
        prompt, answer = task.question(f, "reversed")
        prompt_ids = torch.tensor([tok.encode(prompt)], device=model.device)     # (1, p)
        x = complete_prompts(model, prompt_ids, seq_len, len(f.left) + 1)
        got = tok.decode(x[0, prompt_ids.shape[1]:], skip_special=True)
        out.append({"prompt": prompt, "expected": answer, "got": got})
    return out


def report(results: dict) -> str:
    """The terminal table (of a built-in task, or of JSONL files with their test groups)."""
    acc = results["accuracy"]
    if "groups" in results:                                     # reversal.jsonl.run
        lines = [f"{results['train_file']}: {results['n_train_sentences']} training lines; "
                 f"{results['test_file']}: {results['n_test_facts']} questions"]
        rows = [(g, g, g) for g in results["groups"]]
    else:
        lines = [f"task {results['config']['task']}: {results['n_train_sentences']} training "
                 f"sentences, {results['n_test_facts']} test facts seen only forward"]
        rows = [("forward   (left entity -> right)", "forward", "forward"),
                ("reversed  (right entity -> left)", "reversed", "reversed"),
                ("infill    (left masked, in place)", "infill", None),
                ("ranking   (AR scores all lefts)", None, "ranking")]
    lines.append(f"{'query':<34}{'MDM':>8}{'AR':>8}")
    for label, m, a in rows:
        cell_m = f"{100 * acc['mdm'][m]:.1f}%" if m else "-"
        cell_a = f"{100 * acc['ar'][a]:.1f}%" if a else "-"
        lines.append(f"{label:<34}{cell_m:>8}{cell_a:>8}")
    secs = results["train_seconds"]
    lines.append(f"training time: MDM {secs['mdm']:.0f} s, AR {secs['ar']:.0f} s")
    return "\n".join(lines)


