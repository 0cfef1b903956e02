"""Passage review: a segment with all its proposals, decided in one step, marked fully coded."""

from __future__ import annotations

import pytest

from qualkit.errors import ReviewError
from qualkit.records import Source, Verdict
from tests.conftest import DATA

TEXT = (
    "[00:00:01] Interviewer: Tell me about NPQs and mentors.\n\n"
    "[00:00:09] Headteacher: The NPQ helped, and mentoring is weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Headteacher: Nothing to add there really.\n\n"
    "[00:00:50] Headteacher: Accountability is lighter now; I trust my team.\n"
)


@pytest.fixture
def coded(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TEXT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    return project


def test_passage_item_has_every_proposal_with_readable_evidence(coded):
    session = coded.passage_session("alice")
    item = session.current()
    assert (item.document, item.ordinal, item.speaker) == ("leader.txt", 1, "Headteacher")
    assert [c.speaker for c in item.before] == ["Interviewer"] and [c.ordinal for c in item.after] == [2]
    assert sorted(p.code for p in item.proposals) == ["offer.ecte", "offer.npq"]
    npq = next(p for p in item.proposals if p.code == "offer.npq")
    assert npq.source is Source.RULE and npq.pending and npq.definition == "National professional qualifications."
    [evidence] = npq.evidence
    assert item.text[evidence.start:evidence.end] == "NPQ" == evidence.words
    assert str(evidence) == '"NPQ" @4-7'  # the matched words, never the pattern's source


def test_passage_decide_add_and_mark_fully_coded_then_move_on(coded):
    session = coded.passage_session("alice")
    item = session.current()
    npq = next(p for p in item.proposals if p.code == "offer.npq")
    session.accept(item, npq.suggestion_id)
    session.add_code(item, "culture.trust")
    session.mark_fully_coded(item)  # offer.ecte, still pending, is rejected: she did not apply it
    again = session.item(item.segment_id)
    assert again.fully_coded and not again.pending
    assert {p.code: p.verdict for p in again.proposals} == {
        "offer.npq": Verdict.ACCEPT, "offer.ecte": Verdict.REJECT, "culture.trust": Verdict.ACCEPT}
    following = session.current()
    assert following.segment_id != item.segment_id and following.ordinal == 4
    judged = coded.judgements().by_reviewer["alice"]
    assert {code: value for (segment, code), value in judged.items() if segment == item.segment_id} == {
        "offer.npq": 1, "offer.ecte": 0, "culture.trust": 1}
    assert session.progress() == (1, 1)


def test_passage_is_blind_to_other_reviewers(coded):
    bob = coded.passage_session("bob")
    item = bob.current()
    bob.add_code(item, "culture.trust")
    bob.reject(item, next(p.suggestion_id for p in item.proposals if p.code == "offer.npq"))
    alice = coded.passage_session("alice").current()
    assert alice.segment_id == item.segment_id
    assert sorted(p.code for p in alice.proposals) == ["offer.ecte", "offer.npq"]  # not bob's hand-added code
    assert all(p.verdict is None for p in alice.proposals)  # nor bob's verdicts


def test_passage_undo_withdraws_a_mark_then_a_decision(coded):
    session = coded.passage_session("alice")
    item = session.current()
    session.accept(item, item.proposals[0].suggestion_id)
    session.mark_fully_coded(item, reject_pending=False)
    assert session.undo() == "withdrew the fully-coded mark"
    assert not session.item(item.segment_id).fully_coded
    assert session.current().segment_id == item.segment_id  # back in the queue: one proposal still pending
    assert session.undo().startswith("undid accept of suggestion")
    assert all(p.pending for p in session.item(item.segment_id).proposals)
    assert session.undo() is None


def test_passage_every_segment_reaches_segments_nothing_was_proposed_for(coded):
    session = coded.passage_session("alice", every_segment=True)
    seen = []
    while (item := session.current()) is not None:
        seen.append(item.ordinal)
        session.mark_fully_coded(item)
    assert seen == [1, 4, 3]  # proposals first, then the rest; interviewer turns (0, 2) never
    assert coded.judgements().covered["alice"] == {
        s.id for s in coded.segments() if s.speaker == "Headteacher"}


def test_passage_refuses_a_suggestion_of_another_segment_and_unknown_orders(coded):
    session = coded.passage_session("alice")
    first = session.current()
    session.skip(first)
    second = session.current()
    with pytest.raises(ReviewError, match="not proposed for segment"):
        session.accept(second, first.proposals[0].suggestion_id)
    with pytest.raises(ReviewError, match="unknown review order 'random'"):
        coded.passage_session("alice", order="random")
    assert session.complete_code("zzz") == [] and session.complete_code("Tru") == ["culture.trust"]  # by name
    assert session.complete_code("offer.n") == ["offer.npq"]


def test_passage_sheet_round_trip_decides_adds_and_marks_fully_coded(coded, tmp_path):
    import openpyxl

    out = tmp_path / "alice.xlsx"
    assert coded.export_review(out, "alice", passages=True) == 2  # two segments with proposals
    book = openpyxl.load_workbook(out)
    sheet = book["passages"]
    header = [cell.value for cell in sheet[1]]
    col = {name: header.index(name) for name in header}
    rows = list(sheet.iter_rows(min_row=2))
    assert {r[col["code"]].value for r in rows} >= {"offer.npq", "offer.ecte", "culture.trust"}
    lists = {str(v.formula1) for v in sheet.data_validations.dataValidation}
    assert '"offer.npq,offer.ecte,culture.trust"' in lists and '"accept,reject"' in lists
    for row in rows:
        segment, code = row[col["segment"]].value, row[col["code"]].value
        if segment == 1 and code == "offer.npq":
            row[col["decision"]].value = "accept"
            row[col["fully_coded"]].value = "yes"
        if segment == 1 and code is None and row[col["decision"]].value in (None, ""):
            row[col["code"]].value, row[col["decision"]].value = "culture.trust", "accept"
            break
    book.save(out)
    report = coded.import_review(out)
    assert report.refused == [] and report.manual == 1 and report.covered_segments == 1
    judged = coded.judgements().by_reviewer["alice"]
    first = coded.store.documents.segment_id_at(coded.document_id("leader.txt"), 1)
    assert {code: value for (segment, code), value in judged.items() if segment == first} == {
        "offer.npq": 1, "offer.ecte": 0, "culture.trust": 1}
    again = coded.import_review(out)
    assert again.recorded == 0 and again.covered_segments == 0  # importing twice adds nothing


def test_passage_undo_says_which_segment_it_was_about(coded):
    session = coded.passage_session("alice")
    first = session.current()
    session.accept(first, first.proposals[0].suggestion_id)
    session.mark_fully_coded(first)
    second = session.current()
    session.skip(second)
    assert session.undo() == "withdrew the fully-coded mark" and session.undone_segment == first.segment_id
    assert session.undo().startswith("undid reject") and session.undone_segment == first.segment_id
    assert session.undo() is not None and session.undo() is None and session.undone_segment is None


def test_passage_refresh_sees_what_the_reviewer_did_elsewhere(coded):
    session = coded.passage_session("alice")
    assert session.progress() == (0, 2)
    other = coded.passage_session("alice")  # another window of the same reviewer
    item = other.current()
    other.decide(item, reject=[p.suggestion_id for p in item.proposals])
    coded.mark_coded("alice", document="leader.txt", segment=4)  # and the command line
    assert session.progress() == (0, 2)  # counted once, until told to look again
    session.refresh()
    assert session.progress() == (2, 0)
    assert session.current() is None
