"""Chapter 2: the Transformer's parts. Run: pytest exercises/02_transformer [-m ex2_3]"""

import math

import pytest
import torch
import torch.nn.functional as F

from minillada import ModelConfig
from minillada import model as lib


@pytest.mark.ex2_1
def test_rmsnorm_formula(ex):
    torch.manual_seed(0)
    norm = ex.RMSNorm(8, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(8))
    x = torch.randn(3, 5, 8)
    want = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    assert torch.allclose(norm(x), want, atol=1e-5)


@pytest.mark.ex2_1
def test_rmsnorm_keeps_dtype_and_scale_invariance(ex):
    norm = ex.RMSNorm(16)
    x = torch.randn(2, 16)
    assert torch.allclose(norm(x), norm(100 * x), atol=1e-4)           # scale does not matter
    assert norm.to(torch.bfloat16)(x.bfloat16()).dtype == torch.bfloat16
    assert norm(x).shape == x.shape


@pytest.mark.ex2_2
def test_rope_cache_values(ex):
    cos, sin = ex.rope_cache(10, 8, theta=10000.0)
    assert cos.shape == sin.shape == (10, 4)
    assert torch.allclose(cos[0], torch.ones(4)) and torch.allclose(sin[0], torch.zeros(4))
    # pair j at position p turns by p * theta^(-2j / D)
    assert math.isclose(float(sin[3, 1]), math.sin(3 * 10000 ** (-2 / 8)), rel_tol=1e-5)
    want_cos, want_sin = lib.rope_cache(10, 8)
    assert torch.allclose(cos, want_cos, atol=1e-6) and torch.allclose(sin, want_sin, atol=1e-6)


@pytest.mark.ex2_3
def test_rope_is_a_rotation(ex):
    cos, sin = lib.rope_cache(12, 8)
    x = torch.randn(2, 3, 12, 8)
    y = ex.apply_rope(x, cos, sin)
    assert y.shape == x.shape
    assert torch.allclose(y.norm(dim=-1), x.norm(dim=-1), atol=1e-5)    # rotations keep length
    assert torch.allclose(y[:, :, 0], x[:, :, 0], atol=1e-6)              # position 0: angle 0
    assert torch.allclose(y, lib.apply_rope(x, cos, sin), atol=1e-6)


@pytest.mark.ex2_3
def test_rope_scores_depend_on_relative_position(ex):
    cos, sin = lib.rope_cache(16, 8)
    q, k = torch.randn(8), torch.randn(8)

    def score(m, n):
        qs = ex.apply_rope(q.expand(1, 1, 16, 8), cos, sin)[0, 0, m]
        ks = ex.apply_rope(k.expand(1, 1, 16, 8), cos, sin)[0, 0, n]
        return float(qs @ ks)

    assert math.isclose(score(5, 2), score(13, 10), rel_tol=1e-4, abs_tol=1e-5)
    assert not math.isclose(score(5, 2), score(5, 4), rel_tol=1e-3)


@pytest.mark.ex2_4
@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch(ex, causal):
    q, k, v = torch.randn(3, 2, 4, 7, 8).unbind(0)
    want = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    assert torch.allclose(ex.attention(q, k, v, causal=causal), want, atol=1e-5)


@pytest.mark.ex2_4
def test_causal_attention_looks_left_only(ex):
    q, k, v = torch.randn(3, 1, 1, 5, 4).unbind(0)
    out = ex.attention(q, k, v, causal=True)
    assert torch.allclose(out[..., 0, :], v[..., 0, :], atol=1e-6)     # position 0 sees itself only
    v2 = v.clone()
    v2[..., 4, :] += 10                                                # change the last value
    out2 = ex.attention(q, k, v2, causal=True)
    assert torch.allclose(out[..., :4, :], out2[..., :4, :], atol=1e-6)
    full = ex.attention(q, k, v2, causal=False)
    assert not torch.allclose(full[..., 0, :], out[..., 0, :], atol=1e-3)


@pytest.mark.ex2_5
def test_swiglu_matches_library(ex):
    cfg = ModelConfig(vocab_size=10, mask_id=1, d_model=16, n_heads=2)
    torch.manual_seed(0)
    ref = lib.SwiGLU(cfg)
    mine = ex.SwiGLU(cfg)
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 16)
    assert torch.allclose(mine(x), ref(x), atol=1e-6)
    want = ref.down(F.silu(ref.gate(x)) * ref.up(x))
    assert torch.allclose(mine(x), want, atol=1e-6)
