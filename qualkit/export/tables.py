"""Write rows as a table file; the format follows the suffix (.csv, .xlsx, .parquet, .json).

XLSX files are for people: a frozen header row, filters on every column and readable widths.
The file is written through :func:`qualkit.atomicfile.atomic_output` (a unique temporary in the
same folder, renamed into place), so a failed or killed export never leaves half a file where
the old one was, and two exports to one path both finish.

Participants' words reach spreadsheets here, so no cell may run as a formula (OWASP's
CSV-injection guidance): in CSV a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote, which spreadsheets read as "this is text"; in
XLSX every text cell is stored as text, so ``=HYPERLINK(...)`` shows as the words the
participant typed. Numbers stay numbers. Control characters XLSX cannot hold become a space
(vertical tab, form feed) or U+FFFD.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from qualkit.atomicfile import atomic_output
from qualkit.errors import ExportError

SUFFIXES = (".csv", ".xlsx", ".parquet", ".json")
MAX_WIDTH = 60
XLSX_MAX_ROWS = 1_048_575  # Excel's row limit, less the header
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 cannot hold


def neutralise_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading ``'``; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_cell(value: object) -> object:
    """Undo :func:`neutralise_cell`, for reading back a CSV qualkit wrote (e.g. a review sheet)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _xlsx_text(value: object) -> object:
    if isinstance(value, str) and _XLSX_ILLEGAL.search(value):
        return _XLSX_ILLEGAL.sub(lambda hit: " " if hit.group() in "\x0b\x0c" else "\ufffd", value)
    return value


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
    columns = list(columns) if columns else None
    with atomic_output(path) as partial:
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
                _text_columns(frame, neutralise_cell)
                # CRLF, as RFC 4180 has it: a cell holding a bare CR is then quoted, not split
                frame.to_csv(out, index=False, lineterminator="\r\n",
                             header=[str(neutralise_cell(c)) for c in frame.columns] if count == 0 else False)
            else:
                records = frame.to_json(orient="records", force_ascii=False)[1:-1]
                out.write(("," if count else "") + "\n" + records)
            count += len(frame)
        if count == 0 and suffix == ".csv":
            pd.DataFrame(columns=[neutralise_cell(c) for c in columns or []]).to_csv(out, index=False,
                                                                                    lineterminator="\r\n")
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


def _text_columns(frame, convert) -> None:
    """Apply ``convert`` to every value of the frame's text (or mixed) columns, in place."""
    for index, dtype in enumerate(frame.dtypes):
        if dtype.kind not in "biufcmM":  # not bool, number or time: str, object or pandas' string
            frame.isetitem(index, frame.iloc[:, index].map(convert))


def _write_xlsx(frame, path: Path, sheet: str, choices: dict[str, Sequence[str]]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    frame = frame.copy()
    _text_columns(frame, _xlsx_text)
    frame.columns = [_xlsx_text(column) for column in frame.columns]
    with _excel_writer(path) as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
        worksheet = writer.sheets[sheet]
        for row in worksheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # openpyxl took text starting with "=" for a formula
                    cell.data_type = "s"
        worksheet.freeze_panes = "A2"
        if len(frame.columns):
            worksheet.auto_filter.ref = worksheet.dimensions
        for index, column in enumerate(frame.columns, start=1):
            values = [str(column)] + [str(v) for v in frame[column].head(200).tolist()]
            width = min(MAX_WIDTH, max(len(v) for v in values) + 2)
            worksheet.column_dimensions[get_column_letter(index)].width = width
            if column in choices:
                letter = get_column_letter(index)
                allowed = list(choices[column])
                inline = ",".join(allowed)
                if len(inline) <= 250:  # Excel's limit for a list written into the rule itself
                    source = f'"{inline}"'
                else:  # a longer list (every code key) lives on a hidden sheet the rule points at
                    book = writer.book
                    lists = book["lists"] if "lists" in book.sheetnames else book.create_sheet("lists")
                    lists.sheet_state = "hidden"
                    list_column = get_column_letter(lists.max_column + (1 if lists.max_row > 1 else 0))
                    for row_number, value in enumerate(allowed, start=1):
                        lists[f"{list_column}{row_number}"] = value
                    source = f"lists!${list_column}$1:${list_column}${len(allowed)}"
                validation = DataValidation(
                    type="list", formula1=source, allow_blank=True, showErrorMessage=True, errorTitle="Not allowed",
                    error=f"Choose one of: {', '.join(allowed)}"[:255],
                )
                validation.add(f"{letter}2:{letter}{max(2, len(frame) + 1)}")
                worksheet.add_data_validation(validation)


def _excel_writer(path: Path):
    import pandas as pd

    return pd.ExcelWriter(path, engine="openpyxl")
