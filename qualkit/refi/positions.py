"""Reconcile the position conventions of REFI-QDA exporters with qualkit's code points.

The standard counts Unicode code points, but NVivo for Windows counts UTF-16 code units (an emoji
is 2) and CRLF as two characters. Positions are therefore tried under each convention; the one the
exporter is known for (the standard's, unless its ``origin`` says otherwise) stands unless another
puts clearly more selections inside the text and on word boundaries. Files qualkit wrote are code
points by construction and are not second-guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Convention:
    """How an exporter counted positions."""

    name: str
    utf16: bool  # characters beyond U+FFFF count as 2 (UTF-16 code units)
    crlf2: bool  # a CRLF line break counts as 2

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.utf16 else "code points"
        return f"{unit} with CRLF line breaks counted as 2" if self.crlf2 else unit


CODE_POINTS = Convention("code-points", utf16=False, crlf2=False)
CODE_POINTS_CRLF2 = Convention("code-points-crlf2", utf16=False, crlf2=True)
UTF16 = Convention("utf16", utf16=True, crlf2=False)
UTF16_CRLF2 = Convention("utf16-crlf2", utf16=True, crlf2=True)
CONVENTIONS = (CODE_POINTS, CODE_POINTS_CRLF2, UTF16, UTF16_CRLF2)


def preferred_conventions(origin: str | None) -> tuple[Convention, ...]:
    """Tie-break order: what the exporting program is known to do first, then the standard."""
    program = (origin or "").lower()
    if program.startswith("qualkit"):  # we wrote it: code points by construction, nothing to guess
        return (CODE_POINTS,)
    if "nvivo" in program and "mac" not in program:
        return (UTF16_CRLF2, CODE_POINTS, CODE_POINTS_CRLF2, UTF16)
    return CONVENTIONS


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class TextIndex:
    """A source text normalised to ``\\n`` line breaks, able to map foreign positions onto it."""

    def __init__(self, raw: str):
        self.text = normalise_newlines(raw)
        crlf: list[int] = []
        newlines: list[int] = []
        removed = 0
        for match in _NEWLINE.finditer(raw):
            index = match.start() - removed
            newlines.append(index)
            if match.group() == "\r\n":
                crlf.append(index)
                removed += 1
        # A file with CRLF: those count 2. A file with bare LF whose exporter still counted 2
        # (it kept CRLF internally): every line break counts 2.
        doubled = crlf if crlf else newlines
        astral = [match.start() for match in _ASTRAL.finditer(self.text)]
        self._heavy = {
            CODE_POINTS: [],
            CODE_POINTS_CRLF2: doubled,
            UTF16: astral,
            UTF16_CRLF2: sorted(set(astral) | set(doubled)),
        }
        self._starts = {
            convention: [index + n for n, index in enumerate(heavy)] for convention, heavy in self._heavy.items()
        }

    def to_index(self, position: int, convention: Convention, *, end: bool) -> tuple[int | None, bool]:
        """``position`` under ``convention`` as an index into :attr:`text`, and whether it fell on a
        character boundary (not inside a surrogate pair or a CRLF). None when outside the text."""
        heavy = self._heavy[convention]
        starts = self._starts[convention]
        if position < 0:
            return None, False
        before = bisect_left(starts, position)  # heavy characters that begin before the position
        if before and position == starts[before - 1] + 1:  # inside one: snap outwards
            index = heavy[before - 1] + (1 if end else 0)
            return index, False
        index = position - before
        if index > len(self.text):
            return None, False
        return index, True


def _word(char: str) -> bool:
    return char.isalnum()


def _boundary(text: str, index: int) -> bool:
    return index <= 0 or index >= len(text) or not (_word(text[index - 1]) and _word(text[index]))


@dataclass(frozen=True)
class Mapped:
    """One selection after mapping: indices into the normalised text, or None when it did not fit."""

    start: int | None
    end: int | None


def _score(selections, convention: Convention) -> tuple[int, list[Mapped]]:
    """How sensible the selections look under ``convention``: a selection that fits the text is worth 3,
    each end on a word boundary 1 more, each end inside a surrogate pair or CRLF 2 less."""
    value = 0
    mapped: list[Mapped] = []
    for index, start, end in selections:
        first, first_aligned = index.to_index(start, convention, end=False)
        last, last_aligned = index.to_index(end, convention, end=True)
        if first is None or last is None or last <= first:
            mapped.append(Mapped(None, None))
            continue
        value += 3 + _boundary(index.text, first) + _boundary(index.text, last)
        value -= 2 * ((not first_aligned) + (not last_aligned))
        mapped.append(Mapped(first, last))
    return value, mapped


def reconcile(selections: list[tuple[TextIndex, int, int]], *, origin: str | None) -> tuple[Convention, list[Mapped]]:
    """Pick the convention under which ``(text, start, end)`` selections make most sense.

    The exporter's expected convention (the standard's, unless it is known to differ) stands unless
    another is clearly better: by at least 2 points and by half a point per selection the two map
    differently, so one sloppy selection cannot flip a whole project. Returns the convention and the
    mapped selections; a convention whose mapping equals the standard's is reported as :data:`CODE_POINTS`.
    """
    order = preferred_conventions(origin)
    results = [(convention, *_score(selections, convention)) for convention in order]
    _, default_value, default_mapped = results[0]
    chosen = results[0]
    for result in results[1:]:
        _, value, mapped = result
        differing = sum(a != b for a, b in zip(mapped, default_mapped, strict=True))
        if value - default_value >= max(2, (differing + 1) // 2) and value > chosen[1]:
            chosen = result
    convention, _, mapped = chosen
    if convention is not CODE_POINTS and CODE_POINTS in order:
        baseline = next(result[2] for result in results if result[0] is CODE_POINTS)
        if mapped == baseline:
            return CODE_POINTS, mapped
    return convention, mapped
