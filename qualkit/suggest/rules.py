"""Rule-based suggestions: a codebook's patterns run over segments with spaCy.

``RuleSuggester(codebook)`` compiles every pattern once; ``suggester(segment)`` and
``suggester.pipe(segments)`` return :class:`Suggestion` records whose evidence spans are
offsets into the document text.

An exclude pattern removes the evidence it overlaps ("multi-academy trust" removes "trust"
for ``culture.trust``); a segment whose evidence for a code is all removed gets no suggestion
for that code. The score grows with independent evidence: 1 - 0.5^n for n distinct spans
(0.5, 0.75, 0.875, ...), so one stray word ranks below a passage full of the code's language.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from qualkit.codebook import Codebook
from qualkit.records import Evidence, Segment, Source, Suggestion


def rule_score(evidence_count: int) -> float:
    return round(1.0 - 0.5**evidence_count, 4)


class RuleSuggester:
    """Proposes codes for segments from a codebook's patterns. Build once, use for many segments."""

    def __init__(self, codebook: Codebook):
        from qualkit.suggest.patterns import CompiledPatterns

        self.codebook = codebook
        self._order = {key: index for index, key in enumerate(codebook.keys)}  # codebook order
        self.patterns = CompiledPatterns(codebook.codes, nlp_name=codebook.nlp)
        self.nlp = self.patterns.nlp

    def __call__(self, segment: Segment) -> list[Suggestion]:
        return next(self.pipe([segment]))[1]

    def pipe(
        self, segments: Iterable[Segment], *, batch_size: int = 512
    ) -> Iterator[tuple[Segment, list[Suggestion]]]:
        """(segment, suggestions) for each segment, in order; tokenizes in batches."""
        pending: deque[Segment] = deque()  # segments whose texts nlp.pipe has taken

        def texts():
            for segment in segments:
                pending.append(segment)
                yield segment.text

        for doc in self.nlp.pipe(texts(), batch_size=batch_size):
            segment = pending.popleft()
            yield segment, self._suggest(segment, doc)

    def _suggest(self, segment: Segment, doc) -> list[Suggestion]:
        matches = self.patterns.matches(doc, segment.text)
        if not matches:
            return []
        excluded: dict[str, list[tuple[int, int]]] = {}
        for match in matches:
            if match.exclude:
                excluded.setdefault(match.code, []).append((match.start, match.end))
        evidence: dict[str, dict[tuple[int, int], str]] = {}
        for match in matches:
            if match.exclude:
                continue
            blocked = excluded.get(match.code)
            if blocked and any(s < match.end and match.start < e for s, e in blocked):
                continue
            spans = evidence.setdefault(match.code, {})
            spans.setdefault((match.start, match.end), match.pattern)
        suggestions = []
        for code in sorted(evidence, key=self._order.__getitem__):  # codebook order, so output is stable
            spans = evidence[code]
            items = tuple(
                Evidence(segment.start + start, segment.start + end, pattern)
                for (start, end), pattern in sorted(spans.items())
            )
            suggestions.append(
                Suggestion(segment.id, code, Source.RULE, rule_score(len(_distinct(items))), items)
            )
        return suggestions


def _distinct(items: tuple[Evidence, ...]) -> list[Evidence]:
    """Evidence spans that do not overlap an earlier one (nested matches count once)."""
    kept: list[Evidence] = []
    for item in items:
        if not any(k.start < item.end and item.start < k.end for k in kept):
            kept.append(item)
    return kept
