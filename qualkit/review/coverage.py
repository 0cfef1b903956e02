"""What each reviewer said about each segment × code: the units agreement, training and analyses count.

A reviewer's judgement of a unit (a segment and a codable code) is 1 (the code applies), 0 (it
does not) or absent (they said nothing about it). Where it comes from:

* **Suggestion review.** A suggestion they accepted makes the unit 1, one they rejected 0 (an
  accept wins where several suggestions name the same segment and code). A segment on which they
  decided every proposal (rules', the model's) is fully reviewed: the codes they did not apply
  there are 0. Codes other people added by hand are never *pending* for them, so they do not hold a
  segment back; a segment with nothing proposed is fully coded only when someone marks it so.
* **Independent coding.** A reviewer who coded a whole document, or a segment, said so (recorded
  by a portable file or REFI-QDA import, which cover the documents they name, or by marking a
  segment fully coded in review): every codable code they did not apply there is 0, whether or
  not anything was proposed. Coverage is recorded, never guessed.

Interviewer turns are context, not data: covering a document covers its other segments.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualkit.interviewers import is_interviewer
from qualkit.records import NOBODY_RENAMED, Reviewers, ReviewState, SegmentRef, Source, SuggestionUnit, Verdict

if TYPE_CHECKING:
    from qualkit.records import CoverageMark
    from qualkit.store import Store

Unit = tuple[int, str]  # (segment id, code)


@dataclass(frozen=True)
class Judgements:
    """Every reviewer's judgements: reviewer (current name) → (segment, code) → 1 or 0.

    ``documents`` maps each judged segment to its document; ``covered`` says which segments each
    reviewer coded fully (by coverage or by deciding every suggestion on them)."""

    by_reviewer: Mapping[str, Mapping[Unit, int]] = field(default_factory=dict)
    documents: Mapping[int, int] = field(default_factory=dict)
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    coverable: Mapping[int, frozenset[int]] = field(default_factory=dict)  # document -> its non-interviewer segments

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_reviewer))

    def records(self) -> list[tuple[tuple[int, int], str, str, int]]:
        """(unit, code, coder, value) records, as :mod:`qualkit.agreement` takes them."""
        return [
            ((segment_id, self.documents.get(segment_id, 0)), code, reviewer, value)
            for reviewer, units in sorted(self.by_reviewer.items())
            for (segment_id, code), value in units.items()
        ]


def judgements(
    units: Iterable[SuggestionUnit], states: Mapping[int, ReviewState], marks: Iterable[CoverageMark],
    segments: Sequence[SegmentRef], *, codes: Collection[str], interviewers: Collection[str] = (),
    reviewers: Reviewers = NOBODY_RENAMED, manual: Collection[int] = (),
) -> Judgements:
    """Every reviewer's judgements (see the module doc).

    ``units``: every suggestion's place; ``states``: review states by suggestion; ``marks``:
    coverage marks in the order made; ``segments``: every segment; ``codes``: the codable codes;
    ``interviewers``: interviewer speaker names (or :class:`~qualkit.interviewers.Interviewers`,
    which may name more per document); ``manual``: ids of suggestions that are
    codes added by hand (never pending for anyone who did not add them)."""
    codes = frozenset(codes)
    document_of = {s.id: s.document_id for s in segments}
    codable_by_document: dict[int, list[int]] = {}
    for s in segments:
        if not is_interviewer(s.speaker, interviewers, s.document_id):
            codable_by_document.setdefault(s.document_id, []).append(s.id)
    explicit: dict[str, dict[Unit, int]] = {}
    decided: dict[str, dict[int, bool]] = {}  # reviewer -> segment -> every suggestion there decided
    by_segment: dict[int, list[SuggestionUnit]] = {}
    for unit in units:
        by_segment.setdefault(unit.segment_id, []).append(unit)
    for segment_id, items in by_segment.items():
        verdicts = {unit.suggestion_id: states.get(unit.suggestion_id) for unit in items}
        names = {name for state in verdicts.values() if state for name in state.verdicts}
        proposals = [unit for unit in items if unit.suggestion_id not in manual]
        for name in names:
            complete = bool(proposals)  # a segment with nothing proposed is covered only by a mark
            for unit in items:
                state = verdicts[unit.suggestion_id]
                verdict = state.verdicts.get(name) if state else None
                if verdict is None:
                    if unit.suggestion_id not in manual:
                        complete = False  # a proposal they have not judged yet
                    continue
                if unit.code not in codes:
                    continue
                value = 1 if verdict is Verdict.ACCEPT else 0
                mine = explicit.setdefault(name, {})
                mine[(segment_id, unit.code)] = max(value, mine.get((segment_id, unit.code), 0))
            decided.setdefault(name, {})[segment_id] = complete
    covered: dict[str, set[int]] = {name: {s for s, done in found.items() if done} for name, found in decided.items()}
    for name, marked in marked_segments(marks, reviewers, codable_by_document).items():
        covered.setdefault(name, set()).update(marked)
    by_reviewer: dict[str, dict[Unit, int]] = {}
    for name in set(explicit) | set(covered):
        mine = dict(explicit.get(name, {}))
        for segment_id in covered.get(name, ()):
            for code in codes:
                mine.setdefault((segment_id, code), 0)
        by_reviewer[name] = mine
    return Judgements(
        by_reviewer=by_reviewer, documents=document_of,
        covered={name: frozenset(found) for name, found in covered.items()},
        coverable={document: frozenset(found) for document, found in codable_by_document.items()},
    )


def marked_segments(marks: Iterable[CoverageMark], reviewers: Reviewers,
            codable_by_document: Mapping[int, Sequence[int]]) -> dict[str, set[int]]:
    """reviewer → the segments their coverage marks cover now: marks apply in the order made, a
    document mark to each of its (non-interviewer) segments, so a later mark overrides an earlier one."""
    state: dict[str, dict[int, bool]] = {}
    for mark in marks:
        mine = state.setdefault(reviewers.current(mark.reviewer), {})
        if mark.segment_id is None:
            for segment_id in codable_by_document.get(mark.document_id, ()):
                mine[segment_id] = mark.covered
        else:
            mine[mark.segment_id] = mark.covered
    return {name: {segment_id for segment_id, on in mine.items() if on} for name, mine in state.items()}


def project_judgements(store: Store, *, codes: Collection[str], interviewers: Collection[str],
                       segment_ids: Collection[int] | None = None, adjudications: bool = True) -> Judgements:
    """:func:`judgements` from a project's store. ``segment_ids``: only the units on these segments
    (with the coverage of their documents); ``adjudications`` False: the reviewers' own judgements,
    an adjudicator's decisions (``via='adjudication'``) left out."""
    from qualkit.review.adjudication import ADJUDICATION
    from qualkit.review.decisions import review_states
    from qualkit.review.reviewers import directory

    names = directory(store)
    if segment_ids is None:
        units = store.suggestions.units()
        manual = {unit.suggestion_id for unit in store.suggestions.units(Source.MANUAL)}
        decisions = store.decisions.log()
        marks = store.coverage.log()
        segments = store.documents.segment_refs()
    else:
        stored = [found for segment_id in sorted(set(segment_ids))
                  for found in store.suggestions.on_segment(segment_id)]
        units = [SuggestionUnit(s.id, s.segment_id, s.document_id, s.code) for s in stored]
        manual = {s.id for s in stored if s.source is Source.MANUAL}
        documents = sorted({s.document_id for s in stored})
        decisions = store.decisions.log(suggestion_ids=[s.id for s in stored]) if stored else []
        marks = [mark for mark in store.coverage.log() if mark.document_id in set(documents)]
        segments = store.documents.segment_refs(documents) if documents else []
    if not adjudications:
        decisions = [decision for decision in decisions if decision.via != ADJUDICATION]
    return judgements(
        units, review_states(decisions, reviewers=names), marks, segments, codes=codes,
        interviewers=interviewers, reviewers=names, manual=manual,
    )


def machine_records(judged: Judgements,
                    proposed: Mapping[str, Collection[Unit]]) -> list[tuple[tuple[int, int], str, str, int]]:
    """The rules and the model as coders: on every unit a person judged, 1 where the source
    proposed the code there, else 0 (``proposed``: source name → its (segment, code) units)."""
    units = {unit for units in judged.by_reviewer.values() for unit in units}
    return [
        ((segment_id, judged.documents.get(segment_id, 0)), code, source, int((segment_id, code) in found))
        for source, found in proposed.items() if found
        for segment_id, code in sorted(units)
    ]
