import codecs

import pytest

from qualkit.errors import IngestError
from qualkit.ingest.encoding import decode_text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Pupils’ wellbeing – café".encode(), "Pupils’ wellbeing – café"),
        (codecs.BOM_UTF8 + b"Hello\r\nWorld", "Hello\nWorld"),
        (codecs.BOM_UTF16_LE + "Zoë\r\n".encode("utf-16-le"), "Zoë\n"),
    ],
    ids=["utf8", "utf8-bom-crlf", "utf16-bom"],
)
def test_decode_text_utf_variants_without_warning(data, expected):
    text, warning = decode_text(data, source="x.txt")
    assert text == expected
    assert warning is None


def test_decode_text_cp1252_falls_back_with_warning():
    text, warning = decode_text("Pupils’ “wellbeing” café".encode("cp1252"), source="notes.txt")
    assert text == "Pupils’ “wellbeing” café"
    assert "notes.txt" in warning and "cp1252" in warning


def test_decode_text_invalid_in_every_encoding_names_file_and_byte():
    with pytest.raises(IngestError, match=r"bad\.txt: text is not valid UTF-8 \(byte 2"):
        decode_text(b"ok\x81\x8d", source="bad.txt")


def test_decode_text_binary_is_refused():
    with pytest.raises(IngestError, match="NUL bytes"):
        decode_text(b"PK\x03\x04\x00\x00", source="x.txt")
