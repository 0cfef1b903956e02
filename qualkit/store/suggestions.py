"""Suggestions: what rules, models and people proposed, one per (segment, code, source)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence

from qualkit.records import Source, StoredSuggestion, Suggestion, SuggestionUnit, SuggestionView
from qualkit.store.database import (
    REMOVED_DOCUMENTS,
    REMOVED_SEGMENTS,
    Repository,
    chunks,
    evidence_json,
    parse_evidence,
    placeholders,
    utc_timestamp,
)

#: (segment id, code, source, score, evidence JSON): a suggestion as the store writes it.
SuggestionRow = tuple[int, str, str, float, str]

_SOURCES = {source.value: source for source in Source}


def suggestion_row(suggestion: Suggestion) -> SuggestionRow:
    """A suggestion record as the row the store writes (and workers send back)."""
    return (
        suggestion.segment_id, suggestion.code, suggestion.source.value, suggestion.score,
        evidence_json((e.start, e.end, e.pattern) for e in suggestion.evidence),
    )


def codes_under(codes: Iterable[str], *, use_index: bool = True) -> tuple[str, list[str]]:
    """SQL for "suggestion g's code is one of ``codes`` or under one" ("culture" → "culture.trust").
    ``use_index=False`` keeps SQLite off the code index (a unary + on the column)."""
    codes = list(codes)
    column = "g.code_key" if use_index else "+g.code_key"
    # "under culture" is the key range ["culture.", "culture/"): '/' follows '.' in code point
    # order, so the range is exactly the keys starting "culture.", and SQLite can walk an index.
    clause = "(" + " OR ".join(f"{column} = ? OR ({column} >= ? AND {column} < ?)" for _ in codes) + ")"
    return clause, [value for code in codes for value in (code, code + ".", code + "/")]


#: The most ids a query names in one IN list (SQLite allows 32,766 variables since 3.32).
_MAX_IDS_IN_QUERY = 30_000

_STORED = (
    'SELECT g.id, g.segment_id, s.document_id, s.ordinal, g.code_key, g.source, g.score, g.evidence, '
    'g.codebook_id, g.model_version, g.run_id, COALESCE(g.span_start, s.start), COALESCE(g.span_end, s."end") '
    "FROM suggestions g JOIN segments s ON s.id = g.segment_id "
)


def _stored(row: sqlite3.Row | tuple) -> StoredSuggestion:
    return StoredSuggestion(
        id=row[0], segment_id=row[1], document_id=row[2], ordinal=row[3], code=row[4], source=_SOURCES[row[5]],
        score=row[6], evidence=parse_evidence(row[7]), codebook_id=row[8], model_version=row[9], run_id=row[10],
        start=row[11], end=row[12],
    )


class SuggestionRepository(Repository):
    # -- writing ---------------------------------------------------------------------------

    def insert_rows(self, rows: Iterable[SuggestionRow], *, codebook_id: int, run_id: int | None,
                    model_version: str | None = None) -> int:
        """Insert suggestion rows not already there (same segment, code, source); returns how many were new.
        Rows, not records: what workers send back (plain tuples unpickle ~100x faster than records)."""
        with self._transaction():
            # created_at is given, not left to the column's default: SQLite's strftime('now') per
            # row was a fifth of the cost of inserting a run's suggestions
            now = utc_timestamp()
            cur = self._conn.executemany(
                "INSERT OR IGNORE INTO suggestions (segment_id, code_key, source, score, evidence, "
                "codebook_id, run_id, model_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row, codebook_id, run_id, model_version, now) for row in rows],
            )
        return cur.rowcount

    def upsert_model_rows(self, rows: Iterable[SuggestionRow], *, codebook_id: int, run_id: int,
                          model_version: str) -> int:
        """Add model suggestions; returns how many were new.

        An undecided model suggestion gets the newest model's score, so review order follows the
        latest model; a decided one is left as it was seen. A (segment, code) already proposed by
        rules or added by hand is not proposed again. What is already there is looked up for all
        rows at once, and written with one UPDATE and one INSERT batch.
        """
        rows = list(rows)
        existing: dict[tuple[int, str], list[tuple[int, str]]] = {}
        by_code: dict[str, list[int]] = {}
        for segment_id, code, *_ in rows:
            by_code.setdefault(code, []).append(segment_id)
        for code, segment_ids in by_code.items():
            for part in chunks(segment_ids):
                for row in self._conn.execute(
                    f"SELECT id, segment_id, source FROM suggestions WHERE code_key = ? AND merged_into IS NULL "
                    f"AND segment_id IN ({placeholders(part)})",
                    [code, *part],
                ):
                    existing.setdefault((row[1], code), []).append((row[0], row[2]))
        updates, inserts = [], []
        for segment_id, code, _, score, evidence in rows:
            there = existing.get((segment_id, code), [])
            if any(source != Source.MODEL.value for _, source in there):
                continue  # proposed by rules or added by hand: the model does not propose it again
            if there:
                suggestion_id = there[0][0]
                updates.append((score, evidence, model_version, run_id, suggestion_id, suggestion_id))
            else:
                inserts.append((segment_id, code, score, evidence, codebook_id, run_id, model_version))
        with self._transaction():
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

    def withdraw_undecided(self, segment_ids: Sequence[int], *, code_sources: Iterable[tuple[str, str]],
                           keep: Iterable[tuple[int, str, str]] = ()) -> int:
        """Delete the undecided live suggestions on these segments whose (code, source) is one of
        ``code_sources``, except the (segment, code, source) in ``keep``; returns how many went.
        Undecided: no decision by anyone, and no suggestion merged into it. Decided ones always stay."""
        wanted = {(code, source) for code, source in code_sources}
        kept = set(keep)
        if not wanted or not segment_ids:
            return 0
        doomed: list[int] = []
        for part in chunks(list(segment_ids)):
            for suggestion_id, segment_id, code, source in self._conn.execute(
                "SELECT g.id, g.segment_id, g.code_key, g.source FROM suggestions g "
                f"WHERE g.segment_id IN ({placeholders(part)}) AND g.merged_into IS NULL "
                "AND g.source IN ('rule', 'model') "
                "AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.suggestion_id = g.id) "
                "AND NOT EXISTS (SELECT 1 FROM suggestions m WHERE m.merged_into = g.id)",
                list(part),
            ):
                if (code, source) in wanted and (segment_id, code, source) not in kept:
                    doomed.append(suggestion_id)
        with self._transaction():
            for part in chunks(doomed):
                self._conn.execute(f"DELETE FROM suggestions WHERE id IN ({placeholders(part)})", list(part))
        return len(doomed)

    def withdraw_run(self, run_id: int) -> tuple[int, int]:
        """Delete the undecided live suggestions a run added; returns (withdrawn, kept because decided)."""
        undecided = (
            "g.run_id = ? AND g.merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.suggestion_id = g.id) "
            "AND NOT EXISTS (SELECT 1 FROM suggestions m WHERE m.merged_into = g.id)"
        )
        with self._transaction():
            total = int(self._conn.execute(
                "SELECT COUNT(*) FROM suggestions g WHERE g.run_id = ? AND g.merged_into IS NULL", (run_id,)
            ).fetchone()[0])
            withdrawn = self._conn.execute(
                f"DELETE FROM suggestions WHERE id IN (SELECT g.id FROM suggestions g WHERE {undecided})", (run_id,)
            ).rowcount
        return withdrawn, total - withdrawn

    def add_manual(self, segment_id: int, code: str, codebook_id: int, *, span: tuple[int, int] | None = None) -> int:
        """The 'manual' suggestion a code added by hand (or imported from another program, with its
        own ``span``) hangs its decisions on; made once per segment, code and span."""
        start, end = span or (None, None)
        with self._transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO suggestions (segment_id, code_key, source, score, evidence, codebook_id, "
                "span_start, span_end) VALUES (?, ?, 'manual', 1.0, '[]', ?, ?, ?)",
                (segment_id, code, codebook_id, start, end),
            )
            row = self._conn.execute(
                "SELECT id FROM suggestions WHERE segment_id = ? AND code_key = ? AND source = 'manual' "
                "AND merged_into IS NULL AND COALESCE(span_start, -1) = ? AND COALESCE(span_end, -1) = ?",
                (segment_id, code, -1 if start is None else start, -1 if end is None else end),
            ).fetchone()
            return int(row[0])

    # -- reading ---------------------------------------------------------------------------

    def get(self, suggestion_id: int) -> StoredSuggestion | None:
        """A live suggestion (one a code merge absorbed is not: its decisions live on in the one it
        was merged into; nor is one on a removed document)."""
        row = self._conn.execute(
            _STORED + f"WHERE g.id = ? AND g.merged_into IS NULL AND s.document_id NOT IN {REMOVED_DOCUMENTS}",
            (suggestion_id,),
        ).fetchone()
        return _stored(row) if row else None

    def find(self, segment_id: int, code: str, source: Source | None = None) -> StoredSuggestion | None:
        """The (first) suggestion of ``code`` on a segment, from any source or one."""
        query = _STORED + "WHERE g.segment_id = ? AND g.code_key = ? AND g.merged_into IS NULL"
        params: list[object] = [segment_id, code]
        if source is not None:
            query += " AND g.source = ?"
            params.append(source.value)
        row = self._conn.execute(query + " ORDER BY g.id LIMIT 1", params).fetchone()
        return _stored(row) if row else None

    def on_segment(self, segment_id: int) -> list[StoredSuggestion]:
        """Every live suggestion on one segment, in id order."""
        return [_stored(row) for row in self._conn.execute(
            _STORED + "WHERE g.segment_id = ? AND g.merged_into IS NULL ORDER BY g.id", (segment_id,)
        )]

    def existing_ids(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` that are live suggestions (not absorbed by a code merge, not on a removed document)."""
        wanted = list(ids)
        found: set[int] = set()
        for part in chunks(wanted):
            query = (
                f"SELECT id FROM suggestions WHERE merged_into IS NULL AND segment_id NOT IN {REMOVED_SEGMENTS} "
                f"AND id IN ({placeholders(part)})"
            )
            found.update(row[0] for row in self._conn.execute(query, part))
        return found

    def units(self, source: Source | None = None) -> list[SuggestionUnit]:
        """(suggestion, segment, document, code) for every live suggestion (of one source, if given)."""
        where, params = ("AND g.source = ?", (source.value,)) if source else ("", ())
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return [
            SuggestionUnit(*row) for row in cursor.execute(
                "SELECT g.id, g.segment_id, s.document_id, g.code_key FROM suggestions g "
                f"JOIN segments s ON s.id = g.segment_id WHERE g.merged_into IS NULL "
                f"AND s.document_id NOT IN {REMOVED_DOCUMENTS} {where} ORDER BY g.id",
                params,
            )
        ]

    def views(self, *, codes: Sequence[str] | None = None, document_ids: Sequence[int] | None = None,
              sources: Sequence[Source] | None = None, ids: Collection[int] | None = None) -> Iterator[SuggestionView]:
        """Live suggestions with their segment, document and case, in document order (of these
        sources; with ``ids``, only those that are among them).

        Streamed from the database (a million suggestions need not fit in memory); a code filter
        matches the code and everything under it ("culture" → "culture.trust").
        """
        query = """
            SELECT g.id, g.segment_id, d.name, c.name, s.ordinal,
                   COALESCE(g.span_start, s.start), COALESCE(g.span_end, s."end"),
                   s.speaker, s.timestamp, g.code_key, g.source, g.score, g.evidence, g.codebook_id, g.created_at,
                   substr(d.text, COALESCE(g.span_start, s.start) + 1,
                          COALESCE(g.span_end, s."end") - COALESCE(g.span_start, s.start))
            FROM suggestions g
            JOIN segments s ON s.id = g.segment_id
            JOIN documents d ON d.id = s.document_id
            LEFT JOIN cases c ON c.id = d.case_id
            WHERE g.merged_into IS NULL AND d.removed_at IS NULL
        """
        params: list[object] = []
        if codes:
            clause, code_params = codes_under(codes)
            query += " AND " + clause
            params += code_params
        if document_ids is not None:
            query += f" AND s.document_id IN ({placeholders(document_ids)})"
            params += list(document_ids)
        if sources:
            query += f" AND g.source IN ({placeholders(sources)})"
            params += [source.value for source in sources]
        wanted = set(ids) if ids is not None else None
        if wanted is not None and len(wanted) <= _MAX_IDS_IN_QUERY:  # beyond, they are picked out as they stream
            chosen = sorted(wanted)
            query += f" AND g.id IN ({placeholders(chosen)})"
            params += chosen
        # segment ids follow (document, ordinal), so this order walks the suggestions' unique index
        query += " ORDER BY g.segment_id, g.code_key, g.source"
        cursor = self._conn.cursor()
        cursor.row_factory = None
        by_value = _SOURCES
        for row in cursor.execute(query, params):
            if wanted is not None and row[0] not in wanted:
                continue
            yield SuggestionView(
                row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], by_value[row[10]],
                row[11], parse_evidence(row[12]), row[13], row[14], row[15],
            )

    # -- code changes and searches (issue #20) -----------------------------------------------------------

    def live_of_codes(self, codes: Sequence[str]) -> list[tuple[int, int, str, str, tuple[int, int] | None]]:
        """(id, segment id, code, source, span) of every live suggestion of exactly these codes, oldest
        first; span is None for a suggestion on its whole segment."""
        if not codes:
            return []
        rows = self._conn.execute(
            "SELECT id, segment_id, code_key, source, span_start, span_end FROM suggestions "
            f"WHERE merged_into IS NULL AND code_key IN ({placeholders(codes)}) ORDER BY id",
            list(codes),
        )
        return [(row[0], row[1], row[2], row[3], None if row[4] is None else (row[4], row[5])) for row in rows]

    def count_live(self, code: str) -> int:
        """Live suggestions of exactly this code."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM suggestions WHERE merged_into IS NULL AND code_key = ?", (code,)
        ).fetchone()
        return int(row[0])

    def live_codes(self) -> set[str]:
        """Every code some live suggestion names."""
        query = "SELECT DISTINCT code_key FROM suggestions WHERE merged_into IS NULL"
        return {row[0] for row in self._conn.execute(query)}

    def rekey(self, ids: Sequence[int], code: str) -> None:
        """Give these suggestions another code (a rename, move or merge: their decisions follow them)."""
        with self._transaction():
            for part in chunks(list(ids)):
                self._conn.execute(
                    f"UPDATE suggestions SET code_key = ? WHERE id IN ({placeholders(part)})", [code, *part]
                )

    def absorb(self, pairs: Iterable[tuple[int, int]]) -> None:
        """(absorbed id, survivor id): the absorbed suggestion leaves every view and queue; it and its
        decisions are kept, pointing at the suggestion it was merged into."""
        with self._transaction():
            self._conn.executemany("UPDATE suggestions SET merged_into = ? WHERE id = ?",
                                   [(survivor, absorbed) for absorbed, survivor in pairs])

    def merged_into(self, suggestion_id: int) -> int | None:
        """The suggestion a code merge folded this one into (None for a live one, or no such id)."""
        row = self._conn.execute("SELECT merged_into FROM suggestions WHERE id = ?", (suggestion_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def segments_with_code(self, code: str, segment_ids: Iterable[int]) -> set[int]:
        """Those of ``segment_ids`` that have a live suggestion of ``code`` (from any source)."""
        found: set[int] = set()
        for part in chunks(list(segment_ids)):
            found.update(row[0] for row in self._conn.execute(
                f"SELECT segment_id FROM suggestions WHERE merged_into IS NULL AND code_key = ? "
                f"AND segment_id IN ({placeholders(part)})",
                [code, *part],
            ))
        return found
