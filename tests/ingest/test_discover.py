import pandas as pd

from qualkit.ingest import discover
from qualkit.ingest.discover import SkippedFile
from tests.conftest import write_docx


def _folder(tmp_path):
    folder = tmp_path / "study"
    (folder / "interviews").mkdir(parents=True)
    (folder / "interviews" / "p01.txt").write_text("Interviewer: Hi.\n", encoding="utf-8")
    (folder / "interviews" / "p02.odt").write_bytes(b"odt")
    (folder / "interviews" / "p03.rtf").write_bytes(b"{\\rtf1 x}")
    (folder / "interviews" / "p04.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "interviews" / "p05.DOC").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "interviews" / "p06.m4a").write_bytes(b"audio")
    (folder / "interviews" / "notes").write_text("no suffix", encoding="utf-8")
    (folder / "interviews" / "~$p01.docx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "Thumbs.db").write_bytes(b"junk")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref", encoding="utf-8")
    return folder


def test_discover_reports_unreadable_files_with_reason_and_fix(tmp_path):
    folder = _folder(tmp_path)
    found = discover([folder])
    assert [f.name for f in found.files] == ["interviews/p01.txt", "interviews/p02.odt", "interviews/p03.rtf"]
    interviews = folder / "interviews"
    assert found.skipped[:2] == (
        SkippedFile(str(interviews / "notes"), "no file extension",
                    found.skipped[0].fix),
        SkippedFile(str(interviews / "p04.doc"), "old Word format (.doc)",
                    "open it in Word or LibreOffice and save it as .docx"),
    )
    assert found.skipped_by_reason() == {"old Word format (.doc)": 2, "no file extension": 1, "audio or video": 1}
    assert found.skipped[0].fix.startswith("rename it with the extension of its format (.csv, .docx, .md, .odt")
    assert found.problems == ()


def test_discover_ignores_hidden_and_lock_files_quietly(tmp_path):
    found = discover([_folder(tmp_path)])
    mentioned = [f.name for f in found.files] + [s.path for s in found.skipped]
    assert not any(name in m for m in mentioned for name in ("DS_Store", "~$", "Thumbs", ".git"))


def test_discover_named_doc_is_skipped_and_missing_path_is_a_problem(tmp_path):
    doc = tmp_path / "old.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0")
    found = discover([doc, tmp_path / "missing.txt"])
    assert found.files == ()
    assert [(s.path, s.reason) for s in found.skipped] == [(str(doc), "old Word format (.doc)")]
    assert found.problems == ((str(tmp_path / "missing.txt"), "no such file or folder"),)


def test_discover_recognises_cases_and_review_files_by_header(tmp_path):
    (tmp_path / "cases.csv").write_bytes(b'\xef\xbb\xbf"Document","Case",phase\r\np01.txt,Brookfield,primary\r\n')
    (tmp_path / "coding.csv").write_text(
        "reviewer,document,segment,code,decision,note\nAmira,p01.txt,1,culture.trust,accept,\n", encoding="utf-8"
    )
    pd.DataFrame(
        {"id": [1], "reviewer": ["Ben"], "document": ["p01.txt"], "segment": [1], "code": ["x"], "decision": [""]}
    ).to_excel(tmp_path / "ben.xlsx", index=False)
    (tmp_path / "survey.csv").write_text("id,school,answer\nR1,Harbour,Coaching.\n", encoding="utf-8")
    pd.DataFrame({"id": [1], "answer": ["Coaching."]}).to_excel(tmp_path / "survey2.xlsx", index=False)
    found = discover([tmp_path])
    assert [f.name for f in found.files] == ["survey.csv", "survey2.xlsx"]
    assert [f.path.name for f in found.cases_files] == ["cases.csv"]
    assert [f.path.name for f in found.review_files] == ["ben.xlsx", "coding.csv"]
    assert found.cases_files[0].note == (
        f"{tmp_path / 'cases.csv'}: a cases file (its header starts 'document,case'), not a survey: "
        "not ingested; its cases and attributes apply to the documents ingested"
    )
    assert found.review_files[1].note.endswith(f"load it with `qualkit review import {tmp_path / 'coding.csv'}`")


def test_discover_reads_only_the_header_line(tmp_path):
    """A cases file whose body is not even text is still recognised by its first line."""
    (tmp_path / "cases.csv").write_bytes(b"document,case\n" + b"\x00\xff" * 1000)
    assert [f.path.name for f in discover([tmp_path]).cases_files] == ["cases.csv"]


def test_discover_broken_xlsx_is_left_to_the_reader(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    write_docx(tmp_path / "a.docx", ["Text."])
    found = discover([tmp_path])
    assert [f.name for f in found.files] == ["a.docx", "broken.xlsx"]


def test_discover_readme_in_a_folder_is_skipped_but_named_one_is_read(tmp_path):
    (tmp_path / "README.md").write_text("About this corpus.", encoding="utf-8")
    assert [s.reason for s in discover([tmp_path]).skipped] == ["a README"]
    assert [f.name for f in discover([tmp_path / "README.md"]).files] == ["README.md"]
