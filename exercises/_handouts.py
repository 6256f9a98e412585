"""The handout of every exercise step: what and why, the signature, a worked example, the errors
to raise, the helpers, the steps it depends on, and common pitfalls (issue 14, deliverable 6).

``HANDOUTS["4.3"]["why"]`` and so on: Markdown strings that ``_make_students.guide_source`` renders
into each chapter's ``GUIDE.md``. Every ``"example"`` is a doctest that calls the library (the
reference solution), followed by a blank line and a sentence or two on the numbers;
``tests/test_handouts.py`` runs them, so the numbers are what the library prints.
"""

from __future__ import annotations

import textwrap

SECTIONS = ("why", "signature", "example", "errors", "helpers", "depends", "pitfalls")

# The sentence every dependent step carries: how the grader keeps a bug in one step from costing
# another.
_GRADER = ("The grader runs this step's checks with the library's version of {deps}, so a bug there "
           "costs only the step it is in, not this one.")

_RAW = {
    # ---- Chapter 1: byte-level BPE -------------------------------------------------------------
    "1.1": dict(
        why=r"""
        BPE training needs, again and again, the number of times each adjacent pair of ids occurs
        in the corpus. The corpus is stored as distinct chunks with their frequencies, so a pair
        inside a chunk that occurs $f$ times counts $f$ times:
        $$\mathrm{count}(a, b) = \sum_{c} f_c \cdot \#\{i : c_i = a,\ c_{i+1} = b\}.$$
        Pairs overlap (`(4, 4, 4)` holds `(4, 4)` twice) and never cross from one chunk into the
        next, which is what keeps merges inside words.
        """,
        signature=r"""
        `get_pair_counts(chunks: dict[tuple[int, ...], int]) -> Counter`

        - `chunks`: each distinct chunk (a tuple of token ids) mapped to how often it occurs (an int).
          Read it, do not change it: the caller's dict must come back as it went in.
        - returns a `collections.Counter` (not a plain dict, though the two compare equal: the
          checks look at the type) from pairs `(a, b)` (tuples of two ints) to int counts. A chunk
          of fewer than two ids adds nothing. Plain Python: no tensors, no randomness.
        """,
        example=r"""
        >>> from minillada.bpe import get_pair_counts
        >>> get_pair_counts({(1, 2, 3): 2, (1, 2): 1, (4, 4, 4): 1, (7,): 5})
        Counter({(1, 2): 3, (2, 3): 2, (4, 4): 2})

        `(1, 2)` occurs once in a chunk seen twice and once in a chunk seen once: 2 + 1 = 3.
        `(4, 4)` occurs twice inside `(4, 4, 4)` (the pairs overlap); `(7,)` has no pair at all.
        """,
        errors="None.",
        helpers=r"""
        No library helper. `Counter` (imported): `c = Counter(); c[(1, 2)] += 3` adds to a count
        that starts at 0.
        """,
        depends="None: this is the first step.",
        pitfalls=r"""
        - Adding 1 per chunk instead of the chunk's frequency `f`.
        - Counting each pair once per chunk (a `set` of pairs) or only non-overlapping pairs
          (`zip(ids[::2], ids[1::2])`): every adjacent pair counts, `zip(ids, ids[1:])`.
        """,
    ),
    "1.2": dict(
        why=r"""
        Once a pair is chosen, every chunk is rewritten with each occurrence of the pair replaced by
        the new id. Walk left to right with an index $i$: when $(x_i, x_{i+1})$ is the pair, emit
        `new_id` and jump to $i + 2$; otherwise emit $x_i$ and move to $i + 1$. Left to right
        matters when the pair overlaps itself: `(7, 7, 7)` with the pair `(7, 7)` becomes
        `(99, 7)`, not `(7, 99)`. Encoding replays merges with this same function, so training and
        encoding agree.
        """,
        signature=r"""
        `merge(ids, pair: tuple[int, int], new_id: int) -> tuple[int, ...]`

        - `ids`: a sequence of ints (a tuple or a list, possibly empty); it is not modified (a
          list comes back to the caller as it went in).
        - `pair`: the two ids to replace; `new_id`: the id that replaces them.
        - returns a new **tuple**, for a list too (it is used as a dict key in step 1.3, so it must
          be hashable; the checks look at the type, not only the items).
        """,
        example=r"""
        >>> from minillada.bpe import merge
        >>> merge((5, 6, 5, 6, 6), (5, 6), 99)
        (99, 99, 6)
        >>> merge((7, 7, 7), (7, 7), 99)
        (99, 7)
        >>> merge((), (3, 4), 99), merge([1, 2], (3, 4), 99)
        ((), (1, 2))

        Both `(5, 6)` are replaced and the last 6 has no partner. In `(7, 7, 7)` the first two 7s
        merge, and the third is left alone. A list comes back as a tuple.
        """,
        errors="None.",
        helpers="None.",
        depends="None.",
        pitfalls=r"""
        - Moving on by one after a match (`i += 1`): the partner is merged a second time.
        - Looping while `i < len(ids) - 1` and so dropping an unmatched last token, or checking
          `i + 2 < len(ids)` so that a pair at the very end is never merged.
        """,
    ),
    "1.3": dict(
        why=r"""
        The BPE training loop. Repeat `num_merges` times: count the pairs (step 1.1); take the most
        frequent, with ties going to the smallest pair in tuple order,
        $$ (a, b)^\star = \arg\min_{(a, b)} \big(-\mathrm{count}(a, b),\ (a, b)\big); $$
        stop early if there is no pair left or if the best one occurs fewer than 2 times; record it;
        give it the id `first_id + k` (k = 0, 1, ... in the order learned); merge it in every chunk
        (step 1.2), keeping each chunk's frequency. Later merges can use the ids of earlier ones,
        which is how whole words become one token. The fixed tie rule makes training deterministic.
        """,
        signature=r"""
        `learn_merges(chunks: dict[tuple[int, ...], int], num_merges: int,
        first_id: int = FIRST_MERGE_ID, verbose: bool = False) -> list[tuple[int, int]]`

        - `chunks`: distinct chunk -> frequency, as in step 1.1. Do not modify the caller's dict
          (work on a copy).
        - `num_merges`: the most merges to learn; `first_id`: the id of the first merge (default
          `FIRST_MERGE_ID` = 260).
        - `verbose`: print one line per merge (not checked).
        - returns a list of the merged pairs, each a tuple `(a, b)` of two ints, in the order
          learned, at most `num_merges` of them; the k-th (0-based) got id `first_id + k`.
        """,
        example=r"""
        >>> from minillada.bpe import learn_merges
        >>> learn_merges({(1, 2, 3): 2, (1, 2): 1}, 2, first_id=10)
        [(1, 2), (10, 3)]
        >>> learn_merges({(2, 1): 2, (1, 2): 2}, 5, first_id=10)
        [(1, 2), (2, 1)]
        >>> learn_merges({(1, 2, 3): 1}, 5, first_id=10)
        []

        First call: `(1, 2)` occurs 3 times and becomes 10; the chunks are now `{(10, 3): 2,
        (10,): 1}`, so `(10, 3)` (twice) becomes 11. Second: a tie at 2 goes to the smaller
        `(1, 2)`, then `(2, 1)`; after that no chunk has a pair left and the loop stops after 2 of
        5 merges. Third: every pair occurs once, so nothing is learned.
        """,
        errors="None.",
        helpers=r"""
        - `FIRST_MERGE_ID` (imported, 260 = 4 special ids + 256 bytes): the default `first_id`.
        - `get_pair_counts` (step 1.1) and `merge` (step 1.2): your own functions in this file.
        """,
        depends="Steps 1.1 `get_pair_counts` and 1.2 `merge`. " + _GRADER.format(
            deps="`get_pair_counts` and `merge`"),
        pitfalls=r"""
        - Breaking ties by the pair seen first (`max(counts, key=counts.get)`) instead of the
          smallest pair.
        - Stopping at `freq <= 2` instead of `freq < 2`, or calling `min`/`max` on an empty
          `Counter` once every chunk is a single token.
        """,
    ),
    # ---- Chapter 2: the Transformer ------------------------------------------------------------
    "2.1": dict(
        why=r"""
        RMSNorm rescales each vector to unit root mean square, then multiplies by a learned weight
        per channel:
        $$\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\tfrac{1}{C}\sum_{c=1}^{C} x_c^2 + \epsilon}} \odot w .$$
        Unlike LayerNorm there is no mean subtraction and no bias: it is cheaper and works as well,
        which is why LLaMA and LLaDA use it before every attention and MLP. $\epsilon$ sits inside
        the square root, so an all-zero vector gives 0, not NaN. The mean of squares is computed in
        float32 even for bf16 or float16 input: bf16 loses precision there, and in float16 the
        square of an entry above 256 overflows to inf.
        """,
        signature=r"""
        `RMSNorm(dim: int, eps: float = 1e-5)`, given: `self.eps` and
        `self.weight = nn.Parameter(torch.ones(dim))`.

        You write `forward(x)`:
        - `x`: a float tensor (..., dim) of any float dtype; normalise over the last dim only.
        - returns the same shape: compute in float32 (`x.float()`), convert back with
          `.type_as(x)`, then multiply by `self.weight`. The result has x's dtype when the weight
          has it too (a bf16 module on bf16 input stays bf16).
        - the values of a bf16 (and a float16) module on an input of that dtype are checked, not
          only the dtype: they must be the library's, the float32 result rounded once by
          `.type_as(x)` and then multiplied by the weight. Another float32 formula (`/ sqrt`
          instead of `* rsqrt`) may land a bf16 step off in a few entries, and at most 2% of the
          entries may differ (by a step or two); scaling x in bf16 (`x * scale.type_as(x)`)
          rounds twice and moves about a quarter of them.
        - `x` is left as it was. For a float32 x, `x.float()` is x itself, not a copy: write
          `xf = xf * ...`, never `xf *= ...`, which would overwrite the caller's tensor.
        - the check "a float16 input must not overflow" converts the module too
          (`norm.to(torch.float16)` on a float16 x of size ~300): the squares are taken in float32,
          where $300^2$ is harmless, and only the normalised values (of size ~1) are rounded back
          to float16 by `.type_as(x)`; times the float16 weight the result is float16.
        - a float32 module on a float16 input (no check asks for it): the library computes in
          float32 as always, `.type_as(x)` rounds to float16, and float16 times the float32 weight
          promotes to a **float32** result. Follow the recipe and you get the same.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.model import RMSNorm
        >>> norm = RMSNorm(4, eps=0.0)
        >>> x = torch.tensor([[3.0, -3.0, 3.0, -3.0], [1.0, 2.0, 2.0, 4.0]])
        >>> [[round(v, 4) for v in row] for row in norm(x).tolist()]
        [[1.0, -1.0, 1.0, -1.0], [0.4, 0.8, 0.8, 1.6]]
        >>> torch.allclose(norm(100 * x), norm(x))
        True
        >>> RMSNorm(4).to(torch.bfloat16)(x.bfloat16()).dtype
        torch.bfloat16

        Row 1: the mean of squares is 9, the RMS 3. Row 2: (1 + 4 + 4 + 16) / 4 = 6.25, the RMS
        2.5, so each entry is divided by 2.5. Scaling the input changes nothing.
        """,
        errors="None.",
        helpers=r"""
        No library helper; torch is enough: `torch.rsqrt(t)` is `1 / sqrt(t)`,
        `x.pow(2).mean(dim=-1, keepdim=True)` the mean of squares as a (..., 1) column.
        """,
        depends="None.",
        pitfalls=r"""
        - $\epsilon$ outside the root (`rsqrt(mean) + eps`), or the sum of squares instead of their
          mean, or the mean over the wrong dim.
        - Squaring in the input's dtype (bf16 imprecise, float16 overflows), or returning float32
          for a bf16 module and input (the tests check the dtype).
        """,
    ),
    "2.2": dict(
        why=r"""
        Rotary embeddings (RoPE) rotate channel pair $j$ of each head by an angle that grows with
        the position $p$:
        $$\phi_{p, j} = p\, \theta^{-2j/D}, \qquad p = 0, \dots, T-1,\quad j = 0, \dots, D/2 - 1 .$$
        This step tabulates $\cos\phi$ and $\sin\phi$ once, so the model only looks them up.
        Pair 0 turns by one radian per position (local order); the last pairs turn very slowly
        (long-range position).
        """,
        signature=r"""
        `rope_cache(max_seq_len: int, head_dim: int, theta: float = 10000.0) -> (cos, sin)`

        - `head_dim` = D, even.
        - returns the tuple `(cos, sin)` of two float32 tensors of shape (max_seq_len,
          head_dim // 2): entry `[p, j]` is $\cos$ (resp. $\sin$) of $p\,\theta^{-2j/D}$. Order:
          `cos` first. Not one stacked (2, T, D/2) tensor: it would unpack the same way, but it is
          not the pair the contract names, and the checks look at the type.
        - precision: the library computes the frequencies and the angles in float32
          (`torch.arange(..., dtype=torch.float32)`; `theta ** tensor` stays float32). Computing
          them in float64 and converting the tables with `.float()` passes the checks as well
          (they allow 1e-6 against the library over 10 positions, 1e-5 over 64); returning float64
          tables does not (the dtype is checked).
        """,
        example=r"""
        >>> from minillada.model import rope_cache
        >>> cos, sin = rope_cache(3, 4, theta=100.0)
        >>> cos.shape, cos.dtype
        (torch.Size([3, 2]), torch.float32)
        >>> [[round(v, 4) for v in row] for row in sin.tolist()]
        [[0.0, 0.0], [0.8415, 0.0998], [0.9093, 0.1987]]

        With D = 4 and theta = 100 the frequencies are $100^{0} = 1$ and $100^{-2/4} = 0.1$, so
        position $p$ has angles $(p, 0.1p)$: sin 1 = 0.8415, sin 0.1 = 0.0998, sin 2 = 0.9093.
        """,
        errors="None.",
        helpers=r"""
        None. `torch.arange(0, D, 2)` is already $2j$; `torch.outer(positions, inv_freq)` gives
        the (T, D/2) angles.
        """,
        depends="None.",
        pitfalls=r"""
        - Exponent $j/D$ instead of $2j/D$ (dividing `arange(0, D, 2)` by 2 again), or a positive
          exponent, so frequencies grow with $j$.
        - Positions from 1 instead of 0, or the outer product the wrong way round ((D/2, T) tables).
        """,
    ),
    "2.3": dict(
        why=r"""
        Rotate each pair $(x_j, x_{j + D/2})$ (the first half against the second half, not
        neighbouring channels) by its angle from step 2.2:
        $$x'_j = x_j \cos\phi - x_{j+D/2} \sin\phi, \qquad x'_{j+D/2} = x_j \sin\phi + x_{j+D/2}\cos\phi .$$
        Rotations compose, so the score of a query rotated to position $m$ and a key rotated to
        position $n$ is $\langle R_m q, R_n k\rangle = \langle q, R_{n-m} k\rangle$: it depends
        only on the offset $n - m$, which is how attention learns relative order. A rotation keeps
        each vector's length, and position 0 (angle 0) is left unchanged.
        """,
        signature=r"""
        `apply_rope(x, cos, sin)`

        - `x`: float (..., T, D), for example (B, H, T, D), any float dtype; D even.
        - `cos`, `sin`: float32 (T, D/2) from `rope_cache` (its first T rows); they broadcast over
          the leading dims.
        - the caller slices a longer table, not `apply_rope`: the model passes
          `rope_cos[start:start + T]`, and the checks pass tables of exactly T rows (`rope_cache(12,
          8)` for T = 12). Given a longer table the library's `apply_rope` fails with a
          broadcasting RuntimeError; slicing inside as well would do no harm, but is not needed.
        - returns the rotated x: same shape and dtype as x (compute in float32, then `.type_as(x)`).
          For a bf16 x the values are checked too: the float32 rotation with the float32 tables,
          rounded once to bf16 (at most 2% of the entries may differ, by a bf16 step or two).
          Casting `cos` and `sin` to x's dtype and rotating in bf16 does not pass.
        - `x`, `cos` and `sin` are left as they were: build the result in new tensors
          (`torch.cat`), do not write into `x.float()`, which for a float32 x is x itself.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.model import apply_rope, rope_cache
        >>> cos, sin = rope_cache(2, 4, theta=100.0)
        >>> x = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]])
        >>> [[round(v, 4) for v in row] for row in apply_rope(x, cos, sin).tolist()]
        [[1.0, 0.0, 0.0, 1.0], [0.5403, -0.0998, 0.8415, 0.995]]

        The pairs are channels (0, 2) and (1, 3). Position 0 is unchanged. At position 1, pair 0,
        (1, 0), turns by 1 radian to (cos 1, sin 1) = (0.5403, 0.8415), and pair 1, (0, 1), turns by
        0.1 to (-sin 0.1, cos 0.1) = (-0.0998, 0.995).
        """,
        errors="None.",
        helpers=r"""
        None. `x1, x2 = x.float().chunk(2, dim=-1)` splits the halves; `torch.cat([...], dim=-1)`
        puts them back.
        """,
        depends=r"""
        No earlier step is called: the cos and sin tables come in as arguments (the tests build them
        with the library's `rope_cache`, so a bug in your step 2.2 does not cost this step).
        """,
        pitfalls=r"""
        - Pairing neighbouring channels $(2j, 2j+1)$ (the interleaved convention) instead of the
          halves $(j, j + D/2)$.
        - A sign error (`x1 * cos + x2 * sin` rotates by $-\phi$ or is no rotation), or cos and sin
          swapped.
        """,
    ),
    "2.4": dict(
        why=r"""
        Scaled dot-product attention, per head:
        $$\mathrm{Attn}(Q, K, V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{D}} + M\Big)\, V ,$$
        with the softmax over the keys (the last dim). For LLaDA's mask predictor $M = 0$: every
        position sees every other, so a masked token is predicted from both sides. With
        `causal=True` (a GPT) $M_{ij} = -\infty$ for $j > i$, the strict upper triangle; the
        diagonal stays visible. Dividing by $\sqrt{D}$ keeps the scores' spread near 1, so the
        softmax does not saturate. This flag is the only difference between the two networks.
        """,
        signature=r"""
        `attention(q, k, v, causal: bool = False)`

        - `q`, `k`, `v`: float (B, H, T, D).
        - the scores `q @ k.transpose(-2, -1) / sqrt(D)` are (B, H, T, T): row i is query i,
          column j key j.
        - returns float (B, H, T, D), the same as `F.scaled_dot_product_attention(q, k, v,
          is_causal=causal)`.
        - `q`, `k` and `v` are left as they were: scale the scores (`/ math.sqrt(D)`), not `q` in
          place (`q /= ...` changes the caller's tensor).
        """,
        example=r"""
        >>> import torch
        >>> from minillada.model import attention
        >>> q = torch.zeros(1, 1, 3, 2)
        >>> v = torch.tensor([[[[3.0, 0.0], [0.0, 3.0], [6.0, 6.0]]]])
        >>> [[round(a, 4) for a in row] for row in attention(q, q, v)[0, 0].tolist()]
        [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0]]
        >>> [[round(a, 4) for a in row] for row in attention(q, q, v, causal=True)[0, 0].tolist()]
        [[3.0, 0.0], [1.5, 1.5], [3.0, 3.0]]

        All scores are 0, so each query averages the values it may see. Without the causal mask
        every position sees all three rows: (3 + 0 + 6) / 3 = 3. With it, position 0 sees only
        itself, position 1 averages rows 0 and 1 to (1.5, 1.5), and position 2 sees all three.
        """,
        errors="None.",
        helpers=r"""
        No library helper. `math.sqrt` (imported); `torch.ones(T, T, dtype=torch.bool).triu(1)` is
        True strictly above the diagonal; `scores.masked_fill(mask, float("-inf"))` returns a new
        tensor.
        """,
        depends="None.",
        pitfalls=r"""
        - The wrong triangle: `triu()` (diagonal included: a position cannot see itself) or `tril`
          (hides the past); or filling with 0 instead of $-\infty$, or not keeping the result of
          `masked_fill`.
        - Softmax over dim -2 (the queries) instead of -1, or scaling by $1/D$ or $1/\sqrt{T}$.
        """,
    ),
    "2.5": dict(
        why=r"""
        The MLP of each block is a gated linear unit with the SiLU (swish) gate:
        $$\mathrm{MLP}(x) = W_{\text{down}}\big(\mathrm{silu}(W_{\text{gate}} x) \odot W_{\text{up}} x\big),
        \qquad \mathrm{silu}(z) = z\,\sigma(z).$$
        The gate decides, per hidden unit, how much of the up projection passes. The hidden width
        `mlp_hidden` is about $\tfrac{8}{3}$ `d_model` (rounded up to a multiple of 32), which keeps
        the parameter count of a plain MLP with a 4x width. There are no biases.
        """,
        signature=r"""
        `SwiGLU(config: ModelConfig)`, given: `self.gate`, `self.up` = `nn.Linear(config.d_model,
        config.mlp_hidden, bias=False)` and `self.down` = `nn.Linear(config.mlp_hidden, config.d_model,
        bias=False)`.

        You write `forward(x)`: `x` float (..., d_model) -> float (..., d_model), same dtype; `x`
        is left as it was.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.model import ModelConfig, SwiGLU
        >>> mlp = SwiGLU(ModelConfig(vocab_size=10, mask_id=1, d_model=2, n_heads=1, mlp_hidden=2))
        >>> with torch.no_grad():
        ...     for layer in (mlp.gate, mlp.up, mlp.down):
        ...         _ = layer.weight.copy_(torch.eye(2))
        >>> [round(v, 4) for v in mlp(torch.tensor([1.0, -2.0])).tolist()]
        [0.7311, 0.4768]

        With identity weights the output is $\mathrm{silu}(x) \odot x$: silu(1) = 1 x 0.7311, times
        1; silu(-2) = -2 x 0.1192 = -0.2384, times -2 = 0.4768.
        """,
        errors="None (`ModelConfig` checks its own fields; that is not part of this step).",
        helpers=r"""
        `ModelConfig` (imported for the annotation): `config.d_model`, `config.mlp_hidden`. `F.silu(z)`
        is $z\sigma(z)$.
        """,
        depends="None.",
        pitfalls=r"""
        - SiLU on the up projection instead of the gate, or after the product.
        - `torch.sigmoid` (plain GLU), GELU or ReLU in place of SiLU.
        """,
    ),
    # ---- Chapter 3: the forward process and the loss -------------------------------------------
    "3.1": dict(
        why=r"""
        LLaDA's forward process masks each token independently (Eq. 7) with probability $t$, the
        linear schedule (Eq. 8). Row $b$ has
        one noise level $t_b \sim U(0, 1)$ (or the given `t`) and masks each position with
        probability
        $$p_b = (1 - \epsilon)\, t_b + \epsilon ,$$
        i.e. position $i$ is masked when a fresh uniform $u_{b,i} < p_b$. The floor $\epsilon$
        (1e-3) keeps the loss weight $1/p_b$ at most 1000. In SFT (Algorithm 2) the first
        `prompt_lengths[b]` positions are never masked. A position that already holds `[MASK]` in
        `x0` is never counted as masked: there is nothing to predict there. `p_mask` is returned so
        that the loss can weight by $1/p_b$.
        """,
        signature=r"""
        `forward_process(x0, mask_id, t=None, eps=1e-3, prompt_lengths=None, generator=None)
        -> (xt, masked, p_mask)`

        - `x0`: LongTensor (B, T); `mask_id`: int.
        - `t`: None (draw one $t_b$ per row), a float, or a (B,) tensor, in [0, 1]. A given `t` is
          flattened (a (B, 1) tensor is fine) and must hold 1 or B numbers. Convert it to float32
          before use, as the library does (`checks.noise_level`): $(1 - \epsilon)t + \epsilon$ is
          then computed in float32, and `p_mask` is float32 for a float64 `t` too. The checks
          compare `p_mask` with float32 values, and `torch.allclose` refuses a float64 tensor
          there.
        - `eps`: float in [0, 1). `prompt_lengths`: None, or B ints in 0..T.
        - `generator`: a `torch.Generator` or None; draw every random number from it, in this
          order: `t` (B,) when it is None, then the uniforms (B, T), both with
          `rng.rand(..., device=x0.device, generator=generator)`. The checks compare your `xt`,
          `masked` and `p_mask` with the library's for the same seed, so the order matters: the
          uniforms first and then `t` has the right distribution but other masks.
        - returns the tuple `(xt, masked, p_mask)`: `xt` LongTensor (B, T) (`mask_id` where
          masked, x0 elsewhere), `masked` BoolTensor (B, T), `p_mask` float32 (B, T): $p_b$
          repeated along row b (prompt positions included).
        - `x0` is left as it was: `xt` is a new tensor (`torch.where`, or `x0.clone()` before
          writing `[MASK]` into it).
        """,
        example=r"""
        >>> import torch
        >>> from minillada.masking import forward_process
        >>> x0 = torch.tensor([[4, 5, 6, 7, 8, 1]])
        >>> xt, masked, p_mask = forward_process(x0, mask_id=1, t=1.0, eps=0.0, prompt_lengths=[2])
        >>> xt.tolist(), masked.tolist(), p_mask.tolist()
        ([[4, 5, 1, 1, 1, 1]], [[False, False, True, True, True, False]], [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
        >>> xt, masked, p_mask = forward_process(x0, 1, generator=torch.Generator().manual_seed(0))
        >>> round(p_mask[0, 0].item(), 4), masked.tolist()
        (0.4968, [[False, True, True, True, False, False]])

        At t = 1 and eps = 0 every answer position is masked; the prompt (2 tokens) is kept, and the
        last position, already `[MASK]` (id 1), is not counted as masked. With the seeded generator
        the row draws t = 0.4963, so p = 0.999 x 0.4963 + 0.001 = 0.4968.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - `x0` is not a 2-D `torch.long` tensor (`token_ids` raises it): the checks try a float
          tensor, int32 ids, a list of lists and a 1-D tensor.
        - `eps` outside [0, 1) (1 itself is refused).
        - a given `t` outside [0, 1], or with a number of values other than 1 or B. The library
          says `t must lie in [0, 1], got [1.5]` and `t must be one number or one per row: 4 for
          this batch, got 3`.
        - (not graded in this step) `prompt_lengths` with a number of entries other than B, or a
          length < 0 or > T: `prompt_mask` raises it, and this step's checks run with the
          library's `prompt_mask`, so step 3.2 grades it.
        """,
        helpers=r"""
        - `token_ids(x0)` (from `minillada.infra.checks`): returns None, or raises the ValueError above.
          The checks of `eps` and `t` are yours to write (`if not 0 <= eps < 1: raise
          ValueError(...)`).
        - `rng.rand(*shape, device=None, generator=None, dtype=torch.float32)`: uniforms in [0, 1)
          drawn on the generator's device and moved to `device`; `rng.rand(2, generator=g)` is a
          (2,) tensor.
        - `rng.to_device(t, device)`: `t` moved to `device` (a given `t` must follow x0).
        - `prompt_mask(prompt_lengths, (B, T), device)`: step 3.2, in this file.
        """,
        depends=r"""
        Step 3.2 `prompt_mask` (when `prompt_lengths` is given; it comes later in the file, or
        write the comparison inline). """ + _GRADER.format(deps="`prompt_mask`"),
        pitfalls=r"""
        - One $t$ for the whole batch, or one per token, instead of one per row; or masking with
          probability $t$ while returning $p = (1-\epsilon)t + \epsilon$.
        - Drawing from the global RNG (`torch.rand` without `generator=`): the masks are then not
          reproducible.
        """,
    ),
    "3.2": dict(
        why=r"""
        SFT needs to know which positions are prompt: row $b$'s first $P_b$ positions,
        $M_{b,j} = [\,j < P_b\,]$. A broadcast comparison builds it without a loop:
        `arange(T)` as a row (1, T) against the lengths as a column (B, 1). The forward process
        uses it to protect the prompt, `mask_exactly` to keep the prompt out of the candidates.
        The lengths are checked where they live (the CPU in training), then moved to `device`.
        """,
        signature=r"""
        `prompt_mask(prompt_lengths, shape, device) -> BoolTensor (B, T)`

        - `prompt_lengths`: B ints (a list, tuple or LongTensor (B,)); `shape`: `(B, T)`;
          `device`: a str or `torch.device` for the result. For B = 1 a bare int is one length
          too (the check gives `prompt_mask(2, (1, 4), "cpu")`); flatten the lengths
          (`.reshape(-1)`) and it comes for free. A bare int is never broadcast: for B > 1 it is
          one length for B rows, a ValueError.
        - True at positions $j <$ `prompt_lengths[b]`. A length 0 gives an all-False row, a
          length T an all-True one. A tensor of lengths is left as it was.
        """,
        example=r"""
        >>> from minillada.masking import prompt_mask
        >>> prompt_mask([1, 3, 0], (3, 4), "cpu").int().tolist()
        [[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
        >>> prompt_mask(2, (1, 4), "cpu").int().tolist()
        [[1, 1, 0, 0]]
        >>> prompt_mask([5], (1, 4), "cpu")
        Traceback (most recent call last):
        ...
        ValueError: prompt_lengths must lie in 0..4 (the sequence length), got [5]

        Row 2 has a prompt of 3 tokens: positions 0, 1, 2. A bare int is the one length of a
        batch of one row. A prompt of 5 does not fit in 4.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - the number of lengths is not B (e.g. 2 lengths for 3 rows). The library says
          `prompt_lengths has 2 entries for a batch of 3 rows`.
        - a length < 0 or > T (T itself is allowed).
        """,
        helpers=r"""
        `rng.to_device(t, device)`: `t` moved to `device` (without stalling a GPU);
        `rng.to_device(torch.arange(3), "cpu").tolist()` is `[0, 1, 2]`.
        """,
        depends="None.",
        pitfalls=r"""
        - `<=` instead of `<`: the first answer token becomes prompt. Positions count from 0.
        - Broadcasting the wrong way round, giving a (T, B) mask; or rejecting a length equal to T.
        """,
    ),
    "3.3": dict(
        why=r"""
        One Monte Carlo sample of LLaDA's bound (Eq. 3, Algorithm 1): mask x0 with the forward
        process, run the model on $x_t$, and score the masked positions against $x_0$:
        $$\mathcal{L} = \frac{1}{BT} \sum_{b} \sum_{i \text{ masked}} \frac{\mathrm{CE}_{b,i}}{p_b},
        \qquad \mathrm{CE}_{b,i} = -\log p_\theta(x_0^{b,i} \mid x_t^{b}).$$
        The $1/p_b$ (the $1/t$ of Eq. 3) makes every noise level count equally and turns the sum
        into an upper bound on the negative log-likelihood. In SFT (Eq. 5, Algorithm 2) the prompt
        is never masked and each row is divided by its answer length $L_b = T - P_b$ (padding
        `[EOS]` included):
        $\mathcal{L} = \frac{1}{B}\sum_b \frac{1}{L_b}\sum_{i \text{ masked}} \mathrm{CE}_{b,i}/p_b$.
        A model with constant logits has expected loss exactly $\log V$.
        """,
        signature=r"""
        `diffusion_loss(model, x0, prompt_lengths=None, eps=1e-3, generator=None, mask_id=None,
        attention_mask=None) -> Tensor` (0-d float, with a gradient)

        - `model`: maps a LongTensor (B, T) to float logits (B, T, V).
        - `x0`: LongTensor (B, T), the targets, left as it was (do not overwrite the unmasked
          targets in it, e.g. with an ignore index: the weight `masked` already zeroes them).
          `prompt_lengths`: None (pre-training) or B ints with $0 \le P_b < T$ (SFT).
        - `eps`, `generator`: passed on to `forward_process`, called exactly once; it draws all
          the randomness.
        - how to call it: by its name in this file, once, as `xt, masked, p_mask =
          forward_process(x0, mask_id, eps=eps, prompt_lengths=prompt_lengths,
          generator=generator)`, with the resolved int `mask_id`, and then use what it returns.
          The checks swap the name `forward_process` in your module for a stand-in with the same
          signature that returns fixed masks and notes its arguments: masking inline, calling it
          under another name (`masking.forward_process`) or calling it twice fails them.
        - `mask_id`: None means `model.config.mask_id` (`mask_id_of`).
        - `attention_mask`: None, or (B, T) passed as `model(xt, attention_mask=attention_mask)`;
          without it call `model(xt)`.
        """,
        example=r"""
        >>> import math, torch
        >>> from minillada.losses import diffusion_loss
        >>> from minillada.masking import forward_process
        >>> from minillada.model import ModelConfig, Transformer
        >>> config = ModelConfig(vocab_size=16, mask_id=1, d_model=8, n_layers=1, n_heads=2, init_std=0.0)
        >>> uniform = Transformer(config)
        >>> x0 = torch.tensor([[5, 6, 7, 8, 9, 10]])
        >>> _, masked, p_mask = forward_process(x0, 1, generator=torch.Generator().manual_seed(0))
        >>> masked.int().tolist(), round(p_mask[0, 0].item(), 4)
        ([[0, 1, 1, 1, 0, 1]], 0.4968)
        >>> round(diffusion_loss(uniform, x0, generator=torch.Generator().manual_seed(0)).item(), 4)
        3.7209
        >>> round(4 * math.log(16) / p_mask[0, 0].item() / 6, 4)
        3.7209
        >>> sft = diffusion_loss(uniform, x0, prompt_lengths=[2], generator=torch.Generator().manual_seed(0))
        >>> round(sft.item(), 4), round(3 * math.log(16) / p_mask[0, 0].item() / 4, 4)
        (4.186, 4.186)

        A model whose weights are all 0 gives zero logits: every masked token costs $\log 16$.
        Pre-training: 4 masks, each weighted by 1 / 0.4968, divided by B x T = 6. SFT with the same
        seed: the prompt (positions 0, 1) is protected, 3 answer tokens are masked, and the row is
        divided by its answer length 6 - 2 = 4.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - `mask_id` is None and the model has no `config.mask_id` (`mask_id_of` raises it;
          reading `model.config.mask_id` yourself gives an AttributeError instead).
        - a prompt length $\ge T$: every row needs at least one answer token. `prompt_mask`
          accepts T, and the checks' stand-in `forward_process` raises nothing, so this check is
          yours to write.
        - (not graded in this step) `prompt_lengths` with a number of entries other than B, or a
          length < 0: `forward_process` raises it (through `prompt_mask`) when you pass
          `prompt_lengths` on, and the checks replace `forward_process`; steps 3.1 and 3.2 grade
          it.
        - (not graded in this step) the errors of `forward_process` (`x0` not a (B, T) long
          tensor, `eps` outside [0, 1)): yours come from your step 3.1, which grades them.
        """,
        helpers=r"""
        - `mask_id_of(model, mask_id)`: `mask_id` as an int if given, else
          `model.config.mask_id`; `mask_id_of(model, None)` is 1 for the model above.
        - `token_ce(logits, targets)`: the cross-entropy of every position, logits (B, T, V) and
          targets (B, T) -> float (B, T), no reduction;
          `token_ce(torch.zeros(1, 2, 4), torch.tensor([[0, 3]]))` is `[[1.3863, 1.3863]]`
          ($\log 4$).
        - `forward_process` (step 3.1), in this file; `token_ids` and `rng` are imported.
        """,
        depends="Step 3.1 `forward_process` (and, through it, 3.2 `prompt_mask`). " + _GRADER.format(
            deps="`forward_process`"),
        pitfalls=r"""
        - SFT: dividing each row by T, or by its number of masks, instead of its answer length
          $T - P_b$; or dividing by the batch's total answer length instead of row by row, then B.
        - Forgetting the $1/p$ (or multiplying by it), or not passing `generator`, `eps` and
          `prompt_lengths` on to `forward_process`.
        """,
    ),
    # ---- Chapter 4: the likelihood bound -------------------------------------------------------
    "4.1": dict(
        why=r"""
        The estimator of Eq. 14 needs masks with an exact count: $l_b$ positions of row $b$'s
        answer, every set of that size equally likely. Give each position a uniform score, set the
        prompt's scores to 2 (above any uniform, so they sort last), and mask the $l_b$ positions
        with the smallest scores. The rank of each position is `argsort(argsort(scores))`, so
        $\text{masked}_{b,i} = [\,\mathrm{rank}_{b,i} < l_b\,]$. The order of i.i.d. uniforms is a
        uniformly random permutation, so the set of the $l_b$ smallest is a uniform subset.
        Any argsort will do, stable or not: argsort of argsort gives distinct ranks even for tied
        scores, so exactly $l_b$ positions are masked; the prompt's scores tie at 2 but rank after
        every answer position, and a tie between two uniforms is rare and only decides which of
        the two is taken. The checks compare your masks with the library's for the same seed, so
        draw the scores as the signature says and mask the $l_b$ *smallest*: the largest (with the
        prompt at -1) would be uniform too, but other masks.
        """,
        signature=r"""
        `mask_exactly(x0, num_masked, mask_id, prompt_lengths=None, generator=None)
        -> (xt, masked)`

        - `x0`: LongTensor (B, T); `mask_id`: int.
        - `num_masked`: one int for every row, or B ints (a list or LongTensor (B,)), with
          $0 \le l_b \le T - P_b$.
        - `prompt_lengths`: None (no prompt) or B ints in 0..T.
        - `generator`: one draw, `rng.rand(B, T, device=x0.device, generator=generator)`.
        - returns the tuple `(xt, masked)`: `xt` LongTensor (B, T) and `masked` BoolTensor (B, T)
          with exactly $l_b$ Trues in row b, none in the prompt. Unlike `forward_process`, a
          `[MASK]` already in x0 is not excluded, and no `p_mask` is returned.
        - `x0` is left as it was: `xt` is a new tensor.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.likelihood import mask_exactly
        >>> scores = torch.tensor([[2.0, 0.7, 0.1, 0.9, 0.4]])
        >>> rank = scores.argsort(dim=1).argsort(dim=1)
        >>> rank.tolist(), (rank < 2).tolist()
        ([[4, 2, 0, 3, 1]], [[False, False, True, False, True]])
        >>> x0 = torch.tensor([[4, 5, 6, 7, 8, 9], [4, 5, 6, 7, 8, 9]])
        >>> xt, masked = mask_exactly(x0, [1, 3], mask_id=1, prompt_lengths=[2, 2],
        ...                           generator=torch.Generator().manual_seed(0))
        >>> xt.tolist(), masked.sum(dim=1).tolist()
        ([[4, 5, 1, 7, 8, 9], [4, 5, 1, 7, 1, 1]], [1, 3])

        In the first lines the prompt position scores 2; the two smallest scores, 0.1 and 0.4, have
        ranks 0 and 1 and are masked. Then row 0 gets exactly 1 mask and row 1 exactly 3, all
        after the 2-token prompt.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - `x0` is not a 2-D `torch.long` tensor (`token_ids`): the checks try a float tensor,
          int32 ids, a list of lists and a 1-D tensor.
        - some $l_b < 0$ or $l_b > T - P_b$ (more masks than answer positions). The library says
          `cannot mask [4, 2] positions in rows with [3, 6] positions after the prompt`: the
          counts, then each row's room $T - P_b$.
        - (not graded: the library's `prompt_mask`, which the stub imports, raises it for you)
          `prompt_lengths` with a number of entries other than B, or a length < 0 or > T.
        """,
        helpers=r"""
        - `token_ids(x0)` (from `minillada.infra.checks`): None, or the ValueError above.
        - `prompt_mask(prompt_lengths, (B, T), device)`: the library's (chapter 3), imported;
          `prompt_mask([1, 3], (2, 4), "cpu").int().tolist()` is `[[1, 0, 0, 0], [1, 1, 1, 0]]`.
        - `rng.rand(B, T, device=..., generator=g)`: float32 uniforms in [0, 1).
        """,
        depends=r"""
        No step of this chapter. It calls `prompt_mask`, which the stub imports from the library,
        so your chapter-3 code never enters here.
        """,
        pitfalls=r"""
        - One argsort: `scores.argsort()` gives the indices in sorted order, not each position's
          rank; you need the argsort of that.
        - Comparing the (B, T) ranks with the (B,) counts without making them a column
          (`num[:, None]`), or giving the prompt the lowest scores so that it is masked first.
        """,
    ),
    "4.2": dict(
        why=r"""
        Eq. 14 draws the number of masks $l$ uniformly from $\{1, \dots, L\}$. Drawing each row's
        $l$ independently wastes samples; instead draw one start $k \in \{1, \dots, L\}$ per batch
        and spread the rows evenly (stratified sampling):
        $$ l_j = \big((k - 1 + \lfloor jL / b \rfloor) \bmod L\big) + 1, \qquad j = 0, \dots, b - 1 .$$
        Every row's $l_j$ is still uniform on $\{1, \dots, L\}$ (k is uniform and the shift is a
        bijection), so the estimate stays unbiased, while each batch covers the range evenly, which
        lowers the variance. The floor (integer arithmetic) replaces the reference's `torch.round`,
        which rounds halves to even and favours some $l$.
        """,
        signature=r"""
        `stratified_mask_counts(batch_size: int, L: int, generator=None, device=None)
        -> LongTensor (batch_size,)`

        - values in 1..L, a `torch.long` tensor (not int32); `b` = `batch_size`, L = the answer
          length.
        - draw exactly one random number: `k = int(rng.randint(1, L + 1, (), generator=generator))`.
          The checks compare your counts with the library's for the same seed: another way to
          draw a uniform k (say `int(u * L) + 1`) has the right distribution but other values.
        - offsets `torch.arange(batch_size) * L // batch_size` (multiply first, then floor-divide);
          the result is moved with `.to(device)`.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.likelihood import stratified_mask_counts
        >>> stratified_mask_counts(4, 8, generator=torch.Generator().manual_seed(0)).tolist()
        [5, 7, 1, 3]
        >>> stratified_mask_counts(3, 7, generator=torch.Generator().manual_seed(0)).tolist()
        [5, 7, 2]

        Seed 0 draws k = 5. For b = 4, L = 8 the offsets are 0, 2, 4, 6, so l = 5, 7, then
        (4 + 4) mod 8 + 1 = 1 and 3. For b = 3, L = 7 the offsets are $\lfloor 7/3 \rfloor = 2$
        and $\lfloor 14/3 \rfloor = 4$, so l = 5, 7, (4 + 4) mod 7 + 1 = 2.
        """,
        errors="None.",
        helpers=r"""
        `rng.randint(low, high, shape, device=None, generator=None)`: integers uniform in
        [low, high); `rng.randint(1, 9, (), generator=g)` is a 0-d LongTensor in 1..8.
        """,
        depends="None.",
        pitfalls=r"""
        - `j * (L // b)` instead of `j * L // b`: the offsets bunch up when b does not divide L.
        - Forgetting the `- 1 ... + 1` around the modulo (l = 0, which divides by zero later, or
          l > L), or drawing a fresh start per row (independent, not stratified).
        """,
    ),
    "4.3": dict(
        why=r"""
        The bound to estimate, for an answer $a$ of length $L$ after a prompt (LLaDA Eq. 14):
        $$\log p(a \mid \text{prompt}) \ \ge\ -\,\mathbb{E}_{l \sim U\{1..L\}}\ \mathbb{E}_{|S| = l}
        \Big[\frac{L}{l} \sum_{i \in S} \mathrm{CE}_i\Big],$$
        where $S$ is a uniform set of $l$ answer positions, masked, and $\mathrm{CE}_i$ the
        cross-entropy of answer token $i$ given the prompt and the rest. Run `mc_num / batch_size`
        batches; in each, every row gets its $l$ from step 4.2, exactly $l$ answer tokens masked
        (step 4.1), logits from `guided_logits` (guidance `cfg_scale`), and the row's masked CE
        summed and multiplied by $L / l$. Return minus the sum over all rows of all batches divided
        by `mc_num`. Estimator `"t"` (Eq. 12) masks with `forward_process` instead and weights by
        $1/p$; Eq. 14 has far lower variance because the number of masks is not random.
        """,
        signature=r"""
        `log_likelihood(model, prompt, answer, mc_num=128, batch_size=16, cfg_scale=0.0,
        mask_id=None, generator=None, estimator="l", eps=1e-3) -> float` (under
        `@torch.no_grad()`)

        - `model`: a Transformer (it needs `.parameters()` and `.config`); logits (b, P + L, V).
        - `prompt`, `answer`: 1-D token ids (lists or LongTensors), P >= 0, L >= 1.
        - `mc_num`: a positive multiple of `batch_size`. `cfg_scale` >= 0. `mask_id`: None means
          `model.config.mask_id`.
        - each batch: `x0 = seq.expand(batch_size, -1)` (b, P + L) with `seq` from
          `prompt_and_answer`;
          `l = stratified_mask_counts(batch_size, L, generator, seq.device)`, then
          `mask_exactly(x0, l, mask_id, prompt_lengths=[P] * batch_size, generator=generator)`
          (this order of draws reproduces the library, and the checks compare your estimate with
          the library's for the same seed: drawing the l of every batch first, then the masks,
          gives another estimate); `prompt_index = arange(P + L) < P`;
          `logits = guided_logits(model, xt, prompt_index, cfg_scale, mask_id)`.
        - `estimator="t"`: `forward_process(x0, mask_id, eps=eps, prompt_lengths=[P] * batch_size,
          generator=generator)` and the weight `1 / p_mask`.
        """,
        example=r"""
        >>> import math, torch
        >>> from minillada.likelihood import log_likelihood
        >>> from minillada.model import ModelConfig, Transformer
        >>> config = ModelConfig(vocab_size=16, mask_id=1, d_model=8, n_layers=1, n_heads=2, init_std=0.0)
        >>> uniform = Transformer(config)
        >>> g = torch.Generator().manual_seed(0)
        >>> round(log_likelihood(uniform, [5, 6], [7, 8, 9, 10], mc_num=32, batch_size=8, generator=g), 4)
        -11.0904
        >>> round(-4 * math.log(16), 4)
        -11.0904
        >>> round(log_likelihood(uniform, [5, 6], [7, 8, 9, 10], mc_num=32, batch_size=8, generator=g,
        ...                      estimator="t"), 4)
        -11.0821
        >>> log_likelihood(uniform, [5, 6], [7, 8, 9, 10], mc_num=10, batch_size=4)
        Traceback (most recent call last):
        ...
        ValueError: mc_num=10 must be a positive multiple of batch_size=4; try mc_num=8

        The model guesses uniformly, so each masked token costs $\log 16$ and a row with $l$ masks
        costs $l \log 16 \cdot L/l = 4 \log 16$: every sample equals the bound, with no noise. The
        `"t"` estimator is close but not exact, because its number of masks and its weight $1/p$
        are random.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - `estimator` not `"l"` or `"t"`.
        - `batch_size <= 0`, `mc_num <= 0`, or `mc_num % batch_size != 0`. For the last the
          library suggests the nearest multiple, `max(1, round(mc_num / batch_size)) *
          batch_size`, rounded by Python's `round`, which takes halves to the even number:
          `mc_num=10, batch_size=4` suggests 8 (10 / 4 = 2.5 rounds to 2), 14 suggests 16 (3.5
          rounds to 4), 2 suggests 4 (never less than one batch).
        - `mask_id` None and no `model.config.mask_id` (`mask_id_of`).
        - (not graded: `prompt_and_answer`, which the stub imports, raises them for you) prompt
          or answer not 1-D, an empty answer, or P + L longer than the model's `max_seq_len`.
        - (not graded: the library's `guided_logits`, which the stub imports, raises it for you)
          `cfg_scale < 0`.
        """,
        helpers=r"""
        - `prompt_and_answer(model, prompt, answer)` (from `minillada.infra.checks`, the door of
          the likelihood functions): checks the pair and returns `(seq, P, L)`, seq the joined
          1-D LongTensor on the model's device; `prompt_and_answer(model, [5, 6], [7, 8, 9])`
          gives `(tensor([5, 6, 7, 8, 9]), 2, 3)`.
        - `mask_id_of(model, mask_id)` (from `minillada.infra.checks`): the int mask id.
        - `token_ce(logits, targets)`: (b, T, V), (b, T) -> per-position CE (b, T).
        - `guided_logits(model, x, prompt_index, cfg_scale, mask_id)`: the library's (step 5.4's
          solution); with `cfg_scale=0` it is just `model(x)`.
        - `forward_process`, `prompt_mask`, `rng` (imported from the library) for estimator `"t"`.
        """,
        depends="Steps 4.1 `mask_exactly` and 4.2 `stratified_mask_counts`. " + _GRADER.format(
            deps="`mask_exactly` and `stratified_mask_counts`") + " (`guided_logits` and "
            "`forward_process` are the library's own, imported by the stub.)",
        pitfalls=r"""
        - Weighting by $1/l$ instead of $L/l$, or multiplying the (b, T) CE by a (b,) weight
          without making it a column.
        - Dividing by the number of batches instead of `mc_num`, or returning the loss (positive)
          instead of minus it.
        """,
    ),
    "4.4": dict(
        why=r"""
        For a short answer the bound of step 4.3 can be computed exactly, by enumerating every
        non-empty set $S$ of answer positions:
        $$\mathrm{ELBO} = -\sum_{l=1}^{L} \frac{1}{l}\ \frac{1}{\binom{L}{l}} \sum_{|S| = l}\ \sum_{i \in S}
        \mathrm{CE}_i(a \text{ with } S \text{ masked}),$$
        the same as $-\frac{1}{L}\sum_l \frac{L}{l}\,\mathrm{mean}_{|S|=l}(\cdot)$ of Eq. 14. The
        mean is taken within each size $l$, and the sizes are then weighted equally: not a plain
        mean over all patterns. Each of the $2^L - 1$ patterns needs a forward pass (batched), so
        answers longer than `MAX_EXACT_ANSWER` = 12 are refused. The tests use this exact value as
        the oracle for the Monte Carlo estimator.
        """,
        signature=r"""
        `exact_elbo(model, prompt, answer, mask_id=None, batch_size=256) -> float` (under
        `@torch.no_grad()`)

        - `model`, `prompt`, `answer`, `mask_id`: as in `log_likelihood`; 1 <= L <= 12.
        - patterns: `list(itertools.product([False, True], repeat=L))[1:]` (the all-False one
          dropped), each prefixed by P False (the prompt is never masked).
        - `batch_size`: patterns per forward pass; it changes only the speed. The input of a
          pattern `m` is `x0.masked_fill(m, mask_id)`; sum `token_ce` over its masked positions.
        - accumulate in float64 and return minus the ELBO sum as a Python float.
        """,
        example=r"""
        >>> import itertools, math
        >>> from minillada.likelihood import exact_elbo
        >>> from minillada.model import ModelConfig, Transformer
        >>> len(list(itertools.product([False, True], repeat=3))[1:])
        7
        >>> config = ModelConfig(vocab_size=10, mask_id=1, d_model=8, n_layers=1, n_heads=2, init_std=0.0)
        >>> uniform = Transformer(config)
        >>> round(exact_elbo(uniform, [4, 5], [6, 7, 8]), 4), round(-3 * math.log(10), 4)
        (-6.9078, -6.9078)
        >>> exact_elbo(uniform, [4], [5] * 13)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: exact_elbo enumerates all 2^L - 1 mask patterns of the answer; L=13 would need ...

        L = 3 gives 7 patterns: 3 of size 1, 3 of size 2, 1 of size 3. With uniform guesses a
        pattern of size $l$ costs $l \log 10$, the mean over size $l$ divided by $l$ is
        $\log 10$, and the sum over $l = 1, 2, 3$ is $3 \log 10$.
        """,
        errors=r"""
        Each a `ValueError`; the checks ask for the class, not the wording.

        - the answer is longer than `MAX_EXACT_ANSWER` = 12 tokens (12 itself is allowed);
        - `mask_id` None and no `model.config.mask_id` (`mask_id_of`);
        - (not graded: `prompt_and_answer`, which the stub imports, raises them for you) prompt
          or answer not 1-D, an empty answer, P + L > `max_seq_len`.
        """,
        helpers=r"""
        - `MAX_EXACT_ANSWER` (12): the longest answer allowed.
        - `prompt_and_answer(model, prompt, answer)` -> `(seq, P, L)`;
          `mask_id_of(model, mask_id)` -> int; `token_ce(logits, targets)` -> (N, P + L) CE.
        - `itertools.product([False, True], repeat=2)` yields (F, F), (F, T), (T, F), (T, T).
        """,
        depends=r"""
        No earlier step is called. (Step 4.3's checks compare its estimates with the library's
        `exact_elbo`, never with yours.)
        """,
        pitfalls=r"""
        - Averaging over all patterns at once: sizes are then weighted by $\binom{L}{l}$ instead of
          equally. Or forgetting the $1/l$.
        - Leaving out $l = L$ (everything masked), masking the prompt, or refusing L = 12
          (`>=` instead of `>`).
        """,
    ),
    # ---- Chapter 5: the reverse process --------------------------------------------------------
    "5.1": dict(
        why=r"""
        The noise schedule is linear (LLaDA Eq. 8: each token is masked with probability $t$), so
        going from $t = 1$ to $t = 0$ in $s$ equal steps
        should reveal the same number of tokens at each step. A row with $n$ masks therefore gets
        $$k_i = \lfloor n / s \rfloor + [\, i < n \bmod s \,], \qquad i = 0, \dots, s-1,$$
        i.e. $n // s$ per step and one more in the first $n \bmod s$ steps; the $k_i$ sum to $n$.
        Rows can hold different numbers of masks, so this is done per row.
        """,
        signature=r"""
        `get_num_transfer_tokens(mask_index: Tensor, steps: int) -> LongTensor (B, steps)`

        - `mask_index`: BoolTensor (B, L), True at the masks; `steps`: a positive int.
        - row b of the result sums to `mask_index[b].sum()`. The result is `torch.long` (int32
          counts, from `.int()`, are refused).
        """,
        example=r"""
        >>> import torch
        >>> from minillada.sampling import get_num_transfer_tokens
        >>> mask = torch.tensor([[True] * 10, [True] * 3 + [False] * 7])
        >>> get_num_transfer_tokens(mask, 4).tolist()
        [[3, 3, 2, 2], [1, 1, 1, 0]]

        Row 0: 10 masks over 4 steps, 10 // 4 = 2 each and 10 mod 4 = 2 extra in the first two
        steps. Row 1: 3 masks, 0 each and 3 extra.
        """,
        errors="None.",
        helpers="None.",
        depends="None.",
        pitfalls=r"""
        - Putting the extra tokens in the last steps, or rounding $n / s$ instead of the floor.
        - Summing over the batch instead of the sequence, or dropping `keepdim=True` so that the
          (B,) counts do not broadcast against (B, steps).
        """,
    ),
    "5.2": dict(
        why=r"""
        The Gumbel-max trick turns logits into a sample with one argmax:
        $$\arg\max_v \big(\ell_v / T + g_v\big), \quad g_v = -\log(-\log u_v),\ u_v \sim U(0, 1)
        \text{ i.i.d.},$$
        is distributed exactly as $\mathrm{softmax}(\ell / T)$. The sampler takes the argmax of
        the returned scores. $T = 0$ means greedy: return the logits unchanged. The noise is drawn
        in float64, because in low precision its tail is rounded coarsely and skews the samples.
        """,
        signature=r"""
        `add_gumbel_noise(logits: Tensor, temperature: float, generator=None) -> Tensor`

        - `logits`: float (..., V), e.g. (B, T, V); `temperature` >= 0.
        - temperature 0: return `logits` itself (same object and dtype).
        - otherwise a float64 tensor of the same shape, `logits.double() / temperature + g`, with
          `u = rng.rand(*logits.shape, device=logits.device, generator=generator,
          dtype=torch.float64)` (one uniform per entry, from `generator`), clamped at 1e-300 before
          the logs. Convert first, then divide: for bf16 logits the checks compare the scores
          with the library's within 1e-12, and `(logits / temperature).double()` is off by a bf16
          rounding.
        - the caller's `logits` are left as they were. For float64 logits `logits.double()` is
          the logits themselves, so build new tensors (`/`, `+`), not `/=` and `+=`.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.sampling import add_gumbel_noise
        >>> logits = torch.tensor([1.0, 0.0, -1.0, 2.0])
        >>> add_gumbel_noise(logits, 0.0) is logits
        True
        >>> g = torch.Generator().manual_seed(0)
        >>> scores = add_gumbel_noise(logits.expand(40000, 4), 1.0, generator=g)
        >>> scores.dtype
        torch.float64
        >>> [round(f, 3) for f in (torch.bincount(scores.argmax(-1), minlength=4) / 40000).tolist()]
        [0.236, 0.088, 0.032, 0.644]
        >>> [round(p, 3) for p in logits.softmax(-1).tolist()]
        [0.237, 0.087, 0.032, 0.644]

        40000 samples of the argmax land on each token as often as the softmax says, within
        sampling noise (about 0.002 here).
        """,
        errors="None (the temperature is not checked here; `generate` rejects a negative one).",
        helpers=r"""
        `rng.rand(*shape, device=..., generator=g, dtype=torch.float64)`: float64 uniforms in
        [0, 1) of that shape.
        """,
        depends="None.",
        pitfalls=r"""
        - Dividing the noise by $T$ too (`(logits + g) / T`): the argmax no longer depends on the
          temperature. Or the wrong noise: $\log(-\log u)$ or $-\log u$.
        - Uniforms in float32, or from the global RNG instead of `generator`.
        """,
    ),
    "5.3": dict(
        why=r"""
        One step of the reverse process (Algorithms 4 and 5). Set the `[MASK]` logit to
        $-\infty$ (the model must never predict a mask), and predict
        $\hat x_0 = \arg\max$ of `add_gumbel_noise(logits, temperature)` (step 5.2). Score each
        prediction: `"low_confidence"` (Algorithm 5) uses its probability
        $c_i = \mathrm{softmax}(\ell_i)[\hat x_{0,i}]$ from the noise-free logits (with `[MASK]`
        at $-\infty$, not divided by the temperature), computed in float64 as the library does
        (`logits.double().softmax(dim=-1)`); `"random"` (Algorithm 4) a uniform
        $c_i \sim U(0, 1)$. Off the candidates $c_i = -\infty$. Reveal the `num_transfer[b]`
        candidates of row b with the highest confidence; ties go to the leftmost position, which
        a stable sort gives: `conf.argsort(dim=1, descending=True, stable=True)`. With
        `threshold`, also every candidate with $c_i \ge$ threshold (a confidence equal to the
        threshold counts). Revealed positions take $\hat x_0$; all others keep x. The checks
        grade all three rules: the confidence must be float64, and for bf16 logits equal to the
        float64 softmax within 1e-12 (a softmax in bf16, converted afterwards, is not); tied
        confidences must go to the leftmost positions (an ascending sort that is then flipped
        sends them right); and a confidence exactly at the threshold must be revealed.
        """,
        signature=r"""
        `remask_step(logits, x, candidates, num_transfer, mask_id, temperature=0.0,
        remasking="low_confidence", threshold=None, generator=None) -> (new_x, confidence, revealed)`

        - `logits`: float (B, T, V); work on a clone: the caller's `logits`, `x`, `candidates`
          and `num_transfer` must come back unchanged (build `revealed` as a new tensor, not with
          `&=` on `candidates`).
        - `x`: LongTensor (B, T); `candidates`: BoolTensor (B, T), the masks this step may reveal.
        - `num_transfer`: LongTensor (B,), how many to reveal per row (at least that many with a
          threshold); `mask_id`: int.
        - `temperature` >= 0; `remasking`: `"low_confidence"` or `"random"`; `threshold`: None or
          a float in (0, 1].
        - `generator`: used first by `add_gumbel_noise` (only when temperature > 0), then for the
          random confidences `rng.rand(B, T, device=x.device, generator=generator,
          dtype=torch.float64)`.
        - returns the tuple `(new_x, confidence, revealed)`: `new_x` LongTensor (B, T);
          `confidence` float64 (B, T), $-\infty$ off the candidates; `revealed` BoolTensor (B, T),
          a subset of the candidates.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.sampling import remask_step
        >>> probs = torch.tensor([[[0.6, 0.2, 0.2], [0.1, 0.4, 0.5], [0.45, 0.45, 0.1], [0.3, 0.3, 0.4]]])
        >>> x = torch.tensor([[2, 2, 2, 0]])
        >>> candidates = torch.tensor([[True, True, True, False]])
        >>> new_x, conf, revealed = remask_step(probs.log(), x, candidates, torch.tensor([1]), mask_id=2)
        >>> new_x.tolist(), [round(c, 3) for c in conf[0].tolist()], revealed.tolist()
        ([[2, 1, 2, 0]], [0.75, 0.8, 0.5, -inf], [[False, True, False, False]])
        >>> remask_step(probs.log(), x, candidates, torch.tensor([1]), mask_id=2, threshold=0.7)[0].tolist()
        [[0, 1, 2, 0]]

        V = 3 with `[MASK]` = 2. Without the mask column, position 0 is (0.75, 0.25), position 1
        (0.2, 0.8) and position 2 (0.5, 0.5), so the predictions are 0, 1, 0 with confidences 0.75,
        0.8 and 0.5 (position 1 would have predicted `[MASK]` at 0.5 otherwise). One token to
        reveal: position 1. With threshold 0.7, position 0 is revealed too.
        """,
        errors="None (the sampler checks its arguments before it calls this step).",
        helpers=r"""
        - `add_gumbel_noise(logits, temperature, generator)`: step 5.2, in this file.
        - `rng.rand(*shape, device=..., generator=g, dtype=torch.float64)`: the random confidences.
        """,
        depends="Step 5.2 `add_gumbel_noise`. " + _GRADER.format(deps="`add_gumbel_noise`"),
        pitfalls=r"""
        - Taking the confidence from the Gumbel-noised scores, or the highest probability, instead
          of the softmax probability of the chosen token; or letting `[MASK]` be predicted.
        - One argsort (sort indices are not ranks), forgetting `& candidates` when k exceeds the
          number of candidates, or setting the `[MASK]` logit in the caller's tensor (no clone).
        """,
    ),
    "5.4": dict(
        why=r"""
        Unsupervised classifier-free guidance (LLaDA Eq. 16, in logit space): run the model on the
        input (conditional) and on the input with every prompt token replaced by `[MASK]`
        (unconditional), and push away from the unconditional prediction:
        $$\tilde\ell = \ell_{\text{un}} + (w + 1)\,(\ell_{\text{cond}} - \ell_{\text{un}}).$$
        With $w = 0$ this is $\ell_{\text{cond}}$, so no second pass is run. Otherwise both inputs
        go through the model as one batch of 2B rows. The sampler and the likelihood estimator
        share this function.
        """,
        signature=r"""
        `guided_logits(model, x, prompt_index, cfg_scale, mask_id) -> Tensor (B, T, V)`

        - `model`: any callable mapping a LongTensor (N, T) to logits (N, T, V).
        - `x`: LongTensor (B, T); `prompt_index`: BoolTensor (T,) or (B, T), True at the prompt
          (use `prompt_index.expand_as(x)`); `cfg_scale` = $w \ge 0$; `mask_id`: int.
        - $w = 0$: return `model(x)`, one call. Otherwise one call on
          `torch.cat([x, uncond], dim=0)` (2B, T), split with `.chunk(2, dim=0)` into cond, un.
        - `uncond` is a new tensor (`x.masked_fill(...)`): the caller's `x` and `prompt_index` are
          left as they were. The result has the model's dtype.
        """,
        example=r"""
        >>> import torch
        >>> from minillada.guidance import guided_logits
        >>> def model(x):
        ...     seen = (x[:, :1] == 5).float()[:, :, None]
        ...     return torch.cat([seen.expand(*x.shape, 1), torch.zeros(*x.shape, 1)], dim=-1)
        >>> x = torch.tensor([[5, 1, 1]])
        >>> prompt_index = torch.tensor([True, False, False])
        >>> guided_logits(model, x, prompt_index, 0.0, mask_id=1)[0, 1].tolist()
        [1.0, 0.0]
        >>> guided_logits(model, x, prompt_index, 2.0, mask_id=1)[0, 1].tolist()
        [3.0, 0.0]

        The toy model gives logits (1, 0) at every position when it sees the prompt token 5, and
        (0, 0) when the prompt is masked. So cond = (1, 0), un = (0, 0), and with $w = 2$ the guided
        logits are $0 + 3 \cdot (1 - 0) = 3$ and 0.
        """,
        errors="`cfg_scale < 0`: ValueError (0 means no guidance).",
        helpers="None (the stub imports only `torch` and `rng`; neither is needed here).",
        depends="None.",
        pitfalls=r"""
        - $w$ instead of $w + 1$ (at $w = 1$ no guidance at all), or starting from cond instead of
          un; or unpacking the two halves of the batch in the wrong order.
        - Hiding the answer (or the whole sequence) instead of the prompt, or concatenating along
          the sequence (dim 1) instead of the batch.
        """,
    ),
    # ---- Chapter 6: training -------------------------------------------------------------------
    "6.1": dict(
        why=r"""
        The learning rate of optimizer step `step` ($s$, counted from 0). A linear warmup keeps the
        first updates small while Adam's statistics are still poor; then the rate is held, or
        decayed by a cosine, or held and decayed at the end (warmup-stable-decay, LLaDA Sec. 2.2).
        Write $\eta$ = `lr`, $W$ = `warmup_steps`, $N$ = `max_steps`,
        $\eta_{\min} = \eta\cdot$`min_lr_ratio`:

        1. Warmup, for every schedule: if $s < W$, the rate is $\eta\,(s + 1)/W$. Step 0 gets
           $\eta/W$ (not 0) and step $W - 1$ gets $\eta$. The other rules apply only when $s \ge W$.
        2. `"constant"`: $\eta$.
        3. `"cosine"`: $q = (s - W) / \max(1, N - 1 - W)$, clamped to $q \le 1$;
           rate $= \eta_{\min} + (\eta - \eta_{\min})\cdot\frac{1}{2}\big(1 + \cos(\pi \min(q, 1))\big)$.
           Step $W$ gets $\eta$, step $N - 1$ gets $\eta_{\min}$, and later steps stay there.
        4. `"wsd"`: $D$ = `int(decay_fraction * N)`, the number of decay steps (Python's `int`,
           which truncates), and $S = N - D$, the first decay step (the library's
           `decay_start`). For $s < S$ the rate is $\eta$. For $s \ge S$:
           $q = (s - S + 1)/\max(1, D)$ and rate $= \eta + (\eta_{\min} - \eta)\cdot\min(q, 1)$, a
           straight line. Step $S$ already gets $\eta - (\eta - \eta_{\min})/D$, step $N - 1$ gets
           $\eta_{\min}$; with $D = 0$ the rate never decays.
        """,
        signature=r"""
        `lr_at(step: int, config: TrainConfig) -> float`

        - `step`: the 0-based optimizer step (any int >= 0, also past `max_steps`).
        - returns a Python `float` (not a tensor).
        - reads `config.lr`, `config.warmup_steps`, `config.max_steps`, `config.min_lr_ratio`,
          `config.schedule` (`"cosine"`, `"wsd"` or `"constant"`) and `config.decay_fraction`. A pure
          function: no tensors, no state.
        """,
        example=r"""
        >>> from minillada.train import TrainConfig, lr_at
        >>> config = TrainConfig(lr=1.0, warmup_steps=10, max_steps=111, min_lr_ratio=0.0)
        >>> [round(lr_at(s, config), 3) for s in (0, 9, 10, 60, 110)]
        [0.1, 1.0, 1.0, 0.5, 0.0]
        >>> wsd = TrainConfig(lr=1.0, warmup_steps=2, max_steps=10, min_lr_ratio=0.1, schedule="wsd",
        ...                   decay_fraction=0.4)
        >>> [round(lr_at(s, wsd), 3) for s in range(10)]
        [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.775, 0.55, 0.325, 0.1]

        Cosine: warmup 0.1, 0.2, ..., 1.0 over steps 0-9; then $q = (s - 10)/100$, so step 60 is
        halfway (0.5) and step 110 reaches the floor 0. WSD: $D = 4$, $S = 6$; steps 6-9 have
        $q$ = 1/4, 2/4, 3/4, 1, so the rate falls by 0.225 per step from 1.0 to 0.1.
        """,
        errors="None (`TrainConfig` checks its fields when it is built).",
        helpers=r"""
        `math.cos`, `math.pi` (imported); `TrainConfig` (imported for the annotation): the fields
        above.
        """,
        depends="None.",
        pitfalls=r"""
        - Warmup `lr * s / W` (step 0 at rate 0) or `s <= W`; the cosine over $N - W$ steps instead
          of $N - 1 - W$ (the last step misses the floor), or without the clamp.
        - WSD progress $(s - S)/D$ or $(s - S)/(D - 1)$ instead of $(s - S + 1)/D$: both look
          natural and both are wrong on 14-15 of 60 steps in the tests' configuration; or decaying
          to 0 instead of $\eta_{\min}$.
        """,
    ),
    "6.2": dict(
        why=r"""
        One optimizer step of LLaDA pre-training (Algorithm 1) or SFT (Algorithm 2, with
        `prompt_lengths`): compute the loss with `diffusion_loss` (Eq. 3, or Eq. 5 for SFT), clear
        the old gradients, backpropagate, clip the gradient norm, and step. Clipping rescales all
        gradients together when their global norm exceeds $c$ = `grad_clip`:
        $g \leftarrow g \cdot \min\big(1, c / \lVert g \rVert_2\big)$, which keeps a rare
        large-loss batch (a row with a small $t$ has weight up to $1/\epsilon$) from wrecking the
        weights. Return the loss as a Python float, so that the caller does not hold on to the
        graph.
        """,
        signature=r"""
        `train_step(model, optimizer, x0, mask_id, prompt_lengths=None, grad_clip=1.0,
        generator=None) -> float`

        - `model`: an `nn.Module` mapping (B, T) -> (B, T, V) logits; `optimizer`: a
          `torch.optim.Optimizer` over its parameters.
        - `x0`: LongTensor (B, T); `mask_id`: int, passed to `diffusion_loss` (do not rely on
          `model.config`); `prompt_lengths`: None or B ints (SFT).
        - `grad_clip`: the largest total gradient norm; 0 turns clipping off.
        - `generator`: passed to `diffusion_loss`, which draws every random number from it
          (`eps` stays at its default 1e-3).
        - order: `loss = diffusion_loss(...)`, `optimizer.zero_grad(set_to_none=True)`,
          `loss.backward()`, `torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)` if
          `grad_clip > 0`, `optimizer.step()`; return `float(loss.detach())`, the loss before the
          update.
        """,
        example=r"""
        >>> import math, torch
        >>> from minillada.losses import diffusion_loss
        >>> from minillada.model import ModelConfig, Transformer
        >>> from minillada.train import train_step
        >>> _ = torch.manual_seed(0)
        >>> model = Transformer(ModelConfig(vocab_size=16, mask_id=1, d_model=16, n_layers=1, n_heads=2))
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> x0 = torch.randint(4, 16, (4, 8), generator=torch.Generator().manual_seed(1))
        >>> def loss_now():
        ...     return diffusion_loss(model, x0, mask_id=1, generator=torch.Generator().manual_seed(2)).item()
        >>> before = loss_now()
        >>> loss = train_step(model, opt, x0, mask_id=1, generator=torch.Generator().manual_seed(2))
        >>> type(loss).__name__, math.isclose(loss, before, rel_tol=1e-6), round(loss, 2)
        ('float', True, 3.17)
        >>> loss_now() < before
        True

        With the same seed, `train_step` draws the same masks as `diffusion_loss`, so it returns
        the loss before the update: 3.17 for a fresh model, near the $\log 16 = 2.77$ of a uniform
        guess, give or take the noise of one draw of masks. One SGD step later the loss on the same
        masks is lower.
        """,
        errors="None of its own; the ValueErrors of `diffusion_loss` (step 3.3) pass through.",
        helpers=r"""
        - `diffusion_loss(model, x0, prompt_lengths, eps=1e-3, generator=None, mask_id=None)`: the
          library's (imported), a 0-d loss tensor with a gradient.
        - `torch.nn.utils.clip_grad_norm_(params, max_norm)`: rescales the gradients in place and
          returns their norm before clipping.
        """,
        depends=r"""
        Step 3.3 `diffusion_loss`, which the stub imports from the library, so your chapter-3 code
        never enters here: a bug there costs only step 3.3.
        """,
        pitfalls=r"""
        - Zeroing the gradients after `backward()` (the step then uses none) or not at all (they
          pile up across steps); clipping before `backward()` or after `optimizer.step()`.
        - Returning the loss tensor instead of a float, or not passing `mask_id`, `prompt_lengths`
          and `generator` on to `diffusion_loss`.
        """,
    ),
}

HANDOUTS = {step: {key: textwrap.dedent(text).strip() for key, text in parts.items()}
            for step, parts in _RAW.items()}
