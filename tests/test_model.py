import math

import pytest
import torch
import torch.nn.functional as F

from minillada import ModelConfig, Transformer
from minillada.model import RMSNorm, apply_rope, rope_cache

from conftest import tiny_config


def logits_change(model, x, j):
    """Which positions' logits move when token j of x is changed."""
    y = x.clone()
    y[0, j] = (x[0, j] + 1 - 4) % (model.config.vocab_size - 4) + 4
    with torch.no_grad():
        diff = (model(x) - model(y)).abs().amax(dim=-1)[0]      # (T,)
    return diff > 1e-6


def test_output_shape_and_dtype(tiny_model):
    x = torch.randint(0, 16, (3, 20))
    out = tiny_model(x)
    assert out.shape == (3, 20, 16) and out.dtype == torch.float32


def test_causal_model_only_looks_left():
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=True)).eval()
    x = torch.randint(4, 16, (1, 12))
    for j in (0, 5, 11):
        changed = logits_change(model, x, j)
        assert not changed[:j].any()
        assert changed[j:].all()


def test_bidirectional_model_looks_everywhere(tiny_model):
    x = torch.randint(4, 16, (1, 12))
    for j in (0, 5, 11):
        assert logits_change(tiny_model, x, j).all()


@pytest.mark.parametrize("causal", [False, True])
def test_padding_is_invisible(causal):
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=causal)).eval()
    x = torch.randint(4, 16, (2, 10))
    attention_mask = torch.ones(2, 10, dtype=torch.bool)
    attention_mask[0, 7:] = False
    y = x.clone()
    y[0, 7:] = 0
    with torch.no_grad():
        a, b = model(x, attention_mask), model(y, attention_mask)
        assert torch.allclose(a[0, :7], b[0, :7], atol=1e-5)
        assert torch.isfinite(a).all()
        # a fully padded-out row's keys: the causal model's unpadded positions match no-mask output
        full = model(x)
        assert torch.allclose(a[1], full[1], atol=1e-5)


def test_rmsnorm_matches_torch():
    norm = RMSNorm(8, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(8))
    x = torch.randn(4, 5, 8)
    expected = F.rms_norm(x, (8,), norm.weight, eps=1e-5)
    assert torch.allclose(norm(x), expected, atol=1e-6)


def test_rope_scores_depend_only_on_relative_position():
    D = 8
    cos, sin = rope_cache(32, D)
    q, k = torch.randn(D), torch.randn(D)

    def score(m, n):
        qm = apply_rope(q.expand(1, 1, 32, D), cos, sin)[0, 0, m]
        kn = apply_rope(k.expand(1, 1, 32, D), cos, sin)[0, 0, n]
        return (qm * kn).sum()

    assert torch.allclose(score(3, 1), score(10, 8), atol=1e-5)
    assert torch.allclose(score(0, 0), (q * k).sum(), atol=1e-6)  # position 0: no rotation
    assert not torch.allclose(score(3, 1), score(3, 2), atol=1e-3)


def test_attention_matches_a_hand_written_softmax():
    torch.manual_seed(0)
    for causal in (False, True):
        model = Transformer(tiny_config(causal=causal)).eval()
        attn = model.blocks[0].attn
        cos, sin = model.rope_cos[:6], model.rope_sin[:6]
        x = torch.randn(2, 6, 32)
        B, T, C, H = 2, 6, 32, 2
        q, k, v = attn.qkv(x).split(C, dim=-1)
        q, k, v = (z.view(B, T, H, C // H).transpose(1, 2) for z in (q, k, v))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        scores = q @ k.transpose(-1, -2) / math.sqrt(C // H)
        if causal:
            scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        assert torch.allclose(attn(x, cos, sin), attn.proj(y), atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(2, 40, dtype=torch.long), "longer than max_seq_len=32"),
    (torch.full((1, 4), 16), r"0\.\.15"),
    (torch.full((1, 4), -1), r"0\.\.15"),
    (torch.zeros(1, 4), "torch.long"),
    (torch.zeros(4, dtype=torch.long), r"\(batch, seq_len\)"),
])
def test_bad_input_raises_value_error(tiny_model, bad, message):
    with pytest.raises(ValueError, match=message):
        tiny_model(bad)


@pytest.mark.parametrize("overrides, message", [
    (dict(n_heads=3), "divisible by n_heads"),
    (dict(mask_id=16), "mask_id"),
    (dict(vocab_size=0), "vocab_size"),
    (dict(d_model=6, n_heads=2), "even"),
    (dict(dropout=1.5), "dropout"),
])
def test_config_is_validated(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


def test_presets():
    tiny = Transformer(ModelConfig.preset("tiny", vocab_size=70, mask_id=1))
    gpu = Transformer(ModelConfig.preset("gpu", vocab_size=4096, mask_id=1))
    assert 0.3e6 < tiny.num_params() < 2e6
    assert 10e6 < gpu.num_params() < 20e6
    assert gpu.num_params(non_embedding=True) == gpu.num_params() - 4096 * 384
    assert ModelConfig.preset("tiny", vocab_size=70, mask_id=1, n_layers=2).n_layers == 2
    with pytest.raises(ValueError, match="unknown preset"):
        ModelConfig.preset("huge", vocab_size=70, mask_id=1)


def test_bf16_autocast(tiny_model):
    x = torch.randint(0, 16, (2, 10))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = tiny_model(x)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    with torch.no_grad():
        ref = tiny_model(x)
    assert (out - ref).abs().max() < 0.1


def test_compiles_as_one_graph(tiny_model):
    # aot_eager traces the model like inductor does, without the C++ build; fullgraph=True fails on
    # any graph break (for instance a data-dependent input check left inside the compiled region)
    compiled = torch.compile(tiny_model, backend="aot_eager", fullgraph=True)
    x = torch.randint(0, 16, (2, 10))
    with torch.no_grad():
        assert torch.allclose(compiled(x), tiny_model(x), atol=1e-5)


@pytest.mark.slow
def test_compiles_with_inductor(tiny_model):
    compiled = torch.compile(tiny_model)
    x = torch.randint(0, 16, (2, 10))
    with torch.no_grad():
        assert torch.allclose(compiled(x), tiny_model(x), atol=1e-4)


# ---- KV cache ----------------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_kv_cache_of_the_same_sequence_reproduces_the_full_forward(causal):
    """Keys and values of x[:, :P] computed on x itself, reused for x[:, P:]: the tail's logits
    are exactly the full forward's (for a bidirectional model too, since nothing changed)."""
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=causal)).eval()
    x = torch.randint(4, 16, (2, 14))
    with torch.no_grad():
        full, kv = model(x, use_cache=True)
        prefix = [(k[:, :, :9], v[:, :, :9]) for k, v in kv]
        tail = model(x[:, 9:], past_kv=prefix)
    assert len(kv) == model.config.n_layers and kv[0][0].shape[2] == 14
    assert torch.allclose(tail, full[:, 9:], atol=1e-5)


def test_causal_kv_cache_one_token_at_a_time():
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=True)).eval()
    x = torch.randint(4, 16, (3, 10))
    with torch.no_grad():
        full = model(x)
        logits, kv = model(x[:, :4], use_cache=True)
        steps = [logits]
        for t in range(4, 10):
            logits, kv = model(x[:, t:t + 1], past_kv=kv, use_cache=True)
            steps.append(logits)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)


def test_kv_cache_with_padding_mask():
    torch.manual_seed(0)
    model = Transformer(tiny_config(causal=True)).eval()
    x = torch.randint(4, 16, (2, 10))
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[1, :3] = False                                   # row 1 is left-padded
    with torch.no_grad():
        full, kv = model(x, attention_mask=mask, use_cache=True)
        prefix = [(k[:, :, :6], v[:, :, :6]) for k, v in kv]
        tail = model(x[:, 6:], attention_mask=mask, past_kv=prefix)
    assert torch.allclose(tail, full[:, 6:], atol=1e-5)
    with pytest.raises(ValueError, match="cached \\+ new"):
        model(x[:, 6:], attention_mask=mask[:, 6:], past_kv=prefix)
    with pytest.raises(ValueError, match=r"6 cached \+ 32 new positions is longer than max_seq_len=32"):
        model(torch.randint(4, 16, (2, model.config.max_seq_len)), past_kv=prefix)
