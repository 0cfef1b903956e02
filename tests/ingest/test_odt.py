import io
import zipfile

import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.odt import read_odt
from tests.conftest import write_odt


def test_read_odt_paragraphs_and_table_cells_in_order(tmp_path):
    path = write_odt(tmp_path / "a.odt", ["Interviewer: Hello.", "CPD Lead: Hi\tthere."],
                     table=[["School", "Brookfield"], ["Role", "CPD lead"]])
    [raw], warnings = read_odt(path, path.read_bytes(), ReadOptions())
    assert raw.text.split("\n\n") == [
        "School", "Brookfield", "Role", "CPD lead", "Interviewer: Hello.", "CPD Lead: Hi\tthere."
    ]
    assert raw.attributes == {"School": "Brookfield", "Role": "CPD lead"}
    assert warnings == []


def test_read_odt_spreadsheet_is_refused(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet

    path = tmp_path / "sheet.odt"
    OpenDocumentSpreadsheet().save(str(path))
    with pytest.raises(IngestError, match=r"sheet\.odt: an OpenDocument file but not a text document"):
        read_odt(path, path.read_bytes(), ReadOptions())


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the file is empty"), (b"plain text", "not a zip package")],
    ids=["empty", "not-zip"],
)
def test_read_odt_bad_files(tmp_path, data, message):
    path = tmp_path / "bad.odt"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message):
        read_odt(path, data, ReadOptions())


def test_read_odt_external_entity_is_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        "<text:p>&e;</text:p></office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    path = tmp_path / "evil.odt"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match="cannot read the OpenDocument file"):
        read_odt(path, path.read_bytes(), ReadOptions())
