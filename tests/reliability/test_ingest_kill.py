"""A killed `qualkit ingest` leaves each file wholly in or wholly out, and a re-run finishes the job.

Each test runs `qualkit ingest` in a real process and kills it with SIGKILL: at chosen points
(after the n-th document written, or just after a file's transaction committed: see
tests/reliability/killer.py), or from outside once SQLite's write-ahead log shows the file's
transaction under way. Then the same command is run again, as a user would, and the project
must hold exactly the rows of the files, once each, with their segments and search index.
"""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

TIMEOUT = 600


def _survey(path: Path, rows: int, *, prefix: str = "r") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        table = csv.writer(out)
        table.writerow(["id", "school", "role", "response"])
        for row in range(1, rows + 1):
            table.writerow([f"{prefix}{row}", f"School {row % 7}", "teacher",
                            f"Answer {row}: mentoring and coaching helped us, the NPQ less so."])
    return path


def _qualkit(db: Path, *args: str, killer: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    runner = ["-m", "tests.reliability.killer", killer[0], str(killer[1])] if killer else ["-m", "qualkit"]
    return subprocess.run([sys.executable, *runner, "-p", str(db), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)


def _ingest_args(*files: Path) -> list[str]:
    return ["ingest", *map(str, files), "--id-column", "id", "--text-column", "response"]


def _contents(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM documents ORDER BY id")]
        return {
            "names": names,
            "segments": conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0],
            "attributes": conn.execute("SELECT COUNT(*) FROM document_attributes").fetchone()[0],
            "indexed": conn.execute("SELECT COUNT(*) FROM segment_search_docsize").fetchone()[0],
            "orphan_segments": conn.execute(
                "SELECT COUNT(*) FROM segments WHERE document_id NOT IN (SELECT id FROM documents)"
            ).fetchone()[0],
        }


def _expected(rows: int, stem: str, prefix: str = "r") -> list[str]:
    return [f"{stem}/{prefix}{row}" for row in range(1, rows + 1)]


def _assert_complete(db: Path, names: list[str]) -> None:
    found = _contents(db)
    assert found["names"] == names  # every row, in file order, once
    assert found["segments"] == found["indexed"] == len(names)
    assert found["attributes"] == 3 * len(names)  # school, role, question
    assert found["orphan_segments"] == 0


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "project.db"
    assert _qualkit(path, "init").returncode == 0
    return path


@pytest.mark.parametrize("killed_after", [1, 700, 1499], ids=["first-row", "middle", "last-row"])
def test_ingest_killed_inside_a_file_leaves_none_of_it_and_a_rerun_ingests_it(tmp_path, db, killed_after):
    survey = _survey(tmp_path / "survey.csv", 1500)
    killed = _qualkit(db, *_ingest_args(survey), killer=("insert", killed_after))
    assert killed.returncode == -signal.SIGKILL
    assert _contents(db)["names"] == []  # not 700 rows that a re-run would call "already ingested"

    again = _qualkit(db, *_ingest_args(survey))
    assert again.returncode == 0, again.stderr
    assert "Ingested 1500 document(s) (1500 surveys)" in again.stdout
    assert "already ingested" not in again.stderr
    _assert_complete(db, _expected(1500, "survey"))


def test_ingest_killed_after_a_file_committed_keeps_it_and_a_rerun_does_the_rest(tmp_path, db):
    first = _survey(tmp_path / "a_first.csv", 400, prefix="a")
    second = _survey(tmp_path / "b_second.csv", 600, prefix="b")
    # the project's first transaction is the first file's (nothing before it writes)
    killed = _qualkit(db, *_ingest_args(first, second), killer=("commit", 1))
    assert killed.returncode == -signal.SIGKILL
    assert killed.stdout == ""  # killed before it could report anything
    _assert_complete(db, _expected(400, "a_first", "a"))

    again = _qualkit(db, *_ingest_args(first, second))
    assert again.returncode == 0, again.stderr
    assert f"skipped {first}: already ingested as a_first/a1, a_first/a2" in again.stderr
    assert "Ingested 600 document(s) (600 surveys)" in again.stdout
    assert "Already in the project: 1." in again.stdout
    _assert_complete(db, _expected(400, "a_first", "a") + _expected(600, "b_second", "b"))


def test_ingest_killed_in_the_second_file_keeps_the_first_whole(tmp_path, db):
    first = _survey(tmp_path / "a_first.csv", 300, prefix="a")
    second = _survey(tmp_path / "b_second.csv", 500, prefix="b")
    killed = _qualkit(db, *_ingest_args(first, second), killer=("insert", 300 + 250))
    assert killed.returncode == -signal.SIGKILL
    _assert_complete(db, _expected(300, "a_first", "a"))

    again = _qualkit(db, *_ingest_args(first, second))
    assert again.returncode == 0, again.stderr
    assert "Ingested 500 document(s)" in again.stdout
    _assert_complete(db, _expected(300, "a_first", "a") + _expected(500, "b_second", "b"))


def test_ingest_killed_from_outside_mid_transaction_then_rerun(tmp_path, db):
    """The issue's case: a large survey, killed by `kill -9` from another process while its rows
    are being written (the write-ahead log is growing), then the same command run again."""
    rows = 20000
    survey = _survey(tmp_path / "survey.csv", rows)
    wal = db.with_name(db.name + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    child = subprocess.Popen([sys.executable, "-m", "qualkit", "-p", str(db), *_ingest_args(survey)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.monotonic() + TIMEOUT
    try:
        while (not wal.exists() or wal.stat().st_size < start + 2_000_000) and child.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.communicate(timeout=TIMEOUT)
    if child.returncode != -signal.SIGKILL:
        pytest.fail(f"the ingest finished (status {child.returncode}) before it could be killed mid-file")
    assert _contents(db)["names"] == []

    again = _qualkit(db, *_ingest_args(survey))
    assert again.returncode == 0, again.stderr
    assert f"Ingested {rows} document(s)" in again.stdout
    _assert_complete(db, _expected(rows, "survey"))


def test_ingest_replace_killed_midway_leaves_the_old_version_whole(tmp_path, db):
    survey = _survey(tmp_path / "survey.csv", 600)
    assert _qualkit(db, *_ingest_args(survey)).returncode == 0
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT id, name, text FROM documents ORDER BY id").fetchall()
    survey.write_text(survey.read_text(encoding="utf-8").replace("helped us", "helped them"), encoding="utf-8")
    killed = _qualkit(db, *_ingest_args(survey), "--replace", killer=("insert", 300))
    assert killed.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, name, text FROM documents ORDER BY id").fetchall() == before

    again = _qualkit(db, *_ingest_args(survey), "--replace")
    assert again.returncode == 0, again.stderr
    assert "Ingested 600 document(s)" in again.stdout and "Replaced: 600. Unchanged: 0." in again.stdout
    _assert_complete(db, _expected(600, "survey"))
    with sqlite3.connect(db) as conn:
        texts = [row[0] for row in conn.execute("SELECT text FROM documents")]
    assert all("helped them" in text for text in texts)  # the old versions, nobody's work, were deleted
