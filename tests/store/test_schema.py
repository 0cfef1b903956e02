"""Migrations 6-12 (issues #15, #18, #20, #21) on a project written by schema 5: the suggestions and documents
tables are rebuilt with foreign keys off, every decision still points at its suggestion, and existing segments
are indexed."""

from __future__ import annotations

import sqlite3

import pytest

from qualkit.store import Store
from qualkit.store.schema import MIGRATIONS


@pytest.fixture
def schema_5(tmp_path, monkeypatch):
    """A project file at schema 5 with a document, two suggestions and three decisions on them."""
    import qualkit.store.database as database

    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:5])
    monkeypatch.setattr(database, "SCHEMA_VERSION", 5)
    path = tmp_path / "old.db"
    store = Store.create(path)
    conn = store._db.conn
    text = "Interviewer: Any NPQs?\n\nHead: Two staff are on the NPQ for leading teacher development."
    conn.execute("INSERT INTO documents (name, kind, unit, source_path, source_sha256, sha256, reader, text, words) "
                 "VALUES ('a.txt', 'transcript', 'turn', 'a.txt', 'x', 'y', 'text', ?, 14)", (text,))
    conn.execute("INSERT INTO segments (document_id, ordinal, start, \"end\", unit, speaker) "
                 "VALUES (1, 0, 0, 22, 'turn', 'Interviewer'), (1, 1, 24, ?, 'turn', 'Head')", (len(text),))
    conn.execute("INSERT INTO codebooks (name, version, sha256, source_path, source) VALUES ('T', '1', 'h', 'f', 's')")
    conn.execute("INSERT INTO suggestions (segment_id, code_key, source, score, codebook_id) "
                 "VALUES (2, 'offer.npq', 'rule', 0.5, 1), (2, 'culture.trust', 'model', 0.7, 1)")
    conn.execute("INSERT INTO decisions (suggestion_id, reviewer, verdict) VALUES (1, 'amira', 'accept'), "
                 "(2, 'amira', 'reject'), (1, 'ben', 'accept')")
    store.close()
    monkeypatch.undo()
    return path


def test_schema_upgrade_keeps_suggestions_and_decisions(schema_5):
    before = sqlite3.connect(schema_5)
    decisions = before.execute("SELECT * FROM decisions ORDER BY id").fetchall()
    columns = "SELECT id, segment_id, code_key, source, score FROM suggestions ORDER BY id"
    suggestions = before.execute(columns).fetchall()
    before.close()
    store = Store.open(schema_5)
    conn = store._db.conn
    assert store.schema_version == len(MIGRATIONS)
    assert [tuple(row) for row in conn.execute("SELECT * FROM decisions ORDER BY id")] == decisions
    assert [tuple(row) for row in conn.execute(columns)] == suggestions
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # back on after the rebuild
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the triggers survived
        conn.execute("DELETE FROM decisions")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):  # and the references hold
        conn.execute("INSERT INTO decisions (suggestion_id, reviewer, verdict) VALUES (99, 'x', 'accept')")
    store.close()


def test_schema_upgrade_allows_search_suggestions_and_keeps_one_live_per_segment_code_source(schema_5):
    store = Store.open(schema_5)
    conn = store._db.conn
    conn.execute("INSERT INTO suggestions (segment_id, code_key, source, score, codebook_id) "
                 "VALUES (2, 'offer.npq', 'search', 1.0, 1)")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO suggestions (segment_id, code_key, source, score, codebook_id) "
                     "VALUES (2, 'offer.npq', 'guess', 1.0, 1)")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute("INSERT INTO suggestions (segment_id, code_key, source, score, codebook_id) "
                     "VALUES (2, 'offer.npq', 'rule', 0.9, 1)")
    store.suggestions.absorb([(1, 2)])  # a merged suggestion leaves the live index...
    conn.execute("INSERT INTO suggestions (segment_id, code_key, source, score, codebook_id) "
                 "VALUES (2, 'offer.npq', 'rule', 0.9, 1)")  # ...so the key can be proposed again
    store.close()


def test_schema_upgrade_indexes_existing_segments_for_search(schema_5):
    store = Store.open(schema_5)
    assert store.search.indexed() == 2
    assert store.search.matching('"leading teacher"') == [2]
    assert store.search.matching('"npq" *') == [1, 2]
    store.close()


def test_schema_upgrade_keeps_every_column_and_allows_one_code_several_times_per_segment(schema_5):
    """Every value of every old column survives the rebuild; the live index is unique per span, so
    codings from another program (several spans of one code in one segment) are kept apart."""
    before = sqlite3.connect(schema_5)
    old_columns = [row[1] for row in before.execute("PRAGMA table_info(suggestions)")]
    query = f"SELECT {', '.join(old_columns)} FROM suggestions ORDER BY id"
    suggestions = before.execute(query).fetchall()
    before.close()
    store = Store.open(schema_5)
    conn = store._db.conn
    assert [tuple(row) for row in conn.execute(query)] == suggestions
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(suggestions)")}
    assert {"suggestions_live", "suggestions_code", "suggestions_review_score"} <= indexes
    first = store.suggestions.add_manual(2, "offer.npq", 1, span=(30, 37))
    second = store.suggestions.add_manual(2, "offer.npq", 1, span=(40, 48))
    assert first != second == store.suggestions.add_manual(2, "offer.npq", 1, span=(40, 48))
    store.close()


def test_schema_upgrade_makes_names_unique_among_live_documents_only(schema_5):
    """Migration 12 (issue #18) rebuilds documents: ids, texts and references kept; a removed
    document's name may be taken by its replacement, never by a second live document."""
    before = sqlite3.connect(schema_5)
    documents = before.execute("SELECT id, name, text FROM documents").fetchall()
    before.close()
    store = Store.open(schema_5)
    conn = store._db.conn
    assert [tuple(row) for row in conn.execute("SELECT id, name, text FROM documents")] == documents
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    insert = ("INSERT INTO documents (name, kind, unit, source_path, source_sha256, sha256, reader, text, words) "
              "VALUES ('a.txt', 'document', 'paragraph', 'a.txt', 'x2', 'y2', 'text', 'New.', 1)")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(insert)
    conn.execute("UPDATE documents SET removed_at = '2026-12-01T00:00:00Z', removal = 'replaced' WHERE id = 1")
    conn.execute(insert)
    assert [tuple(row) for row in conn.execute("SELECT id, removal FROM documents ORDER BY id")] == [
        (1, "replaced"), (2, None)]
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # removed_at and removal go together
        conn.execute("UPDATE documents SET removal = 'removed' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # deleting it would cascade to decisions
        conn.execute("DELETE FROM documents WHERE id = 1")
    store.close()
