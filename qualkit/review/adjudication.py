"""Disagreements between reviewers, and an adjudicator's decision on them, recorded as such.

A suggestion is disputed when, among the reviewers' decisions in force, someone accepted it and
someone rejected it. An adjudicator settles it with an ordinary appended decision whose ``via`` is
``adjudication``: it counts under ``--consensus adjudicator:NAME`` like any decision of NAME's,
and the log says it was an adjudication. Adjudications are not reviewers' verdicts, so they never
make (or unmake) a dispute.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError
from qualkit.records import EVERYTHING, Decision, Dispute, QueueFilter, ReviewerVerdict, Verdict
from qualkit.review.actions import DecideReport, decide
from qualkit.review.decisions import current_verdicts

if TYPE_CHECKING:
    from qualkit.store import Store

#: The ``via`` an adjudicator's decision is recorded with.
ADJUDICATION = "adjudication"


def _verdict(decision: Decision) -> ReviewerVerdict:
    return ReviewerVerdict(reviewer=decision.reviewer, verdict=decision.verdict, note=decision.note,
                           via=decision.via, decided_at=decision.decided_at)


def _disputed(decisions: Iterable[Decision]) -> dict[int, tuple[list[Decision], Decision | None]]:
    """suggestion id → (the reviewers' decisions in force, the adjudication in force) for disputed ones."""
    found: dict[int, tuple[list[Decision], list[Decision]]] = {}
    for (suggestion_id, _), decision in current_verdicts(list(decisions)).items():
        reviewers, adjudications = found.setdefault(suggestion_id, ([], []))
        (adjudications if decision.via == ADJUDICATION else reviewers).append(decision)
    disputed = {}
    for suggestion_id, (reviewers, adjudications) in found.items():
        verdicts = {decision.verdict for decision in reviewers}
        if Verdict.ACCEPT in verdicts and Verdict.REJECT in verdicts:
            latest = max(adjudications, key=lambda d: d.id) if adjudications else None
            disputed[suggestion_id] = (sorted(reviewers, key=lambda d: d.reviewer), latest)
    return disputed


def disputes(store: Store, where: QueueFilter = EVERYTHING, *, settled: bool | None = None) -> list[Dispute]:
    """Disputed suggestions in document order, with every reviewer's verdict and note; ``settled``
    True or False keeps only those an adjudicator has (or has not) decided."""
    disputed = _disputed(store.decisions.log())
    if settled is not None:
        disputed = {key: value for key, value in disputed.items() if (value[1] is not None) is settled}
    if not disputed:
        return []
    found = []
    for view in store.suggestions.views(codes=where.codes, document_ids=where.document_ids):
        if view.id in disputed and (where.case is None or view.case == where.case):
            reviewers, adjudication = disputed[view.id]
            found.append(Dispute(view, tuple(map(_verdict, reviewers)),
                                 _verdict(adjudication) if adjudication else None))
    return found


def adjudicate(store: Store, adjudicator: str, suggestion_id: int, *, accept: bool,
               note: str | None = None) -> DecideReport:
    """Record an adjudicator's decision on a disputed suggestion (``via='adjudication'``)."""
    with store.transaction():  # disputed when the decision is written, not only when it was read (#17)
        if suggestion_id not in _disputed(store.decisions.log(suggestion_ids=[suggestion_id])):
            raise NotFoundError(
                f"suggestion {suggestion_id} is not disputed: no reviewer accepted it while another rejected it"
            )
        ids = [suggestion_id]
        return decide(store, adjudicator, accept=ids if accept else [], reject=[] if accept else ids,
                      note=note, via=ADJUDICATION)
