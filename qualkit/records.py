"""Typed records that flow between stages. Frozen: a record is a fact, not a workspace.

The store hands out these records and nothing else (no ``sqlite3.Row`` leaves ``qualkit.store``);
stages take them and return them; strings are made only where they are shown (the CLI, exports).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


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


class Verdict(str, enum.Enum):
    """What a decision says; an undo reverses an earlier decision of the same reviewer."""

    ACCEPT = "accept"
    REJECT = "reject"
    UNDO = "undo"


class Status(str, enum.Enum):
    """A suggestion's standing for one reviewer, or for the team under a consensus rule."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPUTED = "disputed"  # reviewers disagree and the rule does not settle it


@dataclass(frozen=True)
class Decision:
    """One appended decision: who said what about which suggestion, when, and how."""

    id: int
    suggestion_id: int
    reviewer: str
    verdict: Verdict
    note: str | None
    via: str
    decided_at: str
    reverses: int | None = None
    # what the reviewer saw when deciding (the suggestion may be re-scored later)
    seen_source: str | None = None
    seen_score: float | None = None
    seen_codebook_id: int | None = None
    seen_model_version: str | None = None


@dataclass(frozen=True)
class ReviewState:
    """Every reviewer's verdict in force on one suggestion (undone decisions left out).

    Built once per suggestion from the decision log; statuses under a consensus rule follow from
    it (:class:`qualkit.review.decisions.ConsensusRule`)."""

    verdicts: Mapping[str, Verdict] = field(default_factory=dict)

    @property
    def accepted_by(self) -> tuple[str, ...]:
        """Reviewers whose verdict in force is accept, sorted."""
        return tuple(sorted(name for name, verdict in self.verdicts.items() if verdict is Verdict.ACCEPT))

    @property
    def rejected_by(self) -> tuple[str, ...]:
        return tuple(sorted(name for name, verdict in self.verdicts.items() if verdict is Verdict.REJECT))

    def of(self, reviewer: str) -> Status:
        """``reviewer``'s own status."""
        verdict = self.verdicts.get(reviewer)
        if verdict is None:
            return Status.PENDING
        return Status.ACCEPTED if verdict is Verdict.ACCEPT else Status.REJECTED

    def only(self, reviewers: tuple[str, ...] | None) -> ReviewState:
        """The verdicts of these reviewers only (all, for None)."""
        if reviewers is None:
            return self
        return ReviewState({name: v for name, v in self.verdicts.items() if name in reviewers})


NO_DECISIONS = ReviewState()


@dataclass(frozen=True)
class Case:
    """A case (a school) with its attributes and how many documents it holds."""

    name: str
    attributes: Mapping[str, str]
    documents: int


@dataclass(frozen=True)
class CodebookVersion:
    """A stored codebook version: ``id`` is the version number qualkit shows; ``declared`` is the
    version the file itself declares."""

    id: int
    name: str
    declared: str
    sha256: str
    source_path: str
    loaded_at: str
    codes: int
    suggestions: int


class SuggestionUnit(NamedTuple):
    """Where a suggestion sits: enough to build labels and agreement units (millions of them)."""

    suggestion_id: int
    segment_id: int
    document_id: int
    code: str


@dataclass(frozen=True, slots=True)
class StoredSuggestion:
    """A suggestion as stored, with the segment it is on; ``start``/``end`` are the coded span
    (a coding imported from another program may be narrower than its segment)."""

    id: int
    segment_id: int
    document_id: int
    ordinal: int
    code: str
    source: Source
    score: float
    evidence: tuple[Evidence, ...]
    codebook_id: int
    model_version: str | None
    run_id: int | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """A suggestion with where it sits and its text, for tables, exports and analyses; streamed
    (slots: an export builds a million of them)."""

    id: int
    segment_id: int
    document: str
    case: str | None
    segment: int  # the segment's number within its document
    start: int
    end: int
    speaker: str | None
    timestamp: float | None
    code: str
    source: Source
    score: float
    evidence: tuple[Evidence, ...]
    codebook_id: int
    created_at: str
    text: str


@dataclass(frozen=True)
class QueueItem:
    """A suggestion waiting for a reviewer's decision, with what the reviewer needs to see."""

    id: int
    segment_id: int
    document_id: int
    document: str
    case: str | None
    ordinal: int
    start: int
    end: int
    speaker: str | None
    timestamp: float | None
    code: str
    source: Source
    score: float
    evidence: tuple[Evidence, ...]
    codebook_id: int
    model_version: str | None
    text: str


@dataclass(frozen=True)
class Context:
    """A segment shown around another one for context (interviewer turns included)."""

    ordinal: int
    speaker: str | None
    text: str


@dataclass(frozen=True)
class DecisionNote:
    """A note a reviewer left on a decision, with where the coded span sits."""

    id: int
    reviewer: str
    note: str
    code: str
    document: str
    start: int
    end: int


@dataclass(frozen=True)
class ModelInfo:
    """A stored model's record, without the model itself."""

    id: int
    codebook_id: int
    trained_on: str
    training_size: int
    metrics: Mapping[str, Any]
    parameters: Mapping[str, Any]
    library: str
    created_at: str
    size: int = 0  # bytes of the stored model

    @property
    def version(self) -> str:
        return f"model-{self.id}"


@dataclass(frozen=True)
class Run:
    """One logged run of a command: what it was asked, what it counted, when."""

    id: int
    command: str
    parameters: Mapping[str, Any]
    counts: Mapping[str, Any]
    started_at: str
    finished_at: str | None


@dataclass(frozen=True)
class QueueFilter:
    """Which suggestions a review session, sheet or count is about: codes (and everything under
    them), documents (by id) and a case; None means no restriction."""

    codes: tuple[str, ...] | None = None
    document_ids: tuple[int, ...] | None = None
    case: str | None = None


class CorpusCount(NamedTuple):
    """Documents, segments and words with one value of a grouping (a kind, a case, a unit)."""

    value: str | None
    documents: int
    segments: int
    words: int


@dataclass(frozen=True)
class Coding:
    """A coded span: a code applied to a segment (or a narrower span of it) under a consensus, with
    where it sits and who accepted it. ``status`` is accepted, or pending when pending suggestions
    were asked for."""

    suggestion_id: int
    document: str
    kind: DocumentKind
    case: str | None
    attributes: Mapping[str, str]  # the case's attributes, then the document's own
    segment: int
    speaker: str | None
    timestamp: float | None
    start: int
    end: int
    text: str
    code: str
    code_name: str
    theme: str | None
    stage: str | None
    accepted_by: tuple[str, ...]  # among the reviewers the consensus counts
    verdicts: Mapping[str, Verdict]  # every reviewer's verdict in force
    source: Source
    score: float
    status: Status
    decided_at: str | None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewedSuggestion:
    """A suggestion with its review state and its status under the consensus asked for."""

    suggestion: SuggestionView
    state: ReviewState
    status: Status

EVERYTHING = QueueFilter()  # no restriction


@dataclass(frozen=True)
class CoverageMark:
    """A reviewer's word that they coded a whole document (``segment_id`` None) or one segment
    fully: every codable code they did not apply there does not apply. Appended, like decisions;
    ``covered`` False withdraws an earlier mark."""

    id: int
    reviewer: str
    document_id: int
    segment_id: int | None
    covered: bool
    via: str
    marked_at: str


class ReviewerChangeKind(str, enum.Enum):
    ADD = "add"  # known by name before deciding anything (a user of an imported project)
    RENAME = "rename"  # onto a new name, or onto an existing reviewer (a merge)
    RETIRE = "retire"  # left out of agreement and consensus; their decisions stay in the log
    REINSTATE = "reinstate"


@dataclass(frozen=True)
class ReviewerChange:
    """One entry of the reviewer log: decisions keep the name they were made under; reads follow
    the log (an alias maps to the name it was renamed or merged into)."""

    id: int
    kind: ReviewerChangeKind
    name: str
    target: str | None
    note: str | None
    changed_at: str


@dataclass(frozen=True)
class Reviewers:
    """Who the reviewers are now: each name ever used maps to its current name; retired names."""

    aliases: Mapping[str, str] = field(default_factory=dict)  # a name decisions were made under -> current name
    retired: frozenset[str] = frozenset()

    def current(self, name: str) -> str:
        """The name ``name`` goes by now (renames and merges followed to the end)."""
        seen: set[str] = set()
        while name in self.aliases and name not in seen:
            seen.add(name)
            name = self.aliases[name]
        return name

    def names_of(self, name: str) -> tuple[str, ...]:
        """Every name decisions by this reviewer may carry: the current name and its aliases."""
        current = self.current(name)
        aliases = sorted(alias for alias in self.aliases if alias != current and self.current(alias) == current)
        return (current, *aliases)


NOBODY_RENAMED = Reviewers()


class SegmentRef(NamedTuple):
    """A segment's place, without its text: enough to expand coverage and group units."""

    id: int
    document_id: int
    ordinal: int
    speaker: str | None


# -- accounts for the web server (`qualkit serve`, issue #21) ------------------------------------


class Role(str, enum.Enum):
    """What an account may do in the web server. Everyone reviews blind; adjudicators and owners
    also open the adjudication view (others' verdicts), the agreement table and the downloads."""

    REVIEWER = "reviewer"
    ADJUDICATOR = "adjudicator"
    OWNER = "owner"

    @property
    def can_adjudicate(self) -> bool:
        return self is not Role.REVIEWER


@dataclass(frozen=True)
class Account:
    """A person who signs in to the web server; ``name`` is the reviewer name their decisions carry."""

    id: int
    name: str
    role: Role
    must_change_password: bool  # still on the one-time password they were given
    created_at: str


@dataclass(frozen=True)
class Invitation:
    """A new account (or a reset one) and its one-time password, shown once and stored only hashed."""

    account: Account
    password: str


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose it is and when it was opened and last used (Unix seconds)."""

    account: Account
    created: float
    seen: float


@dataclass(frozen=True)
class ReviewerVerdict:
    """One reviewer's decision in force on a suggestion, as the adjudication view shows it."""

    reviewer: str
    verdict: Verdict
    note: str | None
    via: str
    decided_at: str


@dataclass(frozen=True)
class Dispute:
    """A suggestion reviewers disagree on (someone accepted, someone rejected), with every verdict and
    note, and the adjudication that settled it, if any."""

    suggestion: SuggestionView
    verdicts: tuple[ReviewerVerdict, ...]  # the reviewers' own verdicts, adjudications left out
    adjudication: ReviewerVerdict | None = None
