"""Evidence as a reader sees it: the matched words quoted, with their offsets.

The store keeps each evidence span with the pattern that found it (``tokens: [{"LOWER": ...}]``,
``accountab*``) or, for the model, the weight of the word. That is for provenance; a reviewer
needs the words themselves: ``“performance management” @120-142; “NPQ” @200-203 (model +0.31)``.
The pattern's source is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from qualkit.records import Evidence

_MODEL = re.compile(r"^model ([+-]\d+(?:\.\d+)?)$")
_OLD_MODEL = re.compile(r"^(?P<term>.+) \((?P<weight>[+-]\d+(?:\.\d+)?)\)$")  # models before the scorer: "npq (+0.42)"
_SPACE = re.compile(r"\s+")
LONGEST_QUOTE = 60
SEARCH_PREFIX = "search: "  # how `qualkit search --code-new` marks its evidence


def quote(text: str, start: int, end: int, *, offset: int = 0) -> str | None:
    """The words at document offsets ``start``–``end`` of ``text`` (which starts at ``offset``),
    whitespace collapsed, shortened in the middle if long; None if the span is outside ``text``."""
    if not (offset <= start < end <= offset + len(text)):
        return None
    words = _SPACE.sub(" ", text[start - offset:end - offset]).strip()
    if len(words) > LONGEST_QUOTE:
        half = (LONGEST_QUOTE - 1) // 2
        words = words[:half].rstrip() + "…" + words[-half:].lstrip()
    return words


def model_weight(pattern: str) -> str | None:
    """The signed weight of a model's word ("+0.31") from its stored pattern field; None for a rule's."""
    model = _MODEL.match(pattern)
    old = None if model else _OLD_MODEL.match(pattern)
    return model.group(1) if model else old.group("weight") if old else None


def describe(item: Evidence | tuple[int, int, str], text: str, *, offset: int = 0) -> str:
    """One piece of evidence: ``“words” @start-end``, with ``(model +0.31)`` for a model's word."""
    start, end, pattern = (item.start, item.end, item.pattern) if isinstance(item, Evidence) else item
    words = quote(text, start, end, offset=offset)
    model = _MODEL.match(pattern)
    old = None if model else _OLD_MODEL.match(pattern)
    weight = model.group(1) if model else old.group("weight") if old else None
    if words is None:
        words = old.group("term") if old else None
    shown = f"“{words}” @{start}-{end}" if words else f"@{start}-{end}"
    if pattern.startswith(SEARCH_PREFIX):  # a text search's hit: the query a person typed says why
        return f"{shown} ({pattern})"
    return f"{shown} (model {weight})" if weight else shown


def describe_all(evidence: Iterable[Evidence | tuple[int, int, str]], text: str, *, offset: int = 0,
                 limit: int = 8) -> str:
    """Every piece of a suggestion's evidence, in text order, ``; ``-joined; at most ``limit``
    shown, then ``(+N more)``. ``text`` is the segment's (or document's) text starting at ``offset``."""
    items: Sequence = sorted(
        evidence, key=lambda e: (e.start, e.end) if isinstance(e, Evidence) else (e[0], e[1]))
    shown = [describe(item, text, offset=offset) for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"(+{len(items) - limit} more)")
    return "; ".join(shown)
