"""Output files are written whole or not at all, through unique temporaries, with the umask's mode."""

from __future__ import annotations

import multiprocessing
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qualkit.atomicfile import atomic_output, default_mode, is_temporary, remove_stale_temporaries, write_bytes
from qualkit.errors import ExportError, RefiError


def dead_pid() -> int:
    """The id of a process that has finished (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def leftover(folder: Path, target: str, pid: int) -> Path:
    """A temporary as a writer with ``pid`` on this machine would have left it when killed."""
    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:40]
    path = folder / f".{target}.{pid}@{host}.abc123.tmp"
    path.write_bytes(b"half a file")
    return path


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if is_temporary(p.name)]


def test_atomic_output_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with atomic_output(target) as temporary:
        assert temporary.parent == tmp_path and is_temporary(temporary.name) and target.read_text() == "old"
        temporary.write_text("new")
    assert target.read_text() == "new"
    assert _temporaries(tmp_path) == []


def test_atomic_output_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_output(target) as temporary:
        temporary.write_text("half")
        raise ZeroDivisionError
    assert target.read_text() == "old"
    assert _temporaries(tmp_path) == []


def test_atomic_output_names_a_missing_folder_with_the_callers_error(tmp_path):
    with pytest.raises(RefiError, match=r"out\.qdpx: folder .*missing does not exist"):
        write_bytes(tmp_path / "missing" / "out.qdpx", b"x", error=RefiError)
    with pytest.raises(ExportError, match="is a folder"):
        write_bytes(tmp_path, b"x")


def test_atomic_output_unwritable_folder_is_one_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match=r"out\.csv: cannot write in .*locked \(Permission denied\)"):
            write_bytes(folder / "out.csv", b"x")
    finally:
        folder.chmod(0o700)


def test_atomic_output_disk_full_is_one_clear_error_and_no_temporary(tmp_path):
    import errno

    with pytest.raises(ExportError, match=r"^.*out\.xlsx: cannot write it \(No space left on device\)$"):
        with atomic_output(tmp_path / "out.xlsx") as temporary:
            temporary.write_bytes(b"part")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mask, mode", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)],
                         ids=["umask-077", "umask-022", "umask-002"])
def test_atomic_output_mode_follows_the_umask(tmp_path, mask, mode):
    previous = os.umask(mask)
    try:
        assert default_mode() == mode
        path = write_bytes(tmp_path / "out.bin", b"x")
        plain = tmp_path / "plain.bin"
        plain.write_bytes(b"x")  # what an ordinary new file gets
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == mode == stat.S_IMODE(plain.stat().st_mode)


def test_atomic_output_explicit_mode_wins(tmp_path):
    path = write_bytes(tmp_path / "key.yaml", b"x", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_remove_stale_temporaries_only_removes_dead_writers(tmp_path):
    dead = leftover(tmp_path, "out.csv", dead_pid())
    alive = leftover(tmp_path, "out.csv", os.getppid())  # the test runner's parent is running
    other = leftover(tmp_path, "other.csv", dead_pid())
    assert remove_stale_temporaries(tmp_path, "out.csv") == 1
    assert not dead.exists() and alive.exists() and other.exists()
    write_bytes(tmp_path / "other.csv", b"x")  # the next write to a path sweeps its dead temporaries
    assert not other.exists() and alive.exists()


def _write_many(path: str, marker: int, rounds: int) -> None:
    for _ in range(rounds):
        write_bytes(path, bytes([marker]) * 2_000_000)


def test_atomic_output_two_processes_writing_one_path_both_finish_whole(tmp_path):
    target = tmp_path / "out.bin"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(target), marker, 15)) for marker in (1, 2, 3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [writer.exitcode for writer in writers] == [0, 0, 0]
    data = target.read_bytes()
    assert len(data) == 2_000_000 and len(set(data)) == 1  # one writer's file, whole
    assert _temporaries(tmp_path) == []
