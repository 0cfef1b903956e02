"""Looking after the project file: an online backup, VACUUM, and its size by part.

The file is in WAL mode, so copying it with ``cp`` while qualkit has it open can miss what is
still in the write-ahead log; :meth:`Maintenance.backup` uses SQLite's online backup API, which
copies a consistent snapshot however the file is being used.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from qualkit.atomicfile import atomic_output
from qualkit.errors import BackupError, ProjectError
from qualkit.records import ProjectSize, SizePart
from qualkit.store.database import Repository
from qualkit.store.schema import APPLICATION_ID

#: Which part of the project each table belongs to (its indexes count with it); others are "other".
PARTS = {
    "documents": "documents (text)", "document_attributes": "documents (text)", "cases": "documents (text)",
    "case_attributes": "documents (text)", "segments": "segments", "suggestions": "suggestions",
    "decisions": "decisions", "models": "models", "memos": "memos", "memo_texts": "memos",
    "codebooks": "codebooks", "codes": "codebooks", "code_changes": "codebooks",
}
SEARCH_PREFIX = "segment_search"  # the FTS5 index's shadow tables: segment_search_data, _idx, ...
ORDER = ("documents (text)", "segments", "suggestions", "decisions", "models", "search index", "memos", "codebooks",
         "other")


def _part(table: str) -> str:
    if table.startswith(SEARCH_PREFIX):
        return "search index"
    return PARTS.get(table, "other")


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class Maintenance(Repository):
    # -- size ----------------------------------------------------------------------------------------

    def size(self, *, use_dbstat: bool = True) -> ProjectSize:
        """The file's size, by part: measured page by page with the dbstat table when SQLite has it,
        else estimated from the data's lengths (``measured`` says which)."""
        path = self._db.path
        file_bytes, wal_bytes = _file_size(path), _file_size(Path(f"{path}-wal"))
        page_size = int(self._conn.execute("PRAGMA page_size").fetchone()[0])
        free = int(self._conn.execute("PRAGMA freelist_count").fetchone()[0]) * page_size
        parts: dict[str, int] = dict.fromkeys(ORDER, 0)
        measured = False
        if use_dbstat:
            try:
                owner = dict(self._conn.execute(
                    "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
                ).fetchall())
                for name, size in self._conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                    parts[_part(owner.get(name, name))] += int(size)
                measured = True
            except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
                parts = dict.fromkeys(ORDER, 0)
        if not measured:
            parts.update(self._estimate())
            accounted = sum(size for part, size in parts.items() if part != "other")
            parts["other"] = max(0, file_bytes + wal_bytes - free - accounted)
        return ProjectSize(file_bytes=file_bytes, wal_bytes=wal_bytes, free_bytes=free,
                           parts=tuple(SizePart(part, size) for part, size in parts.items()), measured=measured)

    def _estimate(self) -> dict[str, int]:
        """Bytes each part's data takes, from lengths and counts (rows' overhead guessed)."""

        def one(sql: str) -> int:
            return int(self._conn.execute(sql).fetchone()[0] or 0)

        text = one("SELECT SUM(LENGTH(CAST(text AS BLOB)) + LENGTH(metadata) + 200) FROM documents")
        return {
            "documents (text)": text,
            "segments": one("SELECT COUNT(*) * 32 FROM segments"),
            "suggestions": one("SELECT SUM(LENGTH(evidence) + LENGTH(code_key) * 2 + 80) FROM suggestions"),
            "decisions": one("SELECT SUM(LENGTH(reviewer) + COALESCE(LENGTH(note), 0) + LENGTH(via) + 90) "
                             "FROM decisions"),
            "models": one("SELECT SUM(LENGTH(estimator) + LENGTH(metrics) + LENGTH(parameters)) FROM models"),
            # an FTS5 index of natural-language text is about a third of the text (benchmarks/README.md)
            "search index": text // 3 if one("SELECT COUNT(*) FROM segment_search_docsize") else 0,
            "memos": one("SELECT SUM(LENGTH(text) + 60) FROM memo_texts"),
            "codebooks": one("SELECT SUM(LENGTH(source)) FROM codebooks") * 2,
        }

    def file_bytes(self) -> int:
        """The main file and its write-ahead log."""
        return _file_size(self._db.path) + _file_size(Path(f"{self._db.path}-wal"))

    # -- vacuum --------------------------------------------------------------------------------------

    def vacuum(self) -> tuple[int, int]:
        """Rewrite the file without its free pages, then fold the log back in; (bytes before, after)."""
        before = self.file_bytes()
        if self._conn.in_transaction:
            raise ProjectError("cannot vacuum inside a transaction; finish it first")
        try:
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as exc:
            raise ProjectError(
                f"{self._db.path} is in use by another qualkit process ({exc}); vacuum when it has finished"
            ) from None
        return before, self.file_bytes()

    # -- backup --------------------------------------------------------------------------------------

    def backup(self, target: str | os.PathLike, *, overwrite: bool = False) -> int:
        """Copy the project to ``target`` with SQLite's online backup (a consistent snapshot, safe while
        the project is in use), check the copy with ``PRAGMA integrity_check``, then move it into place;
        returns its size. The copy is written beside the target first, so a failed or refused backup
        leaves an existing file as it was."""
        target = Path(target)
        if target.exists() and target.resolve() == self._db.path.resolve():
            raise BackupError(f"{target} is the project itself; back it up to another file")
        if target.is_dir():
            raise BackupError(f"{target} is a folder; give a file name, e.g. {target / self._db.path.name}")
        if target.exists() and not overwrite:
            raise BackupError(f"{target} already exists; choose another name, or add --force to replace it")
        if not target.parent.is_dir():
            raise BackupError(f"cannot write {target}: folder {target.parent} does not exist")
        with atomic_output(target, error=BackupError) as temporary:
            try:
                copy = sqlite3.connect(temporary)
                try:
                    self._conn.backup(copy)  # all pages in one step: one snapshot of the project
                    checked = [row[0] for row in copy.execute("PRAGMA integrity_check").fetchall()]
                    app_id = copy.execute("PRAGMA application_id").fetchone()[0]
                finally:
                    copy.close()
            except (sqlite3.Error, OSError) as exc:
                raise BackupError(f"could not write the backup {target}: {exc}") from None
            if checked != ["ok"] or app_id != APPLICATION_ID:
                problems = "; ".join(checked[:3]) if checked != ["ok"] else "not marked as a qualkit project"
                raise BackupError(
                    f"the copy failed its integrity check ({problems}); no backup was written to {target}"
                )
            for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # an old file's log must not replay
                if leftover.exists():
                    leftover.unlink()
        return _file_size(target)
