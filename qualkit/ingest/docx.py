"""Word documents (.docx): paragraphs in body order, table cells too, via python-docx.

A two-column table of interview details near the top (``Participant ID | P07``) also becomes
the document's attributes; see :mod:`qualkit.ingest.header_table`.

A .docx is an untrusted archive of XML parts. Word never writes a DTD into them; one with a
``<!DOCTYPE`` or ``<!ENTITY`` is crafted (external entities read local files, nested entities
explode) and, parsed by python-docx, would silently lose the text after an entity. So such a
package is refused before python-docx sees it.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.archive import check_office_zip
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.header_table import MAX_PARAGRAPHS_BEFORE, header_attributes


def read_docx(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    check_office_zip(path, data, what="Word (.docx)", required="word/document.xml")
    _refuse_dtds(path, data)
    import docx  # heavy import, only when a .docx is read

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise IngestError(f"{path}: cannot read the Word document ({exc})") from None
    paragraphs = list(_paragraph_texts(document))
    text = "\n\n".join(paragraphs)
    if not text.strip():
        raise IngestError(f"{path}: the Word document has no text")
    attributes = _header_table(document) or {}
    return [RawText(text=text, attributes=attributes)], []


def _header_table(document) -> dict[str, str] | None:
    """Attributes from a key/value table before the body (at most a few paragraphs above it)."""
    from docx.table import Table

    paragraphs_before = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            return header_attributes([_row_texts(row) for row in item.rows])
        if item.text.strip():
            paragraphs_before += 1
            if paragraphs_before > MAX_PARAGRAPHS_BEFORE:
                return None
    return None


def _row_texts(row) -> list[str]:
    """The texts of a row's cells, a merged cell once."""
    seen, texts = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            texts.append(cell.text)
    return texts


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _refuse_dtds(path: Path, data: bytes) -> None:
    """IngestError if any XML part declares a DTD or entities (sizes were checked already)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            part = archive.read(info)
            if part.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 XML: look at its text
                part = part.decode("utf-16", errors="replace").encode("utf-8")
            if _DTD.search(part):
                raise IngestError(
                    f"{path}: {info.filename} declares a DTD or entities (<!DOCTYPE/<!ENTITY), which Word "
                    "never writes; the file may be crafted to read other files. Open it in Word and "
                    "save a copy, and ingest that"
                )


def _paragraph_texts(container):
    """Non-empty paragraph texts of a document or table cell, tables read row by row."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                seen = set()
                for cell in row.cells:
                    # A merged cell is returned once per grid column it spans.
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    yield from _paragraph_texts(cell)
        else:
            text = item.text.strip()
            if text:
                yield text
