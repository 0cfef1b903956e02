"""Real projects and real `qualkit` processes for the kill and concurrency tests.

The bundled corpus is ingested, coded and reviewed once per test session (in this process, with
the library); each test gets its own copy of the project file and drives it through the CLI in
other processes, killed with SIGKILL at named points (:mod:`qualkit.faults`) or at set times.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT

CODEBOOK = ROOT / "codebooks" / "niot_coherent_offer.yaml"
DECISIONS = CORPUS / "decisions.csv"
SUGGESTIONS = "SELECT segment_id, code_key, source, score FROM suggestions ORDER BY segment_id, code_key, source"
# `code` with pages of 40 segments (the CLI's pages hold 2,000: the demo corpus is one page)
CODE_IN_PAGES = """
import sys
from qualkit.project import Project
with Project.open(sys.argv[1]) as project:
    report = project.code(page_size=40)
print(f"run {report.run_id} resumed {report.resumed_from}")
"""
TIMEOUT = 300  # seconds a command may take on a loaded 2-core machine before the test calls it a hang
KILLED = -signal.SIGKILL


def qualkit(project: Path, *args: str, fault: str | None = None, env: dict[str, str] | None = None,
            timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """One `qualkit -p PROJECT ARGS` process, to its end (``fault``: a QUALKIT_FAULT for it)."""
    return subprocess.run([sys.executable, "-m", "qualkit", "-p", str(project), *args], capture_output=True,
                          text=True, cwd=ROOT, env=_environment(fault, env), timeout=timeout,
                          stdin=subprocess.DEVNULL)


def start(project: Path, *args: str, fault: str | None = None, env: dict[str, str] | None = None,
          barrier: tuple[Path, str] | None = None) -> subprocess.Popen:
    """A `qualkit` process left running; with ``barrier`` (folder, name), it runs its command when
    told to (see :func:`together`)."""
    prefix = ["-m", "tests.reliability.together", str(barrier[0]), barrier[1], "--"] if barrier else ["-m", "qualkit"]
    return subprocess.Popen([sys.executable, *prefix, "-p", str(project), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_environment(fault, env),
                            stdin=subprocess.DEVNULL)


def python(code: str, *args: str, fault: str | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """A Python process running ``code`` (the library, where the CLI has no option for what a test needs)."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env=_environment(fault, None), timeout=timeout, stdin=subprocess.DEVNULL)


def start_python(code: str, *args: str, fault: str | None = None) -> subprocess.Popen:
    """:func:`python`, left running."""
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=_environment(fault, None), stdin=subprocess.DEVNULL)


def together(project: Path, commands: Sequence[Sequence[str]], *,
             env: dict[str, str] | None = None) -> list[subprocess.CompletedProcess]:
    """Run the commands at the same moment, to their end: each process starts up, says it is
    ready, and waits; when all are, they are told to go together."""
    folder = Path(tempfile.mkdtemp(prefix="together-"))
    processes = [start(project, *command, env=env, barrier=(folder, str(number)))
                 for number, command in enumerate(commands)]
    try:
        for number, process in enumerate(processes):
            wait_for(folder / f"{number}.ready", process)
        (folder / "go").touch()
        results = []
        for process, command in zip(processes, commands, strict=True):
            out, err = process.communicate(timeout=TIMEOUT)
            results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                kill(process)
        shutil.rmtree(folder, ignore_errors=True)
    return results


def wait_for(path: Path, process: subprocess.Popen, *, seconds: float = TIMEOUT) -> None:
    """Until ``path`` exists (a paused fault point made it), or fail if the process ends first."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the process ended ({process.returncode}) before its pause: {out}{err}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)


def _environment(fault: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("QUALKIT_FAULT", "QUALKIT_PROJECT")}
    environment.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    if fault:
        environment["QUALKIT_FAULT"] = fault
    environment.update(extra or {})
    return environment


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The command failed cleanly: status 1, no traceback, and its one ``Error: ...`` line."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    return line


def rows(project: Path, query: str, parameters: Sequence[object] = ()) -> list[tuple]:
    """What the project file holds, read straight from SQLite (not through the code under test)."""
    with sqlite3.connect(f"file:{project}?mode=ro", uri=True) as conn:
        return conn.execute(query, parameters).fetchall()


def integrity(project: Path) -> str:
    return rows(project, "PRAGMA integrity_check")[0][0]


@dataclass(frozen=True)
class Templates:
    """Project files at each stage of the demo's flow, built once; copy one with :meth:`copy`."""

    folder: Path

    def copy(self, stage: str, target: Path) -> Path:
        path = target / "p.db"
        shutil.copyfile(self.folder / f"{stage}.db", path)
        return path


def build_templates(folder: Path) -> Templates:
    """ingested (corpus and codebook in, nothing coded), coded, reviewed (the corpus's decisions)."""
    from qualkit.project import Project

    with Project.init(folder / "work.db") as project:
        project.ingest([CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv")
        project.load_codebook(CODEBOOK)
        _ = project.project_id
        project.backup(folder / "ingested.db")  # SQLite's online backup: one file, no -wal to carry along
        project.code()
        project.backup(folder / "coded.db")
        project.import_review(DECISIONS)
        project.backup(folder / "reviewed.db")
    return Templates(folder)


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Templates:
    return build_templates(tmp_path_factory.mktemp("templates"))
