"""Memos on the project, a document, a case, a code and a segment; edits keep every text."""

from __future__ import annotations

import sqlite3

import pytest

from qualkit.errors import MemoError, NotFoundError
from qualkit.memos import MAX_CHARACTERS, memo_text
from qualkit.records import MemoAbout
from tests.conftest import DATA
from tests.review.conftest import TRANSCRIPT


@pytest.fixture
def coded(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\nleader.txt,Brookfield,primary\n", encoding="utf-8")
    project.ingest([path], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    return project


def test_memos_on_every_kind_of_target(coded):
    written = [
        coded.add_memo(project=True, author="amira", text="Sampling: six schools.", title="Method"),
        coded.add_memo(document="leader.txt", author="ben", text="Recorded on Teams."),
        coded.add_memo(case="Brookfield", author="ben", text="New head in 2023."),
        coded.add_memo(code="culture.trust", author="amira", text="Mostly autonomy."),
        coded.add_memo(document="leader.txt", segment=4, author="ben", text="Irony?"),
    ]
    assert [str(m.target) for m in written] == [
        "the project", "document leader.txt", "case Brookfield", "code culture.trust", "segment 4 of leader.txt"]
    assert written[0].title == "Method" and written[0].revisions == 1 and written[0].author == "amira"
    assert [m.id for m in coded.memos(about=["code"])] == [written[3].id]
    assert [m.id for m in coded.memos(documents=["leader.txt"])] == [written[1].id, written[4].id]  # its segments too
    assert [m.id for m in coded.memos(codes=["culture"])] == [written[3].id]  # a theme: the codes under it
    assert [m.id for m in coded.memos(cases=["Brookfield"])] == [written[2].id]


def test_memos_edit_keeps_every_text(coded):
    memo = coded.add_memo(code="offer.npq", author="amira", text="First thoughts.")
    coded.edit_memo(memo.id, author="ben", text="Second thoughts.")
    edited = coded.edit_memo(memo.id, author="amira", text="Third thoughts.")
    assert (edited.text, edited.revisions, edited.author, edited.edited_by) == ("Third thoughts.", 3, "amira", "amira")
    history = coded.memo_revisions(memo.id)
    assert [(r.number, r.text, r.author) for r in history] == [
        (1, "First thoughts.", "amira"), (2, "Second thoughts.", "ben"), (3, "Third thoughts.", "amira")]
    assert coded.edit_memo(memo.id, author="amira", text="Third thoughts.").revisions == 3  # same text: no revision
    conn = coded.store._db.conn
    with pytest.raises(sqlite3.IntegrityError, match="memo texts are kept"):
        conn.execute("UPDATE memo_texts SET text = 'lost'")
    with pytest.raises(sqlite3.IntegrityError, match="memo texts are kept"):
        conn.execute("DELETE FROM memo_texts")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({}, "say what the memo is about, once"),
        ({"project": True, "code": "offer.npq"}, "(got --project --code)"),
        ({"segment": 1}, "--segment N needs --document NAME"),
        ({"document": "leader.txt", "segment": 99}, "document 'leader.txt' has no segment 99"),
        ({"case": "Brookfeld"}, "no case named 'Brookfeld' (did you mean 'Brookfield'?)"),
        ({"code": "culture.trsut"}, "no code 'culture.trsut' in codebook 'Test' (did you mean 'culture.trust'?)"),
    ],
    ids=["none", "two", "segment-alone", "no-segment", "no-case", "no-code"],
)
def test_memos_target_refusals_write_nothing(coded, target, message):
    with pytest.raises((MemoError, NotFoundError)) as refused:
        coded.add_memo(author="amira", text="x", **target)
    assert message in str(refused.value)
    assert coded.memos() == []


def test_memos_text_from_text_or_file(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("\ufeffLine one\r\nLine two\r\n", encoding="utf-8")
    assert memo_text(file=note) == "Line one\nLine two"
    with pytest.raises(MemoError, match="one of them"):
        memo_text(text="a", file=note)
    with pytest.raises(MemoError, match="the memo's text is empty"):
        memo_text(text="   \n")
    with pytest.raises(MemoError, match=f"{tmp_path / 'missing.md'}: no such file"):
        memo_text(file=tmp_path / "missing.md")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(MemoError, match="not UTF-8 text"):
        memo_text(file=latin)
    with pytest.raises(MemoError, match="a memo holds up to 1,000,000"):
        memo_text(text="x" * (MAX_CHARACTERS + 1))


def test_memos_for_a_review_item_include_its_code_themes_document_case_and_segment(coded):
    on_theme = coded.add_memo(code="culture", author="a", text="theme")
    on_code = coded.add_memo(code="culture.trust", author="a", text="code")
    coded.add_memo(code="offer.npq", author="a", text="another code")
    on_segment = coded.add_memo(document="leader.txt", segment=4, author="a", text="segment")
    coded.add_memo(document="leader.txt", segment=1, author="a", text="another segment")
    on_document = coded.add_memo(document="leader.txt", author="a", text="document")
    on_case = coded.add_memo(case="Brookfield", author="a", text="case")
    coded.add_memo(project=True, author="a", text="project")
    item = next(i for i in coded.store.queue.pending("alice") if i.code == "culture.trust")
    found = coded.memos_about(segment_id=item.segment_id, document=item.document, case=item.case, code=item.code)
    assert [m.id for m in found] == [on_theme.id, on_code.id, on_segment.id, on_document.id, on_case.id]


def test_memos_index_groups_them_for_the_report_and_refi(coded):
    coded.add_memo(project=True, author="a", text="p")
    coded.add_memo(code="culture.trust", author="a", text="c1")
    coded.add_memo(code="culture.trust", author="b", text="c2")
    coded.add_memo(case="Brookfield", author="a", text="k")
    segment = coded.add_memo(document="leader.txt", segment=4, author="a", text="s")
    index = coded.memo_index()
    assert [m.text for m in index.project] == ["p"]
    assert [m.text for m in index.codes["culture.trust"]] == ["c1", "c2"]
    assert [m.text for m in index.cases["Brookfield"]] == ["k"]
    assert [m.text for m in index.segments[segment.segment_id]] == ["s"] and len(index) == 5
    coded.rename_code("culture.trust", "culture.relational_trust")
    assert list(coded.memo_index().codes) == ["culture.relational_trust"]  # a code memo follows its code
    assert MemoAbout.CODE in {m.target.about for m in coded.memos()}
