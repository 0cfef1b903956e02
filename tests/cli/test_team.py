"""`qualkit users` and `qualkit serve` from the command line."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest

from qualkit.cli import cli


def invoke(runner, db, *args):
    return runner.invoke(cli, ["-p", str(db), *args], catch_exceptions=False)


@pytest.fixture
def db(tmp_path, runner):
    path = tmp_path / "study.db"
    assert invoke(runner, path, "init").exit_code == 0
    return path


def test_users_add_prints_a_one_time_password_that_signs_in_once_changed(runner, db):
    result = invoke(runner, db, "users", "add", "Amira Khan", "--role", "adjudicator")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Added adjudicator 'Amira Khan'."
    password = re.fullmatch(r"One-time password: ([a-z2-9]{4}(?:-[a-z2-9]{4}){3})", lines[1]).group(1)
    assert "cannot be shown again (`qualkit users reset 'Amira Khan'` makes a new one)" in result.output

    from qualkit.project import Project

    with Project.open(db) as project:
        account = project.sign_in("amira khan", password, client="test")
        assert account.must_change_password


def test_users_list_remove_and_reset(runner, db):
    invoke(runner, db, "users", "add", "alice")
    invoke(runner, db, "users", "add", "sam", "--role", "owner")
    listed = json.loads(invoke(runner, db, "users", "list", "--format", "json").output)
    assert [(u["name"], u["role"], u["password"]) for u in listed] == [
        ("alice", "reviewer", "one-time (not yet changed)"), ("sam", "owner", "one-time (not yet changed)"),
    ]
    reset = invoke(runner, db, "users", "reset", "ALICE")
    assert reset.exit_code == 0 and reset.output.startswith("Reset reviewer 'alice'.\nOne-time password: ")
    removed = invoke(runner, db, "users", "remove", "alice")
    assert removed.output == "Removed reviewer 'alice' and signed them out; their decisions stay.\n"
    assert [u["name"] for u in json.loads(invoke(runner, db, "users", "list", "--format", "json").output)] == ["sam"]


@pytest.mark.parametrize(("args", "message"), [
    (["users", "remove", "alcie"],
     "Error: no account named 'alcie' (did you mean 'alice'?); `qualkit users list` shows them"),
    (["users", "add", "Alice"], "Error: there is already an account named 'alice' (reviewer); "
                                "`qualkit users reset 'alice'` gives it a new one-time password"),
    (["users", "add", " "], "Error: an account needs a name: the reviewer name their decisions will carry"),
], ids=["unknown", "duplicate", "blank"])
def test_users_errors_are_one_line(runner, db, args, message):
    invoke(runner, db, "users", "add", "alice")
    result = invoke(runner, db, *args)
    assert result.exit_code == 1
    assert result.output.strip() == message


def test_users_rotate_secret_signs_everyone_out(runner, db):
    from qualkit.project import Project

    invoke(runner, db, "users", "add", "alice")
    with Project.open(db) as project:
        token = project.open_web_session(project.users()[0])
    result = invoke(runner, db, "users", "rotate-secret")
    assert result.output == "New signing secret; everyone is signed out (1 session(s) closed).\n"
    with Project.open(db) as project:
        assert project.web_session(token) is None


def test_serve_refuses_a_missing_project_and_a_busy_port(runner, tmp_path, db):
    missing = invoke(runner, tmp_path / "nope.db", "serve")
    assert missing.exit_code == 1 and missing.output.startswith("Error: no qualkit project at ")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = invoke(runner, db, "serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot serve on 127.0.0.1:{port}: Address already in use; choose another with --port\n"
    )
    bad = invoke(runner, db, "serve", "--port", "70000")
    assert bad.output.startswith("Error: --port 70000 is not a port number")


def test_serve_binds_this_machine_by_default_and_prints_the_address(db):
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "qualkit", "-p", str(db), "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
        found = re.fullmatch(r"Serving .*study\.db at (http://127\.0\.0\.1:(\d+)/) \(Ctrl\+C stops\)\.\n", first)
        assert found, first
        assert second == "No accounts yet: add one with `qualkit users add NAME --role owner`.\n"
        response = httpx.get(found.group(1) + "login", timeout=10)
        assert response.status_code == 200 and "Sign in" in response.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode in (0, -15)


def test_serve_behind_a_proxy_believes_its_forwarded_headers_only(db):
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "qualkit", "-p", str(db), "serve", "--port", "0",
                                "--proxy", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"at (http://\S+/) ", process.stdout.readline()).group(1)
        # the proxy says the browser came over https: the nonce cookie is then Secure
        forwarded = httpx.get(url + "login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert "Secure" in forwarded.headers["set-cookie"]
        assert "Secure" not in httpx.get(url + "login").headers["set-cookie"]
    finally:
        process.terminate()
        process.wait(timeout=10)
