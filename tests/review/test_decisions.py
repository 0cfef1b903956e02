import pytest

from qualkit.errors import QualkitError
from qualkit.review.decisions import ConsensusRule, Decision, Status, Verdict, current_verdicts

A, R = Verdict.ACCEPT, Verdict.REJECT


@pytest.mark.parametrize(
    ("rule", "verdicts", "expected"),
    [
        ("any", {}, Status.PENDING),
        ("any", {"a": A, "b": R}, Status.ACCEPTED),
        ("any", {"a": R, "b": R}, Status.REJECTED),
        ("majority", {"a": A, "b": A, "c": R}, Status.ACCEPTED),
        ("majority", {"a": A, "b": R}, Status.DISPUTED),
        ("majority", {"a": R, "b": R, "c": A}, Status.REJECTED),
        ("all", {"a": A, "b": A}, Status.ACCEPTED),
        ("all", {"a": A, "b": R}, Status.REJECTED),
        ("adjudicator:lead", {"a": A, "b": R}, Status.DISPUTED),
        ("adjudicator:lead", {"a": A, "b": R, "lead": R}, Status.REJECTED),
        ("adjudicator:lead", {"a": A, "b": A}, Status.ACCEPTED),
    ],
    ids=["any-none", "any-one", "any-all-reject", "majority-yes", "majority-tie", "majority-no",
         "all-yes", "all-one-no", "adjudicator-missing", "adjudicator-decides", "adjudicator-agreement"],
)
def test_consensus_rules(rule, verdicts, expected):
    assert ConsensusRule.parse(rule).status(verdicts) is expected


@pytest.mark.parametrize("text", ["most", "adjudicator", "all:bob"], ids=["unknown", "no-name", "name-on-all"])
def test_bad_rules(text):
    with pytest.raises(QualkitError, match="unknown consensus rule"):
        ConsensusRule.parse(text)


def _d(id, verdict, reverses=None, suggestion=1, reviewer="a"):
    return Decision(id, suggestion, reviewer, verdict, None, "review", "t", reverses)


def test_current_verdicts_follow_undo():
    decisions = [_d(1, A), _d(2, R), _d(3, Verdict.UNDO, reverses=2)]
    assert current_verdicts(decisions)[(1, "a")].id == 1
    decisions.append(_d(4, Verdict.UNDO, reverses=1))
    assert (1, "a") not in current_verdicts(decisions)
    decisions.append(_d(5, R))
    assert current_verdicts(decisions)[(1, "a")].verdict is R
