"""Online backup (safe while in use), vacuum, and the file's size by part."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from qualkit.errors import BackupError
from qualkit.store import Store


@pytest.fixture
def store(tmp_path):
    opened = Store.create(tmp_path / "p.db")
    yield opened
    opened.close()


def _add_rows(conn, count: int, size: int = 500) -> None:
    conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [(f"k{i}", "v" * size) for i in range(count)])


def test_maintenance_backup_holds_what_the_log_holds_and_nothing_uncommitted(store, tmp_path):
    _add_rows(store._db.conn, 200)  # committed, but still in the write-ahead log: not in the main file yet
    copied = tmp_path / "copied.db"
    shutil.copy(store.path, copied)  # what `cp` does while the project is open
    tables = [row[0] for row in sqlite3.connect(copied).execute("SELECT name FROM sqlite_master")]
    assert "settings" not in tables  # the copy lacks what the log still holds (here, the whole schema)
    writer = sqlite3.connect(store.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of writing
    writer.execute("INSERT INTO settings (key, value) VALUES ('uncommitted', 'x')")
    size = store.maintenance.backup(tmp_path / "backup.db")
    writer.execute("ROLLBACK")
    writer.close()
    backup = sqlite3.connect(tmp_path / "backup.db")
    assert backup.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 200
    assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert size == (tmp_path / "backup.db").stat().st_size
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_maintenance_backup_refuses_to_overwrite_unless_forced(store, tmp_path):
    target = tmp_path / "backup.db"
    target.write_text("an older backup")
    with pytest.raises(BackupError) as refused:
        store.maintenance.backup(target)
    assert str(refused.value) == f"{target} already exists; choose another name, or add --force to replace it"
    assert target.read_text() == "an older backup"
    (tmp_path / "backup.db-wal").write_bytes(b"a log of the old file must not be replayed on the new one")
    store.maintenance.backup(target, overwrite=True)
    assert not (tmp_path / "backup.db-wal").exists()
    assert Store.open(target).schema_version == store.schema_version
    with pytest.raises(BackupError, match="is the project itself"):
        store.maintenance.backup(store.path, overwrite=True)
    with pytest.raises(BackupError, match="folder .*missing does not exist"):
        store.maintenance.backup(tmp_path / "missing" / "b.db")


def test_maintenance_vacuum_gives_space_back(store):
    conn = store._db.conn
    _add_rows(conn, 2000, size=2000)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("DELETE FROM settings")
    assert store.maintenance.size().free_bytes > 3_000_000
    before, after = store.maintenance.vacuum()
    assert before - after > 3_000_000 and store.maintenance.size().free_bytes == 0


def test_maintenance_size_by_part_measured_and_estimated(store):
    conn = store._db.conn
    conn.execute("INSERT INTO codebooks (name, version, sha256, source_path, source) VALUES ('T', '1', 'h', 'f', 's')")
    conn.execute("INSERT INTO models (codebook_id, trained_on, training_size, library, estimator) "
                 "VALUES (1, 'x', 1, 'test', zeroblob(400000))")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    measured = store.maintenance.size()
    parts = {part.part: part.bytes for part in measured.parts}
    assert measured.measured and parts["models"] > 400_000
    total = sum(parts.values()) + measured.free_bytes
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    assert abs(total - measured.file_bytes) <= page_size  # every page counted once (the header page aside)
    estimated = store.maintenance.size(use_dbstat=False)
    assert not estimated.measured
    assert {part.part: part.bytes for part in estimated.parts}["models"] == 400_000 + len("{}") * 2
