"""One `code` run at a time per project: the run lock, held by a real process, released by a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualkit.errors import RunInProgressError
from qualkit.runlock import holder, lock_path, run_lock
from tests.conftest import ROOT

HOLD = """
import sys, time
from pathlib import Path
from qualkit.runlock import run_lock
with run_lock(sys.argv[1], "code"):
    Path(sys.argv[2]).touch()
    time.sleep(120)
"""


def hold_lock(project: Path, ready: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(project), str(ready)], cwd=ROOT)
    for _ in range(600):
        if ready.exists():
            return process
        assert process.poll() is None, "the lock holder ended early"
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the lock holder never took the lock")


def test_run_lock_refuses_a_second_run_naming_the_process_that_holds_it(tmp_path):
    project = tmp_path / "p.db"
    process = hold_lock(project, tmp_path / "ready")
    try:
        found = holder(project)
        assert found is not None and found.pid == process.pid and found.command == "code"
        with pytest.raises(RunInProgressError, match=rf"^p\.db is being coded by a `qualkit code` run \(process "
                                                     rf"{process.pid}, since .*Z\); wait for it to finish, then run "
                                                     r"`qualkit code` again \(a run that was killed is resumed"):
            with run_lock(project, "code"):
                pass
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # the operating system released the dead process's lock: the next run goes ahead
    assert holder(project) is None
    with run_lock(project, "code"):
        assert holder(project) is None  # a process does not see itself as another run
        assert lock_path(project).exists()
    assert not lock_path(project).exists()  # removed when the run ends


def test_run_lock_is_released_when_the_block_fails(tmp_path):
    project = tmp_path / "p.db"
    with pytest.raises(ZeroDivisionError), run_lock(project, "code"):
        raise ZeroDivisionError
    with run_lock(project, "code"):
        pass
    assert not lock_path(project).exists()


def test_run_lock_left_file_of_a_killed_run_is_not_a_lock(tmp_path):
    project = tmp_path / "p.db"
    lock_path(project).write_text('{"command": "code", "pid": 1, "host": "elsewhere", "since": "x"}')
    assert holder(project) is None
    with run_lock(project, "code"):
        pass


def test_run_lock_in_a_read_only_folder_is_one_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        from qualkit.errors import ProjectError

        with pytest.raises(ProjectError, match="cannot create the run lock .*; is the folder writable"):
            with run_lock(folder / "p.db", "code"):
                pass
    finally:
        folder.chmod(0o700)
