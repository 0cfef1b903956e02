"""Passage review in the browser, keyboard first: one passage at a time, with its neighbours, the
evidence highlighted and what was proposed for it, each code with its definition and criteria.

Decisions go through the review library behind :meth:`Project.review_session` (the same state and
the same append-only decisions as the terminal review; nothing about deciding is re-implemented
here) and are committed the moment they are made, so closing the tab loses nothing. A reviewer
sees only their own decisions and counts: sessions are always blind.

The page works with plain forms; ``static/review.js`` adds the keys (it clicks the same buttons).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qualkit.errors import QualkitError
from qualkit.records import Context
from qualkit.web.pages import flash, posted, redirect, render, signed_in, text, web_of
from qualkit.web.passages import CodeInfo, Filters, Furniture, filter_form, furniture, highlight

if TYPE_CHECKING:
    from qualkit.project import Project
    from qualkit.review.session import ReviewItem, ReviewSession

#: Review sessions kept in memory (per signed-in browser and filter); the oldest unused go first.
#: Losing one loses nothing but the skip list: decisions are in the project.
MAX_SESSIONS = 512


@dataclass(frozen=True)
class Proposal:
    """A code proposed for the passage, as the reviewer sees it."""

    suggestion_id: int
    code: CodeInfo
    source: str
    score: float
    why: str
    status: str  # this reviewer's own: pending, accepted or rejected


@dataclass(frozen=True)
class Passage:
    """What the review page shows: the passage, its neighbours, and the codes to decide."""

    segment_id: int
    document: str
    case: str | None
    ordinal: int
    speaker: str | None
    clock: str | None
    pieces: list[tuple[str, bool]]
    before: tuple[Context, ...]
    after: tuple[Context, ...]
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class ReviewPage:
    passage: Passage | None
    decided: int
    remaining: int
    codes: list[tuple[str, str]]  # every codable code (key, name), for adding one by hand
    furniture: Furniture


def _clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _sessions(project: Project, web_state: dict[str, Any]) -> OrderedDict[tuple[Any, ...], ReviewSession]:
    found: OrderedDict[tuple[Any, ...], ReviewSession] = web_state.setdefault("review", OrderedDict())
    return found


def _session(project: Project, state: dict[str, Any], token: str, reviewer: str, filters: Filters) -> ReviewSession:
    """This browser's review session for these filters (made on first use, then kept)."""
    sessions = _sessions(project, state)
    key = (token, tuple(filters.pairs()))
    if key in sessions:
        sessions.move_to_end(key)
        return sessions[key]
    session = project.review_session(
        reviewer, codes=filters.codes or None, documents=filters.documents or None, case=filters.case,
        order=filters.order, show_others=False,
    )
    sessions[key] = session
    while len(sessions) > MAX_SESSIONS:
        sessions.popitem(last=False)
    return session


def _passage(item: ReviewItem, infos: dict[str, CodeInfo]) -> Passage:
    proposal = Proposal(
        suggestion_id=item.suggestion_id, code=infos.get(item.code) or CodeInfo.unknown(item.code),
        source=item.source.value, score=item.score, why=item.why, status="pending",
    )
    return Passage(
        segment_id=item.segment_id, document=item.document, case=item.case, ordinal=item.ordinal,
        speaker=item.speaker, clock=_clock(item.timestamp),
        pieces=highlight(item.text, [(start, end) for start, end, _ in item.evidence]),
        before=item.before, after=item.after, proposals=(proposal,),
    )


def _page(project: Project, session: ReviewSession, state: dict[str, Any]) -> ReviewPage:
    shown = furniture(project, state)
    item = session.current()
    decided, remaining = session.progress()
    return ReviewPage(
        passage=_passage(item, shown.infos) if item else None, decided=decided, remaining=remaining,
        codes=shown.codable, furniture=shown,
    )


async def review_page(request: Request) -> Response:
    found = await signed_in(request)
    filters = Filters.of(request)
    web = web_of(request)
    token, me = found.token, found.me
    assert token is not None

    def load(project: Project) -> ReviewPage:
        state = web.interactive.state
        return _page(project, _session(project, state, token, me.name, filters), state)

    view = await web.interactive(load)
    form = filter_form(request, "/review", filters, view.furniture, with_order=True)
    return render(request, found, "review.html", view=view, filters=filters, filter_form=form)


def _back(filters: Filters) -> str:
    return "/review" + (f"?{filters.query}" if filters.query else "")


async def _act(request: Request, action: str) -> Response:
    found = await signed_in(request)
    form = await posted(request, found)
    filters = Filters(
        codes=tuple(v for v in form.getlist("code") if isinstance(v, str) and v), case=text(form, "case") or None,
        documents=tuple(v for v in form.getlist("document") if isinstance(v, str) and v),
        order=text(form, "order") or "document",
    )
    web = web_of(request)
    token, me = found.token, found.me
    assert token is not None
    verdict, _, decided_id = str(form.get("decision") or "").partition(":")
    shown = _int(decided_id) if action == "decide" else _int(form.get("suggestion"))

    def act(project: Project) -> str | None:
        session = _session(project, web.interactive.state, token, me.name, filters)
        if action == "undo":
            return session.undo() or "Nothing to undo."
        item = session.current()
        if item is None or item.suggestion_id != shown:
            # another tab (or a double key press) already moved on: never decide what is not on screen
            return "That passage was already decided; here is the next one."
        if action == "decide":
            note = text(form, "note")
            if note:
                session.note(note)
            if verdict == "accept":
                session.accept(item)
            elif verdict == "reject":
                session.reject(item)
            else:
                raise HTTPException(400, "Choose accept or reject.")
            return None
        if action == "skip":
            session.skip(item)
            return None
        if action == "add":
            key = _code_key(text(form, "add_code", limit=200), furniture(project, web.interactive.state).codable)
            note = text(form, "note")
            if note:
                session.note(note)
            session.add_code(item, key)
            return f"Added {key} to this passage."
        raise HTTPException(404)

    try:
        message = await web.interactive(act)
    except QualkitError as error:  # e.g. an unknown code typed into "add a code": say so, stay on the page
        message = str(error)
    if message:
        flash(request, found, message)
    return redirect(_back(filters))


def _int(value: object) -> int | None:
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _code_key(typed: str, codable: list[tuple[str, str]]) -> str:
    """The code key typed, or the key of the code whose name was typed (type-ahead offers both)."""
    for key, name in codable:
        if typed == key or typed.casefold() == name.casefold() or typed == f"{key} — {name}":
            return key
    return typed


async def decide(request: Request) -> Response:
    return await _act(request, "decide")


async def skip(request: Request) -> Response:
    return await _act(request, "skip")


async def undo(request: Request) -> Response:
    return await _act(request, "undo")


async def add_code(request: Request) -> Response:
    return await _act(request, "add")


ROUTES = [
    Route("/review", review_page, methods=["GET"]),
    Route("/review/decide", decide, methods=["POST"]),
    Route("/review/skip", skip, methods=["POST"]),
    Route("/review/undo", undo, methods=["POST"]),
    Route("/review/add", add_code, methods=["POST"]),
]
