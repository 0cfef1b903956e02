"""The review queue at scale: the next item is found by walking an index, and the counts
agree with the decisions in force (accepts, rejects, undos) in every filter."""

import pytest

from qualkit.review.actions import decide, undo_last
from qualkit.review.session import ORDERS, ReviewSession
from tests.review.conftest import ids_by_code


def _plan(store, order: str, codes=None) -> str:
    where, params = store._pending_filter("alice", codes, None, None, [], code_index=False)
    query = "SELECT g.id " + store._PENDING_FROM + where + f" ORDER BY {store._ORDERS[order]} LIMIT 1"
    return " | ".join(row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN " + query, params))


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
    rows = reviewed.store.pending_suggestions("alice", order="document")
    keys = [(row["document_id"], row["ordinal"], row["code_key"], row["source"]) for row in rows]
    assert keys == sorted(keys) and len({k[0] for k in keys}) == 2


def test_code_filters_count_through_the_code_index(reviewed):
    store = reviewed.store
    where, params = store._pending_filter(None, ["offer"], None, None, [])
    plan = " | ".join(row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN SELECT 1 FROM suggestions g " + where,
                                                            params))
    assert "suggestions_code (code_key>? AND code_key<?)" in plan
    # the range is "offer." up to "offer/": the code itself and codes under it, never a sibling
    assert store.count_in_filter(codes=["offer"]) == sum(
        1 for row in reviewed.suggestions() if row["code"] == "offer" or row["code"].startswith("offer.")
    ) == 2


def test_counts_follow_decisions_undos_and_filters(reviewed):
    store = reviewed.store
    ids = ids_by_code(reviewed)
    total = store.count_pending(None)
    assert total == len(ids) == store.count_in_filter()
    decide(store, "alice", accept=[ids["offer.npq"]], reject=[ids["culture.trust"]])
    decide(store, "alice", accept=[ids["offer.npq"]])  # said again: still one decision in force
    decide(store, "bob", accept=[ids["offer.ecte"]])  # another reviewer's decisions do not count
    assert store.count_decided("alice") == 2
    assert store.count_pending("alice") == total - 2
    assert store.count_decided("alice", codes=["offer"]) == 1
    assert store.count_pending("alice", codes=["culture"]) == store.count_in_filter(codes=["culture"]) - 1
    undo_last(store, "alice")
    assert store.count_decided("alice") == 1
    assert ids["culture.trust"] in {row["id"] for row in store.pending_suggestions("alice")}


def test_session_progress_and_revisit_after_undo(reviewed):
    session = ReviewSession(reviewed, "alice")
    assert session.progress() == (0, 3)
    first = session.current()
    session.accept(first)
    assert session.progress() == (1, 2)
    assert session.current().suggestion_id != first.suggestion_id
    session.undo()
    assert session.current().suggestion_id == first.suggestion_id  # the undone one comes back first
    assert session.progress() == (0, 3)
    session.add_code(first, "culture.trust")  # a manual code joins the queue total
    assert sum(session.progress()) == 4
