"""Passage review in process: what each action records (the library's decisions and coverage marks,
as the terminal records them), stale posts, the type-ahead's codes, filters, memos, blindness."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import HOSTILE, PASSWORDS, csrf_of, sign_in

_PROPOSAL = re.compile(r'<li class="proposal (\w+)[^"]*" data-status="\w+" data-number="\d+" id="proposal-(\d+)">.*?'
                       r'<span class="code-key">([^<]+)</span>', re.S)


def _codes(page: str) -> dict[str, tuple[int, str]]:
    """code key → (suggestion id, this reviewer's status) for the codes on the passage shown."""
    return {code: (int(sid), status) for status, sid, code in _PROPOSAL.findall(page)}


def _segment(page: str) -> int:
    return int(re.search(r'name="segment" value="(\d+)"', page).group(1))


def _where(page: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r'<span class="where">(.*?)</span>', page).group(1))


def _post(client, page: str, action: str, **data):
    response = client.post(f"/review/{action}", data={"csrf": csrf_of(page), "segment": _segment(page), **data})
    assert response.status_code == 303, response.text
    return response


def _decide(client, page: str, code: str, verdict: str, **data):
    sid, status = _codes(page)[code]
    return _post(client, page, "decide", decision=f"{verdict}:{sid}:{status}", **data)


def _log(team, reviewer):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        codes = {row["id"]: row["code"] for row in project.suggestions()}
        decisions = project.store.decisions.log(reviewer=reviewer)
        marks = [(m.segment_id, m.covered, m.via) for m in project.store.coverage.log() if m.reviewer == reviewer]
    return [(codes.get(d.suggestion_id), d.verdict.value, d.note, d.via) for d in decisions], marks


def test_review_shows_the_passage_its_neighbours_and_every_code_with_its_criteria(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    assert _where(page) == "leader.txt · passage 1 · 00:00:09"
    assert sorted(_codes(page)) == ["offer.ecte", "offer.npq"]
    assert all(status == "pending" for _, status in _codes(page).values())
    assert "National professional qualifications." in page and "ECF." in page  # each code's definition
    assert "Tell me about NPQs and mentors." in page and "And autonomy?" in page  # the turns around it
    assert '<mark data-for="2">mentoring</mark>' in page or '<mark data-for="1">mentoring</mark>' in page
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in page and HOSTILE not in page
    assert "<strong>0</strong> of 3 passages done by you · <strong>3</strong> to go" in page


def test_review_a_decision_is_recorded_at_once_with_its_note_and_the_passage_stays(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    response = _decide(client, page, "offer.npq", "reject", note="the trust is the academy trust")
    assert response.headers["location"] == "/review"
    assert _log(team, "alice") == ([("offer.npq", "reject", "the trust is the academy trust", "passage")], [])
    after = client.get("/review").text
    assert _segment(after) == _segment(page)  # still this passage: offer.ecte is to decide
    assert _codes(after)["offer.npq"][1] == "rejected" and "you rejected" in after
    assert "1 of 2 to decide" in after


def test_review_a_stale_post_decides_nothing(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    _decide(client, page, "offer.npq", "accept")
    _decide(client, page, "offer.npq", "reject")  # the same page again (a second tab): not what is on screen now
    assert "nothing was recorded" in client.get("/review").text
    _post(client, page, "done")
    _post(client, page, "done")  # a repeated key: that passage is no longer on screen
    decisions, marks = _log(team, "alice")
    assert decisions == [("offer.npq", "accept", None, "passage"), ("offer.ecte", "reject", None, "passage")]
    assert len(marks) == 1
    assert "no longer the one to review" in client.get("/review").text


def test_review_coded_fully_records_what_the_terminal_records(client, team):
    from qualkit.project import Project

    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    _decide(client, page, "offer.npq", "accept", note="named as PD")
    _post(client, page, "add", add_code="culture.trust")
    _post(client, page, "done")
    following = client.get("/review").text
    assert "marked coded fully; the 1 code you had not decided rejected" in following
    assert _where(following).startswith("leader.txt · passage 4")
    # the terminal's passage review, through the same library, for bob
    with Project.open(team.path) as project:
        session = project.passage_session("bob")
        item = session.current()
        session.note("named as PD")
        session.accept(item, next(p.suggestion_id for p in item.proposals if p.code == "offer.npq"))
        session.add_code(item, "culture.trust")
        session.mark_fully_coded(item)
        terminal_progress = session.progress()
        judged = project.judgements()
    web, terminal = _log(team, "alice"), _log(team, "bob")
    assert web == terminal
    assert web[0] == [("offer.npq", "accept", "named as PD", "passage"), ("culture.trust", "accept", None, "manual"),
                      ("offer.ecte", "reject", None, "passage")]
    assert web[1] == [(_segment(page), True, "passage")]
    assert judged.by_reviewer["alice"] == judged.by_reviewer["bob"]
    assert _segment(page) in judged.covered["alice"]
    assert terminal_progress == (1, 2)
    assert "<strong>1</strong> of 3 passages done by you · <strong>2</strong> to go" in following


def test_review_add_a_code_by_key_name_or_start_of_either(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    url = "/review?document=deputy.txt"
    page = client.get(url).text
    _post(client, page, "add", add_code="Trust", document="deputy.txt")  # the code's name
    assert "Added culture.trust to this passage." in (page := client.get(url).text)
    assert _codes(page)["culture.trust"][1] == "accepted"
    _post(client, page, "add", add_code="culture.t", document="deputy.txt")  # the start of a key
    assert "You have already applied culture.trust to this passage." in client.get(url).text
    _post(client, page, "add", add_code="offer", document="deputy.txt")
    assert "&#39;offer&#39; matches 2 codes (offer.npq, offer.ecte): type more" in client.get(url).text
    _post(client, page, "add", add_code="culture.trsut", document="deputy.txt")
    shown = client.get(url).text
    assert "no codable code &#39;culture.trsut&#39;" in shown and "did you mean &#39;culture.trust&#39;?" in shown
    assert _log(team, "alice")[0] == [("culture.trust", "accept", None, "manual")]


def test_review_undo_brings_back_what_was_undone(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    first = client.get("/review").text
    _decide(client, first, "offer.npq", "accept")
    _post(client, first, "done")
    assert _segment(client.get("/review").text) != _segment(first)
    client.post("/review/undo", data={"csrf": csrf_of(first)})
    again = client.get("/review").text
    assert "Withdrew the fully-coded mark." in again and _segment(again) == _segment(first)
    client.post("/review/undo", data={"csrf": csrf_of(first)})
    again = client.get("/review").text
    assert "Undid reject of suggestion" in again and _codes(again)["offer.ecte"][1] == "pending"
    decisions, marks = _log(team, "alice")
    assert [d[1] for d in decisions] == ["accept", "reject", "undo"]
    assert marks == [(_segment(first), True, "passage"), (_segment(first), False, "passage undo")]


def test_review_skip_moves_on_and_records_nothing(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    _post(client, page, "skip")
    assert _where(client.get("/review").text).startswith("leader.txt · passage 4")
    assert _log(team, "alice") == ([], [])


def test_review_filters_keep_to_their_passages(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review?document=deputy.txt&code=offer.npq").text
    assert "Our ECTs have a <mark" in page
    assert sorted(_codes(page)) == ["offer.ecte", "offer.npq"]  # the filter chooses passages; each shows every code
    assert 'name="document" value="deputy.txt"' in page  # the forms keep the filters
    done = _post(client, page, "done", document="deputy.txt", code="offer.npq")
    assert done.headers["location"] == "/review?code=offer.npq&document=deputy.txt"
    assert "Nothing left to review with these filters" in client.get(done.headers["location"]).text
    everything = client.get("/review").text
    assert _where(everything).startswith("leader.txt · passage 1")
    assert "<strong>1</strong> of 3 passages done by you" in everything  # the same passage counts everywhere


def test_review_order_by_score_and_passages_with_nothing_proposed(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    assert "passage" in _where(client.get("/review?order=score").text)
    page = client.get("/review?document=leader.txt&every=1").text
    for _ in range(2):  # the two passages with proposals first
        _post(client, page, "done", document="leader.txt", every="1")
        page = client.get("/review?document=leader.txt&every=1").text
    assert _where(page).startswith("leader.txt · passage 3")  # nothing proposed; interviewer turns never
    assert 'id="nothing-proposed"' in page


def test_review_never_shows_another_reviewers_verdicts_notes_or_codes(client, team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        session = project.passage_session("bob")
        item = session.current()
        session.note("bob-was-here")
        session.reject(item, item.proposals[0].suggestion_id)
        session.add_code(item, "culture.trust")
        session.mark_fully_coded(item)
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    assert _segment(page) == item.segment_id
    assert "bob" not in page and "bob-was-here" not in page
    assert sorted(_codes(page)) == ["offer.ecte", "offer.npq"]  # not bob's added code
    assert "you rejected" not in page and "coded fully</span>" not in page
    assert "<strong>0</strong> of 3 passages done by you" in page


@pytest.mark.parametrize(("reader", "sees_alices"), [("bob", False), ("sam", True)], ids=["reviewer", "adjudicator"])
def test_review_shows_memos_on_the_passage_its_document_case_and_codes(client, team, reader, sees_alices):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        project.add_memo(code="offer", author="Lead", text="Count NPQs only when <named>.")
        project.add_memo(document="leader.txt", segment=1, author="Lead", text="Irony? Check the audio.")
        project.add_memo(document="deputy.txt", author="Lead", text="Not on this passage.")
        project.add_memo(document="leader.txt", author="alice", text="alice thinks it is NPQ")
    sign_in(client, reader, PASSWORDS[reader])
    page = client.get("/review").text
    assert "Count NPQs only when &lt;named&gt;." in page and "code offer" in page  # a theme above a code on it
    assert "Irony? Check the audio." in page and "segment 1 of leader.txt" in page
    assert "Not on this passage." not in page
    assert ("alice thinks it is NPQ" in page) is sees_alices  # another reviewer's memo is their reading


def test_review_forms_without_the_right_csrf_token_decide_nothing(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    sid, status = _codes(page)["offer.npq"]
    for csrf in (None, "0" * 64):
        data = {"segment": _segment(page), "decision": f"accept:{sid}:{status}"}
        if csrf:
            data["csrf"] = csrf
        for action in ("decide", "done", "add", "skip", "undo"):
            refused = client.post(f"/review/{action}", data={**data, "add_code": "culture.trust"})
            assert refused.status_code == 403 and "did not come from this site" in refused.text, action
    assert _log(team, "alice") == ([], [])
