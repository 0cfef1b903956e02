"""What every page handler shares: who is asking, rendering, forms with CSRF checks, redirects.

Handlers are ``async``: they parse the request here, run their project calls on a
:class:`~qualkit.web.worker.ProjectWorker`, and render a template. Templates autoescape
everything; participant text is never marked safe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from qualkit.records import Account
from qualkit.web.pseudonyms import AS_STORED, BANNER, Pseudonyms
from qualkit.web.security import NONCE_COOKIE, SESSION_COOKIE, csrf_ok, csrf_token, new_nonce, unsign
from qualkit.web.worker import ProjectWorker

if TYPE_CHECKING:
    import jinja2

    from qualkit.project import Project

T = TypeVar("T")

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass
class Web:
    """The server's shared parts: the two project workers (see :mod:`qualkit.web.worker`), the
    templates, and its settings. Used from the event loop's thread only."""

    path: Path
    interactive: ProjectWorker
    slow: ProjectWorker
    env: jinja2.Environment
    secure_cookies: bool = False  # always mark cookies Secure (also done for every https request)
    pseudonyms: Pseudonyms = AS_STORED  # `serve --pseudonymise`: names as the key shows them
    shown_name: str = ""  # the project file's name as pages show it (set at start-up)
    flashes: dict[str, str] = field(default_factory=dict)  # session token → one message for its next page
    fragments: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # rendered parts pages share

    @classmethod
    def create(cls, path: str | os.PathLike, *, secure_cookies: bool = False,
               pseudonyms: Pseudonyms = AS_STORED) -> Web:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
        )
        resolved = Path(path)
        return cls(
            path=resolved, interactive=ProjectWorker(resolved, name="web", inline=True),
            slow=ProjectWorker(resolved, name="slow"),
            env=env, secure_cookies=secure_cookies, pseudonyms=pseudonyms, shown_name=resolved.name,
        )

    def close(self) -> None:
        self.interactive.close()
        self.slow.close()


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


@dataclass(frozen=True)
class Visitor:
    """Who sent a request: the signing secret, their session token and account (None before sign-in),
    and the nonce the sign-in form's CSRF token is bound to."""

    secret: str
    token: str | None
    account: Account | None
    nonce: str
    new_nonce: bool = False

    @property
    def csrf(self) -> str:
        return csrf_token(self.secret, self.token or self.nonce)

    @property
    def me(self) -> Account:
        assert self.account is not None, "only for pages that require signing in"
        return self.account


def go_to(location: str) -> HTTPException:
    """Raise this to stop handling a request and send the browser to ``location`` (a 303)."""
    return HTTPException(303, "See other", headers={"Location": location})


async def call(request: Request, function: Callable[[Project], T]) -> T:
    """Run ``function(project)`` on the interactive worker."""
    return await web_of(request).interactive(function)


async def visitor(request: Request) -> Visitor:
    cookie = request.cookies.get(SESSION_COOKIE)

    def find(project: Project) -> tuple[str, str | None, Account | None]:
        secret = project.signing_secret()
        token = unsign(secret, cookie)
        session = project.web_session(token) if token else None
        return secret, token if session else None, session.account if session else None

    secret, token, account = await call(request, find)
    nonce = request.cookies.get(NONCE_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return Visitor(secret, token, account, nonce)
    return Visitor(secret, token, account, new_nonce(), new_nonce=True)


async def signed_in(request: Request, *, adjudicator: bool = False, one_time_ok: bool = False) -> Visitor:
    """The visitor, who must be signed in (else to the sign-in page), have chosen their own password
    (else to the password page) and, for ``adjudicator`` pages, be an adjudicator or owner (else 403)."""
    found = await visitor(request)
    if found.account is None:
        raise go_to("/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else "")))
    if found.account.must_change_password and not one_time_ok:
        raise go_to("/password")
    if adjudicator and not found.account.role.can_adjudicate:
        raise HTTPException(
            403,
            "This page is for adjudicators and project owners: it shows other reviewers' verdicts and notes, "
            "which reviewers do not see, so that each one reviews independently.",
        )
    return found


def local_path(value: object, default: str = "/") -> str:
    """A path on this site to go back to (never another site: no scheme, no //host)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


async def posted(request: Request, found: Visitor) -> FormData:
    """The form a page posted, once its CSRF token is checked (403 when missing or wrong)."""
    form = await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    if not csrf_ok(found.secret, found.token or (None if found.new_nonce else found.nonce), form.get("csrf")):
        raise HTTPException(
            403, "This form has expired or did not come from this site. Go back, reload the page and try again."
        )
    return form


def text(form: FormData, name: str, *, limit: int = 2000) -> str:
    """A text field of a form, stripped and cut to ``limit`` characters."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def flash(request: Request, found: Visitor, message: str) -> None:
    """A one-line message shown on the visitor's next page."""
    if found.token:
        flashes = web_of(request).flashes
        if len(flashes) >= 10_000:  # messages of browsers that never came back
            flashes.clear()
        flashes[found.token] = message


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    secure = web_of(request).secure_cookies or request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")


def render(request: Request, found: Visitor, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    web = web_of(request)
    message = web.flashes.pop(found.token, None) if found.token else None
    page = web.env.get_template(template).render(
        me=found.account, csrf=found.csrf, flash=message, here=request.url.path, project=web.shown_name,
        pseudonymised=BANNER if web.pseudonyms.on else None, **context,
    )
    response = HTMLResponse(page, status_code=status)
    if found.new_nonce:
        set_cookie(request, response, NONCE_COOKIE, found.nonce)
    return response


def fragment(request: Request, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """A rendered part of a page (the filter form with every document in it) made once per ``key``:
    rendering a thousand options on every request would cost more than the rest of the page."""
    fragments = web_of(request).fragments
    if key not in fragments:
        if len(fragments) >= 256:
            fragments.clear()
        fragments[key] = make()
    found: T = fragments[key]
    return found


def macro(request: Request, name: str) -> Callable[..., Any]:
    """A macro of ``_macros.html``, to render a fragment outside a page."""
    module = web_of(request).env.get_template("_macros.html").module
    found: Callable[..., Any] = getattr(module, name)
    return found


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:200] or None


def queries(request: Request, name: str) -> list[str]:
    return [value.strip()[:200] for value in request.query_params.getlist(name) if value.strip()][:50]


def rows(frame: Any) -> tuple[list[str], list[Mapping[str, Any]]]:
    """A DataFrame's columns and rows, as the templates draw tables."""
    return [str(column) for column in frame.columns], frame.to_dict("records")
