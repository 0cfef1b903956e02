"""A small labelled training set built in code, for the scorer's unit tests (no project, no spaCy).

Six documents of twelve segments. Three codes, chosen so the right answer is known:

* ``itt``: the rules are perfect (every "ITT" segment is one, and only those) — the model cannot
  beat them, so the code must stay with the rules;
* ``npq``: the rules miss half the positives ("leadership qualification" without "NPQ");
* ``trust``: the rules also fire on "multi-academy trust", which is never a coding.
"""

from __future__ import annotations

import random

import pytest

from qualkit.suggest.scorer import TrainingSet

FILLER = ["the hall floor was polished", "parents evening went well", "the minibus is booked",
          "lunchtimes are calmer now", "we bought new reading books", "the roof leaked again"]


def _span(text: str, word: str, pattern: str) -> tuple[int, int, str]:
    start = text.lower().index(word.lower())
    return (start, start + len(word), pattern)


def make_training_set(*, documents: int = 6, seed: int = 0) -> TrainingSet:
    rng = random.Random(seed)
    texts, contexts, groups, matches = [], [], [], []
    labels: dict[str, dict[int, int]] = {"itt": {}, "npq": {}, "trust": {}}

    def add(text: str, group: int, found: dict, truth: dict[str, int]) -> None:
        row = len(texts)
        texts.append(text)
        contexts.append(rng.choice(FILLER))
        groups.append(group)
        matches.append(found)
        for code in labels:
            labels[code][row] = truth.get(code, 0)

    for group in range(documents):
        tail = f" in school {group}, {rng.choice(FILLER)}"
        for _ in range(2):
            text = "Our ITT trainees joined the department" + tail
            add(text, group, {"itt": [_span(text, "ITT", "ITT")]}, {"itt": 1})
            text = "She is on the NPQ for senior leaders" + tail
            add(text, group, {"npq": [_span(text, "NPQ", "NPQ")]}, {"npq": 1})
            text = "He started the leadership qualification course" + tail
            add(text, group, {}, {"npq": 1})
            text = "Leaders trust staff to use their judgement" + tail
            add(text, group, {"trust": [_span(text, "trust", "trust")]}, {"trust": 1})
            text = "The multi-academy trust runs the payroll" + tail
            add(text, group, {"trust": [_span(text, "trust", "trust")]}, {})
            text = rng.choice(FILLER).capitalize() + tail
            add(text, group, {}, {})
    return TrainingSet(tuple(texts), tuple(contexts), tuple(groups), labels, tuple(matches))


@pytest.fixture
def training() -> TrainingSet:
    return make_training_set()
