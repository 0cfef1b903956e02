"""What a reviewer can do: decide, undo, add a code by hand, accept in bulk; and review states.

Every function appends decisions; none changes or removes one. Each action is one
``BEGIN IMMEDIATE`` transaction that reads what the reviewer has said and writes what follows from
it, committed the moment it is made: two processes deciding the same thing at once take turns,
so the second finds the first's decision and records nothing twice, and an undo reverses a
decision that is in force when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError, ReviewError, did_you_mean
from qualkit.records import Decision, QueueFilter, Reviewers, ReviewState, Verdict
from qualkit.review.decisions import current_verdicts, review_states

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store


def check_reviewer(reviewer: str | None) -> str:
    """The reviewer's name with its spacing tidied; refused when empty."""
    name = " ".join((reviewer or "").split())
    if not name:
        raise ReviewError("a reviewer name is needed: --reviewer NAME (decisions record who made them)")
    return name


@dataclass(frozen=True)
class DecideReport:
    recorded: tuple[int, ...] = ()  # decision ids appended
    unchanged: tuple[int, ...] = ()  # suggestion ids where the reviewer already said so


def decide(
    store: Store, reviewer: str, *, accept: Iterable[int] = (), reject: Iterable[int] = (),
    note: str | None = None, via: str = "decide",
) -> DecideReport:
    """Record accept/reject decisions by suggestion id. Unknown ids stop everything before writing.

    One transaction reads the reviewer's verdicts in force and appends only what changes them, so
    the same decision sent twice at once is stored once."""
    from qualkit.review.reviewers import directory

    reviewer = check_reviewer(reviewer)
    accepted, rejected = list(dict.fromkeys(accept)), list(dict.fromkeys(reject))
    both = set(accepted) & set(rejected)
    if both:
        raise ReviewError(f"suggestion(s) {sorted(both)} both accepted and rejected; choose one")
    recorded, unchanged = [], []
    with store.transaction():
        names = directory(store)
        reviewer = names.current(reviewer)
        missing = set(accepted + rejected) - store.suggestions.existing_ids(accepted + rejected)
        if missing:
            raise NotFoundError(
                f"no suggestion with id {', '.join(map(str, sorted(missing)))}; `qualkit suggestions` lists ids"
            )
        mine = set(names.names_of(reviewer))
        current = current_verdicts(
            [d for d in store.decisions.log(suggestion_ids=accepted + rejected) if d.reviewer in mine],
            reviewers=names,
        )
        for verdict, ids in ((Verdict.ACCEPT, accepted), (Verdict.REJECT, rejected)):
            for suggestion_id in ids:
                existing = current.get((suggestion_id, reviewer))
                if existing and existing.verdict is verdict and (note is None or existing.note == note):
                    unchanged.append(suggestion_id)
                    continue
                recorded.append(
                    store.decisions.insert(suggestion_id=suggestion_id, reviewer=reviewer, verdict=verdict,
                                           note=note, via=via)
                )
    return DecideReport(tuple(recorded), tuple(unchanged))


def undo_last(store: Store, reviewer: str) -> Decision | None:
    """Reverse the reviewer's most recent decision in force; returns it (None if nothing to undo).

    Found and reversed in one transaction, so two undos at once reverse two decisions, never one
    twice. Copies of it directly beneath (the same verdict and note on the same suggestion, which
    qualkit before issue #17 could store when one decision was sent twice at once) are reversed
    with it, so the verdict it gave really goes."""
    from qualkit.review.reviewers import directory

    reviewer = check_reviewer(reviewer)
    with store.transaction():
        names = directory(store)
        reviewer = names.current(reviewer)
        last = store.decisions.last_in_force(names.names_of(reviewer))
        if last is None:
            return None
        store.decisions.insert(suggestion_id=last.suggestion_id, reviewer=reviewer, verdict=Verdict.UNDO,
                               reverses=last.id, via="undo")
        while (copy := in_force(store, names, reviewer, last.suggestion_id)) is not None and (
            copy.verdict, copy.note, copy.via) == (last.verdict, last.note, last.via):
            store.decisions.insert(suggestion_id=last.suggestion_id, reviewer=reviewer, verdict=Verdict.UNDO,
                                   reverses=copy.id, via="undo (a copy of the decision undone)")
    return last


def in_force(store: Store, names: Reviewers, reviewer: str, suggestion_id: int) -> Decision | None:
    """The reviewer's decision in force on one suggestion (under any of their names), or None."""
    mine = set(names.names_of(reviewer))
    found = current_verdicts([d for d in store.decisions.log(suggestion_ids=[suggestion_id]) if d.reviewer in mine],
                             reviewers=names)
    return found.get((suggestion_id, names.current(reviewer)))


def verdict_in_force(store: Store, reviewer: str, suggestion_id: int) -> Decision | None:
    """What ``reviewer`` says of a suggestion now: their decision in force, or None (pending)."""
    from qualkit.review.reviewers import directory

    return in_force(store, directory(store), check_reviewer(reviewer), suggestion_id)


def add_manual_code(
    store: Store, *, codebook_id: int, codebook: Codebook, reviewer: str, segment_id: int, code: str,
    note: str | None = None,
) -> tuple[int, DecideReport]:
    """A reviewer adds a code to a segment: accepted by them, as a 'manual' suggestion.

    If a rule or model already proposed that code for the segment, the reviewer's word is an
    accept of that suggestion instead, so a coding is never counted twice.
    """
    reviewer = check_reviewer(reviewer)
    codable = [c.key for c in codebook.codable]
    if code not in codable:
        raise NotFoundError(f"no codable code {code!r} in codebook {codebook.name!r}{did_you_mean(code, codable)}")
    with store.transaction():
        proposed = store.suggestions.find(segment_id, code)
        suggestion_id = proposed.id if proposed else store.suggestions.add_manual(segment_id, code, codebook_id)
        return suggestion_id, decide(store, reviewer, accept=[suggestion_id], note=note, via="manual")


def accept_all(
    store: Store, reviewer: str, *, code: str, min_score: float, document_ids: tuple[int, ...] | None = None
) -> DecideReport:
    """Explicit, logged bulk acceptance of one code's pending suggestions at or above a score."""
    reviewer = check_reviewer(reviewer)
    if not 0 <= min_score <= 1:
        raise ReviewError(f"--min-score {min_score} is outside 0..1")
    from qualkit.review.reviewers import directory

    with store.transaction():  # what is pending is what gets accepted: nobody decides in between
        items = store.queue.pending(directory(store).names_of(reviewer), QueueFilter(codes=(code,),
                                                                                 document_ids=document_ids))
        ids = [item.id for item in items if item.score >= min_score and item.code == code]
        return decide(store, reviewer, accept=ids, via=f"accept-all code={code} min-score={min_score}")


def states(store: Store, suggestion_ids: Iterable[int] | None = None) -> dict[int, ReviewState]:
    """suggestion id → every reviewer's verdict in force, reviewers by their current names
    (suggestions nobody decided are absent)."""
    from qualkit.review.reviewers import directory

    return review_states(store.decisions.log(suggestion_ids=suggestion_ids), reviewers=directory(store))
