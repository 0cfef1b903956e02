"""Training labels from reviewers' judgements: who said what applies where.

Each reviewer's judgement of a segment × code comes from :mod:`qualkit.review.coverage`, the
same units agreement counts:

* a suggestion accepted (or a code added by hand) makes (segment, code) **positive**;
* a suggestion rejected makes (segment, code) **negative**;
* a segment the reviewer coded fully — marked so, in a document they covered, or with every
  suggestion on it decided — is **negative for every other codable code**;
* anything else says nothing: a partial review is not evidence of absence.

Labels come from one reviewer or from the team's consensus under a rule (each reviewer's
judgement a vote); a disputed consensus is left out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.records import ReviewState, Status, Verdict
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    from qualkit.review.coverage import Judgements
    from qualkit.store import Store


@dataclass(frozen=True)
class Label:
    segment_id: int
    document_id: int
    code: str
    value: int  # 1 applies, 0 does not


def labels_from_statuses(
    suggestions: Sequence[tuple[int, int, str, Status]], codable: Sequence[str]
) -> list[Label]:
    """Labels from (segment, document, code, status) of every suggestion; see the module doc."""
    by_segment: dict[int, list[tuple[int, str, Status]]] = {}
    for segment_id, document_id, code, status in suggestions:
        by_segment.setdefault(segment_id, []).append((document_id, code, status))
    labels: list[Label] = []
    for segment_id, items in by_segment.items():
        document_id = items[0][0]
        explicit: dict[str, int] = {}
        for _, code, status in items:
            if status is Status.ACCEPTED:
                explicit[code] = 1
            elif status is Status.REJECTED:
                explicit.setdefault(code, 0)  # an accept from another source wins
        complete = all(status in (Status.ACCEPTED, Status.REJECTED) for _, _, status in items)
        for code in codable:
            if code in explicit:
                labels.append(Label(segment_id, document_id, code, explicit[code]))
            elif complete:
                labels.append(Label(segment_id, document_id, code, 0))
    return labels


def labels_from_judgements(judged: Judgements, *, consensus: Consensus = DEFAULT_CONSENSUS) -> list[Label]:
    """Labels from reviewers' judgements: each segment × code that the reviewers ``consensus`` counts
    judged, settled by its rule (a disputed one is left out)."""
    votes: dict[tuple[int, str], dict[str, Verdict]] = {}
    chosen = set(consensus.reviewers) if consensus.reviewers is not None else None
    for reviewer, units in judged.by_reviewer.items():
        if chosen is not None and reviewer not in chosen:
            continue
        for unit, value in units.items():
            votes.setdefault(unit, {})[reviewer] = Verdict.ACCEPT if value else Verdict.REJECT
    labels = []
    for (segment_id, code), verdicts in sorted(votes.items()):
        status = consensus.status(ReviewState(verdicts))
        if status in (Status.ACCEPTED, Status.REJECTED):
            labels.append(Label(segment_id, judged.documents[segment_id], code, int(status is Status.ACCEPTED)))
    return labels


def project_labels(store: Store, *, codable: Sequence[str], consensus: Consensus = DEFAULT_CONSENSUS,
                   interviewers: Collection[str] = ()) -> list[Label]:
    """Labels for every judged segment × code of a project (see :mod:`qualkit.review.coverage`)."""
    from qualkit.review.coverage import project_judgements

    return labels_from_judgements(project_judgements(store, codes=codable, interviewers=interviewers),
                                  consensus=consensus)
