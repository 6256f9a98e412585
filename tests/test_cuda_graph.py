"""The CUDA-graph fast path and the sync-free GPU transfers. The checks that need a GPU are
skipped without one (benchmarks/gpu_session.sh runs them on a lent GPU)."""

import pytest
import torch

from minillada import CharTokenizer, ModelConfig, Transformer
from minillada.infra import rng
from minillada.fast.cuda_graph import cuda_graphed
from minillada.data import SFTDataset, TextDataset, synthetic_corpus
from minillada.masking import forward_process
from minillada.train import TrainConfig, train

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
TEXT = synthetic_corpus(200, seed=0)


def setup(causal=False, seed=0):
    tok = CharTokenizer.train(TEXT)
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=32,
                                    n_layers=2, n_heads=2, max_seq_len=24, causal=causal))
    return model, TextDataset.from_text(TEXT, tok, seq_len=24)


def config(**kw):
    base = dict(max_steps=6, batch_size=8, seq_len=24, warmup_steps=1, eval_every=0, save_every=0,
                progress=False)
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("bad", [dict(compile=True), dict(grad_accum=2)])
def test_cuda_graph_refuses_what_it_cannot_do(bad):
    with pytest.raises(ValueError, match="cuda_graph=True works alone"):
        TrainConfig(cuda_graph=True, **bad)


def test_cuda_graph_is_ignored_on_the_cpu():
    model_a, data = setup()
    model_b, _ = setup()
    plain = train(model_a, data, config(device="cpu"))
    graphed = train(model_b, data, config(device="cpu", cuda_graph=True))
    assert [r["loss"] for r in plain] == [r["loss"] for r in graphed]


def test_cuda_graphed_needs_a_cuda_model():
    model, _ = setup()
    with pytest.raises(ValueError, match="CUDA device"):
        cuda_graphed(model, (2, 8))


def test_to_device_keeps_values():
    x = torch.arange(6).reshape(2, 3)
    assert torch.equal(rng.to_device(x, "cpu"), x)


@cuda
def test_masks_from_a_cpu_generator_are_the_same_on_the_gpu():
    x0 = torch.randint(4, 30, (4, 16))
    a = forward_process(x0, 1, generator=torch.Generator().manual_seed(3))
    b = forward_process(x0.cuda(), 1, generator=torch.Generator().manual_seed(3))
    for u, v in zip(a, b):
        assert torch.equal(u, v.cpu())


@cuda
@pytest.mark.parametrize("objective", ["mdm", "ar"])
def test_graphed_training_matches_eager_training(objective):
    causal = objective == "ar"
    model_a, data = setup(causal)
    model_b, _ = setup(causal)
    kw = dict(device="cuda", objective=objective, bf16=False)
    eager = train(model_a, data, config(**kw))
    graphed = train(model_b, data, config(cuda_graph=True, **kw))
    assert [r["loss"] for r in graphed] == pytest.approx([r["loss"] for r in eager], rel=1e-4)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        assert torch.allclose(a, b, atol=1e-4)
    assert "forward" not in vars(model_b)          # the user's model keeps its ordinary forward


@cuda
def test_graphed_sft_training_under_bf16_learns():
    tok = CharTokenizer.train("abcdefgh")
    pairs = [([tok.encode("ab")[0]], tok.encode("cdef")), ([tok.encode("g")[0]], tok.encode("hhab"))]
    data = SFTDataset(pairs, tok.eos_id, seq_len=8)
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=tok.vocab_size, mask_id=tok.mask_id, d_model=32,
                                    n_layers=2, n_heads=2, max_seq_len=8))
    history = train(model, data, config(device="cuda", cuda_graph=True, max_steps=200, seq_len=8,
                                     lr=1e-2, batch_size=16))
    assert history[-1]["loss"] < 0.3 * history[0]["loss"]
