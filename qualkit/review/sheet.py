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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import QualkitError, ReviewError
from qualkit.records import QueueFilter
from qualkit.review.actions import add_manual_code, check_reviewer, decide

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.pseudonymise import Pseudonymisation
    from qualkit.store import Store

VERDICT_WORDS = {"accept": "accept", "accepted": "accept", "a": "accept", "yes": "accept",
                 "reject": "reject", "rejected": "reject", "r": "reject", "no": "reject"}


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
                 document_names: Mapping[str, str] | None = None) -> ImportReport:
    """Record the decisions a review sheet or a portable decisions file holds; see the module doc.

    A portable file is independent coding: by default each reviewer in it coded fully the
    documents their rows name (``covers="documents"``), so a code they did not apply there does
    not apply; ``"segments"`` covers only the segments named, ``"none"`` nothing (the rows are then
    judgements of those segment × code units only). A sheet of suggestions by id covers nothing.
    ``document_names`` maps names the project does not have (a pseudonymised sheet's) to its own."""
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
    report = ImportReport()
    document_ids: dict[str, int | None] = {}
    named: dict[str, dict[int, set[int]]] = {}  # reviewer -> document -> segments their rows name
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2  # line 1 is the header
        word = str(record.get("decision", "")).strip().lower()
        if not word:
            report.blank += 1
            continue
        verdict = VERDICT_WORDS.get(word)
        if verdict is None:
            report.refused.append((line, f"decision {record['decision']!r} is not accept or reject"))
            continue
        name = reviewer or str(record.get("reviewer", "")).strip()
        if not name:
            report.refused.append((line, "no reviewer on this row"))
            continue
        note = str(record.get("note", "")).strip() or None
        if by_id:
            if record.get("project_id") and record["project_id"] != project_id:
                report.refused.append(
                    (line, f"exported from another project ({record['project_id']}), not {project_id}")
                )
                continue
            try:
                suggestion_id = int(str(record["id"]).strip())
            except ValueError:
                report.refused.append((line, f"id {record['id']!r} is not a number"))
                continue
            stored = store.suggestions.get(suggestion_id)
            if stored is None:
                report.refused.append((line, f"no suggestion with id {suggestion_id} in this project"))
                continue
            if record.get("code") and record["code"] != stored.code:
                report.refused.append(
                    (line, f"code {record['code']!r} does not match suggestion {suggestion_id} "
                           f"({stored.code}); was the row edited?")
                )
                continue
        else:
            document = str(record["document"]).strip()
            if document not in document_ids:
                document_ids[document] = _document_id(store, document, document_names)
            if document_ids[document] is None:
                report.refused.append((line, f"no document {document!r} in this project"))
                continue
            try:
                ordinal = int(str(record["segment"]).strip())
            except ValueError:
                report.refused.append((line, f"segment {record['segment']!r} is not a number"))
                continue
            document_id = document_ids[document]
            assert document_id is not None
            segment_id = store.documents.segment_id_at(document_id, ordinal)
            if segment_id is None:
                report.refused.append((line, f"document {document!r} has no segment {ordinal}"))
                continue
            named.setdefault(name, {}).setdefault(document_id, set()).add(segment_id)
            code = str(record["code"]).strip()
            found = store.suggestions.find(segment_id, code)
            if found is None:
                if verdict == "reject":
                    report.refused.append((line, f"nothing proposed {code!r} for segment {ordinal} of {document!r}"))
                    continue
                try:
                    _, result = add_manual_code(store, codebook_id=codebook_id, codebook=codebook, reviewer=name,
                                                segment_id=segment_id, code=code, note=note)
                except QualkitError as exc:
                    report.refused.append((line, str(exc)))
                    continue
                report.manual += len(result.recorded)
                report.recorded += len(result.recorded)
                report.unchanged += len(result.unchanged)
                continue
            suggestion_id = found.id
        result = decide(
            store, name,
            accept=[suggestion_id] if verdict == "accept" else [],
            reject=[suggestion_id] if verdict == "reject" else [],
            note=note, via=f"import {path.name}",
        )
        report.recorded += len(result.recorded)
        report.unchanged += len(result.unchanged)
    if "fully_coded" in columns:  # a passage sheet: what is marked coded fully is covered, nothing else
        _fully_coded(store, frame, reviewer=reviewer, document_ids=document_ids, via=f"import {path.name}",
                     report=report, document_names=document_names)
    elif covers != "none":
        _cover(store, named, covers=covers, via=f"import {path.name}", report=report)
    return report


def _document_id(store: Store, name: str, document_names: Mapping[str, str] | None) -> int | None:
    found = store.documents.id_of(name)
    if found is None and document_names and name in document_names:
        found = store.documents.id_of(document_names[name])
    return found


def _fully_coded(store: Store, frame: Any, *, reviewer: str | None, document_ids: dict[str, int | None], via: str,
                 report: ImportReport, document_names: Mapping[str, str] | None = None) -> None:
    """Segments a passage sheet marks coded fully: proposals still pending there are rejected (what
    the reviewer did not apply does not apply) and the segment is marked, once."""
    from qualkit.records import Source
    from qualkit.review.actions import states
    from qualkit.review.reviewers import directory

    flagged: dict[str, set[tuple[int, int]]] = {}
    for record in frame.to_dict("records"):
        if str(record.get("fully_coded", "")).strip().lower() not in YES:
            continue
        name = reviewer or str(record.get("reviewer", "")).strip()
        document = str(record.get("document", "")).strip()
        document_id = document_ids.get(document) or _document_id(store, document, document_names)
        try:
            ordinal = int(str(record.get("segment", "")).strip())
        except ValueError:
            continue
        segment_id = store.documents.segment_id_at(document_id, ordinal) if document_id else None
        if name and document_id and segment_id:
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
