"""One open SQLite project file: the connection, transactions and migrations the repositories share.

WAL journal so readers never block the single writer; foreign keys on; ``PRAGMA application_id``
marks the file as a qualkit project and ``PRAGMA user_version`` holds its schema version.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qualkit.errors import DatabaseBusyError, ProjectError
from qualkit.records import Evidence
from qualkit.store.schema import APPLICATION_ID, FOREIGN_KEYS_OFF, MIGRATIONS, SCHEMA_VERSION, statements

#: SQLite caps the number of parameters in one statement; ids are asked this many at a time.
CHUNK = 500

#: SQL: the documents removed from the corpus but kept for the decisions made on them (issue #18).
#: Every live view of documents, segments, suggestions and coverage leaves them out. SQLite
#: evaluates it once per statement, from a partial index that holds only removed documents.
REMOVED_DOCUMENTS = "(SELECT id FROM documents WHERE removed_at IS NOT NULL)"
#: SQL: the segments of removed documents (for queries that do not join documents).
REMOVED_SEGMENTS = f"(SELECT id FROM segments WHERE document_id IN {REMOVED_DOCUMENTS})"


def utc_timestamp() -> str:
    """Now in UTC, as the schema's created_at defaults write it (2026-11-24T00:09:05Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def evidence_json(spans: Iterable[tuple[int, int, str]]) -> str:
    """``json.dumps([[start, end, pattern], ...], ensure_ascii=False)`` for (start, end, pattern)
    spans, built from cached pattern strings: a run writes the same few hundred patterns hundreds
    of thousands of times."""
    return "[" + ", ".join(f"[{start}, {end}, {_json_string(pattern)}]" for start, end, pattern in spans) + "]"


@functools.lru_cache(maxsize=65536)
def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def parse_evidence(text: str) -> tuple[Evidence, ...]:
    """Evidence spans from the stored JSON."""
    return tuple(Evidence(start, end, pattern) for start, end, pattern in json.loads(text))


def placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


#: How long a command waits for another process to finish writing before it gives up.
BUSY_TIMEOUT_VARIABLE = "QUALKIT_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0


def busy_timeout() -> float:
    """Seconds to wait for the project's write lock: ``QUALKIT_BUSY_TIMEOUT``, else 30."""
    text = os.environ.get(BUSY_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        raise ProjectError(f"{BUSY_TIMEOUT_VARIABLE}={text!r} is not a number of seconds (e.g. 120)") from None
    if not 0 <= seconds <= 86_400:
        raise ProjectError(f"{BUSY_TIMEOUT_VARIABLE}={text!r}: give between 0 and 86400 seconds")
    return seconds


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # primary result codes (sqlite3 names them from Python 3.11)


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+; the message before that
    return isinstance(exc, sqlite3.OperationalError) and (
        (code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED))
        or "database is locked" in str(exc) or "database table is locked" in str(exc)
    )


def busy_error(path: Path, sql: str, seconds: float) -> DatabaseBusyError:
    """The one line a command ends with when another process kept the project busy too long."""
    from qualkit.runlock import holder

    reading = sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH"))
    waited = "to read it" if reading else "for its turn to write"
    running = holder(path)
    who = (f"a `qualkit {running.command}` run is going: process {running.pid}, since {running.since}" if running
           else "a `qualkit code` or `train` run, an import, `qualkit serve`...")
    return DatabaseBusyError(
        f"{path} is busy: another process is writing to it ({who}), and this command waited {seconds:g} s "
        f"{waited}; nothing was changed. "
        f"Try again when that has finished, or wait longer with {BUSY_TIMEOUT_VARIABLE}=120"
    )


class _Cursor(sqlite3.Cursor):
    """A cursor whose "database is locked" becomes :class:`DatabaseBusyError`."""

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self.connection.busy(sql) from None  # type: ignore[attr-defined]
            raise

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self.connection.busy(sql) from None  # type: ignore[attr-defined]
            raise


class _Connection(sqlite3.Connection):
    """The project's connection: waiting for another writer ends in one clear DatabaseBusyError,
    never SQLite's bare "database is locked". A started read never waits in WAL mode, so only
    the first step of a statement (and COMMIT) can meet a busy project."""

    project_path: Path = Path()
    waits: float = DEFAULT_BUSY_TIMEOUT

    def busy(self, sql: str) -> DatabaseBusyError:
        return busy_error(self.project_path, sql, self.waits)

    def cursor(self, factory: Any = _Cursor) -> Any:  # Connection.execute asks this for its cursor
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self.busy(sql) from None
            raise

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self.busy(sql) from None
            raise

    def backup(self, target: sqlite3.Connection, **options: Any) -> None:
        try:
            super().backup(target, **options)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self.busy("SELECT") from None
            raise


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
    # what `transaction()` wraps and nothing commits behind our back.
    seconds = busy_timeout()
    conn = sqlite3.connect(path, isolation_level=None, timeout=seconds, factory=_Connection)
    assert isinstance(conn, _Connection)
    conn.project_path, conn.waits = path, seconds
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    return conn


class Database:
    """The connection every repository of one project shares, and its transactions."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def create(cls, path: str | os.PathLike) -> Database:
        path = Path(path)
        if path.exists():
            raise ProjectError(f"{path} already exists; open it, or choose another file name")
        if not path.parent.exists():
            raise ProjectError(f"cannot create {path}: folder {path.parent} does not exist")
        conn = _connect(path)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        database = cls(conn, path)
        database.migrate()
        return database

    @classmethod
    def open(cls, path: str | os.PathLike) -> Database:
        path = Path(path)
        if not path.exists():
            raise ProjectError(
                f"no qualkit project at {path}; create one with `qualkit init` "
                f"(or `qualkit -p PATH init`), or point to one with --project/-p or QUALKIT_PROJECT"
            )
        try:
            conn = _connect(path)
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        except DatabaseBusyError:
            raise
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{path} is not a qualkit project ({exc})") from None
        if app_id != APPLICATION_ID:
            conn.close()
            raise ProjectError(f"{path} is not a qualkit project (it is not a file `qualkit init` made)")
        database = cls(conn, path)
        database.migrate()
        return database

    def close(self) -> None:
        self.conn.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path} was written by a newer qualkit (schema {version}, this qualkit "
                f"knows up to {SCHEMA_VERSION}); upgrade qualkit to open it"
            )
        for number in range(version, SCHEMA_VERSION):
            script = MIGRATIONS[number]
            rebuild = FOREIGN_KEYS_OFF in script  # foreign_keys cannot change inside a transaction
            if rebuild:
                self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                with self.transaction():
                    for statement in statements(script):
                        self.conn.execute(statement)
                    if rebuild and self.conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                        raise ProjectError(
                            f"{self.path}: upgrading to schema {number + 1} would break references between "
                            "tables; nothing was changed (run `sqlite3 FILE 'PRAGMA foreign_key_check'` to see them)"
                        )
                    self.conn.execute(f"PRAGMA user_version = {number + 1}")
            finally:
                if rebuild:
                    self.conn.execute("PRAGMA foreign_keys = ON")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: commit on success, roll back on any exception (or kill)."""
        if self.conn.in_transaction:
            # Nested use joins the outer transaction: the outer one decides.
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def existing_ids(self, table: str, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` that are rows of ``table``."""
        wanted = list(ids)
        found: set[int] = set()
        for part in chunks(wanted):
            query = f"SELECT id FROM {table} WHERE id IN ({placeholders(part)})"
            found.update(row[0] for row in self.conn.execute(query, part))
        return found


class Repository:
    """One aggregate's SQL; every method returns records, never rows."""

    def __init__(self, database: Database):
        self._db = database

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._db.conn

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._db.transaction()
