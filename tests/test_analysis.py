import json

import pytest

from qualkit import analysis as A
from qualkit.cli import cli
from tests.conftest import DATA

# Answers are Headteacher turns; interviewer turns between them are context.
SCHOOL_A = ["Our NPQ gave staff more autonomy.", "The minibus broke down.", "Mentoring is weekly."]
SCHOOL_B = ["Two staff are on an NPQ.", "Accountability feels lighter.", "Nothing else."]


def interview(answers):
    lines = []
    for n, answer in enumerate(answers):
        lines += [f"[00:0{n}:00] Interviewer: Go on.", f"[00:0{n}:30] Headteacher: {answer}"]
    return "\n\n".join(lines)


@pytest.fixture
def analysed(project, tmp_path):
    folder = tmp_path / "i"
    folder.mkdir()
    (folder / "a.txt").write_text(interview(SCHOOL_A), encoding="utf-8")
    (folder / "b.txt").write_text(interview(SCHOOL_B), encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\na.txt,School A,primary\nb.txt,School B,secondary\n")
    project.ingest([folder], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    project.decide("ann", accept=[r["id"] for r in project.suggestions()])
    return project


def test_codings_table_has_attributes_and_exact_offsets(analysed):
    frame = analysed.codings()
    assert set(frame["code"]) == {"offer.npq", "offer.ecte", "culture.trust"}
    assert {"phase", "case", "theme", "stage", "reviewers", "decided_at"} <= set(frame.columns)
    assert set(frame["reviewers"]) == {"ann:accept"}
    for row in frame.itertuples():
        document = next(d for d in analysed.documents() if d.name == row.document)
        assert analysed.store.documents.text(document.id)[row.start:row.end] == row.text


def test_frequency_by_attribute(analysed):
    _, codebook = analysed.codebook()
    table = A.frequency(analysed.codings(), codebook, by="phase").set_index("code")
    assert table.loc["offer.npq", "segments"] == 2 and table.loc["offer.npq", "cases"] == 2
    assert table.loc["culture.trust", "segments[phase=primary]"] == 1
    assert table.loc["culture.trust", "segments[phase=secondary]"] == 1
    assert table.loc["offer.npq", "share"] == pytest.approx(2 / 4)


def test_toc_evidence_known_by_construction(analysed):
    _, codebook = analysed.codebook()
    frame = analysed.codings()
    same_segment, unevidenced = A.toc_evidence(frame, codebook, window=0)
    [link] = same_segment.to_dict("records")
    assert (link["link"], link["segments"], link["supporting_cases"]) == ("offer -> culture", 1, "School A")
    assert unevidenced == []
    neighbours, _ = A.toc_evidence(frame, codebook, window=1)
    [link] = neighbours.to_dict("records")
    # School B: NPQ in answer 1 (segment 1), accountability in answer 2 (segment 3): two apart
    assert (link["segments"], link["cases"]) == (1, 1)
    wide, _ = A.toc_evidence(frame, codebook, window=2)
    assert wide.iloc[0]["cases"] == 2 and wide.iloc[0]["segments"] == 3


def test_cooccurrence_and_framework(analysed):
    _, codebook = analysed.codebook()
    frame = analysed.codings()
    pairs = A.cooccurrence(frame).set_index(["code_a", "code_b"])
    assert pairs.loc[("culture.trust", "offer.npq"), "both"] == 1
    assert pairs.loc[("culture.trust", "offer.npq"), "jaccard"] == pytest.approx(1 / 3)
    counts, quotes = A.framework(frame, codebook)
    assert counts.loc["School A", "offer"] == 2 and counts.loc["School B", "culture"] == 1
    assert quotes[("School B", "culture")] == ("Accountability feels lighter.",)


def test_empty_project_says_so(project, runner):
    from qualkit.errors import AnalysisError

    project.load_codebook(DATA / "mini_codebook.yaml")
    with pytest.raises(AnalysisError, match="nothing to count: no accepted codings yet"):
        A.frequency(project.codings(), project.codebook()[1])
    result = runner.invoke(cli, ["-p", str(project.path), "analyse", "framework"])
    assert result.exit_code == 1 and "Error: nothing to tabulate: no accepted codings yet" in result.output


def test_pending_included_only_when_asked(analysed, tmp_path):
    (tmp_path / "c.txt").write_text(interview(["Mentors again.", "NPQ again."]), encoding="utf-8")
    analysed.ingest([tmp_path / "c.txt"])
    analysed.code()
    assert "pending" not in set(analysed.codings()["status"])
    assert (analysed.codings(include_pending=True)["status"] == "pending").sum() == 2


def test_agreement_hand_computed(analysed, runner):
    ids = {(r["document"], r["code"]): r["id"] for r in analysed.suggestions()}
    analysed.decide("bob", accept=[ids[("a.txt", "offer.npq")], ids[("b.txt", "offer.npq")]],
                    reject=[ids[("a.txt", "culture.trust")], ids[("a.txt", "offer.ecte")],
                            ids[("b.txt", "culture.trust")]])
    result = analysed.agreement(reviewers=["ann", "bob"])
    overall = result.report.pairs.set_index("code").loc["(overall)"]
    # 4 fully reviewed segments x 3 codes = 12 units; ann says yes to 5, bob to 2 of those: 3 disagreements
    assert (overall["coder_a"], overall["coder_b"]) == ("ann", "bob")
    assert overall["n_units"] == 12 and overall["both_yes"] == 2 and overall["only_a"] == 3
    assert overall["both_no"] == 7 and overall["percent"] == pytest.approx(9 / 12 * 100)
    assert len(result.disagreements) == 3
    out = runner.invoke(cli, ["-p", str(analysed.path), "agreement", "--format", "json"])
    data = json.loads(out.stdout)  # only JSON on stdout
    assert data["pairs"][-1]["code"] == "(overall)" and data["pairs"][-1]["n_units"] == 12
    assert data["summaries"][0]["disagreements"] == 3
    assert "ann and bob: 75.0% agreement" in out.stderr
    machine = runner.invoke(cli, ["-p", str(analysed.path), "agreement", "--machine", "--reviewer", "ann"])
    assert machine.exit_code == 0 and "ann and rule:" in machine.output
    missing = runner.invoke(cli, ["-p", str(analysed.path), "agreement", "--reviewers", "ann,bbo"])
    assert "Error: no reviewer 'bbo' has decided anything (did you mean 'bob'?)" in missing.output


def test_cli_analyse_and_export(analysed, runner, tmp_path):
    db = str(analysed.path)
    out = runner.invoke(cli, ["-p", db, "analyse", "toc", "--diagram", str(tmp_path / "toc.png"), "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "toc.png").read_bytes()[:4] == b"\x89PNG"
    out = runner.invoke(cli, ["-p", db, "export", "codings", str(tmp_path / "c.xlsx")])
    assert out.output == f"Wrote 5 codings to {tmp_path / 'c.xlsx'}.\n"
    out = runner.invoke(cli, ["-p", db, "analyse", "compare", "--by", "phase", "--out", str(tmp_path / "cmp.csv")])
    assert out.exit_code == 0 and "Wrote" in out.output
    bad = runner.invoke(cli, ["-p", db, "analyse", "frequency", "--by", "phaze"])
    assert bad.exit_code == 1 and "no attribute 'phaze'" in bad.output
