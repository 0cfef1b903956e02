"""Plain text and Markdown (.txt, .md)."""

from __future__ import annotations

from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.encoding import decode_text


def read_text(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    text, warning = decode_text(data, source=str(path))
    metadata: dict[str, object] = {}
    if options.pdf_text:
        from qualkit.ingest.pdftext import clean_pdf_text

        text = clean_pdf_text(text)
        metadata["cleaned"] = "pdf-text"
    if not text.strip():
        raise IngestError(f"{path}: the file is empty (no text to ingest)")
    return [RawText(text=text, metadata=metadata)], [warning] if warning else []
