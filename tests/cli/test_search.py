"""`qualkit search` and `qualkit query` (issue #20)."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import run


def test_search_table_csv_json_and_out(runner, coded_db, tmp_path):
    table = run(runner, coded_db, "search", "npq*")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].startswith("leader.txt  0  Interviewer  Brookfield") and "NPQs" in lines[0]
    assert lines[-1] == "2 match(es) in 2 segment(s) of 1 document(s)."
    rows = list(csv.DictReader(io.StringIO(run(runner, coded_db, "search", "npq*", "--format", "csv").stdout)))
    assert [(r["segment"], r["speaker"], r["match"], r["case"]) for r in rows] == [
        ("0", "Interviewer", "NPQs", "Brookfield"), ("1", "Headteacher", "NPQ", "Brookfield")]
    data = json.loads(run(runner, coded_db, "search", '"I trust"', "--format", "json").stdout)
    assert [(r["left"], r["match"], r["right"]) for r in data] == [("Accountability is lighter now;", "I trust",
                                                                     "my team.")]
    out = tmp_path / "hits.xlsx"
    written = run(runner, coded_db, "search", "trust", "--out", str(out))
    assert out.exists() and f"Wrote 1 matches to {out}." in written.output


def test_search_filters_and_where_refusals(runner, coded_db):
    accepted = run(runner, coded_db, "search", "npq*", "--code", "offer", "--status", "accepted")
    assert accepted.output.strip() == "(nothing found)\n0 match(es) in 0 segment(s) of 0 document(s)."
    pending = run(runner, coded_db, "search", "npq*", "--code", "offer", "--status", "pending", "--format", "csv")
    assert [r["segment"] for r in csv.DictReader(io.StringIO(pending.stdout))] == ["1"]
    wrong = run(runner, coded_db, "search", "npq", "--where", "phase=Primry")
    assert wrong.exit_code == 1 and wrong.output.strip() == "Error: phase has no value 'Primry': primary"
    bad = run(runner, coded_db, "search", "NOT npq")
    assert bad.output.strip().startswith("Error: the query 'NOT npq' has only words to leave out")


def test_search_code_new_then_review_sees_them(runner, coded_db):
    made = run(runner, coded_db, "search", "team", "--code-new", "offer.npq")
    assert "Made 1 new suggestion(s) of offer.npq (source search) for review; 0 segment(s) already had one" \
        in made.output
    listed = json.loads(run(runner, coded_db, "suggestions", "--source", "search", "--format", "json").stdout)
    assert [(r["segment"], r["code"], r["source"], r["status"]) for r in listed] == [(4, "offer.npq", "search",
                                                                                     "pending")]


def test_query_near_and_without(runner, coded_db):
    for args in (("review", "decide", "--reviewer", "amira", "--accept", "1", "--accept", "2", "--accept", "3"),):
        assert run(runner, coded_db, *args).exit_code == 0
    near = json.loads(run(runner, coded_db, "query", "offer.npq", "--and", "offer.ecte", "--format", "json").stdout)
    assert [(r["segment"], r["code"], r["with"]) for r in near] == [(1, "offer.npq", "offer.ecte@1")]
    far = run(runner, coded_db, "query", "offer", "--and", "culture", "--within", "2", "--by", "Phase")
    assert far.output.splitlines() == ["(nothing to show)", "0 coding(s) in 0 document(s)."]
    wider = run(runner, coded_db, "query", "offer", "--and", "culture", "--within", "3", "--by", "phase")
    assert wider.output.strip().endswith("2 coding(s) in 1 document(s) (phase: primary 2).")
    without = json.loads(run(runner, coded_db, "query", "offer", "--not", "offer.ecte", "--format", "json").stdout)
    assert without == []  # npq has ecte on its segment; ecte's own coding is not "offer but not offer.ecte"
    alone = json.loads(run(runner, coded_db, "query", "culture", "--not", "offer", "--format", "json").stdout)
    assert [(r["segment"], r["code"]) for r in alone] == [(4, "culture.trust")]
    unknown = run(runner, coded_db, "query", "offer", "--by", "region")
    assert unknown.output.strip() == ("Error: no attribute 'region'; attributes: phase, case, kind, document")
