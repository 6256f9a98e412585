"""Chapter 2: the Transformer's parts. Run: pytest exercises/02_transformer [-m ex2_3]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. Inputs come from seeded generators, so the judge rebuilds them.
"""

import math

import torch
import torch.nn.functional as F

from exercises._checks import check, expect_rounded_once, expect_tensor, expect_tuple, expect_unchanged
from minillada import ModelConfig
from minillada import model as lib


def randn(*shape, seed=0, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


# ---- 2.1 RMSNorm --------------------------------------------------------------------------------

def probe_rmsnorm_formula(ex):
    norm = ex.RMSNorm(8, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(randn(8, seed=1))
    return {"out": norm(randn(3, 5, 8)), "tiny": norm(randn(2, 8, seed=2, scale=3e-3)),
            "params": [name for name, _ in norm.named_parameters()]}


def rms_want(x, weight, eps=1e-5):
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


@check("2.1", probe_rmsnorm_formula)
def test_rmsnorm_formula(got):
    """x / sqrt(mean(x^2 over the last dim) + eps) * weight, with eps inside the square root (an
    input of size 0.003 shows the difference), and one learned parameter, `weight`"""
    w = randn(8, seed=1)
    expect_tensor(got["out"], "RMSNorm", dtype=torch.float32, shape=(3, 5, 8))
    assert got["params"] == ["weight"]
    assert torch.allclose(got["out"], rms_want(randn(3, 5, 8), w), rtol=1e-5, atol=1e-6)
    expect_tensor(got["tiny"], "RMSNorm", dtype=torch.float32, shape=(2, 8))
    assert torch.allclose(got["tiny"], rms_want(randn(2, 8, seed=2, scale=3e-3), w), rtol=1e-4,
                          atol=1e-6)


def probe_rmsnorm_dtypes(ex):
    norm = ex.RMSNorm(16)
    x = randn(2, 16, seed=3)
    big = (randn(2, 16, seed=4) * 300).half()                     # x^2 overflows in float16
    return {"x": norm(x), "x100": norm(100 * x), "bf16": norm.to(torch.bfloat16)(x.bfloat16()),
            "fp16": norm.to(torch.float16)(big)}


@check("2.1", probe_rmsnorm_dtypes)
def test_rmsnorm_keeps_dtype_and_scale_invariance(got):
    """scaling x does not change the output; the output has x's dtype and shape; the arithmetic is
    done in float32 (a float16 input of size ~300 must not overflow when squared)"""
    expect_tensor(got["x"], "RMSNorm", dtype=torch.float32, shape=(2, 16))
    expect_tensor(got["x100"], "RMSNorm", dtype=torch.float32, shape=(2, 16))
    assert torch.allclose(got["x"], got["x100"], atol=1e-4)
    expect_tensor(got["bf16"], "RMSNorm", "the output for a bfloat16 x", dtype=torch.bfloat16)
    expect_tensor(got["fp16"], "RMSNorm", "the output for a float16 x", dtype=torch.float16)
    big = (randn(2, 16, seed=4) * 300).half().float()
    assert torch.isfinite(got["fp16"]).all(), "inf/nan: x^2 was computed in float16"
    assert torch.allclose(got["fp16"].float(), rms_want(big, 1.0), rtol=2e-3, atol=2e-3)


def low_precision_norms(module):
    """An RMSNorm (yours or the library's) with a random weight, and its outputs for a bfloat16 and
    a float16 input of ordinary size, each module and input in that dtype."""
    with torch.no_grad():
        module.weight.copy_(randn(64, seed=13))
    x = randn(4, 64, seed=14) * 2
    return {str(dtype): module.to(dtype)(x.to(dtype)) for dtype in (torch.bfloat16, torch.float16)}


def probe_rmsnorm_low_precision(ex):
    return low_precision_norms(ex.RMSNorm(64))


@check("2.1", probe_rmsnorm_low_precision)
def test_rmsnorm_low_precision_values(got):
    """for a bfloat16 (and a float16) module and input, the values are the library's: computed in
    float32 and rounded once to the input's dtype by .type_as(x), then times the weight (at most 2%
    of the entries may differ, by a step or two of that precision); normalising in bfloat16 itself
    rounds many entries differently"""
    want = low_precision_norms(lib.RMSNorm(64))
    for dtype, out in want.items():
        expect_rounded_once(got[dtype], out, "RMSNorm", f"the output for a {dtype} x")


def probe_rmsnorm_input(ex):
    x, xb = randn(3, 5, 8, seed=15), randn(3, 5, 8, seed=16).bfloat16()
    norm = ex.RMSNorm(8)
    norm(x)
    norm.to(torch.bfloat16)(xb)
    return {"x": x, "bf16 x": xb}


@check("2.1", probe_rmsnorm_input)
def test_rmsnorm_leaves_its_input_alone(got):
    """the caller's x is left as it was, float32 and bfloat16 (for a float32 x, x.float() is x
    itself: an in-place `xf *= ...` would overwrite it)"""
    expect_unchanged(got, {"x": randn(3, 5, 8, seed=15), "bf16 x": randn(3, 5, 8, seed=16).bfloat16()},
                     "RMSNorm")


# ---- 2.2 rope_cache -----------------------------------------------------------------------------

def probe_rope_cache(ex):
    return {"default": ex.rope_cache(10, 8, theta=10000.0), "theta100": ex.rope_cache(6, 4, theta=100.0)}


@check("2.2", probe_rope_cache)
def test_rope_cache_values(got):
    """returns the tuple (cos, sin), each (positions, head_dim / 2) in float32; pair j at position p
    turns by the angle p * theta^(-2j / D); theta is honoured (theta = 100 as well as 10000)"""
    cos, sin = expect_tuple(got["default"], 2, "rope_cache")
    expect_tensor(cos, "rope_cache", "cos", dtype=torch.float32, shape=(10, 4))
    expect_tensor(sin, "rope_cache", "sin", dtype=torch.float32, shape=(10, 4))
    assert torch.allclose(cos[0], torch.ones(4)) and torch.allclose(sin[0], torch.zeros(4))
    assert math.isclose(float(sin[3, 1]), math.sin(3 * 10000 ** (-2 / 8)), rel_tol=1e-5)
    want_cos, want_sin = lib.rope_cache(10, 8)
    assert torch.allclose(cos, want_cos, atol=1e-6) and torch.allclose(sin, want_sin, atol=1e-6)
    cos, sin = (expect_tensor(t, "rope_cache", dtype=torch.float32, shape=(6, 2))
                for t in expect_tuple(got["theta100"], 2, "rope_cache"))
    angles = torch.arange(6.0)[:, None] * 100.0 ** (-torch.arange(0, 4, 2) / 4)
    assert torch.allclose(cos, angles.cos(), atol=1e-6) and torch.allclose(sin, angles.sin(), atol=1e-6)


def probe_rope_ladder(ex):
    return {"d16": ex.rope_cache(64, 16), "d2": ex.rope_cache(5, 2)}


@check("2.2", probe_rope_ladder)
def test_rope_cache_frequency_ladder(got):
    """cos[p, j] = cos(p * theta^(-2j / D)) and sin likewise for every position p < max_seq_len and
    pair j < D / 2 (64 positions, D = 16: pair 0 turns 1 radian per position, each later pair
    slower); with D = 2 the one pair turns by exactly p"""
    cos, sin = (expect_tensor(t, "rope_cache", dtype=torch.float32, shape=(64, 8))
                for t in expect_tuple(got["d16"], 2, "rope_cache"))
    angles = torch.arange(64.0)[:, None] * 10000.0 ** (-torch.arange(0, 16, 2) / 16)
    assert torch.allclose(cos, angles.cos(), atol=1e-5) and torch.allclose(sin, angles.sin(), atol=1e-5)
    cos, sin = (expect_tensor(t, "rope_cache", dtype=torch.float32, shape=(5, 1))
                for t in expect_tuple(got["d2"], 2, "rope_cache"))
    assert torch.allclose(cos[:, 0], torch.arange(5.0).cos(), atol=1e-6)
    assert torch.allclose(sin[:, 0], torch.arange(5.0).sin(), atol=1e-6)


# ---- 2.3 apply_rope -----------------------------------------------------------------------------

def probe_rope_rotation(ex):
    cos, sin = lib.rope_cache(12, 8)
    x = randn(2, 3, 12, 8, seed=5)
    return {"y": ex.apply_rope(x, cos, sin), "bf16": ex.apply_rope(x.bfloat16(), cos, sin),
            "after": {"x": x, "cos": cos, "sin": sin}}


@check("2.3", probe_rope_rotation)
def test_rope_is_a_rotation(got):
    """rotates the pairs (x[..., j], x[..., j + D/2]) (halves, not interleaved): lengths are kept,
    position 0 is unchanged, the result equals the library's; a bfloat16 x gives a bfloat16 result;
    the caller's x, cos and sin are left as they were"""
    cos, sin = lib.rope_cache(12, 8)
    x = randn(2, 3, 12, 8, seed=5)
    y = expect_tensor(got["y"], "apply_rope", dtype=x.dtype, shape=x.shape)
    expect_unchanged(got["after"], {"x": x, "cos": cos, "sin": sin}, "apply_rope")
    assert torch.allclose(y.norm(dim=-1), x.norm(dim=-1), atol=1e-5)    # rotations keep length
    assert torch.allclose(y[:, :, 0], x[:, :, 0], atol=1e-6)              # position 0: angle 0
    assert torch.allclose(y, lib.apply_rope(x, cos, sin), atol=1e-6)
    expect_tensor(got["bf16"], "apply_rope", "the result for a bfloat16 x", dtype=torch.bfloat16)


def rope_bf16_input():
    return randn(2, 3, 12, 8, seed=17).mul(3).bfloat16()


def probe_rope_bf16(ex):
    cos, sin = lib.rope_cache(12, 8)
    return ex.apply_rope(rope_bf16_input(), cos, sin)


@check("2.3", probe_rope_bf16)
def test_rope_bf16_values(got):
    """for a bfloat16 x the values are the library's: rotated in float32 (x.float(), with the
    float32 tables) and rounded once to bfloat16 by .type_as(x) (at most 2% of the entries may
    differ, by a bfloat16 step or two); casting cos and sin to bfloat16 and rotating in bfloat16
    rounds many entries differently"""
    cos, sin = lib.rope_cache(12, 8)
    expect_rounded_once(got, lib.apply_rope(rope_bf16_input(), cos, sin), "apply_rope")


def probe_rope_relative(ex):
    cos, sin = lib.rope_cache(16, 8)
    q, k = randn(8, seed=6), randn(8, seed=7)
    qs = ex.apply_rope(q.expand(1, 1, 16, 8), cos, sin)[0, 0]
    ks = ex.apply_rope(k.expand(1, 1, 16, 8), cos, sin)[0, 0]
    return qs @ ks.T                                                   # (16, 16) scores


@check("2.3", probe_rope_relative)
def test_rope_scores_depend_on_relative_position(got):
    """the score of query position m and key position n depends on m - n only"""
    expect_tensor(got, "apply_rope", "the scores of the rotated q and k (q_m . k_n)", shape=(16, 16))
    assert math.isclose(float(got[5, 2]), float(got[13, 10]), rel_tol=1e-4, abs_tol=1e-5)
    assert not math.isclose(float(got[5, 2]), float(got[5, 4]), rel_tol=1e-3)


# ---- 2.4 attention ------------------------------------------------------------------------------

def qkv(seed, *shape):
    return randn(3, *shape, seed=seed).unbind(0)


def probe_attention(ex, causal):
    q, k, v = qkv(8, 2, 4, 7, 8)
    return {"out": ex.attention(q, k, v, causal=causal), "after": {"q": q, "k": k, "v": v}}


@check("2.4", probe_attention, params=[False, True])
def test_attention_matches_torch(got, param):
    """softmax(q k^T / sqrt(D)) v over the last dim, with the causal triangle when causal=True:
    equals torch's scaled_dot_product_attention; the caller's q, k and v are left as they were"""
    q, k, v = qkv(8, 2, 4, 7, 8)
    want = F.scaled_dot_product_attention(q, k, v, is_causal=param)
    out = expect_tensor(got["out"], "attention", dtype=want.dtype, shape=want.shape)
    assert torch.allclose(out, want, atol=1e-5)
    expect_unchanged(got["after"], {"q": q, "k": k, "v": v}, "attention")


def probe_causal(ex):
    q, k, v = qkv(9, 1, 1, 5, 4)
    v2 = v.clone()
    v2[..., 4, :] += 10                                                # change the last value
    return {"out": ex.attention(q, k, v, causal=True), "out2": ex.attention(q, k, v2, causal=True),
            "full": ex.attention(q, k, v2, causal=False)}


@check("2.4", probe_causal)
def test_causal_attention_looks_left_only(got):
    """causal: position 0 sees only itself, and changing the last value changes no earlier output;
    causal=False attends to every position"""
    _, _, v = qkv(9, 1, 1, 5, 4)
    for case in ("out", "out2", "full"):
        expect_tensor(got[case], "attention", dtype=v.dtype, shape=v.shape)
    assert torch.allclose(got["out"][..., 0, :], v[..., 0, :], atol=1e-6)
    assert torch.allclose(got["out"][..., :4, :], got["out2"][..., :4, :], atol=1e-6)
    assert not torch.allclose(got["full"][..., 0, :], got["out"][..., 0, :], atol=1e-3)


# ---- 2.5 SwiGLU ---------------------------------------------------------------------------------

CFG = ModelConfig(vocab_size=10, mask_id=1, d_model=16, n_heads=2)


def reference_swiglu():
    torch.manual_seed(0)
    return lib.SwiGLU(CFG)


def probe_swiglu(ex):
    mine = ex.SwiGLU(CFG)
    mine.load_state_dict(reference_swiglu().state_dict())
    x = randn(2, 3, 16, seed=10)
    return {"out": mine(x), "after": {"x": x}}


@check("2.5", probe_swiglu)
def test_swiglu_matches_library(got):
    """down(silu(gate(x)) * up(x)) with the library's weights; the caller's x is left as it was"""
    ref, x = reference_swiglu(), randn(2, 3, 16, seed=10)
    with torch.no_grad():
        want = ref.down(F.silu(ref.gate(x)) * ref.up(x))
    out = expect_tensor(got["out"], "SwiGLU", dtype=want.dtype, shape=want.shape)
    assert torch.allclose(out, want, atol=1e-6)
    expect_unchanged(got["after"], {"x": x}, "SwiGLU")


def swiglu_gradients(module, x):
    module(x).pow(2).sum().backward()
    return {name: p.grad for name, p in module.named_parameters()}


def probe_swiglu_shapes_and_gradients(ex):
    mine = ex.SwiGLU(CFG)
    mine.load_state_dict(reference_swiglu().state_dict())
    return {"flat": mine(randn(5, 16, seed=11)), "deep": mine(randn(2, 3, 4, 16, seed=12)),
            "grads": swiglu_gradients(mine, randn(2, 3, 16, seed=10))}


@check("2.5", probe_swiglu_shapes_and_gradients)
def test_swiglu_shapes_and_gradients(got):
    """works on any leading shape ((5, D) and (2, 3, 4, D) inputs give the library's outputs), and
    the gradient reaches gate, up and down as in the library"""
    ref = reference_swiglu()
    expect_tensor(got["flat"], "SwiGLU", dtype=torch.float32, shape=(5, 16))
    expect_tensor(got["deep"], "SwiGLU", dtype=torch.float32, shape=(2, 3, 4, 16))
    with torch.no_grad():
        assert torch.allclose(got["flat"], ref(randn(5, 16, seed=11)), atol=1e-6)
        assert torch.allclose(got["deep"], ref(randn(2, 3, 4, 16, seed=12)), atol=1e-6)
    want = swiglu_gradients(ref, randn(2, 3, 16, seed=10))
    assert set(got["grads"]) == set(want)
    for name, grad in want.items():
        mine = got["grads"][name]
        assert mine is not None and torch.allclose(mine, grad, atol=1e-5), f"gradient of {name}"
