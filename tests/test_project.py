import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from qualkit.project import Project
from qualkit.records import DocumentKind, Unit
from tests.conftest import POLICY, VTT_SAMPLE, require_shared, write_docx, write_pdf

TRANSCRIPT = (
    "[00:00:05] Interviewer: How do you use the NPQs?\n\n"
    "[00:00:12] Headteacher: Two of our middle leaders are on NPQLT. 😀 Emoji-safe offsets.\n\n"
    "[00:01:00] Interviewer: And the ECF?\n\n"
    "[00:01:10] Headteacher: Our ECTs have mentors; the trust runs the training.\n"
)


def make_corpus(folder):
    folder.mkdir()
    (folder / "leader.txt").write_text(TRANSCRIPT, encoding="utf-8")
    write_docx(
        folder / "policy.docx",
        ["Professional development entitlement.", "Every teacher has 30 hours a year."],
        table=[["Career stage", "Programme"], ["ECT", "Early career entitlement"]],
    )
    (folder / "participant.vtt").write_text(VTT_SAMPLE, encoding="utf-8")
    write_pdf(folder / "framework.pdf", [["Schools should release staff for training."]])
    return folder


def check_offsets(project):
    texts = {d.id: project.store.documents.text(d.id) for d in project.documents()}
    count = 0
    for segment in project.segments():
        assert segment.text == texts[segment.document_id][segment.start:segment.end]
        count += 1
    return count


def test_ingest_folder_of_every_format(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    report = project.ingest([folder])
    assert report.ok and not report.duplicates
    kinds = {d.name: (d.kind, d.unit) for d in report.added}
    assert kinds == {
        "framework.pdf": (DocumentKind.DOCUMENT, Unit.PARAGRAPH),
        "leader.txt": (DocumentKind.TRANSCRIPT, Unit.TURN),
        "participant.vtt": (DocumentKind.TRANSCRIPT, Unit.TURN),
        "policy.docx": (DocumentKind.DOCUMENT, Unit.PARAGRAPH),
    }
    leader = list(project.segments(documents=["leader.txt"]))
    assert [s.speaker for s in leader] == ["Interviewer", "Headteacher", "Interviewer", "Headteacher"]
    assert leader[1].text == "Two of our middle leaders are on NPQLT. 😀 Emoji-safe offsets."
    assert leader[3].timestamp == 70.0
    assert check_offsets(project) == sum(d.segments for d in report.added)
    run = project.store.runs.log()[-1]
    assert run.command == "ingest" and run.counts["added"] == 4


def test_ingest_twice_is_a_no_op(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    project.ingest([folder])
    before = [(d.name, d.segments) for d in project.documents()]
    report = project.ingest([folder])
    assert report.added == ()
    assert sorted(existing for _, (existing,) in report.duplicates) == sorted(n for n, _ in before)
    assert [(d.name, d.segments) for d in project.documents()] == before


def test_ingest_sentence_unit(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    report = project.ingest([path], unit="sentence")
    assert report.added[0].unit is Unit.SENTENCE
    texts = [s.text for s in project.segments()]
    assert "Two of our middle leaders are on NPQLT." in texts
    check_offsets(project)


def test_bad_files_are_reported_and_the_rest_ingested(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02")
    report = project.ingest([folder, tmp_path / "nope.txt", tmp_path / "x.odt"])
    failures = dict(report.failures)
    assert failures[str(folder / "empty.txt")] == "the file is empty (no text to ingest)"
    assert "cannot read the PDF" in failures[str(folder / "corrupt.pdf")]
    assert "NUL bytes" in failures[str(folder / "binary.txt")]
    assert failures[str(tmp_path / "nope.txt")] == "no such file or folder"
    assert str(tmp_path / "x.odt") in failures
    assert len(report.added) == 4
    assert len(project.documents()) == 4


def test_strict_writes_nothing_when_a_file_fails(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    (folder / "zz_empty.txt").write_bytes(b"")
    report = project.ingest([folder], strict=True)
    assert report.rolled_back and report.added == ()
    assert project.documents() == []
    assert project.store._db.conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 0


def test_name_collision_from_another_folder_is_refused(project, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("First school notes.", encoding="utf-8")
    (tmp_path / "b" / "notes.txt").write_text("Second school notes.", encoding="utf-8")
    project.ingest([tmp_path / "a"])
    report = project.ingest([tmp_path / "b"])
    assert "a different document named 'notes.txt' is already in the project" in report.failures[0][1]


def test_case_and_cases_file(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "document,case,phase,role\n"
        "leader.txt,Brookfield,primary,leader\n"
        "participant,Brookfield,primary,ECT\n"
        "policy.docx,Trust policy,,\n"
        "ghost.txt,Brookfield,primary,leader\n",
        encoding="utf-8",
    )
    report = project.ingest([folder], cases_file=cases)
    assert report.cases_assigned == 3
    assert report.case_problems == (
        f"{cases}:5: document 'ghost.txt' is not in the project",
    )
    assert [(c.name, c.attributes, c.documents) for c in project.cases()] == [
        ("Brookfield", {"phase": "primary"}, 2), ("Trust policy", {}, 1)]
    roles = project.store.documents.attributes()
    by_name = {d.name: roles.get(d.id) for d in project.documents()}
    assert by_name["leader.txt"] == {"role": "leader"}
    assert by_name["participant.vtt"] == {"role": "ECT"}


def test_case_option_applies_to_files_given_even_if_already_ingested(project, tmp_path):
    folder = make_corpus(tmp_path / "corpus")
    project.ingest([folder])
    report = project.ingest([folder / "leader.txt"], case="Brookfield")
    assert report.cases_assigned == 1
    assert [(c.name, c.attributes, c.documents) for c in project.cases()] == [("Brookfield", {}, 1)]


def test_malformed_cases_file_stops_before_writing(project, tmp_path):
    from qualkit.errors import CasesError

    folder = make_corpus(tmp_path / "corpus")
    cases = tmp_path / "cases.csv"
    cases.write_text("doc,case\nleader.txt,A\n", encoding="utf-8")
    with pytest.raises(CasesError, match=r"cases\.csv:1: no 'document' column"):
        project.ingest([folder], cases_file=cases)
    assert project.documents() == []


def test_survey_rows_become_documents_with_attributes(project, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text("id,school,answer\nR1,Harbour,The NPQ helped.\nR2,Oakmere,Coaching works.\n", encoding="utf-8")
    report = project.ingest([path], text_column="answer", id_column="id")
    assert [(d.name, d.kind, d.unit) for d in report.added] == [
        ("responses/R1", DocumentKind.SURVEY, Unit.ROW),
        ("responses/R2", DocumentKind.SURVEY, Unit.ROW),
    ]
    attributes = project.store.documents.attributes()
    assert sorted(a["school"] for a in attributes.values()) == ["Harbour", "Oakmere"]


def test_ingest_real_policy_texts_repairs_ligatures(project):
    require_shared()
    report = project.ingest([POLICY], pdf_text=True)
    assert len(report.added) == 5 and report.ok
    tda = [s.text for s in project.segments(documents=["tda-pd-strategy-2009-2012.txt"])]
    assert any("reflects our knowledge of PD practice" in t for t in tda)
    assert not any(" fi " in f" {t} " or "refl ects" in t for t in tda)
    # paragraphs, not PDF lines: most segments hold several lines' worth of text
    assert sum(len(t) > 200 for t in tda) > 100
    check_offsets(project)


def test_killed_ingest_leaves_only_whole_documents(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(400):
        (folder / f"doc{n:03d}.txt").write_text(
            "\n\n".join(f"Paragraph {p} of document {n}. " * 20 for p in range(40)), encoding="utf-8"
        )
    db = tmp_path / "kill.db"
    Project.init(db).close()
    process = subprocess.Popen(
        [sys.executable, "-m", "qualkit", "-p", str(db), "ingest", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= 3:
                    break
        except sqlite3.OperationalError:
            pass
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with Project.open(db) as project:
        assert project.store._db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        documents = project.documents()
        assert 3 <= len(documents) < 400
        assert all(d.segments == 40 for d in documents)
        # running it again finishes the job without duplicates
        report = project.ingest([folder])
        assert len(report.added) + len(report.duplicates) == 400
        assert len(project.documents()) == 400


def test_ingest_folder_with_its_cases_and_review_files(project, runner):
    """The bundled corpus folder holds its cases.csv and decisions.csv: the cases file is applied,
    the review file is left for `review import`, and neither is ingested as a survey."""
    from qualkit.cli import cli
    from tests.conftest import CORPUS

    result = runner.invoke(cli, ["-p", str(project.path), "ingest", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert f"note: {CORPUS / 'cases.csv'}: a cases file" in result.stderr
    assert f"note: {CORPUS / 'decisions.csv'}: a review file" in result.stderr
    assert "`qualkit review import" in result.stderr
    assert "Failed: 0." in result.stdout and "Assigned 18 document(s) to cases." in result.stdout
    kinds = {d.kind.value for d in project.documents()}
    assert kinds == {"transcript", "document"}  # no survey documents made from the side files
    assert len(project.cases()) == 6
