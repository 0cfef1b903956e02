"""Memos shown with review items and written from them, through the review library (the terminal,
the web and the spreadsheet flows all sit on it)."""

from __future__ import annotations

import pytest

from qualkit.errors import MemoError, NotFoundError
from qualkit.records import MemoAbout
from tests.conftest import DATA
from tests.review.conftest import TRANSCRIPT


@pytest.fixture
def cased(project, tmp_path):
    """The review transcript in case Brookfield, another document with no case, both coded."""
    (tmp_path / "leader.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "policy.txt").write_text("Every teacher may take an NPQ.\n", encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\nleader.txt,Brookfield,primary\n", encoding="utf-8")
    project.ingest([tmp_path / "leader.txt", tmp_path / "policy.txt"], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    return project


def _texts(memos):
    return [memo.text for memo in memos]


def test_review_item_shows_memos_on_segment_code_themes_document_and_case(cased):
    session = cased.review_session("alice", codes=["offer.npq"], documents=["leader.txt"])
    item = session.current()
    assert (item.code, item.document, item.case) == ("offer.npq", "leader.txt", "Brookfield")
    assert item.memos == ()
    cased.add_memo(case="Brookfield", author="ben", text="case")
    cased.add_memo(document="leader.txt", author="ben", text="document")
    cased.add_memo(code="offer", author="ben", text="theme")
    cased.add_memo(code="offer.npq", author="ben", text="code")
    cased.add_memo(document="leader.txt", segment=item.ordinal, author="ben", text="segment")
    cased.add_memo(code="culture.trust", author="ben", text="another code")
    cased.add_memo(document="leader.txt", segment=item.ordinal + 2, author="ben", text="another segment")
    cased.add_memo(document="policy.txt", author="ben", text="another document")
    cased.add_memo(project=True, author="ben", text="the project")
    again = session.current()
    assert again.suggestion_id == item.suggestion_id
    assert _texts(again.memos) == ["segment", "code", "theme", "document", "case"]  # the most specific first


def test_review_session_writes_memos_on_what_the_item_shows(cased):
    session = cased.review_session("alice", codes=["offer.npq"], documents=["leader.txt"])
    item = session.current()
    for about, text in ((MemoAbout.SEGMENT, "irony?"), ("code", "NPQs as retention"), ("document", "poor audio"),
                        ("case", "new head")):
        session.write_memo(item, text, on=about)
    written = {str(m.target): (m.text, m.author) for m in cased.memos()}
    assert written == {f"segment {item.ordinal} of leader.txt": ("irony?", "alice"),
                       "code offer.npq": ("NPQs as retention", "alice"),
                       "document leader.txt": ("poor audio", "alice"), "case Brookfield": ("new head", "alice")}
    assert _texts(session.current().memos) == ["irony?", "NPQs as retention", "poor audio", "new head"]
    with pytest.raises(MemoError, match="the memo's text is empty"):
        session.write_memo(item, "   ")
    with pytest.raises(MemoError, match="a memo is on one of: project, document, case, code, segment"):
        session.write_memo(item, "x", on="paragraph")
    assert len(cased.memos()) == 4


def test_review_session_memo_on_a_case_needs_one(cased):
    session = cased.review_session("alice", documents=["policy.txt"])
    item = session.current()
    assert item.case is None
    with pytest.raises(MemoError, match="this document belongs to no case; write the memo on its document instead"):
        session.write_memo(item, "x", on="case")
    assert cased.memos() == []


def test_passage_item_shows_memos_on_every_proposed_code_and_writes_them(cased):
    session = cased.passage_session("alice", documents=["leader.txt"])
    item = session.current()
    assert sorted(p.code for p in item.proposals) == ["offer.ecte", "offer.npq"]
    cased.add_memo(code="offer.ecte", author="ben", text="ECF")
    cased.add_memo(code="offer", author="ben", text="the offer")
    cased.add_memo(code="culture.trust", author="ben", text="not proposed here")
    memo = session.write_memo(item, "trust is not proposed but is here", on="code", code="culture.trust")
    assert (str(memo.target), memo.author) == ("code culture.trust", "alice")
    session.write_memo(item, "weekly mentoring: check the ECT's account")
    shown = session.item(item.segment_id).memos
    assert _texts(shown)[0] == "weekly mentoring: check the ECT's account"  # the segment's own first
    assert {"ECF", "the offer"} <= set(_texts(shown)) and "not proposed here" not in _texts(shown)
    with pytest.raises(NotFoundError, match="no code 'ofer.npq' in codebook 'Test' \\(did you mean 'offer.npq'\\?\\)"):
        session.write_memo(item, "x", on="code", code="ofer.npq")
    with pytest.raises(MemoError, match="say which code the memo is on"):
        session.write_memo(item, "x", on="code")
