"""Quotes that show the evidence, as pure functions on :class:`CodedSegment` records.

:func:`excerpt` trims a coded passage to the sentences that carry its evidence (the words a
rule matched), within a word limit, marking cuts with ellipses and never cutting a word;
the matched words come back as highlighted runs. :func:`representative` chooses quotes by
evidence strength, spread across cases and documents; :func:`representative_per_cell` does it
for every cell of a table without showing one passage twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from qualkit.export.report_data import CodedSegment, Excerpt, Quote

MAX_WORDS = 60  # a quote a reader takes in at a glance; a long turn is trimmed to its evidence
MIN_WORDS = 12  # below this, a neighbouring sentence is added for context
ELLIPSIS = "…"
STRONG_EVIDENCE = 4  # more distinct matched words than this do not make a quote more telling
SPREAD_EVIDENCE = 2  # a passage with this many matched words is never passed over for a weaker one to spread

# A sentence ends at . ! ? or … (with any closing quotes or brackets) before white space, or at a
# line break. Abbreviations that end in a full stop do not end a sentence.
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s)|\n\s*""")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "vs", "cf", "approx"})
_BULLETS = "•◦▪‣·"  # a list item's bullet is layout, not words: a quote starts after it
_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")

Key = TypeVar("Key", bound=Hashable)


# ------------------------------------------------------------------------------------ excerpts


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, without the white space around them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        _add_trimmed(spans, text, start, end)
        start = end
    _add_trimmed(spans, text, start, len(text))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    return word.lower().lstrip("(\"'“‘") in _ABBREVIATIONS


def _add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and (text[start].isspace() or text[start] in _BULLETS):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def excerpt(text: str, *, evidence: Sequence[tuple[int, int]] = (), max_words: int = MAX_WORDS,
            min_words: int = MIN_WORDS) -> Excerpt:
    """The part of ``text`` worth quoting, with ``evidence`` (offsets into ``text``) highlighted.

    Sentences are taken in order of how much evidence they hold, as long as they fit in
    ``max_words``; a quote shorter than ``min_words`` gains the sentences around it. A single
    sentence longer than the limit is cut to a window of whole words around its evidence.
    Without evidence, the passage's opening sentences are quoted. Left-out words are marked
    with an ellipsis; white space is collapsed to single spaces.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    spans = sentences(text)
    if not spans:
        return Excerpt(())
    marks = _merge(evidence, len(text))
    sizes = [_count_words(text, s, e) for s, e in spans]
    hits = [sum(1 for a, b in marks if a < e and b > s) for s, e in spans]
    ranked = sorted((i for i, n in enumerate(hits) if n), key=lambda i: (-hits[i], i)) or [0]
    chosen: set[int] = set()
    used = 0
    for index in ranked:
        if not chosen and sizes[index] > max_words:
            return _window(text, spans, index, marks, max_words)
        if used + sizes[index] <= max_words:
            chosen.add(index)
            used += sizes[index]
    for index in _neighbours(chosen, len(spans)):  # short: add context around it
        if used >= min_words:
            break
        if used + sizes[index] <= max_words:
            chosen.add(index)
            used += sizes[index]
    blocks = _blocks(sorted(chosen), spans)
    return _build(text, blocks, marks, before=blocks[0][0] > spans[0][0], after=blocks[-1][1] < spans[-1][1])


def _merge(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _count_words(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text, start, end))


def _neighbours(chosen: set[int], total: int) -> list[int]:
    """Sentences next to the chosen ones, following before preceding, nearest first."""
    out: list[int] = []
    for distance in range(1, total):
        for index in sorted(chosen):
            for candidate in (index + distance, index - distance):
                if 0 <= candidate < total and candidate not in chosen and candidate not in out:
                    out.append(candidate)
    return out


def _blocks(indices: list[int], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of consecutive sentences as (start, end) offsets."""
    blocks: list[tuple[int, int]] = []
    previous = None
    for index in indices:
        start, end = spans[index]
        if previous is not None and index == previous + 1:
            blocks[-1] = (blocks[-1][0], end)
        else:
            blocks.append((start, end))
        previous = index
    return blocks


def _window(text: str, spans: list[tuple[int, int]], index: int, marks: list[tuple[int, int]],
            max_words: int) -> Excerpt:
    """Whole words of one long sentence around its evidence, at most ``max_words`` of them."""
    start, end = spans[index]
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    marked = [i for i, (s, e) in enumerate(words) if any(a < e and b > s for a, b in marks)] or [0]
    first, last = marked[0], marked[-1]
    if last - first + 1 > max_words:  # evidence spread wider than the limit: start at the first
        last = first + max_words - 1
    spare = max_words - (last - first + 1)
    lead = min(first, spare // 2)
    first -= lead
    last = min(len(words) - 1, last + spare - lead)
    first = max(0, min(first, last - max_words + 1))
    block = (words[first][0], words[last][1])
    return _build(text, [block], marks, before=block[0] > spans[0][0], after=block[1] < spans[-1][1])


def _build(text: str, blocks: list[tuple[int, int]], marks: list[tuple[int, int]], *, before: bool,
           after: bool) -> Excerpt:
    runs: list[tuple[str, bool]] = []

    def add(piece: str, marked: bool) -> None:
        piece = _SPACE.sub(" ", piece)
        if not piece:
            return
        if runs and runs[-1][0].endswith(" ") and piece.startswith(" "):
            piece = piece[1:]
        if runs and runs[-1][1] == marked:
            runs[-1] = (runs[-1][0] + piece, marked)
        elif piece:
            runs.append((piece, marked))

    if before:
        add(ELLIPSIS + " ", False)
    for number, (start, end) in enumerate(blocks):
        if number:
            add(f" {ELLIPSIS} ", False)
        position = start
        for a, b in marks:
            a, b = max(a, start), min(b, end)
            if a >= b:
                continue
            add(text[position:a], False)
            add(text[a:b], True)
            position = b
        add(text[position:end], False)
    if after:
        add(" " + ELLIPSIS, False)
    trimmed = before or after or len(blocks) > 1
    return Excerpt(tuple(runs), trimmed=trimmed)


def highlight(text: str, evidence: Sequence[tuple[int, int]] = ()) -> Excerpt:
    """All of ``text``, white space collapsed, with ``evidence`` (offsets into it) highlighted."""
    spans = sentences(text)
    if not spans:
        return Excerpt(())
    return _build(text, [(spans[0][0], spans[-1][1])], _merge(evidence, len(text)), before=False, after=False)


def quote(segment: CodedSegment, *, max_words: int = MAX_WORDS) -> Quote:
    """``segment`` with the excerpt of it a report shows."""
    return Quote(segment, excerpt(segment.text, evidence=segment.evidence_in_text, max_words=max_words))


# ----------------------------------------------------------------------------------- choosing


def merge_passages(segments: Iterable[CodedSegment]) -> list[CodedSegment]:
    """One record per passage: codings of the same passage pooled, their evidence together.

    The first coding's code and source stand for the passage; the score is the highest.
    """
    pooled: dict[tuple, CodedSegment] = {}
    for segment in segments:
        seen = pooled.get(segment.passage)
        if seen is None:
            pooled[segment.passage] = segment
            continue
        scores = [s for s in (seen.score, segment.score) if s is not None]
        pooled[segment.passage] = replace(
            seen, evidence=tuple(sorted(set(seen.evidence) | set(segment.evidence))),
            score=max(scores) if scores else None,
            reviewers=tuple(dict.fromkeys(seen.reviewers + segment.reviewers)),
        )
    return list(pooled.values())


def strength(segment: CodedSegment) -> tuple[int, int, float]:
    """How telling a passage is as evidence: distinct matched words (up to a point), then
    reviewers who accepted it, then the suggestion's score. Higher is stronger."""
    matched = len({(s, e) for s, e in segment.evidence_in_text})
    return (min(matched, STRONG_EVIDENCE), len(segment.reviewers), segment.score or 0.0)


def representative(segments: Iterable[CodedSegment], *, n: int, max_words: int = MAX_WORDS,
                   exclude: Iterable[tuple] = (), quoted: Iterable[Quote] = ()) -> tuple[Quote, ...]:
    """Up to ``n`` quotes: passages with the most matched words first (up to
    :data:`SPREAD_EVIDENCE`), among them each next one from the case and the document quoted
    least so far (counting ``quoted``, the quotes already in the same table), so quotes spread
    across cases and documents, and the strongest one where that ties. Passages in ``exclude``
    (``CodedSegment.passage`` keys) and repeats of a text already chosen are skipped; pending
    suggestions are used only when nothing accepted is left."""
    earlier = list(quoted)
    taken = set(exclude) | {q.segment.passage for q in earlier}
    scored = [(s, strength(s)) for s in merge_passages(segments) if s.passage not in taken]
    scored.sort(key=lambda item: (item[0].pending, tuple(-x for x in item[1]), len(item[0].text), item[0].document,
                                  item[0].start or 0))
    per_document: Counter = Counter()
    pool = []
    for segment, score in scored:  # a document never gives more than n quotes: its weaker passages are not needed
        if per_document[segment.document] < 2 * n:
            per_document[segment.document] += 1
            pool.append((segment, min(score[0], SPREAD_EVIDENCE)))
    cases: Counter = Counter(q.segment.case for q in earlier)
    documents: Counter = Counter(q.segment.document for q in earlier)
    chosen: list[Quote] = []
    texts: set[str] = set()
    while pool and len(chosen) < n:
        best = min(range(len(pool)), key=lambda i: (pool[i][0].pending, -pool[i][1], cases[pool[i][0].case],
                                                     documents[pool[i][0].document], i))
        segment, _ = pool.pop(best)
        made = quote(segment, max_words=max_words)
        normal = " ".join(made.text.casefold().split())
        if normal in texts:
            continue
        texts.add(normal)
        chosen.append(made)
        cases[segment.case] += 1
        documents[segment.document] += 1
    return tuple(chosen)


def representative_per_cell(cells: Mapping[Key, Sequence[CodedSegment]], *, n: int, max_words: int = MAX_WORDS,
                            exclude: Iterable[tuple] = ()) -> dict[Key, tuple[Quote, ...]]:
    """:func:`representative` for every cell of a table, never quoting one passage twice in it
    and spreading quotes across the cases and documents of the whole table.

    Cells with the fewest passages choose first, so a passage that is the only evidence for
    one cell is quoted there rather than used up by a busier cell.
    """
    out: dict[Key, tuple[Quote, ...]] = {}
    quoted: list[Quote] = []
    order = sorted(cells, key=lambda key: len({s.passage for s in cells[key]}))
    for key in order:
        quotes = representative(cells[key], n=n, max_words=max_words, exclude=exclude, quoted=quoted)
        quoted += quotes
        out[key] = quotes
    return {key: out[key] for key in cells}
