"""Write rows as a table file; the format follows the suffix (.csv, .xlsx, .parquet, .json).

XLSX files are for people: a frozen header row, filters on every column and readable widths.
The file is written to a temporary name and moved into place, so a failed export never
leaves half a file where the old one was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from qualkit.errors import QualkitError

SUFFIXES = (".csv", ".xlsx", ".parquet", ".json")
MAX_WIDTH = 60


def write_table(
    rows: Sequence[dict], path: str | os.PathLike, *, sheet: str = "data", columns: Sequence[str] | None = None,
    choices: dict[str, Sequence[str]] | None = None,
) -> None:
    """Write rows; in .xlsx, ``choices`` restricts a column to a drop-down list of values."""
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QualkitError(f"{path}: cannot write {suffix or 'a file without a suffix'}; use {', '.join(SUFFIXES)}")
    if not path.parent.exists():
        raise QualkitError(f"{path}: folder {path.parent} does not exist")
    frame = pd.DataFrame(list(rows), columns=list(columns) if columns else None)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".csv":
            frame.to_csv(partial, index=False)
        elif suffix == ".json":
            frame.to_json(partial, orient="records", force_ascii=False, indent=2)
        elif suffix == ".parquet":
            try:
                frame.to_parquet(partial, index=False)
            except ImportError:
                raise QualkitError(
                    f"{path}: writing Parquet needs pyarrow; `pip install pyarrow` or use .csv/.xlsx"
                ) from None
        else:
            _write_xlsx(frame, partial, sheet, choices or {})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


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
