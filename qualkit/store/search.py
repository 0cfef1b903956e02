"""Full-text search over segment text: an SQLite FTS5 index whose rowid is the segment id.

The index is contentless (the text lives once, in ``documents``): it answers which segments
match, and the text is cut from the document. unicode61 folds case and diacritics, so a search
is case-insensitive. Segments are indexed as they are written (``DocumentRepository.insert``);
migration 10 indexed those already there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from qualkit.errors import SearchError
from qualkit.records import SearchHit
from qualkit.store.database import Repository, chunks, placeholders


class SearchIndex(Repository):
    def matching(self, query: str, *, document_ids: Sequence[int] | None = None) -> list[int]:
        """Segment ids matching an FTS5 query, in document order."""
        sql = "SELECT rowid FROM segment_search WHERE segment_search MATCH ?"
        params: list[object] = [query]
        try:
            ids = [row[0] for row in self._conn.execute(sql + " ORDER BY rowid", params)]
        except sqlite3.OperationalError as exc:  # the query is built by qualkit.search; this is a safety net
            raise SearchError(f"the search index refused {query!r}: {exc}") from None
        if document_ids is None:
            return ids
        wanted = set(document_ids)
        return [segment_id for segment_id, document in self._documents_of(ids) if document in wanted]

    def _documents_of(self, segment_ids: Sequence[int]) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for part in chunks(list(segment_ids)):
            found += self._conn.execute(
                f"SELECT id, document_id FROM segments WHERE id IN ({placeholders(part)}) ORDER BY id", list(part)
            ).fetchall()
        return found

    def hits(self, segment_ids: Sequence[int]) -> list[SearchHit]:
        """The segments, in id (document) order, with their document, case and text (matches empty:
        the search stage finds them in the text)."""
        rows: list[tuple] = []
        for part in chunks(list(segment_ids)):
            rows += self._conn.execute(
                'SELECT s.id, s.document_id, d.name, c.name, s.ordinal, s.start, s."end", s.speaker, s.timestamp '
                "FROM segments s JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
                f"WHERE s.id IN ({placeholders(part)})",
                list(part),
            ).fetchall()
        rows.sort(key=lambda row: row[0])
        texts: dict[int, str] = {}
        hits = []
        for segment_id, document_id, document, case, ordinal, start, end, speaker, timestamp in rows:
            if document_id not in texts:
                texts = {document_id: self._conn.execute("SELECT text FROM documents WHERE id = ?",
                                                         (document_id,)).fetchone()[0]}
            hits.append(SearchHit(segment_id=segment_id, document=document, case=case, segment=ordinal, start=start,
                                  end=end, speaker=speaker, timestamp=timestamp, text=texts[document_id][start:end],
                                  matches=()))
        return hits

    def indexed(self) -> int:
        """How many segments the index holds."""
        return int(self._conn.execute("SELECT COUNT(*) FROM segment_search_docsize").fetchone()[0])

    def index(self, segments: Iterable[tuple[int, str]]) -> None:
        """Add (segment id, text) pairs to the index."""
        with self._transaction():
            self._conn.executemany("INSERT INTO segment_search (rowid, text) VALUES (?, ?)", segments)

    def rebuild(self) -> int:
        """Empty the index and index every segment again, each document's text read once; returns how many.
        Removed documents (issue #18) are not indexed."""
        with self._transaction():
            self._conn.execute("INSERT INTO segment_search (segment_search) VALUES ('delete-all')")
            count = 0
            for (document_id,) in self._conn.execute(
                "SELECT id FROM documents WHERE removed_at IS NULL ORDER BY id"
            ).fetchall():
                text = self._conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
                pairs = [(segment_id, text[start:end]) for segment_id, start, end in self._conn.execute(
                    'SELECT id, start, "end" FROM segments WHERE document_id = ?', (document_id,)
                ).fetchall()]
                self._conn.executemany("INSERT INTO segment_search (rowid, text) VALUES (?, ?)", pairs)
                count += len(pairs)
        return count
