import json
import random

import pytest

from minillada import BPETokenizer, CharTokenizer, WordTokenizer, load_tokenizer
from minillada.bpe import SPLIT_PATTERN, get_pair_counts, merge
from minillada.tokenizer import SPECIAL_TOKENS

TEXT = "Daxo Velun is a brave pilot. Mira Sol is a quiet poet! 12345 cats, 6 dogs; don't stop."


def random_unicode(rnd: random.Random, n: int) -> str:
    """Characters from every corner of Unicode: ASCII, controls, accents, CJK, emoji, lone
    surrogates and the private-use area."""
    ranges = [(0, 0x7F), (0x80, 0x7FF), (0x0300, 0x036F), (0x4E00, 0x9FFF), (0x1F300, 0x1FAFF),
              (0xD800, 0xDFFF), (0xE000, 0xF8FF), (0x10000, 0x10FFFF)]
    return "".join(chr(rnd.randint(*rnd.choice(ranges))) for _ in range(n))


@pytest.fixture(scope="module")
def bpe():
    corpus = (TEXT + " ") * 20 + "héllo wörld 你好世界 😀😀 " * 10
    return BPETokenizer.train(corpus, vocab_size=320)


@pytest.mark.parametrize("cls", [CharTokenizer, WordTokenizer])
def test_special_tokens_have_fixed_ids(cls, bpe):
    for tok in (cls.train(TEXT), bpe):
        assert (tok.pad_id, tok.mask_id, tok.bos_id, tok.eos_id) == (0, 1, 2, 3)
        assert tok.decode([0, 1, 2, 3]) in ("[PAD][MASK][BOS][EOS]", "[PAD] [MASK] [BOS] [EOS]")


def test_char_round_trip_and_vocab():
    tok = CharTokenizer.train(TEXT)
    assert tok.vocab_size == 4 + len(set(TEXT))
    ids = tok.encode(TEXT)
    assert len(ids) == len(TEXT) and min(ids) >= 4
    assert tok.decode(ids) == TEXT


def test_char_unknown_character_names_it_and_its_position():
    tok = CharTokenizer.train("abc")
    with pytest.raises(ValueError, match=r"'z' at position 2"):
        tok.encode("abzc")


def test_word_round_trip_normalises_spacing():
    tok = WordTokenizer.train(TEXT)
    assert tok.decode(tok.encode(TEXT)) == TEXT
    assert tok.decode(tok.encode("Mira   is a pilot .")) == "Mira is a pilot."
    assert len(tok.encode("Daxo Velun is a brave pilot.")) == 7


def test_word_unknown_word_names_it_and_its_position():
    tok = WordTokenizer.train(TEXT)
    with pytest.raises(ValueError, match=r"'Zorg' at position 5"):
        tok.encode("Mira Zorg is")


def test_special_strings_only_become_specials_when_allowed():
    tok = WordTokenizer.train(TEXT)
    ids = tok.encode("[MASK] [MASK] is a brave pilot", allow_special=True)
    assert ids[:2] == [tok.mask_id, tok.mask_id]
    assert tok.decode(ids) == "[MASK] [MASK] is a brave pilot"
    with pytest.raises(ValueError, match="allow_special=True"):
        tok.encode("[MASK] is")  # as plain text, MASK is an unknown word


def test_split_pattern_covers_every_character():
    rnd = random.Random(0)
    for _ in range(300):
        s = random_unicode(rnd, rnd.randint(0, 40))
        assert "".join(SPLIT_PATTERN.findall(s)) == s


def test_bpe_round_trips_any_unicode(bpe):
    rnd = random.Random(1)
    for _ in range(300):
        s = random_unicode(rnd, rnd.randint(0, 50))
        assert bpe.decode(bpe.encode(s)) == s
    for s in ["", "\x00\x01\n\t\r", "😀👩‍👩‍👧", "東京 is 東京", "\ud800 lone surrogate", TEXT]:
        assert bpe.decode(bpe.encode(s)) == s


def test_bpe_hand_checked_merges():
    # chunks: "hug" x1, " hug" x2, " pug" x1. Pair counts: (u,g)=4, (h,u)=3, ...
    tok = BPETokenizer.train("hug hug hug pug", vocab_size=263)
    u, g, h = (4 + ord(c) for c in "ugh")
    assert tok.merges[0] == (u, g)           # "ug" -> 260
    assert tok.merges[1] == (h, 260)         # "h" + "ug" -> 261
    assert tok.merges[2] == (4 + ord(" "), 261)  # " " + "hug" (2 times) -> 262
    assert tok.encode(" hug") == [262]
    assert tok.encode("pug") == [4 + ord("p"), 260]


def test_bpe_helpers():
    assert get_pair_counts({(1, 2, 3): 2, (1, 2): 1}) == {(1, 2): 3, (2, 3): 2}
    assert merge((1, 2, 1, 2, 2), (1, 2), 9) == (9, 9, 2)
    assert merge((7, 7, 7), (7, 7), 9) == (9, 7)


def test_bpe_compresses_and_never_merges_specials(bpe):
    assert bpe.vocab_size == 320
    assert len(bpe.encode(TEXT)) < len(TEXT.encode()) / 2
    assert all(a >= 4 and b >= 4 for a, b in bpe.merges)
    ids = bpe.encode("pilot[MASK]pilot", allow_special=True)
    assert ids.count(bpe.mask_id) == 1
    assert bpe.decode(ids) == "pilot[MASK]pilot"


def test_bpe_stops_when_no_pair_repeats():
    tok = BPETokenizer.train("abcdef", vocab_size=400)
    assert tok.vocab_size == 260


def test_bpe_encode_caches_each_distinct_chunk(bpe):
    bpe._cache.clear()
    text = " pilot" * 1000 + " poet" * 1000
    ids = bpe.encode(text)
    assert len(bpe._cache) == 2
    assert bpe.decode(ids) == text


def test_bpe_decodes_invalid_utf8_with_replacement(bpe):
    assert bpe.decode([4 + 0xFF, 4 + ord("a")]) == "\ufffda"


def test_bpe_rejects_bad_vocab_size():
    with pytest.raises(ValueError, match="at least 260"):
        BPETokenizer.train("abc", vocab_size=100)


@pytest.mark.parametrize("make", [lambda: CharTokenizer.train(TEXT), lambda: WordTokenizer.train(TEXT),
                                  lambda: BPETokenizer.train(TEXT * 5, vocab_size=300)])
def test_save_load_gives_identical_encodings(tmp_path, make):
    tok = make()
    tok.save(tmp_path / "tok.json")
    json.loads((tmp_path / "tok.json").read_text())  # plain JSON
    tok2 = load_tokenizer(tmp_path / "tok.json")
    assert type(tok2) is type(tok) and tok2.vocab_size == tok.vocab_size
    assert tok2.encode(TEXT) == tok.encode(TEXT)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"a": 1}', "no 'kind'"),
    ('{"kind": "char", "version": 99, "special_tokens": []}', "version"),
    ('{"kind": "zzz", "version": 1, "special_tokens": ["[PAD]", "[MASK]", "[BOS]", "[EOS]"]}',
     "unknown tokenizer kind"),
    ('{"kind": "bpe", "version": 1, "special_tokens": ["[PAD]", "[MASK]", "[BOS]", "[EOS]"]}',
     "damaged"),
    ('{"kind": "bpe", "version": 1, "special_tokens": ["[PAD]", "[MASK]", "[BOS]", "[EOS]"],'
     ' "merges": [[4, 999]]}', "damaged"),
    ('{"kind": "char", "version": 1, "special_tokens": ["[PAD]", "[MASK]", "[BOS]", "[EOS]"],'
     ' "symbols": ["a", "a"]}', "damaged"),
])
def test_corrupt_tokenizer_file_raises_value_error(tmp_path, content, message):
    path = tmp_path / "tok.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_tokenizer(path)


SPECIALS = '"version": 1, "special_tokens": ["[PAD]", "[MASK]", "[BOS]", "[EOS]"]'


@pytest.mark.parametrize("content, message", [
    ('{"kind": ["char"], ' + SPECIALS + "}", "'kind' of type list"),
    ('{"kind": {"a": 1}, ' + SPECIALS + "}", "'kind' of type dict"),
    ('{"kind": "char", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON"),
    ('{"kind": "char", ' + SPECIALS + ', "symbols": "abc"}', "'symbols' must be a list"),
    ('{"kind": "word", ' + SPECIALS + ', "symbols": {"a": 1}}', "'symbols' must be a list"),
    ('{"kind": "char", ' + SPECIALS + ', "symbols": ["ab"]}', "single character"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": [[4, 5], [4, 5]]}', "repeats the pair"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": [[4.0, 5]]}', "pairs of ints"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": [[4.9, 5]]}', "pairs of ints"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": [[true, 5]]}', "pairs of ints"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": [[4, 5, 6]]}', "pairs of ints"),
    ('{"kind": "bpe", ' + SPECIALS + ', "merges": "4 5"}', "pairs of ints"),
], ids=["kind-list", "kind-dict", "deeply-nested", "symbols-str", "symbols-dict", "char-of-2",
        "duplicate-merge", "float-id", "fractional-id", "bool-id", "triple", "merges-str"])
def test_malformed_tokenizer_fields_raise_value_error(tmp_path, content, message):
    path = tmp_path / "tok.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_tokenizer(path)


def chained_merges(n, doubling):
    """Merges whose tokens grow with every merge: each doubles the last token, or adds a byte."""
    merges = [[4, 4]]
    for k in range(1, n):
        merges.append([259 + k, 259 + k] if doubling else [259 + k, 4])
    return merges


@pytest.mark.parametrize("n, doubling, message", [
    (17, True, "a token of 131,072 bytes"),     # 2 ** 17 bytes after 17 doublings
    (20_000, False, "in all are allowed"),      # 1 + 2 + ... bytes: 200 MB for 350 KB of JSON
])
def test_chained_merges_are_refused_before_they_exhaust_memory(tmp_path, n, doubling, message):
    path = tmp_path / "tok.json"
    path.write_text(json.dumps({"kind": "bpe", "version": 1, "special_tokens": list(SPECIAL_TOKENS),
                                "merges": chained_merges(n, doubling)}))
    with pytest.raises(ValueError, match=message):
        load_tokenizer(path)


def test_vocabulary_and_file_size_are_bounded(tmp_path, monkeypatch):
    import minillada.bpe as bpe_module
    import minillada.tokenizer as tokenizer_module
    monkeypatch.setitem(bpe_module.LIMITS, "vocab_size", 262)
    monkeypatch.setattr(tokenizer_module, "MAX_VOCAB_SIZE", 6)
    with pytest.raises(ValueError, match="3 merges; at most 2"):
        BPETokenizer([(4, 4), (5, 5), (6, 6)])
    CharTokenizer.train("ab").save(tmp_path / "ok.json")
    CharTokenizer.train("abc").save(tmp_path / "big.json")
    assert load_tokenizer(tmp_path / "ok.json").vocab_size == 6
    with pytest.raises(ValueError, match="lists 3 symbols; at most 2"):
        load_tokenizer(tmp_path / "big.json")
    monkeypatch.setattr(tokenizer_module, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValueError, match="a tokenizer file may have at most 10"):
        load_tokenizer(tmp_path / "ok.json")


def test_missing_tokenizer_file(tmp_path):
    with pytest.raises(ValueError, match="no tokenizer file"):
        load_tokenizer(tmp_path / "nope.json")


def test_decode_rejects_ids_outside_vocabulary():
    tok = CharTokenizer.train("ab")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([4, 99])
