import io
import zipfile

import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.docx import read_docx
from tests.conftest import write_docx


def test_read_docx_paragraphs_and_table_cells_in_order(tmp_path):
    path = write_docx(
        tmp_path / "a.docx",
        ["Interviewer: Hello.", "CPD Lead: Hi there."],
        table=[["School", "Brookfield"], ["Role", "CPD lead"]],
    )
    [raw], warnings = read_docx(path, path.read_bytes(), ReadOptions())
    assert raw.text.split("\n\n") == [
        "School", "Brookfield", "Role", "CPD lead", "Interviewer: Hello.", "CPD Lead: Hi there."
    ]
    assert warnings == []


def test_read_docx_zip_of_something_else(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.txt", "not a word document")
    path = tmp_path / "fake.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match=r"fake\.docx: a zip file but not a Word \(\.docx\) file"):
        read_docx(path, path.read_bytes(), ReadOptions())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "password-protected or old-format"),
        (b"this is plain text", "not a zip package"),
    ],
    ids=["empty", "encrypted-ole", "not-zip"],
)
def test_read_docx_bad_files(tmp_path, data, message):
    path = tmp_path / "bad.docx"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message):
        read_docx(path, data, ReadOptions())


def test_read_docx_zip_bomb_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))
    path = tmp_path / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match="zip bomb"):
        read_docx(path, path.read_bytes(), ReadOptions())


def test_read_docx_header_table_after_the_body_is_not_attributes(tmp_path):
    import docx

    document = docx.Document()
    for n in range(5):
        document.add_paragraph(f"Paragraph {n}.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Term", "Meaning"
    path = tmp_path / "late.docx"
    document.save(path)
    [raw], _ = read_docx(path, path.read_bytes(), ReadOptions())
    assert raw.attributes == {}
    assert raw.text.endswith("Term\n\nMeaning")


def test_read_docx_merged_header_cell_is_not_attributes(tmp_path):
    path = write_docx(tmp_path / "m.docx", ["Interviewer: Hi."], table=[["Details", ""], ["Role", "ECT"]])
    import docx

    document = docx.Document(path)
    document.tables[0].cell(0, 0).merge(document.tables[0].cell(0, 1))
    document.save(path)
    [raw], _ = read_docx(path, path.read_bytes(), ReadOptions())
    assert raw.attributes == {}
