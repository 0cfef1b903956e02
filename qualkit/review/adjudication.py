"""Disagreements between reviewers, and an adjudicator's decision on them, recorded as such.

A suggestion is disputed when, among the reviewers' decisions in force, someone accepted it and
someone rejected it; or — given the codable codes, so that coverage can be read (see
:mod:`qualkit.review.coverage`) — when someone accepted it and another reviewer coded its segment
fully without applying the code (a code one reviewer added by hand, which the others never saw, is
the usual case): agreement counts that as a disagreement, so the adjudicator sees it too.

An adjudicator settles it with an ordinary appended decision whose ``via`` is ``adjudication``: it
counts under ``--consensus adjudicator:NAME`` like any decision of NAME's, and the log says it was
an adjudication. Adjudications are not reviewers' verdicts, so they never make (or unmake) a dispute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError
from qualkit.records import (
    EVERYTHING,
    NOBODY_RENAMED,
    Decision,
    Dispute,
    QueueFilter,
    Reviewers,
    ReviewerVerdict,
    SuggestionUnit,
    Verdict,
)
from qualkit.review.actions import DecideReport, decide
from qualkit.review.decisions import current_verdicts

if TYPE_CHECKING:
    from qualkit.records import CoverageMark
    from qualkit.review.coverage import Judgements
    from qualkit.store import Store

#: The ``via`` an adjudicator's decision is recorded with.
ADJUDICATION = "adjudication"


def _verdict(decision: Decision) -> ReviewerVerdict:
    return ReviewerVerdict(reviewer=decision.reviewer, verdict=decision.verdict, note=decision.note,
                           via=decision.via, decided_at=decision.decided_at)


def _in_force(decisions: Iterable[Decision], reviewers: Reviewers = NOBODY_RENAMED,
              ) -> dict[int, tuple[list[Decision], list[Decision]]]:
    """suggestion id → (the reviewers' decisions in force, the adjudications in force), reviewers
    by their current names (a renamed or merged reviewer counts once)."""
    found: dict[int, tuple[list[Decision], list[Decision]]] = {}
    for (suggestion_id, _), decision in current_verdicts(list(decisions), reviewers=reviewers).items():
        in_force, adjudications = found.setdefault(suggestion_id, ([], []))
        (adjudications if decision.via == ADJUDICATION else in_force).append(decision)
    return found


def _disputed(decisions: Iterable[Decision], implied: Mapping[int, Sequence[ReviewerVerdict]] | None = None,
              reviewers: Reviewers = NOBODY_RENAMED) -> dict[int, tuple[list[ReviewerVerdict], Decision | None]]:
    """suggestion id → (every reviewer's verdict, the adjudication in force) for the disputed ones;
    ``implied``: suggestion id → the reviewers whose "no" comes from coverage (see :func:`implied_noes`)."""
    implied = implied or {}
    disputed = {}
    for suggestion_id, (in_force, adjudications) in _in_force(decisions, reviewers).items():
        verdicts = {decision.verdict for decision in in_force}
        silent = implied.get(suggestion_id, ())
        if Verdict.ACCEPT in verdicts and (Verdict.REJECT in verdicts or silent):
            latest = max(adjudications, key=lambda d: d.id) if adjudications else None
            shown = sorted([*map(_verdict, in_force), *silent], key=lambda v: v.reviewer)
            disputed[suggestion_id] = (shown, latest)
    return disputed


def implied_noes(units: Iterable[SuggestionUnit], decisions: Iterable[Decision], judged: Judgements,
                 marks: Iterable[CoverageMark] = (), *, reviewers: Reviewers = NOBODY_RENAMED,
                 ) -> dict[int, list[ReviewerVerdict]]:
    """For each suggestion a reviewer accepted: the reviewers who said "no" to its segment and code
    without deciding anything there, because they coded the segment fully without applying it.

    ``judged``: the reviewers' own judgements (adjudications left out); ``decisions``: the log of the
    ``units``' suggestions; ``marks``: coverage marks, to say how and when each covered the segment;
    retired ``reviewers`` do not count (as in agreement)."""
    in_force = _in_force(decisions, reviewers)
    by_unit: dict[tuple[int, str], list[int]] = {}
    document_of: dict[int, int] = {}
    for unit in units:
        by_unit.setdefault((unit.segment_id, unit.code), []).append(unit.suggestion_id)
        document_of[unit.segment_id] = unit.document_id
    # the mark in force on each reviewer's segments, as coverage reads them: in the order made, a
    # document's mark overriding the earlier marks of its segments, a withdrawal leaving none
    on_document: dict[tuple[str, int], CoverageMark | None] = {}
    on_segment: dict[tuple[str, int], dict[int, CoverageMark | None]] = {}
    for mark in marks:
        key = (reviewers.current(mark.reviewer), mark.document_id)
        if mark.segment_id is None:
            on_document[key] = mark if mark.covered else None
            on_segment.pop(key, None)
        else:
            on_segment.setdefault(key, {})[mark.segment_id] = mark if mark.covered else None
    found: dict[int, list[ReviewerVerdict]] = {}
    for (segment_id, code), suggestion_ids in by_unit.items():
        said = [decision for sid in suggestion_ids for decision in in_force.get(sid, ([], []))[0]]
        accepted = sorted({d.suggestion_id for d in said if d.verdict is Verdict.ACCEPT})
        if not accepted:
            continue
        spoke = {reviewers.current(decision.reviewer) for decision in said}
        silent = []
        for name, theirs in sorted(judged.by_reviewer.items()):
            if name in spoke or name in reviewers.retired or theirs.get((segment_id, code)) != 0:
                continue
            marked = on_segment.get((name, document_of[segment_id]), {})
            covering = marked[segment_id] if segment_id in marked else on_document.get((name, document_of[segment_id]))
            silent.append(ReviewerVerdict(
                reviewer=name, verdict=Verdict.REJECT, note=None,
                via=covering.via if covering else "every proposal decided",
                decided_at=covering.marked_at if covering else "", implied=True,
            ))
        for suggestion_id in accepted if silent else ():
            found[suggestion_id] = silent
    return found


def _implied(store: Store, judged: Judgements | None, decisions: Sequence[Decision],
             units: Iterable[SuggestionUnit], reviewers: Reviewers) -> dict[int, list[ReviewerVerdict]]:
    if judged is None:
        return {}
    return implied_noes(units, decisions, judged, store.coverage.log(), reviewers=reviewers)


def disputes(store: Store, where: QueueFilter = EVERYTHING, *, settled: bool | None = None,
             judged: Judgements | None = None) -> list[Dispute]:
    """Disputed suggestions in document order, with every reviewer's verdict and note; ``settled``
    True or False keeps only those an adjudicator has (or has not) decided. With ``judged`` (the
    reviewers' own judgements: ``project_judgements(..., adjudications=False)``) also those where a
    reviewer's "no" comes from coverage."""
    from qualkit.review.reviewers import directory

    names = directory(store)
    decisions = store.decisions.log()
    implied = _implied(store, judged, decisions, store.suggestions.units() if judged is not None else (), names)
    disputed = _disputed(decisions, implied, names)
    if settled is not None:
        disputed = {key: value for key, value in disputed.items() if (value[1] is not None) is settled}
    if not disputed:
        return []
    found = []
    for view in store.suggestions.views(codes=where.codes, document_ids=where.document_ids, ids=disputed):
        if view.id in disputed and (where.case is None or view.case == where.case):
            verdicts, adjudication = disputed[view.id]
            found.append(Dispute(view, tuple(verdicts), _verdict(adjudication) if adjudication else None))
    return found


def adjudicate(store: Store, adjudicator: str, suggestion_id: int, *, accept: bool, note: str | None = None,
               judged: Judgements | None = None) -> DecideReport:
    """Record an adjudicator's decision on a disputed suggestion (``via='adjudication'``); ``judged``
    as for :func:`disputes` (the judgements of the suggestion's segment are enough)."""
    from qualkit.review.reviewers import directory

    with store.transaction():  # disputed when the decision is written, not only when it was read (#17)
        stored = store.suggestions.get(suggestion_id)
        if stored is None:
            raise NotFoundError(
                f"no suggestion with id {suggestion_id}; the adjudication page lists the disputed ones")
        names = directory(store)
        on_segment = store.suggestions.on_segment(stored.segment_id)
        decisions = store.decisions.log(suggestion_ids=[found.id for found in on_segment])
        units = [SuggestionUnit(found.id, found.segment_id, found.document_id, found.code) for found in on_segment]
        implied = _implied(store, judged, decisions, units, names)
        if suggestion_id not in _disputed([d for d in decisions if d.suggestion_id == suggestion_id], implied, names):
            raise NotFoundError(
                f"suggestion {suggestion_id} is not disputed: no reviewer accepted it while another rejected it "
                "or coded its passage fully without it"
            )
        ids = [suggestion_id]
        return decide(store, adjudicator, accept=ids if accept else [], reject=[] if accept else ids,
                      note=note, via=ADJUDICATION)
