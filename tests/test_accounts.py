"""Accounts for the web server: one-time passwords, argon2 hashes, sign-in throttling, sessions."""

from __future__ import annotations

import sqlite3

import pytest

from qualkit import accounts
from qualkit.errors import AccountError, SignInError
from qualkit.records import Role


def test_accounts_add_gives_a_one_time_password_stored_only_as_an_argon2_hash(project):
    invitation = project.add_user("  Amira   Khan ", role="reviewer")
    assert invitation.account.name == "Amira Khan" and invitation.account.role is Role.REVIEWER
    assert invitation.account.must_change_password
    assert len(invitation.password) == 19 and invitation.password.count("-") == 3
    conn = sqlite3.connect(project.path)
    stored = conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert invitation.password not in stored
    raw = project.path.read_bytes() + (project.path.with_name(project.path.name + "-wal").read_bytes()
                                       if project.path.with_name(project.path.name + "-wal").exists() else b"")
    assert invitation.password.encode() not in raw


def test_accounts_names_are_unique_whatever_their_case(project):
    project.add_user("Sam", role="adjudicator")
    with pytest.raises(AccountError, match="already an account named 'Sam' \\(adjudicator\\); `qualkit users reset"):
        project.add_user("sam")


@pytest.mark.parametrize(("name", "message"), [
    ("", "an account needs a name"),
    ("   ", "an account needs a name"),
    ("x" * 81, "at most 80 printable characters"),
    ("tab\u0007bell", "at most 80 printable characters"),
], ids=["empty", "blank", "too-long", "control-character"])
def test_accounts_refuse_bad_names(project, name, message):
    with pytest.raises(AccountError, match=message):
        project.add_user(name)


def test_accounts_unknown_role_is_refused_with_the_choices(project):
    with pytest.raises(AccountError, match="unknown role 'boss'; use one of: reviewer, adjudicator, owner"):
        project.add_user("x", role="boss")


def test_accounts_sign_in_with_the_right_password_only(project):
    invitation = project.add_user("alice")
    assert project.sign_in("alice", invitation.password, client="1.2.3.4").id == invitation.account.id
    assert project.sign_in("ALICE", invitation.password, client="1.2.3.4").name == "alice"
    with pytest.raises(SignInError, match="^wrong name or password$"):
        project.sign_in("alice", "not it", client="1.2.3.4")
    with pytest.raises(SignInError, match="^wrong name or password$"):  # the same words for an unknown name
        project.sign_in("nobody", invitation.password, client="1.2.3.4")


def test_accounts_too_many_failures_for_a_name_lock_it_for_the_window(project):
    invitation = project.add_user("alice")
    now = 1_000_000.0
    for i in range(accounts.FAILURES_PER_NAME):
        with pytest.raises(SignInError, match="wrong name or password"):
            accounts.sign_in(project.store, "alice", f"guess {i}", client=f"10.0.0.{i}", now=now + i)
    # even the right password is refused now, from anywhere, without being checked
    with pytest.raises(SignInError, match="too many failed sign-ins; try again in 15 minutes") as refused:
        accounts.sign_in(project.store, "alice", invitation.password, client="10.9.9.9", now=now + 10)
    assert refused.value.retry_after == accounts.FAILURE_WINDOW - 10 + 1
    # once the oldest failure has left the window, one more try is allowed; success clears the count
    later = now + accounts.FAILURE_WINDOW + 1
    assert accounts.sign_in(project.store, "alice", invitation.password, client="10.9.9.9", now=later).name == "alice"
    assert project.store.accounts.failures(name="alice", since=0) == []


def test_accounts_too_many_failures_from_one_client_lock_that_client(project):
    invitation = project.add_user("alice")
    now = 2_000_000.0
    for i in range(accounts.FAILURES_PER_CLIENT):
        with pytest.raises(SignInError):
            accounts.sign_in(project.store, f"name{i}", "guess", client="6.6.6.6", now=now)
    with pytest.raises(SignInError, match="too many failed sign-ins"):
        accounts.sign_in(project.store, "alice", invitation.password, client="6.6.6.6", now=now + 1)
    assert accounts.sign_in(project.store, "alice", invitation.password, client="7.7.7.7", now=now + 1)


def test_accounts_sessions_end_when_idle_too_long_or_too_old(project):
    account = project.add_user("alice").account
    start = 3_000_000.0
    token = accounts.open_session(project.store, account, now=start)
    assert accounts.session(project.store, token, now=start + 10).account.name == "alice"
    assert accounts.session(project.store, "forged", now=start + 10) is None
    # used every few hours, it lives until the maximum age
    moment = start
    while moment + 3 * 3600 < start + accounts.SESSION_MAX:
        moment += 3 * 3600
        assert accounts.session(project.store, token, now=moment) is not None
    assert accounts.session(project.store, token, now=start + accounts.SESSION_MAX + 1) is None
    idle = accounts.open_session(project.store, account, now=start)
    assert accounts.session(project.store, idle, now=start + accounts.SESSION_IDLE + 1) is None
    assert accounts.session(project.store, idle, now=start + 1) is None  # closed for good


def test_accounts_session_token_is_stored_hashed(project):
    account = project.add_user("alice").account
    token = project.open_web_session(account)
    hashes = [row[0] for row in sqlite3.connect(project.path).execute("SELECT token_hash FROM web_sessions")]
    assert len(hashes) == 1 and token not in hashes[0] and len(hashes[0]) == 64


def test_accounts_reset_and_remove_close_sessions_and_keep_decisions(project):
    from tests.conftest import DATA
    from tests.review.conftest import TRANSCRIPT

    path = project.path.parent / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    first = project.suggestions()[0]["id"]
    invitation = project.add_user("alice")
    project.decide("alice", accept=[first])
    token = project.open_web_session(invitation.account)

    reset = project.reset_password("Alice")
    assert reset.password != invitation.password and reset.account.must_change_password
    assert project.web_session(token) is None
    with pytest.raises(SignInError):
        project.sign_in("alice", invitation.password, client="c")

    token = project.open_web_session(project.sign_in("alice", reset.password, client="c"))
    removed = project.remove_user("alice")
    assert removed.name == "alice" and project.users() == []
    assert project.web_session(token) is None
    assert [d.reviewer for d in project.store.decisions.log()] == ["alice"]
    with pytest.raises(AccountError, match="no account named 'alice'"):
        project.remove_user("alice")


def test_accounts_change_password_checks_the_current_one_and_the_rules(project):
    invitation = project.add_user("alice")
    account = invitation.account
    with pytest.raises(AccountError, match="current password is not right"):
        project.change_password(account, current="wrong", new="a much longer one")
    with pytest.raises(AccountError, match="at least 10 characters"):
        project.change_password(account, current=invitation.password, new="short")
    named = project.add_user("Amira Khan Smith")
    with pytest.raises(AccountError, match="not your name"):
        project.change_password(named.account, current=named.password, new=" amira khan smith ")
    with pytest.raises(AccountError, match="different from the current one"):
        project.change_password(account, current=invitation.password, new=invitation.password)
    keep = project.open_web_session(account)
    other = project.open_web_session(account)
    changed = project.change_password(account, current=invitation.password, new="river lamp tuesday",
                                      keep_session=keep)
    assert not changed.must_change_password
    assert project.web_session(keep) is not None and project.web_session(other) is None
    assert project.sign_in("alice", "river lamp tuesday", client="c").id == account.id


def test_accounts_rotating_the_secret_signs_everyone_out(project):
    account = project.add_user("alice").account
    secret = project.signing_secret()
    assert project.signing_secret() == secret and len(secret) >= 48
    tokens = [project.open_web_session(account) for _ in range(3)]
    assert project.rotate_signing_secret() == 3
    assert project.signing_secret() != secret
    assert all(project.web_session(token) is None for token in tokens)


def test_accounts_sign_in_upgrades_a_hash_made_with_older_parameters(project):
    from argon2 import PasswordHasher

    account = project.add_user("alice").account
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("an older password")
    project.store.accounts.set_password_hash(account.id, old, one_time=False)
    assert project.sign_in("alice", "an older password", client="c").name == "alice"
    upgraded = project.store.accounts.password_hash(account.id)
    assert upgraded != old and "m=19456,t=2,p=1" in upgraded
    assert project.sign_in("alice", "an older password", client="c").name == "alice"
