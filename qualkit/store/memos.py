"""Memos: on the project, a document, a case, a code or a segment. Texts are appended, never
changed: an edit adds a revision and the memo shows the latest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qualkit.records import Memo, MemoAbout, MemoRevision, MemoTarget
from qualkit.store.database import Repository, placeholders

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"  # as the schema's defaults write times

# A memo with where it is attached (by name) and its latest text, in one row.
_SELECT = """
    SELECT m.id, m.about, d.name, c.name, m.code_key, sd.name, s.ordinal, m.title, m.author, m.created_at,
           t.text, t.author, t.written_at,
           (SELECT COUNT(*) FROM memo_texts n WHERE n.memo_id = m.id), m.segment_id
    FROM memos m
    JOIN memo_texts t ON t.id = (SELECT MAX(id) FROM memo_texts WHERE memo_id = m.id)
    LEFT JOIN documents d ON d.id = m.document_id
    LEFT JOIN cases c ON c.id = m.case_id
    LEFT JOIN segments s ON s.id = m.segment_id
    LEFT JOIN documents sd ON sd.id = s.document_id
"""


def _memo(row: Sequence[Any]) -> Memo:
    about = MemoAbout(row[1])
    target = MemoTarget(about, document=row[2] or row[5], case=row[3], code=row[4], segment=row[6])
    return Memo(id=row[0], target=target, title=row[7], author=row[8], created_at=row[9], text=row[10],
                edited_by=row[11], edited_at=row[12], revisions=row[13], segment_id=row[14])


class MemoRepository(Repository):
    def add(self, *, about: MemoAbout, author: str, text: str, title: str | None = None,
            document_id: int | None = None, case_id: int | None = None, code: str | None = None,
            segment_id: int | None = None, created_at: str | None = None, written_at: str | None = None) -> int:
        """A new memo with its first text; returns its id. ``created_at`` and its first text's ``written_at``
        (the stored UTC form): when they were written elsewhere (an import); by default now."""
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO memos (about, document_id, case_id, code_key, segment_id, title, author, created_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, {_NOW}))",
                (about.value, document_id, case_id, code, segment_id, title, author, created_at),
            )
            memo_id = int(cur.lastrowid or 0)
            self._conn.execute(f"INSERT INTO memo_texts (memo_id, text, author, written_at) VALUES (?, ?, ?, "
                               f"COALESCE(?, ?, {_NOW}))", (memo_id, text, author, written_at, created_at))
        return memo_id

    def revise(self, memo_id: int, *, text: str, author: str, written_at: str | None = None) -> None:
        """Append a new text to a memo (the old ones stay); ``written_at`` as for :meth:`add`."""
        with self._transaction():
            self._conn.execute(f"INSERT INTO memo_texts (memo_id, text, author, written_at) VALUES (?, ?, ?, "
                               f"COALESCE(?, {_NOW}))", (memo_id, text, author, written_at))

    def get(self, memo_id: int) -> Memo | None:
        row = self._conn.execute(_SELECT + " WHERE m.id = ?", (memo_id,)).fetchone()
        return _memo(row) if row else None

    def ids(self) -> list[int]:
        return [row[0] for row in self._conn.execute("SELECT id FROM memos ORDER BY id")]

    def revisions(self, memo_id: int) -> list[MemoRevision]:
        """Every text the memo has had, oldest first."""
        return [
            MemoRevision(number=number, text=row[0], author=row[1], written_at=row[2])
            for number, row in enumerate(self._conn.execute(
                "SELECT text, author, written_at FROM memo_texts WHERE memo_id = ? ORDER BY id", (memo_id,)
            ), start=1)
        ]

    def find(self, *, about: Sequence[MemoAbout] | None = None, document_ids: Sequence[int] | None = None,
             case_ids: Sequence[int] | None = None, codes: Sequence[str] | None = None,
             segment_ids: Sequence[int] | None = None) -> list[Memo]:
        """Memos, oldest first: of these kinds; and, when any target is given, attached to one of them
        (a document's filter also finds memos on its segments)."""
        where: list[str] = []
        params: list[object] = []
        if about:
            where.append(f"m.about IN ({placeholders(about)})")
            params += [a.value for a in about]
        targets: list[str] = []
        if document_ids:
            marks = placeholders(document_ids)
            targets.append(f"m.document_id IN ({marks}) OR s.document_id IN ({marks})")
            params += [*document_ids, *document_ids]
        if case_ids:
            targets.append(f"m.case_id IN ({placeholders(case_ids)})")
            params += list(case_ids)
        if codes:
            targets.append(f"m.code_key IN ({placeholders(codes)})")
            params += list(codes)
        if segment_ids:
            targets.append(f"m.segment_id IN ({placeholders(segment_ids)})")
            params += list(segment_ids)
        if targets:
            where.append("(" + " OR ".join(f"({t})" for t in targets) + ")")
        query = _SELECT + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY m.id"
        return [_memo(row) for row in self._conn.execute(query, params)]

    def count_on_codes(self, codes: Sequence[str]) -> int:
        if not codes:
            return 0
        row = self._conn.execute(f"SELECT COUNT(*) FROM memos WHERE code_key IN ({placeholders(codes)})",
                                 list(codes)).fetchone()
        return int(row[0])

    def move_code(self, codes: Sequence[str], to: str) -> int:
        """Memos on these codes follow them to ``to`` (a rename, move or merge); returns how many."""
        if not codes:
            return 0
        with self._transaction():
            cur = self._conn.execute(f"UPDATE memos SET code_key = ? WHERE code_key IN ({placeholders(codes)})",
                                     [to, *codes])
        return cur.rowcount
