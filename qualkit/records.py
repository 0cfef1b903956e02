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
    case: str | None = None  # the case the source itself names (a survey's --case-column), if any


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
    SEARCH = "search"  # a text search's hits, turned into suggestions for review (`search --code-new`)


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
    verdict: Verdict | None = None  # the decision it was left on
    suggestion_id: int | None = None


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
    weights_deleted_at: str | None = None  # the weights were deleted then; the record stays as provenance

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
    """One reviewer's decision in force on a suggestion, as the adjudication view shows it; or, when
    ``implied``, their "no" by coverage: they coded the segment fully without applying the code (``via``
    and ``decided_at`` then say how and when they marked it, if by a mark)."""

    reviewer: str
    verdict: Verdict
    note: str | None
    via: str
    decided_at: str
    implied: bool = False


@dataclass(frozen=True)
class Dispute:
    """A suggestion reviewers disagree on (someone accepted, someone rejected), with every verdict and
    note, and the adjudication that settled it, if any."""

    suggestion: SuggestionView
    verdicts: tuple[ReviewerVerdict, ...]  # the reviewers' own verdicts, adjudications left out
    adjudication: ReviewerVerdict | None = None
# -- issue #20: codebook changes, memos, search, queries, a tidy project -----------------------------------


class ChangeKind(str, enum.Enum):
    """What a change to the codebook did to codes; see :mod:`qualkit.codechanges`."""

    RENAME = "rename"  # one key becomes another; its work follows
    MERGE = "merge"  # several keys become one; their work follows, duplicates merged
    MOVE = "move"  # a code (and its children) under another parent, so a new key; its work follows
    SPLIT = "split"  # a new code next to an old one; it starts empty, the old one keeps its work
    ADD = "add"
    REMOVE = "remove"  # the code left the codebook; its suggestions and decisions are kept


@dataclass(frozen=True)
class CodeChange:
    """One recorded change to codes, with the codebook version it made and what followed it
    (``counts``: suggestions renamed, suggestions merged, decisions derived, memos moved)."""

    id: int
    codebook_id: int
    kind: ChangeKind
    old_keys: tuple[str, ...]
    new_key: str | None
    counts: Mapping[str, int]
    via: str  # 'command', or the codebook file that asked for it
    changed_at: str

    def describe(self) -> str:
        """One line: "renamed culture.trust to culture.relational_trust"."""
        old = ", ".join(self.old_keys)
        if self.kind is ChangeKind.RENAME:
            return f"renamed {old} to {self.new_key}"
        if self.kind is ChangeKind.MERGE:
            return f"merged {old} into {self.new_key}"
        if self.kind is ChangeKind.MOVE:
            return f"moved {old} to {self.new_key}"
        if self.kind is ChangeKind.SPLIT:
            return f"split {self.new_key} from {old} (starts empty)"
        if self.kind is ChangeKind.ADD:
            return f"added {self.new_key}"
        return f"removed {old}"


class MemoAbout(str, enum.Enum):
    """What a memo is written about."""

    PROJECT = "project"
    DOCUMENT = "document"
    CASE = "case"
    CODE = "code"
    SEGMENT = "segment"


@dataclass(frozen=True)
class MemoTarget:
    """What a memo is about, by name: the project, a document, a case, a code, or a segment
    (document and segment number)."""

    about: MemoAbout
    document: str | None = None
    case: str | None = None
    code: str | None = None
    segment: int | None = None  # the segment's number within ``document``

    def __str__(self) -> str:
        if self.about is MemoAbout.PROJECT:
            return "the project"
        if self.about is MemoAbout.SEGMENT:
            return f"segment {self.segment} of {self.document}"
        return f"{self.about.value} {self.document or self.case or self.code}"


@dataclass(frozen=True)
class MemoRevision:
    """One text a memo has had; an edit appends one, so none is ever lost."""

    number: int  # 1 for the first text
    text: str
    author: str
    written_at: str


@dataclass(frozen=True)
class Memo:
    """A memo with its current text (the latest revision) and where it is attached."""

    id: int
    target: MemoTarget
    title: str | None
    text: str
    author: str  # who wrote it first
    created_at: str
    edited_by: str  # who wrote the current text
    edited_at: str
    revisions: int
    segment_id: int | None = None


@dataclass(frozen=True)
class SearchHit:
    """A segment a text search found, with where it sits and its matches (offsets into ``text``)."""

    segment_id: int
    document: str
    case: str | None
    segment: int  # the segment's number within its document
    start: int  # the segment's offsets in the document
    end: int
    speaker: str | None
    timestamp: float | None
    text: str
    matches: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class QueryHit:
    """A coding a query returned, with the codings that made it match (the ``--and`` codes found
    within the window)."""

    coding: Coding
    partners: tuple[Coding, ...] = ()


@dataclass(frozen=True)
class ModelUsage:
    """A stored model and what names it: suggestions it scored and decisions made on them."""

    model: ModelInfo
    suggestions: int  # suggestions whose model_version names it
    decisions: int  # decisions whose seen_model_version names it
    runs: int  # `code` runs that used it (the run log names it)
    latest: bool  # the one `qualkit code` uses

    @property
    def named(self) -> bool:
        """Whether anything in the project names this model (so its record must stay)."""
        return bool(self.suggestions or self.decisions or self.runs)


@dataclass(frozen=True)
class SizePart:
    """Bytes of the project file one part takes (documents, suggestions, the search index...)."""

    part: str
    bytes: int


@dataclass(frozen=True)
class ProjectSize:
    """The project file's size, by part; ``measured`` is False when parts are estimated (no dbstat)."""

    file_bytes: int  # the main file
    wal_bytes: int  # the write-ahead log next to it
    free_bytes: int  # pages free inside the file (`qualkit vacuum` returns them)
    parts: tuple[SizePart, ...]
    measured: bool


# -- corpus management: removing and replacing documents (issue #18) -----------------------------


class Removal(str, enum.Enum):
    """How a document left the corpus."""

    REMOVED = "removed"  # `qualkit documents remove`
    REPLACED = "replaced"  # `qualkit ingest --replace` brought a new version in its place


@dataclass(frozen=True)
class DocumentUsage:
    """What a document carries: its segments and suggestions, and the decisions, coverage marks
    and memos about it, which removing it would leave orphaned in the log."""

    name: str
    segments: int
    suggestions: int
    decisions: int
    reviewers: tuple[str, ...]  # who made those decisions or coverage marks, or wrote those memos
    coverage_marks: int
    memos: int

    @property
    def in_use(self) -> bool:
        """Whether people's work is about this document (so removing it needs --force)."""
        return bool(self.decisions or self.coverage_marks or self.memos)


@dataclass(frozen=True)
class RemovedDocument:
    """A document taken out of the corpus.

    ``kept`` is True when people's work was about it: it stays in the file, marked removed, so
    the append-only log keeps its decisions (orphaned: no view, count or export uses them);
    otherwise it was deleted with its segments and suggestions."""

    usage: DocumentUsage
    removal: Removal
    kept: bool
    removed_at: str


@dataclass(frozen=True)
class StoredVersion:
    """A document in the corpus as `ingest --replace` compares it with a new version of its file."""

    id: int
    name: str
    kind: DocumentKind
    unit: Unit
    sha256: str  # of its text
    case_id: int | None


# -- interviewers by name (issue #18) ---------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerTurns:
    """A speaker label in the corpus's transcripts: how many turns, in how many documents, and
    whether they are the interviewer's (``named``: 'project' or 'document': where the name is set)."""

    speaker: str
    documents: int
    turns: int
    interviewer: bool  # in some document
    named: str = ""
    interviewer_turns: int = 0  # its turns in the documents where it is the interviewer


@dataclass(frozen=True)
class InterviewerSetup:
    """Who counts as the interviewer, and what that makes of the corpus's speakers."""

    names: tuple[str, ...]  # for every document, as given
    default: bool  # the built-in names (nobody set them)
    by_document: tuple[tuple[str, tuple[str, ...]], ...]  # (document, its own names from the cases file)
    speakers: tuple[SpeakerTurns, ...]  # most turns first
    interviewer_documents: int  # documents with an interviewer turn
    # (name, '' or the document that names it, a label it may be meant for or ''): names no turn has
    unmatched: tuple[tuple[str, str, str], ...] = ()
    lookalikes: tuple[tuple[str, str], ...] = ()  # (speaker label, named interviewer) that may be the same person

    @property
    def interviewer_turns(self) -> int:
        return sum(s.interviewer_turns for s in self.speakers)

    @property
    def interviewer_labels(self) -> tuple[str, ...]:
        """The labels whose turns are the interviewer's, most turns first."""
        return tuple(s.speaker for s in self.speakers if s.interviewer)
