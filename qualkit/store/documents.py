"""The corpus: documents with their text, segments, cases and attributes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

from qualkit.records import (
    Block,
    Case,
    CorpusCount,
    DocumentInfo,
    DocumentKind,
    DocumentUsage,
    Removal,
    RemovedDocument,
    Segment,
    SegmentRef,
    StoredVersion,
    Unit,
)
from qualkit.store.database import REMOVED_DOCUMENTS, Repository, chunks, placeholders

_UNITS = {unit.value: unit for unit in Unit}


class DocumentRepository(Repository):
    """Documents, their segments, and the cases and attributes they carry.

    A document removed from the corpus while decisions, coverage marks or memos were about it stays
    in the file, marked removed (see :meth:`remove`); everything here that lists, counts or pages
    documents and segments leaves it out. Lookups by id still find it.
    """

    # -- documents -------------------------------------------------------------------------

    def names_with_source(self, source_sha256: str) -> list[str]:
        """Documents ingested from a file with these bytes."""
        rows = self._conn.execute(
            "SELECT name FROM documents WHERE source_sha256 = ? AND removed_at IS NULL ORDER BY id", (source_sha256,)
        )
        return [row[0] for row in rows]

    def source_path(self, name: str) -> str | None:
        row = self._conn.execute(
            "SELECT source_path FROM documents WHERE name = ? AND removed_at IS NULL", (name,)
        ).fetchone()
        return row[0] if row else None

    def insert(
        self, *, name: str, kind: DocumentKind, unit: Unit, source_path: str, source_sha256: str, sha256: str,
        reader: str, text: str, words: int, metadata: Mapping[str, object], attributes: Mapping[str, str],
        segments: Iterable[Block], case_id: int | None = None,
    ) -> int:
        """Insert a document with its attributes and segments (and case), in one transaction."""
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO documents (name, kind, unit, source_path, source_sha256, sha256, "
                "reader, text, words, metadata, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, kind.value, unit.value, source_path, source_sha256, sha256, reader, text, words,
                 json.dumps(metadata, sort_keys=True), case_id),
            )
            document_id = int(cur.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO document_attributes (document_id, name, value) VALUES (?, ?, ?)",
                [(document_id, key, value) for key, value in attributes.items()],
            )
            self._conn.executemany(
                'INSERT INTO segments (document_id, ordinal, start, "end", unit, speaker, timestamp) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(document_id, ordinal, b.start, b.end, unit.value, b.speaker, b.timestamp)
                 for ordinal, b in enumerate(segments)],
            )
            # the search index (issue #20) learns the new segments in the same transaction
            self._conn.executemany(
                "INSERT INTO segment_search (rowid, text) VALUES (?, ?)",
                [(segment_id, text[start:end]) for segment_id, start, end in self._conn.execute(
                    'SELECT id, start, "end" FROM segments WHERE document_id = ? ORDER BY ordinal', (document_id,)
                ).fetchall()],
            )
        return document_id

    def names(self) -> list[str]:
        return [row[0] for row in self._conn.execute("SELECT name FROM documents WHERE removed_at IS NULL ORDER BY id")]

    def id_of(self, name: str) -> int | None:
        row = self._conn.execute("SELECT id FROM documents WHERE name = ? AND removed_at IS NULL", (name,)).fetchone()
        return int(row[0]) if row else None

    def text(self, document_id: int) -> str:
        return str(self._conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0])

    def infos(self) -> list[DocumentInfo]:
        """The documents in the corpus (not removed ones)."""
        return self._infos("WHERE d.removed_at IS NULL", ())

    def _infos(self, where: str, params: tuple[object, ...]) -> list[DocumentInfo]:
        rows = self._conn.execute(
            f"""
            SELECT d.id, d.name, d.kind, d.source_path, d.sha256, d.unit, d.words,
                   d.ingested_at, c.name AS case_name,
                   (SELECT COUNT(*) FROM segments s WHERE s.document_id = d.id) AS n_segments
            FROM documents d LEFT JOIN cases c ON c.id = d.case_id {where}
            ORDER BY d.id
            """,
            params,
        )
        return [
            DocumentInfo(
                id=r["id"], name=r["name"], kind=DocumentKind(r["kind"]), source_path=r["source_path"],
                sha256=r["sha256"], unit=Unit(r["unit"]), words=r["words"], segments=r["n_segments"],
                case=r["case_name"], ingested_at=r["ingested_at"],
            )
            for r in rows
        ]

    def info(self, document_id: int) -> DocumentInfo | None:
        """One document's record."""
        found = [d for d in self._infos("WHERE d.id = ?", (document_id,))]
        return found[0] if found else None

    def attributes(self) -> dict[int, dict[str, str]]:
        """document id → its own attributes (not its case's)."""
        attributes: dict[int, dict[str, str]] = {}
        for row in self._conn.execute("SELECT document_id, name, value FROM document_attributes ORDER BY name"):
            attributes.setdefault(row[0], {})[row[1]] = row[2]
        return attributes

    # -- segments --------------------------------------------------------------------------

    def segments(self, document_ids: Sequence[int] | None = None) -> Iterator[Segment]:
        """Segments in document and reading order, streamed a page at a time."""
        for page in self.segment_pages(document_ids):
            yield from page

    def count_segments(self, document_ids: Sequence[int] | None = None, *, up_to: int | None = None) -> int:
        """Segments (in these documents; with id at most ``up_to``)."""
        where: list[str] = [f"document_id NOT IN {REMOVED_DOCUMENTS}"]
        params: list[object] = []
        if document_ids is not None:
            where.append(f"document_id IN ({placeholders(document_ids)})")
            params += list(document_ids)
        if up_to is not None:
            where.append("id <= ?")
            params.append(up_to)
        query = f"SELECT COUNT(*) FROM segments WHERE {' AND '.join(where)}"
        return int(self._conn.execute(query, params).fetchone()[0])

    def segment_pages(
        self, document_ids: Sequence[int] | None = None, *, page_size: int = 2000, after: int = 0
    ) -> Iterator[list[Segment]]:
        """Segments in pages by id (after segment ``after``), each page a finished query, so
        writes may happen between pages.

        Segment ids follow (document, ordinal): a document's segments are written with it, in
        order, and never rewritten. Texts are cut from each document's text in Python: SQLite's
        substr walks UTF-8 from the start of the document for every segment, which grows with the
        square of a document's length.
        """
        texts: dict[int, str] = {}  # the page's documents (a long document spans pages: kept)
        while True:
            query = (
                'SELECT s.id, s.document_id, s.ordinal, s.start, s."end", s.unit, s.speaker, s.timestamp '
                f"FROM segments s WHERE s.id > ? AND s.document_id NOT IN {REMOVED_DOCUMENTS}"
            )
            params: tuple[object, ...] = (after,)
            if document_ids is not None:
                query += f" AND s.document_id IN ({placeholders(document_ids)})"
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
                    f"SELECT id, text FROM documents WHERE id IN ({placeholders(missing)})", missing
                ).fetchall())
            units = _UNITS  # a dict lookup: calling the enum costs more than the rest of a row
            yield [
                Segment(id_, document, ordinal, start, end, units[unit], texts[document][start:end], speaker, timestamp)
                for id_, document, ordinal, start, end, unit, speaker, timestamp in rows
            ]
            after = rows[-1][0]

    def segment(self, segment_id: int) -> Segment | None:
        """One segment, with its text."""
        page = next(self.segment_pages(None, page_size=1, after=segment_id - 1), None)
        return page[0] if page and page[0].id == segment_id else None

    def segments_by_id(self, segment_ids: Iterable[int]) -> dict[int, Segment]:
        """segment id → segment with its text, for any set of ids."""
        ids = list(segment_ids)
        out: dict[int, Segment] = {}
        for part in chunks(ids):
            for row in self._conn.execute(
                'SELECT s.id, s.document_id, s.ordinal, s.start, s."end", s.unit, s.speaker, s.timestamp, '
                'substr(d.text, s.start + 1, s."end" - s.start) FROM segments s '
                f"JOIN documents d ON d.id = s.document_id WHERE s.id IN ({placeholders(part)})",
                list(part),
            ):
                out[row[0]] = Segment(row[0], row[1], row[2], row[3], row[4], _UNITS[row[5]], row[8], row[6], row[7])
        return out

    def segment_refs(self, document_ids: Sequence[int] | None = None) -> list[SegmentRef]:
        """Every segment's id, document, number and speaker (no text), in reading order."""
        where, params = f"WHERE document_id NOT IN {REMOVED_DOCUMENTS}", tuple[int, ...]()
        if document_ids is not None:
            where, params = where + f" AND document_id IN ({placeholders(document_ids)})", tuple(document_ids)
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return [SegmentRef(*row) for row in cursor.execute(
            f"SELECT id, document_id, ordinal, speaker FROM segments {where} ORDER BY id", params
        )]

    def segment_id_at(self, document_id: int, ordinal: int) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM segments WHERE document_id = ? AND ordinal = ?", (document_id, ordinal)
        ).fetchone()
        return int(row[0]) if row else None

    def segment_covering(self, document_id: int, start: int, end: int) -> int | None:
        """The segment that overlaps a span most (a coding from elsewhere need not match one)."""
        row = self._conn.execute(
            'SELECT id FROM segments WHERE document_id = ? AND start < ? AND "end" > ? '
            'ORDER BY MIN("end", ?) - MAX(start, ?) DESC, ordinal LIMIT 1',
            (document_id, end, start, end, start),
        ).fetchone()
        return int(row[0]) if row else None

    def existing_segment_ids(self, segment_ids: Iterable[int]) -> set[int]:
        """Those of ``segment_ids`` that are segments of this project."""
        return self._db.existing_ids("segments", segment_ids)

    # -- cases -----------------------------------------------------------------------------

    def assign_cases(
        self, assignments: Iterable[tuple[str, str]], case_attributes: Mapping[str, Mapping[str, str]],
        document_attributes: Mapping[str, Mapping[str, str]],
    ) -> None:
        """Put documents (by name) into cases (by name) and set attributes, in one transaction."""
        assignments = list(assignments)
        with self._transaction():
            for case in sorted({case for _, case in assignments} | set(case_attributes)):
                self._conn.execute("INSERT OR IGNORE INTO cases (name) VALUES (?)", (case,))
            case_ids = {row[1]: row[0] for row in self._conn.execute("SELECT id, name FROM cases")}
            for document, case in assignments:
                self._conn.execute("UPDATE documents SET case_id = ? WHERE name = ? AND removed_at IS NULL",
                                   (case_ids[case], document))
            for case, attributes in case_attributes.items():
                self._conn.executemany(
                    "INSERT INTO case_attributes (case_id, name, value) VALUES (?, ?, ?) "
                    "ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value",
                    [(case_ids[case], key, value) for key, value in attributes.items()],
                )
            for document, attributes in document_attributes.items():
                self._conn.executemany(
                    "INSERT INTO document_attributes (document_id, name, value) "
                    "SELECT id, ?, ? FROM documents WHERE name = ? AND removed_at IS NULL "
                    "ON CONFLICT(document_id, name) DO UPDATE SET value = excluded.value",
                    [(key, value, document) for key, value in attributes.items()],
                )

    def case_id_of(self, name: str) -> int | None:
        row = self._conn.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def attribute_values(self) -> dict[str, list[str]]:
        """attribute name → every value a case or a document has for it, in the order they were first
        given (a cases file's order), for checking --where."""
        values: dict[str, list[str]] = {}
        for name, value in self._conn.execute(
            "SELECT name, value FROM (SELECT 0 AS part, rowid AS n, name, value FROM case_attributes "
            "UNION ALL SELECT 1, rowid, name, value FROM document_attributes "
            f"WHERE document_id NOT IN {REMOVED_DOCUMENTS}) ORDER BY part, n"
        ):
            found = values.setdefault(name, [])
            if value not in found:
                found.append(value)
        return values

    def speakers(self) -> list[str]:
        """Every speaker label of any segment, in the order first met (for the pseudonym key)."""
        rows = self._conn.execute(
            "SELECT speaker FROM segments WHERE speaker IS NOT NULL GROUP BY speaker ORDER BY MIN(id)")
        return [str(row[0]) for row in rows]

    def cases(self) -> list[Case]:
        """Every case with its attributes and number of documents, by name."""
        attributes: dict[int, dict[str, str]] = {}
        for row in self._conn.execute("SELECT case_id, name, value FROM case_attributes ORDER BY name"):
            attributes.setdefault(row[0], {})[row[1]] = row[2]
        rows = self._conn.execute(
            "SELECT c.id, c.name, (SELECT COUNT(*) FROM documents d WHERE d.case_id = c.id AND d.removed_at IS NULL) "
            "FROM cases c ORDER BY c.name"
        )
        return [Case(name=r[1], attributes=attributes.get(r[0], {}), documents=r[2]) for r in rows]

    # -- summaries -------------------------------------------------------------------------

    def count_by(self, column: str) -> list[CorpusCount]:
        """Documents, segments and words grouped by kind, unit or case."""
        group = {"kind": "d.kind", "unit": "d.unit", "case": "c.name"}[column]
        rows = self._conn.execute(
            f"""
            SELECT {group} AS value, COUNT(*) AS n_documents,
                   SUM((SELECT COUNT(*) FROM segments s WHERE s.document_id = d.id)),
                   SUM(d.words)
            FROM documents d LEFT JOIN cases c ON c.id = d.case_id
            WHERE d.removed_at IS NULL
            GROUP BY {group} ORDER BY {group}
            """
        )
        return [CorpusCount(r[0], r[1], r[2] or 0, r[3] or 0) for r in rows]

    # -- interviewers per document, speakers (issue #18) ------------------------------------

    def attribute_of_each(self, names: Sequence[str]) -> dict[int, str]:
        """document id -> its value of the attribute called one of ``names`` (any case): its own,
        else its case's; for documents in the corpus that have one."""
        folded = [name.casefold() for name in names]
        rows = self._conn.execute(
            f"""
            SELECT d.id, COALESCE(
                (SELECT value FROM document_attributes a WHERE a.document_id = d.id
                 AND lower(a.name) IN ({placeholders(folded)}) ORDER BY a.rowid LIMIT 1),
                (SELECT value FROM case_attributes a WHERE a.case_id = d.case_id
                 AND lower(a.name) IN ({placeholders(folded)}) ORDER BY a.rowid LIMIT 1))
            FROM documents d WHERE d.removed_at IS NULL
            """,
            [*folded, *folded],
        )
        return {row[0]: row[1] for row in rows if row[1]}

    def speaker_turns(self, document_ids: Sequence[int] | None = None) -> list[tuple[int, str, int]]:
        """(document id, speaker label, turns) of every labelled turn in transcripts of the corpus (in
        these documents), by document and label."""
        where = ""
        params: list[object] = []
        if document_ids is not None:
            where = f"AND s.document_id IN ({placeholders(document_ids)})"
            params = list(document_ids)
        return [(row[0], row[1], row[2]) for row in self._conn.execute(
            "SELECT s.document_id, s.speaker, COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id "
            f"WHERE s.speaker IS NOT NULL AND d.removed_at IS NULL AND d.kind = 'transcript' {where} "
            "GROUP BY s.document_id, s.speaker ORDER BY s.document_id, s.speaker",
            params,
        )]

    # -- removing documents (issue #18) -----------------------------------------------------

    def usage(self, document_id: int) -> DocumentUsage:
        """What a document carries, and the people's work about it that removing it would orphan."""
        segments = "SELECT id FROM segments WHERE document_id = :document"
        decisions = f"FROM decisions x JOIN suggestions g ON g.id = x.suggestion_id WHERE g.segment_id IN ({segments})"
        memos = f"FROM memos WHERE document_id = :document OR segment_id IN ({segments})"
        coverage = "FROM coverage WHERE document_id = :document"

        def one(query: str) -> int:
            return int(self._conn.execute(query, {"document": document_id}).fetchone()[0])

        people = self._conn.execute(
            f"SELECT x.reviewer {decisions} UNION SELECT reviewer {coverage} UNION SELECT author {memos}",
            {"document": document_id},
        )
        return DocumentUsage(
            name=str(self._conn.execute("SELECT name FROM documents WHERE id = ?", (document_id,)).fetchone()[0]),
            segments=one("SELECT COUNT(*) FROM segments WHERE document_id = :document"),
            suggestions=one(f"SELECT COUNT(*) FROM suggestions WHERE segment_id IN ({segments})"),
            decisions=one(f"SELECT COUNT(*) {decisions}"),
            reviewers=tuple(sorted({row[0] for row in people})),
            coverage_marks=one(f"SELECT COUNT(*) {coverage}"),
            memos=one(f"SELECT COUNT(*) {memos}"),
        )

    def versions(self, *, source_path: str, source_sha256: str, names: Iterable[str]) -> list[StoredVersion]:
        """The documents in the corpus a file brings a new version of: those read from the same path
        or the same bytes, and those with a name the file's documents take."""
        found: dict[int, StoredVersion] = {}
        query = (
            "SELECT d.id, d.name, d.kind, d.unit, d.sha256, d.case_id FROM documents d WHERE d.removed_at IS NULL AND "
        )
        rows = self._conn.execute(
            query + "(d.source_path = ? OR d.source_sha256 = ?)", (source_path, source_sha256)
        ).fetchall()
        for part in chunks(list(dict.fromkeys(names))):
            rows += self._conn.execute(query + f"d.name IN ({placeholders(part)})", list(part)).fetchall()
        for row in rows:
            found[row[0]] = StoredVersion(id=row[0], name=row[1], kind=DocumentKind(row[2]), unit=Unit(row[3]),
                                          sha256=row[4], case_id=row[5])
        return sorted(found.values(), key=lambda version: version.id)

    def ensure_case(self, name: str) -> int:
        """The id of the case called ``name``, made if it is new."""
        with self._transaction():
            self._conn.execute("INSERT OR IGNORE INTO cases (name) VALUES (?)", (name,))
            return int(self._conn.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()[0])

    def survey_attributes(self) -> dict[str, list[tuple[str, str]]]:
        """survey answer (document name) -> its own attributes (the respondent's columns), in the
        order the file gave them."""
        found: dict[str, list[tuple[str, str]]] = {}
        for name, attribute, value in self._conn.execute(
            "SELECT d.name, a.name, a.value FROM document_attributes a JOIN documents d ON d.id = a.document_id "
            "WHERE d.kind = 'survey' AND d.removed_at IS NULL ORDER BY a.document_id, a.rowid"
        ):
            found.setdefault(name, []).append((attribute, value))
        return found

    def own_attributes(self, document_id: int) -> dict[str, str]:
        """One document's own attributes (not its case's), in the order they were set."""
        return dict(self._conn.execute(
            "SELECT name, value FROM document_attributes WHERE document_id = ? ORDER BY rowid", (document_id,)
        ).fetchall())

    def refresh(self, document_id: int, *, source_path: str, source_sha256: str, metadata: Mapping[str, object],
                attributes: Mapping[str, str], case_id: int | None = None) -> None:
        """A document whose text a new version of its file left as it was: record where it now comes
        from (so that file is "already ingested" next time), the attributes (and case) the file gives."""
        with self._transaction():
            self._conn.execute(
                "UPDATE documents SET source_path = ?, source_sha256 = ?, metadata = ?, case_id = COALESCE(?, case_id) "
                "WHERE id = ?",
                (source_path, source_sha256, json.dumps(metadata, sort_keys=True), case_id, document_id),
            )
            self._conn.executemany(
                "INSERT INTO document_attributes (document_id, name, value) VALUES (?, ?, ?) "
                "ON CONFLICT(document_id, name) DO UPDATE SET value = excluded.value",
                [(document_id, key, value) for key, value in attributes.items()],
            )

    def remove(self, document_id: int, *, removal: Removal, keep: bool, removed_at: str) -> None:
        """Take a document out of the corpus: marked removed and kept (``keep``: the decisions,
        coverage marks and memos about it stay valid in the log), or deleted with its segments
        and suggestions. Either way the search index forgets its segments."""
        with self._transaction():
            text = self.text(document_id)
            indexed = self._conn.execute(
                'SELECT s.id, s.start, s."end" FROM segments s JOIN segment_search_docsize i ON i.id = s.id '
                "WHERE s.document_id = ?",
                (document_id,),
            ).fetchall()
            # a contentless index forgets a row when told the text it indexed
            self._conn.executemany(
                "INSERT INTO segment_search (segment_search, rowid, text) VALUES ('delete', ?, ?)",
                [(segment_id, text[start:end]) for segment_id, start, end in indexed],
            )
            if keep:
                self._conn.execute("UPDATE documents SET removed_at = ?, removal = ? WHERE id = ?",
                                   (removed_at, removal.value, document_id))
            else:
                self._conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    def removed(self) -> list[RemovedDocument]:
        """Documents taken out of the corpus but kept for the work about them, oldest first."""
        rows = self._conn.execute(
            "SELECT id, removal, removed_at FROM documents WHERE removed_at IS NOT NULL ORDER BY removed_at, id"
        ).fetchall()
        return [RemovedDocument(usage=self.usage(row[0]), removal=Removal(row[1]), kept=True, removed_at=row[2])
                for row in rows]
