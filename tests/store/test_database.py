"""Waiting for another writer ends in one DatabaseBusyError line saying what it waited for."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualkit.errors import DatabaseBusyError, ProjectError
from qualkit.project import Project
from tests.conftest import ROOT

WRITER = """
import sqlite3, sys, time
from pathlib import Path
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")  # the project's write lock, held
Path(sys.argv[2]).touch()
time.sleep(120)
"""


def hold_write_lock(project: Path, ready: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(project), str(ready)])
    for _ in range(600):
        if ready.exists():
            return process
        assert process.poll() is None
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the writer never took the lock")


@pytest.fixture
def busy_project(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALKIT_BUSY_TIMEOUT", "0.3")
    Project.init(tmp_path / "p.db").close()
    process = hold_write_lock(tmp_path / "p.db", tmp_path / "ready")
    yield tmp_path / "p.db"
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_database_busy_write_is_a_database_busy_error(busy_project):
    with Project.open(busy_project) as project:
        assert project.documents() == []  # reading goes on while another process writes (WAL)
        started = time.monotonic()
        with pytest.raises(DatabaseBusyError) as caught:
            project.set_interviewer_speakers(["Interviewer"])
        assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith(f"{busy_project} is busy: another process is writing to it (a `qualkit code` or "
                              "`train` run, an import, `qualkit serve`...), and this command waited 0.3 s for its "
                              "turn to write; nothing was changed.")
    assert message.endswith("Try again when that has finished, or wait longer with QUALKIT_BUSY_TIMEOUT=120")
    assert "\n" not in message


def test_database_busy_names_the_code_run_that_holds_the_project(busy_project, tmp_path):
    from tests.test_runlock import hold_lock

    runner = hold_lock(busy_project, tmp_path / "locked")
    try:
        with Project.open(busy_project) as project, pytest.raises(DatabaseBusyError,
                                                                  match=rf"is busy: another process is writing to it "
                                                                        rf"\(a `qualkit code` run is going: process "
                                                                        rf"{runner.pid}, since .*Z\), and this"):
            project.set_interviewer_speakers(["Interviewer"])
    finally:
        runner.kill()
        runner.wait()


def test_database_busy_from_the_cli_is_one_line_and_status_1(busy_project):
    done = subprocess.run([sys.executable, "-m", "qualkit", "-p", str(busy_project), "review", "decide",
                           "--reviewer", "alice", "--accept", "1"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: {busy_project} is busy: ") and "QUALKIT_BUSY_TIMEOUT=120" in line


@pytest.mark.parametrize("value", ["soon", "-1"], ids=["not-a-number", "negative"])
def test_database_busy_timeout_that_is_not_seconds_is_refused(tmp_path, monkeypatch, value):
    Project.init(tmp_path / "p.db").close()
    monkeypatch.setenv("QUALKIT_BUSY_TIMEOUT", value)
    with pytest.raises(ProjectError, match=f"QUALKIT_BUSY_TIMEOUT='{value}'"):
        Project.open(tmp_path / "p.db")
