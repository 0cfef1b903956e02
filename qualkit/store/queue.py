"""The review queue: what a reviewer has not decided yet, in review order, and how much is left.

Built for a million suggestions: each order has an index that walks it (migrations 2 and 5), so
the next item is found without sorting the queue, and counts walk the reviewer's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qualkit.records import EVERYTHING, Context, QueueFilter, QueueItem, Source
from qualkit.store.database import REMOVED_SEGMENTS, Repository, parse_evidence, placeholders
from qualkit.store.suggestions import codes_under

ORDERS = ("document", "score", "uncertainty")

def _in_force(names: Sequence[str]) -> str:
    """SQL: suggestion g has a decision in force by the reviewer (any of the names they decided under)."""
    who = "x.reviewer = ?" if len(names) == 1 else f"x.reviewer IN ({placeholders(names)})"
    return (
        f"SELECT 1 FROM decisions x WHERE x.suggestion_id = g.id AND {who} "
        "AND x.verdict != 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = x.id)"
    )


def _names(reviewer: str | Sequence[str]) -> tuple[str, ...]:
    return (reviewer,) if isinstance(reviewer, str) else tuple(reviewer)


# Segment ids follow (document, ordinal): a document's segments are written with it, in
# order, and never rewritten. Each order matches an index (migrations 2 and 5) exactly.
_ORDER_BY = {
    "document": "g.segment_id, g.code_key, g.source",
    "score": "g.score DESC, g.segment_id, g.code_key, g.source",
    "uncertainty": "ABS(g.score - 0.5), g.segment_id, g.code_key, g.source",
}
_FROM = (
    "FROM suggestions g JOIN segments s ON s.id = g.segment_id "
    "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
)


def _tables(where: QueueFilter) -> str:
    """The FROM clause a count with this filter needs: joining only what the filter looks at."""
    if where.case is not None:
        return _FROM
    if where.document_ids is not None:
        return "FROM suggestions g JOIN segments s ON s.id = g.segment_id "
    return "FROM suggestions g "


def _where(reviewer: str | Sequence[str] | None, where: QueueFilter, exclude: Iterable[int], *,
           code_index: bool = True, exclude_segments: Iterable[int] = ()) -> tuple[str, list[object]]:
    # reviewer None: every suggestion in the filter, decided or not. With a reviewer: what is pending
    # for them — a code someone added by hand is never pending for anyone else (it is their coding,
    # and showing it would tell one reviewer what another did). A suggestion a code merge absorbed
    # is never in a queue: its decisions live on in the one it joined. Nor is one on a removed document.
    names = _names(reviewer) if reviewer is not None else ()
    clause = f"WHERE g.merged_into IS NULL AND g.segment_id NOT IN {REMOVED_SEGMENTS}"
    if names:
        clause += f" AND g.source != 'manual' AND NOT EXISTS ({_in_force(names)})"
    params: list[object] = list(names)
    if where.codes:
        codes, code_params = codes_under(where.codes, use_index=code_index)
        clause += " AND " + codes
        params += code_params
    if where.document_ids is not None:
        clause += f" AND s.document_id IN ({placeholders(where.document_ids)})"
        params += list(where.document_ids)
    if where.case is not None:
        clause += " AND c.name = ?"
        params.append(where.case)
    excluded = list(exclude)
    if excluded:
        clause += f" AND g.id NOT IN ({placeholders(excluded)})"
        params += excluded
    segments = list(exclude_segments)
    if segments:
        clause += f" AND g.segment_id NOT IN ({placeholders(segments)})"
        params += segments
    return clause, params


class ReviewQueue(Repository):
    def pending(self, reviewer: str | Sequence[str], where: QueueFilter = EVERYTHING, *, order: str = "document",
                limit: int | None = None, exclude: Iterable[int] = (), only: int | None = None,
                exclude_segments: Iterable[int] = ()) -> list[QueueItem]:
        """Suggestions the reviewer has no decision in force on, in review order (``only``: just
        this suggestion, if it is pending; ``exclude_segments``: leave these segments out)."""
        # The next item is found by walking the order's index and skipping what the filter leaves
        # out; letting SQLite pick the code index instead would fetch and sort the whole code.
        clause, params = _where(reviewer, where, exclude, code_index=False, exclude_segments=exclude_segments)
        if only is not None:
            clause += " AND g.id = ?"
            params.append(only)
        query = (
            'SELECT g.id, g.segment_id, s.document_id, d.name, c.name, s.ordinal, s.start, s."end", s.speaker, '
            's.timestamp, g.code_key, g.source, g.score, g.evidence, g.codebook_id, g.model_version, '
            'substr(d.text, s.start + 1, s."end" - s.start) '
            + _FROM + clause + f" ORDER BY {_ORDER_BY[order]}"
        )
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        return [
            QueueItem(
                id=r[0], segment_id=r[1], document_id=r[2], document=r[3], case=r[4], ordinal=r[5], start=r[6],
                end=r[7], speaker=r[8], timestamp=r[9], code=r[10], source=Source(r[11]), score=r[12],
                evidence=parse_evidence(r[13]), codebook_id=r[14], model_version=r[15], text=r[16],
            )
            for r in self._conn.execute(query, params)
        ]

    def count_pending(self, reviewer: str | Sequence[str] | None, where: QueueFilter = EVERYTHING, *,
                      exclude: Iterable[int] = ()) -> int:
        """Proposals in the filter the reviewer has no decision in force on (all, for None)."""
        exclude = list(exclude)
        total = self.count_in_filter(where, exclude=exclude)
        if reviewer is None:
            return total
        return total - self.count_decided(reviewer, where, exclude=exclude)

    def count_in_filter(self, where: QueueFilter = EVERYTHING, *, exclude: Iterable[int] = ()) -> int:
        """Proposals (not codes added by hand) in the filter, decided or not; joins only the tables
        the filter needs."""
        clause, params = _where(None, where, exclude)
        clause += " AND g.source != 'manual'"
        return int(self._conn.execute("SELECT COUNT(*) " + _tables(where) + clause, params).fetchone()[0])

    def count_decided(self, reviewer: str | Sequence[str], where: QueueFilter = EVERYTHING, *,
                      exclude: Iterable[int] = ()) -> int:
        """Proposals in the filter the reviewer has a decision in force on. Walks the reviewer's
        decisions, not the suggestions, so it costs what the reviewer has done, not the queue size."""
        clause, params = _where(None, where, exclude)
        clause += " AND g.source != 'manual'"
        query = (
            "SELECT COUNT(DISTINCT x.suggestion_id) FROM decisions x "
            "JOIN suggestions g ON g.id = x.suggestion_id JOIN segments s ON s.id = g.segment_id "
            "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
            + clause + f" AND x.reviewer IN ({placeholders(_names(reviewer))}) AND x.verdict != 'undo' "
            "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = x.id)"
        )
        return int(self._conn.execute(query, [*params, *_names(reviewer)]).fetchone()[0])

    def count_segments(self, reviewer: str | Sequence[str] | None, where: QueueFilter = EVERYTHING, *,
                       exclude_segments: Iterable[int] = ()) -> int:
        """Segments in the filter with a proposal the reviewer has not decided (any proposal, for None)."""
        clause, params = _where(reviewer, where, (), exclude_segments=exclude_segments)
        if reviewer is None:
            clause += " AND g.source != 'manual'"
        # a DISTINCT subquery walks the (segment, ...) index; COUNT(DISTINCT) would sort every suggestion
        query = "SELECT COUNT(*) FROM (SELECT DISTINCT g.segment_id " + _tables(where) + clause + ")"
        return int(self._conn.execute(query, params).fetchone()[0])

    def count_segments_done(self, reviewer: str | Sequence[str], where: QueueFilter = EVERYTHING, *,
                            covered: Iterable[int] = ()) -> int:
        """Segments in the filter with a proposal that the reviewer has finished: ``covered`` (marked
        coded fully) or with every proposal in the filter decided. Walks the reviewer's decisions, so
        it costs what they have done, not the size of the queue (``count_segments(None, ...)`` minus
        this is what :meth:`count_segments` counts for the reviewer, excluding ``covered``)."""
        names = _names(reviewer)
        covered = sorted(set(covered))
        in_filter, filter_params = _where(None, where, ())
        in_filter += " AND g.source != 'manual'"
        pending, pending_params = _where(names, where, ())
        touched = (
            "SELECT DISTINCT g.segment_id AS id FROM decisions x JOIN suggestions g ON g.id = x.suggestion_id "
            "JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id "
            "LEFT JOIN cases c ON c.id = d.case_id "
            + in_filter + f" AND x.reviewer IN ({placeholders(names)}) AND x.verdict != 'undo' "
            "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = x.id)"
        )
        params: list[object] = [*filter_params, *names]
        query = (f"SELECT COUNT(*) FROM ({touched}) t "
                 f"WHERE NOT EXISTS (SELECT 1 {_FROM}{pending} AND g.segment_id = t.id)")
        params += pending_params
        if covered:
            query += f" AND t.id NOT IN ({placeholders(covered)})"
            params += covered
        done = int(self._conn.execute(query, params).fetchone()[0])
        if covered:
            marked = in_filter + f" AND g.segment_id IN ({placeholders(covered)})"
            done += int(self._conn.execute("SELECT COUNT(*) FROM (SELECT DISTINCT g.segment_id " + _tables(where)
                                           + marked + ")", [*filter_params, *covered]).fetchone()[0])
        return done

    def neighbours(self, document_id: int, ordinal: int, *, before: int = 1, after: int = 1) -> list[Context]:
        """Segments around one, for context (interviewer turns included), the segment itself too."""
        return [
            Context(r[0], r[1], r[2])
            for r in self._conn.execute(
                'SELECT s.ordinal, s.speaker, substr(d.text, s.start + 1, s."end" - s.start) '
                "FROM segments s JOIN documents d ON d.id = s.document_id "
                "WHERE s.document_id = ? AND s.ordinal BETWEEN ? AND ? ORDER BY s.ordinal",
                (document_id, ordinal - before, ordinal + after),
            )
        ]
