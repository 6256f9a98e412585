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
import re
from abc import ABC, abstractmethod

from .infra import checks, files

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
# what every tokenizer file says besides its kind
FILE_HEADER = {"version": FORMAT_VERSION, "special_tokens": list(SPECIAL_TOKENS)}

# Splits text into runs of special-token strings and ordinary text, e.g.
# "[MASK] is a pilot" -> ["", "[MASK]", " is a pilot"] (re.split keeps the captured group).
_SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(s) for s in SPECIAL_TOKENS) + ")")


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
        checks.encode_args(text, allow_special)
        if not allow_special:
            try:
                return self._encode_text(text, offset=0)
            except ValueError as e:        # an unknown symbol: say so if it was a special token
                raise checks.special_token_hint(e, bool(_SPECIAL_SPLIT.search(text))) from None
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
        ids = checks.decode_args(ids, skip_special, self.vocab_size)     # a list of ints
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
        files.write_text(path, json.dumps(data, ensure_ascii=False, indent=1), "tokenizer file")

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
    data = files.read_json(path, "tokenizer file", MAX_FILE_BYTES)
    cls = checks.tokenizer_header(data, path, FILE_HEADER, Tokenizer._registry)
    try:
        return cls._from_state(data)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path} is a damaged {data['kind']} tokenizer file: {e!r}") from None


class _VocabTokenizer(Tokenizer):
    """A tokenizer with an explicit list of symbols (characters or words) after the specials."""

    def __init__(self, symbols):
        symbols = checks.vocabulary(symbols, SPECIAL_TOKENS)
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
        symbols = checks.saved_symbols(state["symbols"], MAX_VOCAB_SIZE - len(SPECIAL_TOKENS))
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
        checks.require(all(len(s) == 1 for s in tok.symbols),
                       "every symbol of a char tokenizer must be a single character")
        return tok

    @classmethod
    def train(cls, text: str) -> "CharTokenizer":
        checks.require(isinstance(text, str) and text, "CharTokenizer.train needs a non-empty string")
        return cls(sorted(set(text)))

    def _encode_text(self, text: str, offset: int) -> list[int]:
        try:
            return [self.stoi[c] for c in text]
        except KeyError:
            pos = next(i for i, c in enumerate(text) if c not in self.stoi)
            raise checks.unknown_symbol("character", text[pos], offset + pos) from None


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
        checks.require(words, "WordTokenizer.train needs a string with at least one word")
        return cls(sorted(set(words)))

    def _encode_text(self, text: str, offset: int) -> list[int]:
        ids = []
        for m in self.WORD_RE.finditer(text):
            i = self.stoi.get(m.group())
            if i is None:
                raise checks.unknown_symbol("word", m.group(), offset + m.start())
            ids.append(i)
        return ids

    def _join(self, parts: list[str]) -> str:
        out = ""
        for p in parts:
            if out and p and not (p[0] in self._NO_SPACE_BEFORE or out[-1] in "([{"):
                out += " "
            out += p
        return out
