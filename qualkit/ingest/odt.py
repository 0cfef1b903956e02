"""OpenDocument text (.odt, LibreOffice and Google Docs downloads), via odfpy.

Paragraphs and headings in body order, list items and table cells too, as for Word files; a
two-column table of interview details near the top also becomes the document's attributes.
odfpy parses with defusedxml when it is installed (it is a qualkit dependency), so an
untrusted file cannot pull in external entities.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.archive import check_office_zip
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.header_table import MAX_PARAGRAPHS_BEFORE, header_attributes

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_PARAGRAPHS = {(_TEXT_NS, "p"), (_TEXT_NS, "h")}
_TABLE = (_TABLE_NS, "table")
_ROW = (_TABLE_NS, "table-row")
_CELL = (_TABLE_NS, "table-cell")


def read_odt(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    check_office_zip(path, data, what="OpenDocument text (.odt)", required="content.xml")
    from odf.opendocument import load  # only when an .odt is read

    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # odfpy raises many types for broken packages
        raise IngestError(f"{path}: cannot read the OpenDocument file ({exc})") from None
    if document.mimetype != "application/vnd.oasis.opendocument.text":
        raise IngestError(
            f"{path}: an OpenDocument file but not a text document ({document.mimetype}); "
            "save it from the original program as .odt or .docx"
        )
    body = document.text
    text = "\n\n".join(_paragraph_texts(body))
    if not text.strip():
        raise IngestError(f"{path}: the OpenDocument file has no text")
    return [RawText(text=text, attributes=_header_table(body) or {})], []


def _paragraph_texts(element) -> Iterator[str]:
    """Non-empty paragraph texts under ``element`` in document order, tables row by row."""
    from odf import teletype

    for child in element.childNodes:
        if child.qname in _PARAGRAPHS:
            text = teletype.extractText(child).strip()
            if text:
                yield text
        elif getattr(child, "childNodes", None):
            yield from _paragraph_texts(child)


def _header_table(body) -> dict[str, str] | None:
    """Attributes from a key/value table before the body (at most a few paragraphs above it)."""
    from odf import teletype

    paragraphs_before = 0
    for child in body.childNodes:
        if child.qname == _TABLE:
            rows = [
                [" ".join(_paragraph_texts(cell)) for cell in row.childNodes if cell.qname == _CELL]
                for row in _rows(child)
            ]
            return header_attributes(rows)
        if child.qname in _PARAGRAPHS and teletype.extractText(child).strip():
            paragraphs_before += 1
            if paragraphs_before > MAX_PARAGRAPHS_BEFORE:
                return None
    return None


def _rows(table) -> Iterator:
    """Table rows, also those inside header-row and row groups."""
    for child in table.childNodes:
        if child.qname == _ROW:
            yield child
        elif child.qname[0] == _TABLE_NS and getattr(child, "childNodes", None):
            yield from _rows(child)
