"""PDF via pypdf: text per page, then the PDF clean-up (furniture, hyphens, ligatures)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.pdftext import clean_pages, page_has_words


def read_pdf(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    if not data.startswith(b"%PDF"):
        raise IngestError(f"{path}: not a PDF file (no %PDF header); the file is corrupt or misnamed")
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are not the user's concern
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(
                f"{path}: the PDF is password-protected; save an unprotected copy and ingest that"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{path}: cannot read the PDF ({exc}); the file may be corrupt") from None
    except Exception as exc:  # pypdf needs cryptography for some encryption schemes, etc.
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise IngestError(
                f"{path}: the PDF is password-protected; save an unprotected copy and ingest that"
            ) from None
        raise IngestError(f"{path}: cannot read the PDF ({exc})") from None
    if not any(page.strip() for page in pages):
        raise IngestError(
            f"{path}: the PDF has no text layer (a scan?); run OCR on it first, then ingest"
        )
    text = clean_pages(pages)
    if not text.strip():
        raise IngestError(
            f"{path}: the PDF's {len(pages)} page(s) hold nothing but page numbers or running headers; it "
            "is probably scanned: run OCR on it first, then ingest"
        )
    warnings = []
    empty = [number for number, page in enumerate(pages, start=1) if not page_has_words(page)]
    if len(empty) >= 2 and 2 * len(empty) >= len(pages):
        warnings.append(
            f"{path}: {len(empty)} of its {len(pages)} pages ({_page_list(empty)}) hold no text; they may be "
            "scanned images, whose words are not read: run OCR on the PDF to include them"
        )
    return [RawText(text=text, metadata={"pages": len(pages), "cleaned": "pdf"})], warnings


def _page_list(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "pages 1-3, 7" (the first ten runs)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs[:10]]
    return "pages " + ", ".join(parts) + (", ..." if len(runs) > 10 else "")
