"""One `code` run at a time per project: an operating-system lock on a file beside the project.

A `code` run killed at any point is resumed by the next one ("Resumed run N"); a run that is
still going must not be taken for a killed one. So a run holds an exclusive lock on
``<project>-run.lock`` (beside SQLite's ``-wal`` and ``-shm``) for as long as it runs: the
operating system releases it when the process ends, however it ends (``kill -9`` too), so a lock
is never left behind by a dead run. A second run finds the lock held and is refused, naming the
process that holds it. The file holds who took the lock (process, machine, command, since when)
and is removed when the run ends.

POSIX ``flock`` (Linux, macOS) or ``msvcrt.locking`` (Windows); on a network file system that
supports neither, the lock is not taken and runs are not kept apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import ProjectError, RunInProgressError

SUFFIX = "-run.lock"
_WINDOWS_LOCK_OFFSET = 1 << 20  # Windows locks bytes: lock one far past the text, so others can read it


def lock_path(project: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(project)}{SUFFIX}")


@dataclass(frozen=True)
class Holder:
    """Who holds a project's run lock."""

    command: str
    pid: int
    host: str
    since: str  # UTC, 2026-11-24T00:09:05Z

    def __str__(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"a `qualkit {self.command}` run (process {self.pid}{where}, since {self.since})"


def holder(project: str | os.PathLike) -> Holder | None:
    """Who holds the project's run lock now, or None when nobody (another process) does."""
    path = lock_path(project)
    try:
        handle = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try_lock(handle):
            _unlock(handle)
            return None
        found = _read(handle)
    finally:
        os.close(handle)
    if found is None or (found.pid == os.getpid() and found.host == socket.gethostname()):
        return None
    return found


@contextlib.contextmanager
def run_lock(project: str | os.PathLike, command: str) -> Iterator[None]:
    """Hold the project's run lock while the block runs; refused at once if another run holds it."""
    handle = _acquire(lock_path(project), command)
    try:
        yield
    finally:
        _release(lock_path(project), handle)


def _acquire(path: Path, command: str) -> int | None:
    for _ in range(20):  # the file can be removed between our open and our lock: then open it again
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ProjectError(f"cannot create the run lock {path} ({exc.strerror}); is the folder writable?") from None
        try:
            locked = _try_lock(handle)
        except OSError:  # a file system without locks: run unguarded rather than not at all
            os.close(handle)
            return None
        if not locked:
            found = _read(handle)
            os.close(handle)
            who = str(found) if found else "another `qualkit` run"
            raise RunInProgressError(
                f"{path.name.removesuffix(SUFFIX)} is being coded by {who}; wait for it to finish, then run "
                f"`qualkit {command}` again (a run that was killed is resumed by the next one)"
            )
        if _same_file(handle, path):
            _write(handle, Holder(command, os.getpid(), socket.gethostname(),
                                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            return handle
        _unlock(handle)
        os.close(handle)
    raise ProjectError(f"could not take the run lock {path}: it keeps being replaced")


def _release(path: Path, handle: int | None) -> None:
    if handle is None:
        return
    try:
        if _same_file(handle, path):
            with contextlib.suppress(OSError):  # Windows cannot remove an open file: it stays, unlocked
                path.unlink()
        _unlock(handle)
    finally:
        os.close(handle)


def _same_file(handle: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(handle)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _write(handle: int, who: Holder) -> None:
    text = json.dumps({"command": who.command, "pid": who.pid, "host": who.host, "since": who.since})
    os.lseek(handle, 0, os.SEEK_SET)
    os.ftruncate(handle, 0)
    os.write(handle, text.encode("utf-8"))


def _read(handle: int) -> Holder | None:
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        data = json.loads(os.read(handle, 4096).decode("utf-8"))
        return Holder(str(data["command"]), int(data["pid"]), str(data["host"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: int) -> bool:
        os.lseek(handle, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: int) -> None:
        os.lseek(handle, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)

else:
    import errno
    import fcntl

    def _try_lock(handle: int) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
