"""Chapter 7, part 2: the reversal test on your own facts, read from prompt/completion JSONL files.

The built-in tasks of :mod:`minillada.reversal` generate their facts. Here they come from two files
in the convention of fine-tuning data sets and of the reversal-curse literature (Berglund et al.
2023 ship their data so): one JSON object per line,

    {"prompt": "Tavi Morenko is", "completion": " the harbour master of Velbrook."}

* **training file**: both models (MDM and AR, same size, same recipe as the built-in tasks) learn
  every line as one text, prompt then completion, with every token a target, as in pre-training.
  Why not SFT's answer-only loss: the MDM can recall the left part of a fact from the right part
  only if the left part is ever masked in training; with the prompt never masked it would be
  trained as one-directionally as the AR model, and the test would measure that choice instead.
* **test file**: each prompt is asked, and the answer is right if the model's next tokens are
  exactly the completion's tokens followed by the end of the text (``[EOS]``, as every training
  row ends). An optional ``"group"`` field ("forward", "reversed", ...) gives the table one row per
  group; lines without it are in the group "test".

The tokenizer is the word tokenizer trained on the text of both files, so every test word has an
id; prompt and completion are tokenized separately, so ``"is"`` + ``" the mayor."`` and
``"is "`` + ``"the mayor."`` ask the same question. Questions are answered in batches of equal
prompt length by :func:`minillada.reversal.complete_prompts`, as in the built-in tasks: the AR model
writes the completion greedily; the MDM fills the rest of the row with masks and decodes them one
per step with low-confidence remasking.

Out of scope: sub-word tokenizers (a made-up name is one word here, as in the built-in tasks) and
partial credit (exact match is the measure of the reversal-curse papers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data import SFTDataset, read_jsonl
from ..infra import checks
from . import ReversalConfig, complete_prompts, train_model
from ..tokenizer import WordTokenizer


@dataclass
class JsonlTask:
    """The lines of a training file and the questions of a test file, each a dict with "prompt",
    "completion" and (test) "group"."""

    train: list
    test: list
    train_file: str = "train.jsonl"
    test_file: str = "test.jsonl"

    @classmethod
    def from_files(cls, train_path, test_path) -> "JsonlTask":
        test = read_jsonl(test_path)
        checks.jsonl_questions(test, test_path)
        for record in test:
            record.setdefault("group", "test")
        return cls(read_jsonl(train_path), test, str(train_path), str(test_path))

    @property
    def groups(self) -> list[str]:
        """The test groups in the order they first appear in the test file."""
        return list(dict.fromkeys(r["group"] for r in self.test))


def build_data(task: JsonlTask):
    """(tokenizer, training set, row length, encoded questions).

    Every training line is one row ``prompt + completion + [EOS] ...``; the row length fits the
    longest training line and the longest question with its completion, plus one ``[EOS]``.
    Each encoded question is a dict (prompt ids, completion ids, group)."""
    text = " ".join(r["prompt"] + " " + r["completion"] for r in task.train + task.test)
    tok = WordTokenizer.train(text)

    def encode(records, what):
        out = []
        for n, r in enumerate(records, start=1):
            p, c = tok.encode(r["prompt"]), tok.encode(r["completion"])
            checks.encoded_line(p, c, n, what, is_question=what == task.test_file)
            out.append({"prompt": p, "completion": c, "group": r.get("group")})
        return out

    rows = encode(task.train, task.train_file)
    questions = encode(task.test, task.test_file)
    seq_len = max(len(r["prompt"]) + len(r["completion"]) for r in rows + questions) + 1
    # the whole line is the answer: an empty prompt, so the loss may mask every token
    data = SFTDataset([([], r["prompt"] + r["completion"]) for r in rows], tok.eos_id, seq_len)
    return tok, data, seq_len, questions


@torch.no_grad()
def answer(model, questions, tok, seq_len: int) -> list[list[int]]:
    """The model's answer to each question: the generated ids after the prompt, cut at the first
    [EOS] (kept), for the AR model at most the completion's length plus one."""
    was_training = model.training
    model.eval()
    answers: list = [None] * len(questions)
    by_length: dict = {}
    for i, q in enumerate(questions):
        by_length.setdefault(len(q["prompt"]), []).append(i)
    for p, idx in by_length.items():
        prompts = torch.tensor([questions[i]["prompt"] for i in idx], device=model.device)  # (k, p)
        n_ar = max(len(questions[i]["completion"]) for i in idx) + 1
        out = complete_prompts(model, prompts, seq_len, n_ar)[:, p:].tolist()

        for i, ids in zip(idx, out):
            answers[i] = ids[:ids.index(tok.eos_id) + 1] if tok.eos_id in ids else ids
    model.train(was_training)
    return answers


def is_correct(question, ids, eos_id: int) -> bool:
    """Exact match: the completion's ids, then [EOS].

    >>> question = {"completion": [7, 8]}                 # eos_id 2 below
    >>> is_correct(question, [7, 8, 2], 2), is_correct(question, [7, 8, 9], 2)
    (True, False)
    """
    return ids == question["completion"] + [eos_id]


def accuracy_by_group(questions, correct, groups) -> dict:
    """The share of ``correct`` (one bool per question) in each group."""
    return {g: sum(c for q, c in zip(questions, correct) if q["group"] == g) /
            sum(q["group"] == g for q in questions) for g in groups}


def evaluate(model, questions, tok, seq_len: int, groups) -> dict:
    """Exact-match accuracy of ``model`` in each group of questions."""
    ids = answer(model, questions, tok, seq_len)
    return accuracy_by_group(questions, [is_correct(q, a, tok.eos_id) for q, a in zip(questions, ids)],
                             groups)


def run(config: ReversalConfig, task: JsonlTask, objectives=("mdm", "ar")) -> dict:
    """Train the MDM and the AR model on the training lines with the same recipe and ask both the
    test questions. The result has the keys of :func:`minillada.reversal.run` (so the same report
    and plots apply) plus "groups", the files and every answer ("answers")."""
    tok, data, seq_len, questions = build_data(task)
    groups = task.groups
    recorded = dict(vars(config), task=f"{Path(task.train_file).name} / {Path(task.test_file).name}")
    results = {"config": recorded, "train_file": task.train_file, "test_file": task.test_file,
               "groups": groups, "n_train_sentences": len(data), "n_test_facts": len(questions),
               "seq_len": seq_len, "vocab_size": tok.vocab_size, "accuracy": {}, "curves": {},
               "train_seconds": {}, "examples": {}, "answers": {}, "final_loss": {}}
    for objective in objectives:
        curve = results["curves"][objective] = []

        # every step is trained: your groups need not include one of forward questions, so the
        # built-in task's early stop (config.stop_forward) does not apply here
        def on_step(model, step, record, curve=curve):
            if config.eval_every and step % config.eval_every == 0 and step < config.steps:
                scores = evaluate(model, questions, tok, seq_len=seq_len, groups=groups)
                curve.append({"step": step, **scores})

        t0 = time.perf_counter()
        model, history = train_model(config, objective, tok, data, seq_len=seq_len, callback=on_step)
        results["train_seconds"][objective] = time.perf_counter() - t0
        ids = answer(model, questions, tok, seq_len)
        rows = [{"group": q["group"], "prompt": r["prompt"], "expected": r["completion"].strip(),
                 "got": tok.decode(a, skip_special=True), "correct": is_correct(q, a, tok.eos_id)}
                for q, r, a in zip(questions, task.test, ids)]
        final = accuracy_by_group(questions, [r["correct"] for r in rows], groups)
        curve.append({"step": config.steps, **final})
        results["accuracy"][objective] = final
        results["answers"][objective] = rows
        # the report prints the first answers of the last group (the reversed questions, usually)
        results["examples"][objective] = [r for r in rows if r["group"] == groups[-1]][:3]
        results["final_loss"][objective] = history[-1]["loss"]
    return results
