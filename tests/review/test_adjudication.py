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


def _code_passage(project, reviewer, *, accept=(), add=()):
    """Passage review of the first passage, as the terminal and the web do it: accept some codes,
    add some by hand, then mark it coded fully (the rest rejected)."""
    session = project.passage_session(reviewer)
    item = session.current()
    for proposal in item.proposals:
        if proposal.code in accept:
            session.accept(item, proposal.suggestion_id)
    for code in add:
        session.add_code(item, code)
    session.mark_fully_coded(item)
    return item


def test_adjudication_a_code_one_added_and_another_coded_the_passage_fully_without_is_a_dispute(reviewed):
    item = _code_passage(reviewed, "alice", accept=["offer.npq"], add=["culture.trust"])
    _code_passage(reviewed, "bob", accept=["offer.npq"])  # blind: he never saw alice's culture.trust
    (dispute,) = reviewed.disputes()
    assert (dispute.suggestion.code, dispute.suggestion.segment_id) == ("culture.trust", item.segment_id)
    alice, bob = dispute.verdicts
    assert (alice.reviewer, alice.verdict, alice.via, alice.implied) == ("alice", Verdict.ACCEPT, "manual", False)
    assert (bob.reviewer, bob.verdict, bob.via, bob.implied) == ("bob", Verdict.REJECT, "passage", True)
    assert bob.decided_at == next(m.marked_at for m in reviewed.store.coverage.log() if m.reviewer == "bob")
    # the same disagreement agreement counts
    listed = [(d.segment, d.code, d.values) for d in reviewed.agreement().disagreements]
    assert listed == [(item.ordinal, "culture.trust", {"alice": 1, "bob": 0})]

    reviewed.adjudicate("sam", dispute.suggestion.id, accept=False, note="trust is not discussed")
    (settled,) = reviewed.disputes(settled=True)
    assert settled.adjudication.verdict is Verdict.REJECT
    assert [v.reviewer for v in settled.verdicts] == ["alice", "bob"]  # sam's adjudication is not a verdict
    status = {r["id"]: r["status"] for r in reviewed.suggestions(consensus="adjudicator:sam")}
    assert status[dispute.suggestion.id] == "rejected"


def test_adjudication_coverage_counts_only_where_the_reviewer_said_nothing_and_is_not_retired(reviewed):
    _code_passage(reviewed, "alice", add=["culture.trust"])
    assert reviewed.disputes() == []  # nobody else has covered the passage: nothing to disagree with
    item = _code_passage(reviewed, "bob")
    assert [d.suggestion.code for d in reviewed.disputes()] == ["culture.trust"]
    reviewed.retire_reviewer("bob")  # left out of agreement, so out of coverage disputes too
    assert reviewed.disputes() == []
    reviewed.retire_reviewer("bob", reinstate=True)
    # bob now applies it too: no disagreement left
    session = reviewed.passage_session("bob")
    session.add_code(session.item(item.segment_id), "culture.trust")
    assert reviewed.disputes() == []


def test_adjudication_of_a_coverage_dispute_is_refused_once_it_is_gone(reviewed):
    item = _code_passage(reviewed, "alice", add=["culture.trust"])
    _code_passage(reviewed, "bob")
    (dispute,) = reviewed.disputes()
    reviewed.mark_coded("bob", document="leader.txt", segment=item.ordinal, undo=True)
    (still,) = reviewed.disputes()  # he still decided every proposal there: still coded fully
    assert (still.verdicts[1].via, still.verdicts[1].decided_at) == ("every proposal decided", "")
    reviewed.undo("bob")  # his last rejection undone: a proposal pending, the passage not coded fully
    assert reviewed.disputes() == []
    with pytest.raises(NotFoundError, match="or coded its passage fully without it"):
        reviewed.adjudicate("sam", dispute.suggestion.id, accept=True)


def test_adjudication_an_adjudicators_decisions_never_make_them_a_reviewer_who_covered_the_passage(reviewed):
    ids = ids_by_code(reviewed)
    item = _code_passage(reviewed, "alice", accept=["offer.npq"], add=["culture.trust"])
    reviewed.decide("bob", reject=[ids["offer.npq"]], accept=[ids["offer.ecte"]])
    assert sorted(d.suggestion.code for d in reviewed.disputes()) == ["culture.trust", "offer.ecte", "offer.npq"]
    # sam settles every proposal on the passage: as a reviewer he would have coded it fully
    reviewed.adjudicate("sam", ids["offer.npq"], accept=True)
    reviewed.adjudicate("sam", ids["offer.ecte"], accept=False)
    trust = next(d for d in reviewed.disputes() if d.suggestion.code == "culture.trust")
    assert [v.reviewer for v in trust.verdicts] == ["alice", "bob"] and trust.suggestion.segment_id == item.segment_id


def test_adjudication_an_adjudicator_is_not_a_coder_in_agreement(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    reviewed.decide("bob", reject=[ids["offer.npq"]])
    reviewed.adjudicate("sam", ids["offer.npq"], accept=True)
    pairs = reviewed.agreement().report.pairs
    assert {(a, b) for a, b in zip(pairs["coder_a"], pairs["coder_b"], strict=True)} == {("alice", "bob")}
    # an adjudicator who also reviews is a coder for what they reviewed
    reviewed.decide("sam", reject=[ids["culture.trust"]])
    reviewed.decide("alice", reject=[ids["culture.trust"]])
    assert ("alice", "sam") in set(zip(reviewed.agreement().report.pairs["coder_a"],
                                       reviewed.agreement().report.pairs["coder_b"], strict=True))
