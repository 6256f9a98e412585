"""Write the seven chapter notebooks from the cells below (for maintainers).

    python notebooks/_make_notebooks.py

The notebooks are committed without outputs (``tests/test_notebooks.py`` checks it and runs each
one in fast mode). Every notebook reads ``MINILLADA_FAST=1`` to shrink data, steps and models; in
full mode it reproduces the headline figures and saves them as PNGs in ``docs/``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = """\
import os
import time

import matplotlib.pyplot as plt
import torch

import minillada as ml

FAST = os.environ.get("MINILLADA_FAST") == "1"   # the test suite's quick run
DOCS = "../docs"                                  # full mode saves the headline figures here
torch.manual_seed(0)
t_start = time.perf_counter()"""

END = 'print(f"notebook ran in {time.perf_counter() - t_start:.0f} s (fast mode: {FAST})")'


def save(name: str) -> str:
    return f'if not FAST:\n    plt.savefig(f"{{DOCS}}/{name}.png", dpi=100, bbox_inches="tight")\nplt.show()'


NOTEBOOKS = {
    "01_tokenizer": [
        ("md", """\
# Chapter 1: text to integers

A language model reads integers, so the first step is a **tokenizer**. minillada has three, with one
contract: the special tokens `[PAD]=0 [MASK]=1 [BOS]=2 [EOS]=3` come first in every vocabulary.
`[MASK]` is the one that matters for diffusion: it is the "absorbing state" that the forward process
of chapter 3 turns tokens into.

* `CharTokenizer`: one id per character (small vocabulary, long sequences);
* `WordTokenizer`: one id per word (the reversal experiment's choice: a fact is a few tokens);
* `BPETokenizer`: byte-level BPE (GPT-2 style), which merges the most frequent pair again and again.

Read along: `minillada/tokenizer.py`, `minillada/bpe.py`. Exercises: `exercises/01_tokenizer`."""),
        ("code", SETUP),
        ("code", """\
text = ml.synthetic_corpus(300 if FAST else 3000, seed=0)
print(text[:200])
char_tok = ml.CharTokenizer.train(text)
word_tok = ml.WordTokenizer.train(text)
bpe_tok = ml.BPETokenizer.train(text, vocab_size=300 if FAST else 512)
for tok in (char_tok, word_tok, bpe_tok):
    print(f"{type(tok).__name__:>14}: vocab {tok.vocab_size:4d}, mask id {tok.mask_id}")"""),
        ("md", """\
Special tokens are only read as such on request, so user text cannot smuggle a `[MASK]` in:"""),
        ("code", """\
sentence = "the brave pilot finds the river."
ids = bpe_tok.encode(sentence)
print(ids)
print([bpe_tok.decode([i]) for i in ids])
print(char_tok.encode("a [MASK] b", allow_special=True))
assert bpe_tok.decode(ids) == sentence"""),
        ("md", """\
## How BPE learns its merges

Training counts every adjacent pair, merges the most frequent one into a new token, and repeats.
Each merge shortens the text; the curve below is the number of tokens the corpus takes after each
merge."""),
        ("code", """\
from collections import Counter
from minillada.bpe import SPLIT_PATTERN, learn_merges, merge

chunks = Counter(tuple(b + 4 for b in c.encode()) for c in SPLIT_PATTERN.findall(text))
merges = learn_merges(chunks, 40 if FAST else 250)
lengths = [sum(len(c) * f for c, f in chunks.items())]
for k, pair in enumerate(merges):
    chunks = Counter({merge(c, pair, 260 + k): f for c, f in chunks.items()})
    lengths.append(sum(len(c) * f for c, f in chunks.items()))
print("first merges:", [bpe_tok.decode([260 + k]) for k in range(8)])
plt.figure(figsize=(5, 3))
plt.plot(lengths)
plt.xlabel("merges")
plt.ylabel("tokens in the corpus")
plt.title("BPE: each merge shortens the text")
plt.show()"""),
        ("md", """\
## Questions

1. The word tokenizer gives the shortest sequences here. Why would it be a poor choice for real
   text, and what does BPE do with a word it has never seen?
2. Why must `[MASK]` never be produced by `encode` from ordinary text?
3. A masked diffusion model predicts all masked positions at once. Does a smaller or a larger
   vocabulary make that prediction easier, and what do you trade for it?"""),
        ("code", END),
    ],
    "02_transformer": [
        ("md", """\
# Chapter 2: the mask predictor

LLaDA's network is a LLaMA-style Transformer (Nie et al. 2025, Sec. 2.4): RMSNorm, rotary position
embeddings (RoPE), SwiGLU MLPs, an untied output head. It takes the partly masked sequence x_t and
predicts every token at once: p_theta(x_0 | x_t).

**The one difference from GPT** is the attention mask. A GPT is causal: position i sees positions
<= i. The mask predictor sees both sides, because a masked word is best guessed from the words on
its left *and* right. In minillada that is one flag, `ModelConfig(causal=...)`. There is no time
input: the number of masks tells the model how noisy x_t is.

Read along: `minillada/model.py`. Exercises: `exercises/02_transformer`."""),
        ("code", SETUP),
        ("code", """\
cfg = ml.ModelConfig.preset("tiny", vocab_size=64, mask_id=1)
model = ml.Transformer(cfg).eval()
print(cfg)
print(f"{model.num_params() / 1e6:.2f}M parameters")
x = torch.randint(4, 64, (2, 16))
print("logits:", tuple(model(x).shape), "= (batch, length, vocabulary)")"""),
        ("md", """\
## Who sees whom

Change the token at position j and watch which positions' predictions move. In the causal model only
positions >= j react; in LLaDA's mask predictor every position does."""),
        ("code", """\
def influence(model, T=12):
    x = torch.randint(4, 64, (1, T))
    out = torch.zeros(T, T)
    with torch.no_grad():
        base = model(x)
        for j in range(T):
            y = x.clone()
            y[0, j] = (y[0, j] + 1 - 4) % 60 + 4
            out[:, j] = (model(y) - base).abs().amax(-1)[0] > 1e-6
    return out

fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, causal in zip(axes, (True, False)):
    m = ml.Transformer(cfg.replace(causal=causal)).eval()
    ax.imshow(influence(m), cmap="Blues")
    ax.set_title("GPT (causal=True)" if causal else "LLaDA (causal=False)")
    ax.set_xlabel("token changed at position j")
    ax.set_ylabel("prediction at position i")
plt.tight_layout()
plt.show()"""),
        ("md", """\
## Rotary position embeddings

RoPE rotates each pair of a head's channels by an angle proportional to the position, pair j at
frequency theta^(-2j/D). A query at m and a key at n then score a function of m - n only: relative
order, learnt for free. Low pairs turn fast, high pairs slowly:"""),
        ("code", """\
from minillada.model import rope_cache

cos, sin = rope_cache(64, 32)
plt.figure(figsize=(6, 3))
plt.imshow(cos.T, aspect="auto", cmap="RdBu")
plt.xlabel("position")
plt.ylabel("channel pair j")
plt.colorbar(label="cos(angle)")
plt.title("RoPE angles")
plt.show()"""),
        ("md", """\
## Questions

1. The causal picture is a triangle. What would go wrong if a *masked diffusion* model used it?
2. Why can LLaDA's network do without a time (noise level) input, which image diffusion models need?
3. `attention` in `model.py` writes the arithmetic out; the model calls
   `F.scaled_dot_product_attention`. What does the fused kernel save?"""),
        ("code", END),
    ],
    "03_forward_process": [
        ("md", """\
# Chapter 3: the forward process

Masked diffusion corrupts text by **masking**. At noise level t in [0, 1], each token is replaced by
`[MASK]` independently with probability t (LLaDA Sec. 2.1): at t = 0 the text is clean, at t = 1 it
is all masks. The model is trained to undo it, with the loss (LLaDA Eq. 3)

L(theta) = - E_{t, x_0, x_t} [ (1/t) sum_i 1[x_t^i = M] log p_theta(x_0^i | x_t) ],

the cross-entropy of the masked tokens weighted by 1/t, which bounds the negative log-likelihood
(Eq. 4). minillada floors the rate at eps: p_mask = (1 - eps) t + eps, as LLaDA's `GUIDELINES.md`.

Read along: `minillada/masking.py`, `diffusion_loss` in `minillada/likelihood.py`.
Exercises: `exercises/03_masking`."""),
        ("code", SETUP),
        ("code", """\
tok = ml.CharTokenizer.train(ml.synthetic_corpus(200, seed=0))
x0 = torch.tensor([tok.encode("the gentle cat finds the river.")])
g = torch.Generator().manual_seed(0)
for t in (0.1, 0.5, 0.9):
    xt, masked, p_mask = ml.forward_process(x0, tok.mask_id, t=t, generator=g)
    print(f"t={t}:", tok.decode(xt[0]).replace("[MASK]", "_"))"""),
        ("md", """\
## The masking rate is t, on average

Draw t ~ U(0, 1) per row (as training does) and count the masked fraction of each row:"""),
        ("code", """\
B, T = (500, 128) if FAST else (4000, 256)
x0 = torch.randint(4, 50, (B, T))
xt, masked, p_mask = ml.forward_process(x0, mask_id=1, generator=torch.Generator().manual_seed(1))
plt.figure(figsize=(4.5, 3.5))
plt.scatter(p_mask[:, 0], masked.float().mean(1), s=3, alpha=0.4)
plt.plot([0, 1], [0, 1], "k--", lw=1)
plt.xlabel("p_mask of the row")
plt.ylabel("fraction masked")
plt.title("forward process: mask each token w.p. t")
""" + save("masking_rate")),
        ("md", """\
## Supervised fine-tuning: the prompt is never masked

For SFT (LLaDA Algorithm 2, Eq. 5) the prompt is given and only the answer is noised, so the
model learns p(answer | prompt). `prompt_lengths` does it; the loss of each row is then divided by
its answer length."""),
        ("code", """\
x0 = torch.randint(4, 50, (3, 12))
xt, masked, _ = ml.forward_process(x0, 1, t=1.0, prompt_lengths=[2, 5, 8])
print(masked.int())
model = ml.Transformer(ml.ModelConfig(vocab_size=50, mask_id=1, d_model=32, n_layers=2, n_heads=2))
print("pre-training loss:", float(ml.diffusion_loss(model, x0)))
print("SFT loss:         ", float(ml.diffusion_loss(model, x0, prompt_lengths=[2, 5, 8])))"""),
        ("md", """\
At initialisation the model guesses uniformly, so every masked token costs about log V and the loss
is about log V = 3.9 for V = 50, whatever t was: the 1/t weight cancels the t fraction of masked
tokens on average.

## Questions

1. Without the 1/t weight, which noise levels would dominate training, and why is that a problem?
2. Why floor the masking rate at eps instead of letting t reach 0?
3. The prompt is never masked in SFT. What would the model learn if it were?"""),
        ("code", END),
    ],
    "04_likelihood_bound": [
        ("md", """\
# Chapter 4: the likelihood bound

The training loss is an upper bound on -log p(x_0). Evaluating a model (and choosing between
answers) needs the *conditional* bound on log p(answer | prompt), estimated by Monte Carlo. LLaDA
gives two estimators:

* **random t** (Eq. 12): draw t ~ U(0, 1), mask each answer token w.p. t, weight by 1/t;
* **exact l** (Eq. 14): draw the number of masks l uniformly from {1, ..., L}, mask exactly l answer
  tokens, weight by L / l.

Both are unbiased for the same bound; Eq. 14 has far lower variance because it never draws a
sample with almost no masks and a huge weight. For a short answer the bound can be computed exactly
by enumerating all 2^L - 1 mask patterns: `exact_elbo`, our oracle.

Read along: `minillada/likelihood.py`. Exercises: `exercises/04_likelihood`."""),
        ("code", SETUP),
        ("code", """\
torch.manual_seed(0)
model = ml.Transformer(ml.ModelConfig(vocab_size=64, mask_id=1, d_model=64, n_layers=2, n_heads=2,
                                      init_std=0.3)).eval()
prompt, answer = [5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]
exact = ml.exact_elbo(model, prompt, answer)
print(f"exact bound: {exact:.3f}  ({2 ** len(answer) - 1} mask patterns)")"""),
        ("code", """\
repeats = 15 if FAST else 100
mc_nums = [16, 64] if FAST else [16, 32, 64, 128, 256, 1024]
g = torch.Generator().manual_seed(0)
std = {"l": [], "t": []}
for mc in mc_nums:
    for est in std:
        runs = torch.tensor([ml.log_likelihood(model, prompt, answer, mc_num=mc, batch_size=16,
                                               estimator=est, generator=g) for _ in range(repeats)])
        std[est].append(float(runs.std()))
        print(f"mc_num {mc:5d}, estimator {est}: mean {float(runs.mean()):8.3f}, std {std[est][-1]:.3f}")
plt.figure(figsize=(5, 3.5))
plt.loglog(mc_nums, std["l"], "o-", label="exact l (Eq. 14)")
plt.loglog(mc_nums, std["t"], "s-", label="random t (Eq. 12)")
plt.xlabel("mc_num (Monte Carlo samples)")
plt.ylabel("std of the estimate")
plt.legend()
plt.title("the bound's estimators")
""" + save("bound_variance")),
        ("md", """\
Both means sit on the exact bound (no bias); the exact-l estimator gets there with a fraction of
the samples. LLaDA evaluates with 128 samples of Eq. 14 for this reason.

## Questions

1. Where does the random-t estimator's variance come from? Look at the weight 1/t for small t.
2. `stratified_mask_counts` spreads the l of one batch evenly over 1..L instead of drawing each
   independently. Why does that lower the variance without adding bias?
3. `exact_elbo` refuses answers longer than 12 tokens. How many forward passes would 20 need?"""),
        ("code", END),
    ],
    "05_sampling": [
        ("md", """\
# Chapter 5: the reverse process

Generation starts from the prompt followed by `gen_length` masks and repeats, for `steps` steps
(LLaDA Algorithms 4 and 5, `generate.py`):

1. predict every masked position at once;
2. score each prediction: its probability (**low-confidence remasking**) or a random number
   (**random remasking**, the literal reverse process);
3. keep the k most confident and remask the rest; k = masks / steps, since the schedule is linear.

Options: **blocks** (semi-autoregressive: decode left to right, block by block), **threshold**
(Fast-dLLM: reveal every prediction above a confidence, so easy spans cost one call), guidance
(`cfg_scale`), and a prefix **KV cache** (`kv_cache=True`).

Read along: `minillada/sampling.py`. Exercises: `exercises/05_sampling`."""),
        ("code", SETUP),
        ("code", """\
# a small character-level model, trained for a moment on the synthetic corpus
text = ml.synthetic_corpus(1000, seed=0)
tok = ml.CharTokenizer.train(text)
data = ml.TextDataset.from_text(text, tok, seq_len=48)
cfg = ml.ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, max_seq_len=48,
                     d_model=64 if FAST else 128, n_layers=2 if FAST else 4, n_heads=4)
model = ml.Transformer(cfg)
history = ml.train(model, data, ml.TrainConfig(max_steps=150 if FAST else 1500, seq_len=48,
                                               batch_size=32, lr=3e-3, eval_every=0, save_every=0))
model.eval()
print(f"final training loss {history[-1]['loss']:.3f}")"""),
        ("code", """\
prompt = torch.tensor([tok.encode("the brave ")])
out, trace = ml.generate(model, prompt, steps=24, gen_length=24, block_length=24, return_trace=True)
print(ml.render_trace(trace, tok, start=prompt.shape[1]))"""),
        ("md", """\
Each line is one step: `_` is still masked. The picture below colours each generated position by the
step at which it was revealed. With low-confidence remasking the easy characters (spaces, common
endings) come first; random remasking reveals in arbitrary order."""),
        ("code", """\
fig, axes = plt.subplots(2, 1, figsize=(9, 6))
for ax, remasking in zip(axes, ("low_confidence", "random")):
    _, tr = ml.generate(model, prompt, steps=24, gen_length=24, block_length=24,
                        remasking=remasking, return_trace=True, generator=torch.Generator().manual_seed(0))
    ml.plot_trace(tr, tok, start=prompt.shape[1], ax=ax)
    ax.set_title(f"remasking = {remasking!r}")
plt.tight_layout()
""" + save("denoising")),
        ("md", """\
## Fewer model calls: confidence-threshold decoding

One token per step costs `gen_length` calls. A threshold reveals everything the model is sure of."""),
        ("code", """\
for threshold in (None, 0.9, 0.7, 0.5):
    x, tr = ml.generate(model, prompt, steps=24, gen_length=24, block_length=24,
                        threshold=threshold, return_trace=True)
    text_out = tok.decode(x[0, prompt.shape[1]:], skip_special=True)
    print(f"threshold {threshold}: {tr.model_calls:2d} model calls -> {text_out!r}")"""),
        ("md", """\
`benchmarks/sampling_speed.py` measures the same trade-off on a trained reversal model: at
threshold 0.8 it needs 2.3 calls per answer instead of 8 at the same accuracy.

## Questions

1. Why does low-confidence remasking usually beat random remasking, although random remasking is the
   exact reverse of the forward process?
2. With blocks, positions right of the current block are never revealed early. When would you want
   that?
3. What does the prefix KV cache approximate, and why is it exact for a causal model?"""),
        ("code", END),
    ],
    "06_training": [
        ("md", """\
# Chapter 6: training

Pre-training (LLaDA Algorithm 1) repeats one step: sample clean text, mask it with the forward
process, predict, and descend the 1/t-weighted loss. SFT (Algorithm 2) is the same with the prompt
never masked. `ml.train` adds what makes it practical: AdamW, warmup + cosine or warmup-stable-decay
(LLaDA Sec. 2.2), clipping, accumulation, bf16 on GPUs, validation, checkpoints, and `torchrun`.
The same loop trains the autoregressive twin with `objective="ar"`.

Read along: `minillada/train.py`, `minillada/data.py`. Exercises: `exercises/06_training`."""),
        ("code", SETUP),
        ("code", """\
from minillada.train import make_optimizer, train_step

text = ml.synthetic_corpus(1000, seed=0)
tok = ml.CharTokenizer.train(text)
data = ml.TextDataset.from_text(text, tok, seq_len=32)
model = ml.Transformer(ml.ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=64,
                                      n_layers=2, n_heads=4, max_seq_len=32))
opt = make_optimizer(model, ml.TrainConfig(lr=3e-3))
g = torch.Generator().manual_seed(0)
for step in range(5):                       # the whole idea, one step at a time
    x0, _ = data.sample(16, g)
    print(f"step {step}: loss {train_step(model, opt, x0, tok.mask_id, generator=g):.3f}")"""),
        ("md", """\
## MDM and AR, the same network and recipe

Train both objectives for the same steps and compare their validation losses. They measure
different things (the MDM's is a bound on the NLL, the AR's is the exact NLL per token), so the
curves are not a race; each shows its model learning."""),
        ("code", """\
train_data, val_data = ml.TextDataset.from_text(text, tok, seq_len=64).split(0.1)
steps = 100 if FAST else 1000
curves = {}
for objective in ("mdm", "ar"):
    torch.manual_seed(0)
    net = ml.Transformer(ml.ModelConfig.preset("tiny", vocab_size=tok.vocab_size,
                                               mask_id=tok.mask_id, causal=objective == "ar",
                                               **({"d_model": 64, "n_layers": 2} if FAST else {})))
    cfg = ml.TrainConfig.preset("tiny", objective=objective, max_steps=steps,
                                eval_every=steps // 5, save_every=0)
    curves[objective] = ml.train(net, train_data, cfg, val_data=val_data, tokenizer=tok)
plt.figure(figsize=(6, 3.5))
for objective, hist in curves.items():
    plt.plot([h["step"] for h in hist], [h["loss"] for h in hist], alpha=0.4, label=f"{objective} train")
    val = [h for h in hist if "val_loss" in h]
    plt.plot([h["step"] for h in val], [h["val_loss"] for h in val], "o-", label=f"{objective} validation")
plt.xlabel("step")
plt.ylabel("loss (nats per token)")
plt.legend()
plt.title("training the tiny preset")
""" + save("loss_curves")),
        ("md", """\
## The learning-rate schedules"""),
        ("code", """\
from minillada.train import lr_at

plt.figure(figsize=(5, 3))
for schedule in ("cosine", "wsd", "constant"):
    c = ml.TrainConfig(max_steps=1000, warmup_steps=50, schedule=schedule)
    plt.plot([lr_at(s, c) for s in range(1000)], label=schedule)
plt.xlabel("step")
plt.ylabel("learning rate")
plt.legend()
plt.show()"""),
        ("md", """\
## On a GPU: two fast paths

A training step on a GPU is limited either by arithmetic or by overhead. A model the size of the
`gpu` preset keeps the GPU busy; `compile=True` (`torch.compile`) fuses its many small element-wise
operations into few kernels, and on an H200 it reaches 29% (`gpu` preset) and 40% (100M parameters)
of the chip's peak bf16 FLOPs, MDM and AR alike. The tiny preset is the opposite: its step
launches hundreds of kernels, each done before the next one arrives, so the GPU mostly waits for
Python. `cuda_graph=True` records the forward and backward once and replays each with a single
launch (`minillada/cuda_graph.py`): on the same H200 the tiny model trains at 3.3M tokens/s instead
of 0.57M, and the reversal experiment of chapter 7 takes 15 s (eagerly, on an H100, it took 81-83 s).
The numbers come from `benchmarks/`; see the README."""),
        ("md", """\
## Questions

1. The MDM's loss stays well above the AR model's. Which of the two numbers bounds which quantity?
2. LLaDA uses warmup-stable-decay. What does it let you do that cosine does not (hint: extending a
   run)?
3. Under `torchrun`, every rank draws the whole global batch and keeps its rows. What does that buy?
4. A CUDA graph replays the recorded kernels on the same memory. Why must every batch then have the
   same shape, and why can't the model read a value back to Python (`if x.any(): ...`) inside it?"""),
        ("code", END),
    ],
    "07_reversal": [
        ("md", """\
# Chapter 7: the reversal curse

An autoregressive model trained on "A is B" does not learn "B is A" (Berglund et al. 2023). LLaDA
reports that a masked diffusion model does (Sec. 3.3, Table 4). We test it at toy scale: made-up
people "<first> <last> is <adjective> <noun> .", one network trained as an MDM and as an AR model with
the same data, size, steps and optimizer. Most people are also written the other way round
("<adjective> <noun> is called <first> <last> ."), so the reversed template itself is known; the test
people were seen **only forward**.

Read along: `minillada/reversal.py`. The same run from a terminal: `python -m minillada reversal`."""),
        ("code", SETUP.replace("import minillada as ml\n\n", "")),   # 07 uses reversal.py only
        ("code", """\
from minillada.plotting import plot_reversal_bars, plot_reversal_curves
from minillada.reversal import ReversalConfig, make_task, report, run

cfg = ReversalConfig(progress=False)
if FAST:
    cfg.n_facts, cfg.steps, cfg.eval_every, cfg.d_model, cfg.n_layers = 40, 60, 30, 32, 2
task = make_task(cfg.task, cfg.n_facts, cfg.paired_fraction, cfg.seed)
print("a paired fact:       ", task.training_sentences()[0])
f = task.forward_only[0]
print("a test fact (forward):", " ".join(f.left), "is", " ".join(f.right), ".")
print("its reversed question:", task.question(f, "reversed"))"""),
        ("code", """\
results = run(cfg)
print(report(results))"""),
        ("md", """\
**Which query each number uses** (exact match on the whole entity, over the test people):

* *forward*: prompt "<first> <last> is", answer "<adjective> <noun>". Both models were trained on
  these sentences, so both should get them.
* *reversed*: prompt "<adjective> <noun> is called", answer "<first> <last>". Never seen for the test
  people: this is the reversal question. The MDM decodes the rest of the row, the AR model writes
  left to right.
* *infill* (MDM only): "[MASK] [MASK] is <adjective> <noun> ." filled in place, the reversal asked
  the MDM's native way.
* *ranking* (AR only, a control): the reversed prompt scored against every test person's name by
  exact log-likelihood. Chance is 1/50; the AR model cannot recall, and scoring does not rescue it."""),
        ("code", """\
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plot_reversal_bars(results, ax=axes[0])
plot_reversal_curves(results, ax=axes[1])
plt.tight_layout()
""" + save("reversal_notebook")),
        ("code", """\
for ex in results["examples"]["mdm"] + results["examples"]["ar"]:
    print(f"{ex['prompt']!r} -> {ex['got']!r} (expected {ex['expected']!r})")"""),
        ("md", """\
In full mode (about 4 minutes on 2 CPU cores) the MDM answers 94-100% of the reversed questions over
three seeds and the AR model 0%, while both answer every forward question. Two things make it work
at this scale: each fact is written in several phrasings (so the model must find the other entity
by content, not by position), and a strong weight decay (2.0) that favours one shared lookup over
memorised sentences (`reversal.py` records the ablation).

## Questions

1. The AR model's loss on the reversed template is low for the *paired* people. Why does that not
   transfer to the test people?
2. What in the MDM's training objective ever asks it to predict the left entity from the right one?
3. Run the `couplets` task (`ReversalConfig(task="couplets")`): why is it harder?"""),
        ("code", END),
    ],
}


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(make(source))
    for i, cell in enumerate(nb.cells):           # stable ids, so a rebuild changes no line
        cell["id"] = f"{name}-{i}"
    return nb


def main():
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        nbformat.write(build(name, cells), path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
