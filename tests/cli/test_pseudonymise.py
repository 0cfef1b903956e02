"""`qualkit pseudonymise ...` and --pseudonymise [--key FILE] on the exports (issue #22)."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

from tests.cli.conftest import run
from tests.conftest import DATA

TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about the NPQ at Brookfield.\n\n"
    "[00:00:09] Chloe Rutherford: At Brookfield Primary the NPQ helped, and Mrs Patel mentors me weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Chloe Rutherford: Chloe's mentor trusts her. Northern Lights Learning Trust sends us to Kendal.\n"
)
NAMES = ("Brookfield", "Chloe", "Rutherford", "Patel", "Northern Lights")


@pytest.fixture
def named_db(tmp_path, runner):
    """A project with one transcript naming its school (the case), speaker (also the interviewee) and others."""
    db = tmp_path / "study.db"
    (tmp_path / "chloe.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(
        "document,case,phase,interviewee\nchloe.txt,Brookfield Primary,primary,Chloe Rutherford\n", encoding="utf-8")
    for args in (("init",), ("ingest", str(tmp_path / "chloe.txt"), "--cases", str(tmp_path / "cases.csv")),
                 ("codebook", "load", str(DATA / "mini_codebook.yaml")), ("code",)):
        result = run(runner, db, *args)
        assert result.exit_code == 0, result.output
    return db


def _lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_key_build_show_add_and_remove(runner, named_db):
    built = run(runner, named_db, "pseudonymise", "key", "build", "--in-order")
    assert built.exit_code == 0
    assert built.stdout.splitlines()[-1] == (
        "Added 2 name(s) (1 school, 1 person) to the key in the project: 2 entries in all; 1 value(s) left out. "
        "Check the pseudonyms with `qualkit pseudonymise key show`, then look for more names with `qualkit "
        "pseudonymise suggest`.")
    assert "left out 1 role(s), not names: 'Interviewer'" in built.stderr
    shown = run(runner, named_db, "pseudonymise", "key", "show", "--format", "json")
    assert [(e["original"], e["pseudonym"], e["aliases"]) for e in json.loads(shown.stdout)] == [
        ("Brookfield Primary", "School A", "Brookfield"), ("Chloe Rutherford", "Participant 1", "Chloe; Rutherford")]
    assert shown.stderr.strip() == "2 entries (1 school, 1 person), kept in the project."
    added = run(runner, named_db, "pseudonymise", "key", "add", "Kendal", "Town 1", "--kind", "place")
    assert added.stdout.strip() == "Added Kendal -> Town 1 (place) in the key in the project: 3 entries."
    changed = run(runner, named_db, "pseudonymise", "key", "add", "Chloe", "ECT 1", "--alias", "Miss R")
    assert changed.stdout.strip() == ("Changed Chloe Rutherford (also Chloe, Rutherford, Miss R) -> ECT 1 (person) in "
                                      "the key in the project: 3 entries.")
    rows = list(csv.DictReader(run(runner, named_db, "pseudonymise", "key", "show", "--format", "csv").stdout
                               .splitlines()))
    assert [r["pseudonym"] for r in rows] == ["School A", "ECT 1", "Town 1"]
    removed = run(runner, named_db, "pseudonymise", "key", "remove", "kendal")
    assert removed.stdout.strip() == "Removed 1 entry (Kendal -> Town 1) from the key in the project: 2 left."
    missing = run(runner, named_db, "pseudonymise", "key", "remove", "Kendal")
    assert missing.exit_code == 1 and _lines(missing) == ["Error: 'Kendal' is not in the pseudonym key"]


def test_suggest_accept_ignore_and_report(runner, named_db):
    run(runner, named_db, "pseudonymise", "key", "build", "--in-order")
    found = run(runner, named_db, "pseudonymise", "suggest", "--no-ner", "--format", "json")
    assert [(c["text"], c["kind"], c["count"]) for c in json.loads(found.stdout)] == [
        ("Kendal", "place", 1), ("Northern Lights Learning Trust", "organisation", 1), ("Patel", "person", 1)]
    assert found.stderr.strip().splitlines()[-1].startswith("Found 3 candidate name(s) (1 place, 1 organisation, "
                                                            "1 person) the key lacks.")
    accepted = run(runner, named_db, "pseudonymise", "accept", "Patel", "Northern Lights Learning Trust")
    assert _lines(accepted) == ["  Patel -> Participant 2 (person)",
                                "  Northern Lights Learning Trust (also Northern Lights) -> Organisation A "
                                "(organisation)",
                                "Accepted 2 candidate(s) into the key in the project: 4 entries."]
    wrong = run(runner, named_db, "pseudonymise", "accept", "Kendall")
    assert wrong.exit_code == 1 and _lines(wrong) == [
        "Error: 'Kendall' is not among the candidates of the last search (did you mean 'Kendal'?); add any name "
        "with `qualkit pseudonymise key add 'Kendall'`"]
    report = json.loads(run(runner, named_db, "pseudonymise", "report", "--format", "json").stdout)
    assert [c["text"] for c in report["unreviewed"]] == ["Kendal"]
    assert {e["original"]: e["replaced"] for e in report["entries"]} == {
        "Brookfield Primary": 2, "Chloe Rutherford": 3, "Patel": 1, "Northern Lights Learning Trust": 1}
    ignored = run(runner, named_db, "pseudonymise", "ignore", "Kendal")
    assert ignored.stdout.strip() == "Ignoring 1 more name(s) (1 in all), noted in the key in the project."
    table = run(runner, named_db, "pseudonymise", "report")
    assert table.stdout.splitlines()[-1].startswith(
        "The key in the project (4 entries) replaces 7 name(s) in 1 document(s); every candidate from the search of ")


def test_export_codings_pseudonymised_prints_the_summary_and_names_nobody(runner, named_db, tmp_path):
    run(runner, named_db, "pseudonymise", "key", "build", "--in-order")
    run(runner, named_db, "pseudonymise", "suggest", "--no-ner")
    run(runner, named_db, "pseudonymise", "accept", "Patel", "Northern Lights Learning Trust")
    out = tmp_path / "codings.csv"
    result = run(runner, named_db, "export", "codings", str(out), "--include-pending", "--pseudonymise")
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert first == f"Wrote 4 codings (including 4 pending) to {out} (pseudonymised)."
    assert second == (f"Pseudonymised with the key in the project (4 entries): 7 names of 4 entries replaced in the "
                      f"1 document drawn on; no key entry found in {out} (1 text); 1 candidate(s) not yet reviewed "
                      "(`qualkit pseudonymise report`).")
    text = out.read_text(encoding="utf-8")
    assert "School A" in text and not any(name.casefold() in text.casefold() for name in NAMES)


def test_a_key_file_alone_pseudonymises_and_the_project_keeps_none_of_it(runner, named_db, tmp_path):
    key = tmp_path / "key.yaml"
    run(runner, named_db, "pseudonymise", "key", "build", "--key", str(key), "--in-order")
    assert "Chloe Rutherford" in key.read_text(encoding="utf-8")
    out = tmp_path / "passages.xlsx"
    result = run(runner, named_db, "review", "export", str(out), "--reviewer", "cara", "--passages", "--key", str(key))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith(f"Pseudonymised with the key in key file {key} (2 entries): ")
    with zipfile.ZipFile(out) as archive:
        xml = " ".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    assert "Brookfield" not in xml and "Chloe" not in xml and "School " in xml
    shown = run(runner, named_db, "pseudonymise", "key", "show")  # the project remembers where the file is
    assert shown.stdout.splitlines()[-1] == f"2 entries (1 school, 1 person), kept in key file {key.resolve()}."


def test_no_key_and_a_leak_each_fail_with_one_line_and_write_nothing(runner, named_db, tmp_path):
    out = tmp_path / "codings.csv"
    no_key = run(runner, named_db, "export", "codings", str(out), "--include-pending", "--pseudonymise")
    assert no_key.exit_code == 1 and _lines(no_key) == [
        "Error: this project has no pseudonym key: build one with `qualkit pseudonymise key build` (or give the key "
        "file you keep apart with --key FILE)"]
    # A name in the key that qualkit leaves as it is (here a code key, offer.npq) fails the check loudly.
    run(runner, named_db, "pseudonymise", "key", "build")
    run(runner, named_db, "pseudonymise", "key", "add", "NPQ", "Course 1", "--kind", "other")
    leak = run(runner, named_db, "export", "codings", str(out), "--include-pending", "--pseudonymise")
    assert leak.exit_code == 1 and len(_lines(leak)) == 1
    assert leak.output.startswith(f"Error: {out} still names 1 pseudonym key entry ('NPQ'), ")
    assert f"Nothing was written ({out})" in leak.output
    assert sorted(p.name for p in tmp_path.iterdir() if "codings" in p.name) == []


def test_report_pseudonymised_with_its_companion(runner, named_db, tmp_path):
    import docx

    run(runner, named_db, "pseudonymise", "key", "build")
    run(runner, named_db, "review", "decide", "--reviewer", "amira", "--accept", "1", "--accept", "2",
        "--accept", "3")
    out, companion = tmp_path / "shared.docx", tmp_path / "shared.xlsx"
    result = run(runner, named_db, "report", str(out), "--companion", str(companion), "--no-figures",
                 "--title", "Brookfield study", "--pseudonymise")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("; pseudonymised.")
    assert f"no key entry found in {out} (" in result.stdout and f"{companion} (" in result.stdout
    document = docx.Document(str(out))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert "School " in text and "Brookfield" not in text and "Chloe" not in text
    assert document.core_properties.title.startswith("School ")


def test_check_passes_clean_files_and_fails_on_a_name(runner, named_db, tmp_path):
    run(runner, named_db, "pseudonymise", "key", "build")
    clean, leaking = tmp_path / "clean.txt", tmp_path / "notes.md"
    clean.write_text("School A and Participant 1\n", encoding="utf-8")
    leaking.write_text("Thanks to\nChloe's mentor\n", encoding="utf-8")
    ok = run(runner, named_db, "pseudonymise", "check", str(clean))
    assert ok.stdout.strip() == f"No name from the key in 1 file(s): {clean} (1 text)."
    failed = run(runner, named_db, "pseudonymise", "check", str(clean), str(leaking))
    assert failed.exit_code == 1 and failed.output.startswith(
        f"Error: {clean} and {leaking} still names 1 pseudonym key entry ('Chloe Rutherford'), 1 time(s): "
        f"'Chloe Rutherford' as 'Chloe' at {leaking}:2.")


def test_analyse_pseudonymised_prints_and_writes_no_names(runner, named_db, tmp_path):
    run(runner, named_db, "pseudonymise", "key", "build")
    printed = run(runner, named_db, "analyse", "framework", "--include-pending", "--pseudonymise", "--format", "json")
    [row] = json.loads(printed.stdout)
    assert row["case"] == "School A" and "Participant 1" in row["offer quotes"] + row["culture quotes"]
    assert "Brookfield" not in printed.stdout and "Chloe" not in printed.stdout
    out = tmp_path / "framework.csv"
    written = run(runner, named_db, "analyse", "framework", "--include-pending", "--pseudonymise", "--out", str(out))
    assert written.exit_code == 0 and f"Wrote 1 rows to {out} (pseudonymised)." in written.stderr
    assert f"no key entry found in {out} (1 text)" in written.stderr
    assert "School A" in out.read_text(encoding="utf-8") and "Chloe" not in out.read_text(encoding="utf-8")
