"""The Word report, built from a real project and read back with python-docx: every number in it
is the one the analyses (`qualkit analyse ...`) compute."""

import docx
import pytest

from qualkit import analysis as A
from qualkit.cli import cli
from qualkit.errors import AnalysisError, ExportError, NotFoundError
from tests.conftest import DATA
from tests.docx_reading import cell_text as _text
from tests.docx_reading import row_texts as _cells
from tests.docx_reading import table_after as _table_after
from tests.test_analysis import interview

ANSWERS = ["Our NPQ gave staff more autonomy.", "The minibus broke down.", "Mentoring is weekly and the ECT likes it."]
POLICY = ("Every teacher may take an NPQ in their second year.\n\n"
          "Leaders are trusted to choose their own professional development.")


@pytest.fixture
def reported(project, tmp_path):
    (tmp_path / "a.txt").write_text(interview(ANSWERS), encoding="utf-8")
    (tmp_path / "b.txt").write_text(interview(["Two staff are on an NPQ.", "I trust my team now."]), encoding="utf-8")
    (tmp_path / "policy.txt").write_text(POLICY, encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\na.txt,School A,primary\nb.txt,School B,secondary\n")
    project.ingest([tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "policy.txt"], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    rows = project.suggestions()
    trust_b = next(r["id"] for r in rows if r["document"] == "b.txt" and r["code"] == "culture.trust")
    project.decide("Ann Lee", accept=[r["id"] for r in rows if r["id"] != trust_b])
    project.decide("Bob McKay", accept=[r["id"] for r in rows if r["code"] == "offer.npq"])
    return project


def test_report_every_figure_equals_the_analyses(reported, tmp_path):
    out = tmp_path / "report.docx"
    data = reported.report(out, by="phase")
    document = docx.Document(out)
    _, codebook = reported.codebook()
    frame = reported.codings()
    frequency = A.frequency(frame, codebook, by="phase").set_index("code")
    totals = A.totals(frame, by="phase").set_index("group")
    framework, _ = A.framework(frame, codebook)
    evidence, _ = A.toc_evidence(frame, codebook)

    # title and method: codings, coded segments and segments, each named
    assert data.subtitle == (f"{len(frame)} codings in {totals.loc['(all)', 'coded_segments']} coded segments "
                             "of 3 documents in 2 cases")
    corpus = {row[0]: row[1] for row in map(_cells, _table_after(document, "Corpus").rows)}
    assert corpus["Codings"] == str(len(frame)) == str(totals.loc["(all)", "codings"])
    assert corpus["Coded segments"] == str(totals.loc["(all)", "coded_segments"])
    assert corpus["Segments"] == str(sum(d.segments for d in reported.documents()))

    # frequencies, with every group (and "(no value)") adding up to the whole
    table = _table_after(document, "Code frequencies")
    header = _cells(table.rows[0])
    assert header[1] == f"All {totals.loc['(all)', 'coded_segments']} coded segments"
    assert header[2:] == [f"phase = {g}: {totals.loc[g, 'coded_segments']}" for g in ("primary", "secondary",
                                                                                       "(no value)")]
    shown = {}
    for row in table.rows[2:]:
        cells = _cells(row)
        if len(cells) > 1 and "\n" in cells[0]:
            shown[cells[0].split("\n")[1]] = cells[1:]
    assert set(shown) == set(frequency.index)
    for code, cells in shown.items():
        expected = frequency.loc[code]
        assert [int(cells[0]), int(cells[2]), int(cells[3])] == [expected["segments"], expected["documents"],
                                                                 expected["cases"]]
        assert float(cells[1]) == pytest.approx(100 * expected["share"], abs=0.05)
        groups = [int(n) for n in cells[4::2]]
        assert groups == [expected[f"segments[phase={g}]"] for g in ("primary", "secondary", "(no value)")]
        assert sum(groups) == expected["segments"]
    last = _cells(table.rows[-1])
    assert last[:2] == ["Any code", str(totals.loc["(all)", "coded_segments"])]

    # framework matrix: every case, and the policy document as "(no case)"
    matrix = _table_after(document, "Framework matrix")
    assert _cells(matrix.rows[0])[1:] == [codebook.code(t).name for t in framework.columns]
    for row in matrix.rows[1:]:
        cells = _cells(row)
        for theme, cell in zip(framework.columns, cells[1:], strict=True):
            count = int(framework.loc[cells[0], theme])
            assert cell.split("\n")[0] == ("–" if not count else f"{count} coded segment{'s' * (count != 1)}")
    assert [_cells(r)[0] for r in matrix.rows[1:]] == list(framework.index) == ["School A", "School B", "(no case)"]

    # theory of change: each link's segments and cases, and its segments per case
    links = _table_after(document, "Evidence for each link")
    by_case, _ = A.toc_evidence(frame, codebook, by="case")
    for row, expected, split in zip(links.rows[1:], evidence.to_dict("records"), by_case.to_dict("records"),
                                    strict=True):
        lines = _cells(row)[1].split("\n")
        assert lines[0] == f"{expected['segments']} segment{'s' * (expected['segments'] != 1)} in " \
                           f"{expected['cases']} case{'s' * (expected['cases'] != 1)}"
        per_case = {k[len("segments[case="):-1]: v for k, v in split.items() if k.startswith("segments[case=")
                    and v == v and v}
        assert lines[1:] == [f"{case} {int(n)}" for case, n in per_case.items()]

    # agreement: every cell as the agreement analysis computes it
    expected_agreement = reported.agreement().report.pairs
    shown_agreement = [_cells(r) for r in _table_after(document, "Inter-rater agreement").rows[1:]]
    assert len(shown_agreement) == len(expected_agreement)
    for record in expected_agreement.to_dict("records"):
        name = "Overall" if record["code"].startswith("(") else codebook.code(record["code"]).name
        [cells] = [cells for cells in shown_agreement if cells[0] == name]
        assert int(cells[1]) == record["n_units"] and float(cells[2]) == pytest.approx(record["percent"], abs=0.05)

    # appendix: every coded segment once, with every code it carries
    listing = _table_after(document, "Appendix B: every coded segment")
    passages = {}
    for row in listing.rows[1:]:
        cells = _cells(row)
        if len(cells) == 3:
            passages[" ".join(cells[0].split())] = cells[1]
    for text, group in frame.groupby("text"):
        names = [codebook.code(c).name for c in group["code"]]
        assert all(name in passages[" ".join(text.split())] for name in names)
    assert len(passages) == totals.loc["(all)", "coded_segments"]


def test_report_reviewer_names_as_written_and_quotes_highlight_evidence(reported, tmp_path):
    out = tmp_path / "report.docx"
    reported.report(out)
    document = docx.Document(out)
    agreement = _cells(_table_after(document, "Inter-rater agreement").rows[0])
    assert "Only Ann Lee" in agreement and "Only Bob McKay" in agreement
    quotes = _table_after(document, "NPQs")
    bold = {run.text for row in quotes.rows[1:] for run in row.cells[0].paragraphs[0].runs if run.bold}
    assert bold == {"NPQ"}


def test_report_pending_included_and_marked(reported, tmp_path):
    out = tmp_path / "pending.docx"
    data = reported.report(out, include_pending=True)
    assert [s.text for s in data.segments if s.pending] == ["I trust my team now."]
    text = "\n".join(_text(c) for t in docx.Document(out).tables for r in t.rows for c in r.cells)
    assert "[PENDING REVIEW]" in text and "I trust my team now." in text


def _build(project, **options):
    from qualkit.report import build_report_data
    from qualkit.review.decisions import Consensus

    _, codebook = project.codebook()
    consensus = Consensus.parse(None, [options.pop("reviewer")]) if "reviewer" in options else Consensus()
    return build_report_data(project.store, codebook, consensus=consensus, **options)


def test_report_options_select_codings(reported):
    one = _build(reported, reviewer="Bob McKay", figures=False)
    assert {s.code for s in one.segments} == {"offer.npq"}
    assert "Codings of reviewer Bob McKay" in one.filters
    primary = _build(reported, where={"phase": "primary"}, figures=False)
    assert {s.document for s in primary.segments} == {"a.txt"}
    assert "Only documents with phase = primary" in primary.filters
    culture = _build(reported, codes=["culture"], quotes=1, figures=False)
    assert {s.code for s in culture.segments} == {"culture.trust"}
    assert all(len(q) <= 1 for q in culture.code_quotes.values())
    assert [c.key for c in culture.codes] == ["culture", "culture.trust"]
    with pytest.raises(AnalysisError, match="no attribute 'phaze'"):
        _build(reported, by="phaze", figures=False)
    with pytest.raises(NotFoundError, match="did you mean 'offer'"):
        _build(reported, codes=["ofer"])


def test_report_figures_built_from_the_tables(reported):
    data = _build(reported, by="phase")
    assert [f.key for f in data.figures] == ["toc", "frequency", "cases", "cooccurrence"]
    assert all(f.png.startswith(b"\x89PNG") for f in data.figures)


def test_report_missing_folder_refused_before_any_work(reported, tmp_path):
    with pytest.raises(ExportError, match="folder .*nowhere does not exist"):
        reported.report(tmp_path / "nowhere" / "report.docx")


def test_report_cli_and_codebook_export(reported, runner, tmp_path):
    db = str(reported.path)
    result = runner.invoke(cli, ["-p", db, "report", str(tmp_path / "r.docx"), "--code", "offer"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {tmp_path / 'r.docx'}: ")
    for suffix in ("docx", "yaml", "csv"):
        out = tmp_path / f"codebook.{suffix}"
        assert runner.invoke(cli, ["-p", db, "codebook", "export", str(out)]).exit_code == 0
    paragraphs = "\n".join(p.text for p in docx.Document(tmp_path / "codebook.docx").paragraphs)
    assert "National professional qualifications." in paragraphs
    bad = runner.invoke(cli, ["-p", db, "report", str(tmp_path / "r.docx"), "--codes", "ofer"])
    assert bad.exit_code == 1 and "did you mean 'offer'" in bad.output
    assert bad.stderr.startswith("note: --codes A,B is deprecated; repeat --code instead")


def test_report_on_uncoded_project_says_so(project):
    project.load_codebook(DATA / "mini_codebook.yaml")
    with pytest.raises(AnalysisError, match="nothing to report"):
        _build(project)


def test_report_companion_table_lists_every_coding(reported, tmp_path):
    import pandas as pd

    data = reported.report(tmp_path / "r.docx", listing="none", companion=tmp_path / "codings.csv")
    table = pd.read_csv(tmp_path / "codings.csv")
    assert len(table) == len(data.segments) == len(reported.codings())
    assert set(table["case"]) == {"School A", "School B", "(no case)"}
    npq = table[table["code"] == "offer.npq"]
    assert set(npq["matched"]) == {"NPQ"} and set(npq["accepted_by"]) == {"Ann Lee; Bob McKay"}
    with pytest.raises(ExportError, match="folder .*nowhere does not exist"):
        reported.report(tmp_path / "r.docx", companion=tmp_path / "nowhere" / "c.xlsx")


def _memos(project):
    """One memo on each kind of thing; returns them by kind."""
    return {
        "project": project.add_memo(project=True, author="Ann Lee", text="Six schools.", title="Sampling"),
        "code": project.add_memo(code="offer.npq", author="Bob McKay", text="NPQs read as retention."),
        "theme": project.add_memo(code="culture", author="Ann Lee", text="The mechanism we doubt most."),
        "case_a": project.add_memo(case="School A", author="Ann Lee", text="New head in 2023."),
        "case_b": project.add_memo(case="School B", author="Ann Lee", text="Secondary, rural."),
        "document": project.add_memo(document="policy.txt", author="Bob McKay", text="The 2024 revision."),
        "segment": project.add_memo(document="a.txt", segment=1, author="Ann Lee", text="Irony? Check the audio."),
    }


def test_report_memos_gathered_with_their_targets_and_counts_unchanged(reported, tmp_path):
    before = reported.report(tmp_path / "before.docx", by="phase")
    written = _memos(reported)
    reported.edit_memo(written["code"].id, author="Ann Lee", text="NPQs read as retention, and as reward.")
    after = reported.report(tmp_path / "after.docx", by="phase")
    assert (after.totals, after.subtitle, after.segments) == (before.totals, before.subtitle, before.segments)
    assert after.frequency.equals(before.frequency) and after.framework.equals(before.framework)
    memos = after.memos
    assert len(memos) == 7 and [m.title for m in memos.project] == ["Sampling"]
    assert [(m.text, m.revisions, m.edited_by) for m in memos.codes["offer.npq"]] == [
        ("NPQs read as retention, and as reward.", 2, "Ann Lee")]
    assert set(memos.cases) == {"School A", "School B"} and memos.case_attributes["School A"] == {"phase": "primary"}
    assert memos.document_cases["policy.txt"] is None and memos.document_cases["a.txt"] == "School A"
    [segment] = memos.segments
    assert (segment.document, segment.case, segment.segment, segment.speaker) == ("a.txt", "School A", 1, "Headteacher")
    assert segment.text == next(s.text for s in reported.segments(documents=["a.txt"]) if s.ordinal == 1)

    document = docx.Document(tmp_path / "after.docx")
    memo_boxes = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Memo")]
    texts = "\n".join(_text(t.rows[0].cells[0]) for t in memo_boxes)
    for memo in written.values():
        assert memo.text in texts or memo.id == written["code"].id
    assert "Bob McKay, " in texts and "2 versions, the latest by Ann Lee" in texts
    plain = docx.Document(tmp_path / "before.docx")
    assert [_cells(r) for r in _table_after(document, "Corpus").rows] == \
        [_cells(r) for r in _table_after(plain, "Corpus").rows]


def test_report_memos_follow_the_selection(reported):
    _memos(reported)
    primary = _build(reported, where={"phase": "primary"}, figures=False)
    assert set(primary.memos.cases) == {"School A"} and not primary.memos.documents  # policy.txt has no phase
    assert [s.document for s in primary.memos.segments] == ["a.txt"]
    assert len(primary.memos.project) == 1 and set(primary.memos.codes) == {"offer.npq", "culture"}
    culture = _build(reported, codes=["culture"], figures=False)
    assert set(culture.memos.codes) == {"culture"} and len(culture.memos.cases) == 2


def test_describe_respondents_adds_who_wrote_a_survey_answer_to_its_speaker():
    import pandas as pd

    from qualkit.report import describe_respondents

    frame = pd.DataFrame({
        "document": ["s/r1", "s/r2", "a.txt"], "kind": ["survey", "survey", "transcript"],
        "speaker": ["r1", "r2", "Head"],
    })
    attributes = {
        "s/r1": [("role", "ECT"), ("phase", "primary"), ("interviewer", "SO"), ("question", "Q1 long"),
                 ("region", "North"), ("age", "30s")],
        "s/r2": [("question", "Q1 long")],
    }
    described = describe_respondents(frame, attributes)
    assert described["speaker"].tolist() == ["r1 (ECT, primary, North)", "r2", "Head"]
    assert frame["speaker"].tolist() == ["r1", "r2", "Head"]  # the codings table itself is left alone


def test_report_survey_quotes_name_the_respondent_and_their_case(project, tmp_path):
    survey = tmp_path / "staff.csv"
    survey.write_text("id,school,role,answer\nr1,Brookfield,ECT,Our NPQ gave staff more autonomy.\n"
                      "r2,Fellside,Headteacher,Two staff are on an NPQ.\n", encoding="utf-8")
    project.ingest([survey], id_column="id", text_columns=["answer"], case_column="school")
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    project.decide("Ann Lee", accept=[r["id"] for r in project.suggestions()])
    out = tmp_path / "report.docx"
    project.report(out)
    quotes = _table_after(docx.Document(out), "NPQs")
    expected = {"staff/r1": ["Brookfield", "staff/r1", "r1 (ECT)"],
                "staff/r2": ["Fellside", "staff/r2", "r2 (Headteacher)"]}
    sources = [_cells(row)[1].splitlines() for row in quotes.rows[1:]]
    assert sources and all(source == expected[source[1]] for source in sources)
