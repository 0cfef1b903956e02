"""A table of interview details at the top of a Word or OpenDocument file, read as attributes.

Transcripts often open with a two-column table: ``Participant ID | P07``, ``Role | ECT``,
``Date | 12 March 2025``. Its rows become the document's attributes (keys as written, without
a trailing colon); its text stays in the document, outside every turn.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ROWS = 30
MAX_KEY_CHARS = 60
MAX_VALUE_CHARS = 500
MAX_PARAGRAPHS_BEFORE = 3  # a title, a date: a table further down is content, not a header


def header_attributes(rows: Sequence[Sequence[str]]) -> dict[str, str] | None:
    """``{key: value}`` when ``rows`` look like a key/value header table, else None."""
    if not 1 <= len(rows) <= MAX_ROWS or any(len(row) != 2 for row in rows):
        return None
    attributes: dict[str, str] = {}
    for key_cell, value_cell in rows:
        key = " ".join(key_cell.split()).rstrip(":").strip()
        value = " ".join(value_cell.split())
        if not key or len(key) > MAX_KEY_CHARS or len(value) > MAX_VALUE_CHARS:
            return None
        if value and key not in attributes:
            attributes[key] = value
    return attributes or None
