"""Output files written whole or not at all: the one way qualkit writes a file a person will open.

Every exporter (tables, Word reports, figures, REFI-QDA projects, review sheets, codebooks,
pseudonym keys, staged Parquet partitions, backups) writes through :func:`atomic_output`::

    with atomic_output(path) as temporary:
        document.save(temporary)

The content goes to a temporary file in the target's folder with a name no other writer can
have (``.report.docx.4242@host.k2j1x9.tmp``: hidden, ending ``.tmp``, so a folder listing, an
ingest or a staged import never takes it for an output), is flushed to disk, gets the mode a
plain new file would get (``0o666`` less the umask, or ``mode``), and is renamed over the
target in one step. Two writers to one path each finish whole: the last rename wins, neither
fails. On any error the temporary is removed; one left by a killed process is removed by the
next write to the same path, once no live process on this machine owns it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from qualkit.errors import ExportError, QualkitError
from qualkit.faults import fault_point

SUFFIX = ".tmp"


def _host() -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:40] or "host"


def _owner() -> str:
    return f"{os.getpid()}@{_host()}"


def default_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: 0o666 less the process's umask."""
    return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask can only be read by setting it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def is_temporary(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_output`'s temporaries."""
    return name.startswith(".") and name.endswith(SUFFIX) and "@" in name


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, mode: int | None = None,
                  error: type[QualkitError] = ExportError) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` (see the module doc).

    ``error`` is the QualkitError raised, naming the file, when the folder is missing or the
    disk refuses (permissions, space); anything the writer raises is passed on unchanged.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise error(f"{path}: folder {folder} does not exist; create it or choose another path")
    if path.is_dir():
        raise error(f"{path} is a folder; give a file name inside it")
    remove_stale_temporaries(folder, path.name)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.{_owner()}.", suffix=SUFFIX, dir=folder)
    except OSError as exc:
        raise error(f"{path}: cannot write in {folder} ({exc.strerror or exc})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _flush(temporary)
        os.chmod(temporary, default_mode() if mode is None else mode)
        fault_point("export.rename")  # tests/reliability: a kill with the output written but not in place
        os.replace(temporary, path)
    except OSError as exc:
        raise error(f"{path}: cannot write it ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def write_bytes(path: str | os.PathLike, data: bytes, *, mode: int | None = None,
                error: type[QualkitError] = ExportError) -> Path:
    """``data`` written to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, mode=mode, error=error) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, *, mode: int | None = None,
               error: type[QualkitError] = ExportError) -> Path:
    """``text`` written as UTF-8 to ``path`` through :func:`atomic_output`."""
    return write_bytes(path, text.encode("utf-8"), mode=mode, error=error)


def write_stream(path: str | os.PathLike, write: Callable[[object], None], *, mode: int | None = None,
                 error: type[QualkitError] = ExportError) -> Path:
    """Call ``write(binary_stream)`` on the temporary, then move it into place."""
    with atomic_output(path, mode=mode, error=error) as temporary, open(temporary, "wb") as stream:
        write(stream)
    return Path(path)


def remove_stale_temporaries(folder: Path, name: str = "*") -> int:
    """Remove the temporaries of ``name`` (every output, with ``*``) in ``folder`` whose writer,
    a process on this machine, is no longer running; returns how many went."""
    removed = 0
    host = _host()
    for candidate in folder.glob(f".{glob.escape(name) if name != '*' else '*'}.*@{glob.escape(host)}.*{SUFFIX}"):
        pid = _pid_of(candidate.name, host)
        if pid is not None and not _running(pid):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed += 1
    return removed


def _pid_of(name: str, host: str) -> int | None:
    owner = f"@{host}."
    head, found, _ = name.rpartition(owner)
    if not found:
        return None
    digits = head.rsplit(".", 1)[-1]
    return int(digits) if digits.isdigit() else None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no cheap, harmless liveness check: leave it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def _flush(path: Path) -> None:
    """Push the written bytes to the disk before the rename makes them the output."""
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())
