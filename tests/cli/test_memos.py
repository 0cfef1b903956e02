"""`qualkit memo add/edit/list/show` (issue #20)."""

from __future__ import annotations

import json

from tests.cli.conftest import run


def test_memo_add_edit_list_show(runner, coded_db, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("Trust reads as autonomy.\nSee Brookfield.", encoding="utf-8")
    added = run(runner, coded_db, "memo", "add", "--code", "culture.trust", "--author", "amira", "--file", str(note))
    assert added.output.strip() == "Wrote memo 1 on code culture.trust."
    edited = run(runner, coded_db, "memo", "edit", "1", "--author", "ben", "--text", "Autonomy, mostly.")
    assert edited.output.strip() == "Memo 1 on code culture.trust now has revision 2 (the earlier ones are kept)."
    listed = json.loads(run(runner, coded_db, "memo", "list", "--format", "json").output)
    assert [(m["id"], m["about"], m["text"], m["revisions"]) for m in listed] == [
        (1, "code culture.trust", "Autonomy, mostly.", 2)]
    shown = run(runner, coded_db, "memo", "show", "1", "--history").output
    assert "Autonomy, mostly." in shown and "revision 1, by amira" in shown
    assert shown.index("Autonomy, mostly.") < shown.index("Trust reads as autonomy.\nSee Brookfield.")


def test_memo_errors_are_one_line(runner, coded_db):
    both = run(runner, coded_db, "memo", "add", "--project", "--author", "a")
    assert both.exit_code == 1
    assert both.output.strip() == "Error: give the memo's text with --text TEXT or --file FILE (one of them)"
    missing = run(runner, coded_db, "memo", "show", "7")
    assert missing.output.strip() == "Error: no memo 7; memos: none yet (`qualkit memo list`)"
    no_author = run(runner, coded_db, "memo", "add", "--project", "--text", "x")
    assert no_author.exit_code == 2 and "Missing option '--author'" in no_author.output


def test_memo_export_and_import_qdpx_say_what_became_of_memos(runner, coded_db, tmp_path):
    for args in (("--project", "--text", "Six schools."), ("--code", "culture.trust", "--text", "Autonomy."),
                 ("--case", "Brookfield", "--text", "New head."), ("-d", "leader.txt", "--segment", "4",
                                                                    "--text", "Irony?")):
        assert run(runner, coded_db, "memo", "add", "--author", "amira", *args).exit_code == 0
    out = tmp_path / "study.qdpx"
    exported = run(runner, coded_db, "export", "qdpx", str(out))
    assert exported.output.strip() == (f"Wrote {out}: documents, codebook, cases and 0 codings "
                                       "(segment x code, consensus any); 4 memo(s) as notes.")
    copy = tmp_path / "copy.db"
    assert run(runner, copy, "init").exit_code == 0
    imported = run(runner, copy, "import", "qdpx", str(out))
    assert imported.exit_code == 0
    assert "0 note(s) on decisions, 4 memos (1 on the project, 1 on cases, 1 on codes, 1 on segments);" in \
        imported.stdout
    listed = json.loads(run(runner, copy, "memo", "list", "--format", "json").output)
    assert [(m["about"], m["text"], m["author"]) for m in listed] == [
        ("the project", "Six schools.", "amira"), ("code culture.trust", "Autonomy.", "amira"),
        ("case Brookfield", "New head.", "amira"), ("segment 4 of leader.txt", "Irony?", "amira")]


def test_memo_report_says_how_many_memos_it_shows(runner, coded_db, tmp_path):
    ids = [row["id"] for row in json.loads(run(runner, coded_db, "suggestions", "--format", "json").stdout)]
    decided = run(runner, coded_db, "review", "decide", "--reviewer", "ann", *[f"--accept={i}" for i in ids])
    assert decided.exit_code == 0, decided.output
    out = tmp_path / "r.docx"
    plain = run(runner, coded_db, "report", str(out), "--no-figures")
    assert plain.exit_code == 0 and plain.output.rstrip().endswith("consensus any.")
    run(runner, coded_db, "memo", "add", "--project", "--author", "ann", "--text", "Six schools.")
    run(runner, coded_db, "memo", "add", "--code", "offer.npq", "--author", "ann", "--text", "Retention.")
    with_memos = run(runner, coded_db, "report", str(out), "--no-figures")
    assert with_memos.output.rstrip().endswith("consensus any, 2 memo(s).")
