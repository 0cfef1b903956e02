"""Coding queries: codings of one code that have (or lack) codings of others nearby, by case attribute.

Like NVivo's coding queries and MAXQDA's complex coding queries, on the codings an analysis sees
(a consensus, or some reviewers' view; ``--where`` filters by case or document attribute first):

* ``A --and B --within 2``: codings of A with a coding of B no more than 2 segments away in the
  same document (0, the default: on the same segment); several ``--and`` codes must all be there;
* ``A --not B``: codings of A with no coding of B within the window (and not themselves of B);
* both together; a code may be a theme (everything under it counts).

Each hit is the coding of A, with the codings that made it match (its partners).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qualkit.attributes import attribute_of
from qualkit.codebook import is_under
from qualkit.errors import AnalysisError
from qualkit.records import Coding, QueryHit


@dataclass(frozen=True)
class CodingQuery:
    """Codings of ``code`` with every code of ``all_of`` and none of ``none_of`` within ``within``
    segments (same document)."""

    code: str
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    within: int = 0

    def __post_init__(self) -> None:
        if self.within < 0:
            raise AnalysisError(f"--within {self.within}: a window is 0 (the same segment) or more segments")

    def __str__(self) -> str:
        text = self.code + "".join(f" and {code}" for code in self.all_of)
        text += "".join(f" not {code}" for code in self.none_of)
        return text + (f" within {self.within} segment(s)" if self.within else " on the same segment")


def run_query(codings: Iterable[Coding], query: CodingQuery) -> list[QueryHit]:
    """The hits, in document order: each coding of ``query.code`` that has what ``all_of`` asks for
    near it and nothing ``none_of`` names, with its partners (the ``all_of`` codings found)."""
    codings = list(codings)
    near: dict[tuple[str, int], list[Coding]] = {}
    for coding in codings:
        near.setdefault((coding.document, coding.segment), []).append(coding)

    def around(anchor: Coding) -> list[Coding]:
        found = []
        for offset in range(-query.within, query.within + 1):
            found += [c for c in near.get((anchor.document, anchor.segment + offset), [])
                      if c.suggestion_id != anchor.suggestion_id]
        return found

    hits = []
    for anchor in codings:
        if not is_under(anchor.code, [query.code]) or is_under(anchor.code, list(query.none_of)):
            continue  # a coding of B is not "A but not B", even when B is under A
        others = around(anchor)
        partners: list[Coding] = []
        missing = False
        for wanted in query.all_of:
            mine = [c for c in others if is_under(c.code, [wanted])]
            if not mine:
                missing = True
                break
            partners += [c for c in mine if c not in partners]
        if missing or any(is_under(c.code, list(query.none_of)) for c in others):
            continue
        hits.append(QueryHit(anchor, tuple(sorted(partners, key=lambda c: (c.segment, c.code)))))
    return hits


def hit_rows(hits: Sequence[QueryHit], *, by: str | None = None) -> list[dict[str, object]]:
    """Hits as table rows: the coding, where it is, its attributes and its partners."""
    rows = []
    for hit in hits:
        coding = hit.coding
        row: dict[str, object] = {
            "document": coding.document, "case": coding.case, "segment": coding.segment, "speaker": coding.speaker,
            "code": coding.code, "status": coding.status.value,
        }
        if by:
            row[by] = attribute_of(coding, by)
        row["with"] = "; ".join(f"{p.code}@{p.segment}" for p in hit.partners)
        row["start"], row["end"], row["text"] = coding.start, coding.end, coding.text
        rows.append(row)
    return rows
