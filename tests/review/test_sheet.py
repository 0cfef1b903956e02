import openpyxl
import pandas as pd

from qualkit.cli import cli
from tests.review.conftest import ids_by_code


def test_export_sheet_has_dropdown_and_pending_rows(reviewed, tmp_path):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    out = tmp_path / "alice.xlsx"
    assert reviewed.export_review(out, "alice") == 2
    book = openpyxl.load_workbook(out)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["id", "project_id", "reviewer"] and header[-2:] == ["decision", "note"]
    [validation] = sheet.data_validations.dataValidation
    assert validation.formula1 == '"accept,reject"'
    decision_letter = openpyxl.utils.get_column_letter(header.index("decision") + 1)
    assert str(validation.sqref) == f"{decision_letter}2:{decision_letter}3"
    codes = [row[header.index("code")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == ["culture.trust", "offer.ecte"]


def _fill(path, decisions):
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        code = row[header.index("code")].value
        if code in decisions:
            row[header.index("decision")].value = decisions[code]
            row[header.index("note")].value = f"note on {code}"
    book.save(path)


def test_round_trip_is_idempotent(reviewed, tmp_path):
    out = tmp_path / "alice.xlsx"
    reviewed.export_review(out, "alice")
    _fill(out, {"offer.npq": "accept", "culture.trust": "reject"})
    report = reviewed.import_review(out)
    assert (report.recorded, report.blank, report.refused) == (2, 1, [])
    again = reviewed.import_review(out)
    assert (again.recorded, again.unchanged) == (0, 2)
    rows = {r["code"]: r for r in reviewed.suggestions(reviewers=["alice"])}
    assert rows["offer.npq"]["status"] == "accepted" and rows["culture.trust"]["status"] == "rejected"
    [note] = [d.note for d in reviewed.store.decisions.log() if d.verdict.value == "accept"]
    assert note == "note on offer.npq"


def test_badly_edited_sheet_is_refused_row_by_row(reviewed, tmp_path, project):
    out = tmp_path / "alice.xlsx"
    reviewed.export_review(out, "alice")
    book = openpyxl.load_workbook(out)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    col = {name: header.index(name) for name in header}
    rows = list(sheet.iter_rows(min_row=2))
    rows[0][col["decision"]].value = "maybe"
    rows[1][col["id"]].value = 9999
    rows[1][col["decision"]].value = "accept"
    rows[2][col["code"]].value = "offer.itt"
    rows[2][col["decision"]].value = "reject"
    book.save(out)
    report = reviewed.import_review(out)
    assert report.recorded == 0
    assert [line for line, _ in report.refused] == [2, 3, 4]
    reasons = [reason for _, reason in report.refused]
    assert reasons[0] == "decision 'maybe' is not accept, reject or add"
    assert reasons[1] == "no suggestion with id 9999 in this project"
    assert reasons[2] == ("suggestion 3 is 'culture.trust' on segment 4 of 'leader.txt' here, but the row says code "
                          "'offer.itt'; was the row edited, or is the sheet from another project?")


def test_sheet_from_another_project_is_refused(reviewed, tmp_path):
    out = tmp_path / "alice.csv"
    reviewed.export_review(out, "alice")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    frame["project_id"] = "someone-elses-project"
    frame["decision"] = "accept"
    frame.to_csv(out, index=False)
    report = reviewed.import_review(out)
    assert report.recorded == 0 and len(report.refused) == 3
    assert "exported from another project" in report.refused[0][1]


def test_portable_decisions_file_with_manual_codes(reviewed, tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text(
        "reviewer,document,segment,code,decision,note\n"
        "alice,leader.txt,1,offer.npq,accept,\n"
        "alice,leader.txt,1,offer.ecte,reject,mentoring is not ECT here\n"
        "bob,leader.txt,3,culture.trust,accept,added by hand\n"
        "bob,leader.txt,4,culture.trust,accept,proposed already: an accept\n"
        "bob,leader.txt,3,offer.itt,reject,\n"
        "bob,ghost.txt,1,offer.npq,accept,\n"
        "bob,leader.txt,99,offer.npq,accept,\n",
        encoding="utf-8",
    )
    report = reviewed.import_review(path)
    assert (report.recorded, report.manual) == (4, 1)
    assert [line for line, _ in report.refused] == [6, 7, 8]
    assert "nothing proposed 'offer.itt'" in report.refused[0][1]
    assert reviewed.import_review(path).recorded == 0
    manual = [r for r in reviewed.suggestions() if r["source"] == "manual"]
    assert [(m["segment"], m["code"], m["reviewer:bob"]) for m in manual] == [(3, "culture.trust", "accepted")]


def test_decision_add_adds_a_code_by_hand_or_accepts_a_proposal(reviewed, tmp_path):
    """A sheet's 'add' (what reviewers write for a code nothing proposed) was refused (#16)."""
    path = tmp_path / "decisions.csv"
    path.write_text(
        "reviewer,document,segment,code,decision\n"
        "bob,leader.txt,3,culture.trust,add\n"
        "bob,leader.txt,4,culture.trust,Added\n",
        encoding="utf-8",
    )
    report = reviewed.import_review(path)
    assert (report.recorded, report.manual, report.refused) == (2, 1, [])
    rows = {(r["segment"], r["source"]): r["reviewer:bob"]
            for r in reviewed.suggestions() if r["code"] == "culture.trust"}
    assert rows[(3, "manual")] == "accepted" and "accepted" in {v for (seg, _), v in rows.items() if seg == 4}


def test_cli_review_commands(reviewed, runner, tmp_path):
    db = str(reviewed.path)
    ids = ids_by_code(reviewed)
    result = runner.invoke(cli, ["-p", db, "review", "decide", "--reviewer", "alice",
                                 "--accept", str(ids["offer.npq"]), "--reject", str(ids["offer.ecte"])])
    assert result.output == "Recorded 2 decision(s); 0 already recorded as given.\n"
    result = runner.invoke(cli, ["-p", db, "review", "undo", "--reviewer", "alice"])
    assert result.output == f"Undid alice's reject of suggestion {ids['offer.ecte']}; it is pending for alice again.\n"
    result = runner.invoke(cli, ["-p", db, "review", "export", str(tmp_path / "a.csv"), "--reviewer", "alice"])
    assert result.output.startswith("Wrote 2 pending suggestion(s) for alice to ")
    status = runner.invoke(cli, ["-p", db, "review", "status", "--format", "csv"]).output.splitlines()
    assert status[0] == "reviewer,code,pending,accepted,rejected,disputed"
    assert "alice,offer.npq,0,1,0,0" in status
    bad = runner.invoke(cli, ["-p", db, "review", "decide", "--reviewer", "alice", "--accept", "4242"])
    assert bad.exit_code == 1 and "Error: no suggestion with id 4242" in bad.output
    refused = runner.invoke(cli, ["-p", db, "review", "--reviewer", "alice"])
    assert refused.exit_code == 1
    assert "Error: interactive review needs a terminal; without one, use `qualkit review export" in refused.output
