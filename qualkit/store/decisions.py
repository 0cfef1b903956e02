"""Decisions: appended, never changed; an undo is a decision that reverses another."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from qualkit.records import Decision, DecisionNote, Verdict
from qualkit.store.database import Repository, chunks, placeholders

_COLUMNS = (
    "id, suggestion_id, reviewer, verdict, note, via, decided_at, reverses, seen_source, seen_score, "
    "seen_codebook_id, seen_model_version"
)


#: How a decision a code merge derived from a reviewer's earlier ones begins its ``via``
#: ("code change 4: merged culture.autonomy into culture.trust (decisions 17, 23)").
DERIVED_VIA = "code change"


def _decision(row: Sequence[Any]) -> Decision:
    return Decision(
        id=row[0], suggestion_id=row[1], reviewer=row[2], verdict=Verdict(row[3]), note=row[4], via=row[5],
        decided_at=row[6], reverses=row[7], seen_source=row[8], seen_score=row[9], seen_codebook_id=row[10],
        seen_model_version=row[11],
    )


class DecisionRepository(Repository):
    def insert(self, *, suggestion_id: int, reviewer: str, verdict: Verdict, note: str | None = None,
               via: str = "review", reverses: int | None = None) -> int:
        """Append one decision, recording what the reviewer saw (source, score, codebook, model)."""
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO decisions (suggestion_id, reviewer, verdict, reverses, note, via, "
                "seen_source, seen_score, seen_codebook_id, seen_model_version) "
                "SELECT id, ?, ?, ?, ?, ?, source, score, codebook_id, model_version "
                "FROM suggestions WHERE id = ?",
                (reviewer, verdict.value, reverses, note, via, suggestion_id),
            )
            if cur.rowcount != 1:
                raise KeyError(suggestion_id)
            return int(cur.lastrowid or 0)

    def log(self, *, reviewer: str | None = None, suggestion_ids: Iterable[int] | None = None) -> list[Decision]:
        """Decisions in the order they were made (of one reviewer; on these suggestions)."""
        where: list[str] = []
        params: list[object] = []
        if reviewer is not None:
            where.append("reviewer = ?")
            params.append(reviewer)
        if suggestion_ids is None:
            query = f"SELECT {_COLUMNS} FROM decisions" + (f" WHERE {' AND '.join(where)}" if where else "")
            return [_decision(row) for row in self._conn.execute(query + " ORDER BY id", params)]
        found: list[Decision] = []
        for part in chunks(list(suggestion_ids)):
            clause = " AND ".join([*where, f"suggestion_id IN ({placeholders(part)})"])
            found += [_decision(row) for row in self._conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE {clause}", [*params, *part]
            )]
        return sorted(found, key=lambda decision: decision.id)

    def notes(self) -> list[DecisionNote]:
        """Notes reviewers left on decisions, with where the suggestion sits."""
        return [
            DecisionNote(id=r[0], reviewer=r[1], note=r[2], code=r[3], document=r[4], start=r[5], end=r[6],
                         verdict=Verdict(r[7]), suggestion_id=r[8])
            for r in self._conn.execute(
                'SELECT x.id, x.reviewer, x.note, g.code_key, d.name, '
                'COALESCE(g.span_start, s.start), COALESCE(g.span_end, s."end"), x.verdict, x.suggestion_id '
                "FROM decisions x JOIN suggestions g ON g.id = x.suggestion_id "
                "JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id "
                "WHERE x.note IS NOT NULL AND x.note != '' AND d.removed_at IS NULL ORDER BY x.id"
            )
        ]

    def decided_at(self) -> dict[int, str]:
        """suggestion id → when its latest decision was made."""
        return dict(self._conn.execute("SELECT suggestion_id, MAX(decided_at) FROM decisions GROUP BY suggestion_id"))

    def reviewers(self) -> list[str]:
        """Everyone who has decided anything, by name."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT reviewer FROM decisions ORDER BY reviewer")]

    def last_in_force(self, names: str | Sequence[str]) -> Decision | None:
        """The reviewer's most recent accept/reject that no undo has reversed (``names``: the
        reviewer's name, or every name their decisions may carry). One a code merge derived from
        their earlier decisions is not theirs to undo: it is skipped."""
        names = (names,) if isinstance(names, str) else tuple(names)
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM decisions d WHERE d.reviewer IN ({placeholders(names)}) AND d.verdict != 'undo' "
            f"AND d.via NOT LIKE '{DERIVED_VIA}%' "
            "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = d.id) ORDER BY d.id DESC LIMIT 1",
            names,
        ).fetchone()
        return _decision(row) if row else None

    # -- what names a model (issue #20) ------------------------------------------------------------------

    def count_seen_models(self) -> dict[str, int]:
        """model version ("model-3") → decisions made on a suggestion it scored."""
        return {row[0]: int(row[1]) for row in self._conn.execute(
            "SELECT seen_model_version, COUNT(*) FROM decisions WHERE seen_model_version IS NOT NULL "
            "GROUP BY seen_model_version"
        )}
