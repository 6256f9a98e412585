"""Chapter 5, one level down: block diffusion (BD3-LM, Arriola et al. 2025), autoregressive across
blocks and masked diffusion inside each.

**What LLaDA's blocks are, and what these are.** LLaDA's semi-autoregressive decoding
(``generate(block_length=...)``) is a way to *sample*: the network was trained with full attention
over the whole sequence, and only the order of revealing goes block by block. Every step still runs
the whole sequence, the current block attends to the masks on its right, and the finished blocks'
keys and values change whenever anything right of them changes, so a cache of them is an
approximation (Fast-dLLM's prefix cache). Block diffusion changes the *model*. The sequence is cut
into blocks of ``block_size`` tokens, x = (x^1, ..., x^B), and the likelihood factorises over them
as an autoregressive model's does over tokens (BD3-LM Sec. 3):

    log p(x) = sum_b log p(x^b | x^{<b}),
    -log p(x^b | x^{<b}) <= E_t [ (1/t) sum_{i in block b, masked} -log p(x_i | x_t^b, x^{<b}) ]

The second line is LLaDA's bound (Eq. 3, chapter 4) for one block, conditioned on the clean blocks
before it; summed over blocks it bounds the whole NLL. Each block gets its own noise level t. Two
limits show what it interpolates: ``block_size = 1`` is an autoregressive model (a block's one token
is predicted from everything left of it; the expected loss is exactly the next-token NLL), and
``block_size = T`` is LLaDA.

**The attention that makes it so.** A token of block b may see the tokens of blocks < b, clean, and
those of its own block, noisy; never a later block. Training runs it in one forward pass over the
noisy and the clean sequence side by side, (x_t, x_0), 2T positions, each half with positions
0..T-1 for RoPE, and this mask (query rows, key columns; BD3-LM's "vectorized training"):

* a noisy token of block b sees the noisy tokens of block b (block diagonal, bidirectional inside) and
  the clean tokens of blocks < b (offset block-causal);
* a clean token of block b sees the clean tokens of blocks <= b (block-causal).

The clean half exists only to give the noisy blocks their context; its own predictions are unused.

**Why its cache is exact.** A clean block's keys and values depend only on blocks <= its own, so once
a block is finished they never change: sampling keeps them in a KV cache, runs each denoising step
on the current block alone, and is exactly what running the whole prefix every step would give (a
test checks that both give the same tokens). This is the cache LLaDA's blocks cannot have.

The network is the chapter-2 Transformer, unchanged: we call its layers with our own mask through
the same hook its KV cache uses (the ``state`` each attention layer hands its queries, keys and
values to). A block-diffusion run is ``TrainConfig(objective="bd3", block_size=...)``
(``python -m minillada train --objective bd3 --block-size 16``); ``sample`` recognises the
checkpoint and decodes with :func:`generate_blocks`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..infra import checks
from ..losses import diffusion_loss_from_logits
from ..masking import forward_process
from ..sampling import get_num_transfer_tokens
from .decoding import decode_step


class _MaskedAttention:
    """The ``state`` of one forward call with a given boolean mask (T, P + T) over P cached and T
    new positions: what :class:`~minillada.fast.kv_cache.AttentionState` does, with any mask."""

    def __init__(self, mask: torch.Tensor, past_kv=None):
        self.mask, self.past_kv, self.new_kv = mask, past_kv, []

    def attend(self, layer, q, k, v, dropout_p=0.0):
        if self.past_kv is not None:
            past_k, past_v = self.past_kv[layer]
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)    # (B, H, P+T, D)
        self.new_kv.append((k, v))
        return F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask, dropout_p=dropout_p)


def _forward(model, x, positions, mask, past_kv=None):
    """The Transformer's forward with our attention mask and positions: (logits (B, T, V), kv)."""
    cos, sin = model.rope_cos[positions], model.rope_sin[positions]               # (T, D/2)
    state = _MaskedAttention(mask, past_kv)
    h = model.drop(model.embed(x))                                                 # (B, T, C)
    for layer, block in enumerate(model.blocks):
        h = block(h, cos, sin, state, layer)
    return model.head(model.norm(h)).float(), state.new_kv


def block_causal_mask(query_pos: torch.Tensor, key_pos: torch.Tensor, block_size: int) -> torch.Tensor:
    """(Q, K) bool: query at position p sees key at position j when j's block is not after p's.

    >>> block_causal_mask(torch.arange(4), torch.arange(4), 2).int().tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]]
    """
    return key_pos[None, :] // block_size <= query_pos[:, None] // block_size


def training_mask(T: int, block_size: int, device=None) -> torch.Tensor:
    """The (2T, 2T) bool mask over (x_t, x_0) of the module docstring: rows are queries.

    >>> for row in training_mask(4, 2).int().tolist():   # rows: noisy 0..3, then clean 0..3
    ...     print(row)
    [1, 1, 0, 0, 0, 0, 0, 0]
    [1, 1, 0, 0, 0, 0, 0, 0]
    [0, 0, 1, 1, 1, 1, 0, 0]
    [0, 0, 1, 1, 1, 1, 0, 0]
    [0, 0, 0, 0, 1, 1, 0, 0]
    [0, 0, 0, 0, 1, 1, 0, 0]
    [0, 0, 0, 0, 1, 1, 1, 1]
    [0, 0, 0, 0, 1, 1, 1, 1]
    """
    block = torch.arange(T, device=device) // block_size                           # (T,)
    same = block[:, None] == block[None, :]                                        # (T, T)
    earlier = block[None, :] < block[:, None]
    noisy = torch.cat([same, earlier], dim=1)                      # noisy queries: (T, 2T)
    clean = torch.cat([torch.zeros_like(same), same | earlier], dim=1)   # clean queries: (T, 2T)
    return torch.cat([noisy, clean], dim=0)                                        # (2T, 2T)


def block_diffusion_logits(model, xt: torch.Tensor, x0: torch.Tensor, block_size: int) -> torch.Tensor:
    """The predictions (B, T, V) for the noisy blocks xt (B, T), each seeing its own noisy block and
    the clean blocks of x0 before it: one forward over (xt, x0), 2T positions."""
    T = xt.shape[1]
    positions = torch.arange(T, device=xt.device).repeat(2)                       # (2T,)
    logits, _ = _forward(model, torch.cat([xt, x0], dim=1), positions,
                         training_mask(T, block_size, xt.device))                 # (B, 2T, V)
    return logits[:, :T]                                            # the noisy half's predictions


def block_diffusion_loss(model, x0: torch.Tensor, block_size: int, prompt_lengths=None,
                         eps: float = 1e-3, generator=None, mask_id: int | None = None) -> torch.Tensor:
    """The block-diffusion bound of the module docstring, estimated once per block: each block is
    masked at its own rate t by chapter 3's forward process, and the 1/t-weighted cross-entropy of
    the masked tokens is summed and divided by B * T (by the answer lengths with ``prompt_lengths``,
    as :func:`~minillada.losses.diffusion_loss` does; the prompt is never masked).

    >>> from minillada.model import ModelConfig, Transformer
    >>> model = Transformer(ModelConfig(vocab_size=10, mask_id=1, d_model=16, n_layers=1, n_heads=2))
    >>> block_diffusion_loss(model, torch.randint(4, 10, (2, 8)), block_size=4).shape
    torch.Size([])
    """
    mask_id = checks.block_diffusion_args(model, x0, block_size, prompt_lengths, mask_id)
    B, T = x0.shape
    n = T // block_size
    # one row per block: (B * n, block_size), so forward_process draws one t per block
    blocks = x0.reshape(B * n, block_size)
    block_prompt = None
    if prompt_lengths is not None:           # how much of each block is prompt: (B * n,)
        starts = torch.arange(n, device=x0.device) * block_size                   # (n,)
        pl = torch.as_tensor(prompt_lengths, device=x0.device)[:, None]           # (B, 1)
        block_prompt = (pl - starts[None, :]).clamp(0, block_size).reshape(B * n)
    xt, masked, p_mask = forward_process(blocks, mask_id, eps=eps, prompt_lengths=block_prompt,
                                         generator=generator)
    xt, masked, p_mask = (a.reshape(B, T) for a in (xt, masked, p_mask))         # back to (B, T)
    logits = block_diffusion_logits(model, xt, x0, block_size)                    # (B, T, V)
    return diffusion_loss_from_logits(logits, x0, masked, p_mask, prompt_lengths)


@torch.no_grad()
def generate_blocks(model, prompt, gen_length: int, block_size: int, steps_per_block: int | None = None,
                    temperature: float = 0., remasking: str = "low_confidence", kv_cache: bool = True,
                    mask_id: int | None = None, generator=None, top_k=None, top_p=None,
                    return_calls: bool = False):
    """Sample ``gen_length`` tokens after ``prompt`` (B, P) from a block-diffusion model.

    Blocks sit at multiples of ``block_size`` from position 0, as in training, so the first block
    may hold the prompt's last tokens and some masks. Block by block, left to right: reveal the
    block's masks in ``steps_per_block`` steps (default: one token a step) with chapter 5's step
    (:func:`~minillada.fast.decoding.decode_step`: its confidences, top-k, top-p), then move on.
    ``kv_cache`` (exact here, see the module docstring): keep the finished blocks' keys and values
    and run each step on the current block alone; without it every step runs the whole prefix.
    Returns (B, P + gen_length) ids, and the number of model calls with ``return_calls``.
    """
    prompt, mask_id = checks.generate_blocks_args(**locals())
    B, P = prompt.shape
    total = P + gen_length
    x = torch.full((B, total), mask_id, dtype=torch.long, device=prompt.device)
    x[:, :P] = prompt
    positions = torch.arange(total, device=x.device)
    kv, cached, calls = None, 0, 0           # the cache holds the keys and values of x[:, :cached]
    for lo in range(P // block_size * block_size, total, block_size):
        hi = min(lo + block_size, total)
        todo = x[:, lo:hi].eq(mask_id)                                             # (B, hi-lo)
        steps = min(steps_per_block or block_size, int(todo.sum(dim=1).max()))
        num_transfer = get_num_transfer_tokens(todo, steps)                        # (B, steps)
        prefix_mask = None if kv_cache else block_causal_mask(positions[:hi], positions[:hi],
                                                              block_size)             # (hi, hi)
        for i in range(steps):
            if not kv_cache:   # the whole prefix, block-causal: what the cache must reproduce
                logits = _forward(model, x[:, :hi], positions[:hi], prefix_mask)[0][:, lo:]  # (B, hi-lo, V)
            elif cached < lo:  # a block's first step also brings the finished blocks into the cache
                span = positions[cached:hi]
                logits, kv = _forward(model, x[:, cached:hi], span,
                                      block_causal_mask(span, positions[:hi], block_size), past_kv=kv)
                kv = [(k[:, :, :lo], v[:, :, :lo]) for k, v in kv]                 # (B, H, lo, D)
                logits, cached = logits[:, lo - cached:], lo                       # (B, hi-lo, V)
            else:              # the block alone: every cached key is in an earlier block
                logits, _ = _forward(model, x[:, lo:hi], positions[lo:hi], None, past_kv=kv)
            calls += 1
            block = x[:, lo:hi]
            x[:, lo:hi], _, _ = decode_step(logits, block, block.eq(mask_id), num_transfer[:, i],
                                            mask_id, temperature=temperature, remasking=remasking,
                                            generator=generator, top_k=top_k, top_p=top_p)
    return (x, calls) if return_calls else x
