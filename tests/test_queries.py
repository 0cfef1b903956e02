"""Coding queries: A near B, A without B, by attribute; checked against brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from qualkit.errors import AnalysisError
from qualkit.queries import CodingQuery, hit_rows, run_query
from qualkit.records import Coding, DocumentKind, Source, Status

CODES = ("a.x", "a.y", "b.z", "c")


def coding(number: int, document: str, segment: int, code: str, phase: str = "primary") -> Coding:
    return Coding(
        suggestion_id=number, document=document, kind=DocumentKind.TRANSCRIPT, case=f"case {document}",
        attributes={"phase": phase}, segment=segment, speaker="Head", timestamp=None, start=segment * 10,
        end=segment * 10 + 9, text=f"text {segment}", code=code, code_name=code, theme=code.split(".")[0],
        stage=None, accepted_by=("amira",), verdicts={}, source=Source.RULE, score=0.5, status=Status.ACCEPTED,
        decided_at=None,
    )


def under(code: str, key: str) -> bool:
    return code == key or code.startswith(key + ".")


def brute_force(codings: list[Coding], query: CodingQuery) -> list[int]:
    """Every anchor against every other coding: near means same document, |segments apart| <= within."""
    found = []
    for anchor in codings:
        if not under(anchor.code, query.code) or any(under(anchor.code, k) for k in query.none_of):
            continue
        near = [c for c in codings if c is not anchor and c.document == anchor.document
                and abs(c.segment - anchor.segment) <= query.within]
        if all(any(under(c.code, k) for c in near) for k in query.all_of) and \
                not any(under(c.code, k) for c in near for k in query.none_of):
            found.append(anchor.suggestion_id)
    return found


@pytest.mark.parametrize("seed", range(5))
def test_queries_agree_with_brute_force_on_random_codings(seed):
    rng = random.Random(seed)
    cells = rng.sample([(d, s, c) for d in ("d1", "d2") for s in range(12) for c in CODES], 40)
    codings = [coding(n, d, s, c) for n, (d, s, c) in enumerate(sorted(cells))]
    for code, other, within in itertools.product(("a", "a.x", "b.z"), ("a.y", "b", "c"), (0, 1, 3)):
        for query in (CodingQuery(code, all_of=(other,), within=within), CodingQuery(code, none_of=(other,),
                                                                                    within=within),
                      CodingQuery(code, all_of=(other,), none_of=("c",), within=within)):
            hits = run_query(codings, query)
            assert [h.coding.suggestion_id for h in hits] == brute_force(codings, query), str(query)
            for hit in hits:
                assert all(abs(p.segment - hit.coding.segment) <= within for p in hit.partners)


def test_queries_a_theme_anchor_does_not_match_itself():
    codings = [coding(1, "d", 3, "a.x"), coding(2, "d", 3, "a.y"), coding(3, "d", 9, "a.x")]
    hits = run_query(codings, CodingQuery("a.x", all_of=("a",)))
    assert [(h.coding.suggestion_id, [p.suggestion_id for p in h.partners]) for h in hits] == [(1, [2])]


def test_queries_rows_carry_partners_and_the_attribute_asked_for():
    codings = [coding(1, "d", 3, "a.x", phase="special"), coding(2, "d", 4, "b.z")]
    [row] = hit_rows(run_query(codings, CodingQuery("a.x", all_of=("b",), within=1)), by="phase")
    assert (row["code"], row["phase"], row["with"], row["text"]) == ("a.x", "special", "b.z@4", "text 3")


def test_queries_negative_window_is_refused():
    with pytest.raises(AnalysisError, match="--within -1"):
        CodingQuery("a", within=-1)
