"""The web application: routes, error pages and the headers every response carries.

No internal error reaches a person as a traceback: a QualkitError becomes a page with its
one-line message (it says what is wrong and how to fix it), an HTTP error a short page, and
anything unexpected a plain "something went wrong" page while the traceback goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qualkit.errors import NotFoundError, QualkitError
from qualkit.web import account, review, team
from qualkit.web.pages import STATIC, Web, redirect, render, visitor, web_of
from qualkit.web.pseudonyms import AS_STORED, Pseudonyms

if TYPE_CHECKING:
    from qualkit.project import Project

log = logging.getLogger("qualkit.web")

#: Sent with every response: scripts and styles only from this site (so even text that escaped
#: escaping could not run), no framing, no sniffing, no referrer to other sites.
SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)

_TITLES = {
    400: "That did not work", 403: "Not for this account", 404: "Page not found", 405: "Not allowed",
    413: "Too much at once", 429: "Too many tries",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                static = scope["path"].startswith("/static/")
                headers += [
                    (name, value) for name, value in SECURITY_HEADERS
                    if name not in present and not (static and name == b"cache-control")
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: An error page of a pseudonymised server whose key cannot be read now: it shows nothing else.
KEY_UNREADABLE = ("This page cannot be shown: the server shows names pseudonymised and cannot read the pseudonym key "
                  "now. Tell the project owner (the server's log has the details).")


async def _error_page(request: Request, status: int, message: str) -> Response:
    try:
        found = await visitor(request)
    except Exception:  # the project itself is unreachable: a bare page, still no traceback
        log.exception("could not identify the visitor while showing an error page")
        return HTMLResponse(f"<!doctype html><title>Error</title><h1>Error {status}</h1>", status_code=status)
    web = web_of(request)
    if web.pseudonyms.on:  # a message may quote a document, a case or a passage
        try:
            message = await web.interactive(lambda project: web.pseudonyms.value(project, message))
        except QualkitError:
            log.exception("could not pseudonymise an error message")
            message = KEY_UNREADABLE
    return render(request, found, "error.html", status=status, code=status,
                  title=_TITLES.get(status, "Something went wrong"), message=message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 303 and exc.headers:
        return redirect(exc.headers["Location"])
    messages = {
        404: "There is no page at this address. Use the links at the top of the page.",
        405: "This page cannot be used that way. Use the links and buttons on the pages.",
        413: "That was more than the server accepts at once.",
    }
    message = messages.get(exc.status_code) if exc.detail == _default_detail(exc.status_code) else exc.detail
    response = await _error_page(request, exc.status_code, message or str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _default_detail(status: int) -> str:
    import http

    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


async def qualkit_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFoundError) else 400
    return await _error_page(request, status, str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("error while serving %s %s", request.method, request.url.path, exc_info=exc)
    return await _error_page(
        request, 500,
        "Something went wrong on the server; nothing you did was lost: every decision is saved the moment it "
        "is made. Reload the page; if it happens again, tell the project owner (the server's log has the details).",
    )


def create_app(path: str | os.PathLike, *, secure_cookies: bool = False,
               pseudonyms: Pseudonyms = AS_STORED) -> Starlette:
    """The web application for the project at ``path`` (opened, on its own threads, at start-up);
    with ``pseudonyms`` on, every page shows names and text as the pseudonym key makes them."""
    web = Web.create(path, secure_cookies=secure_cookies, pseudonyms=pseudonyms)

    def start(project: Project) -> None:
        project.signing_secret()  # opens it: a bad file fails now
        # and a missing or unreadable key too (PseudonymisationError), before anyone sees a page
        web.shown_name = pseudonyms.value(project, web.path.name)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await web.interactive(start)
        try:
            yield
        finally:
            web.close()

    app = Starlette(
        debug=False,
        routes=[
            *account.ROUTES, *review.ROUTES, *team.ROUTES,
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: http_error, QualkitError: qualkit_error, Exception: server_error},
        lifespan=lifespan,
        max_body_size=1024 * 1024,
    )
    app.state.web = web
    return app


__all__ = ["create_app", "web_of"]
