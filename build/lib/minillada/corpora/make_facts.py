"""Write the example fact files for ``python -m minillada reversal --train ... --test ...``.

    python -m minillada.corpora.make_facts      # rewrites facts_train.jsonl and facts_test.jsonl

The facts are made up: invented people (pronounceable made-up names) who hold an office in an
invented town, "Tavi Morenko is the harbour master of Velbrook." Every town belongs to one person,
so a fact can be asked both ways: "Tavi Morenko is the" -> "harbour master of Velbrook." (forward)
and "The harbour master of Velbrook is" -> "Tavi Morenko." (reversed).

* training file: every fact written in five phrasings that name the person first; the *paired*
  facts (80%) also in three phrasings that name the office first, so that the reversed way of
  speaking is known. Each line is split into a prompt and a completion at a natural point, as a
  fine-tuning data set would be (the reversal test learns whole lines, so the split is cosmetic).
* test file: the forward question (group "forward") and the reversed question (group "reversed")
  about each fact seen *only* forward.

All sentences are written for minillada; the names come from ``reversal.made_up_words``. A test
checks that this script reproduces the shipped files byte for byte.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from ..reversal import made_up_words

HERE = Path(__file__).resolve().parent
ROLES = ["mayor", "harbour master", "chief librarian", "head gardener", "lighthouse keeper",
         "court astronomer", "master brewer", "bridge engineer", "town doctor", "school principal",
         "royal mapmaker", "fire chief"]
# "|" splits a line into prompt and completion; {N} the person, {R} the office, {T} the town.
# Template 0 of each list is the one the test questions use.
PERSON_FIRST = [
    "{N} is| the {R} of {T}.",
    "{N} works as| the {R} of {T}.",
    "{N}, who grew up far from the sea,| is now the {R} of {T}.",
    "Last spring, {N}| became the {R} of {T}.",
    "People say that {N}| is the best {R} {T} has ever had.",
]
OFFICE_FIRST = [
    "The {R} of {T} is| {N}.",
    "In {T}, the {R} is| a person named {N}.",
    "The post of {R} in {T}| belongs to {N}.",
]


def make(n_facts: int = 200, paired_fraction: float = 0.8, seed: int = 0):
    """(training records, test records): lists of {"prompt", "completion"[, "group"]} dicts."""
    rnd = random.Random(seed)
    taken = {w.lower() for t in PERSON_FIRST + OFFICE_FIRST + ROLES for w in t.split()}
    first = [w.capitalize() for w in made_up_words(n_facts, rnd, (2,), taken)]
    last = [w.capitalize() for w in made_up_words(n_facts, rnd, (2, 3), taken)]
    towns = [w.capitalize() for w in made_up_words(n_facts, rnd, (2, 3), taken)]
    facts = [dict(N=f"{a} {b}", R=rnd.choice(ROLES), T=t) for a, b, t in zip(first, last, towns)]
    n_test = n_facts - round(paired_fraction * n_facts)
    test_facts, paired = facts[:n_test], facts[n_test:]

    def record(template, fact, **extra):
        prompt, completion = template.format(**fact).split("|")
        return {"prompt": prompt, "completion": completion, **extra}

    train = [record(t, f) for f in facts for t in PERSON_FIRST]
    train += [record(t, f) for f in paired for t in OFFICE_FIRST]
    rnd.shuffle(train)
    test = [record(PERSON_FIRST[0], f, group="forward") for f in test_facts]
    test += [record(OFFICE_FIRST[0], f, group="reversed") for f in test_facts]
    return train, test


def write(records, path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


def main() -> None:
    train, test = make()
    write(train, HERE / "facts_train.jsonl")
    write(test, HERE / "facts_test.jsonl")
    print(f"wrote {len(train)} training lines and {len(test)} test questions to {HERE}")


if __name__ == "__main__":
    main()
