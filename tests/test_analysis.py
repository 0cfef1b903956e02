import json

import pytest

from qualkit import analysis as A
from qualkit.cli import cli
from qualkit.errors import AnalysisError
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


@pytest.fixture
def with_policy(analysed, tmp_path):
    """The analysed project plus a policy document that belongs to no case and has no phase."""
    (tmp_path / "policy.txt").write_text("Every teacher may take an NPQ.\n\nStaff are trusted with autonomy.",
                                         encoding="utf-8")
    analysed.ingest([tmp_path / "policy.txt"])
    analysed.code()
    analysed.decide("ann", accept=[r["id"] for r in analysed.suggestions() if r["document"] == "policy.txt"])
    return analysed


def test_frequency_groups_add_up_with_no_value(with_policy):
    _, codebook = with_policy.codebook()
    frame = with_policy.codings()
    table = A.frequency(frame, codebook, by="phase").set_index("code")
    groups = ["primary", "secondary", "(no value)"]
    assert [c for c in table.columns if c.startswith("segments[")] == [f"segments[phase={g}]" for g in groups]
    for code, row in table.iterrows():
        assert sum(row[f"segments[phase={g}]"] for g in groups) == row["segments"], code
    totals = A.totals(frame, by="phase").set_index("group")
    assert totals.loc["(all)", "coded_segments"] == sum(totals.loc[g, "coded_segments"] for g in groups)
    assert totals.loc["(all)", "codings"] == len(frame) == sum(totals.loc[g, "codings"] for g in groups)
    # shares divide coded segments by the group's coded segments
    npq = table.loc["offer.npq"]
    assert npq["share[phase=(no value)]"] == pytest.approx(1 / totals.loc["(no value)", "coded_segments"])
    assert npq["share"] == pytest.approx(npq["segments"] / totals.loc["(all)", "coded_segments"])


def test_framework_counts_documents_without_a_case(with_policy):
    _, codebook = with_policy.codebook()
    frame = with_policy.codings()
    counts, quotes = A.framework(frame, codebook)
    assert list(counts.index) == ["School A", "School B", "(no case)"]
    assert counts.loc["(no case)", "offer"] == 1 and counts.loc["(no case)", "culture"] == 1
    assert counts["offer"].sum() == frame[frame["theme"] == "offer"][["document", "segment"]].drop_duplicates().shape[0]
    by_code, _ = A.framework(frame, codebook, level="code", quotes=0)
    assert list(by_code.columns) == ["offer.npq", "offer.ecte", "culture.trust"]
    assert by_code.loc["(no case)", "offer.npq"] == 1
    every = [q for found in quotes.values() for q in found]
    assert len(every) == len(set(every))  # no passage twice in the matrix
    with pytest.raises(AnalysisError, match="framework level 'case'"):
        A.framework(frame, codebook, level="case")


def test_toc_evidence_split_by_case_adds_up_and_quotes_spread(with_policy):
    _, codebook = with_policy.codebook()
    frame = with_policy.codings()
    [link] = A.toc_evidence(frame, codebook, window=2, by="case")[0].to_dict("records")
    split = {k: v for k, v in link.items() if k.startswith("segments[")}
    assert sum(split.values()) == link["segments"] and "segments[case=(no case)]" in split
    assert link["cases"] == 2  # "(no case)" is not a case
    quoted = [(case, document) for case, document, _ in link["quotes"]]
    assert len({document for _, document in quoted}) == len(quoted)  # spread across documents
    assert quoted[0] == ("School A", "a.txt")  # the only passage carrying both ends comes first
    assert {case for case, _ in quoted} == {"School A", "School B", "(no case)"}
    [records] = A.toc_quotes(frame, codebook, window=2).values()
    assert [q.text for q in records] == [text for _, _, text in link["quotes"]]
    # the codings carry their evidence spans: the quote highlights exactly the words the rules matched
    first = records[0]
    assert set(first.excerpt.highlighted) == {
        first.segment.text[start - first.segment.start:end - first.segment.start]
        for start, end in first.segment.evidence}


def test_compare_includes_no_value_group(with_policy):
    _, codebook = with_policy.codebook()
    table = A.compare(with_policy.codings(), codebook, by="phase")
    assert {"share[primary]", "share[secondary]", "share[(no value)]"} <= set(table.columns)


def test_toc_diagram_missing_folder_is_a_clear_error(analysed, runner, tmp_path):
    from qualkit.errors import ExportError

    _, codebook = analysed.codebook()
    frame = analysed.codings()
    evidence, _ = A.toc_evidence(frame, codebook)
    with pytest.raises(ExportError, match="folder .*missing does not exist"):
        A.toc_diagram(codebook, evidence, frame, tmp_path / "missing" / "toc.png")
    result = runner.invoke(cli, ["-p", str(analysed.path), "analyse", "toc", "--diagram",
                                 str(tmp_path / "missing" / "toc.png")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "Traceback" not in result.output
