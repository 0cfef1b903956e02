"""Typed records that flow between stages. Frozen: a record is a fact, not a workspace."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class DocumentKind(str, enum.Enum):
    """What a document is; decides its natural segmentation unit."""

    TRANSCRIPT = "transcript"
    DOCUMENT = "document"
    SURVEY = "survey"

    @property
    def natural_unit(self) -> Unit:
        return _NATURAL_UNIT[self]


class Unit(str, enum.Enum):
    """The unit a document is segmented into."""

    TURN = "turn"
    PARAGRAPH = "paragraph"
    ROW = "row"
    SENTENCE = "sentence"


_NATURAL_UNIT = {
    DocumentKind.TRANSCRIPT: Unit.TURN,
    DocumentKind.DOCUMENT: Unit.PARAGRAPH,
    DocumentKind.SURVEY: Unit.ROW,
}


@dataclass(frozen=True)
class Block:
    """A natural unit of a document's text: a speaker turn, a paragraph or a survey row.

    ``start``/``end`` are code-point offsets into the document text.
    """

    start: int
    end: int
    speaker: str | None = None
    timestamp: float | None = None  # seconds from the start of the recording


@dataclass(frozen=True)
class ExtractedDocument:
    """What a reader makes of a source: the plain text to store and its natural blocks."""

    name: str
    kind: DocumentKind
    text: str
    blocks: tuple[Block, ...]
    source_path: str
    source_sha256: str
    reader: str
    attributes: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Segment:
    """A span of a document that qualkit proposes codes on; ``text == doc.text[start:end]``."""

    id: int
    document_id: int
    ordinal: int
    start: int
    end: int
    unit: Unit
    text: str
    speaker: str | None = None
    timestamp: float | None = None


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document without its text."""

    id: int
    name: str
    kind: DocumentKind
    source_path: str
    sha256: str
    unit: Unit
    words: int
    segments: int
    case: str | None
    ingested_at: str


class Source(str, enum.Enum):
    """Where a suggestion came from."""

    RULE = "rule"
    MODEL = "model"
    MANUAL = "manual"


@dataclass(frozen=True)
class Evidence:
    """Why a code was proposed: a matched span (document offsets) and the pattern that fired."""

    start: int
    end: int
    pattern: str


@dataclass(frozen=True)
class Suggestion:
    """A proposal that ``code`` applies to a segment; only a reviewer turns it into a coding."""

    segment_id: int
    code: str
    source: Source
    score: float
    evidence: tuple[Evidence, ...] = ()
