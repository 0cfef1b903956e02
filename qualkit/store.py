"""The SQLite project file: schema, migrations and every SQL statement qualkit runs.

One file per project. WAL journal so readers never block the single writer; foreign keys on;
``PRAGMA user_version`` holds the schema version and :data:`MIGRATIONS` moves older files
forward, each migration in its own transaction.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from qualkit.errors import ProjectError
from qualkit.records import Block, DocumentInfo, DocumentKind, Segment, Unit

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
)

SCHEMA_VERSION = len(MIGRATIONS)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
    # what `transaction()` wraps and nothing commits behind our back.
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


_UNITS = {unit.value: unit for unit in Unit}


def utc_timestamp() -> str:
    """Now in UTC, as the schema's created_at defaults write it (2026-11-24T00:09:05Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def suggestion_row(suggestion) -> tuple:
    """(segment id, code, source, score, evidence JSON): a suggestion as the store writes it."""
    return suggestion.segment_id, suggestion.code, suggestion.source.value, suggestion.score, evidence_json(
        (e.start, e.end, e.pattern) for e in suggestion.evidence
    )


def evidence_json(spans: Iterable[tuple[int, int, str]]) -> str:
    """``json.dumps([[start, end, pattern], ...], ensure_ascii=False)`` for (start, end, pattern)
    spans, built from cached pattern strings: a run writes the same few hundred patterns hundreds
    of thousands of times."""
    return "[" + ", ".join(f"[{start}, {end}, {_json_string(pattern)}]" for start, end, pattern in spans) + "]"


@functools.lru_cache(maxsize=65536)
def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class Store:
    """An open project file. Use :meth:`create` or :meth:`open`; close with :meth:`close`."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self._conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike) -> Store:
        path = Path(path)
        if path.exists():
            raise ProjectError(f"{path} already exists; open it, or choose another file name")
        if not path.parent.exists():
            raise ProjectError(f"cannot create {path}: folder {path.parent} does not exist")
        conn = _connect(path)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        store = cls(conn, path)
        store._migrate()
        return store

    @classmethod
    def open(cls, path: str | os.PathLike) -> Store:
        path = Path(path)
        if not path.exists():
            raise ProjectError(
                f"no qualkit project at {path}; create one with `qualkit init` "
                f"(or `qualkit -p PATH init`), or point to one with --project/-p or QUALKIT_PROJECT"
            )
        try:
            conn = _connect(path)
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{path} is not a qualkit project ({exc})") from None
        if app_id != APPLICATION_ID:
            conn.close()
            raise ProjectError(
                f"{path} is not a qualkit project (it is not a file `qualkit init` made)"
            )
        store = cls(conn, path)
        store._migrate()
        return store

    def close(self) -> None:
        self._conn.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path} was written by a newer qualkit (schema {version}, this qualkit "
                f"knows up to {SCHEMA_VERSION}); upgrade qualkit to open it"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {number + 1}")

    # -- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: commit on success, roll back on any exception (or kill)."""
        if self._conn.in_transaction:
            # Nested use joins the outer transaction: the outer one decides.
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    # -- settings --------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- documents -------------------------------------------------------------------------

    def documents_with_source(self, source_sha256: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM documents WHERE source_sha256 = ? ORDER BY id", (source_sha256,)
        )
        return [row[0] for row in rows]

    def document_source(self, name: str) -> str | None:
        row = self._conn.execute(
            "SELECT source_path FROM documents WHERE name = ?", (name,)
        ).fetchone()
        return row[0] if row else None

    def insert_document(
        self,
        *,
        name: str,
        kind: DocumentKind,
        unit: Unit,
        source_path: str,
        source_sha256: str,
        sha256: str,
        reader: str,
        text: str,
        words: int,
        metadata: dict,
        attributes: dict[str, str],
        segments: Iterable[Block],
    ) -> int:
        """Insert a document with its attributes and segments, in one transaction."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO documents (name, kind, unit, source_path, source_sha256, sha256, "
                "reader, text, words, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name, kind.value, unit.value, source_path, source_sha256, sha256,
                    reader, text, words, json.dumps(metadata, sort_keys=True),
                ),
            )
            document_id = cur.lastrowid
            self._conn.executemany(
                "INSERT INTO document_attributes (document_id, name, value) VALUES (?, ?, ?)",
                [(document_id, key, value) for key, value in attributes.items()],
            )
            self._conn.executemany(
                'INSERT INTO segments (document_id, ordinal, start, "end", unit, speaker, '
                "timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (document_id, ordinal, b.start, b.end, unit.value, b.speaker, b.timestamp)
                    for ordinal, b in enumerate(segments)
                ],
            )
        return document_id

    def document_names(self) -> list[str]:
        return [row[0] for row in self._conn.execute("SELECT name FROM documents ORDER BY id")]

    def document_id(self, name: str) -> int | None:
        row = self._conn.execute("SELECT id FROM documents WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def document_text(self, document_id: int) -> str:
        return self._conn.execute(
            "SELECT text FROM documents WHERE id = ?", (document_id,)
        ).fetchone()[0]

    def documents(self) -> list[DocumentInfo]:
        rows = self._conn.execute(
            """
            SELECT d.id, d.name, d.kind, d.source_path, d.sha256, d.unit, d.words,
                   d.ingested_at, c.name AS case_name,
                   (SELECT COUNT(*) FROM segments s WHERE s.document_id = d.id) AS n_segments
            FROM documents d LEFT JOIN cases c ON c.id = d.case_id
            ORDER BY d.id
            """
        )
        return [
            DocumentInfo(
                id=r["id"], name=r["name"], kind=DocumentKind(r["kind"]),
                source_path=r["source_path"], sha256=r["sha256"], unit=Unit(r["unit"]),
                words=r["words"], segments=r["n_segments"], case=r["case_name"],
                ingested_at=r["ingested_at"],
            )
            for r in rows
        ]

    def document_attributes(self) -> dict[int, dict[str, str]]:
        attributes: dict[int, dict[str, str]] = {}
        for row in self._conn.execute(
            "SELECT document_id, name, value FROM document_attributes ORDER BY name"
        ):
            attributes.setdefault(row[0], {})[row[1]] = row[2]
        return attributes

    # -- segments --------------------------------------------------------------------------

    def segments(self, document_ids: Iterable[int] | None = None) -> Iterator[Segment]:
        """Segments in document and reading order, streamed a page at a time."""
        ids = None if document_ids is None else list(document_ids)
        for page in self.segment_pages(ids):
            yield from page

    # -- cases -----------------------------------------------------------------------------

    def assign_cases(
        self,
        assignments: Iterable[tuple[str, str]],
        case_attributes: dict[str, dict[str, str]],
        document_attributes: dict[str, dict[str, str]],
    ) -> None:
        """Put documents (by name) into cases (by name) and set attributes, in one transaction."""
        with self.transaction():
            for case in sorted({case for _, case in assignments} | set(case_attributes)):
                self._conn.execute("INSERT OR IGNORE INTO cases (name) VALUES (?)", (case,))
            case_ids = {
                row[1]: row[0] for row in self._conn.execute("SELECT id, name FROM cases")
            }
            for document, case in assignments:
                self._conn.execute(
                    "UPDATE documents SET case_id = ? WHERE name = ?", (case_ids[case], document)
                )
            for case, attributes in case_attributes.items():
                self._conn.executemany(
                    "INSERT INTO case_attributes (case_id, name, value) VALUES (?, ?, ?) "
                    "ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value",
                    [(case_ids[case], key, value) for key, value in attributes.items()],
                )
            for document, attributes in document_attributes.items():
                self._conn.executemany(
                    "INSERT INTO document_attributes (document_id, name, value) "
                    "SELECT id, ?, ? FROM documents WHERE name = ? "
                    "ON CONFLICT(document_id, name) DO UPDATE SET value = excluded.value",
                    [(key, value, document) for key, value in attributes.items()],
                )

    def cases(self) -> list[tuple[str, dict[str, str], int]]:
        """(case name, attributes, number of documents) for every case."""
        attributes: dict[int, dict[str, str]] = {}
        for row in self._conn.execute(
            "SELECT case_id, name, value FROM case_attributes ORDER BY name"
        ):
            attributes.setdefault(row[0], {})[row[1]] = row[2]
        rows = self._conn.execute(
            "SELECT c.id, c.name, (SELECT COUNT(*) FROM documents d WHERE d.case_id = c.id) "
            "FROM cases c ORDER BY c.name"
        )
        return [(r[1], attributes.get(r[0], {}), r[2]) for r in rows]

    # -- summaries -------------------------------------------------------------------------

    def count_by(self, column: str) -> list[tuple[str | None, int, int, int]]:
        """(value, documents, segments, words) grouped by a documents column or the case."""
        group = {
            "kind": "d.kind", "unit": "d.unit", "case": "c.name",
        }[column]
        rows = self._conn.execute(
            f"""
            SELECT {group} AS value, COUNT(*) AS n_documents,
                   SUM((SELECT COUNT(*) FROM segments s WHERE s.document_id = d.id)),
                   SUM(d.words)
            FROM documents d LEFT JOIN cases c ON c.id = d.case_id
            GROUP BY {group} ORDER BY {group}
            """
        )
        return [(r[0], r[1], r[2] or 0, r[3] or 0) for r in rows]

    # -- codebooks -------------------------------------------------------------------------

    def save_codebook(self, codebook) -> tuple[int, bool]:
        """Store a codebook version with its codes; (id, False) if this content is already there."""
        row = self._conn.execute(
            "SELECT id FROM codebooks WHERE sha256 = ?", (codebook.sha256,)
        ).fetchone()
        if row:
            return row[0], False
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO codebooks (name, version, sha256, source_path, source) VALUES (?, ?, ?, ?, ?)",
                (codebook.name, str(codebook.version), codebook.sha256, codebook.path, codebook.source),
            )
            codebook_id = cur.lastrowid
            self._conn.executemany(
                "INSERT INTO codes (codebook_id, ordinal, key, name, parent_key, stage, codable, "
                "definition, color, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        codebook_id, ordinal, code.key, code.name, code.parent, code.stage,
                        int(code.codable), code.definition, code.color,
                        json.dumps(
                            {
                                "include": code.include, "exclude": code.exclude,
                                "examples": code.examples,
                                "patterns": [p.label for p in code.patterns],
                                "exclude_patterns": [p.label for p in code.exclude_patterns],
                            },
                            ensure_ascii=False,
                        ),
                    )
                    for ordinal, code in enumerate(codebook.codes)
                ],
            )
        return codebook_id, True

    def codebooks(self) -> list[sqlite3.Row]:
        """Every stored codebook version, oldest first, with its number of codes."""
        return list(
            self._conn.execute(
                "SELECT b.id, b.name, b.version, b.sha256, b.source_path, b.loaded_at, "
                "(SELECT COUNT(*) FROM codes c WHERE c.codebook_id = b.id) AS n_codes, "
                "(SELECT COUNT(*) FROM suggestions s WHERE s.codebook_id = b.id) AS n_suggestions "
                "FROM codebooks b ORDER BY b.id"
            )
        )

    def codebook_source(self, codebook_id: int) -> tuple[str, str]:
        row = self._conn.execute(
            "SELECT source, source_path FROM codebooks WHERE id = ?", (codebook_id,)
        ).fetchone()
        return row[0], row[1]

    # -- suggestions -----------------------------------------------------------------------

    def count_segments(self, document_ids: list[int] | None = None, *, up_to: int | None = None) -> int:
        """Segments (in these documents; with id at most ``up_to``)."""
        where, params = [], []
        if document_ids is not None:
            where.append(f"document_id IN ({','.join('?' * len(document_ids))})")
            params += document_ids
        if up_to is not None:
            where.append("id <= ?")
            params.append(up_to)
        query = "SELECT COUNT(*) FROM segments" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self._conn.execute(query, params).fetchone()[0]

    def segment_pages(
        self, document_ids: list[int] | None = None, *, page_size: int = 2000, after: int = 0
    ) -> Iterator[list[Segment]]:
        """Segments in pages by id (after segment ``after``), each page a finished query, so
        writes may happen between pages.

        Texts are cut from each document's text in Python: SQLite's substr walks UTF-8 from the
        start of the document for every segment, which grows with the square of a document's length.
        """
        texts: dict[int, str] = {}  # the page's documents (a long document spans pages: kept)
        while True:
            query = (
                'SELECT s.id, s.document_id, s.ordinal, s.start, s."end", s.unit, s.speaker, s.timestamp '
                "FROM segments s WHERE s.id > ?"
            )
            params: tuple = (after,)
            if document_ids is not None:
                query += f" AND s.document_id IN ({','.join('?' * len(document_ids))})"
                params += tuple(document_ids)
            query += " ORDER BY s.id LIMIT ?"
            cursor = self._conn.cursor()
            cursor.row_factory = None  # plain tuples: a sqlite3.Row per segment costs more than the slice
            rows = cursor.execute(query, (*params, page_size)).fetchall()
            if not rows:
                return
            wanted = {r[1] for r in rows}
            texts = {key: text for key, text in texts.items() if key in wanted}
            missing = sorted(wanted - set(texts))
            if missing:
                texts.update(self._conn.execute(
                    f"SELECT id, text FROM documents WHERE id IN ({','.join('?' * len(missing))})", missing
                ).fetchall())
            units = _UNITS  # a dict lookup: calling the enum costs more than the rest of a row
            yield [
                Segment(id_, document, ordinal, start, end, units[unit], texts[document][start:end], speaker, timestamp)
                for id_, document, ordinal, start, end, unit, speaker, timestamp in rows
            ]
            after = rows[-1][0]

    def insert_suggestions(self, suggestions: Iterable, *, codebook_id: int, run_id: int | None,
                           model_version: str | None = None) -> int:
        """Insert suggestions not already there (same segment, code, source); returns how many were new."""
        return self.insert_suggestion_rows(
            map(suggestion_row, suggestions), codebook_id=codebook_id, run_id=run_id, model_version=model_version
        )

    def insert_suggestion_rows(self, rows: Iterable[tuple], *, codebook_id: int, run_id: int | None,
                               model_version: str | None = None) -> int:
        """:meth:`insert_suggestions` for rows made by :func:`suggestion_row` (what workers send back:
        plain tuples unpickle ~100x faster than records)."""
        with self.transaction():
            # created_at is given, not left to the column's default: SQLite's strftime('now') per
            # row was a fifth of the cost of inserting a run's suggestions
            now = utc_timestamp()
            cur = self._conn.executemany(
                "INSERT OR IGNORE INTO suggestions (segment_id, code_key, source, score, evidence, "
                "codebook_id, run_id, model_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row, codebook_id, run_id, model_version, now) for row in rows],
            )
        return cur.rowcount

    def suggestion_rows(
        self, *, codes: Iterable[str] | None = None, document_ids: Iterable[int] | None = None
    ) -> Iterator[sqlite3.Row]:
        """Suggestions joined with their segment, document and case, in document order.

        Rows stream from the database (a million suggestions need not fit in memory); a
        code filter matches the code and everything under it ("culture" → "culture.trust").
        """
        query = """
            SELECT g.id, d.name AS document, c.name AS case_name, s.ordinal AS segment,
                   COALESCE(g.span_start, s.start) AS start, COALESCE(g.span_end, s."end") AS "end",
                   s.speaker, s.timestamp, g.code_key AS code, g.source,
                   g.score, g.evidence, g.codebook_id, g.created_at,
                   substr(d.text, COALESCE(g.span_start, s.start) + 1,
                          COALESCE(g.span_end, s."end") - COALESCE(g.span_start, s.start)) AS text
            FROM suggestions g
            JOIN segments s ON s.id = g.segment_id
            JOIN documents d ON d.id = s.document_id
            LEFT JOIN cases c ON c.id = d.case_id
        """
        where, params = self._pending_filter(None, codes, document_ids, None, ())  # the review queue's filter
        query += where
        # segment ids follow (document, ordinal), so this order walks the suggestions' unique index
        query += " ORDER BY g.segment_id, g.code_key, g.source"
        return self._conn.execute(query, params)

    # -- decisions -------------------------------------------------------------------------

    def suggestion_ids_existing(self, ids: Iterable[int]) -> set[int]:
        return self._existing_ids("suggestions", ids)

    def _existing_ids(self, table: str, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` that are rows of ``table`` (asked 500 at a time: SQLite caps parameters)."""
        ids = list(ids)
        found: set[int] = set()
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            query = f"SELECT id FROM {table} WHERE id IN ({','.join('?' * len(part))})"
            found.update(row[0] for row in self._conn.execute(query, part))
        return found

    def suggestion(self, suggestion_id: int) -> sqlite3.Row | None:
        return self._conn.execute(
            "SELECT g.*, s.document_id, s.ordinal FROM suggestions g "
            "JOIN segments s ON s.id = g.segment_id WHERE g.id = ?",
            (suggestion_id,),
        ).fetchone()

    def find_suggestion(self, segment_id: int, code: str, source: str | None = None) -> sqlite3.Row | None:
        query = "SELECT * FROM suggestions WHERE segment_id = ? AND code_key = ?"
        params: list = [segment_id, code]
        if source:
            query += " AND source = ?"
            params.append(source)
        return self._conn.execute(query + " ORDER BY id LIMIT 1", params).fetchone()

    def segment_id_at(self, document_id: int, ordinal: int) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM segments WHERE document_id = ? AND ordinal = ?", (document_id, ordinal)
        ).fetchone()
        return row[0] if row else None

    def add_manual_suggestion(self, segment_id: int, code: str, codebook_id: int) -> int:
        """The 'manual' suggestion a hand-added code hangs its decisions on (made once)."""
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO suggestions (segment_id, code_key, source, score, evidence, "
                "codebook_id) VALUES (?, ?, 'manual', 1.0, '[]', ?)",
                (segment_id, code, codebook_id),
            )
            return self.find_suggestion(segment_id, code, "manual")["id"]

    def insert_decision(
        self, *, suggestion_id: int, reviewer: str, verdict: str, note: str | None = None,
        via: str = "review", reverses: int | None = None,
    ) -> int:
        """Append one decision, recording what the reviewer saw (source, score, codebook, model)."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO decisions (suggestion_id, reviewer, verdict, reverses, note, via, "
                "seen_source, seen_score, seen_codebook_id, seen_model_version) "
                "SELECT id, ?, ?, ?, ?, ?, source, score, codebook_id, model_version "
                "FROM suggestions WHERE id = ?",
                (reviewer, verdict, reverses, note, via, suggestion_id),
            )
            if cur.rowcount != 1:
                raise KeyError(suggestion_id)
            return cur.lastrowid

    def decisions(
        self, *, reviewer: str | None = None, suggestion_ids: Iterable[int] | None = None
    ) -> list[sqlite3.Row]:
        query, params = "SELECT * FROM decisions", []
        where = []
        if reviewer is not None:
            where.append("reviewer = ?")
            params.append(reviewer)
        if suggestion_ids is not None:
            ids = list(suggestion_ids)
            where.append(f"suggestion_id IN ({','.join('?' * len(ids))})")
            params += ids
        if where:
            query += " WHERE " + " AND ".join(where)
        return list(self._conn.execute(query + " ORDER BY id", params))

    def decision_notes(self) -> list[sqlite3.Row]:
        """Notes reviewers left on decisions, with where the suggestion sits."""
        return list(self._conn.execute(
            'SELECT x.id, x.reviewer, x.note, g.code_key, d.name AS document, '
            'COALESCE(g.span_start, s.start) AS start, COALESCE(g.span_end, s."end") AS "end" '
            "FROM decisions x JOIN suggestions g ON g.id = x.suggestion_id "
            "JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id "
            "WHERE x.note IS NOT NULL AND x.note != '' ORDER BY x.id"
        ))

    def segment_covering(self, document_id: int, start: int, end: int) -> int | None:
        """The segment that overlaps a span most (a coding from elsewhere need not match one)."""
        row = self._conn.execute(
            'SELECT id FROM segments WHERE document_id = ? AND start < ? AND "end" > ? '
            'ORDER BY MIN("end", ?) - MAX(start, ?) DESC, ordinal LIMIT 1',
            (document_id, end, start, end, start),
        ).fetchone()
        return row[0] if row else None

    def add_imported_suggestion(self, segment_id: int, code: str, codebook_id: int, *, span_start: int,
                                span_end: int) -> int:
        """A human coding from another program: source 'manual', with its own span."""
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO suggestions (segment_id, code_key, source, score, evidence, codebook_id, "
                "span_start, span_end) VALUES (?, ?, 'manual', 1.0, '[]', ?, ?, ?)",
                (segment_id, code, codebook_id, span_start, span_end),
            )
            return self.find_suggestion(segment_id, code, "manual")["id"]

    def decided_at(self) -> dict[int, str]:
        """suggestion id → when its latest decision was made."""
        return dict(self._conn.execute("SELECT suggestion_id, MAX(decided_at) FROM decisions GROUP BY suggestion_id"))

    def reviewers(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT reviewer FROM decisions ORDER BY reviewer")]

    def last_decision_in_force(self, reviewer: str) -> sqlite3.Row | None:
        """The reviewer's most recent accept/reject that no undo has reversed."""
        return self._conn.execute(
            "SELECT * FROM decisions d WHERE d.reviewer = ? AND d.verdict != 'undo' "
            "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = d.id) "
            "ORDER BY d.id DESC LIMIT 1",
            (reviewer,),
        ).fetchone()

    _IN_FORCE = (
        "SELECT 1 FROM decisions x WHERE x.suggestion_id = g.id AND x.reviewer = ? "
        "AND x.verdict != 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = x.id)"
    )
    # Segment ids follow (document, ordinal): a document's segments are written with it, in
    # order, and never rewritten. Each order matches an index (migrations 2 and 5) exactly.
    _ORDERS = {
        "document": "g.segment_id, g.code_key, g.source",
        "score": "g.score DESC, g.segment_id, g.code_key, g.source",
        "uncertainty": "ABS(g.score - 0.5), g.segment_id, g.code_key, g.source",
    }

    def _pending_filter(self, reviewer, codes, document_ids, case, exclude, *, code_index: bool = True
                        ) -> tuple[str, list]:
        # reviewer None: every suggestion in the filter, decided or not
        where = f"WHERE NOT EXISTS ({self._IN_FORCE})" if reviewer is not None else "WHERE 1"
        params: list = [reviewer] if reviewer is not None else []
        if codes:
            clause, code_params = _codes_under(codes, use_index=code_index)
            where += " AND " + clause
            params += code_params
        if document_ids is not None:
            ids = list(document_ids)
            where += f" AND s.document_id IN ({','.join('?' * len(ids))})"
            params += ids
        if case is not None:
            where += " AND c.name = ?"
            params.append(case)
        excluded = list(exclude)
        if excluded:
            where += f" AND g.id NOT IN ({','.join('?' * len(excluded))})"
            params += excluded
        return where, params

    _PENDING_FROM = (
        "FROM suggestions g JOIN segments s ON s.id = g.segment_id "
        "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
    )

    def pending_suggestions(
        self, reviewer: str, *, codes: Iterable[str] | None = None,
        document_ids: Iterable[int] | None = None, case: str | None = None,
        order: str = "document", limit: int | None = None, exclude: Iterable[int] = (), only: int | None = None,
    ) -> list[sqlite3.Row]:
        """Suggestions the reviewer has no decision in force on, in review order (``only``: just
        this suggestion, if it is pending)."""
        # The next item is found by walking the order's index and skipping what the filter leaves
        # out; letting SQLite pick the code index instead would fetch and sort the whole code.
        where, params = self._pending_filter(reviewer, codes, document_ids, case, exclude, code_index=False)
        if only is not None:
            where += " AND g.id = ?"
            params.append(only)
        query = (
            'SELECT g.id, g.segment_id, g.code_key, g.source, g.score, g.evidence, g.codebook_id, '
            'g.model_version, s.document_id, s.ordinal, s.start, s."end", s.speaker, s.timestamp, '
            'd.name AS document, c.name AS case_name, '
            'substr(d.text, s.start + 1, s."end" - s.start) AS text '
            + self._PENDING_FROM + where + f" ORDER BY {self._ORDERS[order]}"
        )
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        return list(self._conn.execute(query, params))

    def count_pending(
        self, reviewer: str | None, *, codes: Iterable[str] | None = None,
        document_ids: Iterable[int] | None = None, case: str | None = None, exclude: Iterable[int] = (),
    ) -> int:
        """Suggestions in the filter the reviewer has no decision in force on (all, for None)."""
        total = self.count_in_filter(codes=codes, document_ids=document_ids, case=case, exclude=exclude)
        if reviewer is None:
            return total
        return total - self.count_decided(reviewer, codes=codes, document_ids=document_ids, case=case,
                                          exclude=exclude)

    def count_in_filter(
        self, *, codes: Iterable[str] | None = None, document_ids: Iterable[int] | None = None,
        case: str | None = None, exclude: Iterable[int] = (),
    ) -> int:
        """Suggestions in the filter, decided or not; joins only the tables the filter needs."""
        where, params = self._pending_filter(None, codes, document_ids, case, exclude)
        if case is not None:
            tables = self._PENDING_FROM
        elif document_ids is not None:
            tables = "FROM suggestions g JOIN segments s ON s.id = g.segment_id "
        else:
            tables = "FROM suggestions g "
        return self._conn.execute("SELECT COUNT(*) " + tables + where, params).fetchone()[0]

    def count_decided(
        self, reviewer: str, *, codes: Iterable[str] | None = None, document_ids: Iterable[int] | None = None,
        case: str | None = None, exclude: Iterable[int] = (),
    ) -> int:
        """Suggestions in the filter the reviewer has a decision in force on. Walks the reviewer's
        decisions, not the suggestions, so it costs what the reviewer has done, not the queue size."""
        where, params = self._pending_filter(None, codes, document_ids, case, exclude)
        query = (
            "SELECT COUNT(DISTINCT x.suggestion_id) FROM decisions x "
            "JOIN suggestions g ON g.id = x.suggestion_id JOIN segments s ON s.id = g.segment_id "
            "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
            + where + " AND x.reviewer = ? AND x.verdict != 'undo' "
            "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = x.id)"
        )
        return self._conn.execute(query, [*params, reviewer]).fetchone()[0]

    def neighbours(self, document_id: int, ordinal: int, *, before: int = 1, after: int = 1) -> list[sqlite3.Row]:
        """Segments around one, for context (interviewer turns included)."""
        return list(
            self._conn.execute(
                'SELECT s.ordinal, s.speaker, substr(d.text, s.start + 1, s."end" - s.start) AS text '
                "FROM segments s JOIN documents d ON d.id = s.document_id "
                "WHERE s.document_id = ? AND s.ordinal BETWEEN ? AND ? ORDER BY s.ordinal",
                (document_id, ordinal - before, ordinal + after),
            )
        )

    # -- models ----------------------------------------------------------------------------

    def suggestion_units(self, source: str | None = None) -> list[tuple[int, int, int, str]]:
        """(suggestion, segment, document, code) for every suggestion (of one source, if given)."""
        where, params = ("WHERE g.source = ?", (source,)) if source else ("", ())
        return [
            tuple(row) for row in self._conn.execute(
                "SELECT g.id, g.segment_id, s.document_id, g.code_key FROM suggestions g "
                f"JOIN segments s ON s.id = g.segment_id {where} ORDER BY g.id",
                params,
            )
        ]

    def existing_segment_ids(self, segment_ids: Iterable[int]) -> set[int]:
        """Those of ``segment_ids`` that are segments of this project."""
        return self._existing_ids("segments", segment_ids)

    def segment_texts(self, segment_ids: Iterable[int]) -> dict[int, tuple[int, int, str]]:
        """segment id → (document, ordinal, text)."""
        ids = list(segment_ids)
        out: dict[int, tuple[int, int, str]] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for row in self._conn.execute(
                'SELECT s.id, s.document_id, s.ordinal, substr(d.text, s.start + 1, s."end" - s.start) '
                f"FROM segments s JOIN documents d ON d.id = s.document_id WHERE s.id IN ({','.join('?' * len(part))})",
                part,
            ):
                out[row[0]] = (row[1], row[2], row[3])
        return out

    def save_model(self, *, codebook_id: int, trained_on: str, training_size: int, metrics: dict,
                   parameters: dict, library: str, estimator: bytes) -> int:
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO models (codebook_id, trained_on, training_size, metrics, parameters, library, "
                "estimator) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (codebook_id, trained_on, training_size, json.dumps(metrics), json.dumps(parameters),
                 library, estimator),
            )
        return cur.lastrowid

    def latest_model(self) -> sqlite3.Row | None:
        return self._conn.execute("SELECT * FROM models ORDER BY id DESC LIMIT 1").fetchone()

    def upsert_model_suggestions(self, suggestions: Iterable, *, codebook_id: int, run_id: int,
                                 model_version: str) -> int:
        """Add model suggestions; returns how many were new.

        An undecided model suggestion gets the newest model's score, so review order follows the
        latest model; a decided one is left as it was seen. A (segment, code) already proposed by
        rules or added by hand is not proposed again.
        """
        return self.upsert_model_rows(
            map(suggestion_row, suggestions), codebook_id=codebook_id, run_id=run_id, model_version=model_version
        )

    def upsert_model_rows(self, rows: Iterable[tuple], *, codebook_id: int, run_id: int, model_version: str) -> int:
        """:meth:`upsert_model_suggestions` for rows made by :func:`suggestion_row`; what is already
        there is looked up for all rows at once, and written with one UPDATE and one INSERT batch."""
        rows = list(rows)
        existing: dict[tuple[int, str], list[tuple[int, str]]] = {}
        by_code: dict[str, list[int]] = {}
        for segment_id, code, *_ in rows:
            by_code.setdefault(code, []).append(segment_id)
        for code, segment_ids in by_code.items():
            for chunk in range(0, len(segment_ids), 500):
                part = segment_ids[chunk:chunk + 500]
                for row in self._conn.execute(
                    "SELECT id, segment_id, source FROM suggestions "
                    f"WHERE code_key = ? AND segment_id IN ({','.join('?' * len(part))})",
                    [code, *part],
                ):
                    existing.setdefault((row["segment_id"], code), []).append((row["id"], row["source"]))
        updates, inserts = [], []
        for segment_id, code, _, score, evidence in rows:
            there = existing.get((segment_id, code), [])
            if any(source != "model" for _, source in there):
                continue  # proposed by rules or added by hand: the model does not propose it again
            if there:
                suggestion_id = there[0][0]
                updates.append((score, evidence, model_version, run_id, suggestion_id, suggestion_id))
            else:
                inserts.append((segment_id, code, score, evidence, codebook_id, run_id, model_version))
        with self.transaction():
            self._conn.executemany(
                "UPDATE suggestions SET score = ?, evidence = ?, model_version = ?, run_id = ? "
                "WHERE id = ? AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.suggestion_id = ?)",
                updates,
            )
            now = utc_timestamp()
            self._conn.executemany(
                "INSERT INTO suggestions (segment_id, code_key, source, score, evidence, codebook_id, run_id, "
                "model_version, created_at) VALUES (?, ?, 'model', ?, ?, ?, ?, ?, ?)",
                [(*row, now) for row in inserts],
            )
        return len(inserts)

    # -- runs ------------------------------------------------------------------------------

    def record_run(
        self, *, command: str, parameters: dict, counts: dict, started_at: str, finished_at: str
    ) -> int:
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (command, parameters, counts, started_at, finished_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    command, json.dumps(parameters, sort_keys=True, default=str),
                    json.dumps(counts, sort_keys=True), started_at, finished_at,
                ),
            )
        return cur.lastrowid

    def start_run(self, *, command: str, parameters: dict, started_at: str) -> int:
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (command, parameters, started_at) VALUES (?, ?, ?)",
                (command, json.dumps(parameters, sort_keys=True, default=str), started_at),
            )
        return cur.lastrowid

    def finish_run(self, run_id: int, *, counts: dict, finished_at: str) -> None:
        with self.transaction():
            self._conn.execute(
                "UPDATE runs SET counts = ?, finished_at = ? WHERE id = ?",
                (json.dumps(counts, sort_keys=True), finished_at, run_id),
            )

    def update_run_counts(self, run_id: int, counts: dict) -> None:
        """Progress of an unfinished run (joins the caller's transaction, so it commits with the page)."""
        with self.transaction():
            self._conn.execute("UPDATE runs SET counts = ? WHERE id = ?", (json.dumps(counts, sort_keys=True), run_id))

    def unfinished_run(self, command: str, parameters: dict) -> sqlite3.Row | None:
        """The latest run of ``command`` with these parameters that never finished (it was killed)."""
        row = self._conn.execute(
            "SELECT * FROM runs WHERE command = ? ORDER BY id DESC LIMIT 1", (command,)
        ).fetchone()
        same = row and row["parameters"] == json.dumps(parameters, sort_keys=True, default=str)
        if same and row["finished_at"] is None:
            return row
        return None

    def runs(self) -> list[sqlite3.Row]:
        return list(self._conn.execute("SELECT * FROM runs ORDER BY id"))


def _codes_under(codes: Iterable[str], *, use_index: bool = True) -> tuple[str, list]:
    """SQL for "suggestion g's code is one of ``codes`` or under one" ("culture" → "culture.trust").
    ``use_index=False`` keeps SQLite off the code index (a unary + on the column)."""
    codes = list(codes)
    column = "g.code_key" if use_index else "+g.code_key"
    # "under culture" is the key range ["culture.", "culture/"): '/' follows '.' in code point
    # order, so the range is exactly the keys starting "culture.", and SQLite can walk an index.
    clause = "(" + " OR ".join(f"{column} = ? OR ({column} >= ? AND {column} < ?)" for _ in codes) + ")"
    return clause, [value for code in codes for value in (code, code + ".", code + "/")]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
