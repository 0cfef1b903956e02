"""The web application in process (Starlette's test client): sign-in, sessions, CSRF, roles, error
pages, headers, downloads. What needs a real browser is in test_browser.py."""

from __future__ import annotations

import io
import zipfile

import pytest

from qualkit.web.security import SESSION_COOKIE
from tests.web.conftest import HOSTILE, PASSWORDS, csrf_of, sign_in


def test_app_pages_need_signing_in(client):
    for path in ("/", "/review", "/adjudicate", "/agreement", "/progress", "/downloads", "/downloads/report.docx"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_app_sign_in_sets_a_signed_http_only_cookie_and_goes_back_where_asked(client):
    page = client.get("/login?next=/agreement")
    assert 'value="/agreement"' in page.text
    response = client.post("/login", data={"csrf": csrf_of(page.text), "name": "sam", "password": PASSWORDS["sam"],
                                           "next": "/agreement"})
    assert response.status_code == 303 and response.headers["location"] == "/agreement"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/agreement").status_code == 200


def test_app_sign_in_never_sends_anyone_to_another_site(client):
    page = client.get("/login")
    for goto in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.delete(SESSION_COOKIE)
        response = client.post("/login", data={"csrf": csrf_of(page.text), "name": "sam",
                                               "password": PASSWORDS["sam"], "next": goto})
        assert response.headers["location"] == "/", goto


def test_app_wrong_password_is_one_line_and_no_cookie(client):
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "name": "alice", "password": "nope"})
    assert response.status_code == 401
    assert "wrong name or password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_app_sign_in_is_rate_limited(client):
    page = client.get("/login")
    csrf = csrf_of(page.text)
    for _ in range(5):
        assert client.post("/login", data={"csrf": csrf, "name": "alice", "password": "nope"}).status_code == 401
    refused = client.post("/login", data={"csrf": csrf, "name": "alice", "password": PASSWORDS["alice"]})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "too many failed sign-ins; try again in 15 minutes" in refused.text


def test_app_forms_without_the_right_csrf_token_are_refused(client, team):
    # sign-in: no token, a made-up token
    for data in ({"name": "alice", "password": PASSWORDS["alice"]},
                 {"csrf": "0" * 64, "name": "alice", "password": PASSWORDS["alice"]}):
        refused = client.post("/login", data=data)
        assert refused.status_code == 403 and "did not come from this site" in refused.text
    sign_in(client, "sam", PASSWORDS["sam"])
    csrf = csrf_of(client.get("/agreement").text)
    # a token from another session does not do either
    from starlette.testclient import TestClient

    from qualkit.web.app import create_app

    with TestClient(create_app(team.path), follow_redirects=False) as other:
        sign_in(other, "bob", PASSWORDS["bob"])
        stolen = csrf_of(other.get("/password").text)
    assert client.post("/logout", data={"csrf": stolen}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/agreement").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303


def test_app_sign_out_ends_the_session_on_the_server(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    cookie = client.cookies[SESSION_COOKIE]
    csrf = csrf_of(client.get("/password").text)
    response = client.post("/logout", data={"csrf": csrf})
    assert response.headers["location"] == "/login?signed_out=1"
    # replaying the old cookie does not get back in
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/password").status_code == 303


def test_app_tampered_or_forged_session_cookies_are_refused(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    cookie = client.cookies[SESSION_COOKIE]
    token, stamp, signature = cookie.split(".")
    def changed(text: str, tail: int) -> str:  # the last ``tail`` characters replaced by others
        return text[:-tail] + "".join("B" if c == "A" else "A" for c in text[-tail:])

    for forged in (f"{token}x.{stamp}.{signature}", f"{token}.{stamp}.{changed(signature, 2)}", "garbage",
                   f"{changed(token, 1)}.{stamp}.{signature}"):
        assert forged != cookie  # (the token once ended in "A" already, and "forging" it gave the cookie back)
        client.cookies.set(SESSION_COOKIE, forged)
        assert client.get("/password").status_code == 303, forged


def test_app_one_time_password_must_be_replaced_first(client, team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        invitation = project.add_user("newcomer")
    sign_in(client, "newcomer", invitation.password)
    assert client.get("/agreement").headers["location"] == "/password"
    page = client.get("/password")
    assert "Choose your password" in page.text
    csrf = csrf_of(page.text)
    mismatch = client.post("/password", data={"csrf": csrf, "current": invitation.password, "new": "lantern river one",
                                              "again": "lantern river two"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    done = client.post("/password", data={"csrf": csrf, "current": invitation.password, "new": "lantern river one",
                                          "again": "lantern river one"})
    assert done.status_code == 303
    assert "Your password is changed" in client.get("/password").text


def test_app_reviewers_are_refused_every_page_that_shows_others(client):
    sign_in(client, "alice", PASSWORDS["alice"])
    for path in ("/adjudicate", "/agreement", "/progress", "/downloads", "/downloads/report.docx"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "for adjudicators and project owners" in response.text
    csrf = csrf_of(client.get("/password").text)
    assert client.post("/adjudicate/1", data={"csrf": csrf, "verdict": "accept"}).status_code == 403


def test_app_every_response_carries_the_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/static/qualkit.css").status_code == 200


def test_app_error_pages_never_show_a_traceback(client, monkeypatch):
    sign_in(client, "sam", PASSWORDS["sam"])
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert client.post("/agreement").status_code == 405

    from qualkit.project import Project

    def broken(self, **options):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(Project, "agreement", broken)
    failed = client.get("/agreement")
    assert failed.status_code == 500
    assert "Something went wrong" in failed.text and "nothing you did was lost" in failed.text
    assert "secret internal detail" not in failed.text and "Traceback" not in failed.text


def test_app_bad_filters_get_the_one_line_message(client):
    sign_in(client, "sam", PASSWORDS["sam"])
    response = client.get("/adjudicate?code=offer.nqp")
    assert response.status_code == 404
    assert "no code &#39;offer.nqp&#39; in codebook &#39;Test&#39; (did you mean &#39;offer.npq&#39;?)" in response.text


def _disagree(team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        rows = {(row["document"], row["code"]): row["id"] for row in project.suggestions()}
        npq = rows[("leader.txt", "offer.npq")]
        project.decide("alice", accept=[npq], note="<i>clearly</i> an NPQ")
        project.decide("bob", reject=[npq], note="only mentioned")
    return npq


def test_app_adjudication_shows_verdicts_notes_and_escaped_text_and_records_the_decision(client, team):
    npq = _disagree(team)
    sign_in(client, "sam", PASSWORDS["sam"])
    page = client.get("/adjudicate")
    assert page.status_code == 200
    assert "1 disagreement" in page.text
    assert "&lt;i&gt;clearly&lt;/i&gt; an NPQ" in page.text and "only mentioned" in page.text
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in page.text
    assert HOSTILE not in page.text and "<script>document" not in page.text
    response = client.post(f"/adjudicate/{npq}", data={"csrf": csrf_of(page.text), "verdict": "accept",
                                                       "note": "named explicitly", "back": "/adjudicate"})
    assert response.status_code == 303 and response.headers["location"] == "/adjudicate"
    assert "Nothing to settle" in client.get("/adjudicate").text
    settled = client.get("/adjudicate?show=settled").text
    assert "Settled by" in settled and "named explicitly" in settled

    from qualkit.project import Project

    with Project.open(team.path) as project:
        (decision,) = project.store.decisions.log(reviewer="sam")
        assert decision.via == "adjudication" and decision.note == "named explicitly"


def test_app_agreement_and_progress_show_the_team(client, team):
    _disagree(team)
    sign_in(client, "sam", PASSWORDS["sam"])
    agreement = client.get("/agreement")
    assert agreement.status_code == 200 and 'id="agreement-table"' in agreement.text
    assert "(overall)" in agreement.text
    progress = client.get("/progress").text
    assert "alice" in progress and "bob" in progress and "sam" in progress


def test_app_agreement_with_one_reviewer_says_why_there_is_none(client, team):
    from qualkit.project import Project

    with Project.open(team.path) as project:
        project.decide("alice", accept=[project.suggestions()[0]["id"]])
    sign_in(client, "sam", PASSWORDS["sam"])
    page = client.get("/agreement")
    assert page.status_code == 200 and "No two reviewers judged the same units" in page.text


@pytest.mark.parametrize("what", ["report.docx", "codings.xlsx"])
def test_app_downloads_are_real_office_files(client, team, what):
    _disagree(team)
    sign_in(client, "sam", PASSWORDS["sam"])
    response = client.get(f"/downloads/{what}?consensus=any")
    assert response.status_code == 200
    assert f'filename="team-{what}"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert ("word/document.xml" if what.endswith(".docx") else "xl/workbook.xml") in archive.namelist()
    assert client.get("/downloads/anything.exe").status_code == 404


def test_app_download_with_nothing_to_report_says_why(client, team):
    _disagree(team)  # disputed, and nobody has adjudicated: nothing is accepted under adjudicator:sam
    sign_in(client, "sam", PASSWORDS["sam"])
    response = client.get("/downloads/report.docx?consensus=adjudicator:sam")
    assert response.status_code == 400 and "nothing to report: no accepted codings yet" in response.text


def test_app_cookies_are_secure_over_https_or_when_asked(team):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from qualkit.web.app import create_app

    with TestClient(create_app(team.path), base_url="https://review.example.org", follow_redirects=False) as opened:
        page = opened.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        response = opened.post("/login", data={"csrf": csrf_of(page.text), "name": "sam", "password": PASSWORDS["sam"]})
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
    # --secure-cookies: Secure even where the server sees plain http (a TLS proxy in front)
    with TestClient(create_app(team.path, secure_cookies=True), follow_redirects=False) as forced:
        assert "Secure" in forced.get("/login").headers["set-cookie"]
    with TestClient(create_app(team.path), follow_redirects=False) as plain:
        assert "Secure" not in plain.get("/login").headers["set-cookie"]


def test_app_team_progress_counts_passages_as_the_terminal_does(client, team):
    import re

    from qualkit.project import Project

    with Project.open(team.path) as project:
        session = project.passage_session("alice")
        item = session.current()
        session.accept(item, item.proposals[0].suggestion_id)
        session.mark_fully_coded(item)  # one passage done, by its coverage mark
        bob = project.passage_session("bob")
        first = bob.current()
        bob.decide(first, reject=[p.suggestion_id for p in first.proposals])  # one done, every code decided
        bob.accept(bob.item(first.segment_id), first.proposals[0].suggestion_id)
        expected = {name: project.passage_session(name).progress() for name in ("alice", "bob", "sam")}
        project.retire_reviewer("bob")
    sign_in(client, "sam", PASSWORDS["sam"])
    page = client.get("/progress").text
    table = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    rows = {
        " ".join(re.sub(r"<[^>]+>", " ", cells[0]).split()): [re.sub(r"<[^>]+>", "", c).strip() for c in cells[1:]]
        for cells in table if cells
    }
    assert expected == {"alice": (1, 2), "bob": (1, 2), "sam": (0, 3)}
    assert rows["alice"][1:3] == ["1", "2"] and rows["alice"][4:] == ["1", "1"]  # accepted 1, rejected 1
    assert rows["bob (retired)"][1:3] == ["1", "2"] and rows["bob (retired)"][4:] == ["1", "1"]
    assert rows["sam"][1:3] == ["0", "3"]
