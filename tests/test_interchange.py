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
