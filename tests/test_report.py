"""The Word report, built from a real project and read back with python-docx."""

from collections import Counter

import docx
import pytest

from qualkit import analysis as A
from qualkit.cli import cli
from qualkit.report import build_report_data
from tests.conftest import DATA
from tests.test_analysis import interview

ANSWERS = ["Our NPQ gave staff more autonomy.", "The minibus broke down.", "Mentoring is weekly and the ECT likes it."]


@pytest.fixture
def reported(project, tmp_path):
    (tmp_path / "a.txt").write_text(interview(ANSWERS), encoding="utf-8")
    (tmp_path / "b.txt").write_text(interview(["Two staff are on an NPQ.", "I trust my team now."]), encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\na.txt,School A,primary\nb.txt,School B,secondary\n")
    project.ingest([tmp_path / "a.txt", tmp_path / "b.txt"], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    rows = project.suggestions()
    trust_b = next(r["id"] for r in rows if r["document"] == "b.txt" and r["code"] == "culture.trust")
    project.decide("ann", accept=[r["id"] for r in rows if r["id"] != trust_b])
    project.decide("bob", accept=[r["id"] for r in rows if r["code"] == "offer.npq"])
    return project


def _cell_texts(document):
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def test_every_accepted_coding_appears_once_under_its_code(reported, tmp_path):
    out = tmp_path / "report.docx"
    data = reported.report(out, by="phase")
    document = docx.Document(out)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any(text.startswith("Trust") for _, text in headings)
    frame = reported.codings()
    _, codebook = reported.codebook()
    assert len(data.segments) == len(frame) == 4
    # the coded-segment tables (header "Quote"): each coding once, under its own code's heading
    quotes = Counter(
        row.cells[0].text.strip()
        for table in document.tables if table.rows[0].cells[0].text.strip() == "Quote"
        for row in table.rows[1:]
    )
    assert quotes == Counter(frame["text"])
    under = Counter()
    heading = None
    for item in document.iter_inner_content():
        if isinstance(item, docx.table.Table):
            if item.rows[0].cells[0].text.strip() == "Quote":
                under.update((heading, row.cells[0].text.strip()) for row in item.rows[1:])
        elif item.style.name.startswith("Heading"):
            heading = item.text
    names = {code.key: code.name for code in codebook.codes}
    expected = Counter((names[c], t) for c, t in zip(frame["code"], frame["text"], strict=True))
    assert Counter({(h.split(" (")[0] if h else h, t): n for (h, t), n in under.items()}) == expected
    assert not any("I trust my team now." in c for c in _cell_texts(document))  # rejected by nobody, not accepted
    frequency = A.frequency(frame, codebook, by="phase").set_index("code")
    assert data.frequency.set_index("code")["segments"].to_dict() == frequency["segments"].to_dict()


def test_pending_included_and_marked(reported, tmp_path):
    out = tmp_path / "pending.docx"
    data = reported.report(out, include_pending=True)
    assert [s.text for s in data.segments if s.status == "pending"] == ["I trust my team now."]
    text = "\n".join(_cell_texts(docx.Document(out)))
    assert "PENDING" in text.upper() and "I trust my team now." in text


def test_report_cli_and_codebook_export(reported, runner, tmp_path):
    db = str(reported.path)
    result = runner.invoke(cli, ["-p", db, "report", str(tmp_path / "r.docx"), "--code", "offer"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {tmp_path / 'r.docx'}: 3 coded segments (0 pending)")
    for suffix in ("docx", "yaml", "csv"):
        out = tmp_path / f"codebook.{suffix}"
        assert runner.invoke(cli, ["-p", db, "codebook", "export", str(out)]).exit_code == 0
    paragraphs = "\n".join(p.text for p in docx.Document(tmp_path / "codebook.docx").paragraphs)
    assert "National professional qualifications." in paragraphs
    bad = runner.invoke(cli, ["-p", db, "report", str(tmp_path / "r.docx"), "--codes", "ofer"])
    assert bad.exit_code == 1 and "did you mean 'offer'" in bad.output
    assert bad.stderr.startswith("note: --codes A,B is deprecated; repeat --code instead")


def test_report_on_uncoded_project_says_so(project, tmp_path):
    from qualkit.errors import AnalysisError

    project.load_codebook(DATA / "mini_codebook.yaml")
    with pytest.raises(AnalysisError, match="nothing to report"):
        build_report_data(project.store, project.codebook()[1])
