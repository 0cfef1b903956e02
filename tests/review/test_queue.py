"""The review queue at scale: the next item is found by walking an index, and the counts
agree with the decisions in force (accepts, rejects, undos) in every filter."""

import pytest

from qualkit.records import QueueFilter
from qualkit.review.actions import decide, undo_last
from qualkit.review.session import ORDERS
from qualkit.store import queue
from tests.review.conftest import ids_by_code


def _plan(store, order: str, codes=None) -> str:
    where, params = queue._where("alice", QueueFilter(codes=codes), [], code_index=False)
    query = "SELECT g.id " + queue._FROM + where + f" ORDER BY {queue._ORDER_BY[order]} LIMIT 1"
    return " | ".join(row[3] for row in store._db.conn.execute("EXPLAIN QUERY PLAN " + query, params))


@pytest.mark.parametrize("codes", [None, ["offer"]])
@pytest.mark.parametrize("order", ORDERS)
def test_next_item_walks_an_index_instead_of_sorting_the_queue(reviewed, order, codes):
    plan = _plan(reviewed.store, order, codes)
    assert "TEMP B-TREE" not in plan  # no sort of every pending suggestion per keypress
    assert "SCAN u" not in plan  # undos found through decisions_reverses, not a scan of all decisions
    assert plan.startswith("SCAN g USING")


def test_document_order_follows_documents_and_turns(reviewed, tmp_path):
    second = tmp_path / "second.txt"
    second.write_text("[00:00:01] Teacher: My mentor and the NPQ.\n", encoding="utf-8")
    reviewed.ingest([second])
    reviewed.code()
    items = reviewed.store.queue.pending("alice", order="document")
    keys = [(item.document_id, item.ordinal, item.code, item.source.value) for item in items]
    assert keys == sorted(keys) and len({k[0] for k in keys}) == 2


def test_code_filters_count_through_the_code_index(reviewed):
    store = reviewed.store
    where, params = queue._where(None, QueueFilter(codes=("offer",)), [])
    plan = " | ".join(row[3] for row in store._db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT 1 FROM suggestions g " + where, params))
    assert "suggestions_code (code_key>? AND code_key<?)" in plan
    # the range is "offer." up to "offer/": the code itself and codes under it, never a sibling
    assert store.queue.count_in_filter(QueueFilter(codes=("offer",))) == sum(
        1 for row in reviewed.suggestions() if row["code"] == "offer" or row["code"].startswith("offer.")
    ) == 2


def test_counts_follow_decisions_undos_and_filters(reviewed):
    store = reviewed.store
    ids = ids_by_code(reviewed)
    total = store.queue.count_pending(None)
    assert total == len(ids) == store.queue.count_in_filter()
    decide(store, "alice", accept=[ids["offer.npq"]], reject=[ids["culture.trust"]])
    decide(store, "alice", accept=[ids["offer.npq"]])  # said again: still one decision in force
    decide(store, "bob", accept=[ids["offer.ecte"]])  # another reviewer's decisions do not count
    assert store.queue.count_decided("alice") == 2
    assert store.queue.count_pending("alice") == total - 2
    assert store.queue.count_decided("alice", QueueFilter(codes=("offer",))) == 1
    culture = QueueFilter(codes=("culture",))
    assert store.queue.count_pending("alice", culture) == store.queue.count_in_filter(culture) - 1
    undo_last(store, "alice")
    assert store.queue.count_decided("alice") == 1
    assert ids["culture.trust"] in {item.id for item in store.queue.pending("alice")}


def test_session_progress_and_revisit_after_undo(reviewed):
    session = reviewed.review_session("alice")
    assert session.progress() == (0, 3)
    first = session.current()
    session.accept(first)
    assert session.progress() == (1, 2)
    assert session.current().suggestion_id != first.suggestion_id
    session.undo()
    assert session.current().suggestion_id == first.suggestion_id  # the undone one comes back first
    assert session.progress() == (0, 3)
    session.add_code(first, "culture.trust")  # a code added by hand is the reviewer's coding, not a proposal
    assert session.progress() == (0, 3)
