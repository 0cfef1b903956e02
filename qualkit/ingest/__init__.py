"""Ingestion: find source files, pick a reader by suffix, turn each into documents.

Readers live one per module and share one signature::

    read(path, data, options) -> (list[RawText], warnings)

:func:`extract` adds what is common to all formats: naming, hashing, deciding the kind and
finding the natural blocks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.captions import read_captions
from qualkit.ingest.discover import SURVEY_SUFFIXES, Discovery, SideFile, SkippedFile, SourceFile
from qualkit.ingest.discover import discover as discover_files
from qualkit.ingest.docx import read_docx
from qualkit.ingest.layout import read_structure
from qualkit.ingest.odt import read_odt
from qualkit.ingest.pdf import read_pdf
from qualkit.ingest.rtf import read_rtf
from qualkit.ingest.survey import read_survey
from qualkit.ingest.text import read_text
from qualkit.records import DocumentKind, ExtractedDocument

Reader = Callable[[Path, bytes, ReadOptions], tuple[list[RawText], list[str]]]

READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".odt": read_odt,
    ".rtf": read_rtf,
    ".pdf": read_pdf,
    ".vtt": read_captions,
    ".srt": read_captions,
    ".csv": read_survey,
    ".xlsx": read_survey,
}
KINDS = ("auto", "transcript", "document", "survey")
MAX_FILE_BYTES = 200 * 1024 * 1024

__all__ = [
    "KINDS", "READERS", "Discovery", "ReadOptions", "SideFile", "SkippedFile", "SourceFile", "discover", "extract",
]


def discover(paths: Iterable[str | Path]) -> Discovery:
    """Files to ingest under ``paths`` (folders walked, sorted), and what is left out and why.

    See :mod:`qualkit.ingest.discover`: cases and review files come back apart, unreadable
    files as skipped with a reason and a fix, hidden files are ignored quietly.
    """
    return discover_files(paths, readable=READERS)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise IngestError(f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the file ({exc.strerror})") from None


def extract(source: SourceFile, data: bytes, options: ReadOptions) -> tuple[list[ExtractedDocument], list[str]]:
    """Read one source file into documents with their natural blocks."""
    suffix = source.path.suffix.lower()
    if options.kind == "survey" and suffix not in SURVEY_SUFFIXES:
        raise IngestError(f"{source.path}: --kind survey needs a .csv or .xlsx file")
    if suffix in SURVEY_SUFFIXES and options.kind not in ("auto", "survey"):
        raise IngestError(
            f"{source.path}: a {suffix} file is read as a survey (one response per row), "
            f"not as a {options.kind}; use --kind survey or auto"
        )
    reader = READERS[suffix]
    raws, warnings = reader(source.path, data, options)
    sha = file_sha256(data)
    documents = []
    for raw in raws:
        if raw.blocks is not None:
            kind, blocks = raw.kind or DocumentKind.DOCUMENT, raw.blocks
            if options.kind in ("transcript", "document") and kind.value != options.kind:
                warnings.append(
                    f"{source.path}: the {suffix} format decides the kind ({kind.value}); "
                    f"--kind {options.kind} does not apply"
                )
            metadata = raw.metadata
        else:
            structure = read_structure(raw.text, options.kind, source=str(source.path))
            kind, blocks = structure.kind, structure.blocks
            metadata = {**structure.metadata, **raw.metadata}
        if raw.name_suffix is not None:
            stem = source.name.rsplit(".", 1)[0]
            name = f"{stem}/{raw.name_suffix}"
        else:
            name = source.name
        documents.append(
            ExtractedDocument(
                name=name,
                kind=kind,
                text=raw.text,
                blocks=blocks,
                source_path=str(source.path),
                source_sha256=sha,
                reader=reader.__module__.rsplit(".", 1)[-1],
                attributes=raw.attributes,
                metadata=metadata,
                case=raw.case,
            )
        )
    return documents, warnings


# A word has a letter in it: timestamps and numbering are not words.
_WORD = re.compile(r"\w*[^\W\d_]\w*(?:[’'-]\w+)*")


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

