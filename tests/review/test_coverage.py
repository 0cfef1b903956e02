"""Agreement counts the right units: independent coding over the full grid of what both coders
covered, suggestion review over what each judged, never a code one coder added left pending for
another, and stray or retired reviewers that never break a figure."""

from __future__ import annotations

import csv
import json
import math
import random

import pytest
from sklearn.metrics import cohen_kappa_score

from qualkit.cli import cli
from tests.conftest import DATA

CODES = ["offer.npq", "offer.ecte", "culture.trust"]


def _survey_like(folder, documents: int = 6, turns: int = 5):
    """Transcripts whose answers mention nothing the rules know, so every coding is by hand."""
    folder.mkdir()
    for d in range(documents):
        lines = []
        for t in range(turns):
            lines += [f"[00:0{t}:00] Interviewer: Question {t}?", f"[00:0{t}:30] Teacher: Answer {d}-{t} about school."]
        (folder / f"d{d}.txt").write_text("\n\n".join(lines), encoding="utf-8")
    return folder


def _coded(project, tmp_path, *, documents: int = 6):
    project.ingest([_survey_like(tmp_path / "docs", documents=documents)])
    project.load_codebook(DATA / "mini_codebook.yaml")
    project.code()
    return project


def _accept_only_file(path, reviewer, grid):
    """A portable decisions file with only the codes a coder applied: (document, segment, code) rows."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reviewer", "document", "segment", "code", "decision"])
        for (document, segment, code), value in sorted(grid.items()):
            if value:
                writer.writerow([reviewer, document, segment, code, "accept"])
    return path


def _grid(seed, documents, *, rate=0.3):
    rng = random.Random(seed)
    # answers are the odd segments (0, 2, 4... are the interviewer's questions)
    return {(f"d{d}.txt", s, code): int(rng.random() < rate)
            for d in range(documents) for s in range(1, 10, 2) for code in CODES}


def test_coverage_two_accept_only_files_agree_over_the_full_grid(project, tmp_path):
    """Two coders hand in accept-only files covering the same documents: every segment x code of
    those documents is a unit, not coded = no, and kappa is scikit-learn's on that full grid."""
    _coded(project, tmp_path)
    a, b = _grid(1, 6), _grid(2, 6)
    report_a = project.import_review(_accept_only_file(tmp_path / "a.csv", "ann", a))
    project.import_review(_accept_only_file(tmp_path / "b.csv", "bob", b))
    assert report_a.covered_documents == 6 and report_a.manual == sum(a.values())
    result = project.agreement()
    overall = result.report.pairs.set_index("code").loc["(overall)"]
    keys = sorted(a)
    assert overall.n_units == len(keys) == 6 * 5 * 3
    assert overall.kappa == pytest.approx(cohen_kappa_score([a[k] for k in keys], [b[k] for k in keys]))
    assert overall.percent == pytest.approx(100 * sum(a[k] == b[k] for k in keys) / len(keys))
    assert len(result.disagreements) == sum(a[k] != b[k] for k in keys) > 0
    for code in CODES:
        row = result.report.pairs.set_index("code").loc[code]
        mine = [k for k in keys if k[2] == code]
        assert row.kappa == pytest.approx(cohen_kappa_score([a[k] for k in mine], [b[k] for k in mine]))
    again = project.import_review(tmp_path / "a.csv")
    assert again.recorded == 0 and again.covered_documents == 0  # importing twice adds nothing


def test_coverage_partly_overlapping_files_compare_only_documents_both_covered(project, tmp_path):
    _coded(project, tmp_path)
    a = {k: v for k, v in _grid(3, 6, rate=0.5).items() if k[0] in {"d0.txt", "d1.txt", "d2.txt", "d3.txt"}}
    b = {k: v for k, v in _grid(4, 6, rate=0.5).items() if k[0] in {"d2.txt", "d3.txt", "d4.txt", "d5.txt"}}
    project.import_review(_accept_only_file(tmp_path / "a.csv", "ann", a))
    project.import_review(_accept_only_file(tmp_path / "b.csv", "bob", b))
    both = sorted(k for k in a if k in b)
    overall = project.agreement().report.pairs.set_index("code").loc["(overall)"]
    assert overall.n_units == len(both) == 2 * 5 * 3
    assert overall.kappa == pytest.approx(cohen_kappa_score([a[k] for k in both], [b[k] for k in both]))


def test_coverage_a_code_one_coder_added_is_never_pending_for_another(project, tmp_path):
    """Suggestion review: bob decides every rule suggestion on a segment; ann's hand-added code
    there does not keep the segment from counting as fully reviewed by bob."""
    path = tmp_path / "t.txt"
    path.write_text("[00:00:01] Interviewer: And?\n\n[00:00:05] Teacher: The NPQ helped.\n\n"
                    "[00:00:09] Interviewer: More?\n\n[00:00:15] Teacher: Mentors too.\n", encoding="utf-8")
    project.ingest([path])
    project.load_codebook(DATA / "mini_codebook.yaml")
    project.code()
    ids = {(r["segment"], r["code"]): r["id"] for r in project.suggestions()}
    project.decide("ann", accept=[ids[(1, "offer.npq")], ids[(3, "offer.ecte")]])
    project.add_code("ann", document="t.txt", segment=1, code="culture.trust")
    project.decide("bob", accept=[ids[(1, "offer.npq")]], reject=[ids[(3, "offer.ecte")]])
    judged = project.judgements()
    segment = project.store.documents.segment_id_at(project.document_id("t.txt"), 1)
    assert judged.by_reviewer["bob"][(segment, "culture.trust")] == 0  # ann's added code: a "no" from bob
    overall = project.agreement().report.pairs.set_index("code").loc["(overall)"]
    assert overall.n_units == 2 * 3  # both fully reviewed segments 1 and 3, every code
    assert (overall.both_yes, overall.only_a, overall.only_b) == (1, 2, 0)


def test_coverage_marks_apply_in_order_and_a_withdrawal_counts(project, tmp_path):
    _coded(project, tmp_path, documents=2)
    project.add_code("ann", document="d0.txt", segment=1, code="offer.npq")
    segment = project.store.documents.segment_id_at(project.document_id("d0.txt"), 3)
    project.store.coverage.mark("ann", [(project.document_id("d0.txt"), None)], via="test")
    assert len({s for s, _ in project.judgements().by_reviewer["ann"]}) == 5
    project.store.coverage.mark("ann", [(project.document_id("d0.txt"), segment)], via="test", covered=False)
    judged = project.judgements().by_reviewer["ann"]
    assert {s for s, _ in judged} == set(project.judgements().covered["ann"]) and len({s for s, _ in judged}) == 4
    assert (segment, "offer.npq") not in judged


def test_coverage_a_stray_reviewer_breaks_nothing(project, tmp_path, runner):
    """`review decide` by a stray name then `review undo`; a third reviewer with one decision: the
    report and agreement still work, the strays are listed and skipped, no NaN in any summary."""
    _coded(project, tmp_path)
    project.import_review(_accept_only_file(tmp_path / "a.csv", "ann", _grid(1, 6)))
    project.import_review(_accept_only_file(tmp_path / "b.csv", "bob", _grid(2, 6)))
    first = project.suggestions()[0]["id"]
    project.decide("amira khan", accept=[first])
    project.undo("amira khan")
    db = str(project.path)
    result = runner.invoke(cli, ["-p", db, "agreement"])
    assert result.exit_code == 0, result.output
    assert "nan" not in result.output.lower()
    assert "ann and bob:" in result.output
    project.decide("carol", accept=[first])  # a third reviewer with one decision, on a segment nobody covered
    out = runner.invoke(cli, ["-p", db, "agreement", "--format", "json"])
    data = json.loads(out.stdout)
    assert {s["coder_a"] + "/" + s["coder_b"] for s in data["summaries"]} >= {"ann/bob"}
    assert all(s["percent"] is not None for s in data["summaries"])
    report = runner.invoke(cli, ["-p", db, "report", str(tmp_path / "r.docx")])
    assert report.exit_code == 0, report.output


def test_coverage_reviewers_renamed_merged_and_retired_without_rewriting_history(project, tmp_path, runner):
    _coded(project, tmp_path)
    project.import_review(_accept_only_file(tmp_path / "a.csv", "amira khan", _grid(1, 6)))
    project.import_review(_accept_only_file(tmp_path / "b.csv", "Ben", _grid(2, 6)))
    before = project.agreement().report.summaries[0].overall
    db = str(project.path)
    assert runner.invoke(cli, ["-p", db, "reviewers", "rename", "amira khan", "Amira Khan"]).exit_code == 0
    raw = {d.reviewer for d in project.store.decisions.log()}
    assert raw == {"amira khan", "Ben"}  # decisions keep the name they were made under
    after = project.agreement().report
    now = after.summaries[0].overall  # 'Ben' sorted before 'amira khan'; now after 'Amira Khan'
    assert after.coders == ("Amira Khan", "Ben")
    assert (now.n, now.percent, now.kappa, now.both_yes, now.both_no) == (before.n, before.percent, before.kappa,
                                                                          before.both_yes, before.both_no)
    assert (now.only_a, now.only_b) == (before.only_b, before.only_a)
    # a decision made later under the new name joins the same reviewer
    third = {r["code"]: r["id"] for r in project.suggestions(documents=["d0.txt"])}
    project.decide("Amira Khan", reject=[next(iter(third.values()))])
    assert {r.name for r in project.reviewers()} == {"Amira Khan", "Ben"}
    # a stray second name merged into Ben
    project.decide("B. Roberts", accept=[project.suggestions()[0]["id"]])
    merged = runner.invoke(cli, ["-p", db, "reviewers", "merge", "B. Roberts", "Ben"])
    assert merged.exit_code == 0, merged.output
    listing = runner.invoke(cli, ["-p", db, "reviewers", "--format", "json"])
    ben = next(r for r in json.loads(listing.stdout) if r["reviewer"] == "Ben")
    assert ben["also_decided_as"] == "B. Roberts"
    assert runner.invoke(cli, ["-p", db, "reviewers", "retire", "Ben"]).exit_code == 0
    solo = project.agreement().report
    assert solo.summaries == () and solo.coders == ()
    named = project.agreement(reviewers=["Amira Khan", "Ben"]).report  # named explicitly: counted
    assert len(named.summaries) == 1
    bad = runner.invoke(cli, ["-p", db, "reviewers", "rename", "Amria Khan", "X"])
    assert bad.exit_code == 1 and "did you mean 'Amira Khan'" in bad.output


def test_coverage_json_is_only_json_and_csv_only_the_table(project, tmp_path, runner):
    _coded(project, tmp_path)
    project.import_review(_accept_only_file(tmp_path / "a.csv", "ann", _grid(5, 6)))
    project.import_review(_accept_only_file(tmp_path / "b.csv", "bob", _grid(6, 6)))
    db = str(project.path)
    data = json.loads(runner.invoke(cli, ["-p", db, "agreement", "--format", "json"]).stdout)
    assert set(data) == {"pairs", "coders_alpha", "summaries", "skipped"}
    csv_out = runner.invoke(cli, ["-p", db, "agreement", "--format", "csv"]).stdout
    rows = list(csv.DictReader(csv_out.splitlines()))
    assert rows[0].keys() >= {"coder_a", "coder_b", "code", "kappa"} and rows[-1]["code"] == "(overall)"
    assert all(not math.isnan(float(r["percent"])) for r in rows)
