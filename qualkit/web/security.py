"""Signed session cookies and CSRF tokens, keyed by the project's signing secret.

The session cookie holds a random session token signed with itsdangerous (tampered or forged
cookies are refused before the project is asked); the token itself is the credential, checked
against its stored hash by :mod:`qualkit.accounts`. A form's CSRF token is an HMAC of the
session token (or, before sign-in, of a random nonce in its own cookie), so a page on another
site cannot make a signed-in browser post anything: it cannot read the token to send with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from qualkit.accounts import SESSION_MAX

SESSION_COOKIE = "qualkit_session"
#: Before sign-in there is no session; the sign-in form's CSRF token is bound to this nonce instead.
NONCE_COOKIE = "qualkit_nonce"


def sign(secret: str, token: str) -> str:
    from itsdangerous import TimestampSigner

    return TimestampSigner(secret, salt="qualkit.session").sign(token).decode("ascii")


def unsign(secret: str, cookie: str | None) -> str | None:
    """The token in a signed cookie, or None when it is missing, forged, tampered with or too old."""
    if not cookie:
        return None
    from itsdangerous import BadSignature, TimestampSigner

    try:
        return TimestampSigner(secret, salt="qualkit.session").unsign(cookie, max_age=SESSION_MAX).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None


def csrf_token(secret: str, bound_to: str) -> str:
    """The CSRF token for forms of the session (or nonce) ``bound_to``."""
    return hmac.new(secret.encode(), b"csrf|" + bound_to.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, bound_to: str | None, sent: object) -> bool:
    if not bound_to or not isinstance(sent, str):
        return False
    return hmac.compare_digest(csrf_token(secret, bound_to), sent)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
