"""The input checks of the public functions, in one place.

Every public function of minillada turns a bad argument into a ``ValueError`` that says what was
expected and what came, before anything deep inside torch can fail with a message about strides or
dtypes. The checks live here so that the chapter modules can call them in one line and then read
as the algorithm.
"""

from __future__ import annotations

import math
import numbers

import torch

REMASKING = ("low_confidence", "random")
# the fast samplers' rules (minillada.fast.decoding): the chapter's two, and two more confidences
FAST_REMASKING = REMASKING + ("margin", "entropy")


def token_ids(x, name: str = "x0", vocab_size: int | None = None, empty_ok: bool = False) -> None:
    """Raise ValueError unless x is a non-empty (batch, seq_len) torch.long tensor (of ids below
    vocab_size). ``empty_ok`` lets rows of length 0 through (an empty prompt); a batch of 0 rows
    never is: every result of it would be empty or nan.

    >>> token_ids(torch.zeros(2, 5, dtype=torch.long))
    >>> token_ids(torch.zeros(2, 5), "x0")
    Traceback (most recent call last):
        ...
    ValueError: x0 must be a (batch, seq_len) tensor of torch.long token ids, got (2, 5) of torch.float32
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.dtype != torch.long:
        got = (f"{tuple(x.shape)} of {x.dtype}" if isinstance(x, torch.Tensor)
               else type(x).__name__)
        raise ValueError(f"{name} must be a (batch, seq_len) tensor of torch.long token ids, got {got}")
    if x.shape[0] == 0 or (x.shape[1] == 0 and not empty_ok):
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): give at least one row of at "
                         "least one token")
    if vocab_size is not None and x.numel() and bool(((x < 0) | (x >= vocab_size)).any()):
        raise ValueError(f"{name}: token ids must lie in 0..{vocab_size - 1}; got min {int(x.min())}, "
                         f"max {int(x.max())} (was the tokenizer the one the model was built for?)")


def token_batch(x, name: str = "x", vocab_size: int | None = None, empty_ok: bool = False) -> torch.Tensor:
    """``x`` (ids, a list or a tensor) as a (batch, length) torch.long tensor; a 1-D sequence
    becomes a batch of one. Floats are refused, never truncated: 4.9 is no token id.

    >>> token_batch(torch.tensor([5, 6, 7]), "prompt").shape
    torch.Size([1, 3])
    """
    x = as_ids(x, name)
    x = x[None, :] if x.dim() == 1 else x
    token_ids(x, name, vocab_size, empty_ok)
    return x


def tokens_for(model, x, name: str, empty_ok: bool = False) -> torch.Tensor:
    """:func:`token_batch` with the ids checked against the model's vocabulary, on the model's
    device: the one line with which a sampler takes its prompt."""
    return token_batch(x, name, vocab_of(model), empty_ok).to(device_of(model))


def as_ids(x, name: str, what: str = "token ids") -> torch.Tensor:
    """``x`` as a long tensor of integers (an empty list becomes an empty long tensor); a
    ValueError for anything else: floats (never silently truncated), bools, strings, ragged lists.

    >>> as_ids([4, 5], "answer").tolist()
    [4, 5]
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        try:
            t = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(f"{name} must be {what} (a list or tensor of ints), got "
                             f"{type(x).__name__} {x!r:.60}") from None
    if t.numel() == 0 and not isinstance(x, torch.Tensor):
        return t.long()                                 # torch.as_tensor([]) is float32
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise ValueError(f"{name} must be integer {what}, got a tensor of {t.dtype} (never rounded: "
                         "4.9 is no integer)")
    return t.long()


def counts(values, batch: int, name: str) -> torch.Tensor:
    """One integer for every row, or one per row, as a (batch,) long tensor (on the device the
    values were on; the range is the caller's to check).

    >>> counts(2, 3, "num_masked").tolist()
    [2, 2, 2]
    """
    t = as_ids(values, name, "counts").reshape(-1)
    if t.numel() not in (1, batch):
        raise ValueError(f"{name} must be one count or one per row: {batch} for this batch, got "
                         f"{t.numel()}")
    return t.expand(batch)


def token_id(value, name: str, vocab_size: int | None = None) -> int:
    """``value`` if it is one token id (an int >= 0, below ``vocab_size`` when that is known).

    >>> token_id(1, "mask_id")
    1
    """
    if not _is_int(value) or value < 0 or (vocab_size is not None and value >= vocab_size):
        inside = "an int >= 0" if vocab_size is None else f"an id inside the vocabulary 0..{vocab_size - 1}"
        raise ValueError(f"{name} must be {inside}, got {value!r}")
    return int(value)


def no_mask(x: torch.Tensor, mask_id: int, name: str, why: str) -> None:
    """Raise ValueError if the token ids ``x`` hold ``mask_id``: [MASK] is the noise the model
    removes, never data it is given (``why`` says what to do instead).

    >>> no_mask(torch.tensor([[4, 1, 6]]), 1, "prompt", "give real tokens")
    Traceback (most recent call last):
        ...
    ValueError: prompt holds the [MASK] id 1 (at position 1): give real tokens
    """
    hits = (x == mask_id).nonzero().tolist()        # [[row, position], ...] or [[position], ...]
    if hits:
        first = hits[0]
        at = (f"row {first[0]}, position {first[1]}" if len(first) == 2 and x.shape[0] > 1
              else f"position {first[-1]}")
        raise ValueError(f"{name} holds the [MASK] id {mask_id} (at {at}): {why}")


def mask_id_of(model, mask_id=None) -> int:
    """``mask_id`` if given, else the model's own ``config.mask_id`` (one source for the fact);
    either way an id inside the model's vocabulary."""
    config = getattr(model, "config", None)
    if mask_id is None:
        if config is None or getattr(config, "mask_id", None) is None:
            raise ValueError("pass mask_id=..., or use a model whose .config has a mask_id")
        return int(config.mask_id)
    return token_id(mask_id, "mask_id", getattr(config, "vocab_size", None))


def vocab_of(model) -> int | None:
    """The model's ``config.vocab_size``, or None for a stand-in model without one (unchecked)."""
    return getattr(getattr(model, "config", None), "vocab_size", None)


def device_of(model, like=None) -> torch.device:
    """The device of the model's first parameter (or buffer); for a model that has neither (a
    constant-logits stand-in a notebook or test might write), the device of ``like`` if it is a
    tensor, else the CPU."""
    tensor = next(model.parameters(), None) if hasattr(model, "parameters") else None
    if tensor is None and hasattr(model, "buffers"):
        tensor = next(model.buffers(), None)
    if tensor is not None:
        return tensor.device
    return like.device if isinstance(like, torch.Tensor) else torch.device("cpu")


def fits(config, n_tokens: int, what: str) -> None:
    """Refuse ``n_tokens`` positions beyond the model's ``max_seq_len`` (``what`` names them).
    A model without a config (a stand-in a test or notebook wrote) is not checked."""
    limit = getattr(config, "max_seq_len", None)
    if limit is not None and n_tokens > limit:
        raise ValueError(f"{what} is longer than max_seq_len={limit}, the model's number of "
                         "positions; use fewer tokens or build a model with a larger max_seq_len")


def positive_int(value, name: str, zero_ok: bool = False) -> int:
    """``value`` as an int if it is an integer >= 1 (>= 0 with ``zero_ok``; NumPy's integers
    count); a ValueError otherwise (a float such as 4.0 included: a count is never a float)."""
    if not _is_int(value) or value < (0 if zero_ok else 1):
        raise ValueError(f"{name} must be a {'non-negative' if zero_ok else 'positive'} int, got "
                         f"{value!r}")
    return int(value)


def flag(value, name: str) -> bool:
    """``value`` if it is a bool (NumPy's counts); a ValueError otherwise. A switch given as
    "yes", 1 or None is a mistake we name rather than read as its truthiness ("no" is truthy)."""
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def padding_mask(mask, shape: tuple, device, name: str = "attention_mask") -> torch.Tensor:
    """``mask`` as a bool tensor of ``shape`` on ``device``: 1/True for a real token, 0/False for
    padding. Lists and int or bool tensors are accepted; floats (is 0.5 real?), strings and other
    shapes are a ValueError.

    >>> padding_mask([[0, 1, 1]], (1, 3), "cpu")
    tensor([[False,  True,  True]])
    """
    try:
        t = torch.as_tensor(mask, device=device)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{name} must be {shape} flags, 1 or True for a real token, got "
                         f"{type(mask).__name__}") from None
    if t.is_floating_point() or t.is_complex():
        raise ValueError(f"{name} must hold 0/1 or True/False flags, got dtype {t.dtype}")
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(t.shape)}")
    if t.dtype != torch.bool and bool(((t != 0) & (t != 1)).any()):
        raise ValueError(f"{name} must hold 0/1 flags, got values {sorted(set(t.unique().tolist()))}")
    return t.bool()


def _is_int(value) -> bool:
    """An integer, NumPy's included, but not a bool (True is no count and no id)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    """A finite real number: not NaN, not infinite, and (an int) not too large for a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def number(value, name: str, low: float = -math.inf, high: float = math.inf,
           open_low: bool = False, open_high: bool = False) -> float:
    """``value`` as a float, if it is a finite real number in the interval from ``low`` to ``high``
    (``open_*``: that end excluded); a ValueError naming ``name`` and the interval otherwise. NaN and
    infinities fail every comparison, so we test for them first.

    >>> number(0.5, "t", 0, 1)
    0.5
    >>> number(float("nan"), "t", 0, 1)
    Traceback (most recent call last):
        ...
    ValueError: t must be a finite number in [0, 1], got nan
    """
    ok = _is_real(value)
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        if math.isfinite(low) and math.isfinite(high):
            where = f" in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        elif math.isfinite(low):
            where = f" {'>' if open_low else '>='} {low:g}"
        elif math.isfinite(high):
            where = f" {'<' if open_high else '<='} {high:g}"
        else:
            where = ""
        raise ValueError(f"{name} must be a finite number{where}, got {value!r}")
    return float(value)


def sampling_temperature(value) -> None:
    if not _is_real(value) or value < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 is greedy), got {value!r}")


def noise_level(t, batch: int) -> torch.Tensor:
    """A given noise level t of the forward process as a float32 (batch,) tensor: one number for
    every row, or one per row, each in [0, 1] (NaN refused).

    >>> noise_level(0.5, 3).tolist()
    [0.5, 0.5, 0.5]
    """
    try:
        if isinstance(t, (bool, str, bytes)) or t is None:
            raise TypeError
        t = torch.as_tensor(t, dtype=torch.float32).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"t must be a number or a (batch,) tensor of numbers in [0, 1], got "
                         f"{type(t).__name__} {t!r:.40}") from None
    if t.numel() not in (1, batch):
        raise ValueError(f"t must be one number or one per row: {batch} for this batch, got {t.numel()}")
    if not bool(((t >= 0) & (t <= 1)).all()):          # written so that NaN fails too
        raise ValueError(f"t must lie in [0, 1], got {t.tolist()}")
    return t.expand(batch)


def blocks(gen_length, block_length, steps) -> int:
    """The number of blocks of a semi-autoregressive layout, after checking that it tiles."""
    positive_int(gen_length, "gen_length")
    positive_int(block_length, "block_length")
    if gen_length % block_length:
        raise ValueError(f"gen_length={gen_length} must be a positive multiple of block_length="
                         f"{block_length}")
    num_blocks = gen_length // block_length
    if steps % num_blocks:
        raise ValueError(f"steps={steps} must be divisible by the number of blocks "
                         f"gen_length / block_length = {num_blocks}")
    return num_blocks


DEVICE_KINDS = ("cpu", "cuda", "mps")


def device_name(name, what: str = "device") -> str:
    """Raise ValueError unless ``name`` is a device string minillada knows: "auto", "cpu", "cuda",
    "cuda:N" or "mps" (whether this machine has it is :func:`device`'s question).

    >>> device_name("cuda:1")
    'cuda:1'
    """
    known = "auto, cpu, cuda, cuda:N or mps"
    if not isinstance(name, str):
        raise ValueError(f"{what} must be a string ({known}), got {type(name).__name__} {name!r}")
    if name == "auto":
        return name
    try:
        kind = torch.device(name).type
    except (RuntimeError, ValueError):
        kind = None
    if kind not in DEVICE_KINDS:
        raise ValueError(f"{what} must be one of {known}, got {name!r}")
    return name


def device(name, what: str = "device") -> torch.device:
    """The torch.device for ``name`` ("auto": a CUDA GPU if there is one, else the CPU), after
    checking that torch can use it on this machine, so that a wrong --device fails at once with a
    clear message rather than deep inside the first tensor copy.

    >>> device("cpu")
    device(type='cpu')
    """
    device_name(name, what)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{what} {name!r} asked for, but torch sees no CUDA GPU here; use cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{what} {name!r} asked for, but torch sees {torch.cuda.device_count()} "
                             f"CUDA GPU(s): cuda:0..cuda:{torch.cuda.device_count() - 1}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{what} {name!r} asked for, but torch has no MPS (Apple GPU) backend here; "
                         "use cpu")
    return dev


# ---- the doors: one call per public entry point of a chapter -------------------------------------
#
# Each function below checks every argument of one public function (named in its first line) and
# returns what that function goes on with: ids as tensors on the right device, a resolved mask_id.
# A chapter function calls its door in one line and then reads as the algorithm. Where a door calls
# another public function, it leaves to that function's door what that door checks.

def prompt_lengths(lengths, batch: int, seq_len: int, need_answer: bool = False) -> torch.Tensor:
    """``prompt_mask``'s and the losses' door: one prompt length per row, as a (batch,) long tensor
    (where the lengths were: the CPU in a training loop, so the check costs the GPU nothing), each
    in 0..seq_len; with ``need_answer`` below seq_len, so that every row keeps an answer token.

    >>> prompt_lengths([1, 3], 2, 4).tolist()
    [1, 3]
    """
    lengths = as_ids(lengths, "prompt_lengths", "lengths").reshape(-1)
    if lengths.numel() != batch:
        raise ValueError(f"prompt_lengths has {lengths.numel()} entries for a batch of {batch} rows")
    if bool(((lengths < 0) | (lengths > seq_len)).any()):
        raise ValueError(f"prompt_lengths must lie in 0..{seq_len} (the sequence length), got "
                         f"{lengths.tolist()}")
    if need_answer and bool((lengths >= seq_len).any()):
        raise ValueError("every row needs at least one answer token after its prompt; "
                         f"prompt_lengths {lengths.tolist()} leave none in sequences of length {seq_len}")
    return lengths


def forward_process_args(x0, mask_id, t, eps) -> torch.Tensor | None:
    """``forward_process``'s door: ids x0, a token id, a noise level per row (None: drawn there)
    and eps in [0, 1). Returns t as a (B,) tensor, or None."""
    token_ids(x0, "x0")
    token_id(mask_id, "mask_id")
    number(eps, "eps", 0, 1, open_high=True)
    return None if t is None else noise_level(t, x0.shape[0])


def diffusion_loss_args(model, x0, prompt_lengths_, mask_id) -> int:
    """``diffusion_loss``'s door (``forward_process``'s checks the rest): clean ids without
    [MASK], and prompts that leave every row an answer token. Returns the mask id."""
    mask_id = mask_id_of(model, mask_id)
    token_ids(x0, "x0")
    no_mask(x0, mask_id, "x0", "x0 is the clean data; the forward process adds the masks")
    if prompt_lengths_ is not None:
        prompt_lengths(prompt_lengths_, *x0.shape, need_answer=True)
    return mask_id


def block_size_of(block_size, T: int, what: str) -> None:
    """A block-diffusion block size: a positive int that tiles ``what``'s ``T`` positions."""
    positive_int(block_size, "block_size")
    if T % block_size:
        raise ValueError(f"{what} ({T} positions) must be a multiple of block_size={block_size}: "
                         "block diffusion cuts the sequence into whole blocks")


def block_diffusion_args(model, x0, block_size, prompt_lengths_, mask_id) -> int:
    """``block_diffusion_loss``'s door: ``diffusion_loss``'s, a bidirectional model, and whole
    blocks. Returns the mask id."""
    if getattr(getattr(model, "config", None), "causal", False):
        raise ValueError("block diffusion needs a bidirectional model (causal=False): the attention "
                         "mask of block diffusion replaces the causal one")
    mask_id = diffusion_loss_args(model, x0, prompt_lengths_, mask_id)
    block_size_of(block_size, x0.shape[1], "the sequence length")
    return mask_id


def generate_blocks_args(model, prompt, gen_length, block_size, steps_per_block, temperature,
                         remasking, kv_cache, mask_id, top_k, top_p, **unchecked):
    """``generate_blocks``'s door. Returns (the prompt as (B, P) ids on the model's device, mask_id)."""
    if getattr(getattr(model, "config", None), "causal", False):
        raise ValueError("generate_blocks needs a block-diffusion model (causal=False)")
    positive_int(gen_length, "gen_length")
    positive_int(block_size, "block_size")
    if steps_per_block is not None:
        positive_int(steps_per_block, "steps_per_block")
    sampling_args(model, 1, temperature, remasking, 0., None, FAST_REMASKING)
    flag(kv_cache, "kv_cache")
    decoding_rules(top_k, top_p, 0, None)
    mask_id = mask_id_of(model, mask_id)
    prompt = tokens_for(model, prompt, "prompt", empty_ok=True)
    no_mask(prompt, mask_id, "prompt", "the answer is what generate_blocks fills in")
    fits(model.config, prompt.shape[1] + gen_length,
         f"prompt ({prompt.shape[1]} tokens) + gen_length ({gen_length})")
    return prompt, mask_id


def autoregressive_loss_args(model, x0, prompt_lengths_) -> None:
    """``autoregressive_loss``'s door: a causal model, ids of at least 2 tokens a row."""
    config = getattr(model, "config", None)
    if config is not None and not getattr(config, "causal", True):
        raise ValueError("autoregressive_loss needs a causal model (ModelConfig(causal=True)): a "
                         "bidirectional model would see the very token it must predict")
    token_ids(x0, "x0")
    if x0.shape[1] < 2:
        raise ValueError("autoregressive_loss needs sequences of at least 2 tokens")
    if prompt_lengths_ is not None:
        prompt_lengths(prompt_lengths_, *x0.shape, need_answer=True)


def mask_exactly_args(x0, num_masked, mask_id, prompt_lengths_) -> tuple[torch.Tensor, torch.Tensor]:
    """``mask_exactly``'s door: ids x0, a mask id, and for every row a count that fits the
    positions after its prompt. Returns (the (B, T) prompt mask, the (B,) counts), on x0's device."""
    token_ids(x0, "x0")
    token_id(mask_id, "mask_id")
    B, T = x0.shape
    if prompt_lengths_ is None:
        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)
    else:
        lengths = prompt_lengths(prompt_lengths_, B, T).to(x0.device)
        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]  # (B, T)
    num = counts(num_masked, B, "num_masked").to(x0.device)                    # (B,)
    room = T - prompt.sum(dim=1)
    if bool(((num < 0) | (num > room)).any()):
        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "
                         "positions after the prompt")
    return prompt, num


def _sequence(seq, name, device, vocab_size=None) -> torch.Tensor:
    """One 1-D sequence of token ids (a list or a tensor) on ``device``."""
    t = as_ids(seq, name).to(device)
    if t.dim() != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {tuple(t.shape)}")
    if vocab_size is not None and t.numel() and bool(((t < 0) | (t >= vocab_size)).any()):
        raise ValueError(f"{name}: token ids must lie in 0..{vocab_size - 1}, the model's vocabulary; "
                         f"got min {int(t.min())}, max {int(t.max())}")
    return t


def prompt_and_answer(model, prompt, answer, mask_id=None) -> tuple[torch.Tensor, int, int]:
    """The door of the likelihood functions: a (prompt, answer) pair of 1-D id sequences (neither
    may hold ``mask_id``, when given; the answer not empty) that fits the model. Returns the joined
    1-D sequence on the model's device, P and L.

    >>> seq, P, L = prompt_and_answer(None, [4, 5], [6])
    >>> seq.tolist(), P, L
    ([4, 5, 6], 2, 1)
    """
    device = device_of(model, like=prompt)
    vocab_size = vocab_of(model)
    prompt = _sequence(prompt, "prompt", device, vocab_size)
    answer = _sequence(answer, "answer", device, vocab_size)
    if answer.numel() == 0:
        raise ValueError("the answer is empty: there is nothing to score")
    if mask_id is not None:
        for name, ids in (("prompt", prompt), ("answer", answer)):
            no_mask(ids, mask_id, name, "a prompt and an answer are text; the estimator masks the "
                    "answer itself")
    fits(getattr(model, "config", None), prompt.numel() + answer.numel(),
         f"prompt ({prompt.numel()} tokens) + answer ({answer.numel()} tokens)")
    return torch.cat([prompt, answer]), prompt.numel(), answer.numel()


ESTIMATORS = ("l", "t")


def log_likelihood_args(model, prompt, answer, mc_num, batch_size, cfg_scale, mask_id, estimator,
                        eps, generator=None) -> tuple[int, torch.Tensor, int, int]:
    """``log_likelihood``'s door. Returns (mask_id, the joined sequence, P, L)."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be 'l' (LLaDA Eq. 14) or 't' (Eq. 12), got {estimator!r}")
    positive_int(mc_num, "mc_num")
    positive_int(batch_size, "batch_size")
    number(cfg_scale, "cfg_scale (0 is no guidance)", 0)
    number(eps, "eps", 0, 1, open_high=True)
    if mc_num % batch_size:
        raise ValueError(f"mc_num={mc_num} must be a positive multiple of batch_size={batch_size}; "
                         f"try mc_num={max(1, round(mc_num / batch_size)) * batch_size}")
    mask_id = mask_id_of(model, mask_id)
    return (mask_id, *prompt_and_answer(model, prompt, answer, mask_id))


def stratified_mask_counts_args(batch_size, L) -> None:
    """``stratified_mask_counts``'s door: two counts."""
    positive_int(batch_size, "batch_size")
    positive_int(L, "L (the answer length)")


def choose_args(choices) -> None:
    """``choose``'s door: at least one choice (each is checked where it is scored)."""
    if len(choices) == 0:
        raise ValueError("choose needs at least one choice")


MAX_EXACT_ANSWER = 12  # exact_elbo runs 2^L - 1 forward passes: 4095 at L = 12


def exact_elbo_args(model, prompt, answer, mask_id, batch_size) -> tuple[int, torch.Tensor, int, int]:
    """``exact_elbo``'s door: an answer short enough to enumerate. Returns (mask_id, seq, P, L)."""
    positive_int(batch_size, "batch_size")
    mask_id = mask_id_of(model, mask_id)
    seq, P, L = prompt_and_answer(model, prompt, answer, mask_id)
    if L > MAX_EXACT_ANSWER:
        raise ValueError(f"exact_elbo enumerates all 2^L - 1 mask patterns of the answer; L={L} would "
                         f"need {2 ** L - 1} forward passes. Use log_likelihood (Monte Carlo) for "
                         f"answers longer than {MAX_EXACT_ANSWER} tokens")
    return mask_id, seq, P, L


def autoregressive_log_likelihood_args(model, prompt, answer) -> tuple[torch.Tensor, int, int]:
    """``autoregressive_log_likelihood``'s door: a causal model and a non-empty prompt."""
    config = getattr(model, "config", None)
    if config is not None and not config.causal:
        raise ValueError("autoregressive_log_likelihood needs a causal model; for a masked "
                         "diffusion model use log_likelihood or exact_elbo")
    seq, P, L = prompt_and_answer(model, prompt, answer)
    if P == 0:
        raise ValueError("the prompt is empty: an AR model needs at least one token (e.g. [BOS]) "
                         "to predict the first answer token from")
    return seq, P, L


def masked_token_ce_args(model, windows, rate, mask_id, batch_size, **unchecked) -> tuple[int, torch.Tensor]:
    """``masked_token_ce``'s door. Returns (mask_id, the windows as a (N, T) long tensor)."""
    number(rate, "rate", 0, 1, open_low=True)
    positive_int(batch_size, "batch_size")
    mask_id = mask_id_of(model, mask_id)
    windows = as_ids(windows, "windows")
    token_ids(windows, "windows", vocab_of(model))
    return mask_id, windows


def sampling_args(model, steps, temperature, remasking, cfg_scale, threshold=None,
                  rules=REMASKING) -> None:
    """The numbers shared by the samplers (``generate``, ``infill`` and their fast versions)."""
    if not hasattr(model, "config"):
        raise ValueError("the model needs a .config (a minillada Transformer has one)")
    positive_int(steps, "steps")
    if remasking not in rules:
        hint = ("" if remasking not in FAST_REMASKING else
                f"; {remasking!r} is a rule of ml.generate_fast and ml.infill_fast")
        raise ValueError(f"remasking must be one of {rules}, got {remasking!r}{hint}")
    sampling_temperature(temperature)
    number(cfg_scale, "cfg_scale (0 is no guidance)", 0)
    if threshold is not None:
        number(threshold, "threshold", 0, 1, open_low=True)


def generate_args(model, prompt, steps, gen_length, block_length, temperature, cfg_scale, remasking,
                  mask_id, threshold=None, rules=REMASKING, **unchecked) -> tuple[torch.Tensor, int, int]:
    """``generate``'s door (and ``generate_fast``'s; ``unchecked`` takes the arguments that need no
    check here, such as the generator). Returns (the prompt as (B, P) ids on the model's device,
    mask_id, the number of blocks)."""
    sampling_args(model, steps, temperature, remasking, cfg_scale, threshold, rules)
    num_blocks = blocks(gen_length, block_length, steps)
    mask_id = mask_id_of(model, mask_id)
    prompt = tokens_for(model, prompt, "prompt", empty_ok=True)   # empty: unconditional
    no_mask(prompt, mask_id, "prompt", "the answer is what generate fills in; to fill in [MASK] "
            "positions inside a text, use infill()")
    P = prompt.shape[1]
    fits(model.config, P + gen_length, f"prompt ({P} tokens) + gen_length ({gen_length})")
    return prompt, mask_id, num_blocks


def decoding_rules(top_k, top_p, remask_decoded, threshold) -> None:
    """The options of ``minillada.fast.decoding``: a top-k of at least 1, a top-p in (0, 1], a
    count of tokens to take back of at least 0, and no taking back with a threshold (which may end
    a block early, before the tokens taken back are predicted again)."""
    if top_k is not None:
        positive_int(top_k, "top_k")
    if top_p is not None:
        number(top_p, "top_p", 0, 1, open_low=True)
    positive_int(remask_decoded, "remask_decoded", zero_ok=True)
    if remask_decoded and threshold is not None:
        raise ValueError("remask_decoded > 0 with a threshold is not supported: the threshold may end a "
                         "block before the tokens taken back are predicted again; give one of them")


def generate_fast_args(model, prompt, cfg_scale, kv_cache, top_k, top_p, remask_decoded,
                       **rest) -> tuple[torch.Tensor, int, int]:
    """``generate_fast``'s door: ``generate``'s with the fast rules, the decoding options, and the
    prefix cache without guidance."""
    checked = generate_args(model, prompt, cfg_scale=cfg_scale, rules=FAST_REMASKING, **rest)
    decoding_rules(top_k, top_p, remask_decoded, rest.get("threshold"))
    if kv_cache and cfg_scale > 0:
        raise ValueError("kv_cache=True does not support classifier-free guidance (cfg_scale > 0)")
    return checked


def infill_fast_args(top_k, top_p, remask_decoded, **rest) -> tuple[torch.Tensor, int, int]:
    """``infill_fast``'s door: ``infill``'s with the fast rules and the decoding options."""
    checked = infill_args(rules=FAST_REMASKING, **rest)
    decoding_rules(top_k, top_p, remask_decoded, rest.get("threshold"))
    return checked


def infill_args(model, x, steps, temperature, cfg_scale, remasking, mask_id, threshold=None,
                rules=REMASKING, **unchecked) -> tuple[torch.Tensor, int, int]:
    """``infill``'s door. Returns (x as (B, T) ids on the model's device, mask_id, steps: by
    default one per mask of the row with the most)."""
    mask_id = mask_id_of(model, mask_id)
    x = tokens_for(model, x, "x")
    if steps is None:
        steps = max(int(x.eq(mask_id).sum(dim=1).max()), 1)
    sampling_args(model, steps, temperature, remasking, cfg_scale, threshold, rules)
    return x, mask_id, steps


def bench_args(model, prompts, gen_length, block_length, repeats, progress, block_size=None) -> None:
    """``fast.bench.bench``'s door: prompts (B, P) that fit with the answer, a block layout that
    tiles (a masked diffusion model's), at least one timed repeat."""
    positive_int(gen_length, "gen_length")
    positive_int(repeats, "repeats")
    flag(progress, "progress")
    if block_size is not None:
        positive_int(block_size, "block_size")
    elif not getattr(getattr(model, "config", None), "causal", False):
        blocks(gen_length, block_length, gen_length)           # one token a step
    prompt = tokens_for(model, prompts, "prompts")
    fits(model.config, prompt.shape[1] + gen_length,
         f"prompts ({prompt.shape[1]} tokens) + gen_length ({gen_length})")


def generate_autoregressive_args(model, prompt, max_new_tokens, temperature, eos_id,
                                 **unchecked) -> torch.Tensor:
    """``generate_autoregressive``'s door. Returns the prompt as (B, P) ids on the model's device."""
    if not getattr(getattr(model, "config", None), "causal", False):
        raise ValueError("generate_autoregressive needs a causal model (ModelConfig(causal=True)); "
                         "for a masked diffusion model use generate")
    sampling_temperature(temperature)
    positive_int(max_new_tokens, "max_new_tokens", zero_ok=True)
    x = tokens_for(model, prompt, "prompt", empty_ok=True)
    if eos_id is not None:
        token_id(eos_id, "eos_id", vocab_of(model))
    if x.shape[1] == 0:
        raise ValueError("the prompt is empty: give at least one token (e.g. [BOS])")
    fits(model.config, x.shape[1] + max_new_tokens,
         f"prompt ({x.shape[1]} tokens) + max_new_tokens ({max_new_tokens})")
    return x


def guidance_scale(cfg_scale) -> None:
    """``guided_logits``'s door: a guidance strength >= 0."""
    if cfg_scale < 0:
        raise ValueError(f"cfg_scale must be >= 0 (0 means no guidance), got {cfg_scale}")


# ---- chapter 2: the model ------------------------------------------------------------------------

def model_config(config) -> None:
    """``ModelConfig``'s door: every field (``mlp_hidden`` may still be None, the default width)."""
    def need(ok, msg):
        if not ok:
            raise ValueError(f"ModelConfig: {msg}")

    for name in ("vocab_size", "d_model", "n_layers", "n_heads", "max_seq_len"):
        v = getattr(config, name)
        need(_is_int(v) and v > 0, f"{name} must be a positive int, got {v!r}")
    need(isinstance(config.mask_id, int) and 0 <= config.mask_id < config.vocab_size,
         f"mask_id={config.mask_id!r} must be an id inside the vocabulary 0..{config.vocab_size - 1} "
         "(use tok.mask_id)")
    need(config.d_model % config.n_heads == 0,
         f"d_model={config.d_model} must be divisible by n_heads={config.n_heads}")
    need((config.d_model // config.n_heads) % 2 == 0,
         f"the head size d_model/n_heads={config.d_model // config.n_heads} must be even for RoPE")
    need(config.mlp_hidden is None or (isinstance(config.mlp_hidden, int) and config.mlp_hidden > 0),
         f"mlp_hidden must be a positive int, got {config.mlp_hidden!r}")
    need(isinstance(config.causal, bool), f"causal must be True or False, got {config.causal!r}")
    # the floats: finite, and positive where a zero or a negative breaks the network (a negative
    # init_std fails inside torch's initialiser; norm_eps <= 0 can divide by zero). init_std = 0 is
    # allowed: all-zero weights give the uniform model the handouts use.
    number(config.dropout, "ModelConfig: dropout", 0, 1, open_high=True)
    number(config.init_std, "ModelConfig: init_std", 0)
    for name in ("rope_theta", "norm_eps"):
        number(getattr(config, name), f"ModelConfig: {name}", 0, open_low=True)


def preset_name(name, presets) -> None:
    """The door of ``ModelConfig.preset`` and ``TrainConfig.preset``: a name ``presets`` has."""
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(presets)}")


def kind_of(value, cls, what: str) -> None:
    """Raise ValueError ``"{what}, got {type}"`` unless ``value`` is a ``cls``."""
    if not isinstance(value, cls):
        raise ValueError(f"{what}, got {type(value).__name__}")


def _capturing_cuda_graph() -> bool:
    return torch.cuda.is_available() and torch.cuda.is_current_stream_capturing()


def model_input(config, x, use_cache) -> None:
    """``Transformer.forward``'s door: a (B, T) long tensor that fits ``max_seq_len`` (metadata: no
    cost on any device); its ids inside the vocabulary only when x is on the CPU, since reading
    them on a GPU would stop it once per forward (the chapters' doors check ids on the host before
    they move them). Nothing is read while torch.compile traces or a CUDA graph is captured."""
    if torch.compiler.is_compiling() or _capturing_cuda_graph():
        return
    on_cpu = isinstance(x, torch.Tensor) and x.device.type == "cpu"
    token_ids(x, "model input", config.vocab_size if on_cpu else None)
    fits(config, x.shape[1], f"sequence length {x.shape[1]}")
    flag(use_cache, "use_cache")


# ---- chapter 1: tokenizers -----------------------------------------------------------------------

def require(ok, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``: the one-line form of a condition that has no
    door of its own (``checks.require(words, "train needs at least one word")``)."""
    if not ok:
        raise ValueError(message)


def encode_args(text, allow_special) -> None:
    """``Tokenizer.encode``'s door: a str, and a bool switch."""
    if not isinstance(text, str):
        raise ValueError(f"encode() takes a str, got {type(text).__name__}")
    flag(allow_special, "allow_special")


def special_token_hint(error: ValueError, has_special: bool) -> ValueError:
    """``error`` (an unknown symbol), with a hint when the text held a special token's string."""
    if not has_special:
        return error
    return ValueError(f"{error} (the text contains a special token such as [MASK]: pass "
                      "allow_special=True to encode it as one)")


def decode_args(ids, skip_special, vocab_size: int) -> list[int]:
    """``Tokenizer.decode``'s door: ids (a list or a 1-D tensor) as a list of ints inside the
    vocabulary, and a bool switch."""
    ids = ids.tolist() if hasattr(ids, "tolist") else ids
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise ValueError(f"decode() takes a list or 1-D tensor of ids, got {type(ids).__name__}")
    flag(skip_special, "skip_special")
    for pos, i in enumerate(ids):
        if not _is_int(i):                              # 4.9 is no id: not truncated
            raise ValueError(f"ids must be ints; got {type(i).__name__} {i!r} at position {pos}")
        if not 0 <= i < vocab_size:
            raise ValueError(f"id {i} at position {pos} is outside the vocabulary "
                             f"(0..{vocab_size - 1})")
    return [int(i) for i in ids]


def tokenizer_header(data, path, header: dict, registry: dict):
    """``load_tokenizer``'s door: the parsed JSON of a tokenizer file has a known ``kind`` and the
    fields of ``header`` (version, special tokens). Returns the class to rebuild it with."""
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"{path} is JSON but not a minillada tokenizer file: it has no 'kind' field")
    if not isinstance(data["kind"], str):
        raise ValueError(f"{path} has a 'kind' of type {type(data['kind']).__name__}; expected a "
                         f"string, one of {sorted(registry)}")
    if data.get("version") != header["version"]:
        raise ValueError(f"{path} has tokenizer format version {data.get('version')!r}; "
                         f"this minillada reads version {header['version']}")
    if data.get("special_tokens") != header["special_tokens"]:
        raise ValueError(f"{path} has special tokens {data.get('special_tokens')!r}, "
                         f"expected {header['special_tokens']}")
    if data["kind"] not in registry:
        raise ValueError(f"{path} has unknown tokenizer kind {data['kind']!r}; "
                         f"known kinds: {sorted(registry)}")
    return registry[data["kind"]]


def vocabulary(symbols, special_tokens) -> list[str]:
    """A vocabulary's symbols as a list: distinct non-empty strings, none a special token."""
    symbols = list(symbols)
    if len(set(symbols)) != len(symbols):
        raise ValueError("the vocabulary lists a symbol twice")
    if any(not isinstance(s, str) or not s or s in special_tokens for s in symbols):
        raise ValueError("every symbol must be a non-empty string other than a special token")
    return symbols


def saved_symbols(symbols, limit: int) -> list:
    """The ``symbols`` of a tokenizer file: a list of at most ``limit``."""
    if not isinstance(symbols, list):
        raise ValueError(f"'symbols' must be a list of strings, got a {type(symbols).__name__}")
    if len(symbols) > limit:
        raise ValueError(f"'symbols' lists {len(symbols):,} symbols; at most {limit:,} are allowed")
    return symbols


def bpe_merges(merges, byte_offset: int, first_id: int, limits: dict) -> None:
    """``BPETokenizer``'s door: a merge list in which merge k joins two ids that exist before it,
    repeats no pair, and makes no token (nor all of them) larger than ``limits`` allow. The sizes
    are added up before any bytes are built: a hostile file cannot make us allocate them."""
    if len(merges) > limits["vocab_size"] - first_id:
        raise ValueError(f"{len(merges):,} merges; at most {limits['vocab_size'] - first_id:,} are "
                         f"allowed (a vocabulary of {limits['vocab_size']:,})")
    size_of = {byte_offset + b: 1 for b in range(256)}      # the bytes each token stands for
    seen: dict = {}
    total = 256
    for k, (a, b) in enumerate(merges):
        if a not in size_of or b not in size_of:
            raise ValueError(f"merge {k} uses token ids {a}, {b} that do not exist before it")
        if (a, b) in seen:
            raise ValueError(f"merge {k} repeats the pair ({a}, {b}) of merge {seen[(a, b)]}")
        size = size_of[a] + size_of[b]
        total += size
        if size > limits["token_bytes"] or total > limits["total_bytes"]:
            raise ValueError(f"merge {k} makes a token of {size:,} bytes ({total:,} for all tokens "
                             f"so far); at most {limits['token_bytes']:,} bytes a token and "
                             f"{limits['total_bytes']:,} in all are allowed")
        size_of[first_id + k] = size
        seen[(a, b)] = k


def bpe_train_args(text, vocab_size, first_id: int) -> None:
    """``BPETokenizer.train``'s door: some text, and room for at least the 256 bytes."""
    if not isinstance(text, str) or not text:
        raise ValueError("BPETokenizer.train needs a non-empty string")
    if not isinstance(vocab_size, int) or vocab_size < first_id:
        raise ValueError(f"vocab_size must be an int of at least {first_id} "
                         f"(4 special tokens + 256 bytes), got {vocab_size!r}")


def saved_merges(merges) -> list:
    """The ``merges`` of a tokenizer file: a list of [id, id] pairs of ints."""
    if not isinstance(merges, list) or not all(
            isinstance(m, list) and len(m) == 2 and all(type(x) is int for x in m) for m in merges):
        raise ValueError("'merges' must be a list of [id, id] pairs of ints")
    return merges


# ---- chapter 6: data and training ----------------------------------------------------------------

def train_config(config, choices: dict) -> None:
    """``TrainConfig``'s door: every field (``choices``: the fields that name one of a few)."""
    for name, allowed in choices.items():
        if getattr(config, name) not in allowed:
            raise ValueError(f"TrainConfig.{name} must be one of {allowed}, got "
                             f"{getattr(config, name)!r}")
    for name in ("batch_size", "grad_accum", "max_steps", "eval_batches"):
        positive_int(getattr(config, name), f"TrainConfig.{name}")
    for name in ("warmup_steps", "eval_every", "save_every", "seed"):
        positive_int(getattr(config, name), f"TrainConfig.{name}", zero_ok=True)
    if positive_int(config.seq_len, "TrainConfig.seq_len") < 2:
        raise ValueError(f"TrainConfig.seq_len must be at least 2, got {config.seq_len}")
    if positive_int(config.bpe_vocab_size, "TrainConfig.bpe_vocab_size") < 260:
        raise ValueError("TrainConfig.bpe_vocab_size must be at least 260 (4 special tokens + "
                         f"256 bytes), got {config.bpe_vocab_size}")
    if config.seed >= 2 ** 63:
        raise ValueError(f"TrainConfig.seed must be below 2**63 (torch's seed range), got {config.seed}")
    number(config.lr, "TrainConfig.lr", 0, open_low=True)
    number(config.weight_decay, "TrainConfig.weight_decay", 0)
    number(config.grad_clip, "TrainConfig.grad_clip (0 disables clipping)", 0)
    for name in ("min_lr_ratio", "decay_fraction"):
        number(getattr(config, name), f"TrainConfig.{name}", 0, 1)
    for name in ("beta1", "beta2", "mask_eps"):
        number(getattr(config, name), f"TrainConfig.{name}", 0, 1, open_high=True)
    for name in ("bf16", "compile", "cuda_graph", "progress"):
        flag(getattr(config, name), f"TrainConfig.{name}")
    device_name(config.device, "TrainConfig.device")
    if config.cuda_graph and (config.compile or config.grad_accum > 1):
        raise ValueError("cuda_graph=True works alone: not with compile=True (choose one fast "
                         "path) and not with grad_accum > 1 (each replay overwrites the gradients)")
    positive_int(config.block_size, "TrainConfig.block_size")
    if config.objective == "bd3":
        block_size_of(config.block_size, config.seq_len, "TrainConfig.seq_len")
        if config.compile or config.cuda_graph:
            raise ValueError("objective='bd3' runs the model's layers with its own attention mask, "
                             "which compile=True and cuda_graph=True do not wrap; leave them off")


def train_args(model, data, config, config_type, resume, out_dir, **unchecked) -> None:
    """``train``'s door: a ``config_type`` (TrainConfig), data with ``sample``, a causal model for
    the AR objective, and a run directory to resume from."""
    if not isinstance(config, config_type):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not hasattr(data, "sample"):
        raise ValueError(f"data must be a TextDataset or SFTDataset (anything with sample(rows, "
                         f"generator)), got {type(data).__name__}")
    if config.objective == "ar" and not model.config.causal:
        raise ValueError("objective='ar' needs a model built with causal=True")
    if config.objective == "bd3" and model.config.causal:
        raise ValueError("objective='bd3' needs a model built with causal=False")
    if resume and out_dir is None:
        raise ValueError("resume=True needs the out_dir of the run to resume")


def finite_loss(loss: float, step: int) -> None:
    """Stop a run whose loss became NaN or infinite (a FloatingPointError: no bad argument)."""
    if not math.isfinite(loss):
        raise FloatingPointError(f"the loss became {loss} at step {step}; "
                                 "try a smaller lr or a longer warmup")


def resumable(ckpt, skipped: list, out_dir) -> None:
    """Refuse to resume from a run directory whose checkpoints are all damaged."""
    if ckpt is None and skipped:
        raise ValueError(f"cannot resume: no intact checkpoint in {out_dir} ({'; '.join(skipped)}); "
                         "repair or remove the damaged ones, or start over with overwrite=True "
                         "(--overwrite)")


def text_dataset_args(ids, seq_len) -> torch.Tensor:
    """``TextDataset``'s door: a stream of ids at least one window long. Returns it flat."""
    ids = as_ids(ids, "ids").reshape(-1)
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 2:
        raise ValueError(f"seq_len must be an int of at least 2, got {seq_len!r}")
    if ids.numel() < seq_len:
        raise ValueError(f"the text has {ids.numel()} tokens, fewer than seq_len={seq_len}; "
                         "use more text or a shorter seq_len")
    return ids


def sft_pairs(pairs, seq_len) -> tuple[list, int]:
    """``SFTDataset``'s door: (prompt, answer) pairs of ids, not every answer empty, each fitting
    ``seq_len`` with one [EOS] (default: the longest). Returns (the pairs as lists, seq_len)."""
    # ints, checked (a string or 4.9 is no token id)
    pairs = [(as_ids(p, "prompt").tolist(), as_ids(a, "answer").tolist()) for p, a in pairs]
    if not pairs:
        raise ValueError("SFTDataset needs at least one (prompt, answer) pair")
    if not any(a for _, a in pairs):
        raise ValueError(f"every answer of the {len(pairs)} pairs is empty: SFT learns only the "
                         "answers, so the model would learn to answer nothing (is the "
                         "answer, or 'completion', field filled in?)")
    longest = max(len(p) + len(a) + 1 for p, a in pairs)  # + 1: at least one [EOS]
    seq_len = longest if seq_len is None else seq_len
    if longest > seq_len:
        raise ValueError(f"the longest pair needs {longest} tokens with its [EOS], more than "
                         f"seq_len={seq_len}")
    return pairs, seq_len


# ---- chapter 7: the reversal experiment ----------------------------------------------------------

def reversal_task(task, n_facts, paired_fraction, phrasings, limits: dict, what: str = "",
                  **unchecked) -> None:
    """``make_task``'s door (and ``ReversalConfig``'s, with ``what="ReversalConfig."``): a known
    task (``limits``: the most facts of each), a number of facts it can write, and a paired
    fraction that leaves a test fact."""
    if task not in limits:
        raise ValueError(f"{what}task must be one of {tuple(limits)}, got {task!r}")
    if phrasings is not None and (isinstance(phrasings, bool) or not isinstance(phrasings, int)
                                  or phrasings < 1):
        raise ValueError(f"{what}phrasings must be a positive number of templates (or None), got "
                         f"{phrasings!r}")
    number(paired_fraction, f"{what}paired_fraction", 0, 1, open_high=True)
    positive_int(n_facts, f"{what}n_facts")
    if n_facts > limits[task]:
        raise ValueError(f"{what}n_facts={n_facts} is more than the {limits[task]} facts of task "
                         f"{task!r} that distinct made-up words can write")
    if n_facts - round(paired_fraction * n_facts) < 1:
        raise ValueError(f"{what}n_facts={n_facts} with paired_fraction={paired_fraction} leaves no "
                         "test fact")


def reversal_config(config, limits: dict, optimizers: tuple) -> None:
    """``ReversalConfig``'s door: every setting, before any word is drawn."""
    if config.optimizer not in optimizers:
        raise ValueError(f"ReversalConfig.optimizer must be one of {optimizers}, got "
                         f"{config.optimizer!r}")
    reversal_task(config.task, config.n_facts, config.paired_fraction, config.phrasings, limits,
                  "ReversalConfig.")
    for name in ("steps", "batch_size", "d_model", "n_layers", "n_heads", "stop_patience"):
        positive_int(getattr(config, name), f"ReversalConfig.{name}")
    for name in ("seed", "eval_every"):
        positive_int(getattr(config, name), f"ReversalConfig.{name}", zero_ok=True)
    number(config.lr, "ReversalConfig.lr", 0, open_low=True)
    number(config.weight_decay, "ReversalConfig.weight_decay", 0)
    device_name(config.device, "ReversalConfig.device")
    if config.stop_forward is not None:
        number(config.stop_forward, "ReversalConfig.stop_forward (None: no early stop)", 0, 1)


def jsonl_questions(records, path) -> None:
    """The questions of a JSONL test file: each has a prompt for the AR model to continue."""
    for n, record in enumerate(records, start=1):
        if not record["prompt"].strip():
            raise ValueError(f"{path}: question {n} has an empty prompt; the AR model "
                             "needs at least one token to continue")


def encoded_line(prompt, completion, n: int, what: str, is_question: bool) -> None:
    """Line ``n`` of a JSONL file, encoded: some words, and for a question an answer to check."""
    if not prompt + completion:
        raise ValueError(f"{what}: line {n} has no words in its prompt or completion")
    if not completion and is_question:
        raise ValueError(f"{what}: question {n} has no words in its completion")


def unknown_symbol(kind: str, symbol: str, position: int) -> ValueError:
    """The error of a character or word that a tokenizer's training text did not have."""
    return ValueError(f"{kind} {symbol!r} at position {position} was not in the training text; "
                      "retrain the tokenizer on text that contains it")


def split_args(n_tokens: int, cut: int, seq_len: int, val_fraction) -> None:
    """``TextDataset.split``'s door: both halves hold at least one window."""
    if cut < seq_len or n_tokens - cut < seq_len:
        raise ValueError(f"the text ({n_tokens} tokens) is too short to split "
                         f"{val_fraction:.0%} off with seq_len={seq_len}")
