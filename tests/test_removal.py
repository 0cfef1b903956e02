"""Removing documents (qualkit/removal.py, issue #18): nobody's work is lost, and nothing counts a removed document.

The strongest check: a project from which a coded document was removed (with --force) gives the
same agreement, codings, review status, queue, search and counts as a project that never had
that document, while every decision made on it is still in the append-only log.
"""

from __future__ import annotations

import sqlite3

import pytest

from qualkit.errors import DocumentInUseError, NotFoundError
from qualkit.project import Project
from qualkit.records import Removal
from tests.conftest import DATA

LEADER = (
    "[00:00:01] Interviewer: Tell me about NPQs and mentors.\n\n"
    "[00:00:09] Headteacher: The NPQ helped, and mentoring is weekly.\n\n"
    "[00:00:35] Headteacher: Accountability is lighter now; I trust my team with the NPQ budget.\n"
)
TEACHER = (
    "[00:00:02] Interviewer: What about the early career framework?\n\n"
    "[00:00:12] Teacher: My mentor and the early career framework helped; we have autonomy.\n\n"
    "[00:00:40] Teacher: An NPQ next year, maybe, if the trust agrees.\n"
)


def _build(folder, names: tuple[str, ...]) -> Project:
    """A project with these of the two transcripts, coded, with alice and bob deciding every
    suggestion by its code (so the same decisions can be made in any project with the documents)."""
    texts = {"leader.txt": LEADER, "teacher.txt": TEACHER}
    folder.mkdir()
    for name in names:
        (folder / name).write_text(texts[name], encoding="utf-8")
    project = Project.init(folder / "p.db")
    project.ingest([folder / name for name in names])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    rows = project.suggestions()
    project.decide("alice", accept=[r["id"] for r in rows if r["code"] == "offer.npq"],
                   reject=[r["id"] for r in rows if r["code"] != "offer.npq"])
    project.decide("bob", accept=[r["id"] for r in rows if r["code"] != "culture.trust"],
                   reject=[r["id"] for r in rows if r["code"] == "culture.trust"])
    return project


def _decisions_in_file(project: Project) -> int:
    with sqlite3.connect(project.path) as conn:
        return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


def _comparable(project: Project) -> dict[str, object]:
    """What a researcher reads off a project, without ids (which differ between projects)."""
    agreement = project.agreement().report.pairs
    codings = project.codings().drop(columns=["decided_at"])
    return {
        "agreement": agreement.fillna(-1).to_dict("records"),
        "codings": codings[["document", "segment", "code", "status", "reviewers"]].to_dict("records"),
        "review_status": project.review_status(),
        "documents": [(d.name, d.segments, d.words) for d in project.documents()],
        "status": {column: [(c.value, c.documents, c.segments, c.words) for c in counts]
                   for column, counts in project.status().items()},
        "search": [(h.document, h.segment) for h in project.search("NPQ")],
        "pending": project.store.queue.count_pending(None),
        "units": sorted((project.store.documents.segments_by_id([s]).popitem()[1].ordinal, code, value)
                        for units in project.judgements().by_reviewer.values()
                        for (s, code), value in units.items()),
    }


def test_remove_documents_with_force_counts_as_if_never_there_and_keeps_every_decision(tmp_path):
    both = _build(tmp_path / "both", ("leader.txt", "teacher.txt"))
    alone = _build(tmp_path / "alone", ("leader.txt",))
    decisions = _decisions_in_file(both)
    on_teacher = both.store.documents.usage(both.document_id("teacher.txt")).decisions
    assert on_teacher > 0 and decisions > on_teacher
    assert _comparable(both) != _comparable(alone)  # the teacher's transcript counts while it is there

    removed = both.remove_documents(["teacher.txt"], force=True)

    assert [(r.usage.name, r.removal, r.kept, r.usage.decisions, r.usage.reviewers) for r in removed] == [
        ("teacher.txt", Removal.REMOVED, True, on_teacher, ("alice", "bob"))]
    assert _decisions_in_file(both) == decisions  # the log keeps every decision
    assert _comparable(both) == _comparable(alone)
    assert [r.usage.name for r in both.removed_documents()] == ["teacher.txt"]
    with pytest.raises(NotFoundError, match="no document named 'teacher.txt'"):
        both.document_id("teacher.txt")
    both.close()
    alone.close()


def test_remove_documents_refuses_work_without_force_and_removes_none(tmp_path):
    project = _build(tmp_path / "p", ("leader.txt", "teacher.txt"))
    (tmp_path / "spare.txt").write_text("Notes nobody has coded yet.", encoding="utf-8")
    project.ingest([tmp_path / "spare.txt"])
    decided = project.store.documents.usage(project.document_id("teacher.txt")).decisions
    with pytest.raises(DocumentInUseError) as refused:
        project.remove_documents(["spare.txt", "teacher.txt"])
    assert str(refused.value) == (
        f"'teacher.txt' has {decided} decisions by alice and bob; nothing was removed. Remove anyway with --force: "
        "the decisions stay in the log, orphaned (not counted or exported)"
    )
    assert [d.name for d in project.documents()] == ["leader.txt", "teacher.txt", "spare.txt"]  # all or none
    project.close()


def test_remove_documents_deletes_one_nobody_worked_on_with_its_segments_suggestions_and_index(tmp_path):
    project = _build(tmp_path / "p", ("leader.txt",))
    (tmp_path / "spare.txt").write_text("Our NPQ lead has a mentor.\n\nThe trust pays.", encoding="utf-8")
    project.ingest([tmp_path / "spare.txt"])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    spare = project.document_id("spare.txt")
    assert project.store.documents.usage(spare).suggestions > 0

    (removed,) = project.remove_documents(["spare.txt"])

    assert (removed.kept, removed.usage.segments, removed.usage.decisions) == (False, 2, 0)
    with sqlite3.connect(project.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents WHERE id = ?", (spare,)).fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM segments WHERE document_id = ?", (spare,)).fetchone()[0] == 0
        segments = conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM segment_search_docsize").fetchone()[0] == segments
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("INSERT INTO segment_search (segment_search) VALUES ('integrity-check')")
    assert {h.document for h in project.search("NPQ")} == {"leader.txt"}
    assert project.removed_documents() == []  # nothing kept: nothing orphaned
    (run,) = [run for run in project.store.runs.log() if run.command == "documents remove"]
    assert (run.parameters, run.counts["documents"], run.counts["kept"]) == (
        {"documents": ["spare.txt"], "force": False}, 1, 0)
    project.close()


@pytest.mark.parametrize("work", ["coverage", "document memo", "segment memo"], ids=str)
def test_remove_documents_counts_coverage_marks_and_memos_as_work(tmp_path, work):
    project = Project.init(tmp_path / "p.db")
    (tmp_path / "notes.txt").write_text("Interviewer: Any NPQ?\n\nHead: Yes, two.", encoding="utf-8")
    project.ingest([tmp_path / "notes.txt"])
    if work == "coverage":
        project.mark_coded("carol", document="notes.txt")
    elif work == "document memo":
        project.add_memo(text="Check the dates.", author="carol", document="notes.txt")
    else:
        project.add_memo(text="Two NPQs, not three.", author="carol", document="notes.txt", segment=1)
    usage = project.store.documents.usage(project.document_id("notes.txt"))
    assert (usage.coverage_marks, usage.memos, usage.reviewers) == (int(work == "coverage"), int(work != "coverage"),
                                                                    ("carol",))
    with pytest.raises(DocumentInUseError, match=r"'notes.txt' has 1 (coverage mark|memo) by carol"):
        project.remove_documents(["notes.txt"])
    (removed,) = project.remove_documents(["notes.txt"], force=True)
    assert removed.kept
    assert project.documents() == [] and project.store.coverage.log() == []
    assert len(project.memos()) == int(work != "coverage")  # a memo is the researcher's writing: still listed
    project.close()


def test_removed_document_can_be_ingested_again(tmp_path):
    project = _build(tmp_path / "p", ("leader.txt", "teacher.txt"))
    project.remove_documents(["teacher.txt"], force=True)
    report = project.ingest([tmp_path / "p" / "teacher.txt"])  # the same bytes: a new document, not "already"
    assert [d.name for d in report.added] == ["teacher.txt"] and report.duplicates == ()
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    teacher = project.document_id("teacher.txt")
    fresh = [r for r in project.suggestions() if r["document"] == "teacher.txt"]
    assert fresh and all(r["status"] == "pending" for r in fresh)  # the old decisions do not follow
    assert project.store.documents.usage(teacher).decisions == 0
    assert [r.usage.name for r in project.removed_documents()] == ["teacher.txt"]  # the old one, still kept
    project.close()


def test_remove_documents_unknown_name_is_refused_with_a_suggestion(project):
    with pytest.raises(NotFoundError, match="no document named 'teacher' in .*"):
        project.remove_documents(["teacher"])
