"""A review file checked against itself and against the project, before anything is recorded.

* **Rows that contradict each other.** Two rows deciding the same suggestion (or, in a portable
  file, the same document, segment and code) for the same reviewer differently — accept and
  reject, or one verdict with two notes — are both refused, each naming the other, so importing
  the file again and again records the same thing: nothing for those rows. Identical rows are
  one decision.
* **A sheet of suggestions by id** (``qualkit review export``): each row's suggestion must be
  the one the row shows — its document, segment, code and text, as far as the sheet has those
  columns. A row whose ``project_id`` is another project's is refused. A sheet whose rows carry
  no ``project_id`` (the column deleted, or cleared) is accepted only when every row matches this
  project by content; otherwise nothing is recorded and the import says why, with a line.
* **A portable file** (rows by document, segment and code, like ``review export --passages``):
  where a row shows the segment's text, it must be that segment's text here, or nothing is
  recorded (the file comes from another project, or from a corpus segmented differently).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import ReviewError
from qualkit.records import Reviewers

if TYPE_CHECKING:
    from qualkit.store import Store

_CONTROL = re.compile(r"[\x00-\x1f\ufffd]")  # what a spreadsheet round trip may turn into a space or U+FFFD
_SHOWN = 60  # characters of a text quoted in a message


@dataclass(frozen=True)
class SheetRow:
    """A row that decides something: its line in the file, who, what, and the row as read."""

    line: int
    reviewer: str
    verdict: str  # accept | reject
    note: str | None
    record: Mapping[str, Any]


@dataclass(frozen=True)
class SheetView:
    """How a sheet shows this project. A pseudonymised sheet (#22) names documents by their
    pseudonyms and shows pseudonymised text; with the key at hand, both are read as this
    project's own."""

    document_names: Mapping[str, str] = field(default_factory=dict)  # name in the sheet -> name here
    text: Callable[[str], str] | None = None  # a text here -> as a pseudonymised sheet shows it

    def document(self, shown: str) -> str:
        return self.document_names.get(shown, shown)

    def same_text(self, here: str, shown: str) -> bool:
        wanted = comparable(shown)
        return comparable(here) == wanted or (self.text is not None and comparable(self.text(here)) == wanted)


AS_IS = SheetView()


def cell(record: Mapping[str, Any], column: str) -> str:
    return str(record.get(column, "") or "").strip()


def comparable(text: str) -> str:
    """Text as a spreadsheet keeps it: control characters and spacing do not count."""
    return " ".join(_CONTROL.sub(" ", text).split())


def contradictions(rows: Sequence[SheetRow], *, by_id: bool, reviewers: Reviewers) -> dict[int, str]:
    """line → why it is refused, for rows that decide one thing for one reviewer in two ways."""
    groups: dict[tuple[str, ...], list[SheetRow]] = {}
    for row in rows:
        target = (cell(row.record, "id"),) if by_id else tuple(
            cell(row.record, column) for column in ("document", "segment", "code"))
        groups.setdefault((reviewers.current(row.reviewer), *target), []).append(row)
    refused: dict[int, str] = {}
    for key, group in groups.items():
        reviewer, target = key[0], key[1:]
        if len({(row.verdict, row.note or "") for row in group}) < 2:
            continue
        what = f"suggestion {target[0]}" if by_id else f"{target[2]} on segment {target[1]} of {target[0]!r}"
        for row in group:
            others = [other for other in group if (other.verdict, other.note or "") != (row.verdict, row.note or "")]
            said = ", ".join(f"line {other.line} {_says(other, row)}" for other in others)
            refused[row.line] = (f"{_verb(row)} {what} for {reviewer}, but {said}; keep one of these rows "
                                 "and import the file again")
    return refused


def _verb(row: SheetRow) -> str:
    return f"{row.verdict}s" + (f" (note {_short(row.note)})" if row.note else "")


def _says(other: SheetRow, row: SheetRow) -> str:
    if other.verdict != row.verdict:
        return f"{other.verdict}s it"
    return f"{other.verdict}s it with " + (f"note {_short(other.note)}" if other.note else "no note")


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def check_rows_by_id(store: Store, records: Sequence[Mapping[str, Any]], *, path: Path, project_id: str,
                     columns: Collection[str], deciding: Collection[int], view: SheetView = AS_IS) -> dict[int, str]:
    """line → why a row of a sheet by id is refused (another project's, or not what it shows).

    Raises ReviewError, recording nothing, for a sheet whose rows carry no ``project_id`` unless
    every row matches this project by content (see the module doc). ``deciding``: the lines that
    decide something (only they are refused; every row counts when matching by content)."""
    anonymous = [index + 2 for index, record in enumerate(records)
                 if cell(record, "id") and not cell(record, "project_id")]
    if anonymous and not {"document", "segment", "code"} <= set(columns):
        raise ReviewError(
            f"{path}: its rows carry no project_id, and no document, segment and code columns to check them "
            "against this project; nothing was recorded. Import the sheet into the project it was exported from "
            "(`qualkit review export` writes the project_id column)"
        )
    refused: dict[int, str] = {}
    names: dict[int, str] = {}
    unmatched: list[tuple[int, str]] = []
    for index, record in enumerate(records):
        line = index + 2
        if not cell(record, "id"):
            if line in deciding:
                refused[line] = "no suggestion id on this row"
            continue
        if line not in deciding and line not in anonymous:
            continue
        sheet_project = cell(record, "project_id")
        if sheet_project and sheet_project != project_id:
            refused[line] = f"exported from another project ({sheet_project}), not {project_id}"
            continue
        reason = _mismatch(store, record, names, view)
        if reason is None:
            continue
        if sheet_project:
            refused[line] = reason
        else:
            unmatched.append((line, reason))
    if unmatched:
        line, reason = unmatched[0]
        raise ReviewError(
            f"{path}: its rows carry no project_id and {len(unmatched)} of {len(anonymous)} do not match this "
            f"project (line {line}: {reason}); nothing was recorded. Import the sheet into the project it was "
            "exported from"
        )
    return refused


def _mismatch(store: Store, record: Mapping[str, Any], names: dict[int, str], view: SheetView) -> str | None:
    """Why the row is not its suggestion (id, document, segment, code, text), or None."""
    try:
        suggestion_id = int(cell(record, "id"))
    except ValueError:
        return f"id {cell(record, 'id')!r} is not a number"
    stored = store.suggestions.get(suggestion_id)
    if stored is None:
        return f"no suggestion with id {suggestion_id} in this project"
    if stored.document_id not in names:
        info = store.documents.info(stored.document_id)
        names[stored.document_id] = info.name if info else "?"
    here = {"document": names[stored.document_id], "segment": str(stored.ordinal), "code": stored.code}
    shown = {column: cell(record, column) for column in here}
    shown["document"] = view.document(shown["document"])
    differs = [column for column in here if shown[column] and shown[column] != here[column]]
    if differs:
        return (f"suggestion {suggestion_id} is {here['code']!r} on segment {here['segment']} of "
                f"{here['document']!r} here, but the row says {', '.join(f'{c} {shown[c]!r}' for c in differs)}; "
                "was the row edited, or is the sheet from another project?")
    text = cell(record, "text")
    if text:
        segment = store.documents.segment(stored.segment_id)
        if segment is not None and not view.same_text(segment.text, text):
            return (f"suggestion {suggestion_id}'s segment reads {_short(segment.text)} here, not {_short(text)} as "
                    "in the sheet; is the sheet from another project?")
    return None


def check_segment_texts(store: Store, records: Iterable[Mapping[str, Any]], *, path: Path,
                        document_ids: dict[str, int | None], view: SheetView = AS_IS) -> None:
    """A portable file's rows that show a segment's text must show this project's text for it."""
    for index, record in enumerate(records):
        text = cell(record, "text")
        document = cell(record, "document")
        if not text or not document:
            continue
        if document not in document_ids:
            document_ids[document] = store.documents.id_of(view.document(document))
        document_id = document_ids[document]
        try:
            ordinal = int(cell(record, "segment"))
        except ValueError:
            continue
        segment_id = store.documents.segment_id_at(document_id, ordinal) if document_id is not None else None
        segment = store.documents.segment(segment_id) if segment_id is not None else None
        if segment is not None and not view.same_text(segment.text, text):
            raise ReviewError(
                f"{path}:{index + 2}: segment {ordinal} of {document!r} reads {_short(segment.text)} here, not "
                f"{_short(text)} as in the file: the file comes from another project or a corpus segmented "
                "differently, so nothing was recorded"
            )
