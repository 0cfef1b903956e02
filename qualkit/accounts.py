"""Who may sign in to the web server, with which role: passwords, sessions and sign-in throttling.

An owner invites people from the command line (`qualkit users add NAME --role reviewer`); each
gets a one-time password, shown once, which they replace with their own at first sign-in.
Passwords are stored as argon2id hashes; a session is a random token whose SHA-256 is stored, so
neither a password nor a usable token can be read back out of a project file passed around.
Failed sign-ins are counted per name and per client address, in the project, so that guessing
is slow across restarts too.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from typing import TYPE_CHECKING

from qualkit.errors import AccountError, ReviewError, SignInError, did_you_mean
from qualkit.records import Account, Invitation, Role, WebSession
from qualkit.review.actions import check_reviewer

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from qualkit.store import Store

#: A password a person chooses must be at least this long (and at most MAX_PASSWORD, to bound hashing).
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
#: Sign-in throttling: this many failures for one name, or from one client address, within the
#: window refuse further tries until the oldest failure leaves the window.
FAILURES_PER_NAME = 5
FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = 15 * 60
#: A session ends after this long unused, or this long after sign-in, whichever comes first.
SESSION_IDLE = 8 * 3600
SESSION_MAX = 7 * 24 * 3600
#: How often a session's last-seen time is written (not on every request: that would be a write each).
SESSION_TOUCH = 60

_SECRET_KEY = "web_secret"
# One-time passwords: no 0/o, 1/l/i, so they can be read out and typed without mistakes.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@functools.lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    # argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): tens of milliseconds
    # per sign-in on a small server, so a burst of sign-ins does not stall it; still memory-hard.
    # check_needs_rehash upgrades stored hashes when these change.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # verified against when the name is unknown, so a wrong name costs as long as a wrong password
    return _hasher().hash(secrets.token_hex(16))


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """Four groups of four unambiguous characters (about 79 bits), e.g. ``k7mq-x3rt-9hwp-2dne``."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _tidy(name: str) -> str:
    try:
        tidy = check_reviewer(name)
    except ReviewError:
        raise AccountError("an account needs a name: the reviewer name their decisions will carry") from None
    if len(tidy) > 80 or not tidy.isprintable():
        raise AccountError(f"account name {name!r} must be at most 80 printable characters")
    return tidy


# -- accounts ------------------------------------------------------------------------------


def find_account(store: Store, name: str) -> Account:
    account = store.accounts.named(_tidy(name))
    if account is None:
        names = [a.name for a in store.accounts.all()]
        raise AccountError(
            f"no account named {name!r}{did_you_mean(name, names)}; `qualkit users list` shows them"
        )
    return account


def add_account(store: Store, name: str, *, role: Role) -> Invitation:
    """A new account with a one-time password (returned once; only its hash is stored)."""
    tidy = _tidy(name)
    existing = store.accounts.named(tidy)
    if existing is not None:
        raise AccountError(
            f"there is already an account named {existing.name!r} ({existing.role.value}); "
            f"`qualkit users reset {existing.name!r}` gives it a new one-time password"
        )
    password = one_time_password()
    account = store.accounts.add(tidy, role, _hasher().hash(password))
    return Invitation(account, password)


def reset_password(store: Store, name: str) -> Invitation:
    """A new one-time password for an account; its sessions are closed."""
    account = find_account(store, name)
    password = one_time_password()
    with store.transaction():
        store.accounts.set_password_hash(account.id, _hasher().hash(password), one_time=True)
        store.accounts.close_sessions(account.id)
        store.accounts.forget_failures(account.name)
    return Invitation(find_account(store, account.name), password)


def remove_account(store: Store, name: str) -> Account:
    """Delete an account and sign it out everywhere; its decisions stay in the project."""
    account = find_account(store, name)
    store.accounts.remove(account.id)
    return account


def check_new_password(account: Account, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"choose a password of at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"choose a password of at most {MAX_PASSWORD} characters")
    if password.strip().lower() == account.name.lower():
        raise AccountError("choose a password that is not your name")


def change_password(store: Store, account_id: int, *, current: str, new: str,
                    keep_session: str | None = None) -> Account:
    """Replace an account's password after checking the current one; its other sessions are closed."""
    account = store.accounts.get(account_id)
    stored = store.accounts.password_hash(account_id)
    if account is None or stored is None:
        raise AccountError("this account no longer exists; ask the project owner")
    if not _verify(stored, current):
        raise AccountError("the current password is not right")
    check_new_password(account, new)
    if new == current:
        raise AccountError("choose a password different from the current one")
    keep = _token_hash(keep_session) if keep_session else None
    with store.transaction():
        store.accounts.set_password_hash(account_id, _hasher().hash(new), one_time=False)
        for session in _other_sessions(store, account_id, keep):
            store.accounts.close_session(session)
    changed = store.accounts.get(account_id)
    assert changed is not None
    return changed


def _other_sessions(store: Store, account_id: int, keep: str | None) -> list[str]:
    return [token for token in store.accounts.session_hashes(account_id) if token != keep]


# -- signing in ----------------------------------------------------------------------------


def _retry_after(failures: list[float], limit: int, now: float) -> int | None:
    if len(failures) < limit:
        return None
    # the try is allowed again once enough failures have left the window
    return max(1, int(failures[len(failures) - limit] + FAILURE_WINDOW - now) + 1)


def sign_in(store: Store, name: str, password: str, *, client: str, now: float | None = None) -> Account:
    """The account whose name and password these are; refused (SignInError) when either is wrong or
    too many tries failed lately for this name or from this client."""
    now = time.time() if now is None else now
    tidy = " ".join(name.split())[:80]
    since = now - FAILURE_WINDOW
    wait = _retry_after(store.accounts.failures(name=tidy, since=since), FAILURES_PER_NAME, now) or \
        _retry_after(store.accounts.failures(client=client, since=since), FAILURES_PER_CLIENT, now)
    if wait is not None:
        minutes = (wait + 59) // 60
        raise SignInError(
            f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}", retry_after=wait
        )
    account = store.accounts.named(tidy) if tidy else None
    stored = store.accounts.password_hash(account.id) if account else None
    if not _verify(stored or _dummy_hash(), password[:MAX_PASSWORD]) or account is None:
        store.accounts.record_failure(tidy, client, now, forget_before=since)
        raise SignInError("wrong name or password")
    store.accounts.forget_failures(account.name)
    if stored is not None and _hasher().check_needs_rehash(stored):
        store.accounts.set_password_hash(account.id, _hasher().hash(password), one_time=account.must_change_password)
    return account


def open_session(store: Store, account: Account, *, now: float | None = None) -> str:
    """A new session token for a signed-in account (put it in a signed cookie; it is stored hashed)."""
    token = secrets.token_urlsafe(32)
    store.accounts.open_session(_token_hash(token), account.id, time.time() if now is None else now)
    return token


def session(store: Store, token: str, *, now: float | None = None) -> WebSession | None:
    """The session this token opened, if it is still open: not signed out, not idle too long, not too
    old, and its account not removed."""
    now = time.time() if now is None else now
    key = _token_hash(token)
    found = store.accounts.session(key)
    if found is None:
        return None
    if now - found.seen > SESSION_IDLE or now - found.created > SESSION_MAX:
        store.accounts.close_session(key)
        return None
    if now - found.seen > SESSION_TOUCH:
        store.accounts.touch_session(key, now)
    return found


def close_session(store: Store, token: str) -> None:
    store.accounts.close_session(_token_hash(token))


# -- the signing secret --------------------------------------------------------------------


def signing_secret(store: Store) -> str:
    """The secret session cookies and CSRF tokens are signed with, made on first use."""
    value = store.settings.get(_SECRET_KEY)
    if value is None:
        value = secrets.token_urlsafe(48)
        store.settings.set(_SECRET_KEY, value)
    return value


def rotate_signing_secret(store: Store) -> int:
    """A new signing secret; every session is closed (everyone signs in again). Returns how many were."""
    with store.transaction():
        store.settings.set(_SECRET_KEY, secrets.token_urlsafe(48))
        return store.accounts.close_sessions()
