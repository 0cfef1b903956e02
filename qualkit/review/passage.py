"""Passage review: one segment at a time, with everything proposed for it, decided in one step.

A reviewer sees a segment with its neighbours and every proposal on it (rules', the model's), each
with the code's definition, criteria and the evidence; accepts or rejects each, adds the codes
nothing proposed, and marks the segment fully coded — after which every codable code they did not
apply there counts as "does not apply" (see :mod:`qualkit.review.coverage`). Only fully coded
segments give negatives beyond explicit rejections. The terminal, the spreadsheet and the web
review all use this one library; every action is committed the moment it is made, so closing the
window loses nothing and running it again resumes.

Blind by construction: another reviewer's verdicts and the codes they added by hand are never
part of an item.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError, ReviewError
from qualkit.interviewers import is_interviewer
from qualkit.records import Context, Memo, MemoAbout, QueueFilter, Reviewers, Source, Verdict
from qualkit.review.actions import add_manual_code, check_reviewer, decide, states, undo_last
from qualkit.store.queue import ORDERS

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store


@dataclass(frozen=True)
class Evidence:
    """Why something was proposed, as a reader sees it: the words, where they are in the segment."""

    start: int  # offsets into the segment's text
    end: int
    words: str  # the matched words (a model's evidence: the term and its weight)

    def __str__(self) -> str:
        return f'"{self.words}" @{self.start}-{self.end}'


@dataclass(frozen=True)
class Proposal:
    """One code proposed for (or added by this reviewer to) the segment, and what they said of it."""

    suggestion_id: int
    code: str
    code_name: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    source: Source
    score: float
    evidence: tuple[Evidence, ...]
    verdict: Verdict | None  # this reviewer's verdict in force; None: still to decide

    @property
    def pending(self) -> bool:
        return self.verdict is None


@dataclass(frozen=True)
class PassageItem:
    """Everything a reviewer needs to code one segment."""

    segment_id: int
    document_id: int
    document: str
    case: str | None
    ordinal: int
    speaker: str | None
    timestamp: float | None
    text: str
    before: tuple[Context, ...]
    after: tuple[Context, ...]
    proposals: tuple[Proposal, ...]
    fully_coded: bool  # this reviewer has marked it coded fully
    memos: tuple[Memo, ...] = ()  # on the segment, its proposed codes and their themes, the document, the case

    @property
    def pending(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if p.pending)

    @property
    def applied(self) -> tuple[str, ...]:
        """Codes this reviewer has applied here (accepted or added)."""
        return tuple(dict.fromkeys(p.code for p in self.proposals if p.verdict is Verdict.ACCEPT))


@dataclass
class _Action:
    kind: str  # "decision" or "mark"
    segment_id: int
    document_id: int = 0


@dataclass
class PassageSession:
    """Passage review for one reviewer and one filter (codes, documents, case) in one order.

    ``every_segment``: after the segments with proposals, also the segments nothing was proposed
    for (independent coding of the whole corpus); interviewer turns are never units."""

    store: Store
    codebook_id: int
    codebook: Codebook
    reviewer: str
    where: QueueFilter = field(default_factory=QueueFilter)
    order: str = "document"
    interviewers: Collection[str] = ()
    every_segment: bool = False
    #: The segments with a proposal in the filter, when the caller has counted them already (another
    #: reviewer's session on the same filter: the count is the same for everyone); else counted once.
    known_total: int | None = None

    def __post_init__(self) -> None:
        from qualkit.review.reviewers import directory

        if self.order not in ORDERS:
            raise ReviewError(f"unknown review order {self.order!r}; use one of {', '.join(ORDERS)}")
        names = directory(self.store)
        self.reviewer = names.current(check_reviewer(self.reviewer))
        self.names = names.names_of(self.reviewer)
        self._codes = {code.key: code for code in self.codebook.codes}
        self.skipped: list[int] = []
        self.decided_here = 0
        self._note: str | None = None
        self._history: list[_Action] = []
        self._covered = self._marked(names)
        self._total: int | None = self.known_total  # segments with a proposal in the filter (counted once)
        self._done: int | None = None  # of those, finished by this reviewer (recounted after each action)
        #: The segment the last :meth:`undo` was about (to show it again), None before any undo.
        self.undone_segment: int | None = None

    # -- what is shown ---------------------------------------------------------------------

    def _marked(self, names: Reviewers) -> set[int]:
        """Segments this reviewer has marked coded fully (document marks count for their segments)."""
        from qualkit.review.coverage import marked_segments

        mine = [mark for mark in self.store.coverage.log() if mark.reviewer in self.names]
        if not mine:
            return set()
        by_document: dict[int, list[int]] = {}
        for ref in self.store.documents.segment_refs([mark.document_id for mark in mine]):
            if not is_interviewer(ref.speaker, self.interviewers, ref.document_id):
                by_document.setdefault(ref.document_id, []).append(ref.id)
        return marked_segments(mine, names, by_document).get(self.reviewer, set())

    def current(self) -> PassageItem | None:
        """The next segment to code: the first, in the session's order, with a proposal this
        reviewer has not decided (or, with ``every_segment``, not yet coded fully)."""
        exclude = [*self.skipped, *self._covered]
        items = self.store.queue.pending(self.names, self.where, order=self.order, limit=1,
                                         exclude_segments=exclude)
        if items:
            return self.item(items[0].segment_id)
        if self.every_segment:
            for ref in self._unproposed(set(exclude)):
                return self.item(ref)
        return None

    def _unproposed(self, exclude: set[int]) -> Iterable[int]:
        documents = set(self.where.document_ids) if self.where.document_ids is not None else None
        case_documents = None
        if self.where.case is not None:
            case_documents = {d.id for d in self.store.documents.infos() if d.case == self.where.case}
        for ref in self.store.documents.segment_refs():
            if ref.id in exclude or is_interviewer(ref.speaker, self.interviewers, ref.document_id):
                continue
            if documents is not None and ref.document_id not in documents:
                continue
            if case_documents is not None and ref.document_id not in case_documents:
                continue
            yield ref.id

    def item(self, segment_id: int) -> PassageItem:
        """The segment as this reviewer sees it: neighbours, every proposal, their own verdicts."""
        segment = self.store.documents.segment(segment_id)
        if segment is None:
            raise NotFoundError(f"no segment with id {segment_id}")
        info = self.store.documents.info(segment.document_id)
        assert info is not None
        on_segment = self.store.suggestions.on_segment(segment_id)
        found = states(self.store, [stored.id for stored in on_segment])
        proposals = []
        for stored in on_segment:
            state = found.get(stored.id)
            verdict = state.verdicts.get(self.reviewer) if state else None
            if stored.source is Source.MANUAL and verdict is None:
                continue  # someone else's hand-added code: blind review never shows it
            code = self._codes.get(stored.code)
            proposals.append(Proposal(
                suggestion_id=stored.id, code=stored.code, code_name=code.name if code else stored.code,
                definition=code.definition if code else "(not in the current codebook)",
                include=code.include if code else (), exclude=code.exclude if code else (),
                source=stored.source, score=stored.score,
                evidence=tuple(_evidence(segment.text, segment.start, e.start, e.end, e.pattern, stored.source)
                               for e in stored.evidence),
                verdict=verdict,
            ))
        around = self.store.queue.neighbours(segment.document_id, segment.ordinal)
        from qualkit.memos import memos_for_review

        memos = memos_for_review(self.store, self.codebook, segment_id=segment.id, document_id=segment.document_id,
                                 case=info.case, codes=list(dict.fromkeys(p.code for p in proposals)))
        return PassageItem(
            segment_id=segment.id, document_id=segment.document_id, document=info.name, case=info.case,
            ordinal=segment.ordinal, speaker=segment.speaker, timestamp=segment.timestamp, text=segment.text,
            before=tuple(c for c in around if c.ordinal < segment.ordinal),
            after=tuple(c for c in around if c.ordinal > segment.ordinal),
            proposals=tuple(sorted(proposals, key=lambda p: (p.verdict is not None, -p.score, p.code))),
            fully_coded=segment.id in self._covered, memos=memos,
        )

    def progress(self) -> tuple[int, int]:
        """(segments with proposals in the filter this reviewer has finished, segments still to do):
        a segment is finished when every proposal on it is decided or it is marked coded fully.
        The segments in the filter are counted once; the finished ones again after the reviewer acts
        (walking their decisions, so it costs what they have done, not the size of the queue)."""
        if self._total is None:
            self._total = self.store.queue.count_segments(None, self.where)
        if self._done is None:
            self._done = self.store.queue.count_segments_done(self.names, self.where, covered=self._covered)
        return self._done, max(0, self._total - self._done)

    def refresh(self) -> None:
        """Read again what this reviewer may have done elsewhere (another window, the terminal): their
        coverage marks, and how many segments they have finished."""
        from qualkit.review.reviewers import directory

        self._covered = self._marked(directory(self.store))
        self._done = None

    # -- what the reviewer does ------------------------------------------------------------

    def note(self, text: str) -> None:
        """A note for the reviewer's next decision."""
        self._note = text.strip() or None

    def decide(self, item: PassageItem, *, accept: Sequence[int] = (), reject: Sequence[int] = ()) -> None:
        """Accept or reject proposals on the item (by suggestion id)."""
        mine = {p.suggestion_id for p in item.proposals}
        stray = [i for i in [*accept, *reject] if i not in mine]
        if stray:
            raise ReviewError(f"suggestion(s) {stray} are not proposed for segment {item.ordinal} of {item.document}")
        result = decide(self.store, self.reviewer, accept=accept, reject=reject, note=self._note, via="passage")
        self._note = None
        self._done = None
        self.decided_here += len(result.recorded)
        self._history += [_Action("decision", item.segment_id)] * len(result.recorded)

    def accept(self, item: PassageItem, suggestion_id: int) -> None:
        self.decide(item, accept=[suggestion_id])

    def reject(self, item: PassageItem, suggestion_id: int) -> None:
        self.decide(item, reject=[suggestion_id])

    def add_code(self, item: PassageItem, key: str) -> int:
        """Apply a code nothing proposed (source 'manual'); returns its suggestion id."""
        suggestion_id, result = add_manual_code(
            self.store, codebook_id=self.codebook_id, codebook=self.codebook, reviewer=self.reviewer,
            segment_id=item.segment_id, code=key, note=self._note,
        )
        self._note = None
        self._done = None
        self._history += [_Action("decision", item.segment_id)] * len(result.recorded)
        return suggestion_id

    def mark_fully_coded(self, item: PassageItem, *, reject_pending: bool = True) -> None:
        """The reviewer has coded this segment fully: pending proposals are rejected (what they
        did not apply does not apply) and the segment is marked, then the session moves on."""
        with self.store.transaction():  # read what is pending and reject it with nobody deciding in between
            now = self.item(item.segment_id)  # what is pending now, not when the item was shown
            pending = [p.suggestion_id for p in now.pending]
            if reject_pending and pending:
                self.decide(now, reject=pending)
            self.store.coverage.mark(self.reviewer, [(item.document_id, item.segment_id)], via="passage")
        self._covered.add(item.segment_id)
        self._done = None
        self._history.append(_Action("mark", item.segment_id, item.document_id))

    def skip(self, item: PassageItem) -> None:
        self.skipped.append(item.segment_id)
        self._note = None

    def undo(self) -> str | None:
        """Reverse the reviewer's last action in this session (a decision or a mark), or, with
        nothing done here, their last decision in force."""
        self._done = None
        self.undone_segment = None
        action = self._history.pop() if self._history else None
        if action is not None and action.kind == "mark":
            self.store.coverage.mark(self.reviewer, [(action.document_id, action.segment_id)], via="passage undo",
                                     covered=False)
            self._covered.discard(action.segment_id)
            self.undone_segment = action.segment_id
            return "withdrew the fully-coded mark"
        undone = undo_last(self.store, self.reviewer)
        if undone is None:
            return None
        stored = self.store.suggestions.get(undone.suggestion_id)
        if stored is not None:
            self.undone_segment = stored.segment_id
            if stored.segment_id in self.skipped:
                self.skipped.remove(stored.segment_id)
        self.decided_here = max(0, self.decided_here - 1)
        return f"undid {undone.verdict.value} of suggestion {undone.suggestion_id}"

    def write_memo(self, item: PassageItem, text: str, *, on: MemoAbout | str = MemoAbout.SEGMENT,
                   code: str | None = None) -> Memo:
        """A memo by this reviewer on the item's segment, document or case, or on ``code``."""
        from qualkit.memos import memo_on

        return memo_on(self.store, self.reviewer, text, on=on, segment_id=item.segment_id,
                       document_id=item.document_id, case=item.case, code=code, codebook=self.codebook)

    def complete_code(self, prefix: str) -> list[str]:
        """Codable keys and names matching ``prefix`` (for type-ahead): keys first, then names."""
        typed = prefix.casefold()
        keys = [c.key for c in self.codebook.codable if c.key.casefold().startswith(typed)]
        names = [c.key for c in self.codebook.codable if typed in c.name.casefold() and c.key not in keys]
        return keys + names


def _evidence(text: str, offset: int, start: int, end: int, pattern: str, source: Source) -> Evidence:
    """Evidence as words a person can read: the matched words (a model's word with its weight),
    never the pattern's source."""
    from qualkit.suggest.evidence import model_weight, quote

    local_start, local_end = max(0, start - offset), max(0, end - offset)
    words = quote(text, local_start, local_end) or text[local_start:local_end]
    weight = model_weight(pattern) if source is Source.MODEL else None
    return Evidence(local_start, local_end, f"{words} (model {weight})" if weight else words)
