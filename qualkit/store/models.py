"""Trained models, kept with what they were trained on and how well they did."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qualkit.records import ModelInfo
from qualkit.store.database import Repository

_COLUMNS = (
    "id, codebook_id, trained_on, training_size, metrics, parameters, library, created_at, LENGTH(estimator), "
    "weights_deleted_at"
)


def _info(row: Sequence[Any]) -> ModelInfo:
    return ModelInfo(
        id=row[0], codebook_id=row[1], trained_on=row[2], training_size=row[3], metrics=json.loads(row[4]),
        parameters=json.loads(row[5]), library=row[6], created_at=row[7], size=row[8] or 0,
        weights_deleted_at=row[9],
    )


class ModelRepository(Repository):
    def save(self, *, codebook_id: int, trained_on: str, training_size: int, metrics: Mapping[str, Any],
             parameters: Mapping[str, Any], library: str, estimator: bytes) -> int:
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO models (codebook_id, trained_on, training_size, metrics, parameters, library, "
                "estimator) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (codebook_id, trained_on, training_size, json.dumps(metrics), json.dumps(parameters), library,
                 estimator),
            )
        return int(cur.lastrowid or 0)

    def latest(self) -> tuple[ModelInfo, bytes] | None:
        """The newest model that still has its weights, and its stored bytes."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS}, estimator FROM models WHERE weights_deleted_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return (_info(row), bytes(row[10])) if row else None

    def all(self) -> list[ModelInfo]:
        return [_info(row) for row in self._conn.execute(f"SELECT {_COLUMNS} FROM models ORDER BY id")]

    # -- tidying (issue #20) ------------------------------------------------------------------------------

    def usage(self) -> dict[str, tuple[int, int, int]]:
        """model version ("model-3") → (suggestions it scored, decisions made on them, runs that used it),
        for every version a suggestion, decision or run names."""
        suggestions = dict(self._conn.execute(
            "SELECT model_version, COUNT(*) FROM suggestions WHERE model_version IS NOT NULL GROUP BY model_version"
        ).fetchall())
        decisions = dict(self._conn.execute(
            "SELECT seen_model_version, COUNT(*) FROM decisions WHERE seen_model_version IS NOT NULL "
            "GROUP BY seen_model_version"
        ).fetchall())
        runs = dict(self._conn.execute(
            "SELECT json_extract(parameters, '$.model_version') AS version, COUNT(*) FROM runs "
            "WHERE json_valid(parameters) AND version IS NOT NULL GROUP BY version"
        ).fetchall())
        return {
            str(version): (int(suggestions.get(version, 0)), int(decisions.get(version, 0)), int(runs.get(version, 0)))
            for version in {*suggestions, *decisions, *runs}
        }

    def drop_weights(self, model_ids: Sequence[int], *, deleted_at: str) -> int:
        """Delete these models' weights, keeping their records; returns the bytes freed."""
        freed = 0
        with self._transaction():
            for model_id in model_ids:
                row = self._conn.execute(
                    "SELECT LENGTH(estimator) FROM models WHERE id = ? AND weights_deleted_at IS NULL", (model_id,)
                ).fetchone()
                if row is None:
                    continue
                freed += int(row[0] or 0)
                self._conn.execute("UPDATE models SET estimator = X'', weights_deleted_at = ? WHERE id = ?",
                                   (deleted_at, model_id))
        return freed

    def delete(self, model_ids: Sequence[int]) -> int:
        """Delete these models, record and weights (only for models nothing names); returns the bytes freed."""
        freed = 0
        with self._transaction():
            for model_id in model_ids:
                row = self._conn.execute("SELECT LENGTH(estimator) FROM models WHERE id = ?", (model_id,)).fetchone()
                if row is None:
                    continue
                freed += int(row[0] or 0)
                self._conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
        return freed
