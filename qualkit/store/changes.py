"""The codebook's history of code changes: renames, merges, moves, splits, additions, removals.

Appended, never changed (triggers refuse UPDATE and DELETE). Each change names the codebook
version it made and counts what followed it (suggestions, decisions, memos).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qualkit.records import ChangeKind, CodeChange
from qualkit.store.database import Repository

_COLUMNS = "id, codebook_id, kind, old_keys, new_key, counts, via, changed_at"


def _change(row: Sequence[Any]) -> CodeChange:
    return CodeChange(id=row[0], codebook_id=row[1], kind=ChangeKind(row[2]), old_keys=tuple(json.loads(row[3])),
                      new_key=row[4], counts=json.loads(row[5]), via=row[6], changed_at=row[7])


class CodeChangeRepository(Repository):
    def record(self, *, codebook_id: int, kind: ChangeKind, old_keys: Sequence[str], new_key: str | None,
               counts: Mapping[str, int], via: str) -> int:
        """Append one change; returns its id."""
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO code_changes (codebook_id, kind, old_keys, new_key, counts, via) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (codebook_id, kind.value, json.dumps(list(old_keys)), new_key, json.dumps(dict(counts), sort_keys=True),
                 via),
            )
        return int(cur.lastrowid or 0)

    def log(self, *, codebook_id: int | None = None, after_codebook: int | None = None) -> list[CodeChange]:
        """Changes in the order they were made (those that made one version; those made after one)."""
        query, params = f"SELECT {_COLUMNS} FROM code_changes WHERE 1", []
        if codebook_id is not None:
            query += " AND codebook_id = ?"
            params.append(codebook_id)
        if after_codebook is not None:
            query += " AND codebook_id > ?"
            params.append(after_codebook)
        return [_change(row) for row in self._conn.execute(query + " ORDER BY id", params)]
