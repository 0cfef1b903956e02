"""Disagreements between reviewers and an adjudicator's decision on them."""

from __future__ import annotations

import pytest

from qualkit.errors import NotFoundError
from qualkit.records import Verdict
from tests.review.conftest import ids_by_code


def test_adjudication_disputes_are_suggestions_accepted_by_one_and_rejected_by_another(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"], ids["offer.ecte"]], note="an NPQ is named")
    reviewed.decide("bob", reject=[ids["offer.npq"]], note="only in passing")
    reviewed.decide("bob", accept=[ids["offer.ecte"]])
    reviewed.decide("carol", reject=[ids["culture.trust"]])  # one reviewer alone: no dispute
    disputes = reviewed.disputes()
    assert [d.suggestion.id for d in disputes] == [ids["offer.npq"]]
    dispute = disputes[0]
    assert dispute.suggestion.code == "offer.npq" and dispute.adjudication is None
    assert [(v.reviewer, v.verdict, v.note) for v in dispute.verdicts] == [
        ("alice", Verdict.ACCEPT, "an NPQ is named"), ("bob", Verdict.REJECT, "only in passing"),
    ]
    # undoing bob's reject (his first decision; the accept of offer.ecte is undone first) ends it
    assert reviewed.undo("bob").suggestion_id == ids["offer.ecte"]
    assert reviewed.undo("bob").suggestion_id == ids["offer.npq"]
    assert reviewed.disputes() == []


def test_adjudication_is_recorded_as_such_and_settles_under_the_adjudicator_rule(reviewed):
    ids = ids_by_code(reviewed)
    npq = ids["offer.npq"]
    reviewed.decide("alice", accept=[npq])
    reviewed.decide("bob", reject=[npq])
    assert {r["id"]: r["status"] for r in reviewed.suggestions(consensus="adjudicator:sam")}[npq] == "disputed"

    report = reviewed.adjudicate("sam", npq, accept=False, note="the NPQ is only mentioned")
    assert len(report.recorded) == 1
    decision = reviewed.store.decisions.log(reviewer="sam")[0]
    assert decision.via == "adjudication" and decision.verdict is Verdict.REJECT
    assert {r["id"]: r["status"] for r in reviewed.suggestions(consensus="adjudicator:sam")}[npq] == "rejected"

    # still a disagreement between the reviewers (their decisions stand), now settled
    assert reviewed.disputes(settled=False) == []
    (settled,) = reviewed.disputes(settled=True)
    assert settled.adjudication.reviewer == "sam" and settled.adjudication.note == "the NPQ is only mentioned"
    assert [v.reviewer for v in settled.verdicts] == ["alice", "bob"]  # the adjudication is not a verdict


def test_adjudication_of_a_suggestion_nobody_disputes_is_refused(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    with pytest.raises(NotFoundError, match=f"suggestion {ids['offer.npq']} is not disputed"):
        reviewed.adjudicate("sam", ids["offer.npq"], accept=True)
    assert reviewed.store.decisions.log(reviewer="sam") == []


def test_adjudication_disputes_follow_the_filters(reviewed):
    ids = ids_by_code(reviewed)
    for code in ("offer.npq", "culture.trust"):
        reviewed.decide("alice", accept=[ids[code]])
        reviewed.decide("bob", reject=[ids[code]])
    assert [d.suggestion.code for d in reviewed.disputes(codes=["culture"])] == ["culture.trust"]
    assert len(reviewed.disputes(documents=["leader.txt"])) == 2
    assert reviewed.disputes(case="nowhere") == []
    with pytest.raises(NotFoundError):
        reviewed.disputes(codes=["culture.trsut"])
