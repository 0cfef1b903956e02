"""The project file's schema: forward migrations, each applied in its own transaction.

The schema version of a file is the number of migrations applied (``PRAGMA user_version``).
Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3

#: A migration with this line runs with foreign keys off (a table rebuild: SQLite cannot alter a
#: CHECK constraint in place), and must leave ``PRAGMA foreign_key_check`` empty.
FOREIGN_KEYS_OFF = "-- qualkit: foreign keys off"

#: Marks a SQLite file as a qualkit project ("QKIT" in ASCII).
APPLICATION_ID = 0x514B4954

#: Forward migrations; the schema version of a file is the number of migrations applied.
#: Never edit a released migration: append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: corpus — documents, their segments, cases and attributes, run log, settings.
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE cases (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE case_attributes (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (case_id, name)
    );
    CREATE TABLE documents (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        kind          TEXT NOT NULL CHECK (kind IN ('transcript', 'document', 'survey')),
        unit          TEXT NOT NULL,
        source_path   TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,          -- of the source file's bytes
        sha256        TEXT NOT NULL,          -- of the stored plain text
        reader        TEXT NOT NULL,
        text          TEXT NOT NULL,
        words         INTEGER NOT NULL,
        metadata      TEXT NOT NULL DEFAULT '{}',
        case_id       INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        ingested_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX documents_source_sha256 ON documents(source_sha256);
    CREATE INDEX documents_case ON documents(case_id);
    CREATE TABLE document_attributes (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        value       TEXT NOT NULL,
        PRIMARY KEY (document_id, name)
    );
    CREATE TABLE segments (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ordinal     INTEGER NOT NULL,
        start       INTEGER NOT NULL,
        "end"       INTEGER NOT NULL,
        unit        TEXT NOT NULL,
        speaker     TEXT,
        timestamp   REAL,
        CHECK (0 <= start AND start < "end"),
        UNIQUE (document_id, ordinal)
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        command     TEXT NOT NULL,
        parameters  TEXT NOT NULL DEFAULT '{}',
        counts      TEXT NOT NULL DEFAULT '{}',
        started_at  TEXT NOT NULL,
        finished_at TEXT
    );
    """,
    # 2: codebooks (every loaded version kept), their codes, and suggestions.
    """
    CREATE TABLE codebooks (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        version     TEXT NOT NULL,
        sha256      TEXT NOT NULL UNIQUE,      -- content hash: same content, same codebook
        source_path TEXT NOT NULL,
        source      TEXT NOT NULL,             -- the YAML as loaded
        loaded_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE codes (
        id          INTEGER PRIMARY KEY,
        codebook_id INTEGER NOT NULL REFERENCES codebooks(id) ON DELETE CASCADE,
        ordinal     INTEGER NOT NULL,
        key         TEXT NOT NULL,
        name        TEXT NOT NULL,
        parent_key  TEXT,
        stage       TEXT,
        codable     INTEGER NOT NULL,
        definition  TEXT NOT NULL,
        color       TEXT,
        details     TEXT NOT NULL DEFAULT '{}',  -- include, exclude, examples, patterns
        UNIQUE (codebook_id, key)
    );
    CREATE TABLE suggestions (
        id            INTEGER PRIMARY KEY,
        segment_id    INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        code_key      TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('rule', 'model', 'manual')),
        score         REAL NOT NULL,
        evidence      TEXT NOT NULL DEFAULT '[]',
        codebook_id   INTEGER NOT NULL REFERENCES codebooks(id),
        run_id        INTEGER REFERENCES runs(id),
        model_version TEXT,
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        UNIQUE (segment_id, code_key, source)
    );
    CREATE INDEX suggestions_code ON suggestions(code_key);
    CREATE INDEX suggestions_codebook ON suggestions(codebook_id);
    """,
    # 3: decisions, appended and never updated; an undo is a decision that reverses another.
    #    Suggestions may cover a narrower span than their segment (codings from elsewhere).
    """
    ALTER TABLE suggestions ADD COLUMN span_start INTEGER;
    ALTER TABLE suggestions ADD COLUMN span_end INTEGER;
    CREATE TABLE decisions (
        id                 INTEGER PRIMARY KEY,
        suggestion_id      INTEGER NOT NULL REFERENCES suggestions(id) ON DELETE CASCADE,
        reviewer           TEXT NOT NULL,
        verdict            TEXT NOT NULL CHECK (verdict IN ('accept', 'reject', 'undo')),
        reverses           INTEGER REFERENCES decisions(id),
        note               TEXT,
        via                TEXT NOT NULL DEFAULT 'review',  -- review, decide, accept-all, import, manual
        seen_source        TEXT,
        seen_score         REAL,
        seen_codebook_id   INTEGER,
        seen_model_version TEXT,
        decided_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CHECK ((verdict = 'undo') = (reverses IS NOT NULL))
    );
    CREATE INDEX decisions_suggestion ON decisions(suggestion_id, reviewer);
    CREATE INDEX decisions_reviewer ON decisions(reviewer);
    CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only; undo appends a reversal'); END;
    CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only; undo appends a reversal'); END;
    """,
    # 4: trained classifiers, kept with what they were trained on and how well they did.
    """
    CREATE TABLE models (
        id            INTEGER PRIMARY KEY,
        codebook_id   INTEGER NOT NULL REFERENCES codebooks(id),
        trained_on    TEXT NOT NULL,             -- reviewer:NAME or consensus:RULE
        training_size INTEGER NOT NULL,
        metrics       TEXT NOT NULL DEFAULT '{}',
        parameters    TEXT NOT NULL DEFAULT '{}',
        library       TEXT NOT NULL,             -- scikit-learn version that wrote `estimator`
        estimator     BLOB NOT NULL,
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    """,
    # 5: the review queue at a million suggestions: each order has an index that walks it, so
    #    the next item is found without sorting the queue, and undos are found by what they reverse.
    """
    CREATE INDEX decisions_reverses ON decisions(reverses);
    CREATE INDEX suggestions_review_score ON suggestions(score DESC, segment_id, code_key, source);
    CREATE INDEX suggestions_review_uncertainty ON suggestions(ABS(score - 0.5), segment_id, code_key, source);
    """,
    # 6: independent coding is recorded, not guessed: which documents or segments a reviewer coded
    #    fully (appended marks); a reviewer log (renames, merges, retirements) that decisions are read
    #    through. Suggestions may come from a text search (source 'search'); one code may be coded
    #    several times in one segment, each with its own span (codings from other programs); and a
    #    suggestion absorbed by a code merge points at the suggestion it was merged into (its
    #    decisions stay on it, never moved). So live suggestions are unique per (segment, code,
    #    source, span), a partial index. SQLite cannot change a CHECK in place: the table is rebuilt
    #    with foreign keys off (ids kept, so decisions still point at the same suggestions), then
    #    foreign_key_check must find nothing.
    f"""
    {FOREIGN_KEYS_OFF}
    CREATE TABLE coverage (
        id          INTEGER PRIMARY KEY,
        reviewer    TEXT NOT NULL,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        segment_id  INTEGER REFERENCES segments(id) ON DELETE CASCADE,   -- NULL: the whole document
        covered     INTEGER NOT NULL DEFAULT 1 CHECK (covered IN (0, 1)),  -- 0 withdraws an earlier mark
        via         TEXT NOT NULL,
        marked_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX coverage_reviewer ON coverage(reviewer, document_id, segment_id);
    CREATE TRIGGER coverage_append_only_update BEFORE UPDATE ON coverage
    BEGIN SELECT RAISE(ABORT, 'coverage marks are appended; withdraw one by appending covered = 0'); END;
    CREATE TABLE reviewer_changes (
        id         INTEGER PRIMARY KEY,
        change     TEXT NOT NULL CHECK (change IN ('add', 'rename', 'retire', 'reinstate')),
        name       TEXT NOT NULL,
        target     TEXT,                 -- rename: the name it becomes (an existing reviewer's: a merge)
        note       TEXT,
        changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CHECK ((change = 'rename') = (target IS NOT NULL))
    );
    CREATE TRIGGER reviewer_changes_append_only_update BEFORE UPDATE ON reviewer_changes
    BEGIN SELECT RAISE(ABORT, 'the reviewer log is append-only'); END;
    CREATE TRIGGER reviewer_changes_append_only_delete BEFORE DELETE ON reviewer_changes
    BEGIN SELECT RAISE(ABORT, 'the reviewer log is append-only'); END;
    CREATE TABLE suggestions_rebuilt (
        id            INTEGER PRIMARY KEY,
        segment_id    INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        code_key      TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('rule', 'model', 'manual', 'search')),
        score         REAL NOT NULL,
        evidence      TEXT NOT NULL DEFAULT '[]',
        codebook_id   INTEGER NOT NULL REFERENCES codebooks(id),
        run_id        INTEGER REFERENCES runs(id),
        model_version TEXT,
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        span_start    INTEGER,
        span_end      INTEGER,
        merged_into   INTEGER REFERENCES suggestions(id)
    );
    INSERT INTO suggestions_rebuilt (id, segment_id, code_key, source, score, evidence, codebook_id, run_id,
                                     model_version, created_at, span_start, span_end)
        SELECT id, segment_id, code_key, source, score, evidence, codebook_id, run_id, model_version, created_at,
               span_start, span_end
        FROM suggestions;
    DROP TABLE suggestions;
    ALTER TABLE suggestions_rebuilt RENAME TO suggestions;
    CREATE UNIQUE INDEX suggestions_live
        ON suggestions(segment_id, code_key, source, COALESCE(span_start, -1), COALESCE(span_end, -1))
        WHERE merged_into IS NULL;
    CREATE INDEX suggestions_merged_into ON suggestions(merged_into) WHERE merged_into IS NOT NULL;
    CREATE INDEX suggestions_code ON suggestions(code_key);
    CREATE INDEX suggestions_codebook ON suggestions(codebook_id);
    CREATE INDEX suggestions_review_score ON suggestions(score DESC, segment_id, code_key, source)
        WHERE merged_into IS NULL;
    CREATE INDEX suggestions_review_uncertainty ON suggestions(ABS(score - 0.5), segment_id, code_key, source)
        WHERE merged_into IS NULL;
    """,
    # 7: accounts for `qualkit serve` (#21), their signed-in sessions and failed sign-ins. Only
    #    hashes are stored: argon2 for passwords, SHA-256 for session tokens (the cookie holds the token).
    """
    CREATE TABLE accounts (
        id                   INTEGER PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- the reviewer name decisions carry
        role                 TEXT NOT NULL CHECK (role IN ('reviewer', 'adjudicator', 'owner')),
        password_hash        TEXT NOT NULL,
        must_change_password INTEGER NOT NULL DEFAULT 1,           -- still on a one-time password
        created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created    REAL NOT NULL,                                  -- Unix seconds
        seen       REAL NOT NULL
    );
    CREATE INDEX web_sessions_account ON web_sessions(account_id);
    CREATE TABLE sign_in_failures (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL COLLATE NOCASE,
        client    TEXT NOT NULL,
        failed_at REAL NOT NULL
    );
    CREATE INDEX sign_in_failures_name ON sign_in_failures(name, failed_at);
    CREATE INDEX sign_in_failures_client ON sign_in_failures(client, failed_at);
    """,
    # 8: the codebook's history of code changes (rename, merge, move, split, add, remove), each
    #    recorded with the version it made and what followed it; appended, never changed.
    """
    CREATE TABLE IF NOT EXISTS code_changes (
        id          INTEGER PRIMARY KEY,
        codebook_id INTEGER NOT NULL REFERENCES codebooks(id),  -- the version the change made
        kind        TEXT NOT NULL CHECK (kind IN ('rename', 'merge', 'move', 'split', 'add', 'remove')),
        old_keys    TEXT NOT NULL DEFAULT '[]',                 -- JSON list of the keys before
        new_key     TEXT,                                       -- the key after (none for remove)
        counts      TEXT NOT NULL DEFAULT '{}',                 -- what followed: suggestions, decisions, memos
        via         TEXT NOT NULL,                              -- 'command' or the codebook file
        changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX IF NOT EXISTS code_changes_codebook ON code_changes(codebook_id);
    CREATE TRIGGER IF NOT EXISTS code_changes_append_only_update BEFORE UPDATE ON code_changes
    BEGIN SELECT RAISE(ABORT, 'the code change history is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS code_changes_append_only_delete BEFORE DELETE ON code_changes
    BEGIN SELECT RAISE(ABORT, 'the code change history is append-only'); END;
    """,
    # 9: memos on the project, a document, a case, a code or a segment. A memo's texts are appended
    #    (an edit adds a revision), so an old text is never lost; a code memo follows its code's key.
    """
    CREATE TABLE IF NOT EXISTS memos (
        id          INTEGER PRIMARY KEY,
        about       TEXT NOT NULL CHECK (about IN ('project', 'document', 'case', 'code', 'segment')),
        document_id INTEGER REFERENCES documents(id),
        case_id     INTEGER REFERENCES cases(id),
        code_key    TEXT,
        segment_id  INTEGER REFERENCES segments(id),
        title       TEXT,
        author      TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CHECK ((about = 'document') = (document_id IS NOT NULL)),
        CHECK ((about = 'case') = (case_id IS NOT NULL)),
        CHECK ((about = 'code') = (code_key IS NOT NULL)),
        CHECK ((about = 'segment') = (segment_id IS NOT NULL))
    );
    CREATE INDEX IF NOT EXISTS memos_code ON memos(code_key) WHERE code_key IS NOT NULL;
    CREATE TABLE IF NOT EXISTS memo_texts (
        id         INTEGER PRIMARY KEY,
        memo_id    INTEGER NOT NULL REFERENCES memos(id),
        text       TEXT NOT NULL,
        author     TEXT NOT NULL,
        written_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX IF NOT EXISTS memo_texts_memo ON memo_texts(memo_id, id);
    CREATE TRIGGER IF NOT EXISTS memo_texts_append_only_update BEFORE UPDATE ON memo_texts
    BEGIN SELECT RAISE(ABORT, 'memo texts are kept; an edit appends a new revision'); END;
    CREATE TRIGGER IF NOT EXISTS memo_texts_append_only_delete BEFORE DELETE ON memo_texts
    BEGIN SELECT RAISE(ABORT, 'memo texts are kept; an edit appends a new revision'); END;
    """,
    # 10: full-text search over segment text. Contentless (the text is stored once, in documents):
    #    rowid is the segment id. unicode61 folds case and diacritics. Existing segments are indexed
    #    here; new ones as DocumentRepository.insert writes them.
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS segment_search USING fts5(
        text, content='', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO segment_search (rowid, text)
        SELECT s.id, substr(d.text, s.start + 1, s."end" - s.start)
        FROM segments s JOIN documents d ON d.id = s.document_id
        WHERE s.id NOT IN (SELECT rowid FROM segment_search_docsize);
    """,
    # 11: a model's weights can be deleted while its record stays (what it was trained on, its
    #     metrics), so the decisions and suggestions that name it keep their provenance.
    """
    ALTER TABLE models ADD COLUMN weights_deleted_at TEXT;
    """,
    # 12 (issue #18): a document can be removed from the corpus or replaced by a new ingest. One that
    #     carries decisions, coverage marks or memos is kept, marked removed, so the append-only log
    #     keeps every decision and the text it was about; every live view leaves it out. Its name is
    #     then free for the document that replaces it: names are unique among live documents only,
    #     which SQLite cannot change in place, so the table is rebuilt (ids kept) with foreign keys off.
    f"""
    {FOREIGN_KEYS_OFF}
    CREATE TABLE documents_rebuilt (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('transcript', 'document', 'survey')),
        unit          TEXT NOT NULL,
        source_path   TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        sha256        TEXT NOT NULL,
        reader        TEXT NOT NULL,
        text          TEXT NOT NULL,
        words         INTEGER NOT NULL,
        metadata      TEXT NOT NULL DEFAULT '{{}}',
        case_id       INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        ingested_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        removed_at    TEXT,                   -- NULL: in the corpus
        removal       TEXT CHECK (removal IN ('removed', 'replaced')),
        CHECK ((removed_at IS NULL) = (removal IS NULL))
    );
    INSERT INTO documents_rebuilt (id, name, kind, unit, source_path, source_sha256, sha256, reader, text, words,
                                   metadata, case_id, ingested_at)
        SELECT id, name, kind, unit, source_path, source_sha256, sha256, reader, text, words, metadata, case_id,
               ingested_at
        FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_rebuilt RENAME TO documents;
    CREATE UNIQUE INDEX documents_live_name ON documents(name) WHERE removed_at IS NULL;
    CREATE INDEX documents_source_sha256 ON documents(source_sha256);
    CREATE INDEX documents_case ON documents(case_id);
    CREATE INDEX documents_removed ON documents(id) WHERE removed_at IS NOT NULL;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                found.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        found.append(buffer.strip())
    return found
