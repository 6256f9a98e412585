"""Block diffusion (minillada.fast.block_diffusion): what each position may see, the loss, and an
exact cache: the cached and the uncached block sampler give the same tokens."""

import subprocess
import sys

import pytest
import torch

import minillada.fast.block_diffusion as bd
from minillada import Transformer
from minillada.fast.block_diffusion import (block_diffusion_logits, block_diffusion_loss, generate_blocks,
                                            training_mask)
from minillada.train import TrainConfig, train, validation_loss
from minillada.data import TextDataset

from conftest import tiny_config

MASK = 1


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(tiny_config(init_std=0.2, max_seq_len=64)).eval()


def ids(B, T, seed=0):
    return torch.randint(4, 16, (B, T), generator=torch.Generator().manual_seed(seed))


# ---- what a position may see ---------------------------------------------------------------------

def changed(model, xt, x0, xt2, x0_2, L):
    """(T,) bool: which noisy positions' predictions change between the two inputs."""
    a = block_diffusion_logits(model, xt, x0, L)
    b = block_diffusion_logits(model, xt2, x0_2, L)
    return ((a - b).abs().amax(dim=-1) > 1e-5)[0]


@torch.no_grad()
def test_a_noisy_block_sees_its_own_block_and_the_clean_blocks_before_it(model):
    L, T = 4, 16
    x0 = ids(1, T)
    xt = x0.clone()
    xt[:, 1::2] = MASK
    # a clean token of block 1 (position 5): seen by blocks 2 and 3, not by blocks 0 and 1
    x0b = x0.clone()
    x0b[0, 5] = 15 if x0[0, 5] != 15 else 14
    hit = changed(model, xt, x0, xt, x0b, L)
    assert not hit[:8].any() and hit[8:].all()
    # a noisy token of block 1 (position 4, unmasked): seen by block 1 only
    xtb = xt.clone()
    xtb[0, 4] = 15 if xt[0, 4] != 15 else 14
    hit = changed(model, xt, x0, xtb, x0, L)
    assert hit[4:8].all() and not hit[:4].any() and not hit[8:].any()


def test_the_training_mask_against_its_definition():
    T, L = 12, 3
    m = training_mask(T, L)
    for q in range(2 * T):
        for k in range(2 * T):
            qb, kb = (q % T) // L, (k % T) // L
            q_clean, k_clean = q >= T, k >= T
            want = ((qb == kb and q_clean == k_clean) or (not q_clean and k_clean and kb < qb)
                    or (q_clean and k_clean and kb <= qb))
            assert bool(m[q, k]) == want, (q, k)


@torch.no_grad()
def test_one_block_of_the_whole_sequence_is_llada(model):
    x0 = ids(2, 16)
    xt = x0.clone()
    xt[:, ::3] = MASK
    assert torch.allclose(block_diffusion_logits(model, xt, x0, 16), model(xt), atol=1e-5)


@torch.no_grad()
def test_blocks_of_one_token_are_an_autoregressive_model(model):
    # with every token masked, position i can only learn x0[:i]: changing x0[j] moves positions > j
    x0 = ids(1, 10)
    xt = torch.full_like(x0, MASK)
    x0b = x0.clone()
    x0b[0, 6] = 15 if x0[0, 6] != 15 else 14
    hit = changed(model, xt, x0, xt, x0b, 1)
    assert not hit[:7].any() and hit[7:].all()


# ---- the loss ------------------------------------------------------------------------------------

def captured_masks(monkeypatch, model, x0, L, **kwargs):
    seen = {}
    real = bd.block_diffusion_logits

    def spy(model, xt, x0, block_size):
        seen["xt"] = xt.clone()
        return real(model, xt, x0, block_size)
    monkeypatch.setattr(bd, "block_diffusion_logits", spy)
    loss = block_diffusion_loss(model, x0, L, **kwargs)
    return loss, seen["xt"]


def test_each_block_has_its_own_noise_level(monkeypatch, model):
    # the spread of the mask rates of a row's 4 blocks: about 0.6 on average when each block draws
    # its own t (the range of 4 uniforms), about 0.2 (sampling noise alone) with one t per row
    x0 = ids(1, 64)
    spread = []
    for seed in range(20):
        _, xt = captured_masks(monkeypatch, model, x0, 16, generator=torch.Generator().manual_seed(seed))
        rates = xt.eq(MASK).reshape(4, 16).float().mean(dim=1)                    # per block
        spread.append(float(rates.max() - rates.min()))
    assert sum(spread) / len(spread) > 0.4, spread


def test_the_prompt_is_never_masked(monkeypatch, model):
    x0 = ids(3, 16)
    for seed in range(5):
        _, xt = captured_masks(monkeypatch, model, x0, 4, prompt_lengths=[3, 6, 13],
                               generator=torch.Generator().manual_seed(seed))
        for row, pl in enumerate([3, 6, 13]):
            assert not xt[row, :pl].eq(MASK).any()


def test_the_loss_matches_the_formula(monkeypatch, model):
    x0 = ids(2, 16)
    loss, xt = captured_masks(monkeypatch, model, x0, 8, eps=0.0, generator=torch.Generator().manual_seed(1))
    # redo it by hand: p_mask per block is t; the same generator gives the same t
    t = torch.rand(4, generator=torch.Generator().manual_seed(1)).reshape(2, 2)   # (B, blocks)
    p = t.repeat_interleave(8, dim=1)                                             # (B, T)
    with torch.no_grad():
        logits = block_diffusion_logits(model, xt, x0, 8)
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x0.reshape(-1),
                                               reduction="none").view(2, 16)
    want = (ce * xt.eq(MASK) / p).sum() / 32
    assert float(loss.detach()) == pytest.approx(float(want), rel=1e-5)


@pytest.mark.parametrize("call,words", [
    (lambda m: block_diffusion_loss(m, ids(2, 10), 4), "multiple of block_size=4"),
    (lambda m: block_diffusion_loss(m, ids(2, 8), 0), "block_size must be a positive int"),
    (lambda m: generate_blocks(m, ids(1, 4), 100, 4), "max_seq_len"),
    (lambda m: generate_blocks(m, ids(1, 4), 8, 4, steps_per_block=0), "steps_per_block"),
    (lambda m: generate_blocks(m, ids(1, 4), 8, 4, remasking="best"), "remasking"),
])
def test_bad_arguments_are_named(model, call, words):
    with pytest.raises(ValueError, match=words):
        call(model)


def test_a_causal_model_is_refused():
    causal = Transformer(tiny_config(causal=True))
    with pytest.raises(ValueError, match="causal=False"):
        block_diffusion_loss(causal, ids(2, 8), 4)
    with pytest.raises(ValueError, match="block-diffusion model"):
        generate_blocks(causal, ids(1, 4), 8, 4)


def test_train_config_checks_the_blocks():
    with pytest.raises(ValueError, match="multiple of block_size"):
        TrainConfig(objective="bd3", seq_len=30, block_size=8)
    with pytest.raises(ValueError, match="compile"):
        TrainConfig(objective="bd3", seq_len=32, block_size=8, compile=True)


# ---- the sampler and its exact cache ------------------------------------------------------------

@pytest.mark.parametrize("P", [0, 3, 8])
@pytest.mark.parametrize("temperature,remasking", [(0., "low_confidence"), (0.8, "low_confidence"),
                                                   (0.8, "random"), (0., "margin")])
def test_the_cached_sampler_gives_the_uncached_tokens(model, P, temperature, remasking):
    prompt = ids(3, P, seed=P)
    kw = dict(gen_length=21, block_size=4, temperature=temperature, remasking=remasking, return_calls=True)
    cached, calls_c = generate_blocks(model, prompt, kv_cache=True,
                                      generator=torch.Generator().manual_seed(0), **kw)
    plain, calls_p = generate_blocks(model, prompt, kv_cache=False,
                                     generator=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(cached, plain)
    assert calls_c == calls_p == 21                      # one token a step, no extra call for the cache
    assert torch.equal(cached[:, :P], prompt) and not cached.eq(MASK).any()


@torch.no_grad()
def test_each_step_predicts_what_training_predicts(model, monkeypatch):
    """The sampler's logits for the current block are the training forward's for a sequence whose
    earlier blocks are clean: the two halves of the module agree."""
    prompt = ids(1, 6)
    steps = []
    real = bd.decode_step

    def spy(logits, block, *args, **kwargs):
        steps.append((logits.clone(), block.clone()))
        return real(logits, block, *args, **kwargs)
    monkeypatch.setattr(bd, "decode_step", spy)
    out = generate_blocks(model, prompt, 10, 4)
    # the first step of block [8, 12): blocks before it final, the block itself as it was then
    logits, block = steps[2 + 0]                       # steps 0-1: block [4, 8) (2 masks), then [8, 12)
    x0 = out[:, :12].clone()
    xt = x0.clone()
    xt[:, 8:12] = block
    want = block_diffusion_logits(model, xt, x0, 4)[:, 8:12]
    assert torch.allclose(logits, want, atol=1e-4)


@pytest.mark.slow
def test_the_cached_sampler_is_faster_on_a_long_answer():
    """Not a timing test: counts the positions each call runs (cached: one block; uncached: the
    whole prefix)."""
    torch.manual_seed(0)
    m = Transformer(tiny_config(max_seq_len=128)).eval()
    seen = []
    hook = m.embed.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].shape[1]))
    generate_blocks(m, ids(1, 8), 64, 8, kv_cache=True)
    cached = sum(seen)
    seen.clear()
    generate_blocks(m, ids(1, 8), 64, 8, kv_cache=False)
    hook.remove()
    assert sum(seen) > 4 * cached


# ---- training -----------------------------------------------------------------------------------

def test_training_lowers_the_bound_and_the_checkpoint_samples(tmp_path):
    torch.manual_seed(0)
    text = ("the cat sat on the mat. " * 40).encode()
    data = TextDataset(torch.tensor(list(text)) % 60 + 4, seq_len=32)
    model = Transformer(tiny_config(vocab_size=64, max_seq_len=32, d_model=32, n_layers=1))
    config = TrainConfig(objective="bd3", block_size=8, seq_len=32, batch_size=8, max_steps=60, lr=3e-3,
                         eval_every=0, progress=False, device="cpu")
    before = validation_loss(model, data, config, MASK, torch.device("cpu"))
    history = train(model, data, config)
    after = validation_loss(model, data, config, MASK, torch.device("cpu"))
    assert len(history) == 60 and after < before - 0.5, (before, after)


def test_the_command_line_trains_and_samples_a_bd3_run(tmp_path):
    def run(*a):
        return subprocess.run([sys.executable, "-m", "minillada", *a], cwd=tmp_path,
                              capture_output=True, text=True)
    (tmp_path / "tiny.txt").write_text("ROMEO: the cat sat on the mat.\n" * 60)
    r = run("train", "--data", "tiny.txt", "--objective", "bd3", "--block-size", "8", "--max-steps",
            "4", "--batch-size", "4", "--eval-every", "0", "--out", "bd3", "--no-progress")
    assert r.returncode == 0, r.stderr
    r = run("sample", "--ckpt", "bd3", "--prompt", "ROMEO:", "--gen-length", "12")
    assert r.returncode == 0, r.stderr
    r = run("sample", "--ckpt", "bd3", "--prompt", "ROMEO:", "--block-length", "4")
    assert r.returncode == 2 and "block-diffusion model" in r.stderr
