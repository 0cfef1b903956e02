"""Signing in and out, and choosing one's own password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qualkit.accounts import MIN_PASSWORD, SESSION_MAX
from qualkit.errors import AccountError, SignInError
from qualkit.project import Project
from qualkit.records import Account
from qualkit.web.pages import (
    flash,
    local_path,
    posted,
    query,
    redirect,
    render,
    set_cookie,
    signed_in,
    text,
    visitor,
    web_of,
)
from qualkit.web.security import SESSION_COOKIE, sign


async def home(request: Request) -> Response:
    await signed_in(request)
    return redirect("/review")


async def login_page(request: Request) -> Response:
    found = await visitor(request)
    goto = local_path(query(request, "next"))
    if found.account is not None:
        return redirect(goto)
    signed_out = query(request, "signed_out") is not None
    return render(request, found, "login.html", next=goto, name="", error=None, signed_out=signed_out)


async def login(request: Request) -> Response:
    found = await visitor(request)
    form = await posted(request, found)
    name, password = text(form, "name", limit=200), form.get("password")
    goto = local_path(form.get("next"))
    client = request.client.host if request.client else "unknown"

    def check(project: Project) -> tuple[Account, str]:
        account = project.sign_in(name, password if isinstance(password, str) else "", client=client)
        return account, project.open_web_session(account)

    try:
        # on the slow worker: hashing a password takes tens of milliseconds, which nobody's next
        # decision should wait behind
        account, token = await web_of(request).slow(check)
    except SignInError as error:
        status, headers = (429, {"Retry-After": str(error.retry_after)}) if error.retry_after else (401, {})
        refused = render(request, found, "login.html", status=status, next=goto, name=name, error=str(error),
                         signed_out=False)
        refused.headers.update(headers)
        return refused
    response = redirect("/password" if account.must_change_password else goto)
    set_cookie(request, response, SESSION_COOKIE, sign(found.secret, token), max_age=SESSION_MAX)
    return response


async def logout(request: Request) -> Response:
    found = await visitor(request)
    await posted(request, found)
    if found.token is not None:
        token = found.token
        await web_of(request).interactive(lambda project: project.close_web_session(token))
    response = redirect("/login?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def password_page(request: Request) -> Response:
    found = await signed_in(request, one_time_ok=True)
    return render(request, found, "password.html", error=None, minimum=MIN_PASSWORD)


async def change_password(request: Request) -> Response:
    found = await signed_in(request, one_time_ok=True)
    form = await posted(request, found)
    current, new, again = (form.get(name) for name in ("current", "new", "again"))
    if not all(isinstance(value, str) for value in (current, new, again)) or new != again:
        return render(request, found, "password.html", status=400, minimum=MIN_PASSWORD,
                      error="The two new passwords are not the same; type it twice alike.")
    me, token = found.me, found.token

    def change(project: Project) -> Account:
        return project.change_password(me, current=str(current), new=str(new), keep_session=token)

    try:
        await web_of(request).slow(change)
    except AccountError as error:
        return render(request, found, "password.html", status=400, minimum=MIN_PASSWORD, error=str(error))
    flash(request, found, "Your password is changed. Other browsers signed in as you were signed out.")
    return redirect("/")


ROUTES = [
    Route("/", home),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/password", password_page, methods=["GET"]),
    Route("/password", change_password, methods=["POST"]),
]
