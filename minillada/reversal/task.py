"""Chapter 7, the data: made-up facts for the reversal experiment, and the sentences they become.

Each fact joins a left entity to a right one over words nobody has seen, so a model can only know
them from our training set:

* **people**: "<first> <last> is <adjective> <noun> ." A part of the people (the *paired* facts)
  is also written the other way round, "<adjective> <noun> is called <first> <last> .", so that
  the reversed template itself is known. The test facts are seen only forward.
* **couplets**: "<line 1> / <line 2> ." and, for paired couplets, "<line 2> follows <line 1> ."

:func:`make_task` draws the facts and splits them into paired and forward-only ones;
:func:`build_data` turns the training sentences into a word tokenizer and padded rows. The
experiment that trains on them and asks the questions is :mod:`minillada.reversal`.

>>> task = make_task("people", n_facts=10, seed=0)
>>> len(task.paired), len(task.forward_only)
(8, 2)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..infra import checks
from ..data import SFTDataset
from ..tokenizer import WordTokenizer

TASKS = ("people", "couplets")
_ONSETS = "b d f g k l m n p r s t v z br dr gr kr pl st tr".split()
_VOWELS = "a e i o u ai au ei oa".split()
_CODAS = ["", "", "", "n", "l", "r", "s", "m"]


@dataclass
class Fact:
    """One fact: a left entity and a right entity, each a tuple of words."""

    left: tuple
    right: tuple


# Each task states a fact in several phrasings. Template 0 of each list is the one the questions
# use; no other template starts the same way, so a question has one right continuation.
# Why several phrasings: when the distance between the two entities varies, the model must find
# the other entity by its *content*, not by its position, and a content lookup works the same way
# in the reversed template as in the forward one (the notebook shows the difference it makes).
TEMPLATES = {
    "people": (
        ["{L} is {R} .", "{L} , the {R} .", "{L} was always a {R} .", "{L} , known as the {R} ."],
        ["{R} is called {L} .", "the {R} is {L} .", "a {R} named {L} ."],
    ),
    "couplets": (
        ["{L} / {R} .", "after {L} comes {R} .", "{L} , and then {R} ."],
        ["{R} follows {L} .", "before {R} comes {L} .", "{R} , after {L} ."],
    ),
}


@dataclass
class Task:
    """The facts of a task, split into paired facts (trained in both directions) and forward-only
    facts (trained forward only: the test facts)."""

    name: str
    paired: list
    forward_only: list
    phrasings: int | None = None      # use only the first n templates of each direction (ablation)

    @property
    def templates(self):
        forward, reverse = TEMPLATES[self.name]
        return forward[:self.phrasings], reverse[:self.phrasings]

    def training_sentences(self) -> list[str]:
        forward, reverse = self.templates
        sentences = [fill(t, f) for f in self.paired + self.forward_only for t in forward]
        return sentences + [fill(t, f) for f in self.paired for t in reverse]

    def question(self, f: Fact, direction: str) -> tuple[str, str]:
        """(prompt, expected answer) for ``direction`` "forward" or "reversed" (template 0)."""
        forward, reverse = self.templates
        template, answer = (forward[0], f.right) if direction == "forward" else (reverse[0], f.left)
        prompt = fill(template.split("{L}" if direction == "reversed" else "{R}")[0], f)
        return prompt.strip(), " ".join(answer)


def fill(template: str, f: Fact) -> str:
    """Write a fact in a template.

    >>> fill("{L} is {R} .", Fact(("Daxo", "Velun"), ("brave", "pilot")))
    'Daxo Velun is brave pilot .'
    """
    return template.format(L=" ".join(f.left), R=" ".join(f.right))


def word_space(syllables=(2, 3)) -> int:
    """How many distinct words :func:`made_up_words` can make with these numbers of syllables:
    (onsets x vowels) per syllable, times the distinct codas of the last one. A word cannot be
    read two ways (no onset starts with a vowel), so every combination is a different word.

    >>> word_space((2,))
    214326
    """
    per_syllable = len(_ONSETS) * len(_VOWELS)
    return sum(per_syllable ** k for k in set(syllables)) * len(set(_CODAS))


def made_up_words(n: int, rnd: random.Random, syllables=(2, 3), taken=None) -> list:
    """``n`` distinct pronounceable words ("davu", "krelon", ...) not in ``taken``.

    A request larger than what is left of :func:`word_space` fails at once (drawing until n new
    words turn up would otherwise never end).

    >>> made_up_words(3, random.Random(0))
    ['zapoadraul', 'togriri', 'krirefaim']
    """
    taken = set() if taken is None else taken
    room = word_space(syllables) - len(taken)      # else drawing until n new words would never end
    checks.require(n <= room, f"made_up_words can make at most {max(room, 0)} more distinct "
                   f"words of {tuple(syllables)} syllables, asked for {n}")
    words = []
    while len(words) < n:
        k = rnd.choice(syllables)
        w = "".join(rnd.choice(_ONSETS) + rnd.choice(_VOWELS) for _ in range(k - 1))
        w += rnd.choice(_ONSETS) + rnd.choice(_VOWELS) + rnd.choice(_CODAS)
        if w not in taken:
            taken.add(w)
            words.append(w)
    return words


def _template_words() -> set:
    return set(w for pair in TEMPLATES.values() for ts in pair for t in ts for w in t.split())


def max_facts(task: str) -> int:
    """The most facts :func:`make_task` can write for ``task`` with distinct made-up words: people
    take four two-syllable words per fact (a last name may take one of three), couplets six.

    >>> max_facts("people"), max_facts("couplets")
    (53576, 35717)
    """
    return (word_space((2,)) - len(_template_words())) // (4 if task == "people" else 6)


MAX_FACTS = {name: max_facts(name) for name in TASKS}


def make_task(task: str = "people", n_facts: int = 250, paired_fraction: float = 0.8,
              seed: int = 0, phrasings: int | None = None) -> Task:
    """Facts generated from ``seed``; every made-up word belongs to exactly one fact.
    ``phrasings``: write each fact in only the first n templates of each direction (None: all)."""
    checks.reversal_task(limits=MAX_FACTS, **locals())        # every argument, checked once
    n_test = n_facts - round(paired_fraction * n_facts)
    rnd = random.Random(seed)
    taken: set = _template_words()
    if task == "people":
        first = [w.capitalize() for w in made_up_words(n_facts, rnd, (2,), taken)]
        last = [w.capitalize() for w in made_up_words(n_facts, rnd, (2, 3), taken)]
        adj, noun = made_up_words(n_facts, rnd, (2,), taken), made_up_words(n_facts, rnd, (2,), taken)
        facts = [Fact((f, l), (a, n)) for f, l, a, n in zip(first, last, adj, noun)]
    else:
        words = [made_up_words(n_facts, rnd, (2,), taken) for _ in range(6)]
        facts = [Fact(tuple(w[i] for w in words[:3]), tuple(w[i] for w in words[3:]))
                 for i in range(n_facts)]
    rnd.shuffle(facts)
    return Task(task, paired=facts[n_test:], forward_only=facts[:n_test], phrasings=phrasings)


def build_data(task: Task, seq_len: int | None = None):
    """(tokenizer, training set, row length). Every sentence is one row padded with [EOS] to
    ``seq_len`` (default: the longest sentence plus one)."""
    sentences = task.training_sentences()
    # the questions' words too: without paired facts "called" never occurs in training, and the
    # reversed question must still be asked (the vocabulary is sorted, so this moves no other id)
    template_words = [t.format(L="", R="") for ts in TEMPLATES[task.name] for t in ts]
    tok = WordTokenizer.train(" ".join(sentences + template_words))
    rows = [tok.encode(s) for s in sentences]
    longest = max(map(len, rows)) + 1
    checks.require(seq_len is None or seq_len >= longest,
                   f"seq_len={seq_len} is shorter than the longest sentence plus one ({longest})")
    seq_len = seq_len or longest
    return tok, SFTDataset([([], r) for r in rows], tok.eos_id, seq_len), seq_len
