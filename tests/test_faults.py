"""The reliability tests' fault points: off unless asked for, then a SIGKILL or a pause at the Nth visit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT

VISIT_THREE_TIMES = """
from qualkit.faults import fault_point
for number in range(1, 4):
    fault_point("elsewhere")
    fault_point("here")
    print(number, flush=True)
"""


def _run(fault: str | None) -> subprocess.CompletedProcess:
    environment = {"QUALKIT_FAULT": fault} if fault else {}
    return subprocess.run([sys.executable, "-c", VISIT_THREE_TIMES], capture_output=True, text=True, cwd=ROOT,
                          env={**{k: v for k, v in os.environ.items() if k != "QUALKIT_FAULT"}, **environment},
                          timeout=60)


def test_fault_point_unset_does_nothing():
    done = _run(None)
    assert (done.returncode, done.stdout.split()) == (0, ["1", "2", "3"])


def test_fault_point_kills_at_the_nth_visit_of_its_point_only():
    done = _run("here@2=kill")
    assert (done.returncode, done.stdout.split()) == (-signal.SIGKILL, ["1"])
    assert _run("here").stdout == ""  # the first visit, kill by default
    assert _run("nowhere@1=kill").returncode == 0


def test_fault_point_pause_creates_its_file_and_waits(tmp_path):
    ready = tmp_path / "ready"
    process = subprocess.Popen([sys.executable, "-c", VISIT_THREE_TIMES], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env={"QUALKIT_FAULT": f"here@3=pause:{ready}", "PATH": "/usr/bin:/bin"})
    try:
        for _ in range(1200):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists() and process.poll() is None
    finally:
        process.kill()
        out, _ = process.communicate()
    assert out.split() == ["1", "2"]
