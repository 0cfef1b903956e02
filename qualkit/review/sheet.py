"""The spreadsheet round trip: export pending suggestions, import reviewers' decisions.

Two kinds of file are read back:

* a sheet exported by ``qualkit review export`` (or any file with an ``id`` column): rows name
  suggestions by id, and ``project_id``, when present, must be this project's;
* a portable decisions file with ``document``, ``segment`` and ``code`` columns (and
  ``reviewer``): rows name suggestions by document name, segment position and code, so the
  file loads into any project built from the same corpus. A row accepting a code no rule
  proposed adds it by hand (source ``manual``).

Every row is checked; the good ones are recorded and each refused one is reported with its
line and reason. Importing the same file again records nothing new.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import QualkitError, ReviewError
from qualkit.faults import fault_point
from qualkit.records import QueueFilter
from qualkit.review.actions import add_manual_code, check_reviewer, decide
from qualkit.review.sheetcheck import (
    AS_IS,
    SheetRow,
    SheetView,
    cell,
    check_rows_by_id,
    check_segment_texts,
    contradictions,
)

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.pseudonymise import Pseudonymisation
    from qualkit.store import Store

# "add" reads as accept: on a code nothing proposed it adds the code by hand, as accept does (#16).
VERDICT_WORDS = {"accept": "accept", "accepted": "accept", "a": "accept", "yes": "accept", "add": "accept",
                 "added": "accept", "reject": "reject", "rejected": "reject", "r": "reject", "no": "reject"}


@dataclass
class ImportReport:
    recorded: int = 0
    unchanged: int = 0
    blank: int = 0
    manual: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    covered_documents: int = 0  # (reviewer, document) pairs newly marked as coded fully
    covered_segments: int = 0  # (reviewer, segment) pairs newly marked as coded fully


COVERS = ("documents", "segments", "none")


def export_sheet(store: Store, path: str | os.PathLike, *, codebook: Codebook, project_id: str, reviewer: str,
                 where: QueueFilter | None = None, pseudonymise: Pseudonymisation | None = None) -> int:
    """Write the reviewer's pending suggestions with a drop-down decision column; with
    ``pseudonymise``, names replaced (rows still name suggestions by id, so the sheet reads back)."""
    from qualkit.export.tables import write_table
    from qualkit.pseudonymise.sharing import staged_outputs

    reviewer = check_reviewer(reviewer)
    items = store.queue.pending(reviewer, where or QueueFilter())
    if pseudonymise is not None:
        codebook = pseudonymise.codebook(codebook)
        items = [pseudonymise.queue_item(item) for item in items]
    codes = {code.key: code for code in codebook.codes}
    table = [
        {
            "id": item.id, "project_id": project_id, "reviewer": reviewer, "document": item.document,
            "case": item.case, "segment": item.ordinal, "speaker": item.speaker, "code": item.code,
            "code_name": codes[item.code].name if item.code in codes else "",
            "definition": codes[item.code].definition if item.code in codes else "",
            "source": item.source.value, "score": item.score, "text": item.text, "decision": "", "note": "",
        }
        for item in items
    ]
    columns = ["id", "project_id", "reviewer", "document", "case", "segment", "speaker", "code",
               "code_name", "definition", "source", "score", "text", "decision", "note"]
    with staged_outputs(pseudonymise) as stage:
        write_table(table, stage(path), sheet="review", columns=columns, choices={"decision": ["accept", "reject"]})
    return len(table)


PASSAGE_COLUMNS = ["reviewer", "document", "case", "segment", "speaker", "text", "code", "code_name", "definition",
                   "source", "score", "evidence", "decision", "note", "fully_coded"]
ADD_ROWS = 2  # blank rows under each segment for codes nothing proposed
YES = {"yes", "y", "x", "true", "1", "done"}


def export_passage_sheet(store: Store, path: str | os.PathLike, *, codebook: Codebook, reviewer: str,
                         where: QueueFilter | None = None, interviewers: Collection[str] = (),
                         pseudonymise: Pseudonymisation | None = None) -> int:
    """Passage review in a spreadsheet: each segment with a proposal the reviewer has not decided,
    one row per proposal (decision: accept/reject), rows to add codes nothing proposed (a code
    drop-down), and a fully_coded column (yes: the codes not applied there do not apply). It is a
    portable decisions file: it loads into any project built from the same corpus. Returns how
    many segments it holds. With ``pseudonymise``, names are replaced and evidence offsets mapped;
    read back with the key, its pseudonymised document names are mapped back."""
    from qualkit.export.tables import write_table
    from qualkit.pseudonymise.sharing import staged_outputs
    from qualkit.review.passage import PassageSession

    session = PassageSession(store, codebook_id=0, codebook=codebook, reviewer=reviewer, where=where or QueueFilter(),
                             interviewers=interviewers)
    rows: list[dict[str, Any]] = []
    segments = 0
    while (item := session.current()) is not None:
        segments += 1
        session.skip(item)
        if pseudonymise is not None:
            item = pseudonymise.passage_item(item)
        first = {"reviewer": session.reviewer, "document": item.document, "case": item.case, "segment": item.ordinal,
                 "speaker": item.speaker, "text": item.text}
        pending = item.pending
        for number, proposal in enumerate(pending):
            rows.append({
                **(first if number == 0 else {"reviewer": session.reviewer, "document": item.document,
                                              "segment": item.ordinal}),
                "code": proposal.code, "code_name": proposal.code_name, "definition": proposal.definition,
                "source": proposal.source.value, "score": proposal.score,
                "evidence": "; ".join(str(e) for e in proposal.evidence), "decision": "", "note": "",
                "fully_coded": "",
            })
        for _ in range(ADD_ROWS):
            rows.append({"reviewer": session.reviewer, "document": item.document, "segment": item.ordinal,
                         "code": "", "code_name": "(add a code nothing proposed: choose it, decision accept)",
                         "decision": "", "fully_coded": ""})
    with staged_outputs(pseudonymise) as stage:
        write_table(rows, stage(path), sheet="passages", columns=PASSAGE_COLUMNS, choices={
            "decision": ["accept", "reject"], "code": [code.key for code in codebook.codable], "fully_coded": ["yes"],
        })
    return segments


def _read(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, sheet_name=0).fillna("")
        elif suffix == ".csv":
            from qualkit.export.tables import restore_cell

            # cells qualkit neutralised on export ('=SUM..., a leading quote) read back as written
            frame = pd.read_csv(path, dtype=str, keep_default_na=False).map(restore_cell)
        else:
            raise ReviewError(f"{path}: review files are .xlsx or .csv")
    except FileNotFoundError:
        raise ReviewError(f"{path}: no such file") from None
    except QualkitError:
        raise
    except Exception as exc:
        raise ReviewError(f"{path}: cannot read it as a spreadsheet ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def import_sheet(store: Store, path: str | os.PathLike, *, codebook_id: int, codebook: Codebook, project_id: str,
                 reviewer: str | None = None, covers: str = "documents",
                 view: SheetView = AS_IS) -> ImportReport:
    """Record the decisions a review sheet or a portable decisions file holds; see the module doc.

    A portable file is independent coding: by default each reviewer in it coded fully the
    documents their rows name (``covers="documents"``), so a code they did not apply there does
    not apply; ``"segments"`` covers only the segments named, ``"none"`` nothing (the rows are then
    judgements of those segment × code units only). A sheet of suggestions by id covers nothing.

    The file is checked against itself and the project first (:mod:`qualkit.review.sheetcheck`:
    rows that contradict each other, rows that are not what they show, a sheet from another
    project), then recorded in one transaction: a killed import records nothing, and imports
    running at once record each decision once.
    ``view``: how the sheet shows this project (a pseudonymised sheet's names and text, #22)."""
    if covers not in COVERS:
        raise ReviewError(f"--covers {covers!r}: use one of {', '.join(COVERS)}")
    path = Path(path)
    frame = _read(path)
    columns = set(frame.columns)
    if "decision" not in columns:
        raise ReviewError(f"{path}: no 'decision' column; columns are: {', '.join(frame.columns)}")
    by_id = "id" in columns
    if not by_id and not {"document", "segment", "code"} <= columns:
        raise ReviewError(
            f"{path}: rows must name suggestions by 'id' (an exported review sheet) or by "
            "'document', 'segment' and 'code' (a portable decisions file)"
        )
    if reviewer is None and "reviewer" not in columns:
        raise ReviewError(f"{path}: no 'reviewer' column; give the reviewer with --reviewer NAME")
    records = frame.to_dict("records")
    report = ImportReport()
    rows: list[SheetRow] = []
    for index, record in enumerate(records):
        line = index + 2  # line 1 is the header
        word = cell(record, "decision").lower()
        if not word:
            report.blank += 1
            continue
        verdict = VERDICT_WORDS.get(word)
        if verdict is None:
            report.refused.append((line, f"decision {record['decision']!r} is not accept, reject or add"))
            continue
        name = " ".join((reviewer or cell(record, "reviewer")).split())
        if not name:
            report.refused.append((line, "no reviewer on this row"))
            continue
        rows.append(SheetRow(line, name, verdict, cell(record, "note") or None, record))
    via = f"import {path.name}"
    with store.transaction():  # one writer at a time from here: what is read is what is written on
        from qualkit.review.reviewers import directory

        refused = contradictions(rows, by_id=by_id, reviewers=directory(store))
        document_ids: dict[str, int | None] = {}
        if by_id:
            refused = {**check_rows_by_id(store, records, path=path, project_id=project_id, columns=columns,
                                          deciding={row.line for row in rows}, view=view), **refused}
        else:
            check_segment_texts(store, records, path=path, document_ids=document_ids, view=view)
        named: dict[str, dict[int, set[int]]] = {}  # reviewer -> document -> segments their rows name
        unsettled: set[int] = set()  # segments with a refused row: not marked coded fully
        for row in rows:
            fault_point("review.import.row")  # tests/reliability: a kill half-way through the transaction
            reason = refused.get(row.line)
            if reason is None:
                reason = _record(store, row, by_id=by_id, codebook_id=codebook_id, codebook=codebook, via=via,
                                 document_ids=document_ids, named=named, report=report, view=view)
            if reason is not None:
                report.refused.append((row.line, reason))
                if not by_id:
                    unsettled |= _segment_of(store, row.record, document_ids)
        report.refused.sort()
        if "fully_coded" in columns:  # a passage sheet: what is marked coded fully is covered, nothing else
            _fully_coded(store, frame, reviewer=reviewer, document_ids=document_ids, via=via, report=report,
                         unsettled=unsettled, view=view)
        elif covers != "none":
            _cover(store, named, covers=covers, via=via, report=report)
    return report


def _record(store: Store, row: SheetRow, *, by_id: bool, codebook_id: int, codebook: Codebook, via: str,
            document_ids: dict[str, int | None], named: dict[str, dict[int, set[int]]],
            report: ImportReport, view: SheetView) -> str | None:
    """Record one checked row's decision; returns why it is refused, or None."""
    record, name, verdict = row.record, row.reviewer, row.verdict
    if by_id:
        suggestion_id = int(cell(record, "id"))  # checked: the row is its suggestion
    else:
        document = cell(record, "document")
        if document not in document_ids:
            document_ids[document] = store.documents.id_of(view.document(document))
        document_id = document_ids[document]
        if document_id is None:
            return f"no document {document!r} in this project"
        try:
            ordinal = int(cell(record, "segment"))
        except ValueError:
            return f"segment {record['segment']!r} is not a number"
        segment_id = store.documents.segment_id_at(document_id, ordinal)
        if segment_id is None:
            return f"document {document!r} has no segment {ordinal}"
        named.setdefault(name, {}).setdefault(document_id, set()).add(segment_id)
        code = cell(record, "code")
        found = store.suggestions.find(segment_id, code)
        if found is None:
            if verdict == "reject":
                return f"nothing proposed {code!r} for segment {ordinal} of {document!r}"
            try:
                _, result = add_manual_code(store, codebook_id=codebook_id, codebook=codebook, reviewer=name,
                                            segment_id=segment_id, code=code, note=row.note)
            except QualkitError as exc:
                return str(exc)
            report.manual += len(result.recorded)
            report.recorded += len(result.recorded)
            report.unchanged += len(result.unchanged)
            return None
        suggestion_id = found.id
    result = decide(
        store, name, accept=[suggestion_id] if verdict == "accept" else [],
        reject=[suggestion_id] if verdict == "reject" else [], note=row.note, via=via,
    )
    report.recorded += len(result.recorded)
    report.unchanged += len(result.unchanged)
    return None


def _segment_of(store: Store, record: Any, document_ids: dict[str, int | None]) -> set[int]:
    document_id = document_ids.get(cell(record, "document"))
    try:
        ordinal = int(cell(record, "segment"))
    except ValueError:
        return set()
    segment_id = store.documents.segment_id_at(document_id, ordinal) if document_id is not None else None
    return {segment_id} if segment_id is not None else set()


def _fully_coded(store: Store, frame: Any, *, reviewer: str | None, document_ids: dict[str, int | None], via: str,
                 report: ImportReport, unsettled: set[int], view: SheetView) -> None:
    """Segments a passage sheet marks coded fully: proposals still pending there are rejected (what
    the reviewer did not apply does not apply) and the segment is marked, once. A segment with a
    refused row (``unsettled``) is not: the reviewer's word on it is not all recorded."""
    from qualkit.records import Source
    from qualkit.review.actions import states
    from qualkit.review.reviewers import directory

    flagged: dict[str, set[tuple[int, int]]] = {}
    for record in frame.to_dict("records"):
        if str(record.get("fully_coded", "")).strip().lower() not in YES:
            continue
        name = reviewer or str(record.get("reviewer", "")).strip()
        document = str(record.get("document", "")).strip()
        document_id = document_ids.get(document) or store.documents.id_of(view.document(document))
        try:
            ordinal = int(str(record.get("segment", "")).strip())
        except ValueError:
            continue
        segment_id = store.documents.segment_id_at(document_id, ordinal) if document_id else None
        if name and document_id and segment_id and segment_id not in unsettled:
            flagged.setdefault(name, set()).add((document_id, segment_id))
    names = directory(store)
    for name, segments in flagged.items():
        current = names.current(" ".join(name.split()))
        mine = set(names.names_of(current))
        marked = {m.segment_id for m in store.coverage.log() if m.reviewer in mine and m.covered}
        for document_id, segment_id in sorted(segments):
            proposals = [s.id for s in store.suggestions.on_segment(segment_id) if s.source is not Source.MANUAL]
            found = states(store, proposals)
            pending = [i for i in proposals if i not in found or current not in found[i].verdicts]
            if pending:
                report.recorded += len(decide(store, current, reject=pending, via=via).recorded)
            if segment_id not in marked:
                report.covered_segments += store.coverage.mark(current, [(document_id, segment_id)], via=via)


def _cover(store: Store, named: dict[str, dict[int, set[int]]], *, covers: str, via: str,
           report: ImportReport) -> None:
    """Mark what each reviewer's rows cover as coded fully, unless it is marked so already."""
    from qualkit.review.reviewers import directory

    names = directory(store)
    for reviewer, documents in named.items():
        current = names.current(" ".join(reviewer.split()))
        mine = set(names.names_of(current))
        whole: dict[int, bool] = {}
        parts: dict[int, bool] = {}
        for mark in store.coverage.log():
            if mark.reviewer in mine:
                (whole if mark.segment_id is None else parts)[mark.segment_id or mark.document_id] = mark.covered
        if covers == "documents":
            new = [(document_id, None) for document_id in sorted(documents) if not whole.get(document_id)]
            report.covered_documents += store.coverage.mark(current, new, via=via)
        else:
            new_segments = [
                (document_id, segment_id) for document_id, segments in sorted(documents.items())
                for segment_id in sorted(segments) if not parts.get(segment_id)
            ]
            report.covered_segments += store.coverage.mark(current, new_segments, via=via)
