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


def temperature(value) -> None:
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


def sampling_args(model, steps, temperature_, remasking, cfg_scale, threshold) -> None:
    """The arguments shared by ``generate`` and ``infill``."""
    if not hasattr(model, "config"):
        raise ValueError("the model needs a .config (a minillada Transformer has one)")
    positive_int(steps, "steps")
    if remasking not in REMASKING:
        raise ValueError(f"remasking must be one of {REMASKING}, got {remasking!r}")
    temperature(temperature_)
    number(cfg_scale, "cfg_scale (0 is no guidance)", 0)
    if threshold is not None:
        number(threshold, "threshold", 0, 1, open_low=True)


def likelihood_args(mc_num, batch_size, cfg_scale, eps) -> None:
    """The numbers of ``log_likelihood``: two counts, a guidance scale and the floor on t."""
    positive_int(mc_num, "mc_num")
    positive_int(batch_size, "batch_size")
    number(cfg_scale, "cfg_scale (0 is no guidance)", 0)
    number(eps, "eps", 0, 1, open_high=True)


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
