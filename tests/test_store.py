import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.errors import ProjectError
from qualkit.store import SCHEMA_VERSION, Store
from qualkit.store.schema import MIGRATIONS


def test_create_sets_wal_foreign_keys_and_version(tmp_path):
    store = Store.create(tmp_path / "p.db")
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"documents", "segments", "cases", "case_attributes", "document_attributes", "runs"} <= tables
    store.close()


def test_create_refuses_existing_file(tmp_path):
    (tmp_path / "p.db").write_text("x")
    with pytest.raises(ProjectError, match="already exists"):
        Store.create(tmp_path / "p.db")


def test_open_missing_suggests_init(tmp_path):
    with pytest.raises(ProjectError, match=r"no qualkit project at .*missing\.db; create one with `qualkit init`"):
        Store.open(tmp_path / "missing.db")


def test_open_other_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(ProjectError, match="is not a qualkit project"):
        Store.open(path)


def test_open_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite at all " * 100)
    with pytest.raises(ProjectError, match="is not a qualkit project"):
        Store.open(path)


def test_open_newer_schema_is_refused(tmp_path):
    Store.create(tmp_path / "p.db").close()
    conn = sqlite3.connect(tmp_path / "p.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="newer qualkit"):
        Store.open(tmp_path / "p.db")


def test_migrations_run_forward_from_an_older_file(tmp_path, monkeypatch):
    import qualkit.store.database as store_module

    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    Store.create(tmp_path / "p.db").close()
    extra = "CREATE TABLE later_feature (id INTEGER PRIMARY KEY);"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS[:1], extra))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    store = Store.open(tmp_path / "p.db")
    assert store.schema_version == 2
    store._db.conn.execute("INSERT INTO later_feature DEFAULT VALUES")
    store.close()


def test_transaction_rolls_back_on_error(tmp_path):
    store = Store.create(tmp_path / "p.db")
    with pytest.raises(RuntimeError), store.transaction():
        store._db.conn.execute("INSERT INTO cases (name) VALUES ('A')")
        raise RuntimeError("boom")
    assert store.documents.cases() == []
    store.close()


@settings(max_examples=300, deadline=None)
@given(spans=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9), st.text()), max_size=6))
def test_evidence_json_is_what_json_dumps_writes(spans):
    from qualkit.store import evidence_json

    assert evidence_json(spans) == json.dumps([list(span) for span in spans], ensure_ascii=False)
