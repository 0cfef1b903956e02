"""Passage review in the browser, keyboard first: one segment at a time with its neighbours, the
evidence highlighted and every code proposed for it, each with its definition and criteria; the
reviewer accepts or rejects each, adds codes nothing proposed, and marks the segment coded fully.

Every action goes through :class:`~qualkit.review.passage.PassageSession` (from
:meth:`Project.passage_session`), the library the terminal's ``qualkit review --passages`` uses:
the same decisions (appended, ``via='passage'``), the same coverage marks, the same undo. Nothing
about deciding is re-implemented here. Each action is committed the moment it is made, so closing
the tab loses nothing. A reviewer sees only their own verdicts, codes and counts: sessions are blind.

What this module keeps is what a browser needs besides: which segment is on screen (it stays there
until the reviewer marks it coded fully or skips it, as in the terminal), and a check that a form
names what is on screen now, so a repeated key or a stale tab decides nothing.

The page works with plain forms; ``static/review.js`` adds the keys (it presses the same buttons).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qualkit.errors import NotFoundError, QualkitError
from qualkit.records import Context, Source, Verdict
from qualkit.web.pages import flash, posted, redirect, render, signed_in, text, web_of
from qualkit.web.passages import FURNITURE_TTL, CodeInfo, Filters, Furniture, filter_form, furniture, highlight_by

if TYPE_CHECKING:
    from starlette.datastructures import FormData

    from qualkit.project import Project
    from qualkit.pseudonymise import Pseudonymisation
    from qualkit.records import Memo
    from qualkit.review.passage import PassageItem, PassageSession

#: Review desks kept in memory (per signed-in browser and filter); the oldest unused go first.
#: Losing one loses nothing but its skip list and undo of marks: decisions and marks are in the project.
MAX_DESKS = 512

#: How often (seconds) a desk reads again what its reviewer did elsewhere (the terminal, another
#: server), besides whenever another of their desks on this server acts.
REFRESH_AFTER = 30.0

_STATUS = {None: "pending", Verdict.ACCEPT: "accepted", Verdict.REJECT: "rejected"}
_SOURCE = {Source.RULE: "rule", Source.MODEL: "model", Source.SEARCH: "text search", Source.MANUAL: "added by hand"}


@dataclass(frozen=True)
class ProposalCard:
    """A code on the passage as its reviewer sees it: proposed (or added by them), and their verdict."""

    number: int  # 1, 2, ... (the keys that choose it)
    suggestion_id: int
    code: CodeInfo
    source: str
    score: float | None  # None for a code added by hand
    evidence: tuple[str, ...]  # the matched words (a model's: terms and weights)
    status: str  # this reviewer's: pending, accepted or rejected


@dataclass(frozen=True)
class MemoCard:
    about: str
    title: str | None
    text: str
    author: str
    edited_at: str
    revisions: int


@dataclass(frozen=True)
class PassageView:
    """What the review page shows of one segment."""

    segment_id: int
    document: str
    case: str | None
    ordinal: int
    speaker: str | None
    clock: str | None
    fully_coded: bool
    pieces: list[tuple[str, tuple[int, ...]]]  # the text, each piece with the proposals whose evidence it is
    before: tuple[Context, ...]
    after: tuple[Context, ...]
    proposals: tuple[ProposalCard, ...]
    memos: tuple[MemoCard, ...]

    @property
    def pending(self) -> int:
        return sum(card.status == "pending" for card in self.proposals)


@dataclass(frozen=True)
class ReviewPage:
    passage: PassageView | None
    done: int  # segments with proposals in the filter this reviewer has finished
    to_go: int
    decided_here: int  # decisions made at this desk
    codes: list[tuple[str, str]]  # every codable code (key, name), for adding one by hand
    furniture: Furniture


@dataclass
class Desk:
    """One browser's passage review with one filter: the library's session, and the segment on screen."""

    session: PassageSession
    on_screen: int | None = None
    seen: int = 0  # the reviewer's action count (on this server) when the desk last caught up
    caught_up_at: float = field(default_factory=time.monotonic)


def _clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _actions(state: dict[str, Any]) -> dict[str, int]:
    """reviewer → how many actions they have taken on this server (desks compare it to catch up)."""
    found: dict[str, int] = state.setdefault("review actions", {})
    return found


def _desk(project: Project, state: dict[str, Any], token: str, reviewer: str, filters: Filters) -> Desk:
    """This browser's desk for these filters (with the project's names: :meth:`Filters.in_project`;
    made on first use, then kept), caught up with what the reviewer did at their other desks or elsewhere."""
    desks: OrderedDict[tuple[Any, ...], Desk] = state.setdefault("review desks", OrderedDict())
    key = (token, tuple(filters.pairs()))
    actions = _actions(state)
    desk = desks.get(key)
    if desk is None:
        # the filter's passages are the same for every reviewer: counted once for all who open it
        # within FURNITURE_TTL (a team signing in at nine would otherwise each pay for the count)
        totals: dict[tuple[Any, ...], tuple[int, float]] = state.setdefault("review totals", {})
        scope = (filters.codes, filters.documents, filters.case)
        known = totals.get(scope)
        now = time.monotonic()
        session = project.passage_session(
            reviewer, codes=filters.codes or None, documents=filters.documents or None, case=filters.case,
            order=filters.order, every_segment=filters.every,
            known_total=known[0] if known and now - known[1] < FURNITURE_TTL else None,
        )
        if known is None or now - known[1] >= FURNITURE_TTL:
            if len(totals) >= MAX_DESKS:
                totals.clear()
            totals[scope] = (sum(session.progress()), now)
        desk = desks[key] = Desk(session, seen=actions.get(session.reviewer, 0))
        while len(desks) > MAX_DESKS:
            desks.popitem(last=False)
        return desk
    desks.move_to_end(key)
    now = time.monotonic()
    if desk.seen != actions.get(desk.session.reviewer, 0) or now - desk.caught_up_at > REFRESH_AFTER:
        desk.session.refresh()
        desk.seen, desk.caught_up_at = actions.get(desk.session.reviewer, 0), now
    return desk


def _acted(state: dict[str, Any], desk: Desk) -> None:
    """Count an action of the desk's reviewer (their other desks catch up); this desk is up to date."""
    actions = _actions(state)
    actions[desk.session.reviewer] = desk.seen = actions.get(desk.session.reviewer, 0) + 1


def _on_screen(desk: Desk) -> PassageItem | None:
    """The segment this desk shows: the one on screen until the reviewer marks it coded fully or skips
    it (or finished it elsewhere), then the session's next."""
    if desk.on_screen is not None:
        try:
            item = desk.session.item(desk.on_screen)
        except NotFoundError:  # its document was removed
            item = None
        if item is not None and not (item.fully_coded and not item.pending):
            return item
    item = desk.session.current()
    desk.on_screen = item.segment_id if item else None
    return item


def _memos(project: Project, item: PassageItem, shown: Furniture, me: str,
           pseudonymised: Pseudonymisation | None) -> tuple[MemoCard, ...]:
    """Memos on the segment, its document, its case and the codes on it (and their themes). A reviewer
    is not shown a memo another reviewer wrote or edited: it could carry their reading of the passage.
    Pseudonymised, what they are about and say is too (their authors are reviewers: as they are)."""
    if not shown.memos:
        return ()
    found: dict[int, Memo] = {memo.id: memo for memo in project.memos_about(
        segment_id=item.segment_id, document=item.document, case=item.case)}
    for code in dict.fromkeys(proposal.code for proposal in item.proposals):
        found.update((memo.id, memo) for memo in project.memos_about(code=code))
    hidden = shown.reviewers - {me} if me in shown.reviewers else frozenset()
    def value(text: str) -> str:
        return text if pseudonymised is None else pseudonymised.text(text)

    return tuple(
        MemoCard(about=value(str(memo.target)), title=memo.title and value(memo.title), text=value(memo.text),
                 author=memo.author,
                 edited_at=memo.edited_at, revisions=memo.revisions)
        for _, memo in sorted(found.items()) if not hidden & {memo.author, memo.edited_by}
    )


def _view(project: Project, item: PassageItem, shown: Furniture, me: str,
          pseudonymised: Pseudonymisation | None = None) -> PassageView:
    """The page's view of ``item``; ``pseudonymised``: its text, neighbours, names and evidence as the
    key shows them (memos are found by the project's names first). Ids stay: decisions land as ever."""
    memos = _memos(project, item, shown, me, pseudonymised)
    if pseudonymised is not None:
        item = pseudonymised.passage_item(item)
    cards = tuple(
        ProposalCard(
            number=number, suggestion_id=proposal.suggestion_id,
            code=shown.infos.get(proposal.code) or CodeInfo.unknown(proposal.code),
            source=_SOURCE.get(proposal.source, proposal.source.value),
            score=None if proposal.source is Source.MANUAL else proposal.score,
            evidence=tuple(dict.fromkeys(e.words for e in proposal.evidence if e.words))[:6],
            status=_STATUS[proposal.verdict],
        )
        for number, proposal in enumerate(item.proposals, start=1)
    )
    # a model's evidence is the terms it weighed, not a claim about where the code is: like the
    # terminal, only rules' (and searches') matches are highlighted
    spans = [(e.start, e.end, number) for number, proposal in enumerate(item.proposals, start=1)
             if proposal.source is not Source.MODEL for e in proposal.evidence]
    return PassageView(
        segment_id=item.segment_id, document=item.document, case=item.case, ordinal=item.ordinal,
        speaker=item.speaker, clock=_clock(item.timestamp), fully_coded=item.fully_coded,
        pieces=highlight_by(item.text, spans), before=item.before, after=item.after, proposals=cards,
        memos=memos,
    )


async def review_page(request: Request) -> Response:
    found = await signed_in(request)
    filters = Filters.of(request)
    web = web_of(request)
    token, me = found.token, found.me
    assert token is not None

    def load(project: Project) -> ReviewPage:
        state = web.interactive.state
        shown = furniture(project, state, pseudonyms=web.pseudonyms)
        desk = _desk(project, state, token, me.name, filters.in_project(shown.names))
        item = _on_screen(desk)
        done, to_go = desk.session.progress()
        return ReviewPage(
            passage=_view(project, item, shown, me.name, shown.pseudonymised) if item else None,
            done=done, to_go=to_go,
            decided_here=desk.session.decided_here, codes=shown.codable, furniture=shown,
        )

    view = await web.interactive(load)
    form = filter_form(request, "/review", filters, view.furniture, with_order=True)
    return render(request, found, "review.html", view=view, filters=filters, filter_form=form)


def _back(filters: Filters) -> str:
    return "/review" + (f"?{filters.query}" if filters.query else "")


def _int(value: object) -> int | None:
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


STALE = "That passage is no longer the one to review here (a repeated key, or another tab moved on): nothing was " \
        "recorded. Here it is as it is now."


def _resolve_code(session: PassageSession, typed: str) -> tuple[str | None, str | None]:
    """(the code key meant, None) for what was typed into "add a code" — a key, a name, or the start of
    either, as the type-ahead offers them — or (None, why not)."""
    typed = " ".join(typed.split())
    if not typed:
        return None, "Type a code's key or name to add it (the list offers both)."
    if " — " in typed:  # "key — name", as the list shows it
        typed = typed.split(" — ", 1)[0]
    keys = {code.key: code for code in session.codebook.codable}
    if typed in keys:
        return typed, None
    named = [key for key, code in keys.items() if code.name.casefold() == typed.casefold()]
    if len(named) == 1:
        return named[0], None
    options = session.complete_code(typed)
    if len(options) == 1:
        return options[0], None
    if options:
        listed = ", ".join(options[:8]) + (", ..." if len(options) > 8 else "")
        return None, f"{typed!r} matches {len(options)} codes ({listed}): type more of the key or name."
    return typed, None  # the library says what is wrong with it (and what was meant)


def _do(session: PassageSession, item: PassageItem, action: str, form: FormData) -> tuple[str | None, bool]:
    """Carry out one action on the item on screen: (a message for the page, whether the desk moves on)."""
    note = text(form, "note")
    session.note(note)  # for this action only: a note never waits for a later passage
    if action == "decide":
        if not form.get("decision"):  # Enter in the note field, without the page's script
            return "Nothing recorded: choose Accept or Reject on a code (a note goes with that choice).", False
        verdict, _, rest = str(form.get("decision")).partition(":")
        chosen, _, seen = rest.partition(":")
        proposal = next((p for p in item.proposals if str(p.suggestion_id) == chosen), None)
        if verdict not in ("accept", "reject") or proposal is None:
            raise HTTPException(400, "Choose accept or reject for one of the codes on the passage.")
        if _STATUS[proposal.verdict] != seen:
            return STALE, False
        (session.accept if verdict == "accept" else session.reject)(item, proposal.suggestion_id)
        return None, False
    if action == "add":
        key, problem = _resolve_code(session, text(form, "add_code", limit=200))
        if key is None:
            return problem, False
        if key in item.applied:
            return f"You have already applied {key} to this passage.", False
        session.add_code(item, key)
        return f"Added {key} to this passage.", False
    if action == "done":
        pending = len(item.pending)
        session.mark_fully_coded(item)
        rejected = f"; the {pending} code{'' if pending == 1 else 's'} you had not decided rejected" if pending else ""
        return f"Segment {item.ordinal} of {item.document} marked coded fully{rejected}.", True
    if action == "skip":
        session.skip(item)
        return None, True
    raise HTTPException(404)


async def _act(request: Request, action: str) -> Response:
    found = await signed_in(request)
    form = await posted(request, found)
    filters = Filters.parse(
        codes=[v for v in form.getlist("code") if isinstance(v, str)], case=text(form, "case", limit=200),
        documents=[v for v in form.getlist("document") if isinstance(v, str)], order=text(form, "order"),
        every=text(form, "every"),
    )
    web = web_of(request)
    token, me = found.token, found.me
    assert token is not None
    shown_segment = _int(form.get("segment"))

    def act(project: Project) -> str | None:
        state = web.interactive.state
        shown = furniture(project, state, pseudonyms=web.pseudonyms)
        desk = _desk(project, state, token, me.name, filters.in_project(shown.names))
        session = desk.session
        if action == "undo":
            message = session.undo()
            _acted(state, desk)
            if session.undone_segment is not None:
                desk.on_screen = session.undone_segment  # show what was undone
            return (message[0].upper() + message[1:] + ".") if message else "Nothing to undo."
        item = _on_screen(desk)
        if item is None or item.segment_id != shown_segment:
            return STALE
        try:
            message, moves_on = _do(session, item, action, form)
        finally:
            _acted(state, desk)
        if moves_on:
            desk.on_screen = None
        return message

    try:
        message = await web.interactive(act)
    except QualkitError as error:  # e.g. an unknown code typed into "add a code": say so, stay on the page
        message = str(error)
    if message and web.pseudonyms.on:  # "Segment 3 of <document> marked coded fully", an error quoting one
        said = message
        message = await web.interactive(lambda project: web.pseudonyms.value(project, said))
    if message:
        flash(request, found, message)
    return redirect(_back(filters))


async def decide(request: Request) -> Response:
    return await _act(request, "decide")


async def add_code(request: Request) -> Response:
    return await _act(request, "add")


async def done(request: Request) -> Response:
    return await _act(request, "done")


async def skip(request: Request) -> Response:
    return await _act(request, "skip")


async def undo(request: Request) -> Response:
    return await _act(request, "undo")


ROUTES = [
    Route("/review", review_page, methods=["GET"]),
    Route("/review/decide", decide, methods=["POST"]),
    Route("/review/add", add_code, methods=["POST"]),
    Route("/review/done", done, methods=["POST"]),
    Route("/review/skip", skip, methods=["POST"]),
    Route("/review/undo", undo, methods=["POST"]),
]

__all__ = ["ROUTES", "Desk", "PassageView", "ProposalCard", "ReviewPage"]
