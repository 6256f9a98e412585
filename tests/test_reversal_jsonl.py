"""The reversal test on your own facts: JSONL reading, data, exact-match scoring and the command."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from minillada.corpora import make_facts
from minillada.data import CORPORA, read_jsonl
from minillada.model import ModelConfig
from minillada.reversal.jsonl import JsonlTask, answer, build_data, evaluate

ROOT = Path(__file__).resolve().parent.parent


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("bad_line, message", [
    ('{"prompt": "Daxo is", "completion": " a pilot."', r"line 3: not valid JSON"),
    ('["Daxo is", " a pilot."]', r"line 3: expected an object .* got a JSON list"),
    ('{"prompt": "Daxo is"}', r"line 3: no 'completion' or 'answer' field"),
    ('{"completion": " a pilot."}', r"line 3: no 'prompt' field"),
    ('{"prompt": 42, "completion": " a pilot."}', r"line 3: 'prompt' must be a string, got int 42"),
    ('{"prompt": "Daxo is", "completion": null}', r"line 3: 'completion' must be a string"),
])
def test_a_malformed_line_names_the_file_the_line_and_the_problem(tmp_path, bad_line, message):
    path = write_lines(tmp_path / "facts.jsonl", ['{"prompt": "Mira is", "completion": " a poet."}',
                                                  "", bad_line])
    with pytest.raises(ValueError, match=f"{path.name}.*{message}"):
        read_jsonl(path)


def test_read_jsonl_skips_blank_lines_accepts_answer_and_keeps_string_fields(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [
        '{"prompt": "Mira is", "completion": " a poet.", "group": "forward", "id": 7}', "   ",
        '{"prompt": "Daxo is", "answer": " a pilot."}'])
    assert read_jsonl(path) == [{"prompt": "Mira is", "completion": " a poet.", "group": "forward"},
                                {"prompt": "Daxo is", "completion": " a pilot."}]
    with pytest.raises(ValueError, match="no JSONL file"):
        read_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="is a directory; give a JSONL file"):
        read_jsonl(tmp_path)
    with pytest.raises(ValueError, match="has no JSON lines"):
        read_jsonl(write_lines(tmp_path / "empty.jsonl", ["", " "]))


def test_shipped_example_files_are_what_make_facts_writes():
    train, test = make_facts.make()
    for records, name in [(train, "facts_train.jsonl"), (test, "facts_test.jsonl")]:
        expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        assert (CORPORA / name).read_text(encoding="utf-8") == expected, \
            f"{name} differs from make_facts.make(); rerun python -m minillada.corpora.make_facts"


def test_example_test_facts_are_never_trained_office_first():
    task = JsonlTask.from_files(CORPORA / "facts_train.jsonl", CORPORA / "facts_test.jsonl")
    assert task.groups == ["forward", "reversed"]
    lines = [r["prompt"] + r["completion"] for r in task.train]
    reversed_questions = [q for q in task.test if q["group"] == "reversed"]
    assert len(reversed_questions) == 40
    for q in reversed_questions:
        name = q["completion"].strip().rstrip(".")
        office = q["prompt"].removeprefix("The ").removesuffix(" is")      # "mayor of Ploba"
        with_name = [s for s in lines if name in s]
        assert len(with_name) == len(make_facts.PERSON_FIRST)              # every forward phrasing
        assert all(s.index(name) < s.index(office.split(" of ")[-1]) for s in with_name)
        assert not any(s.startswith(q["prompt"]) for s in lines)          # never asked in training


def test_long_lines_and_odd_characters_become_rows(tmp_path):
    long_prompt = " ".join(f"w{i}" for i in range(300))
    train = write_lines(tmp_path / "train.jsonl", [
        json.dumps({"prompt": long_prompt, "completion": " the end."}),
        json.dumps({"prompt": "Zoë Ñandú\tis", "completion": " the 🦜 of Köln — «très» 東京."},
                   ensure_ascii=False),
        json.dumps({"prompt": "", "completion": "A line with no prompt."})])
    test = write_lines(tmp_path / "test.jsonl", [
        json.dumps({"prompt": "The 🦜 of Köln is", "completion": " Zoë Ñandú."}, ensure_ascii=False)])
    tok, data, seq_len, questions = build_data(JsonlTask.from_files(train, test))
    assert seq_len == 300 + 3 + 1                        # the longest line and one [EOS]
    assert data.rows.shape == (3, seq_len) and data.prompt_lengths.tolist() == [0, 0, 0]
    assert tok.decode(data.rows[1].tolist(), skip_special=True).startswith("Zoë Ñandú is the 🦜")
    assert questions[0]["group"] == "test"
    assert tok.decode(questions[0]["completion"]) == "Zoë Ñandú."


class Oracle(nn.Module):
    """Knows some complete rows (prompt + completion + [EOS] padding): an MDM fills every masked
    position of a row it recognises; an AR model predicts its next token. Anything else: zeros."""

    def __init__(self, rows, vocab_size, mask_id, causal):
        super().__init__()
        self.rows = rows
        self.config = ModelConfig(vocab_size=vocab_size, mask_id=mask_id, d_model=8, n_layers=1,
                                  n_heads=2, max_seq_len=len(rows[0]), causal=causal)
        self.dummy = nn.Parameter(torch.zeros(()))

    @property
    def device(self):
        return self.dummy.device

    def forward(self, x, past_kv=None, use_cache=False, attention_mask=None):
        # the "cache" of an AR call is simply every token seen so far
        seen = x if past_kv is None else torch.cat([past_kv, x], dim=1)          # (B, T_seen)
        logits = torch.zeros(*seen.shape, self.config.vocab_size)
        for b, seq in enumerate(seen.tolist()):
            for row in self.rows:
                if self.config.causal and row[:len(seq)] == seq:
                    targets = row[1:len(seq) + 1] + [row[-1]]                # the next tokens
                elif not self.config.causal and all(
                        s in (r, self.config.mask_id) for s, r in zip(seq, row)):
                    targets = row[:len(seq)]
                else:
                    continue
                logits[b, torch.arange(len(seq)), torch.tensor(targets[:len(seq)])] = 10.0
                break
        logits = logits[:, -x.shape[1]:]                                          # (B, T, V)
        return (logits, seen) if use_cache else logits


@pytest.mark.parametrize("causal", [False, True])
def test_exact_match_needs_the_whole_completion_and_then_the_end(tmp_path, causal):
    questions = [{"prompt": "Mira is", "completion": " a poet.", "group": "forward"},
                 {"prompt": "Daxo is", "completion": " a pilot", "group": "forward"},
                 {"prompt": "The poet is", "completion": " Mira.", "group": "reversed"},
                 {"prompt": "The pilot is", "completion": " Daxo.", "group": "reversed"}]
    train = write_lines(tmp_path / "train.jsonl", [json.dumps(q) for q in questions] + [
        '{"prompt": "Daxo is", "completion": " a pilot and a poet."}'])
    test = write_lines(tmp_path / "test.jsonl", [json.dumps(q) for q in questions])
    tok, data, seq_len, encoded = build_data(JsonlTask.from_files(train, test))
    known = [q["prompt"] + q["completion"] for q in encoded]
    known[1] = tok.encode("Daxo is a pilot and a poet.")    # the right words, then more: wrong
    known[3] = tok.encode("The pilot is Mira.")            # the wrong person: wrong
    rows = [r + [tok.eos_id] * (seq_len - len(r)) for r in known]
    model = Oracle(rows, tok.vocab_size, tok.mask_id, causal)
    got = answer(model, encoded, tok, seq_len)
    assert tok.decode(got[0], skip_special=True) == "a poet."
    assert got[0][-1] == tok.eos_id
    assert evaluate(model, encoded, tok, seq_len, ["forward", "reversed"]) == \
        {"forward": 0.5, "reversed": 0.5}


def test_reversal_command_on_files(tmp_path):
    train = write_lines(tmp_path / "train.jsonl", [
        '{"prompt": "Mira Tolvan is", "completion": " the mayor of Brask."}',
        '{"prompt": "The mayor of Brask is", "completion": " Mira Tolvan."}',
        '{"prompt": "Daxo Renn is", "completion": " the poet of Kelm."}'])
    test = write_lines(tmp_path / "test.jsonl", [
        '{"prompt": "Daxo Renn is", "completion": " the poet of Kelm.", "group": "forward"}',
        '{"prompt": "The poet of Kelm is", "completion": " Daxo Renn.", "group": "reversed"}'])
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "minillada", "reversal", "--quick", "--train",
                          str(train), "--test", str(test), "--out", str(out), "--no-progress"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "forward" in run.stdout and "reversed" in run.stdout and "3 training lines" in run.stdout
    results = json.loads((out / "reversal.json").read_text())
    assert results["groups"] == ["forward", "reversed"]
    for name in ("mdm", "ar"):
        assert set(results["accuracy"][name]) == {"forward", "reversed"}
        assert [c["step"] for c in results["curves"][name]] == [15, 30]
        assert [a["expected"] for a in results["answers"][name]] == [
            "the poet of Kelm.", "Daxo Renn."]
    assert (out / "reversal_bars.png").stat().st_size > 1000
    assert (out / "reversal_curves.png").stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["--train", "{train}"], "--train and --test go together"),
    (["--train", "{bad}", "--test", "{train}"], r"bad.jsonl, line 2: not valid JSON"),
    (["--train", "{train}", "--test", "{train}", "--out", "{train}"], "is a file"),
])
def test_reversal_command_refuses_bad_files_before_training(tmp_path, args, message):
    train = write_lines(tmp_path / "train.jsonl", ['{"prompt": "Mira is", "completion": " a poet."}'])
    bad = write_lines(tmp_path / "bad.jsonl", ['{"prompt": "a", "completion": "b"}', "{oops"])
    args = [a.format(train=train, bad=bad) for a in args]
    run = subprocess.run([sys.executable, "-m", "minillada", "reversal", "--quick", *args,
                          "--no-progress"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert re.search(message, run.stderr), run.stderr
