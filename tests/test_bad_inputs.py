"""Every bad input a clear error (issue 18): a table-driven fuzz test of the public functions and of
every command-line flag.

Each library case is (a call, the bad value, a word the message must contain): the call must raise
a ValueError that names the argument. Each command-line case is (the arguments, a word): the
command, run in-process through ``minillada.cli.main``, must exit with code 2 and write one line of
error to stderr naming the flag (argparse's own errors: its usage line, then the error line), never
a traceback. The values are the careless and the hostile ones: wrong types, empty, NaN and
infinities, negative, zero, huge, ids outside the vocabulary. Every case fails before any model
runs more than a few forward passes of a tiny network, so none can hang.

``test_the_table_is_as_large_as_reported`` pins the number of cases, so that the table only grows
(or shrinks) knowingly.
"""

import contextlib
import io
import math

import pytest
import torch

import minillada as ml
from minillada import reversal
from minillada.infra.checkpoint import save_checkpoint
from minillada.cli import main
from minillada.data import read_text
from minillada.train import TrainConfig

V = 16                                         # the vocabulary of the tiny models


def _model(causal=False):
    torch.manual_seed(0)
    return ml.Transformer(ml.ModelConfig(vocab_size=V, mask_id=1, d_model=16, n_layers=1, n_heads=2,
                                         max_seq_len=32, causal=causal)).eval()


MDM, AR = _model(), _model(causal=True)
X0 = torch.tensor([[4, 5, 6, 7], [8, 9, 10, 11]])

# ---- the bad values, by kind --------------------------------------------------------------------

NAN, INF = math.nan, math.inf
NOT_A_COUNT = [0, -1, 2.5, 4.0, "4", None, True, NAN, INF]          # for arguments that must be >= 1
NOT_A_SIZE = [-1, 2.5, "4", None, NAN]                                # for arguments that may be 0
NOT_A_PROBABILITY = [NAN, INF, -INF, -0.5, 1.5, "0.5", None]         # for numbers in [0, 1]
NOT_NON_NEGATIVE = [NAN, INF, -1.0, "1", None]                      # for numbers >= 0
NOT_IDS = [torch.zeros(1, 3), [4.9, 5.0], [[4, 99]], [[4, -1]], "abc", [[4, 5], [6]], [True, False],
           [10 ** 12]]
NOT_A_BATCH = [torch.zeros(2, 4), torch.zeros(4, dtype=torch.long), torch.zeros(0, 4, dtype=torch.long),
               torch.zeros(2, 0, dtype=torch.long), [[4, 5]], "abc", None]


def _cases(label, call, values, name):
    return [pytest.param(call, v, name, id=f"{label}={v!r}"[:70]) for v in values]


def _kw(fn, base, arg):
    """A call of fn(**base) with ``arg`` replaced by the bad value."""
    return lambda v: fn(**{**base, arg: v})


GEN = dict(model=MDM, prompt=[[4, 5]], steps=4, gen_length=8, block_length=8)
LL = dict(model=MDM, prompt=[4, 5], answer=[6, 7], mc_num=4, batch_size=4)
AR_GEN = dict(model=AR, prompt=[[4, 5]], max_new_tokens=2)
FP = dict(x0=X0, mask_id=1)
MTCE = dict(model=MDM, windows=torch.randint(4, V, (2, 8)), rate=0.5)


def _trace():
    return ml.generate_fast(MDM, [[4, 5]], 2, 4, 4, return_trace=True)[1]


def _train(name, values):
    """TrainConfig(name=value) for each bad value."""
    return _cases(f"TrainConfig.{name}", lambda v: TrainConfig(**{name: v}), values, name)


TOK = ml.CharTokenizer.train("hello world")
CONFIG = dict(vocab_size=V, mask_id=1, d_model=16, n_layers=1, n_heads=2)

LIBRARY = [
    # ---- chapter 1: tokenizers
    *_cases("CharTokenizer.train", ml.CharTokenizer.train, ["", None, 5, b"abc"], "CharTokenizer"),
    *_cases("WordTokenizer.train", ml.WordTokenizer.train, ["", "   ", None, 5], "WordTokenizer"),
    *_cases("BPETokenizer.train.vocab_size", lambda v: ml.BPETokenizer.train("hello", v),
            [10, 259, 300.5, "300", None, NAN], "vocab_size"),
    *_cases("encode.text", TOK.encode, [5, None, b"hello", "zzz"], "encode() takes a str|character"),
    *_cases("encode.allow_special", lambda v: TOK.encode("hello", allow_special=v), ["yes", "no", 1, None],
            "allow_special"),
    *_cases("decode.skip_special", lambda v: TOK.decode([4], skip_special=v), ["yes", 0], "skip_special"),
    *_cases("decode.ids", TOK.decode, [[4.9], [99], [-1], "abc", 5, [True], torch.tensor([4.0]), [None]],
            "ids|id |decode"),
    *_cases("load_tokenizer.path", ml.load_tokenizer, ["/nonexistent/tok.json", "/", "/dev/null"],
            "tokenizer"),
    # ---- chapter 2: the model
    *_cases("ModelConfig.vocab_size", _kw(ml.ModelConfig, CONFIG, "vocab_size"), NOT_A_COUNT, "vocab_size"),
    *_cases("ModelConfig.mask_id", _kw(ml.ModelConfig, CONFIG, "mask_id"), [16, -1, 1.0, None, "1"],
            "mask_id"),
    *[c for name in ("d_model", "n_layers", "n_heads", "max_seq_len")
      for c in _cases(f"ModelConfig.{name}", _kw(ml.ModelConfig, CONFIG, name), NOT_A_COUNT, name)],
    *_cases("ModelConfig.d_model", _kw(ml.ModelConfig, CONFIG, "d_model"), [30, 18], "d_model"),
    *_cases("ModelConfig.mlp_hidden", _kw(ml.ModelConfig, CONFIG, "mlp_hidden"), [0, -1, 2.5], "mlp_hidden"),
    *[c for name in ("rope_theta", "norm_eps")
      for c in _cases(f"ModelConfig.{name}", _kw(ml.ModelConfig, CONFIG, name),
                      [0, -1.0, NAN, INF, "1", None], name)],
    *_cases("ModelConfig.init_std", _kw(ml.ModelConfig, CONFIG, "init_std"), [-1.0, NAN, INF, "1", None],
            "init_std"),
    *_cases("ModelConfig.dropout", _kw(ml.ModelConfig, CONFIG, "dropout"), [1.0, -0.1, NAN, "0", None],
            "dropout"),
    *_cases("ModelConfig.causal", _kw(ml.ModelConfig, CONFIG, "causal"), ["yes", None, 1], "causal"),
    *_cases("ModelConfig.preset", lambda v: ml.ModelConfig.preset(v, vocab_size=V, mask_id=1),
            ["huge", None], "preset"),
    *_cases("Transformer.config", ml.Transformer, [None, dict(CONFIG)], "ModelConfig"),
    *_cases("model(x)", MDM, [*NOT_A_BATCH, torch.full((1, 4), 99), torch.zeros(1, 33, dtype=torch.long)],
            "model input|sequence length"),
    *_cases("model.attention_mask", lambda v: MDM(X0, attention_mask=v),
            ["x", [[1, 1, 1, 1]], torch.full((2, 4), 0.5), torch.full((2, 4), 2)], "attention_mask"),
    *_cases("model.past_kv", lambda v: MDM(X0, past_kv=v),
            ["x", [], [(torch.zeros(2, 2, 3, 8),)], [(torch.zeros(2, 2, 3, 7),) * 2],
             [(torch.zeros(1, 2, 3, 8),) * 2], [(torch.zeros(2, 2, 3, 8), torch.zeros(2, 2, 4, 8))]],
            "past_kv"),
    *_cases("model.use_cache", lambda v: MDM(X0, use_cache=v), ["no", None, 1], "use_cache"),
    # ---- chapter 3: the forward process and the losses
    *_cases("forward_process.x0", _kw(ml.forward_process, FP, "x0"), NOT_A_BATCH, "x0"),
    *_cases("forward_process.t", _kw(ml.forward_process, FP, "t"),
            [NAN, INF, -0.5, 1.5, "0.5", torch.tensor([0.5, 0.5, 0.5]), torch.tensor([NAN, 0.5])], "t "),
    *_cases("forward_process.eps", _kw(ml.forward_process, FP, "eps"), [NAN, 1.0, -0.1, INF, "0", None],
            "eps"),
    *_cases("forward_process.prompt_lengths", _kw(ml.forward_process, FP, "prompt_lengths"),
            [[1], [1, 2, 3], [-1, 0], [5, 0]], "prompt_lengths"),
    *_cases("diffusion_loss.x0", lambda v: ml.diffusion_loss(MDM, v), NOT_A_BATCH, "x0"),
    *_cases("diffusion_loss.prompt_lengths", lambda v: ml.diffusion_loss(MDM, X0, prompt_lengths=v),
            [[4, 4], [1], [-1, 0]], "prompt_lengths"),
    *_cases("diffusion_loss.eps", lambda v: ml.diffusion_loss(MDM, X0, eps=v), [NAN, 1.0, -1.0, "0"], "eps"),
    *_cases("diffusion_loss.mask_id", lambda v: ml.diffusion_loss(MDM, X0, mask_id=v), [99, -1, 1.5, "1"],
            "mask_id"),
    *_cases("autoregressive_loss.x0", lambda v: ml.autoregressive_loss(AR, v),
            [*NOT_A_BATCH, torch.zeros(2, 1, dtype=torch.long)], "x0|at least 2 tokens"),
    pytest.param(lambda v: ml.autoregressive_loss(v, X0), MDM, "causal", id="autoregressive_loss.mdm"),
    # ---- chapter 4: the likelihood bound
    *_cases("mask_exactly.x0", lambda v: ml.mask_exactly(v, [1], 1), NOT_A_BATCH, "x0"),
    *_cases("mask_exactly.num_masked", lambda v: ml.mask_exactly(X0, v, 1),
            [[-1], [5], [2.5], [1, 1, 1], "2", [None]], "num_masked|cannot mask"),
    *_cases("log_likelihood.prompt", _kw(ml.log_likelihood, LL, "prompt"), NOT_IDS, "prompt"),
    *_cases("log_likelihood.answer", _kw(ml.log_likelihood, LL, "answer"), [*NOT_IDS, [], [4] * 40],
            "answer"),
    *_cases("log_likelihood.mc_num", _kw(ml.log_likelihood, LL, "mc_num"), [*NOT_A_COUNT, 6], "mc_num"),
    *_cases("log_likelihood.batch_size", _kw(ml.log_likelihood, LL, "batch_size"), [*NOT_A_COUNT, 3],
            "batch_size"),
    *_cases("log_likelihood.cfg_scale", _kw(ml.log_likelihood, LL, "cfg_scale"), NOT_NON_NEGATIVE,
            "cfg_scale"),
    *_cases("log_likelihood.estimator", _kw(ml.log_likelihood, LL, "estimator"), ["x", None, 1],
            "estimator"),
    *_cases("log_likelihood.eps", _kw(ml.log_likelihood, LL, "eps"), [NAN, 1.0, -0.5, "0"], "eps"),
    *_cases("log_likelihood.mask_id", _kw(ml.log_likelihood, LL, "mask_id"), [99, -1, 1.5], "mask_id"),
    *_cases("exact_elbo.answer", lambda v: ml.exact_elbo(MDM, [4], v), [*NOT_IDS, [], [4] * 13], "answer"),
    *_cases("exact_elbo.batch_size", lambda v: ml.exact_elbo(MDM, [4], [5, 6], batch_size=v), NOT_A_COUNT,
            "batch_size"),
    *_cases("autoregressive_log_likelihood.answer", lambda v: ml.autoregressive_log_likelihood(AR, [4], v),
            NOT_IDS, "answer"),
    pytest.param(lambda v: ml.autoregressive_log_likelihood(AR, v, [5]), [], "prompt", id="aLL.prompt=[]"),
    pytest.param(lambda v: ml.autoregressive_log_likelihood(v, [4], [5]), MDM, "causal", id="aLL.mdm"),
    *_cases("choose.choices", lambda v: ml.choose(MDM, [4], v), [[], [[99]], [[4.5]]], "choice|answer"),
    *_cases("masked_token_ce.rate", _kw(ml.masked_token_ce, MTCE, "rate"), [0, *NOT_A_PROBABILITY], "rate"),
    *_cases("masked_token_ce.windows", _kw(ml.masked_token_ce, MTCE, "windows"),
            [*[b for b in NOT_A_BATCH if not isinstance(b, list)], torch.full((2, 4), 99)], "windows"),
    *_cases("masked_token_ce.batch_size", _kw(ml.masked_token_ce, MTCE, "batch_size"), NOT_A_COUNT,
            "batch_size"),
    *_cases("stratified_mask_counts.batch_size", lambda v: ml.stratified_mask_counts(v, 4), NOT_A_COUNT,
            "batch_size"),
    *_cases("stratified_mask_counts.L", lambda v: ml.stratified_mask_counts(4, v), NOT_A_COUNT, "L "),
    *_cases("guided_logits.cfg_scale",
            lambda v: ml.guided_logits(MDM, X0, torch.tensor([True, False, False, False]), v, 1),
            [-1.0, -INF], "cfg_scale"),
    # ---- chapter 5: the reverse process
    *_cases("generate.prompt", _kw(ml.generate, GEN, "prompt"),
            [*NOT_IDS, torch.zeros(0, 2, dtype=torch.long)], "prompt"),
    *_cases("generate.steps", _kw(ml.generate, GEN, "steps"), NOT_A_COUNT, "steps"),
    *_cases("generate.steps", lambda v: ml.generate(MDM, [[4]], v, 8, 4), [3], "steps"),
    *_cases("generate.gen_length", _kw(ml.generate, GEN, "gen_length"), [*NOT_A_COUNT, 10 ** 9, 12],
            "gen_length"),
    *_cases("generate.gen_length", lambda v: ml.generate(MDM, [[4]], 4, v, v), [10 ** 9], "gen_length"),
    *_cases("generate.block_length", _kw(ml.generate, GEN, "block_length"), [*NOT_A_COUNT, 3],
            "block_length"),
    *_cases("generate.temperature", _kw(ml.generate, GEN, "temperature"), [*NOT_NON_NEGATIVE, 10 ** 400],
            "temperature"),
    *_cases("generate.cfg_scale", _kw(ml.generate, GEN, "cfg_scale"), NOT_NON_NEGATIVE, "cfg_scale"),
    *_cases("generate.remasking", _kw(ml.generate, GEN, "remasking"), ["greedy", None, ["random"]],
            "remasking"),
    *_cases("generate_fast.threshold", _kw(ml.generate_fast, GEN, "threshold"),
            [0, -0.5, 1.5, NAN, INF, "0.9"], "threshold"),
    *_cases("generate_fast.top_k", _kw(ml.generate_fast, GEN, "top_k"), [0, -1, 2.0, "3"], "top_k"),
    *_cases("generate_fast.top_p", _kw(ml.generate_fast, GEN, "top_p"), [0, -0.5, 1.5, NAN], "top_p"),
    *_cases("generate_fast.remask_decoded", _kw(ml.generate_fast, GEN, "remask_decoded"), [-1, 1.5, "1"],
            "remask_decoded"),
    *_cases("generate_fast.remasking", _kw(ml.generate_fast, GEN, "remasking"), ["greedy", None],
            "remasking"),
    *_cases("generate.remasking", _kw(ml.generate, GEN, "remasking"), ["margin"], "generate_fast"),
    *_cases("generate.mask_id", _kw(ml.generate, GEN, "mask_id"), [99, -1, 1.5, "1"], "mask_id"),
    *_cases("generate_fast.attention_mask", _kw(ml.generate_fast, GEN, "attention_mask"),
            [[[1]], [[1, 1, 1]]], "attention_mask"),
    pytest.param(lambda v: ml.generate(v, [[4]], 4, 8, 8), torch.nn.Linear(2, 2), "config",
                 id="generate.model=Linear"),
    pytest.param(lambda v: ml.generate_fast(MDM, [[4]], 4, 8, 8, kv_cache=True, cfg_scale=v), 1.0, "kv_cache",
                 id="generate.kv_cache+cfg"),
    *_cases("infill.x", lambda v: ml.infill(MDM, v), [*NOT_IDS, torch.zeros(1, 0, dtype=torch.long)], "x"),
    *_cases("infill.steps", lambda v: ml.infill(MDM, [[4, 1, 5]], steps=v), [0, -1, 2.5, "2", NAN], "steps"),
    *_cases("infill.temperature", lambda v: ml.infill(MDM, [[4, 1, 5]], temperature=v), NOT_NON_NEGATIVE,
            "temperature"),
    *_cases("generate_autoregressive.prompt", _kw(ml.generate_autoregressive, AR_GEN, "prompt"),
            [*NOT_IDS, [[]]], "prompt"),
    *_cases("generate_autoregressive.max_new_tokens",
            _kw(ml.generate_autoregressive, AR_GEN, "max_new_tokens"), [*NOT_A_SIZE, 10 ** 9],
            "max_new_tokens"),
    *_cases("generate_autoregressive.temperature", _kw(ml.generate_autoregressive, AR_GEN, "temperature"),
            NOT_NON_NEGATIVE, "temperature"),
    pytest.param(_kw(ml.generate_autoregressive, AR_GEN, "model"), MDM, "causal", id="generate_ar.mdm"),
    *_cases("get_num_transfer_tokens.steps",
            lambda v: ml.get_num_transfer_tokens(torch.ones(1, 4, dtype=torch.bool), v), NOT_A_COUNT,
            "steps"),
    *_cases("render_trace.trace", ml.render_trace, [None, "trace", ml.Trace(start=None)], "trace"),
    *_cases("render_trace.row", lambda v: ml.render_trace(_trace(), row=v), [1, -1, 0.5], "row"),
    *_cases("render_trace.start", lambda v: ml.render_trace(_trace(), start=v), [-1, 7, 1.5], "start"),
    *_cases("plot_trace.trace", ml.plot_trace, [None, "trace"], "trace"),
    # ---- arguments many functions share: generators, prompt lengths, end-of-text ids
    *_cases("forward_process.generator", _kw(ml.forward_process, FP, "generator"), ["g", 5], "generator"),
    *_cases("generate.generator", lambda v: ml.generate(MDM, [[4]], 4, 8, 8, temperature=1.0, generator=v),
            ["g", 0], "generator"),
    *_cases("masked_token_ce.generator", _kw(ml.masked_token_ce, MTCE, "generator"), [1], "generator"),
    *_cases("mask_exactly.prompt_lengths", lambda v: ml.mask_exactly(X0, [1], 1, prompt_lengths=v),
            ["x", [1.5, 2.0]], "prompt_lengths"),
    *_cases("forward_process.prompt_lengths", _kw(ml.forward_process, FP, "prompt_lengths"), ["x", [1.5, 2]],
            "prompt_lengths"),
    *_cases("diffusion_loss.prompt_lengths", lambda v: ml.diffusion_loss(MDM, X0, prompt_lengths=v), ["x"],
            "prompt_lengths"),
    *_cases("generate_autoregressive.eos_id", lambda v: ml.generate_autoregressive(AR, [[4]], 2, eos_id=v),
            ["x", 99, -1, 3.0], "eos_id"),
    *_cases("generate_fast.attention_mask", _kw(ml.generate_fast, GEN, "attention_mask"), ["x"],
            "attention_mask"),
    *_cases("SFTDataset.pairs", lambda v: ml.SFTDataset(v, eos_id=3), [[("ab", [5])], [([4.5], [5])]],
            "prompt"),
    *_cases("TextDataset.sample", lambda v: ml.TextDataset(torch.arange(4, 16), 4).sample(v), [0, -1, 2.5],
            "n (rows)"),
    *_cases("Tokenizer.save", TOK.save, ["/", "/nonexistent/dir/tok.json"], "cannot write"),
    *_cases("render_trace.mask_text", lambda v: ml.render_trace(_trace(), mask_text=v), [5, None],
            "mask_text"),
    *_cases("train.data", lambda v: ml.train(_model(), v, TrainConfig(max_steps=1)), [None, [[4, 5]]],
            "data"),
    *_cases("train.config", lambda v: ml.train(_model(), ml.TextDataset(torch.arange(4, 16), 4), v),
            [None, {"max_steps": 1}], "config"),
    # ---- chapter 6: training
    *[c for name in ("batch_size", "grad_accum", "max_steps", "eval_batches")
      for c in _train(name, NOT_A_COUNT)],
    *[c for name in ("warmup_steps", "eval_every", "save_every", "seed") for c in _train(name, NOT_A_SIZE)],
    *_train("seq_len", [1, *NOT_A_COUNT]),
    *_train("bpe_vocab_size", [100, 0, 2.5]),
    *_train("optimizer", ["sgd", None]),
    *_train("seed", [2 ** 70]),
    *_train("lr", [0, -1.0, NAN, INF, "1e-3", None, 10 ** 400]),
    *[c for name in ("weight_decay", "grad_clip") for c in _train(name, NOT_NON_NEGATIVE)],
    *[c for name in ("min_lr_ratio", "decay_fraction") for c in _train(name, NOT_A_PROBABILITY)],
    *[c for name in ("beta1", "beta2", "mask_eps") for c in _train(name, [1.0, *NOT_A_PROBABILITY])],
    *[c for name, bad in (("objective", "gpt"), ("model_preset", "huge"), ("tokenizer", "sentencepiece"),
                          ("schedule", "linear")) for c in _train(name, [bad, None])],
    *_train("device", ["tpu", "", None, "cuda:x", "meta"]),
    *[c for name in ("bf16", "compile", "cuda_graph", "progress") for c in _train(name, ["no", None])],
    pytest.param(lambda v: TrainConfig(cuda_graph=True, compile=v), True, "cuda_graph",
                 id="TrainConfig.cuda_graph+compile"),
    *_cases("TrainConfig.preset", TrainConfig.preset, ["huge", None], "preset"),
    *_cases("TextDataset.seq_len", lambda v: ml.TextDataset(torch.arange(4, 40), v), [1, 2.5, "8", 100],
            "seq_len"),
    *_cases("TextDataset.ids", lambda v: ml.TextDataset(v, 4), [[4.5] * 8, "abcdefgh", [4, 5]], "ids|tokens"),
    *_cases("SFTDataset.pairs", lambda v: ml.SFTDataset(v, eos_id=3, seq_len=4), [[], [([4, 5], [6, 7, 8])]],
            "SFTDataset|seq_len"),
    *_cases("synthetic_corpus.n_sentences", ml.synthetic_corpus, [0, -1, 2.5, None], "n_sentences"),
    *_cases("read_text.path", read_text, ["/", "/dev/zero", "/nonexistent.txt", "no_such_dataset"],
            "/|no_such_dataset"),
    *_cases("train.device", lambda v: ml.train(_model(), ml.TextDataset(torch.arange(4, 16), 4),
                                              TrainConfig(device=v, max_steps=1)), ["cuda:99"], "cuda:99"),
    # ---- [MASK] is noise, never data (issue 31): each a ValueError naming the argument
    *_cases("log_likelihood.answer[MASK]", lambda v: ml.log_likelihood(MDM, [4], v, mc_num=4, batch_size=4),
            [[5, 1, 6]], "answer holds the [MASK] id 1"),
    *_cases("log_likelihood.prompt[MASK]", lambda v: ml.log_likelihood(MDM, v, [5], mc_num=4, batch_size=4),
            [[1, 4]], "prompt holds the [MASK] id 1"),
    *_cases("exact_elbo.answer[MASK]", lambda v: ml.exact_elbo(MDM, [4], v), [[5, 1, 6]],
            "answer holds the [MASK] id 1"),
    *_cases("generate.prompt[MASK]", _kw(ml.generate, GEN, "prompt"), [[[4, 1]], [[4, 5], [1, 6]]],
            "prompt holds the [MASK] id 1"),
    *_cases("generate_fast.prompt[MASK]", _kw(ml.generate_fast, {**GEN, "threshold": 0.5}, "prompt"),
            [[[1, 4]]], "infill"),
    *_cases("diffusion_loss.x0[MASK]", lambda v: ml.diffusion_loss(MDM, v), [torch.tensor([[4, 1, 6, 7]])],
            "x0 holds the [MASK] id 1"),
    *_cases("SFTDataset.pairs", lambda v: ml.SFTDataset(v, eos_id=2), [[([4], []), ([5, 6], [])]],
            "every answer"),
    *_cases("train.out_dir", lambda v: ml.train(_model(), ml.TextDataset(torch.arange(4, 16), 4),
                                               TrainConfig(max_steps=1), out_dir=v), ["", "  "],
            "out_dir is empty"),
    # ---- chapter 7: the reversal experiment
    *_cases("ReversalConfig.n_facts", lambda v: reversal.ReversalConfig(n_facts=v), [*NOT_A_COUNT, 10 ** 6],
            "n_facts"),
    *_cases("ReversalConfig.paired_fraction", lambda v: reversal.ReversalConfig(paired_fraction=v),
            [1.0, *NOT_A_PROBABILITY], "paired_fraction"),
    *_cases("ReversalConfig.task", lambda v: reversal.ReversalConfig(task=v), ["poems", None], "task"),
    *_cases("ReversalConfig.steps", lambda v: reversal.ReversalConfig(steps=v), NOT_A_COUNT, "steps"),
    *_cases("ReversalConfig.device", lambda v: reversal.ReversalConfig(device=v), ["tpu", None], "device"),
    *_cases("ReversalConfig.lr", lambda v: reversal.ReversalConfig(lr=v), [0, NAN, -1.0], "lr"),
    *_cases("ReversalConfig.optimizer", lambda v: reversal.ReversalConfig(optimizer=v), ["sgd", None],
            "optimizer"),
    *_cases("make_task.n_facts", lambda v: reversal.make_task("couplets", n_facts=v), [10 ** 5, 0],
            "n_facts"),
    *_cases("made_up_words.n", lambda v: reversal.made_up_words(v, __import__("random").Random(0), (2,)),
            [214_327, 10 ** 9], "at most 214326"),
]


@pytest.mark.parametrize("call, value, name", LIBRARY)
def test_a_bad_argument_is_a_valueerror_that_names_it(call, value, name):
    with pytest.raises(ValueError) as info:
        call(value)
    message = str(info.value)
    assert any(n in message for n in name.split("|")), f"{message!r} does not name {name!r}"
    assert "\n" not in message.strip()


# ---- the command line ---------------------------------------------------------------------------

def run_cli(*argv):
    """(exit code, stderr) of ``minillada.cli.main(argv)`` run in this process."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main(list(argv))
        except SystemExit as e:           # argparse's own errors
            rc = e.code
    return rc, err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny MDM and AR checkpoint (char tokenizer of "hello world") and bad data files."""
    d = tmp_path_factory.mktemp("cli")
    for name, causal in (("mdm", False), ("ar", True)):
        model = ml.Transformer(ml.ModelConfig(vocab_size=TOK.vocab_size, mask_id=TOK.mask_id, d_model=16,
                                              n_layers=1, n_heads=2, max_seq_len=32, causal=causal))
        save_checkpoint(d / name, model, 1, TOK)
    (d / "num.jsonl").write_text('{"prompt": 5, "completion": "x"}\n')
    (d / "bad.jsonl").write_text('{"prompt": "a", \n')
    (d / "empty.txt").write_text("")
    (d / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (d / "short.txt").write_text("hello")
    (d / "facts.jsonl").write_text('{"prompt": "a", "completion": "b"}\n')
    (d / "no_answers.jsonl").write_text('{"prompt": "a", "completion": ""}\n'
                                        '{"prompt": "b", "completion": ""}\n')
    return d


TRAIN = ["train", "--max-steps", "1", "--eval-every", "0", "--no-progress", "--out", "{d}/run"]
TRAIN_FLAGS = {
    "--objective": ["gpt"], "--model-preset": ["huge"], "--tokenizer": ["x"], "--schedule": ["x"],
    "--optimizer": ["sgd"],
    "--bpe-vocab-size": ["100", "abc"], "--seq-len": ["1", "0", "2.5"], "--batch-size": ["0", "-1", "x"],
    "--grad-accum": ["0"], "--max-steps": ["0", "-1"], "--lr": ["0", "-1", "nan", "inf", "x"],
    "--min-lr-ratio": ["-0.1", "1.5", "nan"], "--warmup-steps": ["-10"], "--decay-fraction": ["2", "nan"],
    "--weight-decay": ["-5", "nan", "inf"], "--beta1": ["1", "-0.1", "nan"], "--beta2": ["1.5", "nan"],
    "--grad-clip": ["-1", "nan"], "--mask-eps": ["2", "1", "-0.1", "nan"], "--eval-every": ["-1"],
    "--eval-batches": ["0", "-1"], "--save-every": ["-1"], "--seed": ["-1", "x"],
    "--device": ["tpu", "", "cuda:x", "meta", "cuda:99"], "--preset": ["huge"],
}
TRAIN_DATA = {"{d}": "is a directory", "/dev/zero": "not a regular file", "{d}/missing.txt": "no data file",
              "{d}/num.jsonl": "'prompt' must be a string", "{d}/bad.jsonl": "not valid JSON",
              "{d}/empty.txt": "is empty", "{d}/latin1.txt": "not UTF-8", "{d}/short.txt": "seq_len",
              "no_such_dataset": "no data set named",
              "{d}/no_answers.jsonl": "no_answers.jsonl: every answer"}
SAMPLE_FLAGS = {
    "--gen-length": ["0", "-1", "1000", "x"], "--steps": ["0", "-1", "x"], "--block-length": ["0", "-1", "3"],
    "--temperature": ["nan", "inf", "-1", "x"], "--threshold": ["0", "1.5", "nan", "-0.5"],
    "--device": ["tpu", "", "cuda:x", "cuda:99"], "--prompt": ["zzz", "[MASK"],
    "--remasking": ["greedy", ""], "--top-k": ["0", "-2", "x"], "--top-p": ["0", "1.5", "nan"],
    "--remask-decoded": ["-1", "x"],
}
REVERSAL_FLAGS = {
    "--n-facts": ["0", "-1", "100000", "x"], "--paired-fraction": ["1", "1.5", "-0.1", "nan"],
    "--steps": ["0", "-1"], "--eval-every": ["-1"], "--device": ["tpu", "", "cuda:99"], "--task": ["poems"],
    "--seed": ["-1"], "--train": ["{d}/facts.jsonl"], "--test": ["{d}/facts.jsonl"],
}


def _name(flag):
    """The word the error must contain: the flag, or what the library calls it."""
    return {"--prompt": "--prompt", "--train": "--train and --test", "--test": "--train and --test",
            "--block-length": "block-length|block_length", "--gen-length": "gen-length|gen_length"
            }.get(flag, flag)


CLI = [
    *[pytest.param([*TRAIN, flag, v], flag, id=f"train {flag} {v}") for flag, vs in TRAIN_FLAGS.items()
      for v in vs],
    pytest.param([*TRAIN, "--cuda-graph", "--compile"], "cuda_graph", id="train --cuda-graph --compile"),
    *[pytest.param([*TRAIN, "--data", path], name, id=f"train --data {path}") for path, name in
      TRAIN_DATA.items()],
    *[pytest.param(["sample", "--ckpt", "{d}/mdm", "--prompt", "he", "--gen-length", "8", flag, v],
                   _name(flag), id=f"sample {flag} {v}") for flag, vs in SAMPLE_FLAGS.items() for v in vs],
    pytest.param(["sample", "--ckpt", "{d}/ar", "--prompt", ""], "--prompt", id="sample AR --prompt ''"),
    *[pytest.param(["sample", "--ckpt", "{d}/ar", "--prompt", "he", *flags], flags[0],
                   id=f"sample AR {flags}")
      for flags in (["--block-length", "4", "--threshold", "0.5"], ["--steps", "4"], ["--kv-cache"],
                    ["--remasking", "random"], ["--top-p", "0.9"], ["--remask-decoded", "1"])],
    pytest.param(["sample", "--ckpt", "{d}/mdm", "--prompt", "he", "--gen-length", "8", "--threshold", "0.9",
                  "--remask-decoded", "1"], "--remask-decoded", id="sample --remask-decoded + --threshold"),
    pytest.param([*TRAIN[:-2], "--out", ""], "--out is empty", id="train --out ''"),
    pytest.param(["reversal", "--quick", "--no-progress", "--out", ""], "--out is empty",
                 id="reversal --out ''"),
    pytest.param(["sample", "--ckpt", "{d}/missing", "--prompt", "he"], "missing",
                 id="sample --ckpt missing"),
    pytest.param(["sample", "--prompt", "he"], "--ckpt", id="sample without --ckpt"),
    *[pytest.param(["reversal", "--quick", "--no-progress", "--out", "{d}/rev", flag, v], _name(flag),
                   id=f"reversal {flag} {v}") for flag, vs in REVERSAL_FLAGS.items() for v in vs],
    pytest.param(["reversal", "--quick", "--out", "{d}/rev2", "--train", "{d}/missing.jsonl", "--test",
                  "{d}/facts.jsonl"], "missing.jsonl", id="reversal --train missing"),
    pytest.param(["bogus"], "invalid choice", id="unknown command"),
]


@pytest.mark.parametrize("argv, name", CLI)
def test_a_bad_flag_is_one_line_and_exit_code_2(files, argv, name):
    rc, err = run_cli(*[a.replace("{d}", str(files)) for a in argv])
    lines = err.strip().splitlines()
    assert rc == 2, (rc, err)
    assert "Traceback" not in err
    if lines[0].startswith("usage:"):         # argparse: its usage lines, then one error line
        assert sum("error:" in line for line in lines) == 1 and "error:" in lines[-1], err
    else:
        assert len(lines) == 1 and lines[0].startswith(f"minillada {argv[0]}: error: "), err
    assert any(n in lines[-1] for n in name.split("|")), f"{lines[-1]!r} does not name {name!r}"


def test_the_table_is_as_large_as_reported():
    assert (len(LIBRARY), len(CLI)) == (724, 130)


# ---- what the command line accepts, and how a failed run ends ----------------------------------

def test_sample_from_an_empty_prompt_is_unconditional_generation(files):
    rc, err = run_cli("sample", "--ckpt", str(files / "mdm"), "--prompt", "", "--gen-length", "4")
    assert rc == 0, err


def test_sample_steps_and_block_length_are_used_as_given(files, capsys):
    # 0 used to mean "the default"; now it is refused (above), and a given value is used as given
    rc, err = run_cli("sample", "--ckpt", str(files / "mdm"), "--prompt", "he", "--gen-length", "8",
                      "--steps", "4", "--block-length", "4")
    assert rc == 0, err


def test_divergence_is_a_one_line_error_with_exit_code_1(files, monkeypatch):
    def diverge(*args, **kwargs):
        raise FloatingPointError("the loss became nan at step 3; try a smaller lr or a longer warmup")

    monkeypatch.setattr("minillada.cli.train", diverge)
    rc, err = run_cli("train", "--max-steps", "1", "--eval-every", "0", "--no-progress", "--out",
                      str(files / "div"), "--seq-len", "8", "--data", str(files / "facts.jsonl"))
    assert rc == 1 and err.strip() == ("minillada train: error: the loss became nan at step 3; try a "
                                       "smaller lr or a longer warmup")


def test_out_of_memory_is_a_one_line_error_with_exit_code_1(files, monkeypatch):
    def too_big(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 10000000000 bytes.\nmore")

    monkeypatch.setattr("minillada.cli.train", too_big)
    rc, err = run_cli("train", "--no-progress", "--out", str(files / "oom"), "--seq-len", "8",
                      "--data", str(files / "facts.jsonl"))
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "out of memory" in err


def test_other_runtime_errors_are_not_hidden(files, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug, not a bad input")

    monkeypatch.setattr("minillada.cli.train", bug)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["train", "--no-progress", "--out", str(files / "bug"), "--seq-len", "8", "--data",
              str(files / "facts.jsonl")])


def test_a_real_divergence_ends_with_the_library_message(files):
    rc, err = run_cli("train", "--max-steps", "20", "--lr", "1e30", "--warmup-steps", "0",
                      "--eval-every", "0", "--no-progress", "--batch-size", "2", "--seq-len", "8",
                      "--out", str(files / "div2"), "--data", str(files / "facts.jsonl"))
    assert rc == 1 and "minillada train: error: the loss became" in err and len(err.strip().splitlines()) == 1


# ---- the fixes that are not a ValueError: models without parameters, progress bars ---------------

class NoParameters(torch.nn.Module):
    """A constant-logits baseline with nothing to learn: no parameters, no buffers."""

    config = ml.ModelConfig(vocab_size=V, mask_id=1, d_model=8, n_layers=1, n_heads=2)

    def forward(self, x, attention_mask=None):
        return torch.zeros(*x.shape, V)


def test_a_model_without_parameters_can_be_scored():
    ll = ml.log_likelihood(NoParameters(), [4, 5], [6, 7], mc_num=4, batch_size=4)
    assert ll == pytest.approx(-2 * math.log(V), rel=1e-5)
    assert ml.exact_elbo(NoParameters(), [4], [5, 6]) == pytest.approx(-2 * math.log(V), rel=1e-5)
    assert ml.generate(NoParameters(), [[4]], 2, 2, 2).shape == (1, 3)


def test_the_progress_bar_redraws_rarely_in_a_log_file():
    from minillada.infra.progress import LOG_INTERVAL, is_interactive, progress_bar

    log = io.StringIO()
    bar = progress_bar(range(2000), file=log, desc="train")
    for _ in bar:
        bar.set_postfix(loss="1.0", refresh=False)
    bar.close()
    assert bar.mininterval == LOG_INTERVAL >= 30 and not is_interactive(log)
    assert log.getvalue().count("\r") <= 3          # the first draw and the last, not one per step

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert is_interactive(Terminal()) and progress_bar(range(2), file=Terminal()).mininterval < 1


def test_train_uses_the_quiet_bar_in_a_log_file(capsys):
    data = ml.TextDataset(torch.randint(4, V, (200,)), seq_len=8)
    model = _model()
    history = ml.train(model, data, TrainConfig(max_steps=50, batch_size=2, seq_len=8, eval_every=0,
                                                save_every=0, device="cpu", lr=1e-3))
    assert len(history) == 50
    assert capsys.readouterr().err.count("\r") <= 3   # pytest's captured stderr is not a terminal



@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("argv", [["train", "--no-progress", "--out", "{d}/run"],
                                  ["sample", "--ckpt", "{d}/mdm", "--prompt", "he"],
                                  ["reversal", "--quick", "--out", "{d}/rev"]])
def test_device_cuda_without_a_gpu_is_refused_at_once(files, argv):
    rc, err = run_cli(*[a.replace("{d}", str(files)) for a in argv], "--device", "cuda")
    assert rc == 2 and err.strip().endswith("--device 'cuda' asked for, but torch sees no CUDA GPU here; "
                                            "use cpu")


def test_what_is_accepted_stays_accepted():
    """The checks refuse what is wrong, not what is merely unusual: NumPy numbers, lists of t,
    an empty prompt for a masked diffusion model (unconditional generation), steps > gen_length."""
    np = pytest.importorskip("numpy")
    assert ml.generate(MDM, [[4]], np.int64(4), 4, 4, temperature=np.float32(0.5)).shape == (1, 5)
    _, _, p_mask = ml.forward_process(X0, 1, t=[0.0, 1.0], eps=0.0)
    assert p_mask[:, 0].tolist() == [0.0, 1.0]
    assert ml.forward_process(X0, 1, t=np.float32(0.5))[0].shape == X0.shape
    assert ml.generate(MDM, torch.zeros(1, 0, dtype=torch.long), 4, 4, 4).shape == (1, 4)
    assert ml.generate(MDM, [[4]], 8, 4, 4).shape == (1, 5)
    assert TOK.decode(np.array([5, 6])) == TOK.decode([5, 6])
    assert TrainConfig(seed=np.int64(3), device="cpu").seed == 3
    zero = ml.Transformer(ml.ModelConfig(**{**CONFIG, "init_std": 0.0}))     # the uniform model
    assert zero(X0).abs().max() == 0
