"""Chapter 1: text to integers.

A language model never sees text, only integer ids. A tokenizer is the pair of maps
``encode: str -> list[int]`` and ``decode: list[int] -> str``. minillada ships three:

* :class:`CharTokenizer`: one id per character seen in training. The simplest possible vocabulary.
* :class:`WordTokenizer`: one id per word or punctuation mark. The synthetic tasks (the reversal
  experiment) use it, so that "Daxo Velun is a brave pilot" is six tokens and a fact is a few ids.
* :class:`~minillada.bpe.BPETokenizer` (in ``bpe.py``): byte-level byte-pair encoding as in GPT-2,
  which can encode *any* Unicode string.

All three share four special tokens at fixed ids, the same in every tokenizer:

====  =========  ===================================================================
 id    token      what it is for
====  =========  ===================================================================
  0    ``[PAD]``  fills rows of a batch up to a common length
  1    ``[MASK]`` the absorbing state of the forward process (LLaDA Sec. 2.1): a masked
                  position holds this id; the model is trained to predict what was there
  2    ``[BOS]``  beginning of a sequence
  3    ``[EOS]``  end of a sequence; LLaDA's SFT pads answers with it (Sec. 2.3)
====  =========  ===================================================================

Masked diffusion needs exactly one thing from the tokenizer that GPT does not: the ``[MASK]`` id.
Every other module gets it from ``tok.mask_id`` (or from ``model.config.mask_id``).

Tokenizers are saved as plain JSON (never pickle, which can run arbitrary code when loaded), and
:func:`load_tokenizer` returns an instance of the right class.
"""

from __future__ import annotations

import json
import numbers
import re
from abc import ABC, abstractmethod
from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[MASK]", "[BOS]", "[EOS]")
PAD_ID, MASK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
FORMAT_VERSION = 1
# What a tokenizer may ask for: far more than any tokenizer minillada trains, and far less than
# what exhausts memory. A file is small, but what it describes need not be: a chain of BPE merges
# that each extend the previous token makes token k k bytes long (350 KB of JSON once asked for
# 677 MB), so BPE bounds the bytes of each token and of all of them together.
MAX_FILE_BYTES = 64 << 20          # a tokenizer.json
MAX_VOCAB_SIZE = 1 << 20           # ids, the special tokens included
MAX_TOKEN_BYTES = 1 << 16          # the bytes one BPE token stands for
MAX_TOTAL_TOKEN_BYTES = 64 << 20   # the bytes of all BPE tokens together

# Splits text into runs of special-token strings and ordinary text, e.g.
# "[MASK] is a pilot" -> ["", "[MASK]", " is a pilot"] (re.split keeps the captured group).
_SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(s) for s in SPECIAL_TOKENS) + ")")


def _switch(value, name: str) -> bool:
    """``value`` if it is a bool; a ValueError for "yes", 1 or None (``checks.flag`` without torch:
    this module needs only the standard library)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


class Tokenizer(ABC):
    """What every tokenizer has: the special ids, ``encode``/``decode``, and JSON save/load.

    A subclass sets ``kind`` (the name stored in the JSON file), implements ``_encode_text`` (text
    without special tokens to ids), ``_decode_ids`` (ids without special tokens to text),
    ``vocab_size``, and ``_state``/``_from_state`` for saving.
    """

    kind = "base"
    _registry: dict[str, type["Tokenizer"]] = {}

    pad_id, mask_id, bos_id, eos_id = PAD_ID, MASK_ID, BOS_ID, EOS_ID
    special_tokens = SPECIAL_TOKENS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:          # only classes that name their own file kind
            Tokenizer._registry[cls.kind] = cls

    # ---- the interface -----------------------------------------------------------------------

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of ids, special tokens included."""

    @abstractmethod
    def _encode_text(self, text: str, offset: int) -> list[int]:
        """Ids of text without special tokens; ``offset`` places error positions in the input."""

    @abstractmethod
    def _decode_ids(self, ids: list[int]) -> str:
        """Text of ids that are not special tokens."""

    def encode(self, text: str, allow_special: bool = False) -> list[int]:
        """Text to ids.

        With ``allow_special=True`` the literal strings ``[MASK]``, ``[PAD]``, ``[BOS]`` and ``[EOS]``
        in the text become their special ids (handy for infilling prompts such as
        ``"[MASK] [MASK] is a brave pilot"``); by default they are ordinary text, so that user text
        can never inject a control token by accident.
        """
        if not isinstance(text, str):
            raise ValueError(f"encode() takes a str, got {type(text).__name__}")
        if not _switch(allow_special, "allow_special"):
            try:
                return self._encode_text(text, offset=0)
            except ValueError as e:
                if _SPECIAL_SPLIT.search(text):
                    raise ValueError(f"{e} (the text contains a special token such as [MASK]: "
                                     "pass allow_special=True to encode it as one)") from None
                raise
        ids: list[int] = []
        offset = 0
        for piece in _SPECIAL_SPLIT.split(text):
            if piece in SPECIAL_TOKENS:
                ids.append(SPECIAL_TOKENS.index(piece))
            elif piece:
                ids.extend(self._encode_text(piece, offset=offset))
            offset += len(piece)
        return ids

    def decode(self, ids, skip_special: bool = False) -> str:
        """Ids (a list or a 1-D tensor) to text. Special tokens print as ``[MASK]`` etc. unless
        ``skip_special`` is set."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise ValueError(f"decode() takes a list or 1-D tensor of ids, got {type(ids).__name__}")
        _switch(skip_special, "skip_special")
        for pos, i in enumerate(ids):
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):  # 4.9 is no id: not truncated
                raise ValueError(f"ids must be ints; got {type(i).__name__} {i!r} at position {pos}")
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} at position {pos} is outside the vocabulary "
                                 f"(0..{self.vocab_size - 1})")
        ids = [int(i) for i in ids]
        # Decode runs of ordinary ids together: a BPE character can span several byte tokens.
        parts: list[str] = []
        run: list[int] = []
        for i in ids:
            if i < len(SPECIAL_TOKENS):
                if run:
                    parts.append(self._decode_ids(run))
                    run = []
                if not skip_special:
                    parts.append(SPECIAL_TOKENS[i])
            else:
                run.append(i)
        if run:
            parts.append(self._decode_ids(run))
        return self._join(parts)

    def _join(self, parts: list[str]) -> str:
        return "".join(parts)

    # ---- saving and loading ------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the tokenizer as plain JSON; read it back with :func:`load_tokenizer`."""
        data = {"kind": self.kind, "version": FORMAT_VERSION,
                "special_tokens": list(SPECIAL_TOKENS), **self._state()}
        try:
            Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as e:               # a directory, a folder that does not exist, no permission
            raise ValueError(f"cannot write the tokenizer file {path}: {e.strerror}") from None

    @abstractmethod
    def _state(self) -> dict:
        """What save() writes besides the kind, version and special tokens."""

    @classmethod
    @abstractmethod
    def _from_state(cls, state: dict) -> "Tokenizer":
        """Rebuild a tokenizer from what _state() returned."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"


def load_tokenizer(path) -> Tokenizer:
    """Read a tokenizer written by ``tok.save(path)`` and return an instance of its class.

    A file that is not a minillada tokenizer, or is damaged, raises ``ValueError``.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path} has {path.stat().st_size:,} bytes; a tokenizer file may have at "
                             f"most {MAX_FILE_BYTES:,}")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no tokenizer file at {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f"{path} is not valid JSON, so not a minillada tokenizer file "
                         f"({type(e).__name__}: {e})") from None
    except OSError as e:
        raise ValueError(f"cannot read the tokenizer file {path}: {e.strerror or e}") from None
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"{path} is JSON but not a minillada tokenizer file: it has no 'kind' field")
    if not isinstance(data["kind"], str):
        raise ValueError(f"{path} has a 'kind' of type {type(data['kind']).__name__}; expected a "
                         f"string, one of {sorted(Tokenizer._registry)}")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path} has tokenizer format version {data.get('version')!r}; "
                         f"this minillada reads version {FORMAT_VERSION}")
    if data.get("special_tokens") != list(SPECIAL_TOKENS):
        raise ValueError(f"{path} has special tokens {data.get('special_tokens')!r}, "
                         f"expected {list(SPECIAL_TOKENS)}")
    cls = Tokenizer._registry.get(data["kind"])
    if cls is None:
        raise ValueError(f"{path} has unknown tokenizer kind {data['kind']!r}; "
                         f"known kinds: {sorted(Tokenizer._registry)}")
    try:
        return cls._from_state(data)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path} is a damaged {data['kind']} tokenizer file: {e!r}") from None


class _VocabTokenizer(Tokenizer):
    """A tokenizer with an explicit list of symbols (characters or words) after the specials."""

    def __init__(self, symbols):
        symbols = list(symbols)
        if len(set(symbols)) != len(symbols):
            raise ValueError("the vocabulary lists a symbol twice")
        if any(not isinstance(s, str) or not s or s in SPECIAL_TOKENS for s in symbols):
            raise ValueError("every symbol must be a non-empty string other than a special token")
        self.symbols = symbols
        self.stoi = {s: i + len(SPECIAL_TOKENS) for i, s in enumerate(symbols)}
        self.itos = list(SPECIAL_TOKENS) + symbols

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def _decode_ids(self, ids: list[int]) -> str:
        return self._join([self.itos[i] for i in ids])

    def _state(self) -> dict:
        return {"symbols": self.symbols}

    @classmethod
    def _from_state(cls, state: dict):
        symbols = state["symbols"]
        if not isinstance(symbols, list):
            raise ValueError(f"'symbols' must be a list of strings, got a {type(symbols).__name__}")
        if len(symbols) > MAX_VOCAB_SIZE - len(SPECIAL_TOKENS):
            raise ValueError(f"'symbols' lists {len(symbols):,} symbols; at most "
                             f"{MAX_VOCAB_SIZE - len(SPECIAL_TOKENS):,} are allowed")
        return cls(symbols)


class CharTokenizer(_VocabTokenizer):
    """One token per character.

    >>> tok = CharTokenizer.train("hello")
    >>> tok.encode("hell")          # specials take 0..3, then 'e' 'h' 'l' 'o' in sorted order
    [5, 4, 6, 6]
    >>> tok.decode([5, 4, 6, 6, 7])
    'hello'
    """

    kind = "char"

    @classmethod
    def _from_state(cls, state: dict):
        tok = super()._from_state(state)
        if any(len(s) != 1 for s in tok.symbols):
            raise ValueError("every symbol of a char tokenizer must be a single character")
        return tok

    @classmethod
    def train(cls, text: str) -> "CharTokenizer":
        if not isinstance(text, str) or not text:
            raise ValueError("CharTokenizer.train needs a non-empty string")
        return cls(sorted(set(text)))

    def _encode_text(self, text: str, offset: int) -> list[int]:
        try:
            return [self.stoi[c] for c in text]
        except KeyError:
            pos = next(i for i, c in enumerate(text) if c not in self.stoi)
            raise ValueError(f"character {text[pos]!r} at position {offset + pos} was not in the "
                             "training text; retrain the tokenizer on text that contains it") from None


class WordTokenizer(_VocabTokenizer):
    """One token per word or punctuation mark; whitespace only separates tokens.

    Decoding puts one space between words and none before punctuation, so a round trip normalises
    whitespace: ``decode(encode("Daxo  is a pilot ."))`` is ``"Daxo is a pilot."``.

    >>> tok = WordTokenizer.train("Daxo is a pilot. Mira is a poet.")
    >>> tok.decode(tok.encode("Mira is a pilot."))
    'Mira is a pilot.'
    """

    kind = "word"
    # a word is a run of letters, digits, underscores and apostrophes; any other visible character
    # is a token of its own
    WORD_RE = re.compile(r"[\w']+|[^\w\s]")
    _NO_SPACE_BEFORE = set(".,!?;:)]}")

    @classmethod
    def train(cls, text: str) -> "WordTokenizer":
        words = cls.WORD_RE.findall(text) if isinstance(text, str) else []
        if not words:
            raise ValueError("WordTokenizer.train needs a string with at least one word")
        return cls(sorted(set(words)))

    def _encode_text(self, text: str, offset: int) -> list[int]:
        ids = []
        for m in self.WORD_RE.finditer(text):
            i = self.stoi.get(m.group())
            if i is None:
                raise ValueError(f"word {m.group()!r} at position {offset + m.start()} was not in the "
                                 "training text; retrain the tokenizer on text that contains it")
            ids.append(i)
        return ids

    def _join(self, parts: list[str]) -> str:
        out = ""
        for p in parts:
            if out and p and not (p[0] in self._NO_SPACE_BEFORE or out[-1] in "([{"):
                out += " "
            out += p
        return out
