"""The review pages in process: what a decision records, stale posts, filters, blindness."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORDS, csrf_of, sign_in


def _shown(page: str) -> int:
    return int(re.search(r'name="decision" value="accept:(\d+)"', page).group(1))


def _log(team, reviewer):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        decisions = project.store.decisions.log(reviewer=reviewer)
    return [(d.suggestion_id, d.verdict.value, d.note, d.via) for d in decisions]


def test_review_a_decision_is_recorded_at_once_with_its_note(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    shown = _shown(page)
    response = client.post("/review/decide", data={"csrf": csrf_of(page), "decision": f"reject:{shown}",
                                                   "note": "the trust is the academy trust"})
    assert response.status_code == 303 and response.headers["location"] == "/review"
    assert _log(team, "alice") == [(shown, "reject", "the trust is the academy trust", "review")]
    after = client.get("/review").text
    assert _shown(after) != shown and "<strong>1</strong> decided by you" in after


def test_review_a_stale_post_decides_nothing(client, team):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    shown, csrf = _shown(page), csrf_of(page)
    assert client.post("/review/decide", data={"csrf": csrf, "decision": f"accept:{shown}"}).status_code == 303
    # the same key pressed twice: the second post names a passage no longer on screen
    client.post("/review/decide", data={"csrf": csrf, "decision": f"accept:{shown}"})
    assert _log(team, "alice") == [(shown, "accept", None, "review")]
    assert "That passage was already decided; here is the next one." in client.get("/review").text


def test_review_filters_keep_to_their_passages(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review?document=deputy.txt&code=offer.npq").text
    assert "Our ECTs have a mentor each" in page and "offer.npq" in page
    assert 'name="document" value="deputy.txt"' in page  # the forms keep the filters
    done = client.post("/review/decide", data={"csrf": csrf_of(page), "decision": f"accept:{_shown(page)}",
                                               "document": "deputy.txt", "code": "offer.npq"})
    assert done.headers["location"] == "/review?code=offer.npq&document=deputy.txt"
    assert "Nothing left to review with these filters" in client.get(done.headers["location"]).text


def test_review_never_shows_another_reviewers_verdicts_or_notes(client, team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        for row in project.suggestions():
            project.decide("bob", reject=[row["id"]], note="bob-was-here")
    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review").text
    assert "bob" not in page and "bob-was-here" not in page and "reject</span>" not in page
    assert "<strong>0</strong> decided by you" in page
