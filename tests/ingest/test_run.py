"""An ingest run (qualkit/ingest/run.py): `--replace` brings in new versions of files (issue #18)."""

from __future__ import annotations

import csv

import pytest

from qualkit.records import DocumentKind, Removal
from tests.conftest import DATA

TRANSCRIPT = (
    "Interviewer: Tell me about NPQs.\n\n"
    "Head: Two staff are on the NPQ and a mentor supports our ECTs.\n\n"
    "Interviewer: And trust?\n\n"
    "Head: We trust our team.\n"
)


def _survey(path, rows: list[tuple[str, str, str]]):
    with open(path, "w", encoding="utf-8", newline="") as out:
        table = csv.writer(out)
        table.writerow(["id", "role", "response"])
        table.writerows(rows)
    return path


def _accept_all(project, reviewer="alice"):
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    project.decide(reviewer, accept=[row["id"] for row in project.suggestions()])


def test_ingest_changed_file_without_replace_says_how_to_bring_it_in(project, tmp_path):
    path = tmp_path / "head.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    path.write_text(TRANSCRIPT.replace("Two staff", "Three staff"), encoding="utf-8")
    report = project.ingest([path])
    assert report.failures == ((str(path), "the file has changed since it was ingested as 'head.txt'; bring in the "
                                "new version with --replace (documents people worked on need --force too)"),)


def test_ingest_replace_refuses_a_coded_document_without_force_and_changes_nothing(project, tmp_path):
    path = tmp_path / "head.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path], case="Brookfield")
    _accept_all(project)
    before = project.documents()
    path.write_text(TRANSCRIPT.replace("Two staff", "Three staff"), encoding="utf-8")
    report = project.ingest([path], replace=True)
    ((failed, reason),) = report.failures
    assert failed == str(path)
    assert reason.startswith("'head.txt' has 3 decisions by alice; nothing was replaced. Replace anyway with "
                             "--replace --force")
    assert project.documents() == before and report.replaced == () and report.added == ()


def test_ingest_replace_force_keeps_the_old_version_with_its_decisions_and_the_case(project, tmp_path):
    path, other = tmp_path / "head.txt", tmp_path / "other.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    other.write_text("Notes from the visit.", encoding="utf-8")
    project.ingest([path, other])
    # role varies within the case: an attribute of each document
    project.assign_cases(_cases(tmp_path, "head.txt,Brookfield,Headteacher\nother.txt,Brookfield,Teacher\n"))
    _accept_all(project)
    path.write_text(TRANSCRIPT.replace("Two staff", "Three staff"), encoding="utf-8")

    report = project.ingest([path], replace=True, force=True)

    assert [d.name for d in report.added] == ["head.txt"]
    ((old,),) = [report.replaced]
    assert (old.usage.name, old.removal, old.kept, old.usage.decisions) == ("head.txt", Removal.REPLACED, True, 3)
    (new,) = [d for d in project.documents() if d.name == "head.txt"]
    assert new.case == "Brookfield"  # the new version stays in its case, with its attributes
    assert project.store.documents.own_attributes(new.id) == {"role": "Headteacher"}
    assert "Three staff" in project.store.documents.text(new.id)
    assert project.codings().empty  # the decisions were on the old text: orphaned, not carried over
    assert [row["document"] for row in project.suggestions()] == []
    assert [r.usage.name for r in project.removed_documents()] == ["head.txt"]


def _cases(tmp_path, rows: str):
    path = tmp_path / "cases.csv"
    path.write_text("document,case,role\n" + rows, encoding="utf-8")
    return path


def test_ingest_replace_rereads_a_file_with_another_kind(project, tmp_path):
    path = tmp_path / "head.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    assert project.ingest([path], kind="document").duplicates  # without --replace: already ingested
    report = project.ingest([path], kind="document", replace=True)
    assert [(d.name, d.kind) for d in report.added] == [("head.txt", DocumentKind.DOCUMENT)]
    assert [r.kept for r in report.replaced] == [False]  # nobody had worked on it: deleted
    (document,) = project.documents()
    assert (document.kind, document.unit.value, document.segments) == (DocumentKind.DOCUMENT, "paragraph", 4)
    assert project.removed_documents() == []


def test_ingest_replace_of_an_unchanged_file_is_a_no_op(project, tmp_path):
    path = tmp_path / "head.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    _accept_all(project)
    report = project.ingest([path], replace=True)
    assert (report.added, report.replaced, report.duplicates, report.unchanged) == ((), (), (), 1)
    assert len(project.codings()) == 3


def test_ingest_replace_of_a_survey_keeps_unchanged_answers_with_their_decisions(project, tmp_path):
    path = _survey(tmp_path / "survey.csv", [
        ("r1", "ECT", "My mentor is great."), ("r2", "Head", "The NPQ was useful."), ("r3", "Head", "We trust staff."),
    ])
    project.ingest([path], id_column="id", text_columns=["response"])
    _accept_all(project)
    codings_r1 = project.codings().query("document == 'survey/r1'")[["segment", "code", "text"]].to_dict("records")
    _survey(path, [
        ("r1", "Mentor", "My mentor is great."),  # role corrected, same answer: kept, with its decisions
        ("r2", "Head", "The NPQ was very useful."),  # answer changed: replaced
        ("r4", "ECT", "Early career framework mentors."),  # new; r3 gone from the export
    ])

    report = project.ingest([path], id_column="id", text_columns=["response"], replace=True, force=True)

    assert [d.name for d in report.added] == ["survey/r2", "survey/r4"]
    assert sorted((r.usage.name, r.kept) for r in report.replaced) == [("survey/r2", True), ("survey/r3", True)]
    assert report.unchanged == 1
    assert [d.name for d in project.documents()] == ["survey/r1", "survey/r2", "survey/r4"]
    codings = project.codings()
    assert codings.query("document == 'survey/r1'")[["segment", "code", "text"]].to_dict("records") == codings_r1
    assert set(codings["document"]) == {"survey/r1"}  # the new answers are not coded yet
    assert project.store.documents.own_attributes(project.document_id("survey/r1"))["role"] == "Mentor"
    again = project.ingest([path], id_column="id", text_columns=["response"])
    assert again.duplicates and not again.added  # the new bytes are now "already ingested"


def test_ingest_replace_strict_writes_nothing_when_a_replacement_is_refused(project, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([first])
    _accept_all(project)
    first.write_text(TRANSCRIPT + "\nHead: More.\n", encoding="utf-8")
    second.write_text("A new file.", encoding="utf-8")
    report = project.ingest([second, first], replace=True, strict=True)
    assert report.rolled_back and report.added == () and report.replaced == ()
    assert [d.name for d in project.documents()] == ["a.txt"]


@pytest.mark.parametrize("force", [False, True], ids=["refused", "forced"])
def test_ingest_replace_takes_over_a_name_from_another_folder_only_as_asked(project, tmp_path, force):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "head.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "two" / "head.txt").write_text(TRANSCRIPT + "\nHead: Later.\n", encoding="utf-8")
    project.ingest([tmp_path / "one" / "head.txt"])
    refused = project.ingest([tmp_path / "two" / "head.txt"])
    assert "a different document named 'head.txt' is already in the project" in refused.failures[0][1]
    assert "or replace the old version with --replace" in refused.failures[0][1]
    replaced = project.ingest([tmp_path / "two" / "head.txt"], replace=True, force=force)
    assert [d.name for d in replaced.added] == ["head.txt"]
    (document,) = project.documents()
    assert document.source_path == str(tmp_path / "two" / "head.txt")
