"""A small team project for the web server, an in-process client, a real server and a real browser.

The browser is Debian's Chromium at /usr/bin/chromium (installed by .ci/run), driven by Playwright
told its path: nothing is downloaded. Browser tests skip with a message where it is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DATA

CHROMIUM = os.environ.get("QUALKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]

# Participant text is arbitrary: markup in a transcript must be shown as the characters it is.
HOSTILE = "<script>document.title='owned'</script> & <b>bold</b>"
TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about NPQs and mentors.\n\n"
    f"[00:00:09] Headteacher: The NPQ helped {HOSTILE}, and mentoring is weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Headteacher: Nothing to add there really.\n\n"
    "[00:00:50] Headteacher: Accountability is lighter now; I trust my team.\n"
)
SECOND = (
    "[00:00:01] Interviewer: How do new teachers learn?\n\n"
    "[00:00:05] Deputy: Our ECTs have a mentor each, and the NPQ leads run the sessions.\n"
)
PASSWORDS = {"alice": "alice's long password", "bob": "bob's long password", "sam": "sam's long password"}
ROLES = {"alice": "reviewer", "bob": "reviewer", "sam": "adjudicator"}


@dataclass(frozen=True)
class Team:
    path: Path
    passwords: dict[str, str]


def build_team(folder: Path) -> Team:
    from qualkit.project import Project

    (folder / "leader.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (folder / "deputy.txt").write_text(SECOND, encoding="utf-8")
    path = folder / "team.db"
    with Project.init(path) as project:
        project.ingest([folder / "leader.txt", folder / "deputy.txt"])
        project.code(codebook_path=DATA / "mini_codebook.yaml")
        add_team_accounts(project)
    return Team(path, dict(PASSWORDS))


def add_team_accounts(project) -> None:
    """The team's accounts (ROLES), each with its password from PASSWORDS."""
    for name, role in ROLES.items():
        invitation = project.add_user(name, role=role)
        project.change_password(invitation.account, current=invitation.password, new=PASSWORDS[name])


@pytest.fixture(scope="session")
def _team_template(tmp_path_factory) -> Team:
    return build_team(tmp_path_factory.mktemp("team"))


@pytest.fixture
def team(_team_template, tmp_path) -> Team:
    """A fresh copy of the team project (built once per run: ingesting and coding take a while)."""
    path = tmp_path / "team.db"
    shutil.copyfile(_team_template.path, path)
    return Team(path, dict(_team_template.passwords))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def client(team) -> Iterator:
    import warnings

    with warnings.catch_warnings():  # Starlette 1.x would rather have the httpx2 fork; httpx works the same
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from qualkit.web.app import create_app

    with TestClient(create_app(team.path), raise_server_exceptions=False, follow_redirects=False) as opened:
        yield opened


def sign_in(client, name: str, password: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "name": name, "password": password,
                                           "next": "/"})
    assert response.status_code == 303, response.text


# -- a real server and a real browser ------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen


@pytest.fixture
def server(team) -> Iterator[Server]:
    qualkit = [sys.executable, "-m", "qualkit", "-p", str(team.path), "serve", "--port", "0"]
    process = subprocess.Popen(qualkit, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        found = re.search(r"at (http://\S+/) ", line)
        assert found, f"serve printed {line!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        yield Server(found.group(1), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does) "
                    "or set QUALKIT_CHROMIUM to a Chromium binary")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, server):
    """A page in a fresh browser context (its own cookies) at the server; several may be open at once."""
    contexts = []

    def make():
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def browser_sign_in(page, name: str, password: str) -> None:
    page.goto("/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:
    """During development, QUALKIT_SCREENSHOTS=folder keeps a picture of each page the tests reach."""
    folder = os.environ.get("QUALKIT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
