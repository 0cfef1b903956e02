"""Cases (schools) and their attributes from a cases file: ``document,case,attr1,...``.

A column whose value is the same for every document of a case (phase, region, disadvantage)
is a case attribute; a column that varies within some case (the interviewee's role) is an
attribute of each document. Documents are named as the project names them, or by their
file name without its extension when that is unambiguous.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qualkit.errors import CasesError, did_you_mean
from qualkit.ingest.encoding import decode_text

REQUIRED = ("document", "case")


@dataclass(frozen=True)
class CasesPlan:
    """What a cases file asks for, checked against the project's documents."""

    assignments: tuple[tuple[str, str], ...]  # (document name, case name)
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    document_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # one line per row that could not be used


def _name_index(names: list[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name in names:
        posix = PurePosixPath(name)
        for alias in {name, posix.name, posix.stem, str(posix.with_suffix(""))}:
            index.setdefault(alias, []).append(name)
    return index


def read_cases_file(path: str | Path, document_names: list[str]) -> CasesPlan:
    """Parse and check a cases CSV; malformed files raise, unknown documents are problems."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CasesError(f"{path}: cannot read the cases file ({exc.strerror})") from None
    text, _ = decode_text(data, source=str(path))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CasesError(f"{path}: the cases file is empty; its first line must be 'document,case,...'")
    header = [column.strip() for column in rows[0]]
    for column in REQUIRED:
        if column not in header:
            raise CasesError(
                f"{path}:1: no {column!r} column{did_you_mean(column, header)}; the header must "
                f"start with 'document,case' (found: {','.join(header)})"
            )
    if len(set(header)) != len(header):
        raise CasesError(f"{path}:1: a column name appears twice in the header")
    attributes = [c for c in header if c not in REQUIRED]
    index = _name_index(document_names)
    problems: list[str] = []
    rows_by_case: dict[str, list[tuple[str, dict[str, str]]]] = {}
    assigned: dict[str, tuple[str, int]] = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise CasesError(
                f"{path}:{line_number}: {len(row)} fields where the header has {len(header)}"
            )
        record = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
        given, case = record["document"], record["case"]
        if not case:
            problems.append(f"{path}:{line_number}: document {given!r} has an empty case")
            continue
        matches = index.get(given, [])
        if len(matches) != 1:
            reason = (
                f"is ambiguous ({', '.join(matches)}); use the full name"
                if matches
                else "is not in the project" + did_you_mean(given, document_names)
            )
            problems.append(f"{path}:{line_number}: document {given!r} {reason}")
            continue
        document = matches[0]
        if document in assigned and assigned[document][0] != case:
            problems.append(
                f"{path}:{line_number}: document {given!r} is already in case "
                f"{assigned[document][0]!r} (line {assigned[document][1]})"
            )
            continue
        assigned[document] = (case, line_number)
        values = {column: record[column] for column in attributes if record[column]}
        rows_by_case.setdefault(case, []).append((document, values))

    per_document = {
        column
        for members in rows_by_case.values()
        for column in attributes
        if len({values.get(column) for _, values in members}) > 1
    }
    case_attributes = {
        case: {
            column: value
            for _, values in members
            for column, value in values.items()
            if column not in per_document
        }
        for case, members in rows_by_case.items()
    }
    document_attributes = {
        document: {column: value for column, value in values.items() if column in per_document}
        for members in rows_by_case.values()
        for document, values in members
    }
    return CasesPlan(
        assignments=tuple((document, case) for document, (case, _) in assigned.items()),
        case_attributes=case_attributes,
        document_attributes={d: a for d, a in document_attributes.items() if a},
        problems=tuple(problems),
    )
