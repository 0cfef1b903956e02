"""Rich Text Format (.rtf, what WordPad and many transcription services save), via striprtf.

The text is then read like a .txt file: speaker turns or paragraphs are found in it.
"""

from __future__ import annotations

from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions


def read_rtf(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    from striprtf.striprtf import rtf_to_text  # only when an .rtf is read

    if not data.strip():
        raise IngestError(f"{path}: the file is empty")
    if not data.lstrip().startswith(b"{\\rtf"):
        raise IngestError(
            f"{path}: not an RTF file (it does not start with '{{\\rtf'); save it again as "
            "Rich Text Format, or give it the extension of its real format"
        )
    # RTF is 7-bit: anything else is escaped (\'e9, \u233), so latin-1 cannot fail here.
    try:
        text = rtf_to_text(data.decode("latin-1"), errors="replace")
    except Exception as exc:  # striprtf raises plain exceptions on broken control words
        raise IngestError(f"{path}: cannot read the RTF file ({exc})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if not text.strip():
        raise IngestError(f"{path}: the RTF file has no text")
    return [RawText(text=text)], []
