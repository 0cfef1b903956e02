"""Survey exports (.csv, .xlsx): one response per row, each its own document.

The response text comes from ``--text-column``; the document is named ``<file stem>/<id>``
with the id from ``--id-column`` (default: the row's line number); every other column becomes
an attribute of that response (school, role, phase, ...).
"""

from __future__ import annotations

import io
from pathlib import Path

from qualkit.errors import IngestError, did_you_mean
from qualkit.ingest.archive import check_office_zip
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.encoding import decode_text
from qualkit.records import Block, DocumentKind


def read_survey(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    import pandas as pd

    warnings: list[str] = []
    if path.suffix.lower() == ".xlsx":
        check_office_zip(path, data, what="Excel (.xlsx)", required="xl/workbook.xml")
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, sheet_name=0).fillna("")
        except Exception as exc:
            raise IngestError(f"{path}: cannot read the spreadsheet ({exc})") from None
        first_data_line = 2  # row 1 is the header
    else:
        text, warning = decode_text(data, source=str(path))
        warnings += [warning] if warning else []
        if not text.strip():
            raise IngestError(f"{path}: the file is empty")
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except Exception as exc:
            raise IngestError(f"{path}: not a readable CSV file ({exc})") from None
        first_data_line = 2
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if not options.text_column:
        raise IngestError(
            f"{path}: a survey file needs --text-column naming the column with the responses "
            f"(columns: {', '.join(columns)})"
        )
    for option, column in (("--text-column", options.text_column), ("--id-column", options.id_column)):
        if column and column not in columns:
            raise IngestError(
                f"{path}: no column {column!r} for {option}{did_you_mean(column, columns)}; "
                f"columns are: {', '.join(columns)}"
            )
    seen: dict[str, int] = {}
    raws: list[RawText] = []
    empty = 0
    for index, row in enumerate(frame.itertuples(index=False)):
        record = dict(zip(columns, row, strict=True))
        line = first_data_line + index
        response_id = str(record[options.id_column]).strip() if options.id_column else str(line)
        if not response_id:
            raise IngestError(f"{path}:{line}: empty id in column {options.id_column!r}")
        if response_id in seen:
            raise IngestError(
                f"{path}:{line}: id {response_id!r} repeats line {seen[response_id]}; "
                "ids in --id-column must be unique"
            )
        seen[response_id] = line
        response = str(record[options.text_column]).replace("\r\n", "\n").strip()
        if not response:
            empty += 1
            continue
        attributes = {
            key: str(value).strip()
            for key, value in record.items()
            if key not in (options.text_column, options.id_column) and str(value).strip()
        }
        raws.append(
            RawText(
                text=response,
                blocks=(Block(start=0, end=len(response)),),
                kind=DocumentKind.SURVEY,
                name_suffix=response_id,
                attributes=attributes,
                metadata={"line": line},
            )
        )
    if empty:
        warnings.append(f"{path}: {empty} row(s) with an empty {options.text_column!r} skipped")
    if not raws:
        raise IngestError(f"{path}: no responses with text in column {options.text_column!r}")
    return raws, warnings
