"""The leak check: every output format an export writes, read back and searched for key entries."""

from __future__ import annotations

import zipfile

import pytest

from qualkit.errors import PseudonymisationError, PseudonymLeakError
from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    PseudonymKey,
    check_file,
    check_texts,
)

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
))


def test_check_texts_passes_clean_texts_and_counts_them():
    assert check_texts([("a", "School A and ECT 1"), ("b", "the brook field")], KEY) == 2


def test_check_texts_fails_loudly_naming_every_entry_and_where():
    with pytest.raises(PseudonymLeakError) as error:
        check_texts([("row 1", "ECT 1 said hi"), ("row 2", "BROOKFIELD's and chloe's"), ("row 3", "Chloe\nRutherford")],
                    KEY, what="codings.csv")
    assert isinstance(error.value, PseudonymisationError)
    assert [(leak.where, leak.original, leak.found) for leak in error.value.leaks] == [
        ("row 2", "Brookfield Primary", "BROOKFIELD"),
        ("row 2", "Chloe Rutherford", "chloe"),
        ("row 3", "Chloe Rutherford", "Chloe\nRutherford"),
    ]
    message = str(error.value)
    assert message.startswith("codings.csv still names 2 pseudonym key entries ('Brookfield Primary', "
                              "'Chloe Rutherford'), 3 time(s): 'Brookfield Primary' as 'BROOKFIELD' at row 2;")
    assert message.endswith("Do not share it: pseudonymise it again with the current key")
    assert "\n" not in message.replace("'Chloe\\nRutherford'", "")


def test_check_file_reads_text_and_csv_with_line_numbers(tmp_path):
    path = tmp_path / "codings.csv"
    path.write_text("document,text\nSchool A_leader.txt,fine\nx,Mrs Rutherford said\n", encoding="utf-8")
    with pytest.raises(PseudonymLeakError) as error:
        check_file(path, KEY)
    assert [(leak.where, leak.found) for leak in error.value.leaks] == [(f"{path}:3", "Mrs Rutherford")]
    path.write_text("document,text\nSchool A_leader.txt,ECT 1 said\n", encoding="utf-8")
    assert check_file(path, KEY).texts == 1


def test_check_file_reads_every_part_of_a_word_file(tmp_path):
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("We visited ")
    paragraph.add_run("Brook")
    paragraph.add_run("field").bold = True  # a name split across runs is still found
    paragraph.add_run(" on Monday.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 1).text = "Chloe's lesson"
    document.sections[0].header.paragraphs[0].text = "Report on RUTHERFORD"
    document.core_properties.title = "Brookfield Primary report"
    document.add_paragraph("Nothing to see: School A and ECT 1.")
    path = tmp_path / "report.docx"
    document.save(path)
    with pytest.raises(PseudonymLeakError) as error:
        check_file(path, KEY)
    found = {(leak.found, leak.where.split("(")[1].split(")")[0]) for leak in error.value.leaks}
    assert found == {("Brookfield", "word/document.xml"), ("Chloe", "word/document.xml"),
                     ("RUTHERFORD", "word/header1.xml"), ("Brookfield Primary", "docProps/core.xml")}
    assert any(leak.where.endswith("paragraph 1") and leak.found == "Brookfield" for leak in error.value.leaks)


def test_check_file_passes_a_clean_word_file(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("School A's report: ECT 1 and the brook.")
    path = tmp_path / "clean.docx"
    document.save(path)
    assert check_file(path, KEY).texts >= 1


def test_check_file_reads_cells_sheet_names_and_properties_of_a_workbook(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Brookfield"
    sheet.append(["document", "text"])
    sheet.append(["School A_leader.txt", "fine"])
    sheet.append(["x", "Chloe Rutherford said"])
    workbook.properties.creator = "Chloe"
    path = tmp_path / "codings.xlsx"
    workbook.save(path)
    with pytest.raises(PseudonymLeakError) as error:
        check_file(path, KEY)
    places = {(leak.where, leak.found) for leak in error.value.leaks}
    assert (f"{path}: Brookfield!B3", "Chloe Rutherford") in places
    assert (f"{path}: sheet name", "Brookfield") in places
    assert any(found == "Chloe" and "docProps/core.xml" in where for where, found in places)


def _refi_project(text: str, name: str):
    from qualkit.refi import RefiCode, RefiCoding, RefiProject, RefiSource

    source = RefiSource.new(name, text)
    code = RefiCode.new("culture.trust", "Trust")
    return RefiProject(name="demo", codes=(code,), sources=(source,),
                       codings=(RefiCoding(source.guid, 0, 5, code.guid),))


def test_check_file_reads_a_qdpx_project_and_its_sources(tmp_path):
    from qualkit.refi import write_qdpx

    path = write_qdpx(_refi_project("We met at Brookfield.\nChloe said yes.", "notes.txt"), tmp_path / "p.qdpx")
    with pytest.raises(PseudonymLeakError) as error:
        check_file(path, KEY)
    assert {leak.found for leak in error.value.leaks} == {"Brookfield", "Chloe"}
    assert all(".txt)" in leak.where for leak in error.value.leaks)
    clean = write_qdpx(_refi_project("We met at School A.", "brookfield_notes.txt"), tmp_path / "q.qdpx")
    with pytest.raises(PseudonymLeakError, match="'brookfield'"):
        check_file(clean, KEY)  # the source's name in the project XML still names the school


def test_check_file_refuses_what_it_cannot_read(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", "<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>")
        archive.writestr("sources/scan.pdf", b"%PDF-1.4")
    with pytest.raises(PseudonymisationError, match=r"1 member\(s\) are not text \(sources/scan.pdf\)"):
        check_file(path, KEY)
    picture = tmp_path / "toc.png"
    picture.write_bytes(b"\x89PNG")
    with pytest.raises(PseudonymisationError, match=r"toc.png: cannot check .png files for names"):
        check_file(picture, KEY)
    with pytest.raises(PseudonymisationError, match="no such file to check"):
        check_file(tmp_path / "absent.csv", KEY)
    broken = tmp_path / "broken.docx"
    broken.write_text("not a zip")
    with pytest.raises(PseudonymisationError, match="cannot check .*broken.docx"):
        check_file(broken, KEY)
