"""Text search over segments: a small query language, SQLite FTS5 underneath, keyword in context.

The query language (case-insensitive; accents are ignored, so "role" finds "rôle")::

    mentoring                 a word
    mentor*                   a word beginning with "mentor" (mentor, mentors, mentoring...)
    "performance management"  a phrase: these words next to each other (a "phrase*" ends in a prefix)
    coaching mentor*          both (AND is implied between terms)
    coaching OR mentoring     either
    -ofsted   NOT ofsted      leave out segments with the word
    multi-academy             words joined by punctuation are a phrase ("multi academy")

Queries are parsed here and written out as FTS5 syntax with every word quoted, so punctuation in
a query is never an FTS5 syntax error. Matches are found again in each hit's text, with the same
folding, for keyword-in-context lines.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qualkit.errors import SearchError
from qualkit.records import SearchHit, Source, Status

if TYPE_CHECKING:
    from qualkit.review.decisions import Consensus
    from qualkit.store import Store

_WORD = re.compile(r"[^\W_]+")  # unicode61's token characters: letters and digits
_PIECE = re.compile(r'(-?)"([^"]*)"(\*?)|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or phrase to find: its folded tokens, the last one a prefix if ``prefix``."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        return '"' + " ".join(token.replace('"', '""') for token in self.tokens) + '"' + (" *" if self.prefix else "")

    def pattern(self) -> str:
        """A regex finding the term in folded text: its tokens as whole words, separated by anything
        that is not a letter or digit."""
        parts = [re.escape(token) for token in self.tokens]
        tail = r"[^\W_]*" if self.prefix else r"(?![^\W_])"
        return r"(?<![^\W_])" + r"[\W_]+".join(parts) + tail

    def __str__(self) -> str:
        text = " ".join(self.tokens) + ("*" if self.prefix else "")
        return f'"{text}"' if len(self.tokens) > 1 else text


@dataclass(frozen=True)
class Query:
    """A parsed search: every group must match (a group matches if any of its terms does), and no
    excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def fts(self) -> str:
        """The query in FTS5 syntax."""
        clauses = ["(" + " OR ".join(term.fts() for term in group) + ")" for group in self.groups]
        text = " AND ".join(clauses)
        for term in self.excluded:
            text += f" NOT {term.fts()}"
        return text

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(term for group in self.groups for term in group)

    def __str__(self) -> str:
        text = " ".join(" OR ".join(str(term) for term in group) for group in self.groups)
        return text + "".join(f" -{term}" for term in self.excluded)


def fold(text: str) -> str:
    """Lower case without accents, one character for one character (so offsets stay those of ``text``)."""
    if text.isascii():
        return text.lower()
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer (İ): one at a time
        return "".join(map(_fold_char, text))
    return lowered.translate({ord(char): _fold_char(char) for char in set(lowered) if not char.isascii()})


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)) or char
    lowered = base[0].lower()
    return lowered if len(lowered) == 1 else base[0]


def _term(text: str, *, prefix: bool) -> Term | None:
    tokens = tuple(_WORD.findall(fold(text)))
    if not tokens:
        return None
    return Term(tokens, prefix=prefix)


def parse_query(text: str) -> Query:
    """A query from the language above; refused when it has nothing to look for."""
    if len(text) > 1000:
        raise SearchError(f"the query is {len(text)} characters; keep it under 1,000")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = negate_next = False
    if text.count('"') % 2:
        raise SearchError(f"unbalanced quote in {text!r}: a phrase is written between two double quotes")
    for match in _PIECE.finditer(text):
        minus, quoted, star, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                join_next = bool(groups)
                continue
            if bare in ("AND", "NOT"):
                negate_next = bare == "NOT"
                continue
            minus = "-" if bare.startswith("-") and len(bare) > 1 else ""
            bare = bare[1:] if minus else bare
            term = _term(bare.rstrip("*"), prefix=bare.endswith("*"))
        else:
            term = _term(quoted, prefix=bool(star))
        if term is None:
            continue
        if minus or negate_next:
            excluded.append(term)
        elif join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = negate_next = False
    if not groups:
        what = "only words to leave out" if excluded else "no word to look for"
        raise SearchError(f"the query {text!r} has {what}; e.g. qualkit search 'mentor*' or '\"lesson study\"'")
    return Query(tuple(tuple(group) for group in groups), tuple(excluded))


def find_matches(text: str, terms: Sequence[Term] | Sequence[re.Pattern[str]]) -> tuple[tuple[int, int], ...]:
    """Where any of ``terms`` (or their compiled patterns) occurs in ``text`` (offsets into it), in order,
    overlaps merged."""
    folded = fold(text)
    patterns = [term if isinstance(term, re.Pattern) else re.compile(term.pattern()) for term in terms]
    spans = sorted(m.span() for pattern in patterns for m in pattern.finditer(folded))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def search(store: Store, query: Query, *, document_ids: Iterable[int] | None = None,
           segment_ids: set[int] | None = None, limit: int | None = None) -> list[SearchHit]:
    """Segments matching ``query`` (in these documents; among these segments), in document order,
    each with where the query's terms occur in its text."""
    found = store.search.matching(query.fts(), document_ids=list(document_ids) if document_ids is not None else None)
    if segment_ids is not None:
        found = [segment_id for segment_id in found if segment_id in segment_ids]
    if limit is not None:
        found = found[:limit]
    patterns = [re.compile(term.pattern()) for term in query.terms]
    return [replace(hit, matches=find_matches(hit.text, patterns)) for hit in store.search.hits(found)]


def coded_segments(store: Store, *, codes: Sequence[str] | None, statuses: Sequence[Status] | None,
                   consensus: Consensus) -> set[int]:
    """Segments with a suggestion of these codes (or under them; any code when None) whose status
    under ``consensus`` is one of ``statuses`` (any, when None)."""
    from qualkit.records import NO_DECISIONS
    from qualkit.review.actions import states

    found = states(store) if statuses else {}
    wanted = set(statuses or ())
    return {
        view.segment_id for view in store.suggestions.views(codes=codes)
        if not wanted or consensus.status(found.get(view.id, NO_DECISIONS)) in wanted
    }


@dataclass(frozen=True)
class KwicLine:
    """One match in its context: ``left`` and ``right`` are up to ``width`` characters either side."""

    hit: SearchHit
    start: int  # offsets of the match in the document
    end: int
    left: str
    match: str
    right: str


def kwic(hits: Iterable[SearchHit], *, width: int = 40) -> Iterator[KwicLine]:
    """Keyword-in-context lines, one per match (a hit with no match found again: one line at its start)."""
    for hit in hits:
        spans = hit.matches or ((0, 0),)
        for start, end in spans:
            left = _clip(" ".join(hit.text[max(0, start - width * 2):start].split()), width, end=True)
            right = _clip(" ".join(hit.text[end:end + width * 2].split()), width, end=False)
            yield KwicLine(hit, hit.start + start, hit.start + end, left, " ".join(hit.text[start:end].split()), right)


def _clip(text: str, width: int, *, end: bool) -> str:
    """The ``width`` characters of ``text`` next to the match (its end, for left context), cut at a
    word boundary when a word would be cut in two."""
    if len(text) <= width:
        return text
    if end:
        clipped = text[-width:]
        return clipped.split(" ", 1)[1] if " " in clipped and not text[-width - 1].isspace() else clipped
    clipped = text[:width]
    return clipped.rsplit(" ", 1)[0] if " " in clipped and not text[width].isspace() else clipped


@dataclass(frozen=True)
class CodeNewReport:
    """What `search --code-new` did: suggestions made, and the hits it left alone."""

    code: str
    new: int
    already: int  # the segment already had a suggestion of the code
    interviewer: int  # interviewer turns: context, not data
    run_id: int


def suggest_hits(store: Store, hits: Sequence[SearchHit], *, code: str, codebook_id: int, query: Query,
                 interviewers: Iterable[str], include_interviewer: bool = False) -> CodeNewReport:
    """Turn search hits into suggestions of ``code`` (source 'search') for review, like NVivo's "code at
    results" but reviewable: nothing becomes a coding until a reviewer accepts it. A segment that
    already has a suggestion of the code is left alone; interviewer turns are skipped unless asked."""
    from qualkit.interviewers import as_interviewers
    from qualkit.store import evidence_json, utc_timestamp

    names = as_interviewers(list(interviewers) if not isinstance(interviewers, Collection) else interviewers)
    ids = {info.name: info.id for info in store.documents.infos()} if names.by_document else {}
    skipped = {hit.segment_id for hit in hits
               if not include_interviewer and names.matches(hit.speaker, ids.get(hit.document))}
    candidates = [hit for hit in hits if hit.segment_id not in skipped]
    there = store.suggestions.segments_with_code(code, [hit.segment_id for hit in candidates])
    rows = [
        (hit.segment_id, code, Source.SEARCH.value, 1.0,
         evidence_json((hit.start + start, hit.start + end, f"search: {query}") for start, end in hit.matches))
        for hit in candidates if hit.segment_id not in there
    ]
    started = utc_timestamp()
    with store.transaction():
        run_id = store.runs.start(command="search", parameters={"query": str(query), "code": code,
                                                                "include_interviewer": include_interviewer},
                                  started_at=started)
        new = store.suggestions.insert_rows(rows, codebook_id=codebook_id, run_id=run_id)
        counts = {"hits": len(hits), "new": new, "already": len(there), "interviewer": len(skipped)}
        store.runs.finish(run_id, counts=counts, finished_at=utc_timestamp())
    return CodeNewReport(code=code, new=new, already=len(there), interviewer=len(skipped), run_id=run_id)
