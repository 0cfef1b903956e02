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

import functools
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TypeVar

from qualkit.codebook import Codebook
from qualkit.errors import CodebookError
from qualkit.records import Evidence, Source, Suggestion
from qualkit.store import SuggestionRow, evidence_json


class Passage(Protocol):
    """What the rules read of a segment: its id, where it starts in its document, and its text."""

    @property
    def id(self) -> int: ...

    @property
    def start(self) -> int: ...

    @property
    def text(self) -> str: ...


P = TypeVar("P", bound=Passage)


@functools.lru_cache(maxsize=64)
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

    def __call__(self, segment: Passage) -> list[Suggestion]:
        return next(self.pipe([segment]))[1]

    def pipe(
        self, segments: Iterable[P], *, batch_size: int = 512
    ) -> Iterator[tuple[P, list[Suggestion]]]:
        """(segment, suggestions) for each segment, in order; tokenizes in batches. A segment
        is anything with ``id``, ``start`` and ``text``."""
        for segment, found in self.found(segments, batch_size=batch_size):
            yield segment, [
                Suggestion(segment.id, code, Source.RULE, score, tuple(Evidence(*span) for span in spans))
                for code, score, spans in found
            ]

    def rows(
        self, segments: Iterable[P], *, batch_size: int = 512, failures: list[tuple[int, str]] | None = None,
    ) -> Iterator[tuple[P, list[SuggestionRow]]]:
        """:meth:`pipe` as the store's :func:`~qualkit.store.suggestion_row` tuples, built without
        the records in between: what a worker sends the writer, several hundred thousand a run.
        ``failures`` collects the segments that could not be coded (see :meth:`found`)."""
        rule = Source.RULE.value
        for segment, found in self.found(segments, batch_size=batch_size, failures=failures):
            yield segment, [(segment.id, code, rule, score, evidence_json(spans)) for code, score, spans in found]

    def found(self, segments: Iterable[P], *, batch_size: int, failures: list[tuple[int, str]] | None = None,
               ) -> Iterator[tuple[P, list[tuple[str, float, list[tuple[int, int, str]]]]]]:
        """(segment, [(code, score, evidence spans as document offsets), ...]) for each segment.

        With ``failures``, a segment the rules cannot read (longer than spaCy takes, or a fallback
        regex out of time on it) is listed there as (segment id, why) and gets no suggestions, and
        the others are coded; without it, such a segment raises."""
        pending: deque[P] = deque()  # segments whose texts nlp.pipe has taken
        limit = self.nlp.max_length

        def texts() -> Iterator[str]:
            for segment in segments:
                pending.append(segment)
                yield segment.text if len(segment.text) <= limit else ""

        for doc in self.nlp.pipe(texts(), batch_size=batch_size):
            segment = pending.popleft()
            try:
                if len(segment.text) > limit:
                    raise CodebookError(
                        f"segment {segment.id} is {len(segment.text):,} characters, more than spaCy reads at once "
                        f"({limit:,}); ingest its document again (qualkit now splits long blocks)"
                    )
                yield segment, self._evidence(segment, doc)
            except CodebookError as exc:  # PatternTimeoutError among them
                if failures is None:
                    raise
                failures.append((segment.id, str(exc)))
                yield segment, []

    def _evidence(self, segment: Passage, doc: Any) -> list[tuple[str, float, list[tuple[int, int, str]]]]:
        # Runs once per segment over every hit: a national corpus makes millions of hits, so
        # this loop keeps to plain tuples and dicts.
        matches = self.patterns.matches(doc, segment.text, segment=f"segment {segment.id}")
        if not matches:
            return []
        evidence: dict[str, dict[tuple[int, int], str]] = {}  # code -> span -> the first pattern to find it
        excluded: dict[str, list[tuple[int, int]]] = {}
        for code, start, end, pattern, exclude in matches:
            if exclude:
                excluded.setdefault(code, []).append((start, end))
                continue
            spans = evidence.get(code)
            if spans is None:
                evidence[code] = {(start, end): pattern}
            elif (start, end) not in spans:
                spans[start, end] = pattern
        for code, blocked in excluded.items():  # an exclude pattern removes the evidence it overlaps
            spans = evidence.get(code)
            if spans:
                for span in [span for span in spans if any(s < span[1] and span[0] < e for s, e in blocked)]:
                    del spans[span]
                if not spans:
                    del evidence[code]
        found = []
        offset = segment.start
        codes = sorted(evidence, key=self._order.__getitem__) if len(evidence) > 1 else evidence
        for code in codes:  # codebook order, so output is stable
            ordered = sorted(evidence[code].items())
            items = [(offset + start, offset + end, pattern) for (start, end), pattern in ordered]
            found.append((code, rule_score(_distinct(items) if len(items) > 1 else 1), items))
        return found


def _distinct(items: list[tuple[int, int, str]]) -> int:
    """How many evidence spans do not overlap an earlier one (nested matches count once)."""
    kept: list[tuple[int, int, str]] = []
    for item in items:
        if not any(k[0] < item[1] and item[0] < k[1] for k in kept):
            kept.append(item)
    return len(kept)
