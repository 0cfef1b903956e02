"""Pages for adjudicators and owners: disagreements to settle, agreement, team progress, downloads.

These pages show other reviewers' verdicts, notes and counts, so reviewers are refused them
(403): blind review holds until an adjudicator or owner looks here.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from qualkit.agreement import NO_PAIRS
from qualkit.errors import AnalysisError, PseudonymLeakError, QualkitError
from qualkit.records import Dispute, ReviewerVerdict, Role
from qualkit.web.pages import flash, local_path, posted, query, redirect, render, signed_in, text, web_of
from qualkit.web.passages import CodeInfo, Filters, Furniture, filter_form, furniture, highlight

if TYPE_CHECKING:
    from qualkit.project import Project
    from qualkit.pseudonymise import Pseudonymisation

PAGE_SIZE = 20
DOWNLOADS = ("report.docx", "codings.xlsx")
_SHOW = {"open": False, "settled": True, "all": None}


# -- adjudication ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeCard:
    dispute: Dispute
    pieces: list[tuple[str, bool]]  # the passage, with evidence marked
    code: CodeInfo


async def adjudication_page(request: Request) -> Response:
    found = await signed_in(request, adjudicator=True)
    filters = Filters.of(request)
    show = query(request, "show") or "open"
    if show not in _SHOW:
        show = "open"
    try:
        page = max(1, int(query(request, "page") or 1))
    except ValueError:
        page = 1

    web = web_of(request)
    state = web.slow.state

    def load(project: Project) -> tuple[list[DisputeCard], int, Furniture]:
        shown = furniture(project, state, pseudonyms=web.pseudonyms)
        infos = shown.infos
        scope = filters.in_project(shown.names)
        found = project.disputes(codes=scope.codes or None, documents=scope.documents or None,
                                 case=scope.case, settled=_SHOW[show])
        pseudonymised = shown.pseudonymised
        cards = []
        for dispute in found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
            s = dispute.suggestion
            spans = [(e.start - s.start, e.end - s.start) for e in s.evidence]
            if pseudonymised is not None:
                dispute, spans = _pseudonymised(project, dispute, pseudonymised)
            cards.append(DisputeCard(dispute=dispute, pieces=highlight(dispute.suggestion.text, spans),
                                     code=infos.get(s.code) or CodeInfo.unknown(s.code)))
        return cards, len(found), shown

    cards, total, shown = await web.slow(load)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    form = filter_form(request, "/adjudicate", filters, shown, extra={"show": show})
    return render(request, found, "adjudicate.html", cards=cards, total=total, page=min(page, pages), pages=pages,
                  show=show, filters=filters, filter_form=form, back=request.url.path + "?" + request.url.query)


def _pseudonymised(project: Project, dispute: Dispute,
                   pseudonymised: Pseudonymisation) -> tuple[Dispute, list[tuple[int, int]]]:
    """A disagreement as a pseudonymised page shows it: the passage (its evidence mapped), document,
    case, speaker and the reviewers' notes pseudonymised; ids, reviewers and verdicts as they are."""
    s = dispute.suggestion
    passage = project.pseudonymised_text(s.document, s.start, s.end, highlights=[(e.start, e.end) for e in s.evidence],
                                         pseudonymise=pseudonymised)
    value = pseudonymised.value

    def noted(verdict: ReviewerVerdict | None) -> ReviewerVerdict | None:
        return None if verdict is None else dataclasses.replace(verdict, note=value(verdict.note))

    suggestion = dataclasses.replace(s, document=pseudonymised.text(s.document), case=value(s.case),
                                     speaker=value(s.speaker), text=passage.text, evidence=())
    shown = dataclasses.replace(dispute, suggestion=suggestion,
                                verdicts=tuple(v for v in map(noted, dispute.verdicts) if v is not None),
                                adjudication=noted(dispute.adjudication))
    return shown, list(passage.highlights)


async def adjudicate(request: Request) -> Response:
    found = await signed_in(request, adjudicator=True)
    form = await posted(request, found)
    verdict = form.get("verdict")
    if verdict not in ("accept", "reject"):
        raise HTTPException(400, "Choose accept or reject.")
    suggestion_id = int(request.path_params["suggestion_id"])
    note = text(form, "note") or None
    me = found.me

    def settle(project: Project) -> None:
        project.adjudicate(me.name, suggestion_id, accept=verdict == "accept", note=note)

    await web_of(request).interactive(settle)
    flash(request, found, f"Recorded your adjudication: {verdict} (suggestion {suggestion_id}).")
    return redirect(local_path(form.get("back"), "/adjudicate"))


# -- agreement ---------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return "undefined" if math.isnan(value) else f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else int(value)
    return value


async def agreement_page(request: Request) -> Response:
    found = await signed_in(request, adjudicator=True)
    by = query(request, "by")
    if by not in (None, "document", "case"):
        by = None
    web = web_of(request)

    def load(project: Project) -> tuple[list[str], list[list[Any]], int]:
        import pandas as pd

        result = project.agreement(by=by)
        if not result.report.summaries:
            raise AnalysisError(NO_PAIRS)
        frame = result.report.pairs
        if by:  # the whole project first, then each document or case (named as the pages name them)
            names = furniture(project, web.slow.state, pseudonyms=web.pseudonyms).names
            labels = names.documents if by == "document" else names.cases
            shown = {original: label for label, original in labels.items()}
            frame = pd.concat([frame.assign(**{by: "(all)"})] + [
                table.pairs.assign(**{by: shown.get(str(value), web.pseudonyms.value(project, str(value)))})
                for value, table in result.groups.items()
            ], ignore_index=True)
        columns = [str(column) for column in frame.columns]
        table = [[_number(value) for value in row] for row in frame.itertuples(index=False)]
        return columns, table, len(result.disagreements)

    error = None
    columns: list[str] = []
    table: list[list[Any]] = []
    disagreements = 0
    try:
        columns, table, disagreements = await web.slow(load)
    except QualkitError as exc:  # e.g. fewer than two reviewers yet: say so on the page
        error = str(exc)
    return render(request, found, "agreement.html", columns=columns, table=table, by=by, error=error,
                  disagreements=disagreements)


# -- team progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerProgress:
    name: str
    role: Role | None  # None: reviewed from the command line or a file, no web account
    done: int  # passages with proposals they have finished (every code decided, or marked coded fully)
    to_go: int
    accepted: int  # their decisions in force
    rejected: int
    retired: bool = False

    @property
    def percent(self) -> float:
        total = self.done + self.to_go
        return 100 * self.done / total if total else 0.0


async def progress_page(request: Request) -> Response:
    found = await signed_in(request, adjudicator=True)

    def load(project: Project) -> list[ReviewerProgress]:
        verdicts: dict[str, dict[str, int]] = {}
        for row in project.review_status():
            if row["reviewer"].startswith("(consensus"):
                continue
            mine = verdicts.setdefault(row["reviewer"], {"accepted": 0, "rejected": 0})
            for key in mine:
                mine[key] += row[key]
        roles = {account.name: account.role for account in project.users()}
        known = {info.name: info for info in project.reviewers()}
        found = []
        for name in sorted(set(roles) | set(known) | set(verdicts), key=str.casefold):
            # the terminal's count: the same library, so the same passages (coverage-aware)
            done, to_go = project.passage_session(name).progress()
            retired = name in known and known[name].retired
            found.append(ReviewerProgress(name, roles.get(name), done, to_go, retired=retired,
                                          **verdicts.get(name, {"accepted": 0, "rejected": 0})))
        return found

    reviewers = await web_of(request).slow(load)
    return render(request, found, "progress.html", reviewers=reviewers)


# -- downloads ---------------------------------------------------------------------------------


def _consensus_choices(names: Sequence[str]) -> list[tuple[str, str]]:
    choices = [
        ("any", "any reviewer accepted"), ("majority", "a majority accepted"), ("all", "every reviewer accepted"),
    ]
    return choices + [(f"adjudicator:{name}", f"{name}'s adjudication settles disagreements") for name in names]


async def downloads_page(request: Request) -> Response:
    found = await signed_in(request, adjudicator=True)
    names = await web_of(request).interactive(
        lambda project: [a.name for a in project.users() if a.role.can_adjudicate]
    )
    return render(request, found, "downloads.html", choices=_consensus_choices(names))


async def download(request: Request) -> Response:
    await signed_in(request, adjudicator=True)
    web = web_of(request)
    what = request.path_params["what"]
    if what not in DOWNLOADS:
        raise HTTPException(404)
    consensus = query(request, "consensus") or "any"
    folder = Path(tempfile.mkdtemp(prefix="qualkit-web-"))
    target = folder / what

    def write(project: Project) -> None:
        # pseudonymised: written and leak-checked as `report --pseudonymise` writes them
        shared = web.pseudonyms.export(project)
        if what == "report.docx":
            project.report(target, consensus=consensus, pseudonymise=shared)
        else:
            project.export_codings(target, consensus=consensus, pseudonymise=shared)

    try:
        await web.slow(write)
    except PseudonymLeakError:  # its message quotes the names found: not for the page
        shutil.rmtree(folder, ignore_errors=True)
        raise QualkitError(
            f"The {what} was not written: a name of the pseudonym key survived pseudonymisation (in a reviewer's "
            "name, a code key or an attribute name). Write it on the command line with --pseudonymise to see where."
        ) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    stem = Path(web.shown_name).stem
    media = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if what.endswith(".docx")
             else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return FileResponse(target, media_type=media, filename=f"{stem}-{what}",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


ROUTES = [
    Route("/adjudicate", adjudication_page, methods=["GET"]),
    Route("/adjudicate/{suggestion_id:int}", adjudicate, methods=["POST"]),
    Route("/agreement", agreement_page, methods=["GET"]),
    Route("/progress", progress_page, methods=["GET"]),
    Route("/downloads", downloads_page, methods=["GET"]),
    Route("/downloads/{what:str}", download, methods=["GET"]),
]
