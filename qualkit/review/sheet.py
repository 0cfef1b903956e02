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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import QualkitError, ReviewError
from qualkit.records import QueueFilter
from qualkit.review.actions import add_manual_code, check_reviewer, decide

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
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


def export_sheet(store: Store, path: str | os.PathLike, *, codebook: Codebook, project_id: str, reviewer: str,
                 where: QueueFilter | None = None) -> int:
    """Write the reviewer's pending suggestions with a drop-down decision column."""
    from qualkit.export.tables import write_table

    reviewer = check_reviewer(reviewer)
    items = store.queue.pending(reviewer, where or QueueFilter())
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
    write_table(table, path, sheet="review", columns=columns, choices={"decision": ["accept", "reject"]})
    return len(table)


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
                 reviewer: str | None = None) -> ImportReport:
    """Record the decisions a review sheet or a portable decisions file holds; see the module doc."""
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
                document_ids[document] = store.documents.id_of(document)
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
    return report
