"""`qualkit serve` in a real browser: Chromium driven by Playwright against a real server process."""

from __future__ import annotations

import pytest

from tests.web.conftest import HOSTILE, PASSWORDS, browser_sign_in, screenshot


def _disagree(team, code="offer.npq"):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        rows = {(row["document"], row["code"]): row["id"] for row in project.suggestions()}
        chosen = rows[("leader.txt", code)]
        project.decide("alice", accept=[chosen], note="named as PD")
        project.decide("bob", reject=[chosen], note="mentioned in passing")
    return chosen


def test_browser_sign_in_and_sign_out(new_page):
    page = new_page()
    page.goto("/")
    assert page.url.endswith("/login?next=/")
    screenshot(page, "login")
    page.fill("#name", "alice")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert page.inner_text("#sign-in-error") == "wrong name or password"
    browser_sign_in(page, "alice", PASSWORDS["alice"])
    assert page.inner_text(".who .name") == "alice"
    # a reviewer's menu has no adjudication pages
    assert page.locator("header.top nav a").all_inner_texts() == ["Review"]
    page.click("#sign-out")
    page.wait_for_url("**/login?signed_out=1")
    assert "You are signed out." in page.inner_text("main")
    page.goto("/password")
    assert "/login" in page.url


def test_browser_one_time_password_then_own_password(new_page, team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        invitation = project.add_user("Nadia Rahman")
    page = new_page()
    browser_sign_in(page, "Nadia Rahman", invitation.password)
    assert page.url.endswith("/password")
    assert page.inner_text("h1") == "Choose your password"
    screenshot(page, "password")
    page.fill("#current", invitation.password)
    page.fill("#new", "harbour lights at dusk")
    page.fill("#again", "harbour lights at dusk")
    page.click("button.primary")
    page.wait_for_load_state()
    assert "Your password is changed" in page.inner_text("#flash")


def test_browser_reviewer_is_refused_the_adjudication_page(new_page, team):
    _disagree(team)
    page = new_page()
    browser_sign_in(page, "bob", PASSWORDS["bob"])
    response = page.goto("/adjudicate")
    assert response.status == 403
    assert page.inner_text("h1") == "Not for this account"
    assert "mentioned in passing" not in page.content() and "named as PD" not in page.content()
    screenshot(page, "refused")


def test_browser_adjudicator_resolves_a_disagreement(new_page, team):
    chosen = _disagree(team)
    page = new_page()
    browser_sign_in(page, "sam", PASSWORDS["sam"])
    page.goto("/adjudicate")
    assert page.inner_text("#dispute-count") == "1 disagreement"
    card = page.locator(f"#dispute-{chosen}")
    verdicts = card.locator("table.verdicts tbody tr").all_inner_texts()
    assert [row.split("\t")[:3] for row in verdicts] == [
        ["alice", "accept", "named as PD"], ["bob", "reject", "mentioned in passing"],
    ]
    screenshot(page, "adjudicate")
    card.locator("input[name=note]").fill("the NPQ is what helped")
    card.locator("button.accept").click()
    page.wait_for_load_state()
    assert "Recorded your adjudication: accept" in page.inner_text("#flash")
    assert page.inner_text("#dispute-count") == "0 disagreements"
    page.click("nav.tabs >> text=Settled")
    assert "Settled by sam" in page.inner_text(f"#dispute-{chosen}")

    from qualkit.project import Project

    with Project.open(team.path) as project:
        (decision,) = project.store.decisions.log(reviewer="sam")
        assert (decision.suggestion_id, decision.verdict.value, decision.via) == (chosen, "accept", "adjudication")


def test_browser_participant_markup_is_shown_as_text(new_page, team):
    _disagree(team)
    page = new_page()
    browser_sign_in(page, "sam", PASSWORDS["sam"])
    page.goto("/adjudicate")
    passage = page.inner_text("blockquote.passage")
    assert HOSTILE in passage  # the characters, as typed in the transcript
    assert page.title() != "owned"  # the script never ran
    assert page.locator("blockquote.passage script").count() == 0
    assert page.locator("blockquote.passage b").count() == 0


def test_browser_forged_form_and_stale_session_are_refused(new_page, server):
    page = new_page()
    browser_sign_in(page, "sam", PASSWORDS["sam"])
    # a form another site could build: the right fields, no valid token
    page.set_content(
        f'<form id="forged" method="post" action="{server.url}logout"><input name="csrf" value="made-up"></form>'
    )
    page.eval_on_selector("#forged", "form => form.submit()")
    page.wait_for_load_state()
    assert "did not come from this site" in page.inner_text("#error-message")
    page.goto("/agreement")
    assert page.url.endswith("/agreement")  # still signed in: the forged sign-out did nothing
    # a cookie that was tampered with is no session at all
    context = page.context
    cookie = next(c for c in context.cookies() if c["name"] == "qualkit_session")
    context.add_cookies([{**cookie, "value": cookie["value"][:-3] + "AAA"}])
    page.goto("/agreement")
    assert "/login" in page.url


@pytest.mark.parametrize(("path", "label"), [("/agreement", "Agreement"), ("/progress", "Team progress"),
                                             ("/downloads", "Downloads")])
def test_browser_adjudicator_pages_render(new_page, team, path, label):
    _disagree(team)
    page = new_page()
    browser_sign_in(page, "sam", PASSWORDS["sam"])
    response = page.goto(path)
    assert response.status == 200
    screenshot(page, path.strip("/"))
    assert page.locator("header.top nav a[aria-current=page]").inner_text() == label


# -- passage review -----------------------------------------------------------------------------


def _decisions(team, reviewer):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        views = {row["id"]: row["code"] for row in project.suggestions()}
        return [(views.get(d.suggestion_id), d.verdict.value, d.note)
                for d in project.store.decisions.log(reviewer=reviewer)]


def _marks(team, reviewer):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        return [(m.segment_id, m.covered) for m in project.store.coverage.log() if m.reviewer == reviewer]


def _press(page, key):
    """Press a key that submits a form, and wait for the page that comes back."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _current_code(page):
    return page.locator(".proposal.selected .code-key").inner_text()


def _codes(page, status):
    return page.locator(f".proposal.{status} .code-key").all_inner_texts()


def test_browser_review_passages_with_the_keyboard(new_page, team):
    page = new_page()
    browser_sign_in(page, "alice", PASSWORDS["alice"])
    page.goto("/review")
    assert page.inner_text(".segment-head .where") == "leader.txt · passage 1 · 00:00:09"
    assert "0 of 3 passages done by you" in page.inner_text("#progress")
    assert page.locator(".proposal").count() == 2  # every code proposed for the passage, at once
    screenshot(page, "review")
    first = _current_code(page)
    # the chosen code's evidence stands out in the passage
    assert page.locator("#passage mark.focus").all_inner_texts() == ["NPQ" if first == "offer.npq" else "mentoring"]
    _press(page, "a")
    assert _codes(page, "accepted") == [first]
    second = _current_code(page)  # the passage stays on screen, the next code to decide chosen
    assert second != first and "1 of 2 to decide" in page.inner_text("#pending-count")
    page.keyboard.press("n")  # a note for the next action
    page.keyboard.type("only in passing")
    page.keyboard.press("Escape")
    _press(page, "r")
    assert _codes(page, "rejected") == [second]
    _press(page, "u")
    assert page.inner_text("#flash").startswith("Undid reject of suggestion")
    assert _current_code(page) == second and _codes(page, "rejected") == []  # the undone one is back to decide
    segment = int(page.get_attribute("input[name=segment]", "value"))
    _press(page, "d")  # coded fully: what she did not decide is rejected, and the passage is marked
    assert "marked coded fully; the 1 code you had not decided rejected" in page.inner_text("#flash")
    assert page.inner_text(".segment-head .where").startswith("leader.txt · passage 4")
    assert "1 of 3 passages done by you" in page.inner_text("#progress")
    _press(page, "s")
    assert page.inner_text(".segment-head .where").startswith("deputy.txt · passage 1")
    assert _decisions(team, "alice") == [(first, "accept", None), (second, "reject", "only in passing"),
                                         (second, "undo", None), (second, "reject", None)]
    assert _marks(team, "alice") == [(segment, True)]


def test_browser_review_add_a_code_with_type_ahead(new_page, team):
    page = new_page()
    browser_sign_in(page, "alice", PASSWORDS["alice"])
    page.goto("/review?document=deputy.txt")
    assert "Our ECTs have a mentor each" in page.inner_text("#passage")
    page.keyboard.press("c")
    page.keyboard.type("Tru")  # the start of the code's name
    offered = "els => els.map(e => [e.dataset.key, e.querySelector('.option-name').textContent])"
    assert page.eval_on_selector_all("#code-options li", offered) == [["culture.trust", "Trust"]]
    screenshot(page, "review-type-ahead")
    _press(page, "Enter")
    assert page.inner_text("#flash") == "Added culture.trust to this passage."
    assert "culture.trust" in _codes(page, "accepted")
    page.keyboard.press("c")
    page.keyboard.type("off")  # the start of two keys: choose the second with the arrow key
    assert [key for key, _ in page.eval_on_selector_all("#code-options li", offered)] == ["offer.npq", "offer.ecte"]
    page.keyboard.press("ArrowDown")
    _press(page, "Enter")
    assert page.inner_text("#flash") == "Added offer.ecte to this passage."  # it was proposed: now accepted
    # a code that is not in the codebook: one line, nothing recorded
    page.keyboard.press("c")
    page.keyboard.type("culture.trsut")
    _press(page, "Enter")
    assert "no codable code 'culture.trsut'" in page.inner_text("#flash")
    assert "did you mean 'culture.trust'?" in page.inner_text("#flash")
    assert _decisions(team, "alice") == [("culture.trust", "accept", None), ("offer.ecte", "accept", None)]


def test_browser_two_reviewers_at_once_never_see_each_other(new_page, team):
    alice, bob = new_page(), new_page()
    browser_sign_in(alice, "alice", PASSWORDS["alice"])
    browser_sign_in(bob, "bob", PASSWORDS["bob"])
    alice.goto("/review")
    bob.goto("/review")
    assert _current_code(alice) == _current_code(bob)  # both start on the same passage and code
    alice.keyboard.press("n")
    alice.keyboard.type("alice thinks so")
    alice.keyboard.press("Escape")
    _press(alice, "a")
    _press(bob, "r")
    bob.keyboard.press("c")
    bob.keyboard.type("culture.trust")
    _press(bob, "Enter")
    for page, other, pills, counts in ((alice, "bob", ["you accepted"], "1 of 2 to decide"),
                                       (bob, "alice", ["you accepted", "you rejected"], "1 of 3 to decide")):
        page.reload()
        assert page.inner_text("#pending-count") == counts
        assert other not in page.content()
        assert sorted(page.locator(".proposal .pill").all_inner_texts()) == pills  # only their own verdicts
    assert "culture.trust" not in alice.inner_text(".proposals")  # bob's added code is his
    assert "alice thinks so" not in bob.content()
    assert _decisions(team, "alice")[0][1:] == ("accept", "alice thinks so")
    assert _decisions(team, "bob")[0][1] == "reject"
    # and the adjudicator sees both
    sam = new_page()
    browser_sign_in(sam, "sam", PASSWORDS["sam"])
    sam.goto("/adjudicate")
    assert sam.inner_text("#dispute-count") == "1 disagreement"
    assert "alice thinks so" in sam.inner_text("table.verdicts")


def test_browser_review_shows_participant_markup_as_text(new_page):
    page = new_page()
    browser_sign_in(page, "alice", PASSWORDS["alice"])
    page.goto("/review")
    assert HOSTILE in page.inner_text("#passage")
    assert page.locator("#passage script, #passage b").count() == 0
    assert page.title() != "owned"


def test_browser_adjudicator_settles_a_code_one_reviewer_added_and_another_left_out(new_page, team):
    alice, bob = new_page(), new_page()
    for page, name in ((alice, "alice"), (bob, "bob")):
        browser_sign_in(page, name, PASSWORDS[name])
        page.goto("/review?document=deputy.txt")
    alice.keyboard.press("c")
    alice.keyboard.type("culture.trust")
    _press(alice, "Enter")
    _press(alice, "d")
    _press(bob, "d")  # coded fully: he applies nothing here
    sam = new_page()
    browser_sign_in(sam, "sam", PASSWORDS["sam"])
    sam.goto("/adjudicate")
    assert sam.inner_text("#dispute-count") == "1 disagreement"
    card = sam.locator("article.dispute")
    assert "culture.trust" in card.locator(".where").inner_text() and "added by hand" in card.inner_text()
    rows = [row.split("\t")[:3] for row in card.locator("table.verdicts tbody tr").all_inner_texts()]
    assert rows == [["alice", "accept", ""],
                    ["bob", "did not apply", "coded the passage fully without this code (passage review)"]]
    screenshot(sam, "adjudicate-coverage")
    card.locator("input[name=note]").fill("trust is not what they discuss")
    card.locator("button.reject").click()
    sam.wait_for_load_state()
    assert "Recorded your adjudication: reject" in sam.inner_text("#flash")
    assert sam.inner_text("#dispute-count") == "0 disagreements"

    from qualkit.project import Project

    with Project.open(team.path) as project:
        (decision,) = project.store.decisions.log(reviewer="sam")
        assert (decision.verdict.value, decision.via, decision.note) == (
            "reject", "adjudication", "trust is not what they discuss")
