"""An interactive review session's state, without any terminal code (the CLI draws it).

One suggestion at a time, in the chosen order, among those this reviewer has not decided.
Every accept/reject/undo is committed the moment it is made, so quitting or a kill loses at
most the keypress being typed, and starting again resumes where the reviewer left off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import ReviewError
from qualkit.records import Context, Memo, MemoAbout, QueueFilter, QueueItem, Source
from qualkit.review.actions import add_manual_code, check_reviewer, decide, states, undo_last
from qualkit.store.queue import ORDERS

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store

__all__ = ["ORDERS", "Context", "ReviewItem", "ReviewSession"]


@dataclass(frozen=True)
class ReviewItem:
    """Everything a reviewer needs to decide one suggestion."""

    suggestion_id: int
    segment_id: int
    document: str
    case: str | None
    ordinal: int
    speaker: str | None
    timestamp: float | None
    text: str
    evidence: tuple[tuple[int, int, str], ...]  # (start, end, pattern), offsets into ``text``
    code: str
    code_name: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    source: Source
    score: float
    before: tuple[Context, ...]
    after: tuple[Context, ...]
    others: tuple[tuple[str, str], ...] = ()  # (reviewer, verdict) of others, only if asked
    document_id: int | None = None
    memos: tuple[Memo, ...] = ()  # on the segment, the code and its themes, the document, the case

    @property
    def why(self) -> str:
        """Why it was proposed, in words a reviewer reads: the matched words with their offsets in
        the segment (a model's words with their weights), never a pattern's source."""
        from qualkit.suggest.evidence import describe_all

        shown = describe_all(self.evidence, self.text)
        if self.source is Source.RULE:
            return f"rule: matched {shown} (score {self.score:.2f})"
        if self.source is Source.MODEL:
            return f"model: probability {self.score:.2f}" + (f"; {shown}" if shown else "")
        return f"{self.source.value} (score {self.score:.2f})"


class ReviewSession:
    """Review state for one reviewer and one filter."""

    def __init__(
        self, store: Store, *, codebook_id: int, codebook: Codebook, reviewer: str,
        where: QueueFilter | None = None, order: str = "document", show_others: bool = False,
    ):
        if order not in ORDERS:
            raise ReviewError(f"unknown review order {order!r}; use one of {', '.join(ORDERS)}")
        self.store = store
        self.codebook_id, self.codebook = codebook_id, codebook
        from qualkit.review.reviewers import directory

        names = directory(store)
        self.reviewer = names.current(check_reviewer(reviewer))
        self.names = names.names_of(self.reviewer)  # every name this reviewer's decisions may carry
        self.where = where or QueueFilter()
        self.order = order
        self.show_others = show_others  # blind by default: others' verdicts stay hidden
        self.skipped: list[int] = []
        self.decided_here = 0
        self._codes = {code.key: code for code in codebook.codes}
        self._pending_note: str | None = None
        self._revisit: int | None = None  # a suggestion brought back by undo
        self._recent: list[set[str]] = []  # word sets of the last items shown (for diversity)
        self._total: int | None = None  # suggestions in the filter, decided or not
        self._decided: int | None = None  # of those, decided by this reviewer

    # -- what is shown ---------------------------------------------------------------------

    def current(self) -> ReviewItem | None:
        items: list[QueueItem] = []
        if self._revisit is not None:
            items = self.store.queue.pending(self.names, self.where, only=self._revisit)
        if not items:
            window = 25 if self.order == "uncertainty" else 1
            items = self.store.queue.pending(
                self.names, self.where, order=self.order, limit=window, exclude=self.skipped
            )
            items = items[:1] if window == 1 else [self._diverse(items)] if items else []
        return self._item(items[0]) if items else None

    def _shown(self, item: ReviewItem) -> None:
        self._recent = [*self._recent[-4:], set(item.text.lower().split())]

    def _diverse(self, candidates: list[QueueItem]) -> QueueItem:
        """The most uncertain candidate that is not a near-duplicate of what was just shown, so
        near-identical passages do not crowd the queue (word-set Jaccard below 0.6)."""
        for candidate in candidates:
            words = set(candidate.text.lower().split())
            if all(len(words & seen) / max(1, len(words | seen)) < 0.6 for seen in self._recent):
                return candidate
        return candidates[0]

    def progress(self) -> tuple[int, int]:
        """(decided by this reviewer in this filter, still pending in it)."""
        # Counted once and then kept up to date by this session's own decisions: recounting a
        # million suggestions (or a reviewer's fifty thousand decisions) per keypress would lag.
        if self._total is None:
            self._total = self.store.queue.count_in_filter(self.where)
        if self._decided is None:
            self._decided = self.store.queue.count_decided(self.names, self.where)
        return self._decided, self._total - self._decided

    def _item(self, item: QueueItem) -> ReviewItem:
        code = self._codes.get(item.code)
        evidence = tuple((e.start - item.start, e.end - item.start, e.pattern) for e in item.evidence)
        around = self.store.queue.neighbours(item.document_id, item.ordinal)
        return ReviewItem(
            suggestion_id=item.id, segment_id=item.segment_id, document=item.document, case=item.case,
            ordinal=item.ordinal, speaker=item.speaker, timestamp=item.timestamp, text=item.text, evidence=evidence,
            code=item.code, code_name=code.name if code else item.code,
            definition=code.definition if code else "(not in the current codebook)",
            include=code.include if code else (), exclude=code.exclude if code else (),
            source=item.source, score=item.score,
            before=tuple(context for context in around if context.ordinal < item.ordinal),
            after=tuple(context for context in around if context.ordinal > item.ordinal),
            others=self._others(item.id) if self.show_others else (),
            document_id=item.document_id, memos=self._memos(item),
        )

    def _memos(self, item: QueueItem) -> tuple[Memo, ...]:
        from qualkit.memos import memos_for_review

        return memos_for_review(self.store, self.codebook, segment_id=item.segment_id, document_id=item.document_id,
                                case=item.case, codes=[item.code])

    def _others(self, suggestion_id: int) -> tuple[tuple[str, str], ...]:
        state = states(self.store, [suggestion_id]).get(suggestion_id)
        verdicts = state.verdicts if state else {}
        return tuple(sorted((name, v.value) for name, v in verdicts.items() if name != self.reviewer))

    # -- what the reviewer does ------------------------------------------------------------

    def note(self, text: str) -> None:
        """A note for the next decision on the current item."""
        self._pending_note = text.strip() or None

    def accept(self, item: ReviewItem) -> None:
        self._decide(item, accept=True)

    def reject(self, item: ReviewItem) -> None:
        self._decide(item, accept=False)

    def _decide(self, item: ReviewItem, *, accept: bool) -> None:
        ids = [item.suggestion_id]
        decide(
            self.store, self.reviewer, accept=ids if accept else [], reject=[] if accept else ids,
            note=self._pending_note, via="review",
        )
        self._pending_note = None
        self._revisit = None
        self.decided_here += 1
        if self._decided is not None:  # the item was pending in this filter, so now one more is decided
            self._decided += 1
        self._shown(item)

    def skip(self, item: ReviewItem) -> None:
        self.skipped.append(item.suggestion_id)
        self._pending_note = None
        self._revisit = None
        self._shown(item)

    def undo(self) -> str | None:
        """Reverse the reviewer's last decision and show that suggestion again."""
        undone = undo_last(self.store, self.reviewer)
        if undone is None:
            return None
        self._revisit = undone.suggestion_id
        self._decided = None  # the undone decision may lie outside this filter: count again
        if undone.suggestion_id in self.skipped:
            self.skipped.remove(undone.suggestion_id)
        self.decided_here = max(0, self.decided_here - 1)
        return f"undid {undone.verdict.value} of suggestion {undone.suggestion_id}"

    def write_memo(self, item: ReviewItem, text: str, *, on: MemoAbout | str = MemoAbout.SEGMENT) -> Memo:
        """A memo by this reviewer on the item's segment, code, document or case (shown with it from now on)."""
        from qualkit.memos import memo_on

        return memo_on(self.store, self.reviewer, text, on=on, segment_id=item.segment_id,
                       document_id=item.document_id, case=item.case, code=item.code)

    def complete_code(self, prefix: str) -> list[str]:
        """Codable keys starting with ``prefix`` (for completion)."""
        return [c.key for c in self.codebook.codable if c.key.startswith(prefix)]

    def add_code(self, item: ReviewItem, key: str) -> int:
        """Add another code to the current segment by hand (source 'manual')."""
        suggestion_id, _ = add_manual_code(
            self.store, codebook_id=self.codebook_id, codebook=self.codebook, reviewer=self.reviewer,
            segment_id=item.segment_id, code=key, note=self._pending_note,
        )
        self._pending_note = None
        self._total = self._decided = None
        return suggestion_id
