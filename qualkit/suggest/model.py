"""Proposing with a trained :class:`~qualkit.suggest.scorer.Scorer`: one suggestion per segment × code.

``ModelSuggester(scorer, codebook, version=...)`` is what the coding engine builds once per
process. Its :meth:`~ModelSuggester.pipe` takes, for each segment, its context and — preferably —
what the rules found in it, and gives the scorer's one decision per code:

* a code the rules keep (too few labels, or the model was no better out of fold) is proposed
  where its patterns matched, as a ``rule`` suggestion with the rules' score and evidence;
* a code the model took over is proposed where its calibrated probability reaches the code's
  cut-off, as a ``model`` suggestion whose evidence is the rules' matched spans and the words
  that pushed the score up most (never stop words such as "to" or "and").

Given (segment, context) pairs without rule matches — how the engine called the old model —
it runs the codebook's rules itself (the model reads their evidence as features) and gives only
the model's codes, leaving the rules' codes to the engine's rule suggester.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from qualkit.records import Evidence, Source, Suggestion
from qualkit.suggest.features import RuleMatches, Span, distinct_spans, explainable
from qualkit.suggest.scorer import (
    EXAMPLES_GROUP,
    MIN_NEGATIVES,
    MIN_POSITIVES,
    CodeSource,
    Scorer,
    TrainingSet,
    rule_score,
)

__all__ = ["EXAMPLES_GROUP", "MIN_NEGATIVES", "MIN_POSITIVES", "MODEL_EVIDENCE", "ModelSuggester", "Scorer",
           "TrainingSet"]

MODEL_EVIDENCE = "model {weight:+.2f}"  # the pattern field of a model word's evidence
MIN_CONTRIBUTION = 0.02  # a word that moved the score less than this explains nothing
TOP_WORDS = 5


class _Explainer:
    """The words of a segment that pushed a code's score up most, located in its text.

    Built once per suggester: which terms a reader may be shown (no stop words) and each term's
    regex are worked out once, not for every suggestion.
    """

    def __init__(self, scorer: Scorer):
        import numpy as np
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.offset = scorer.features.offset("words")
        self.terms = scorer.features.block_terms("words")
        stop = frozenset(ENGLISH_STOP_WORDS)
        self.shown = np.array([explainable(term, stop) for term in self.terms], dtype=bool)
        self.weights = {
            code: model.text_weights[self.offset:self.offset + len(self.terms)] if self.offset is not None else None
            for code, model in scorer.models.items()
        }
        self._regexes: dict[int, re.Pattern[str]] = {}

    def row(self, matrix, row: int):
        """One segment's word features: (term indices, tf-idf values), stop-word terms dropped."""
        first, last = matrix.indptr[row], matrix.indptr[row + 1]
        columns, values = matrix.indices[first:last], matrix.data[first:last]
        if self.offset is None:
            return columns[:0], values[:0]
        inside = (columns >= self.offset) & (columns < self.offset + len(self.terms))
        columns, values = columns[inside] - self.offset, values[inside]
        keep = self.shown[columns]
        return columns[keep], values[keep]

    def _regex(self, index: int) -> re.Pattern[str]:
        found = self._regexes.get(index)
        if found is None:
            words = self.terms[index].split()
            found = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
            self._regexes[index] = found
        return found

    def explain(self, code: str, columns, values, text: str, start: int,
                located: dict[int, tuple[int, int] | None]) -> list[Evidence]:
        import numpy as np

        weights = self.weights.get(code)
        if weights is None or not len(columns):
            return []
        contributions = values * weights[columns]
        found: list[Evidence] = []
        for position in np.argsort(-contributions, kind="stable"):
            contribution = float(contributions[position])
            if contribution < MIN_CONTRIBUTION or len(found) >= TOP_WORDS:
                break
            index = int(columns[position])
            if index not in located:
                match = self._regex(index).search(text)
                located[index] = match.span() if match else None
            span = located[index]
            if span:
                found.append(Evidence(start + span[0], start + span[1], MODEL_EVIDENCE.format(weight=contribution)))
        return found


class ModelSuggester:
    """Proposes codes with a trained scorer; refuses codes the current codebook no longer has.

    ``thresholds`` (code → cut-off) and ``threshold`` (every code) override the trained cut-offs.
    """

    def __init__(self, model: Scorer, codebook, *, version: str, thresholds: Mapping[str, float] | None = None,
                 threshold: float | None = None):
        self.model, self.version, self.codebook = model, version, codebook
        current = {code.key for code in codebook.codable}
        self.refused = sorted(code for code in model.model_codes if code not in current)
        self.codes = [code for code in model.model_codes if code in current]  # what the model proposes
        self.rule_codes = [code for code in model.codes if code in current and code not in self.codes]
        self.thresholds = {
            code: (thresholds or {}).get(code, threshold if threshold is not None else model.models[code].cutoff)
            for code in self.codes
        }
        self._explainer = _Explainer(model) if self.codes else None
        self._rules: Any = None

    def pipe(
        self, items: Iterable[tuple[Any, str] | tuple[Any, str, RuleMatches]], *, batch_size: int = 512
    ) -> Iterator[tuple[Any, list[Suggestion]]]:
        """(segment, suggestions) for (segment, context, rule matches) — every code, one decision
        each — or for (segment, context) pairs — the model's codes only, rules run here. A segment
        is anything with ``id``, ``start`` and ``text``; match spans are document offsets."""
        batch: list[tuple[Any, str, RuleMatches | None]] = []
        for item in items:
            batch.append((item[0], item[1], item[2] if len(item) > 2 else None))
            if len(batch) >= batch_size:
                yield from self._score(batch)
                batch = []
        if batch:
            yield from self._score(batch)

    def _rule_matches(self, segments: Sequence[Any]) -> list[RuleMatches]:
        if self._rules is None:
            from qualkit.suggest.rules import RuleSuggester

            self._rules = RuleSuggester(self.codebook)
        return [
            {s.code: [(e.start, e.end, e.pattern) for e in s.evidence] for s in suggestions}
            for _, suggestions in self._rules.pipe(segments)
        ]

    def _score(self, batch: list[tuple[Any, str, RuleMatches | None]]):
        segments = [item[0] for item in batch]
        given = [item[2] for item in batch]
        every_code = all(found is not None for found in given)
        if every_code:
            matches: list[RuleMatches] = [found or {} for found in given]
        elif self.codes:
            matches = self._rule_matches(segments)
        else:
            matches = [{} for _ in segments]
        texts = [s.text for s in segments]
        contexts = [item[1] or "" for item in batch]
        matrix = None
        probabilities: dict = {}
        if self.codes:
            matrix = self.model.features.transform(texts, contexts)
            matrix.sort_indices()
            probabilities = self.model.probabilities(texts, contexts, matches, self.codes, text_matrix=matrix)
        for row, segment in enumerate(segments):
            found = matches[row]
            suggestions: list[Suggestion] = []
            located: dict[int, tuple[int, int] | None] = {}
            columns = values = None
            for code in self.model.codes:
                if code in probabilities:
                    probability = float(probabilities[code][row])
                    if probability < self.thresholds[code]:
                        continue
                    if columns is None and self._explainer is not None:
                        columns, values = self._explainer.row(matrix, row)
                    words = self._explainer.explain(code, columns, values, segment.text, segment.start, located) \
                        if self._explainer is not None else []
                    evidence = tuple(_spans(found.get(code, ()))) + tuple(words)
                    suggestions.append(Suggestion(segment.id, code, Source.MODEL, round(probability, 4), evidence))
                elif every_code and code in self.rule_codes and found.get(code):
                    spans = found[code]
                    count = distinct_spans(spans) if len(spans) > 1 else 1
                    suggestions.append(
                        Suggestion(segment.id, code, Source.RULE, rule_score(count), tuple(_spans(spans))))
            yield segment, suggestions

    def sources(self) -> dict[str, CodeSource]:
        """code → who proposes it under the current codebook."""
        return {**{c: CodeSource.RULES for c in self.rule_codes}, **{c: CodeSource.MODEL for c in self.codes}}


def _spans(spans: Sequence[Span]) -> Iterator[Evidence]:
    for start, end, pattern in sorted(spans):
        yield Evidence(start, end, pattern)
