"""Guards for zip-based formats (.docx, .xlsx, .qdpx): they are untrusted archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from qualkit.errors import IngestError

MAX_ENTRIES = 10_000
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # bytes, all entries together
MAX_RATIO = 200  # compression ratio beyond which an entry is treated as a zip bomb

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_office_zip(path: Path, data: bytes, *, what: str, required: str) -> None:
    """Raise IngestError unless ``data`` is a sane zip holding ``required`` (e.g. word/document.xml)."""
    if data.startswith(_OLE_MAGIC):
        raise IngestError(
            f"{path}: password-protected or old-format (binary) {what} file; remove the "
            f"password / save it as a modern {path.suffix} file and ingest it again"
        )
    if not data:
        raise IngestError(f"{path}: the file is empty")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError(
            f"{path}: not a valid {what} file (it is not a zip package; the file is corrupt "
            "or has the wrong extension)"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise IngestError(f"{path}: {len(infos)} entries in the package (limit {MAX_ENTRIES})")
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED:
            raise IngestError(
                f"{path}: unpacks to {total:,} bytes (limit {MAX_UNCOMPRESSED:,}); refusing it"
            )
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise IngestError(
                    f"{path}: entry {info.filename!r} is compressed {info.file_size // max(1, info.compress_size)}:1, "
                    "which looks like a zip bomb; refusing it"
                )
        if required not in archive.namelist():
            raise IngestError(
                f"{path}: a zip file but not a {what} file (no {required}); "
                f"save it from the original program as a real {path.suffix} file"
            )
