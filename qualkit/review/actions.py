"""What a reviewer can do: decide, undo, add a code by hand, accept in bulk; and the statuses.

Every function appends decisions; none changes or removes one. Each decision is its own
transaction, committed the moment it is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qualkit.errors import NotFoundError, ReviewError, did_you_mean
from qualkit.review.decisions import (
    DEFAULT_RULE,
    ConsensusRule,
    Decision,
    Status,
    Verdict,
    current_verdicts,
    reviewer_status,
)


def check_reviewer(reviewer: str) -> str:
    name = " ".join((reviewer or "").split())
    if not name:
        raise ReviewError("a reviewer name is needed: --reviewer NAME (decisions record who made them)")
    return name


def decision_from_row(row) -> Decision:
    return Decision(
        id=row["id"], suggestion_id=row["suggestion_id"], reviewer=row["reviewer"],
        verdict=Verdict(row["verdict"]), note=row["note"], via=row["via"],
        decided_at=row["decided_at"], reverses=row["reverses"],
    )


@dataclass(frozen=True)
class DecideReport:
    recorded: tuple[int, ...] = ()  # decision ids appended
    unchanged: tuple[int, ...] = ()  # suggestion ids where the reviewer already said so


def decide(
    store, reviewer: str, *, accept: Iterable[int] = (), reject: Iterable[int] = (),
    note: str | None = None, via: str = "decide",
) -> DecideReport:
    """Record accept/reject decisions by suggestion id. Unknown ids stop everything before writing."""
    reviewer = check_reviewer(reviewer)
    accept, reject = list(dict.fromkeys(accept)), list(dict.fromkeys(reject))
    both = set(accept) & set(reject)
    if both:
        raise ReviewError(f"suggestion(s) {sorted(both)} both accepted and rejected; choose one")
    missing = set(accept + reject) - store.suggestion_ids_existing(accept + reject)
    if missing:
        raise NotFoundError(
            f"no suggestion with id {', '.join(map(str, sorted(missing)))}; "
            "`qualkit suggestions` lists ids"
        )
    current = current_verdicts(
        [decision_from_row(r) for r in store.decisions(reviewer=reviewer, suggestion_ids=accept + reject)]
    )
    recorded, unchanged = [], []
    with store.transaction():
        for verdict, ids in ((Verdict.ACCEPT, accept), (Verdict.REJECT, reject)):
            for suggestion_id in ids:
                existing = current.get((suggestion_id, reviewer))
                if existing and existing.verdict is verdict and (note is None or existing.note == note):
                    unchanged.append(suggestion_id)
                    continue
                recorded.append(
                    store.insert_decision(
                        suggestion_id=suggestion_id, reviewer=reviewer, verdict=verdict.value,
                        note=note, via=via,
                    )
                )
    return DecideReport(tuple(recorded), tuple(unchanged))


def undo_last(store, reviewer: str) -> Decision | None:
    """Reverse the reviewer's most recent decision in force; returns it (None if nothing to undo)."""
    reviewer = check_reviewer(reviewer)
    row = store.last_decision_in_force(reviewer)
    if row is None:
        return None
    store.insert_decision(
        suggestion_id=row["suggestion_id"], reviewer=reviewer, verdict=Verdict.UNDO.value,
        reverses=row["id"], via="undo",
    )
    return decision_from_row(row)


def add_manual_code(
    project, reviewer: str, *, segment_id: int, code: str, note: str | None = None
) -> tuple[int, DecideReport]:
    """A reviewer adds a code to a segment: accepted by them, as a 'manual' suggestion.

    If a rule or model already proposed that code for the segment, the reviewer's word is an
    accept of that suggestion instead, so a coding is never counted twice.
    """
    reviewer = check_reviewer(reviewer)
    codebook_id, codebook = project.codebook()
    codable = [c.key for c in codebook.codable]
    if code not in codable:
        raise NotFoundError(
            f"no codable code {code!r} in codebook {codebook.name!r}{did_you_mean(code, codable)}"
        )
    proposed = project.store.find_suggestion(segment_id, code)
    suggestion_id = proposed["id"] if proposed else project.store.add_manual_suggestion(segment_id, code, codebook_id)
    return suggestion_id, decide(project.store, reviewer, accept=[suggestion_id], note=note, via="manual")


def accept_all(
    store, reviewer: str, *, code: str, min_score: float, document_ids: Sequence[int] | None = None
) -> DecideReport:
    """Explicit, logged bulk acceptance of one code's pending suggestions at or above a score."""
    reviewer = check_reviewer(reviewer)
    if not 0 <= min_score <= 1:
        raise ReviewError(f"--min-score {min_score} is outside 0..1")
    rows = store.pending_suggestions(reviewer, codes=[code], document_ids=document_ids)
    ids = [row["id"] for row in rows if row["score"] >= min_score and row["code_key"] == code]
    return decide(
        store, reviewer, accept=ids, via=f"accept-all code={code} min-score={min_score}"
    )


def verdicts_by_suggestion(store, suggestion_ids: Iterable[int] | None = None) -> dict[int, dict[str, Verdict]]:
    """suggestion id → {reviewer: verdict in force}."""
    current = current_verdicts([decision_from_row(r) for r in store.decisions(suggestion_ids=suggestion_ids)])
    out: dict[int, dict[str, Verdict]] = {}
    for (suggestion_id, reviewer), decision in current.items():
        out.setdefault(suggestion_id, {})[reviewer] = decision.verdict
    return out


def statuses(
    verdicts: dict[str, Verdict], *, rule: ConsensusRule = DEFAULT_RULE, reviewer: str | None = None
) -> Status:
    """A reviewer's status when ``reviewer`` is given, else the consensus status."""
    if reviewer is not None:
        return reviewer_status(verdicts.get(reviewer))
    return rule.status(verdicts)
