"""Write rows as a table file; the format follows the suffix (.csv, .xlsx, .parquet, .json).

XLSX files are for people: a frozen header row, filters on every column and readable widths.
The file is written to a temporary name and moved into place, so a failed export never
leaves half a file where the old one was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from qualkit.errors import ExportError

SUFFIXES = (".csv", ".xlsx", ".parquet", ".json")
MAX_WIDTH = 60
XLSX_MAX_ROWS = 1_048_575  # Excel's row limit, less the header


def write_table(
    rows: Iterable[dict], path: str | os.PathLike, *, sheet: str = "data", columns: Sequence[str] | None = None,
    choices: dict[str, Sequence[str]] | None = None, chunk_size: int = 20_000,
) -> int:
    """Write rows; returns how many. In .xlsx, ``choices`` restricts a column to a drop-down list.

    CSV and JSON are written ``chunk_size`` rows at a time, so memory stays flat however many
    rows there are; .xlsx and .parquet are built whole (a sheet holds at most 1,048,575 rows).
    """
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ExportError(f"{path}: cannot write {suffix or 'a file without a suffix'}; use {', '.join(SUFFIXES)}")
    if not path.parent.exists():
        raise ExportError(f"{path}: folder {path.parent} does not exist")
    partial = path.with_name(f".{path.name}.partial")
    columns = list(columns) if columns else None
    try:
        if suffix in (".csv", ".json"):
            count = _write_chunks(rows, partial, suffix=suffix, columns=columns, chunk_size=chunk_size)
        else:
            frame = pd.DataFrame(list(rows), columns=columns)
            count = len(frame)
            if suffix == ".parquet":
                try:
                    frame.to_parquet(partial, index=False)
                except ImportError:
                    raise ExportError(
                        f"{path}: writing Parquet needs pyarrow; `pip install pyarrow` or use .csv/.xlsx"
                    ) from None
            else:
                if count > XLSX_MAX_ROWS:
                    raise ExportError(
                        f"{path}: {count:,} rows do not fit in an Excel sheet (at most {XLSX_MAX_ROWS:,}); "
                        "write .csv or .parquet, or filter with --code/--document"
                    )
                _write_xlsx(frame, partial, sheet, choices or {})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _write_chunks(rows: Iterable[dict], path: Path, *, suffix: str, columns, chunk_size: int) -> int:
    """CSV (one header) or a JSON array of records, a chunk of rows at a time."""
    import pandas as pd

    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        if suffix == ".json":
            out.write("[")
        for chunk in _chunks(rows, chunk_size):
            frame = pd.DataFrame(chunk, columns=columns)
            columns = columns or list(frame.columns)  # every chunk keeps the first chunk's columns
            if suffix == ".csv":
                frame.to_csv(out, index=False, header=count == 0)
            else:
                records = frame.to_json(orient="records", force_ascii=False)[1:-1]
                out.write(("," if count else "") + "\n" + records)
            count += len(frame)
        if count == 0 and suffix == ".csv":
            pd.DataFrame(columns=columns).to_csv(out, index=False)
        if suffix == ".json":
            out.write("\n]\n")
    return count


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_xlsx(frame, path: Path, sheet: str, choices: dict[str, Sequence[str]]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    with _excel_writer(path) as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        if len(frame.columns):
            worksheet.auto_filter.ref = worksheet.dimensions
        for index, column in enumerate(frame.columns, start=1):
            values = [str(column)] + [str(v) for v in frame[column].head(200).tolist()]
            width = min(MAX_WIDTH, max(len(v) for v in values) + 2)
            worksheet.column_dimensions[get_column_letter(index)].width = width
            if column in choices:
                letter = get_column_letter(index)
                validation = DataValidation(
                    type="list", formula1='"' + ",".join(choices[column]) + '"', allow_blank=True,
                    showErrorMessage=True, errorTitle="Not allowed",
                    error=f"Choose one of: {', '.join(choices[column])}",
                )
                validation.add(f"{letter}2:{letter}{max(2, len(frame) + 1)}")
                worksheet.add_data_validation(validation)


def _excel_writer(path: Path):
    import pandas as pd

    return pd.ExcelWriter(path, engine="openpyxl")
