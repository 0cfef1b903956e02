"""`qualkit serve --pseudonymise`: every page and download shows names as the pseudonym key makes
them, decisions still land on the suggestions shown, and the server will not start without a key.

The project names its school, its case, its speaker and others in its text, its document name, a
memo and reviewers' notes; its key is built from what it knows plus a few names by hand. Pages are
searched for every key entry with the project's leak checker (and, for the review page, a plain
regular expression too), downloads with :meth:`Project.check_pseudonymised`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import DATA
from tests.web.conftest import PASSWORDS, add_team_accounts, browser_sign_in, csrf_of, screenshot, sign_in

TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about the NPQ at Brookfield.\n\n"
    "[00:00:09] Chloe Rutherford: At Brookfield Primary the NPQ helped, and Mrs Patel mentors me weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Chloe Rutherford: Chloe's mentor trusts her. Northern Lights Learning Trust sends us to Kendal.\n"
)
OTHER = "[00:00:01] Interviewer: How do new teachers learn?\n\n[00:00:05] Deputy: Our ECTs have a mentor each.\n"
BY_HAND = {"Mrs Patel": "Mentor 1", "Kendal": "Town A", "Northern Lights Learning Trust": "Trust A"}
NAME_WORDS = re.compile(r"Brookfield|Chloe|Rutherford|Patel|Kendal|Northern Lights", re.I)


@dataclass(frozen=True)
class Named:
    path: Path
    npq: int  # the suggestion of offer.npq on Chloe's first answer: alice and bob disagree on it


def _build(folder: Path) -> Named:
    from qualkit.project import Project

    (folder / "brookfield_chloe.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (folder / "deputy.txt").write_text(OTHER, encoding="utf-8")
    cases = folder / "cases.csv"
    cases.write_text("document,case,interviewee\nbrookfield_chloe.txt,Brookfield Primary,Chloe Rutherford\n"
                     "deputy.txt,Ashdown Academy,\n", encoding="utf-8")
    path = folder / "named.db"
    with Project.init(path) as project:
        project.ingest([folder / "brookfield_chloe.txt", folder / "deputy.txt"], cases_file=cases)
        project.code(codebook_path=DATA / "mini_codebook.yaml")
        project.build_pseudonym_key(in_order=True)
        for name, pseudonym in BY_HAND.items():
            project.add_pseudonym(name, pseudonym)
        add_team_accounts(project)
        npq = next(row["id"] for row in project.suggestions()
                   if row["code"] == "offer.npq" and "Mrs Patel" in row["text"])
        project.decide("bob", reject=[npq], note="Chloe says Brookfield Primary paid, not the NPQ")
        project.decide("sam", accept=[npq], note="the NPQ at Brookfield")  # sam: an adjudicator's own verdict
        project.add_memo(text="Chloe Rutherford moved from Kendal last year.", author="sam",
                         document="brookfield_chloe.txt")
    return Named(path, npq)


@pytest.fixture(scope="module")
def _named_template(tmp_path_factory) -> Named:
    return _build(tmp_path_factory.mktemp("named"))


@pytest.fixture
def named(_named_template, tmp_path) -> Named:
    import shutil

    path = tmp_path / "named.db"
    shutil.copyfile(_named_template.path, path)
    return Named(path, _named_template.npq)


def _client(path: Path, *, pseudonymise: bool) -> Iterator:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from qualkit.web.app import create_app
    from qualkit.web.pseudonyms import Pseudonyms

    app = create_app(path, pseudonyms=Pseudonyms.asked(pseudonymise, None))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as opened:
        yield opened


@pytest.fixture
def client(named) -> Iterator:
    yield from _client(named.path, pseudonymise=True)


@pytest.fixture
def plain(named) -> Iterator:
    yield from _client(named.path, pseudonymise=False)


def _leaks(named: Named, html: str) -> list[str]:
    """Every key entry the project's leak checker finds in a page."""
    from qualkit.project import Project
    from qualkit.pseudonymise import LeakChecker

    with Project.open(named.path) as project:
        key, _ = project.pseudonym_key()
    return [leak.found for leak in LeakChecker(key).leaks_in_text(html, where="page")]


def _decision_values(page: str) -> list[str]:
    return re.findall(r'name="decision" value="(accept:\d+:\w+)"', page)


def _segment(page: str) -> int:
    found = re.search(r'name="segment" value="(\d+)"', page)
    assert found, "no passage on the page"
    return int(found.group(1))


def _chloe_page(client, marker: str = "Mentor 1") -> str:
    """The review page at Chloe's answer naming Mrs Patel (skipping passages before it)."""
    page = client.get("/review").text
    for _ in range(10):
        if marker in page:
            return page
        client.post("/review/skip", data={"csrf": csrf_of(page), "segment": _segment(page)})
        page = client.get("/review").text
    raise AssertionError("the passage naming Mrs Patel never came up")


def test_pseudonyms_review_page_names_no_key_entry(client, plain, named):
    sign_in(plain, "alice", PASSWORDS["alice"])
    shown_plain = _chloe_page(plain, "Mrs Patel")
    assert "Mrs Patel" in shown_plain and _leaks(named, shown_plain)  # the check can fail: served plainly, it does

    sign_in(client, "alice", PASSWORDS["alice"])
    page = _chloe_page(client)
    assert _leaks(named, page) == []
    assert not NAME_WORDS.search(page), NAME_WORDS.search(page)
    assert "Names pseudonymised with the project&#39;s key" in page
    where = re.sub(r"<[^>]+>", "", re.search(r'<span class="where">(.*?)</span>', page).group(1))
    assert where.startswith("School B_Participant 1.txt · School B · passage 1")
    assert '<span class="speaker">Participant 1:</span>' in page
    # the rule's evidence still falls on the words it matched, in the pseudonymised text
    assert re.search(r'<mark data-for="\d+">NPQ</mark>', page)
    assert "Participant 1 moved from Town A last year." in page  # the memo on the document
    # the filter lists documents and cases as pages name them
    assert "<option>School B_Participant 1.txt</option>" in page and "<option>School B</option>" in page


def test_pseudonyms_a_name_added_to_the_key_leaves_the_filter_lists_at_once(client, named):
    from qualkit.project import Project

    sign_in(client, "alice", PASSWORDS["alice"])
    assert "<option>deputy.txt</option>" in client.get("/review").text  # not in the key yet
    with Project.open(named.path) as project:  # as `qualkit pseudonymise key add` does, while the server runs
        project.add_pseudonym("deputy", "Participant 9")
    page = client.get("/review").text  # well within the filter lists' 15 s reading interval
    assert "<option>deputy.txt</option>" not in page and "<option>Participant 9.txt</option>" in page


def test_pseudonyms_a_decision_lands_on_the_suggestion_shown(client, named):
    from qualkit.project import Project

    sign_in(client, "alice", PASSWORDS["alice"])
    page = client.get("/review", params={"document": "School B_Participant 1.txt"}).text
    page = _chloe_page_filtered(client, page)
    chosen = next(v for v in _decision_values(page) if int(v.split(":")[1]) == named.npq)
    response = client.post("/review/decide", data={
        "csrf": csrf_of(page), "segment": _segment(page), "document": "School B_Participant 1.txt",
        "decision": chosen, "note": "as shown"})
    assert response.status_code == 303 and response.headers["location"] == "/review?document=School+B_Participant+1.txt"
    with Project.open(named.path) as project:
        decision = project.verdict_in_force("alice", named.npq)
        item = project.passage_session("alice").item(_segment(page))  # the segment the page showed
    assert decision is not None and decision.verdict.value == "accept" and decision.note == "as shown"
    assert item.document == "brookfield_chloe.txt" and "Mrs Patel" in item.text
    assert [(p.suggestion_id, p.verdict.value if p.verdict else None) for p in item.proposals
            if p.code == "offer.npq"] == [(named.npq, "accept")]
    # marking the passage coded fully: the message names the document as the page does
    client.post("/review/done", data={"csrf": csrf_of(page), "segment": _segment(page),
                                      "document": "School B_Participant 1.txt"})
    after = client.get("/review", params={"document": "School B_Participant 1.txt"}).text
    assert "Segment 1 of School B_Participant 1.txt marked coded fully" in after
    assert _leaks(named, after) == []


def _chloe_page_filtered(client, page: str) -> str:
    for _ in range(5):
        if "Mentor 1" in page:
            return page
        client.post("/review/skip", data={"csrf": csrf_of(page), "segment": _segment(page),
                                          "document": "School B_Participant 1.txt"})
        page = client.get("/review", params={"document": "School B_Participant 1.txt"}).text
    raise AssertionError("the passage naming Mrs Patel never came up")


def test_pseudonyms_a_projects_own_name_in_a_filter_is_refused_without_naming_anything(client, named):
    sign_in(client, "alice", PASSWORDS["alice"])
    response = client.get("/review", params={"document": "brookfield_chloe.txt"})
    assert response.status_code == 404
    assert "choose one from the list" in response.text
    assert _leaks(named, response.text) == []


def test_pseudonyms_adjudication_page_names_no_key_entry_and_settles_the_right_suggestion(client, named):
    from qualkit.project import Project

    with Project.open(named.path) as project:
        project.decide("alice", accept=[named.npq], note="Mrs Patel's mentoring is the NPQ")
    sign_in(client, "sam", PASSWORDS["sam"])
    page = client.get("/adjudicate").text
    assert f'id="dispute-{named.npq}"' in page
    assert _leaks(named, page) == []
    assert "Participant 1 says School B paid, not the NPQ" in page  # bob's note
    assert "Mentor 1&#39;s mentoring is the NPQ" in page  # alice's, possessive and all
    assert re.search(r"<mark>NPQ</mark>", page)
    filtered = client.get("/adjudicate", params={"case": "School B"}).text
    assert f'id="dispute-{named.npq}"' in filtered and _leaks(named, filtered) == []
    response = client.post(f"/adjudicate/{named.npq}", data={"csrf": csrf_of(page), "verdict": "reject",
                                                             "back": "/adjudicate"})
    assert response.status_code == 303
    with Project.open(named.path) as project:
        settled = project.disputes(settled=True)
    assert [d.suggestion.id for d in settled] == [named.npq]
    assert settled[0].adjudication.reviewer == "sam" and settled[0].adjudication.verdict.value == "reject"


def test_pseudonyms_agreement_and_progress_pages_name_no_key_entry(client, named):
    from qualkit.project import Project

    with Project.open(named.path) as project:
        project.decide("alice", accept=[named.npq])
    sign_in(client, "sam", PASSWORDS["sam"])
    for address in ("/agreement?by=document", "/agreement?by=case", "/progress", "/downloads"):
        page = client.get(address).text
        assert _leaks(named, page) == [], address
    assert "School B_Participant 1.txt" in client.get("/agreement?by=document").text
    assert "<td>School B</td>" in client.get("/agreement?by=case").text


@pytest.mark.parametrize("what", ["report.docx", "codings.xlsx"])
def test_pseudonyms_downloads_pass_the_leak_check(client, named, tmp_path, what):
    from qualkit.project import Project

    with Project.open(named.path) as project:
        project.decide("alice", accept=[named.npq])
    sign_in(client, "sam", PASSWORDS["sam"])
    response = client.get(f"/downloads/{what}", params={"consensus": "any"})
    assert response.status_code == 200, response.text
    target = tmp_path / what
    target.write_bytes(response.content)
    with Project.open(named.path) as project:
        checked = project.check_pseudonymised([target])
    assert checked[0].texts > 0
    if what == "codings.xlsx":
        import openpyxl

        cells = [str(cell.value) for sheet in openpyxl.load_workbook(target).worksheets
                 for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert "School B" in cells and any("Mentor 1" in cell for cell in cells)


def test_pseudonyms_serve_refuses_to_start_without_a_key(team):
    from qualkit.cli import cli

    result = CliRunner().invoke(cli, ["-p", str(team.path), "serve", "--pseudonymise", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: this project has no pseudonym key: build one with `qualkit pseudonymise key build` "
        "(or give the key file you keep apart with --key FILE)"]


def test_pseudonyms_serve_refuses_a_key_file_that_is_not_there(named, tmp_path):
    from qualkit.cli import cli

    missing = tmp_path / "key.yaml"
    result = CliRunner().invoke(cli, ["-p", str(named.path), "serve", "--key", str(missing), "--port", "0"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: ") and "key.yaml" in result.output


# -- a real server and a real browser ------------------------------------------------------------


@pytest.fixture
def pseudonymised_server(named) -> Iterator[tuple[str, str]]:
    """`qualkit serve --pseudonymise` on the named project: (its address, the line it printed)."""
    command = [sys.executable, "-m", "qualkit", "-p", str(named.path), "serve", "--pseudonymise", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        found = re.search(r"at (http://\S+/) ", line)
        assert found, f"serve printed {line!r}"
        yield found.group(1), line
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_pseudonyms_browser_review_shows_pseudonyms_not_names(browser, pseudonymised_server):
    url, line = pseudonymised_server
    assert line.rstrip().endswith("(Ctrl+C stops); names pseudonymised with the project's key.")
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        browser_sign_in(page, "alice", PASSWORDS["alice"])
        page.goto("/review")
        for _ in range(5):
            if "Mentor 1" in page.inner_text("#passage"):
                break
            page.click("#skip")
            page.wait_for_load_state()
        screenshot(page, "review-pseudonymised")
        assert page.inner_text("#pseudonymised") == "Names pseudonymised with the project's key"
        passage = page.inner_text("#passage")
        assert "Mentor 1" in passage and "School B" in passage and "Participant 1:" in passage
        shown = page.inner_text("body")
        assert not NAME_WORDS.search(shown), NAME_WORDS.search(shown)
    finally:
        context.close()
