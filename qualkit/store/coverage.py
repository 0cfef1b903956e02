"""Coverage: which documents and segments each reviewer coded fully; and the reviewer log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from qualkit.records import CoverageMark, ReviewerChange, ReviewerChangeKind
from qualkit.store.database import REMOVED_DOCUMENTS, Repository

_MARK = "id, reviewer, document_id, segment_id, covered, via, marked_at"


def _mark(row: Sequence[Any]) -> CoverageMark:
    return CoverageMark(id=row[0], reviewer=row[1], document_id=row[2], segment_id=row[3], covered=bool(row[4]),
                        via=row[5], marked_at=row[6])


class CoverageRepository(Repository):
    def mark(self, reviewer: str, marks: Iterable[tuple[int, int | None]], *, via: str, covered: bool = True) -> int:
        """Append (document id, segment id or None for the whole document) marks; returns how many."""
        rows = [(reviewer, document_id, segment_id, int(covered), via) for document_id, segment_id in marks]
        with self._transaction():
            self._conn.executemany(
                "INSERT INTO coverage (reviewer, document_id, segment_id, covered, via) VALUES (?, ?, ?, ?, ?)", rows
            )
        return len(rows)

    def log(self, *, reviewer: str | None = None) -> list[CoverageMark]:
        """Every mark in the order made (of one reviewer), on documents in the corpus (a removed
        document's marks stay in the file, orphaned)."""
        where, params = f"WHERE document_id NOT IN {REMOVED_DOCUMENTS}", tuple[str, ...]()
        if reviewer is not None:
            where, params = where + " AND reviewer = ?", (reviewer,)
        return [_mark(row) for row in self._conn.execute(f"SELECT {_MARK} FROM coverage {where} ORDER BY id", params)]


_CHANGE = "id, change, name, target, note, changed_at"


class ReviewerLog(Repository):
    def record(self, kind: ReviewerChangeKind, name: str, *, target: str | None = None, note: str | None = None) -> int:
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO reviewer_changes (change, name, target, note) VALUES (?, ?, ?, ?)",
                (kind.value, name, target, note),
            )
        return int(cur.lastrowid or 0)

    def log(self) -> list[ReviewerChange]:
        return [
            ReviewerChange(id=r[0], kind=ReviewerChangeKind(r[1]), name=r[2], target=r[3], note=r[4], changed_at=r[5])
            for r in self._conn.execute(f"SELECT {_CHANGE} FROM reviewer_changes ORDER BY id")
        ]
