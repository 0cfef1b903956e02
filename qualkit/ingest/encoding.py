"""Decode the bytes of a text file: UTF-8 (with or without BOM), UTF-16 with BOM, then cp1252."""

from __future__ import annotations

import codecs

from qualkit.errors import IngestError


def decode_text(data: bytes, *, source: str) -> tuple[str, str | None]:
    """Return ``(text, warning)``; newlines are normalised to ``\\n``.

    cp1252 (Windows "ANSI", what Word and Excel on Windows save as "Text") is the last resort
    and comes with a warning, because a wrong guess there silently changes characters.
    """
    if data.startswith(codecs.BOM_UTF8):
        text, warning = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, warning = data.decode("utf-16"), None
    else:
        if b"\x00" in data:
            raise IngestError(
                f"{source}: not a text file (it contains NUL bytes); convert it to plain text "
                "(UTF-8) or ingest the original document"
            )
        try:
            text, warning = data.decode("utf-8"), None
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise IngestError(
                    f"{source}: text is not valid UTF-8 (byte {utf8_error.start}: "
                    f"{data[utf8_error.start:utf8_error.start + 1]!r}) nor Windows cp1252; "
                    "re-save it as UTF-8"
                ) from None
            warning = (
                f"{source}: not valid UTF-8, read as Windows cp1252; check accented letters "
                "and quotes, or re-save the file as UTF-8"
            )
    return text.replace("\r\n", "\n").replace("\r", "\n"), warning
