"""Commands run at the same moment by real processes (tests/reliability/together.py) on one project.

Reviewers take turns through SQLite's write lock: each action reads what it decides on and writes
in one ``BEGIN IMMEDIATE`` transaction, so the same decision sent twice is stored once and two
undos reverse two decisions. A second `code` run is refused while the first runs; a command that
waits too long for the project says so in one line; outputs written at once both finish whole.
"""

from __future__ import annotations

import sqlite3
import subprocess

import openpyxl
import pandas as pd

from tests.reliability.conftest import (
    CODEBOOK,
    CORPUS,
    DECISIONS,
    integrity,
    kill,
    one_line_error,
    qualkit,
    rows,
    start,
    together,
    wait_for,
)

DECIDED = "SELECT suggestion_id, reviewer, verdict, COALESCE(note, ''), via FROM decisions"


def _undecided(project, count: int) -> list[int]:
    return [row[0] for row in rows(project, "SELECT id FROM suggestions WHERE source = 'rule' ORDER BY id")][:count]


def test_concurrent_identical_decides_store_each_decision_once(templates, tmp_path):
    project = templates.copy("coded", tmp_path)
    ids = _undecided(project, 300)
    command = ["review", "decide", "--reviewer", "Zoe", *[part for i in ids for part in ("--accept", str(i))]]
    results = together(project, [command, command, command])
    assert [result.returncode for result in results] == [0, 0, 0], [r.stderr for r in results]
    summaries = sorted(result.stdout.strip() for result in results)
    assert summaries == ["Recorded 0 decision(s); 300 already recorded as given."] * 2 + [
        "Recorded 300 decision(s); 0 already recorded as given."]
    assert rows(project, "SELECT COUNT(*), COUNT(DISTINCT suggestion_id) FROM decisions WHERE reviewer = 'Zoe'") == [
        (300, 300)]


def test_concurrent_imports_of_one_sheet_store_each_decision_once(templates, tmp_path):
    expected = sorted(rows(templates.folder / "reviewed.db", DECIDED))
    project = templates.copy("coded", tmp_path)
    results = together(project, [["review", "import", str(DECISIONS)]] * 4)
    assert [result.returncode for result in results] == [0] * 4, [r.stderr for r in results]
    recorded = sorted(int(result.stdout.split()[1]) for result in results)
    assert recorded == [0, 0, 0, len(expected)]
    assert sorted(rows(project, DECIDED)) == expected
    manual = "SELECT COUNT(*), COUNT(DISTINCT segment_id || code_key) FROM suggestions WHERE source = 'manual'"
    [(count, distinct)] = rows(project, manual)
    assert count == distinct > 0  # a code added by hand exists once


def test_concurrent_undos_reverse_different_decisions_and_the_verdicts_go(templates, tmp_path):
    project = templates.copy("coded", tmp_path)
    ids = _undecided(project, 6)
    for suggestion_id in ids:  # one after another: the last four are the ones to undo
        assert qualkit(project, "review", "decide", "--reviewer", "Zoe", "--accept", str(suggestion_id)).returncode == 0
    results = together(project, [["review", "undo", "--reviewer", "Zoe"]] * 4)
    assert [result.returncode for result in results] == [0] * 4, [r.stderr for r in results]
    undone = sorted(int(result.stdout.split("suggestion ")[1].split(";")[0]) for result in results)
    assert undone == sorted(ids[2:])
    assert all(result.stdout.strip().endswith("it is pending for Zoe again.") for result in results)
    in_force = rows(project, "SELECT d.suggestion_id FROM decisions d WHERE d.reviewer = 'Zoe' "
                             "AND d.verdict = 'accept' AND NOT EXISTS "
                             "(SELECT 1 FROM decisions u WHERE u.reverses = d.id) ORDER BY 1")
    assert [row[0] for row in in_force] == ids[:2]


def test_second_code_run_is_refused_while_the_first_runs_and_resumes_it_after_a_kill(templates, tmp_path):
    project = templates.copy("ingested", tmp_path)
    ready = tmp_path / "ready"
    first = start(project, "code", fault=f"code.page=pause:{ready}")  # the page is stored; the run not finished
    try:
        wait_for(ready, first)
        [(run_id,)] = rows(project, "SELECT id FROM runs WHERE command = 'code' AND finished_at IS NULL")
        second = qualkit(project, "code")
        line = one_line_error(second)
        assert line.startswith(f"Error: p.db is being coded by a `qualkit code` run (process {first.pid}, since ")
        assert line.endswith("wait for it to finish, then run `qualkit code` again (a run that was killed is resumed "
                             "by the next one)")
        assert "Resumed" not in second.stdout + second.stderr
        assert rows(project, "SELECT COUNT(*) FROM runs WHERE command = 'code'") == [(1,)]
    finally:
        kill(first)
    third = qualkit(project, "code")
    assert third.returncode == 0, third.stderr
    assert f"Resumed run {run_id}" in third.stdout


BUSY = {"QUALKIT_BUSY_TIMEOUT": "1"}
WRITERS = {
    "review decide": ("review", "decide", "--reviewer", "Zoe", "--accept", "1"),
    "review undo": ("review", "undo", "--reviewer", "Amira Khan"),
    "review import": ("review", "import", str(DECISIONS)),
    "review add": ("review", "add", "--reviewer", "Zoe", "-d", "brookfield_leader.txt", "--segment", "1", "--code",
                   "culture.trust"),
    "review mark-coded": ("review", "mark-coded", "--reviewer", "Zoe", "-d", "brookfield_leader.txt"),
    "code": ("code",),
    "ingest": ("ingest", "{folder}/new.txt"),
    "codebook load": ("codebook", "load", str(CODEBOOK.parent.parent / "tests" / "data" / "mini_codebook.yaml")),
    "memo add": ("memo", "add", "--project", "--author", "Zoe", "--text", "A note."),
    "reviewers rename": ("reviewers", "rename", "Amira Khan", "Amira"),
    "users add": ("users", "add", "Zoe"),
    "cases": ("cases", str(CORPUS / "cases.csv")),
    "vacuum": ("vacuum",),
}


def test_every_writing_command_waiting_too_long_ends_in_one_busy_line(templates, tmp_path):
    project = templates.copy("reviewed", tmp_path)
    ready = tmp_path / "ready"
    holder = start(project, "review", "import", str(DECISIONS), fault=f"review.import.row=pause:{ready}")
    try:
        wait_for(ready, holder)  # inside its transaction: the project's write lock is held
        (tmp_path / "new.txt").write_text("Interviewer: Hello?\n\nHead: Mentoring matters.\n", encoding="utf-8")
        waiting = {name: start(project, *[part.format(folder=tmp_path) for part in args], env=BUSY)
                   for name, args in WRITERS.items()}
        readers = {name: start(project, *args, env=BUSY) for name, args in
                   {"status": ("status",), "suggestions": ("suggestions", "--format", "csv")}.items()}
        for name, process in waiting.items():
            out, err = process.communicate(timeout=300)
            line = one_line_error(subprocess.CompletedProcess(name, process.returncode, out, err))
            assert line.startswith(f"Error: {project} is busy: another process is writing to it"), (name, line)
            assert "waited 1 s" in line and line.endswith("or wait longer with QUALKIT_BUSY_TIMEOUT=120"), (name, line)
        for name, process in readers.items():  # reading goes on while another process writes
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, (name, err)
    finally:
        kill(holder)
    assert integrity(project) == "ok"


def test_simultaneous_review_exports_on_a_new_project_carry_one_project_id(templates, tmp_path):
    project = templates.copy("coded", tmp_path)
    with sqlite3.connect(project) as conn:  # a project no sheet was ever exported from
        conn.execute("DELETE FROM settings WHERE key = 'project_id'")
    sheets = [tmp_path / f"{name}.xlsx" for name in ("a", "b", "c")]
    results = together(project, [["review", "export", str(sheet), "--reviewer", "Zoe"] for sheet in sheets])
    assert [result.returncode for result in results] == [0, 0, 0], [r.stderr for r in results]
    [(stored,)] = rows(project, "SELECT value FROM settings WHERE key = 'project_id'")
    for sheet in sheets:
        frame = pd.read_excel(sheet, dtype=str)
        assert set(frame["project_id"]) == {stored}
    frame = pd.read_excel(sheets[1], dtype=str).fillna("")
    frame.loc[frame.index[:5], "decision"] = "accept"
    frame.to_excel(sheets[1], index=False)
    imported = qualkit(project, "review", "import", str(sheets[1]))
    assert imported.returncode == 0 and "Recorded 5 decision(s)" in imported.stdout, imported.stdout + imported.stderr


def test_simultaneous_exports_to_one_path_both_finish_whole(templates, tmp_path):
    project = templates.copy("reviewed", tmp_path)
    out = tmp_path / "codings.xlsx"
    results = together(project, [["export", "codings", str(out)]] * 3)
    assert [result.returncode for result in results] == [0, 0, 0], [r.stderr for r in results]
    assert all("Traceback" not in result.stderr for result in results)
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    sheet = openpyxl.load_workbook(out).active
    assert sheet.max_row > 100
