"""What a reviewer can do: decide, undo, add a code by hand, accept in bulk; and review states.

Every function appends decisions; none changes or removes one. Each decision is its own
transaction, committed the moment it is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError, ReviewError, did_you_mean
from qualkit.records import Decision, QueueFilter, ReviewState, Verdict
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
    """Record accept/reject decisions by suggestion id. Unknown ids stop everything before writing."""
    from qualkit.review.reviewers import directory

    names = directory(store)
    reviewer = names.current(check_reviewer(reviewer))
    accepted, rejected = list(dict.fromkeys(accept)), list(dict.fromkeys(reject))
    both = set(accepted) & set(rejected)
    if both:
        raise ReviewError(f"suggestion(s) {sorted(both)} both accepted and rejected; choose one")
    missing = set(accepted + rejected) - store.suggestions.existing_ids(accepted + rejected)
    if missing:
        raise NotFoundError(
            f"no suggestion with id {', '.join(map(str, sorted(missing)))}; `qualkit suggestions` lists ids"
        )
    mine = set(names.names_of(reviewer))
    current = current_verdicts(
        [d for d in store.decisions.log(suggestion_ids=accepted + rejected) if d.reviewer in mine], reviewers=names
    )
    recorded, unchanged = [], []
    with store.transaction():
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
    """Reverse the reviewer's most recent decision in force; returns it (None if nothing to undo)."""
    from qualkit.review.reviewers import directory

    names = directory(store)
    reviewer = names.current(check_reviewer(reviewer))
    last = store.decisions.last_in_force(names.names_of(reviewer))
    if last is None:
        return None
    store.decisions.insert(suggestion_id=last.suggestion_id, reviewer=reviewer, verdict=Verdict.UNDO,
                           reverses=last.id, via="undo")
    return last


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

    items = store.queue.pending(directory(store).names_of(reviewer), QueueFilter(codes=(code,),
                                                                             document_ids=document_ids))
    ids = [item.id for item in items if item.score >= min_score and item.code == code]
    return decide(store, reviewer, accept=ids, via=f"accept-all code={code} min-score={min_score}")


def states(store: Store, suggestion_ids: Iterable[int] | None = None) -> dict[int, ReviewState]:
    """suggestion id → every reviewer's verdict in force, reviewers by their current names
    (suggestions nobody decided are absent)."""
    from qualkit.review.reviewers import directory

    return review_states(store.decisions.log(suggestion_ids=suggestion_ids), reviewers=directory(store))
