"""What a Word report shows: plain frozen records that the project fills and the writer reads.

The writer (:mod:`qualkit.export.word`) never touches the project database; everything it
prints is in a :class:`ReportData`, so a report can be rebuilt, tested or produced from another
tool's data. Keys (``code``, ``theme``, ``source``...) are codebook keys; the writer looks their
names up in ``codes``.

Three counts are easy to confuse and are kept apart everywhere:

- a **segment** is a unit of a document (a speaker turn, paragraph or survey row);
- a **coding** is one code applied to one passage (a segment × code);
- a **coded segment** is a segment with at least one coding, however many codes it carries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.records import Memo

NO_CASE = "(no case)"  # the group of documents that belong to no case (policy papers, surveys)
NO_VALUE = "(no value)"  # the group of codings whose document has no value for an attribute
_EVIDENCE = re.compile(r"@(\d+)-(\d+)")


@dataclass(frozen=True)
class CodeInfo:
    """One codebook entry; themes are entries with ``codable=False`` and ``parent=None``."""

    key: str
    name: str
    theme: str | None
    stage: str | None
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    examples: tuple[str, ...]
    codable: bool
    parent: str | None


@dataclass(frozen=True)
class CodedSegment:
    """One coding: a passage of a document with one code applied to it.

    ``status`` is ``"accepted"`` or ``"pending"`` (a suggestion no reviewer has accepted yet);
    ``timestamp`` is seconds from the start of a recording; ``source`` says what proposed the
    coding (e.g. ``"rule"``, ``"model"``, ``"manual"``) and ``score`` its confidence.
    ``start``/``end`` are the passage's character offsets in its document and ``evidence`` the
    (start, end) document offsets of the words a rule matched, so a quote can show them.
    """

    code: str
    document: str
    case: str | None
    speaker: str | None
    timestamp: float | None
    text: str
    reviewers: tuple[str, ...]
    status: str
    source: str
    score: float | None
    start: int | None = None
    end: int | None = None
    evidence: tuple[tuple[int, int], ...] = ()
    kind: str | None = None

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def passage(self) -> tuple[str, object, object]:
        """What identifies the passage, whatever code it carries: codings of one passage share it."""
        if self.start is not None and self.end is not None:
            return (self.document, self.start, self.end)
        return (self.document, self.text, None)

    @property
    def evidence_in_text(self) -> tuple[tuple[int, int], ...]:
        """The evidence as offsets into ``text`` (clipped to it); empty without offsets."""
        if self.start is None:
            return ()
        spans = []
        for start, end in self.evidence:
            start, end = max(start - self.start, 0), min(end - self.start, len(self.text))
            if start < end:
                spans.append((start, end))
        return tuple(sorted(set(spans)))


@dataclass(frozen=True)
class Excerpt:
    """A quote as shown: runs of text, each highlighted (a matched word) or not.

    ``trimmed`` says whether words of the passage were left out (marked with ellipses).
    """

    runs: tuple[tuple[str, bool], ...]
    trimmed: bool = False

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.runs)

    @property
    def highlighted(self) -> tuple[str, ...]:
        return tuple(text for text, marked in self.runs if marked)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Quote:
    """A coded passage and the excerpt of it that a report shows."""

    segment: CodedSegment
    excerpt: Excerpt

    @property
    def text(self) -> str:
        return self.excerpt.text


@dataclass(frozen=True)
class Totals:
    """What the report counts, each under its own name (see the module docstring).

    ``kinds`` is (document kind, count) pairs; ``uncased_documents`` counts documents that belong
    to no case (they appear as the group "(no case)" wherever codings are grouped by case).
    """

    documents: int
    cases: int
    words: int
    segments: int
    coded_segments: int
    codings: int
    kinds: tuple[tuple[str, int], ...] = ()
    uncased_documents: int = 0


@dataclass(frozen=True)
class LinkEvidence:
    """A theory-of-change link and the coded segments that support it.

    ``moderates`` is the (source, target) link that this one moderates, if it is a moderator
    link. ``case_segments`` is (case, supporting segments) pairs, "(no case)" included;
    ``quotes`` are exemplar quotes spread across cases and documents.
    """

    source: str
    target: str
    label: str
    moderates: tuple[str, str] | None
    segments: int
    cases: int
    case_names: tuple[str, ...]
    quotes: tuple[Quote, ...]
    case_segments: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Figure:
    """A picture for the report: PNG bytes, a one-line title and a caption that says how to read it."""

    key: str
    title: str
    caption: str
    png: bytes
    landscape: bool = False


@dataclass(frozen=True)
class SegmentMemos:
    """The memos on one segment, with the segment as a reader needs it to follow them."""

    document: str
    case: str | None
    segment: int  # its number within the document
    speaker: str | None
    timestamp: float | None
    text: str
    memos: tuple[Memo, ...]


@dataclass(frozen=True)
class ReportMemos:
    """The memos a report shows, by what they are about (each group oldest first).

    ``codes``, ``cases`` and ``documents`` are keyed by code key, case name and document name;
    ``segments`` are in document order; ``document_cases`` gives the case (or None) of every
    document that has memos, so document and segment memos can be shown under their case;
    ``case_attributes`` gives each case's attributes, shown with its memos.
    """

    project: tuple[Memo, ...] = ()
    codes: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    cases: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    documents: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    segments: tuple[SegmentMemos, ...] = ()
    document_cases: Mapping[str, str | None] = field(default_factory=dict)
    case_attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return (len(self.project) + sum(len(group) for index in (self.codes, self.cases, self.documents)
                                        for group in index.values())
                + sum(len(segment.memos) for segment in self.segments))

    @property
    def on_cases(self) -> bool:
        """Whether any memo is on a case, a document or a segment (the report's case memos chapter)."""
        return bool(self.cases or self.documents or self.segments)


@dataclass(frozen=True)
class ReportData:
    """Everything a coding report shows, in the order the codebook gives it.

    ``agreement`` has columns ``code``, ``n_units``, ``percent`` (0-100), ``kappa``, ``alpha``
    and optionally raw counts; ``None`` when not computed. ``frequency`` is
    :func:`qualkit.analysis.frequency`'s table (``segments``: coded segments with the code;
    ``share``: their fraction of all coded segments, and ``segments[by=value]`` /
    ``share[by=value]`` per group of ``by_attribute``); ``frequency_totals`` is
    :func:`qualkit.analysis.totals`' table of the denominators. ``framework`` has cases (and
    "(no case)") as index and theme keys as columns, cells are coded segments;
    ``framework_quotes`` maps (case, theme) to quotes, never one passage twice.
    ``code_quotes`` maps each code to its representative quotes. ``filters`` describes what
    was selected (reviewer, consensus, attribute filters, codes), shown under Method.
    ``memos`` are the researchers' memos the report shows (they change no count).
    """

    title: str
    subtitle: str
    generated_at: str
    qualkit_version: str
    totals: Totals
    codebook_name: str
    codebook_version: str
    codebook_hash: str
    reviewers: tuple[str, ...]
    consensus_rule: str
    agreement: pd.DataFrame | None
    include_pending: bool
    codes: tuple[CodeInfo, ...]
    segments: tuple[CodedSegment, ...]
    frequency: pd.DataFrame
    by_attribute: str | None
    framework: pd.DataFrame
    framework_quotes: Mapping[tuple[str, str], tuple[Quote, ...]]
    toc_stages: tuple[str, ...]
    toc_links: tuple[LinkEvidence, ...]
    toc_unevidenced: tuple[str, ...]
    frequency_totals: pd.DataFrame | None = None
    code_quotes: Mapping[str, tuple[Quote, ...]] = field(default_factory=dict)
    figures: tuple[Figure, ...] = ()
    filters: tuple[str, ...] = ()
    codebook_description: str = ""
    author: str | None = None
    memos: ReportMemos = field(default_factory=ReportMemos)

    def figure(self, key: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.key == key), None)


# ------------------------------------------------------------------------ from analysis tables


def parse_evidence(value: Any) -> tuple[tuple[int, int], ...]:
    """Evidence spans from a codings table cell: ``(start, end)`` pairs, or the suggestions
    table's text form ``"pattern @start-end; ..."``; anything else is no evidence."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return tuple((int(a), int(b)) for a, b in _EVIDENCE.findall(value))
    spans = []
    for item in value:
        try:
            start, end = int(item[0]), int(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        spans.append((start, end))
    return tuple(spans)


def segments_from_frame(frame: pd.DataFrame) -> tuple[CodedSegment, ...]:
    """One :class:`CodedSegment` per row of :func:`qualkit.analysis.codings`' table.

    ``reviewers`` keeps who accepted (from ``"name:accept; name:reject"``); a missing case,
    speaker or time (NaN in pandas) becomes ``None``; an ``evidence`` column is used when there.
    """
    columns = set(frame.columns)
    records: Iterable[dict] = frame.to_dict("records")
    out = []
    for row in records:
        out.append(CodedSegment(
            code=str(row["code"]), document=str(row["document"]), case=_text(row.get("case")),
            speaker=_text(row.get("speaker")), timestamp=_number(row.get("timestamp")), text=str(row["text"]),
            reviewers=_accepted_by(row.get("reviewers")), status=str(row.get("status") or "accepted"),
            source=str(row.get("source") or ""), score=_number(row.get("score")),
            start=_integer(row.get("start")), end=_integer(row.get("end")),
            evidence=parse_evidence(row.get("evidence")) if "evidence" in columns else (),
            kind=_text(row.get("kind")),
        ))
    return tuple(out)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except TypeError:  # pandas' NA: "boolean value of NA is ambiguous"
        return True
    except ValueError:  # an array
        return False


def _text(value: Any) -> str | None:
    return None if _missing(value) or value == "" else str(value)


def _number(value: Any) -> float | None:
    if _missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _accepted_by(value: Any) -> tuple[str, ...]:
    if _missing(value) or not value:
        return ()
    if not isinstance(value, str):
        return tuple(str(name) for name in value)
    accepted = []
    for part in value.split("; "):
        name, _, verdict = part.rpartition(":")
        if verdict == "accept" and name:
            accepted.append(name)
    return tuple(accepted)
