"""Word documents (.docx): paragraphs in body order, table cells too, via python-docx."""

from __future__ import annotations

import io
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.archive import check_office_zip
from qualkit.ingest.base import RawText, ReadOptions


def read_docx(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    check_office_zip(path, data, what="Word (.docx)", required="word/document.xml")
    import docx  # heavy import, only when a .docx is read

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise IngestError(f"{path}: cannot read the Word document ({exc})") from None
    paragraphs = list(_paragraph_texts(document))
    text = "\n\n".join(paragraphs)
    if not text.strip():
        raise IngestError(f"{path}: the Word document has no text")
    return [RawText(text=text)], []


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
