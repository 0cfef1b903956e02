import sqlite3
import subprocess
import sys

import pytest

from qualkit.errors import NotFoundError, QualkitError
from tests.review.conftest import ids_by_code


def test_decide_undo_and_status(reviewed):
    ids = ids_by_code(reviewed)
    result = reviewed.decide("alice", accept=[ids["offer.npq"]], reject=[ids["culture.trust"]], note="clear")
    assert len(result.recorded) == 2
    again = reviewed.decide("alice", accept=[ids["offer.npq"]], note="clear")
    assert again.recorded == () and again.unchanged == (ids["offer.npq"],)

    rows = {r["code"]: r for r in reviewed.suggestions()}
    assert rows["offer.npq"]["status"] == "accepted" and rows["culture.trust"]["status"] == "rejected"
    assert rows["offer.ecte"]["status"] == "pending"
    assert rows["offer.npq"]["reviewer:alice"] == "accepted"

    undone = reviewed.undo("alice")
    assert undone.suggestion_id == ids["culture.trust"]
    rows = {r["code"]: r for r in reviewed.suggestions()}
    assert rows["culture.trust"]["status"] == "pending"
    verdicts = [d.verdict.value for d in reviewed.store.decisions.log(reviewer="alice")]
    assert verdicts == ["accept", "reject", "undo"]  # appended, never rewritten


def test_decisions_are_append_only_in_the_database(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        reviewed.store._db.conn.execute("UPDATE decisions SET verdict = 'reject'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        reviewed.store._db.conn.execute("DELETE FROM decisions")


def test_decision_records_what_the_reviewer_saw(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    [row] = reviewed.store.decisions.log(reviewer="alice")
    assert (row.seen_source, row.seen_score, row.seen_codebook_id) == ("rule", 0.5, 1)


def test_several_reviewers_and_consensus(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    reviewed.decide("bob", reject=[ids["offer.npq"]])
    status = lambda rule: {r["code"]: r["status"] for r in reviewed.suggestions(consensus=rule)}["offer.npq"]  # noqa: E731
    assert status("any") == "accepted" and status("all") == "rejected" and status("majority") == "disputed"
    assert status("adjudicator:bob") == "rejected"
    bob_view = {r["code"]: r["status"] for r in reviewed.suggestions(reviewers=["bob"])}
    assert bob_view["offer.npq"] == "rejected" and bob_view["offer.ecte"] == "pending"


def test_decide_unknown_id_writes_nothing(reviewed):
    ids = ids_by_code(reviewed)
    with pytest.raises(NotFoundError, match="no suggestion with id 999"):
        reviewed.decide("alice", accept=[ids["offer.npq"], 999])
    assert reviewed.store.decisions.log() == []
    with pytest.raises(QualkitError, match="a reviewer name is needed"):
        reviewed.decide("  ", accept=[ids["offer.npq"]])


def test_manual_code_and_accept_all(reviewed):
    suggestion = reviewed.add_code("alice", document="leader.txt", segment=3, code="culture.trust", note="implicit")
    rows = {(r["segment"], r["code"], r["source"]): r for r in reviewed.suggestions()}
    manual = rows[(3, "culture.trust", "manual")]
    assert manual["id"] == suggestion and manual["status"] == "accepted"
    with pytest.raises(NotFoundError, match="no codable code 'culture' "):
        reviewed.add_code("alice", document="leader.txt", segment=3, code="culture")

    result = reviewed.accept_all("bob", code="offer.npq", min_score=0.5)
    assert len(result.recorded) == 1
    [row] = reviewed.store.decisions.log(reviewer="bob")
    assert row.via == "accept-all code=offer.npq min-score=0.5"


def test_review_status_counts(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]], reject=[ids["offer.ecte"]])
    rows = {(r["reviewer"], r["code"]): r for r in reviewed.review_status()}
    assert rows[("alice", "offer.npq")]["accepted"] == 1
    assert rows[("alice", "offer.ecte")]["rejected"] == 1
    assert rows[("alice", "culture.trust")]["pending"] == 1


_WORKER = """
import sys
from qualkit.project import Project
db, reviewer, ids = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3].split(',')]
with Project.open(db) as project:
    for round in range(20):
        for i in ids:
            project.decide(reviewer, accept=[i]) if round % 2 == 0 else project.decide(reviewer, reject=[i])
"""


def test_two_reviewers_concurrently_from_two_processes(reviewed):
    ids = ",".join(str(i) for i in ids_by_code(reviewed).values())
    db = str(reviewed.path)
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, db, name, ids], stderr=subprocess.PIPE)
        for name in ("alice", "bob")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    for name in ("alice", "bob"):
        decisions = reviewed.store.decisions.log(reviewer=name)
        assert len(decisions) == 20 * 3  # every change of mind recorded, none lost or doubled
    statuses = {r["code"]: (r["reviewer:alice"], r["reviewer:bob"]) for r in reviewed.suggestions()}
    assert set(statuses.values()) == {("rejected", "rejected")}


def test_undo_reverses_stored_copies_of_the_decision_so_the_verdict_goes(reviewed):
    """A decision stored twice (two identical `review decide` at once, before issue #17) is undone whole."""
    from qualkit.records import Verdict

    ids = ids_by_code(reviewed)
    reviewed.decide("alice", reject=[ids["offer.npq"]])
    for _ in range(2):  # what the race used to leave: the same accept, twice, both in force
        reviewed.store.decisions.insert(suggestion_id=ids["offer.npq"], reviewer="alice", verdict=Verdict.ACCEPT,
                                        via="decide")
    undone = reviewed.undo("alice")
    assert undone.verdict is Verdict.ACCEPT
    now = reviewed.verdict_in_force("alice", ids["offer.npq"])
    assert now is not None and now.verdict is Verdict.REJECT  # the reject before the copies stands, as undo says
    log = [(d.verdict.value, d.via) for d in reviewed.store.decisions.log(reviewer="alice")]
    assert log[-2:] == [("undo", "undo"), ("undo", "undo (a copy of the decision undone)")]


def test_undo_of_a_note_change_brings_back_the_decision_before(reviewed):
    ids = ids_by_code(reviewed)
    reviewed.decide("alice", accept=[ids["offer.npq"]])
    reviewed.decide("alice", accept=[ids["offer.npq"]], note="on reflection, clearly")
    reviewed.undo("alice")
    now = reviewed.verdict_in_force("alice", ids["offer.npq"])
    assert now is not None and now.note is None and now.verdict.value == "accept"
    reviewed.undo("alice")
    assert reviewed.verdict_in_force("alice", ids["offer.npq"]) is None
