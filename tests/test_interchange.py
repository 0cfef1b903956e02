"""qualkit projects to and from REFI-QDA, through real .qdpx/.qdc files."""

import zipfile

import pytest

from qualkit.project import Project
from tests.conftest import DATA, SHARED, require_shared

TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about NPQs.\n\n"
    "[00:00:09] Headteacher: The NPQ helped 😀 and mentoring is weekly.\n\n"
    "[00:00:50] Headteacher: Accountability is lighter now; I trust my team.\n"
)


@pytest.fixture
def source_project(project, tmp_path):
    (tmp_path / "leader.txt").write_text(TRANSCRIPT, encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\nleader.txt,School A,primary\n")
    project.ingest([tmp_path / "leader.txt"], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    ids = {r["code"]: r["id"] for r in project.suggestions()}
    project.decide("ann", accept=list(ids.values()), note="clear")
    project.decide("bob", accept=[ids["offer.npq"]], reject=[ids["culture.trust"]])
    return project


def test_round_trip_reproduces_documents_codes_and_codings(source_project, tmp_path):
    out = tmp_path / "p.qdpx"
    source_project.export_qdpx(out)
    with Project.init(tmp_path / "copy.db") as copy:
        report = copy.import_qdpx(out)
        assert report.documents == 1 and set(report.users) == {"ann", "bob"} and report.cases == 1
        [original] = source_project.documents()
        [imported] = copy.documents()
        assert copy.store.documents.text(imported.id) == source_project.store.documents.text(original.id)
        assert copy.codebook()[1].keys == source_project.codebook()[1].keys
        coded = lambda p: sorted(  # noqa: E731
            (r["start"], r["end"], r["code"]) for r in p.suggestions() if r["status"] == "accepted"
        )
        assert coded(copy) == coded(source_project)
        assert [(c.name, c.attributes, c.documents) for c in copy.cases()] == [("School A", {"phase": "primary"}, 1)]
        bob = {r["code"]: r["reviewer:bob"] for r in copy.suggestions()}
        assert bob["offer.npq"] == "accepted"


def test_exports_validate_against_the_schemas(source_project, tmp_path):
    require_shared()
    from lxml import etree

    source_project.export_qdpx(tmp_path / "p.qdpx")
    source_project.export_qdc(tmp_path / "c.qdc")
    project_schema = etree.XMLSchema(etree.parse(str(SHARED / "refi" / "Project.xsd")))
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        project_schema.assertValid(etree.fromstring(archive.read("project.qde")))
    codebook_schema = etree.XMLSchema(etree.parse(str(SHARED / "refi" / "Codebook.xsd")))
    codebook_schema.assertValid(etree.parse(str(tmp_path / "c.qdc")))


def test_every_shared_sample_imports_into_a_project(tmp_path):
    require_shared()
    samples = sorted((SHARED / "refi" / "samples").glob("*.qdpx"))
    assert samples
    totals = {"codes": 0, "codings": 0, "documents": 0}
    for number, sample in enumerate(samples):
        with Project.init(tmp_path / f"s{number}.db") as project:
            report = project.import_qdpx(sample)
            assert report.documents or report.warnings  # an empty project says so
            for key in totals:
                totals[key] += getattr(report, key)
            for row in project.suggestions():
                assert row["text"].strip()  # every imported coding lands on real text
    assert totals["codes"] > 500 and totals["codings"] >= 200 and totals["documents"] >= 14


def test_malicious_archive_writes_nothing(project, tmp_path):
    from qualkit.refi import RefiError

    evil = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.txt", "x")
        archive.writestr("project.qde", "<Project/>")
    with pytest.raises(RefiError):
        project.import_qdpx(evil)
    assert project.documents() == [] and project.store.codebooks.versions() == []


def test_qdc_codebook_load(project, tmp_path, source_project):
    source_project.export_qdc(tmp_path / "c.qdc")
    loaded = project.load_codebook(tmp_path / "c.qdc")
    codebook, created = loaded.codebook, loaded.created
    assert created and {c.key for c in codebook.codes} >= {"offer", "offer.npq", "culture.trust"}


def _frozen(report):
    """An agreement report as plain, comparable values (NaN as None)."""
    import math

    def plain(value):
        return None if isinstance(value, float) and math.isnan(value) else value

    return [tuple(plain(v) for v in row) for row in report.pairs.itertuples(index=False)]


def test_round_trip_through_qdpx_keeps_agreement_exactly(project, tmp_path):
    """Suggestion review with rejections, a partly reviewed segment, codes added by hand, a
    document coded fully, a segment marked fully coded: after export and import into a new
    project, agreement is the same to the last unit."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(3):
        (folder / f"t{n}.txt").write_text(
            f"[00:00:01] Interviewer: Tell me.\n\n[00:00:09] Headteacher: The NPQ {n} and mentors help.\n\n"
            f"[00:00:20] Interviewer: Trust?\n\n[00:00:30] Headteacher: I trust my team {n}; autonomy matters.\n\n"
            f"[00:00:40] Interviewer: Else?\n\n[00:00:50] Headteacher: The hall floor was polished {n}.\n",
            encoding="utf-8")
    project.ingest([folder])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    ids = {(r["document"], r["segment"], r["code"]): r["id"] for r in project.suggestions()}
    t0 = {k: v for k, v in ids.items() if k[0] == "t0.txt"}
    project.decide("ann", accept=[v for k, v in t0.items() if k[2] != "offer.ecte"],
                   reject=[v for k, v in t0.items() if k[2] == "offer.ecte"])
    project.decide("bob", accept=[t0[("t0.txt", 1, "offer.npq")]], reject=[t0[("t0.txt", 3, "culture.trust")]])
    project.add_code("bob", document="t1.txt", segment=5, code="culture.trust", note="implicit")
    project.mark_coded("bob", document="t1.txt")
    project.add_code("ann", document="t1.txt", segment=1, code="culture.trust")
    project.mark_coded("ann", document="t1.txt")
    project.mark_coded("ann", document="t2.txt", segment=3)
    project.mark_coded("bob", document="t2.txt", segment=3)
    before = project.agreement().report
    assert before.summaries and before.summaries[0].overall.n > 12
    out = tmp_path / "p.qdpx"
    project.export_qdpx(out)
    with Project.init(tmp_path / "copy.db") as copy:
        report = copy.import_qdpx(out)
        assert report.from_record and report.notes == 1
        after = copy.agreement().report
        assert _frozen(after) == _frozen(before)
        assert [s.overall for s in after.summaries] == [s.overall for s in before.summaries]
        notes = [d.note for d in copy.store.decisions.log() if d.note]
        assert notes == ["implicit"]


def test_import_keeps_each_selection_its_notes_users_and_reports_sets(project, tmp_path):
    """Two selections of one code in one paragraph stay two codings with their own spans; a note
    anchored to one becomes its decision's note; a user without codings is still a reviewer; a set
    is reported, not dropped silently, and a free note becomes a project memo; no placeholder becomes a
    definition."""
    from qualkit.refi import RefiCode, RefiCoding, RefiNote, RefiProject, RefiSet, RefiSource, RefiUser, write_qdpx

    text = "One paragraph with trust here and trust there, and more.\n\nAnother paragraph."
    source = RefiSource.new("doc.txt", text)
    code = RefiCode.new("trust", "Trust")
    ann, bob = RefiUser.new("ann"), RefiUser.new("bob")
    first, second = (text.index("trust here"), text.index("trust here") + 5), (text.index("trust there"),
                                                                                text.index("trust there") + 5)
    refi = RefiProject(
        name="other", codes=(code,), sources=(source,), users=(ann, bob),
        codings=(RefiCoding(source.guid, *first, code.guid, user=ann.guid),
                 RefiCoding(source.guid, *second, code.guid, user=ann.guid)),
        notes=(RefiNote(guid="6e1a9a64-6f6b-4c1a-9e2f-0d3c9a1b2c3d", name="ann on trust", text="the first one",
                        source_guid=source.guid, start=first[0], end=first[1]),
               RefiNote(guid="7e1a9a64-6f6b-4c1a-9e2f-0d3c9a1b2c3d", name="Project memo", text="free-standing")),
        sets=(RefiSet(guid="8e1a9a64-6f6b-4c1a-9e2f-0d3c9a1b2c3d", name="Wave 1", source_guids=(source.guid,)),),
        origin="Other QDA 1.0",
    )
    write_qdpx(refi, tmp_path / "o.qdpx")
    report = project.import_qdpx(tmp_path / "o.qdpx")
    assert (report.codings, report.merged, report.notes) == (2, 0, 1)
    spans = sorted((r["start"], r["end"]) for r in project.suggestions())
    assert spans == [first, second]
    assert [d.note for d in project.store.decisions.log()] == ["the first one", None]
    assert {r.name for r in project.reviewers()} == {"ann", "bob"}
    assert any("1 set(s) not imported (qualkit has no sets): 'Wave 1'" in w for w in report.warnings)
    assert report.memos == {"project": 1}  # the free note is a project memo now, not dropped
    [memo] = project.memos()
    assert (memo.title, memo.text, str(memo.target)) == ("Project memo", "free-standing", "the project")
    assert memo.author.startswith("qualkit ")  # no creating user: the program that wrote the file
    _, codebook = project.codebook()
    assert codebook.code("trust").definition == ""


def test_round_trip_keeps_every_decision_note_on_its_own_decision(project, tmp_path):
    """Notes on rejections (also those that coverage makes implicit in the qualkit record) and on
    several codes of one segment come back on the decision they were left on, never as memos."""
    (tmp_path / "t.txt").write_text(
        "[00:00:01] Interviewer: Tell me.\n\n[00:00:09] Headteacher: The NPQ and our mentors help; I trust my team.\n",
        encoding="utf-8")
    project.ingest([tmp_path / "t.txt"])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    ids = {r["code"]: r["id"] for r in project.suggestions()}
    assert {"offer.npq", "offer.ecte", "culture.trust"} <= set(ids)  # three codes proposed on one segment
    project.decide("ann", accept=[ids["offer.npq"]], note="named outright")
    project.decide("ann", reject=[ids["offer.ecte"]], note="mentors of staff, not ECTs")
    project.decide("ann", accept=[ids["culture.trust"]], note="trust in the team")
    project.decide("bob", reject=[ids["culture.trust"]], note="too thin")
    project.decide("bob", reject=[ids["offer.ecte"]], note="a first thought")
    project.undo("bob")  # the undone rejection's note has no decision in force to come back on
    project.mark_coded("ann", document="t.txt")  # ann's rejection is now implied by her coverage
    before = project.agreement().report
    out = tmp_path / "p.qdpx"
    project.export_qdpx(out)
    with Project.init(tmp_path / "copy.db") as copy:
        report = copy.import_qdpx(out)
        assert report.notes == 4 and report.memos == {}
        assert any("1 note(s) on decisions the file carries no coding or rejection for" in w for w in report.warnings)
        code_of = {r["id"]: r["code"] for r in copy.suggestions()}
        kept = sorted((d.reviewer, code_of[d.suggestion_id], d.verdict.value, d.note)
                      for d in copy.store.decisions.log() if d.note)
        assert kept == [("ann", "culture.trust", "accept", "trust in the team"),
                        ("ann", "offer.ecte", "reject", "mentors of staff, not ECTs"),
                        ("ann", "offer.npq", "accept", "named outright"),
                        ("bob", "culture.trust", "reject", "too thin")]
        assert _frozen(copy.agreement().report) == _frozen(before)


@pytest.mark.parametrize("mask", [0o077, 0o022], ids=["umask-077", "umask-022"])
def test_exports_qdpx_and_qdc_get_the_same_mode_as_every_other_export(source_project, tmp_path, mask):
    import os
    import stat

    previous = os.umask(mask)
    try:
        source_project.export_qdpx(tmp_path / "p.qdpx")
        source_project.export_qdc(tmp_path / "c.qdc")
        source_project.export_suggestions(tmp_path / "s.xlsx")
        source_project.export_codebook(tmp_path / "codebook.yaml")
        source_project.report(tmp_path / "r.docx", figures=False)
    finally:
        os.umask(previous)
    modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode)
             for name in ("p.qdpx", "c.qdc", "s.xlsx", "codebook.yaml", "r.docx")}
    assert set(modes.values()) == {0o666 & ~mask}, modes


def test_export_qdpx_counts_each_coded_passage_once_and_a_coding_per_accepting_reviewer(source_project, tmp_path):
    import re

    out = tmp_path / "p.qdpx"
    written = source_project.export_qdpx(out)
    codings = source_project.codings()  # what `export codings` and the report count
    # ann accepted every suggestion, bob only the NPQ one (and rejected trust: consensus any keeps it)
    assert written.passages == len(codings) >= 2
    assert written.codings == len(codings) + 1 and written.coders == 2
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    assert len(re.findall(r"<Coding\b", xml)) == written.codings
