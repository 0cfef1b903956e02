"""Trained models, kept with what they were trained on and how well they did."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qualkit.records import ModelInfo
from qualkit.store.database import Repository

_COLUMNS = "id, codebook_id, trained_on, training_size, metrics, parameters, library, created_at, LENGTH(estimator)"


def _info(row: Sequence[Any]) -> ModelInfo:
    return ModelInfo(
        id=row[0], codebook_id=row[1], trained_on=row[2], training_size=row[3], metrics=json.loads(row[4]),
        parameters=json.loads(row[5]), library=row[6], created_at=row[7], size=row[8] or 0,
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
        """The newest model and its stored bytes."""
        row = self._conn.execute(f"SELECT {_COLUMNS}, estimator FROM models ORDER BY id DESC LIMIT 1").fetchone()
        return (_info(row), bytes(row[9])) if row else None

    def all(self) -> list[ModelInfo]:
        return [_info(row) for row in self._conn.execute(f"SELECT {_COLUMNS} FROM models ORDER BY id")]
