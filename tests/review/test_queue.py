"""The review queue at scale: the next item is found by walking an index, and the counts
agree with the decisions in force (accepts, rejects, undos) in every filter."""

import pytest

from qualkit.records import QueueFilter
from qualkit.review.actions import decide, undo_last
from qualkit.review.session import ORDERS
from qualkit.store import queue
from tests.conftest import DATA
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


def _finished(project, reviewer, where, covered):
    """Segments with a proposal in the filter that ``reviewer`` finished, computed from the rows and the
    log directly: covered, or every proposal in the filter with a decision in force."""
    log = project.store.decisions.log()
    reversed_ids = {d.reverses for d in log if d.verdict.value == "undo"}
    in_force = {d.suggestion_id for d in sorted(log, key=lambda d: d.id)
                if d.reviewer == reviewer and d.verdict.value != "undo" and d.id not in reversed_ids}
    segments: dict[int, list[int]] = {}
    for view in (found.suggestion for found in project.iter_suggestions()):
        if view.source.value == "manual" or (where.get("codes") and not view.code.startswith(where["codes"])):
            continue
        if where.get("documents") and view.document not in where["documents"]:
            continue
        segments.setdefault(view.segment_id, []).append(view.id)
    return {s for s, ids in segments.items() if s in covered or all(i in in_force for i in ids)}, len(segments)


@pytest.mark.parametrize("seed", range(6))
def test_count_segments_done_follows_decisions_undos_marks_and_filters(project, tmp_path, seed):
    import random

    rng = random.Random(seed)
    words = ["The NPQ helped.", "Mentoring is weekly.", "I trust my team.", "Autonomy matters.", "Nothing much.",
             "Our ECTs have a mentor.", "Accountability is lighter."]
    for name in ("one", "two"):
        turns = [f"[00:00:{n:02d}] Teacher: {' '.join(rng.sample(words, 2))}" for n in range(25)]
        (tmp_path / f"{name}.txt").write_text("\n\n".join(turns) + "\n", encoding="utf-8")
    project.ingest([tmp_path / "one.txt", tmp_path / "two.txt"])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    store, rows = project.store, [found.suggestion for found in project.iter_suggestions()]
    covered: set[int] = set()
    for _ in range(60):
        view = rng.choice(rows)
        action = rng.random()
        if action < 0.45:
            decide(store, "alice", accept=[view.id])
        elif action < 0.75:
            decide(store, "alice", reject=[view.id])
        elif action < 0.85:
            undo_last(store, "alice")
        elif action < 0.95:
            covered.add(view.segment_id)
        else:
            decide(store, "bob", accept=[view.id])  # someone else's work never finishes alice's segments
    for where in ({}, {"codes": "offer"}, {"documents": ("two.txt",)}, {"codes": "culture", "documents": ("one.txt",)}):
        documents = tuple(project.document_id(name) for name in where.get("documents", ()))
        queue_filter = QueueFilter(codes=(where["codes"],) if "codes" in where else None,
                                   document_ids=documents or None)
        expected, total = _finished(project, "alice", where, covered)
        assert store.queue.count_segments_done("alice", queue_filter, covered=covered) == len(expected), where
        assert store.queue.count_segments(None, queue_filter) == total
        assert total - len(expected) == store.queue.count_segments("alice", queue_filter, exclude_segments=covered)


@pytest.mark.parametrize("in_query", [True, False], ids=["ids-in-the-query", "ids-picked-as-they-stream"])
def test_suggestion_views_of_chosen_ids_keep_document_order_and_filters(reviewed, monkeypatch, in_query):
    from qualkit.store import suggestions

    if not in_query:
        monkeypatch.setattr(suggestions, "_MAX_IDS_IN_QUERY", 1)
    every = list(reviewed.store.suggestions.views())
    chosen = {every[-1].id, every[0].id}
    assert [v.id for v in reviewed.store.suggestions.views(ids=chosen)] == [every[0].id, every[-1].id]
    offer = [v.id for v in reviewed.store.suggestions.views(codes=["offer"], ids=chosen)]
    assert offer == [v.id for v in every if v.id in chosen and v.code.startswith("offer")]
    assert list(reviewed.store.suggestions.views(ids=())) == []
