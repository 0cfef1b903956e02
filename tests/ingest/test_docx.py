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


def _with_dtd(source, target, *, entity: str, part: str = "word/document.xml"):
    """A copy of a real .docx whose XML part declares an entity and uses it in the first paragraph."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as crafted:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == part:
                xml = data.decode("utf-8")
                declaration, rest = xml.split("?>", 1)
                rest = rest.replace("Before the entity", "Before the entity &e; and after it", 1)
                xml = f'{declaration}?><!DOCTYPE w:document [<!ENTITY e {entity}>]>{rest}'
                data = xml.encode("utf-8")
            crafted.writestr(info, data)
    return target


@pytest.mark.parametrize(
    "entity", ['"internal text"', 'SYSTEM "file:///etc/passwd"'], ids=["internal-entity", "external-entity-xxe"]
)
def test_read_docx_refuses_a_dtd_instead_of_losing_text(tmp_path, entity):
    import docx

    plain = write_docx(tmp_path / "plain.docx", ["Before the entity", "Second paragraph."])
    path = _with_dtd(plain, tmp_path / "crafted.docx", entity=entity)
    # what python-docx alone makes of it: the words after the entity are gone, silently
    first = docx.Document(str(path)).paragraphs[0].text
    assert "and after it" not in first and "passwd" not in first
    with pytest.raises(IngestError) as raised:
        read_docx(path, path.read_bytes(), ReadOptions())
    assert str(raised.value).startswith(
        f"{path}: word/document.xml declares a DTD or entities (<!DOCTYPE/<!ENTITY), which Word never writes"
    )
