"""Training labels from reviewers' decisions: who said what applies where.

The semantics, which the classifier and the evaluation share:

* a suggestion accepted (or a code added by hand) makes (segment, code) **positive**;
* a suggestion rejected makes (segment, code) **negative**;
* a segment whose suggestions were all reviewed is **negative for every other codable code**
  — the reviewer read it and applied only what they accepted or added;
* a segment with any suggestion still pending, or none reviewed, says nothing about codes that
  were not accepted there: it is **not** a negative (a partial review is not evidence of absence).

Labels come from one reviewer (their decisions in force) or from the team's consensus under a
rule; a disputed consensus counts as pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.records import NO_DECISIONS, Status
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
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


def project_labels(store: Store, *, codable: Sequence[str], consensus: Consensus = DEFAULT_CONSENSUS) -> list[Label]:
    """Labels for every reviewed segment of a project, from the decisions ``consensus`` counts."""
    from qualkit.review.actions import states

    found = states(store)
    items = []
    for unit in store.suggestions.units():
        status = consensus.status(found.get(unit.suggestion_id, NO_DECISIONS))
        if status is Status.DISPUTED:
            status = Status.PENDING
        items.append((unit.segment_id, unit.document_id, unit.code, status))
    return labels_from_statuses(items, codable)
