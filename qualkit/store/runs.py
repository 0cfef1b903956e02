"""The run log: every command that changed the project, with its parameters and counts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qualkit.records import Run
from qualkit.store.database import Repository


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _run(row: Sequence[Any]) -> Run:
    return Run(id=row[0], command=row[1], parameters=json.loads(row[2]), counts=json.loads(row[3]),
               started_at=row[4], finished_at=row[5])


_COLUMNS = "id, command, parameters, counts, started_at, finished_at"


class RunRepository(Repository):
    def record(self, *, command: str, parameters: Mapping[str, Any], counts: Mapping[str, Any], started_at: str,
               finished_at: str) -> int:
        """A finished run, logged in one go."""
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (command, parameters, counts, started_at, finished_at) VALUES (?, ?, ?, ?, ?)",
                (command, _json(parameters), json.dumps(counts, sort_keys=True), started_at, finished_at),
            )
        return int(cur.lastrowid or 0)

    def start(self, *, command: str, parameters: Mapping[str, Any], started_at: str) -> int:
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (command, parameters, started_at) VALUES (?, ?, ?)",
                (command, _json(parameters), started_at),
            )
        return int(cur.lastrowid or 0)

    def finish(self, run_id: int, *, counts: Mapping[str, Any], finished_at: str) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE runs SET counts = ?, finished_at = ? WHERE id = ?",
                (json.dumps(counts, sort_keys=True), finished_at, run_id),
            )

    def update_counts(self, run_id: int, counts: Mapping[str, Any]) -> None:
        """Progress of an unfinished run (joins the caller's transaction, so it commits with the page)."""
        with self._transaction():
            self._conn.execute("UPDATE runs SET counts = ? WHERE id = ?", (json.dumps(counts, sort_keys=True), run_id))

    def unfinished(self, command: str, parameters: Mapping[str, Any]) -> Run | None:
        """The latest run of ``command``, if it had these parameters and never finished (it was killed)."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM runs WHERE command = ? ORDER BY id DESC LIMIT 1", (command,)
        ).fetchone()
        if row and row[2] == _json(parameters) and row[5] is None:
            return _run(row)
        return None

    def log(self) -> list[Run]:
        return [_run(row) for row in self._conn.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id")]
