"""`qualkit documents remove`, `documents --removed`, `ingest --replace` and what `status` says (issue #18)."""

from __future__ import annotations

from tests.cli.conftest import run
from tests.review.conftest import TRANSCRIPT


def _decide_all(runner, db, reviewer="alice"):
    ids = [line.split(",")[0] for line in run(runner, db, "suggestions", "--format", "csv").stdout.splitlines()[1:]]
    args = [arg for suggestion in ids for arg in ("--accept", suggestion)]
    assert run(runner, db, "review", "decide", "--reviewer", reviewer, *args).exit_code == 0
    return len(ids)


def test_documents_remove_refuses_coded_document_then_forced_keeps_its_decisions(runner, coded_db):
    decided = _decide_all(runner, coded_db)
    refused = run(runner, coded_db, "documents", "remove", "leader.txt")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        f"Error: 'leader.txt' has {decided} decisions by alice; nothing was removed. Remove anyway with --force: "
        "the decisions stay in the log, orphaned (not counted or exported)")

    forced = run(runner, coded_db, "documents", "remove", "leader.txt", "--force")
    assert forced.exit_code == 0
    assert forced.stderr.strip() == (
        "removed leader.txt: kept in the file, marked removed, with the work on it "
        f"({decided} decisions by alice) orphaned in the log: not counted or exported")
    assert forced.stdout.strip() == (
        f"Removed 1 document: 1 kept and marked removed ({decided} decisions orphaned).")
    assert run(runner, coded_db, "documents").stdout.strip() == "(nothing to show)"
    listed = run(runner, coded_db, "documents", "--removed", "--format", "csv").stdout.splitlines()
    assert listed[0] == "name,removal,removed_at,decisions,coverage_marks,memos,by"
    assert listed[1].startswith("leader.txt,removed,") and listed[1].endswith(f",{decided},0,0,alice")
    status = run(runner, coded_db, "status").stdout.splitlines()
    assert status[0].endswith(": 0 documents, 0 segments, 0 words.")
    assert status[1] == (
        f"Removed or replaced, kept for the work on them: 1 document(s), with {decided} decisions orphaned "
        "(not counted or exported; `qualkit documents --removed` lists them).")


def test_documents_remove_deletes_uncoded_documents_and_unknown_names_fail(runner, coded_db, tmp_path):
    spare = tmp_path / "spare.txt"
    spare.write_text("Nothing coded here.\n\nNor here.", encoding="utf-8")
    assert run(runner, coded_db, "ingest", str(spare)).exit_code == 0
    unknown = run(runner, coded_db, "documents", "remove", "spare")
    assert unknown.exit_code == 1 and unknown.output.startswith("Error: no document named 'spare' in ")
    done = run(runner, coded_db, "documents", "remove", "spare.txt", "leader.txt")
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        "removed spare.txt: 2 segments and 0 suggestions deleted (no decisions on it)",
        "removed leader.txt: 5 segments and 3 suggestions deleted (no decisions on it)",
    ]
    assert done.stdout.strip() == "Removed 2 documents: 2 deleted (nobody had worked on them)."
    assert run(runner, coded_db, "documents", "--removed").stdout.strip() == "(nothing to show)"
    assert run(runner, coded_db, "documents", "remove").exit_code == 2  # NAME... is required


def test_ingest_replace_summary_names_what_was_replaced(runner, coded_db, tmp_path):
    decided = _decide_all(runner, coded_db)
    transcript = tmp_path / "leader.txt"
    transcript.write_text(TRANSCRIPT.replace("weekly", "fortnightly"), encoding="utf-8")
    changed = run(runner, coded_db, "ingest", str(transcript))
    assert changed.exit_code == 1
    assert f"error: {transcript}: the file has changed since it was ingested as 'leader.txt'" in changed.stderr

    refused = run(runner, coded_db, "ingest", str(transcript), "--replace")
    assert refused.exit_code == 1
    refusal = f"error: {transcript}: 'leader.txt' has {decided} decisions by alice; nothing was replaced."
    assert refusal in refused.stderr
    assert "Replaced: 0. Unchanged: 0." in refused.stdout

    forced = run(runner, coded_db, "ingest", str(transcript), "--replace", "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr.strip() == (
        "replaced leader.txt: kept in the file, marked replaced, with the work on it "
        f"({decided} decisions by alice) orphaned in the log: not counted or exported")
    assert forced.stdout.strip().startswith("Ingested 1 document(s) (1 transcript): 5 segments, ")
    assert f"Replaced: 1 ({decided} decisions orphaned). Unchanged: 0. Already in the project: 0." in forced.stdout
    cases = run(runner, coded_db, "documents", "--format", "csv").stdout.splitlines()
    assert cases[1].startswith("leader.txt,transcript,turn,Brookfield,")  # still in its case

    again = run(runner, coded_db, "ingest", str(transcript), "--replace")  # the same file once more
    assert again.exit_code == 0 and again.stderr == ""  # no "skipped ...: already ingested"
    assert "Ingested 0 document(s)" in again.stdout and "Replaced: 0. Unchanged: 1. Already in the project: 0." \
        in again.stdout


def test_ingest_force_without_replace_is_a_usage_error(runner, coded_db, tmp_path):
    result = run(runner, coded_db, "ingest", str(tmp_path), "--force")
    assert result.exit_code == 2
    assert "--force goes with --replace (to remove documents: qualkit documents remove --force)" in result.output


def test_interviewers_listing_set_and_the_code_summary(runner, coded_db):
    listing = run(runner, coded_db, "interviewers")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0] == ("Interviewers: Interviewer, INT, I, Researcher, Facilitator, Moderator (the defaults): "
                        "2 turns in 1 document(s) (Interviewer).")
    assert lines[2].split() == ["speaker", "documents", "turns", "interviewer"]
    assert lines[4].split() == ["Headteacher", "1", "3", "no"] and lines[5].split() == [
        "Interviewer", "1", "2", "yes", "(project)"]

    changed = run(runner, coded_db, "interviewers", "set", "Headteachr", "H.T.")
    assert changed.stdout.strip() == "Interviewers: Headteachr, H.T.: no turn in the transcripts."
    assert changed.stderr.splitlines() == [
        "note: no speaker in the transcripts is labelled 'Headteachr' (did you mean 'Headteacher'?)",
        "note: no speaker in the transcripts is labelled 'H.T.'",
        "Suggestions already made on turns whose speaker counts differently now stay as they are; "
        "`qualkit code` follows the new names from now on.",
    ]
    coded = run(runner, coded_db, "code").stdout.splitlines()[-1]
    assert coded.endswith("0 interviewer turns skipped as context (no speaker is labelled 'Headteachr' or 'H.T.': "
                          "`qualkit interviewers` lists the speakers and sets yours). Run 3.")

    added = run(runner, coded_db, "interviewers", "add", "Headteacher", "Interviewer")
    assert added.stdout.strip() == (
        "Interviewers: Headteachr, H.T., Headteacher, Interviewer: 5 turns in 1 document(s) "
        "(Headteacher, Interviewer).")
    coded = run(runner, coded_db, "code").stdout.splitlines()[-1]
    assert coded.endswith("5 interviewer turns skipped as context (Headteacher, Interviewer). Run 4.")
    status = run(runner, coded_db, "status").stdout.splitlines()
    assert status[1] == added.stdout.strip()
    assert run(runner, coded_db, "interviewers", "remove", "Nobody").output.strip() == (
        "Error: 'Nobody' is not an interviewer name; the names are: Headteachr, H.T., Headteacher, Interviewer")
    reset = run(runner, coded_db, "interviewers", "reset")
    assert reset.stdout.startswith(
        "Interviewers: Interviewer, INT, I, Researcher, Facilitator, Moderator (the defaults)")
