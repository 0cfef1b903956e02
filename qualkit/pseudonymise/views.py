"""Pseudonymised views of texts, with offsets mapped both ways.

The stored text is never altered: :class:`Pseudonymiser` makes a new text in which every name of
the key is replaced by its pseudonym, plus an :class:`OffsetMap` that carries any span (a
segment, a coding, an evidence span, a highlight) from the original to the pseudonymised text
and back, in code points. A span boundary that falls inside a replaced name moves outwards to
the edge of the pseudonym, so a span never shows half a pseudonym or keeps half a name.

:func:`reveal` maps pseudonyms back to the original names; it needs the key, and nothing in a
pseudonymised text or its offset map names anyone (the map holds only positions).
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from qualkit.pseudonymise.key import KeyEntry, PseudonymKey
from qualkit.pseudonymise.matching import KeyMatcher


class Side(str, enum.Enum):
    """Which edge of a replaced name a position inside it moves to."""

    START = "start"
    END = "end"


@dataclass(frozen=True)
class OffsetMap:
    """Replaced spans as ``(original_start, original_end, new_start, new_end)``, in text order.

    Positions outside every replaced span shift by the length changes before them; positions
    strictly inside one move to its start (``Side.START``) or end (``Side.END``).
    """

    spans: tuple[tuple[int, int, int, int], ...]
    original_length: int
    pseudonymised_length: int
    _reverse: tuple[tuple[int, int, int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_reverse", tuple((s, e, a, b) for a, b, s, e in self.spans))

    def to_pseudonymised(self, position: int, *, side: Side = Side.START) -> int:
        """Where ``position`` of the original text is in the pseudonymised text."""
        return _map(self.spans, position, side, length=self.original_length)

    def to_original(self, position: int, *, side: Side = Side.START) -> int:
        """Where ``position`` of the pseudonymised text is in the original text."""
        return _map(self._reverse, position, side, length=self.pseudonymised_length)

    def span_to_pseudonymised(self, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` of the original text in the pseudonymised text, widened over cut names."""
        return self.to_pseudonymised(start, side=Side.START), self.to_pseudonymised(end, side=Side.END)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` of the pseudonymised text in the original text, widened over cut pseudonyms."""
        return self.to_original(start, side=Side.START), self.to_original(end, side=Side.END)

    def spans_to_pseudonymised(self, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        return [self.span_to_pseudonymised(start, end) for start, end in spans]

    def cuts_a_name(self, start: int, end: int) -> bool:
        """Whether ``(start, end)`` of the original has an edge strictly inside a replaced name."""
        return any(a < p < b for a, b, _, _ in self.spans for p in (start, end))


def _map(spans: Sequence[tuple[int, int, int, int]], position: int, side: Side, *, length: int) -> int:
    if not 0 <= position <= length:
        raise ValueError(f"position {position} is outside the text (0..{length})")
    index = bisect_left(spans, (position,)) - 1  # the last span starting before ``position``
    if index < 0:
        return position
    start, end, new_start, new_end = spans[index]
    if position < end:
        return new_start if side is Side.START else new_end
    return position + new_end - end


@dataclass(frozen=True)
class Replacement:
    """One name replaced: where it was, where its pseudonym is, and which key entry it was.

    In memory only, for the researcher's report: it holds the original name.
    """

    original_start: int
    original_end: int
    pseudonymised_start: int
    pseudonymised_end: int
    entry: KeyEntry


@dataclass(frozen=True)
class PseudonymisedText:
    """A pseudonymised text, its offset map, and what was replaced."""

    text: str
    offsets: OffsetMap
    replacements: tuple[Replacement, ...]

    def counts(self) -> Counter[str]:
        """How many times each entry (by original) was replaced."""
        return Counter(r.entry.original for r in self.replacements)

    def span(self, start: int, end: int) -> str:
        """The pseudonymised text of the original span ``(start, end)``."""
        new_start, new_end = self.offsets.span_to_pseudonymised(start, end)
        return self.text[new_start:new_end]


class Pseudonymiser:
    """A key compiled once, applied to many texts: ``pseudonymiser(text)`` or ``.value(text)``."""

    def __init__(self, key: PseudonymKey):
        self.key = key
        self._matcher = KeyMatcher.from_entries(key.entries)
        self._pseudonyms = [entry.pseudonym for entry in key.entries]

    def __call__(self, text: str) -> PseudonymisedText:
        return _replace(text, self._matcher, self._pseudonyms, self.key.entries)

    def pipe(self, texts: Iterable[str]) -> Iterator[PseudonymisedText]:
        for text in texts:
            yield self(text)

    @overload
    def value(self, text: str) -> str: ...

    @overload
    def value(self, text: None) -> None: ...

    def value(self, text: str | None) -> str | None:
        """A short value pseudonymised (a case or document name, a speaker label, a cell): text only."""
        if text is None:
            return None
        return self(text).text

    def spans(self, text: str, spans: Iterable[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
        """The pseudonymised text and ``spans`` (of the original) mapped into it."""
        view = self(text)
        return view.text, view.offsets.spans_to_pseudonymised(spans)


def pseudonymise_text(text: str, key: PseudonymKey) -> PseudonymisedText:
    """``text`` with every name of ``key`` replaced; compile a :class:`Pseudonymiser` for many texts."""
    return Pseudonymiser(key)(text)


def reveal(text: str, key: PseudonymKey) -> PseudonymisedText:
    """The reverse mapping: every pseudonym of ``key`` in ``text`` replaced by its original name.

    Aliases are not recoverable: "Brookfield" and "Brookfield Primary" both come back as the
    entry's original. The offset map maps pseudonymised positions (this function's input) to the
    revealed text; ``replacements`` name the entries.
    """
    matcher = KeyMatcher.for_pseudonyms(key.entries)
    return _replace(text, matcher, [e.original for e in key.entries], key.entries)


def _replace(text: str, matcher: KeyMatcher, replacements_by_target: list[str],
             entries: Sequence[KeyEntry]) -> PseudonymisedText:
    pieces: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    replaced: list[Replacement] = []
    position = 0
    new_position = 0
    for match in matcher.finditer(text):
        pieces.append(text[position:match.start])
        new_position += match.start - position
        replacement = replacements_by_target[match.target]
        pieces.append(replacement)
        span = (match.start, match.end, new_position, new_position + len(replacement))
        spans.append(span)
        replaced.append(Replacement(*span, entries[match.target]))
        new_position += len(replacement)
        position = match.end
    pieces.append(text[position:])
    result = "".join(pieces)
    return PseudonymisedText(
        text=result,
        offsets=OffsetMap(tuple(spans), original_length=len(text), pseudonymised_length=len(result)),
        replacements=tuple(replaced),
    )
