"""Survey exports (.csv, .xlsx): one document per answer to an open question.

The answers come from ``--text-column`` (repeatable: one column per open question); the id
from ``--id-column`` (default: the row's line number), which is also each answer's speaker,
so quotes and exports say who wrote it. ``--case-column`` names the column holding each
respondent's case (their school): their answers are put in that case. Every other column is
an attribute of the respondent (role, phase, ...), kept on each of their answers, so reports
and exports carry them. A respondent's answers come in the file's column order.

Names: with one text column an answer is ``<file stem>/<id>``, as it always was; with several,
``<file stem>/<id>/<question>``, where ``<question>`` is the column's name when it is short
(at most 24 characters, no ``/``) and otherwise its first words in lower case joined by ``-``
(``how-has-the-early``), so two answers of one respondent never share a name. Every answer's
``question`` attribute holds the full column name.

A column is found by its exact name, else by a unique prefix (ignoring case and spacing), else
by its 1-based number; a spec with ``*``, ``?`` or ``[`` is a shell-style pattern (``Q*``) and
takes every column it matches, in file order.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from pathlib import Path

from qualkit.errors import IngestError, did_you_mean
from qualkit.ingest.archive import check_office_zip
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.encoding import decode_text
from qualkit.records import Block, DocumentKind

#: A survey export with more columns than this is refused before it is parsed: a million columns
#: took pandas 7 minutes and 5 GB, and each answer would carry every column as an attribute. Excel
#: itself stops at 16,384 columns; real exports with every question and metadata column have a
#: few hundred.
MAX_COLUMNS = 10_000
_SHORT_NAME = 24
_LISTED_COLUMNS = 20  # columns named in an error; the rest are counted
_LISTED_CHARS = 40


def read_survey(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    import pandas as pd

    warnings: list[str] = []
    if path.suffix.lower() == ".xlsx":
        check_office_zip(path, data, what="Excel (.xlsx)", required="xl/workbook.xml")
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, sheet_name=0).fillna("")
        except Exception as exc:
            raise IngestError(f"{path}: cannot read the spreadsheet ({exc})") from None
    else:
        text, warning = decode_text(data, source=str(path))
        warnings += [warning] if warning else []
        if not text.strip():
            raise IngestError(f"{path}: the file is empty")
        _check_width(path, len(next(csv.reader(io.StringIO(text)), [])))
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except Exception as exc:
            raise IngestError(f"{path}: not a readable CSV file ({exc})") from None
    first_data_line = 2  # line (or row) 1 is the header
    _check_width(path, len(frame.columns))
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    specs = options.text_column_specs
    if not specs:
        raise IngestError(
            f"{path}: a survey file needs --text-column naming the column with the responses "
            f"(columns: {_names(columns)})"
        )
    id_column = (
        resolve_columns([options.id_column], columns, option="--id-column", source=str(path))[0]
        if options.id_column else None
    )
    case_column = (
        resolve_columns([options.case_column], columns, option="--case-column", source=str(path))[0]
        if options.case_column else None
    )
    asked = resolve_columns(specs, columns, option="--text-column", source=str(path))
    text_columns = [column for column in columns if column in asked and column not in (id_column, case_column)]
    if not text_columns:
        raise IngestError(f"{path}: --text-column names only the --id-column or --case-column")
    several = len(text_columns) > 1
    short_names = question_names(text_columns, columns) if several else {}
    seen: dict[str, int] = {}
    raws: list[RawText] = []
    answer_columns = set(text_columns)
    empty = dict.fromkeys(text_columns, 0)
    for index, row in enumerate(frame.itertuples(index=False)):
        record = dict(zip(columns, row, strict=True))
        line = first_data_line + index
        response_id = str(record[id_column]).strip() if id_column else str(line)
        if not response_id:
            raise IngestError(f"{path}:{line}: empty id in column {id_column!r}")
        if response_id in seen:
            raise IngestError(
                f"{path}:{line}: id {response_id!r} repeats line {seen[response_id]}; "
                "ids in --id-column must be unique"
            )
        seen[response_id] = line
        respondent = {
            key: str(value).strip()
            for key, value in record.items()
            if key not in (id_column, case_column) and key not in answer_columns and str(value).strip()
        }
        case = str(record[case_column]).strip() or None if case_column else None
        for column in text_columns:
            answer = str(record[column]).replace("\r\n", "\n").strip()
            if not answer:
                empty[column] += 1
                continue
            raws.append(
                RawText(
                    text=answer,
                    blocks=(Block(start=0, end=len(answer), speaker=response_id),),
                    kind=DocumentKind.SURVEY,
                    name_suffix=f"{response_id}/{short_names[column]}" if several else response_id,
                    attributes={**respondent, "question": column},
                    metadata={"line": line, "column": columns.index(column) + 1},
                    case=case,
                )
            )
    skipped = {column: n for column, n in empty.items() if n}
    if skipped and not several:
        warnings.append(f"{path}: {sum(skipped.values())} row(s) with an empty {text_columns[0]!r} skipped")
    elif skipped:
        per_column = ", ".join(f"{_shown(column)}: {n}" for column, n in skipped.items())
        warnings.append(f"{path}: {sum(skipped.values())} empty answer(s) skipped ({per_column})")
    if not raws:
        raise IngestError(f"{path}: no responses with text in column(s) {_names(text_columns)}")
    return raws, warnings


def _check_width(path: Path, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise IngestError(
            f"{path}: {columns:,} columns is over the {MAX_COLUMNS:,}-column limit for a survey; save a copy with "
            "only the id, answer and respondent columns you need"
        )


def resolve_columns(specs: list[str] | tuple[str, ...], columns: list[str], *, option: str, source: str) -> list[str]:
    """The columns ``specs`` name, in the order given, each once (see the module docstring)."""
    chosen: list[str] = []
    for spec in specs:
        for column in _resolve(spec, columns, option=option, source=source):
            if column not in chosen:
                chosen.append(column)
    return chosen


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _resolve(spec: str, columns: list[str], *, option: str, source: str) -> list[str]:
    if any(char in spec for char in "*?["):
        matched = [c for c in columns if fnmatch.fnmatchcase(_fold(c), _fold(spec))]
        if not matched:
            raise IngestError(
                f"{source}: no column matches the pattern {spec!r} for {option}; "
                f"columns are: {_names(columns)}"
            )
        return matched
    if spec in columns:
        return [spec]
    folded = _fold(spec)
    same = [c for c in columns if _fold(c) == folded]
    if len(same) == 1:
        return same
    prefixed = [c for c in columns if _fold(c).startswith(folded)] if folded else []
    if len(prefixed) == 1:
        return prefixed
    if spec.strip().isdigit() and 1 <= int(spec) <= len(columns):
        return [columns[int(spec) - 1]]
    if len(prefixed) > 1:
        candidates = ", ".join(f"{columns.index(c) + 1} {_shown(c)}" for c in prefixed[:_LISTED_COLUMNS])
        raise IngestError(
            f"{source}: {option} {spec!r} could be {len(prefixed)} columns: {candidates}; "
            "give more of the name, or the column's number"
        )
    raise IngestError(
        f"{source}: no column {spec!r} for {option}{did_you_mean(spec, columns)}; columns are: "
        f"{_names(columns)} (or give a column's number, 1-{len(columns)})"
    )


def question_names(chosen: list[str], columns: list[str]) -> dict[str, str]:
    """A short, unique, slash-free name for each question column (see the module docstring)."""
    names: dict[str, str] = {}
    for column in chosen:
        stripped = column.strip()
        if stripped and len(stripped) <= _SHORT_NAME and "/" not in stripped:
            names[column] = stripped
            continue
        slug = ""
        for word in re.findall(r"[^\W_]+", column):
            longer = f"{slug}-{word.lower()}" if slug else word.lower()
            if len(longer) > _SHORT_NAME:
                break
            slug = longer
        names[column] = slug or f"q{columns.index(column) + 1}"
    taken = list(names.values())
    for column, name in names.items():
        if taken.count(name) > 1:
            names[column] = f"{name}-{columns.index(column) + 1}"
    return names


def _shown(column: str) -> str:
    column = " ".join(column.split())
    return repr(column if len(column) <= _LISTED_CHARS else column[: _LISTED_CHARS - 1] + "…")


def _names(columns: list[str]) -> str:
    shown = [" ".join(c.split()) for c in columns[:_LISTED_COLUMNS]]
    shown = [c if len(c) <= _LISTED_CHARS else c[: _LISTED_CHARS - 1] + "…" for c in shown]
    more = f" and {len(columns) - _LISTED_COLUMNS} more" if len(columns) > _LISTED_COLUMNS else ""
    return ", ".join(shown) + more
