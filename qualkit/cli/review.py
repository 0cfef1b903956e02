"""Reviewing: the terminal session, decide, undo, add, accept-all, and the spreadsheet round trip."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import click

from qualkit.cli.base import cli, clock, emit, open_project
from qualkit.cli.options import (
    case_filter,
    codes_filter,
    documents_filter,
    output_format,
    pseudonymise_options,
    reviewer_acting,
)
from qualkit.cli.pseudonymise import report_sharing, sharing
from qualkit.errors import QualkitError
from qualkit.records import Memo, MemoAbout, Source, Verdict

if TYPE_CHECKING:
    from qualkit.review.passage import PassageItem, PassageSession
    from qualkit.review.session import ReviewItem, ReviewSession


_REVIEW_HELP = """Keys: a accept · r reject · s skip · u undo the last decision · n note for the next decision
      c add another code to this segment (Tab completes) · m memo on the segment, code, document or case
      ? this help · q quit
Every decision is saved the moment you make it; run the same command again to resume.
Memos (✎) on the segment, its code and themes, its document and case are shown with it; every reviewer sees them."""

MEMOS_SHOWN = 3  # memo lines under an item; the rest are counted, with the command that lists them


def _memo_lines(memos: Sequence[Memo], *, document: str, case: str | None, codes: Sequence[str]) -> list[str]:
    """One line per memo (the most specific first), cut to the terminal's width."""
    width = shutil.get_terminal_size((100, 24)).columns
    lines = []
    for memo in memos[:MEMOS_SHOWN]:
        head = f"  ✎ {memo.target} · {memo.author}" + (f" · {memo.title}" if memo.title else "") + ": "
        text = " ".join(memo.text.split())
        room = max(20, width - len(head) - 1)
        if len(text) > room:
            text = text[:room - 1].rstrip() + "…"
        lines.append(click.style(head, fg="yellow") + text)
    if len(memos) > MEMOS_SHOWN:
        where = ["qualkit memo list -d", _quoted(document), *(["--case", _quoted(case)] if case else [])]
        command = " ".join([*where, *[part for code in dict.fromkeys(codes) for part in ("--code", code)]])
        if len(command) + 30 > width:  # too long for a line: the codes' memos have `qualkit memo list --code`
            command = " ".join(where)
        lines.append(click.style(f"    … and {len(memos) - MEMOS_SHOWN} more memo(s): {command}", dim=True))
    return lines


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)


def _ask_memo(item: ReviewItem | PassageItem, *, code: str | None,
              pick_code: Callable[[], str | None] | None = None) -> tuple[MemoAbout, str | None, str] | None:
    """What the memo is on (one key; a code is ``code``, else asked with ``pick_code``) and its text (one
    line): (what, code, text), or None when cancelled."""
    choices = [("s", MemoAbout.SEGMENT, f"segment {item.ordinal}"),
               ("c", MemoAbout.CODE, f"code {code}" if code else "a code"),
               ("d", MemoAbout.DOCUMENT, item.document)]
    if item.case:
        choices.append(("k", MemoAbout.CASE, f"case {item.case}"))
    click.echo("memo on: " + " · ".join(f"[{key}] {label}" for key, _, label in choices) + " (Enter: segment) > ",
               nl=False)
    key = _key_of(click.getchar())  # Enter alone ("") is the segment
    click.echo(key)
    chosen = {choice: about for choice, about, _ in choices}
    about = MemoAbout.SEGMENT if not key else chosen.get(key)
    if about is MemoAbout.CODE and code is None and pick_code is not None:
        code = pick_code()
    if about is None or (about is MemoAbout.CODE and code is None):
        click.echo("no memo written")
        return None
    text = click.prompt("memo (one line; longer ones: qualkit memo add --file; empty cancels)", default="",
                        show_default=False).strip()
    if not text:
        click.echo("no memo written")
        return None
    return about, code, text


def _highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """The segment text with evidence spans bold and underlined (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out.append(text[position:start])
        out.append(click.style(text[start:end], bold=True, underline=True, fg="yellow"))
        position = end
    out.append(text[position:])
    return "".join(out)


def _show_item(session: ReviewSession, item: ReviewItem) -> None:
    done, remaining = session.progress()
    click.echo("")
    click.echo(click.style(f"── {done} done · {remaining} remaining for this filter ──", fg="cyan"))
    where = " · ".join(
        part for part in (
            item.document, item.case, f"segment {item.ordinal}", item.speaker, clock(item.timestamp)
        ) if part
    )
    click.echo(where)
    for context in item.before:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    click.echo(f"▶ {_highlight(item.text, item.evidence)}")
    for context in item.after:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    click.echo(click.style(f"Code: {item.code} — {item.code_name}", bold=True))
    click.echo(f"  Definition: {item.definition}")
    if item.include:
        click.echo(f"  Include: {'; '.join(item.include)}")
    if item.exclude:
        click.echo(f"  Exclude: {'; '.join(item.exclude)}")
    click.echo(f"  Why: {item.why}")
    if session.show_others:
        others = ", ".join(f"{name}: {verdict}" for name, verdict in item.others) or "none yet"
        click.echo(f"  Other reviewers: {others}")
    for line in _memo_lines(item.memos, document=item.document, case=item.case, codes=[item.code]):
        click.echo(line)
    click.echo("[a]ccept [r]eject [s]kip [u]ndo [n]ote [c]ode [m]emo [?]help [q]uit > ", nl=False)


_PASSAGE_HELP = """Keys: 1-9 accept that proposal · r then 1-9 reject it · A accept every pending proposal
      c add a code nothing proposed (Tab completes) · d done: segment coded fully (pending ones rejected)
      s skip · u undo the last action · n note for the next decision · m memo on the segment, a code,
      the document or the case · ? this help · q quit
Every action is saved the moment you make it; run the same command again to resume.
Memos (✎) on the segment, its proposed codes and their themes, its document and case are shown with it."""

_MARKS = {None: " ", Verdict.ACCEPT: "✓", Verdict.REJECT: "✗"}


def _show_passage(session: PassageSession, item: PassageItem) -> None:
    done, remaining = session.progress()
    click.echo("")
    segments = "segment" if done == 1 else "segments"
    click.echo(click.style(f"── {done} {segments} done · {remaining} to go for this filter ──", fg="cyan"))
    where = " · ".join(
        part for part in (item.document, item.case, f"segment {item.ordinal}", item.speaker, clock(item.timestamp))
        if part
    )
    click.echo(where + (" · coded fully" if item.fully_coded else ""))
    for context in item.before:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    spans = [(e.start, e.end, "") for p in item.proposals if p.source is not Source.MODEL for e in p.evidence]
    click.echo(f"▶ {_highlight(item.text, spans)}")
    for context in item.after:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    if not item.proposals:
        click.echo("  (nothing proposed: add codes with c, then d when done)")
    for number, proposal in enumerate(item.proposals, start=1):
        evidence = "; ".join(str(e) for e in proposal.evidence[:4])
        source = f"{proposal.source.value} {proposal.score:.2f}" if proposal.source is not Source.MANUAL else "added"
        click.echo(click.style(f"  [{number}] {_MARKS[proposal.verdict]} {proposal.code} — {proposal.code_name}",
                               bold=proposal.pending) + f"  ({source}{': ' + evidence if evidence else ''})")
        click.echo(click.style(f"        {proposal.definition}", dim=True))
        if proposal.include:
            click.echo(click.style(f"        include: {'; '.join(proposal.include)}", dim=True))
        if proposal.exclude:
            click.echo(click.style(f"        exclude: {'; '.join(proposal.exclude)}", dim=True))
    for line in _memo_lines(item.memos, document=item.document, case=item.case,
                            codes=[p.code for p in item.proposals]):
        click.echo(line)
    click.echo("[1-9] accept  r+[1-9] reject  [A]ll  [c]ode  [d]one  [s]kip  [u]ndo  [n]ote  [m]emo  [?]  [q]uit > ",
               nl=False)


def _key_of(read: str) -> str:
    """The key in one read of the terminal. A key followed by Enter arrives in one read when typed
    fast, pasted or sent by a terminal multiplexer ("A\r"): the Enter is dropped ("" for Enter
    alone). Escape sequences (arrow keys) stay whole, to be reported as such."""
    key = read.strip("\r\n")
    return key if key.startswith("\x1b") else key[:1]


def _read_key() -> str:
    """One keypress; a bare Enter is ignored rather than reported as an unknown key."""
    while not (key := _key_of(click.getchar())):
        pass
    return key


def _pick(item: PassageItem, key: str) -> int | None:
    if key.isdigit() and 1 <= int(key) <= len(item.proposals):
        return item.proposals[int(key) - 1].suggestion_id
    click.echo(f"no proposal {key!r}; they are numbered 1 to {len(item.proposals)}")
    return None


def _passage_loop(session: PassageSession) -> None:
    found = session.current()
    while True:
        if found is None:
            click.echo("\nNothing left to review for this filter.")
            return
        item: PassageItem = found
        _show_passage(session, item)
        key = _read_key()
        click.echo(key)
        try:
            if key.isdigit():
                if (chosen := _pick(item, key)) is not None:
                    session.accept(item, chosen)
            elif key == "r":
                click.echo("reject which? ", nl=False)
                which = _read_key()
                click.echo(which)
                if (chosen := _pick(item, which)) is not None:
                    session.reject(item, chosen)
            elif key == "A":
                session.decide(item, accept=[p.suggestion_id for p in item.pending])
            elif key == "c":
                code_key = _ask_code(session)
                if code_key:
                    session.add_code(item, code_key)
                    click.echo(f"added {code_key}")
            elif key == "d":
                session.mark_fully_coded(item)
                found = session.current()
                continue
            elif key == "s":
                session.skip(item)
                found = session.current()
                continue
            elif key == "u":
                click.echo(session.undo() or "nothing to undo")
                # back to the passage the undo was about (as the browser does), else where they were
                undone = session.undone_segment
                found = session.item(undone) if undone is not None else session.current()
                continue
            elif key == "n":
                session.note(click.prompt("note", default="", show_default=False))
                click.echo("note kept for your next decision")
            elif key == "m":
                proposed = item.pending or item.proposals
                asked = _ask_memo(item, code=None, pick_code=partial(
                    _ask_code, session, default=proposed[0].code if proposed else None))
                if asked is not None:
                    memo = session.write_memo(item, asked[2], on=asked[0], code=asked[1])
                    click.echo(f"wrote memo {memo.id} on {memo.target}")
            elif key == "?":
                click.echo(_PASSAGE_HELP)
            elif key in ("q", "\x03", "\x04"):
                return
            else:
                click.echo(f"unknown key {key!r}; ? for help")
        except QualkitError as exc:
            click.echo(f"error: {exc}")
        found = session.item(item.segment_id)  # as it is now


def _ask_code(session: ReviewSession | PassageSession, *, default: str | None = None) -> str | None:
    try:
        import readline

        def complete(text: str, state: int) -> str | None:
            options = session.complete_code(text)
            return options[state] if state < len(options) else None

        readline.set_completer(complete)
        readline.set_completer_delims(" ")
        readline.parse_and_bind("tab: complete")
    except ImportError:  # pragma: no cover - Windows without readline
        pass
    hint = f"Enter: {default}" if default else "empty cancels"
    typed = click.prompt(f"code key (Tab completes, {hint})", default="", show_default=False).strip() or default
    if not typed:
        return None
    options = session.complete_code(typed)
    if typed in options:
        return typed
    if len(options) == 1:
        return options[0]
    click.echo(f"no single code starts with {typed!r}: {', '.join(options) or 'none'}")
    return None


def _review_loop(session: ReviewSession) -> None:
    while True:
        item = session.current()
        if item is None:
            click.echo("\nNothing left to review for this filter.")
            return
        _show_item(session, item)
        key = _read_key()
        click.echo(key)
        if key == "a":
            session.accept(item)
        elif key == "r":
            session.reject(item)
        elif key == "s":
            session.skip(item)
        elif key == "u":
            click.echo(session.undo() or "nothing to undo")
        elif key == "n":
            session.note(click.prompt("note", default="", show_default=False))
            click.echo("note kept for your next decision on this suggestion")
        elif key == "c":
            code_key = _ask_code(session)
            if code_key:
                try:
                    session.add_code(item, code_key)
                    click.echo(f"added {code_key} to this segment (manual, accepted)")
                except QualkitError as exc:
                    click.echo(f"error: {exc}")
        elif key == "m":
            asked = _ask_memo(item, code=item.code)
            if asked is not None:
                try:
                    memo = session.write_memo(item, asked[2], on=asked[0])
                    click.echo(f"wrote memo {memo.id} on {memo.target}")
                except QualkitError as exc:
                    click.echo(f"error: {exc}")
        elif key == "?":
            click.echo(_REVIEW_HELP)
        elif key in ("q", "\x03", "\x04"):
            return
        else:
            click.echo(f"unknown key {key!r}; ? for help")


@cli.group(invoke_without_command=True)
@click.option("--reviewer", metavar="NAME", help="Who is reviewing (recorded with every decision).")
@codes_filter
@documents_filter
@case_filter
@click.option("--order", type=click.Choice(["document", "score", "uncertainty"]), default="document", show_default=True)
@click.option("--show-others", is_flag=True, help="Show other reviewers' verdicts (review is blind by default).")
@click.option("--passages", is_flag=True,
              help="Passage review: one segment at a time with every proposal on it, codes added and the segment "
                   "marked coded fully in the same step (recommended: it teaches the model most).")
@click.option("--every-segment", is_flag=True,
              help="With --passages: after the proposals, every other segment too (independent coding).")
@click.pass_context
def review(ctx: click.Context, reviewer: str | None, codes: tuple[str, ...], documents: tuple[str, ...],
           case: str | None, order: str, show_others: bool, passages: bool, every_segment: bool) -> None:
    """Review in the terminal: suggestion by suggestion, or (--passages) segment by segment.

    Suggestion review: accept, reject, skip, undo, note, add a code. Passage review: every proposal
    for a segment at once, codes nothing proposed added, the segment marked coded fully. Both show
    the memos on the segment, its codes, document and case, and m writes one.
    Without a terminal, use the spreadsheet flow (review export / review import) or review decide.

    \b
    Examples:
      qualkit review --reviewer alice --passages --code culture
      qualkit review --reviewer alice --order score --case "Harbour Academy"
    """
    if ctx.invoked_subcommand is not None:
        return
    if not reviewer:
        raise click.UsageError("--reviewer NAME is required (decisions record who made them)")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.ClickException(
            "interactive review needs a terminal; without one, use `qualkit review export FILE.xlsx "
            "--reviewer NAME` and `qualkit review import FILE.xlsx`, or `qualkit review decide`"
        )
    if passages:
        if show_others:
            raise click.UsageError("--show-others is for suggestion review; passage review is always blind")
        with open_project(ctx) as project:
            passage = project.passage_session(reviewer, codes=codes or None, documents=documents or None, case=case,
                                              order=order, every_segment=every_segment)
            click.echo(_PASSAGE_HELP)
            _passage_loop(passage)
            done, remaining = passage.progress()
        segments = "segment" if done == 1 else "segments"
        click.echo(f"Decided {passage.decided_here} this session; {done} {segments} done and {remaining} to go for "
                   "this filter.")
        return
    with open_project(ctx) as project:
        session = project.review_session(reviewer, codes=codes or None, documents=documents or None, case=case,
                                         order=order, show_others=show_others)
        click.echo(_REVIEW_HELP)
        _review_loop(session)
        done, remaining = session.progress()
    click.echo(f"Decided {session.decided_here} this session; {done} done and {remaining} remaining for this filter.")


@review.command("decide")
@reviewer_acting
@click.option("--accept", "accept", multiple=True, type=int, metavar="ID", help="Accept this suggestion (repeatable).")
@click.option("--reject", "reject", multiple=True, type=int, metavar="ID", help="Reject this suggestion (repeatable).")
@click.option("--note", help="A note stored with these decisions.")
@click.pass_context
def review_decide(ctx: click.Context, reviewer: str, accept: tuple[int, ...], reject: tuple[int, ...],
                  note: str | None) -> None:
    """Record decisions on suggestions by id (ids from `qualkit suggestions`).

    \b
    Example:
      qualkit review decide --reviewer alice --accept 12 --accept 15 --reject 13
    """
    if not accept and not reject:
        raise click.UsageError("give at least one --accept ID or --reject ID")
    with open_project(ctx) as project:
        result = project.decide(reviewer, accept=accept, reject=reject, note=note)
    click.echo(f"Recorded {len(result.recorded)} decision(s); {len(result.unchanged)} already recorded as given.")


@review.command("undo")
@reviewer_acting
@click.pass_context
def review_undo(ctx: click.Context, reviewer: str) -> None:
    """Reverse the reviewer's last decision (the reversal is itself recorded).

    \b
    Example:
      qualkit review undo --reviewer alice
    """
    with open_project(ctx) as project:
        undone = project.undo(reviewer)
        now = project.verdict_in_force(reviewer, undone.suggestion_id) if undone is not None else None
    if undone is None:
        click.echo(f"{reviewer} has no decision to undo.")
    else:
        stands = (f"{reviewer}'s earlier {now.verdict.value} of it stands (decision {now.id})" if now is not None
                  else f"it is pending for {reviewer} again")
        click.echo(f"Undid {reviewer}'s {undone.verdict.value} of suggestion {undone.suggestion_id}; {stands}.")


@review.command("add")
@reviewer_acting
@click.option("--document", "-d", required=True, metavar="NAME")
@click.option("--segment", required=True, type=int, metavar="N", help="Segment number within the document.")
@click.option("--code", required=True, metavar="KEY")
@click.option("--note")
@click.pass_context
def review_add(ctx: click.Context, reviewer: str, document: str, segment: int, code: str, note: str | None) -> None:
    """Code a segment by hand with a code no rule proposed (source 'manual').

    \b
    Example:
      qualkit review add --reviewer alice -d harbour_leader.vtt --segment 7 --code culture.trust
    """
    with open_project(ctx) as project:
        suggestion_id = project.add_code(reviewer, document=document, segment=segment, code=code, note=note)
    click.echo(
        f"Added {code} to segment {segment} of {document} as suggestion {suggestion_id}, accepted by {reviewer}."
    )


@review.command("accept-all")
@reviewer_acting
@click.option("--code", required=True, metavar="KEY", help="The code to accept.")
@click.option("--min-score", required=True, type=float, help="Accept only suggestions scoring at least this.")
@documents_filter
@click.pass_context
def review_accept_all(ctx: click.Context, reviewer: str, code: str, min_score: float,
                      documents: tuple[str, ...]) -> None:
    """Accept, explicitly and on the record, every pending suggestion of one code above a score.

    \b
    Example:
      qualkit review accept-all --reviewer alice --code offer.npq --min-score 0.75
    """
    with open_project(ctx) as project:
        result = project.accept_all(reviewer, code=code, min_score=min_score, documents=documents or None)
    click.echo(
        f"{reviewer} accepted {len(result.recorded)} pending {code} suggestion(s) with score >= {min_score} "
        "(logged as a bulk acceptance)."
    )


@review.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@reviewer_acting
@codes_filter
@documents_filter
@case_filter
@click.option("--passages", is_flag=True,
              help="One segment at a time: every proposal on it, rows to add codes, a fully_coded column.")
@pseudonymise_options
@click.pass_context
def review_export(ctx: click.Context, out: str, reviewer: str, codes: tuple[str, ...], documents: tuple[str, ...],
                  case: str | None, passages: bool, pseudonymise: bool, key_file: str | None) -> None:
    """Write the reviewer's pending suggestions to a sheet with a decision drop-down (.xlsx or .csv),
    or (--passages) each segment with every proposal, rows to add codes and a fully_coded column.

    \b
    Examples:
      qualkit review export alice.xlsx --reviewer alice --code culture
      qualkit review export alice.xlsx --reviewer alice --passages
      qualkit review export external.xlsx --reviewer "External coder" --passages --pseudonymise

    A pseudonymised sheet reads back with `qualkit review import` while the key is at hand.
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        count = project.export_review(out, reviewer, codes=codes or None, documents=documents or None, case=case,
                                      passages=passages, pseudonymise=shared)
    marked = " (pseudonymised)" if shared else ""
    if passages:
        click.echo(f"Wrote {count} segment(s) for {reviewer} to {out}{marked}: fill 'decision' on each proposal, add "
                   f"codes in the blank rows, put 'yes' in fully_coded when a segment is done, then "
                   f"`qualkit review import {out}`.")
    else:
        click.echo(
            f"Wrote {count} pending suggestion(s) for {reviewer} to {out}{marked}; "
            f"fill 'decision', then `qualkit review import {out}`."
        )
    report_sharing(shared)


@review.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--reviewer", metavar="NAME", help="Reviewer for rows without a 'reviewer' column.")
@click.option(
    "--covers", type=click.Choice(["documents", "segments", "none"]), default="documents", show_default=True,
    help="A portable file (document, segment, code rows) is independent coding: each reviewer coded fully the "
         "documents their rows name (or only those segments; or say nothing about what is not in it).",
)
@click.pass_context
def review_import(ctx: click.Context, file: str, reviewer: str | None, covers: str) -> None:
    """Read decisions back from a review sheet or a portable decisions file (.xlsx or .csv).

    Rows with an empty decision are left pending; bad rows are refused with their line.

    \b
    Examples:
      qualkit review import alice.xlsx
      qualkit review import corpora/niot_case_study/decisions.csv
    """
    with open_project(ctx) as project:
        report = project.import_review(file, reviewer=reviewer, covers=covers)
    for line, reason in report.refused:
        click.echo(f"error: {file}:{line}: {reason}", err=True)
    click.echo(
        f"Recorded {report.recorded} decision(s) ({report.manual} codes added by hand); "
        f"{report.unchanged} already recorded; {report.blank} row(s) left blank; "
        f"{len(report.refused)} refused."
        + (f" Marked {report.covered_documents} document(s) as coded fully by their reviewer."
           if report.covered_documents else "")
        + (f" Marked {report.covered_segments} segment(s) as coded fully by their reviewer."
           if report.covered_segments else "")
    )
    if report.refused:
        ctx.exit(1)


@review.command("status")
@click.option("--unfound", is_flag=True, help="Only the estimate of codings still unfound (per code).")
@output_format
@click.pass_context
def review_status(ctx: click.Context, fmt: str, unfound: bool) -> None:
    """Per reviewer and code: pending, accepted, rejected (and the consensus under 'any'); then,
    per code, how many codings are probably still unfound among the segments nobody judged.

    The estimate (a 90% interval) assumes that at a given machine score, judged and unjudged
    segments are alike: true when review follows the score order or a random one, not when
    reviewers picked segments by topic. --format csv or json gives the status table; with
    --unfound, the estimate.

    \b
    Examples:
      qualkit review status
      qualkit review status --unfound --format csv
    """
    with open_project(ctx) as project:
        rows = project.review_status()
        estimates = [e for e in project.unfound_codings() if e is not None] if unfound or fmt == "table" else []
    found_rows = [
        {"code": e.code, "reviewed": e.reviewed, "codings_found": e.found, "unreviewed": e.unreviewed,
         "expected_unfound": e.expected, "low_90": e.low, "high_90": e.high,
         "share_found": None if e.share_found is None else round(e.share_found, 3)}
        for e in estimates
    ]
    if fmt != "table":
        emit(found_rows if unfound else rows, fmt)
        return
    if not unfound:
        emit(rows, fmt)
        click.echo("")
    click.echo("Codings probably still unfound (segment x code pairs nobody judged; 90% interval):")
    emit([{**row, "share_found": "" if row["share_found"] is None else f"{row['share_found']:.0%}"}
          for row in found_rows], fmt)
    total = sum(e.expected for e in estimates)
    if estimates and not any(e.unreviewed for e in estimates):
        click.echo(f"Every segment x code pair of the {len(estimates)} codes has been judged: none is left unfound.")
        return
    click.echo(f"About {total:.0f} codings of {len(estimates)} codes probably remain unfound "
               f"({sum(e.low for e in estimates):.0f}-{sum(e.high for e in estimates):.0f}, adding each code's 90% "
               "interval); review in score order (`qualkit review --order score`) to find them soonest.")


@cli.group(invoke_without_command=True)
@output_format
@click.pass_context
def reviewers(ctx: click.Context, fmt: str) -> None:
    """List reviewers; rename, merge, retire or reinstate one without rewriting any decision.

    Decisions keep the name they were made under; the reviewer log says what each name is now,
    and agreement, reports and review read through it.

    \b
    Examples:
      qualkit reviewers
      qualkit reviewers rename "amira khan" "Amira Khan"
      qualkit reviewers merge "A. Khan" "Amira Khan"
      qualkit reviewers retire "Test Reviewer" --note "tried the tool once"
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_project(ctx) as project:
        listed = project.reviewers()
    emit([
        {"reviewer": r.name, "decisions": r.decisions, "coverage_marks": r.coverage_marks,
         "also_decided_as": "; ".join(r.other_names), "retired": "yes" if r.retired else ""}
        for r in listed
    ], fmt)


@reviewers.command("rename")
@click.argument("old")
@click.argument("new")
@click.option("--note", help="Why (kept in the reviewer log).")
@click.pass_context
def reviewers_rename(ctx: click.Context, old: str, new: str, note: str | None) -> None:
    """Rename reviewer OLD to NEW (if NEW has decisions of their own, the two are merged).

    \b
    Example:
      qualkit reviewers rename "amira khan" "Amira Khan"
    """
    with open_project(ctx) as project:
        project.rename_reviewer(old, new, note=note)
    click.echo(f"Renamed {old!r} to {new!r}: their decisions now count as {new!r}'s (the log keeps both names).")


@reviewers.command("merge")
@click.argument("name")
@click.argument("into")
@click.option("--note", help="Why (kept in the reviewer log).")
@click.pass_context
def reviewers_merge(ctx: click.Context, name: str, into: str, note: str | None) -> None:
    """Merge reviewer NAME into reviewer INTO (one person who decided under two names).

    Where both decided the same suggestion, the later decision is the one in force.

    \b
    Example:
      qualkit reviewers merge "A. Khan" "Amira Khan"
    """
    with open_project(ctx) as project:
        if into not in {r.name for r in project.reviewers()}:
            raise click.ClickException(f"no reviewer {into!r} to merge into; `qualkit reviewers` lists them "
                                       f"(to give {name!r} a new name, use `qualkit reviewers rename`)")
        project.rename_reviewer(name, into, note=note)
    click.echo(f"Merged {name!r} into {into!r}.")


@reviewers.command("retire")
@click.argument("name")
@click.option("--note", help="Why (kept in the reviewer log).")
@click.pass_context
def reviewers_retire(ctx: click.Context, name: str, note: str | None) -> None:
    """Leave a reviewer out of agreement and the consensus; their decisions stay in the log.

    \b
    Example:
      qualkit reviewers retire "Test Reviewer" --note "tried the tool once"
    """
    with open_project(ctx) as project:
        project.retire_reviewer(name, note=note)
    click.echo(f"Retired {name!r}: left out of agreement and the consensus unless named with --reviewer.")


@reviewers.command("reinstate")
@click.argument("name")
@click.pass_context
def reviewers_reinstate(ctx: click.Context, name: str) -> None:
    """Bring a retired reviewer back into agreement and the consensus.

    \b
    Example:
      qualkit reviewers reinstate "Ben Roberts"
    """
    with open_project(ctx) as project:
        project.retire_reviewer(name, reinstate=True)
    click.echo(f"Reinstated {name!r}.")


@review.command("mark-coded")
@reviewer_acting
@click.option("--document", "-d", required=True, metavar="NAME", help="The document coded fully.")
@click.option("--segment", type=int, metavar="N", help="Only this segment of it.")
@click.option("--undo", is_flag=True, help="Withdraw the mark (recorded, like an undo).")
@click.pass_context
def review_mark_coded(ctx: click.Context, reviewer: str, document: str, segment: int | None, undo: bool) -> None:
    """Record that a reviewer coded a document (or one segment) fully: a code they did not apply
    there does not apply. This is what makes independent coding comparable (agreement counts every
    code of what both coders coded fully).

    \b
    Examples:
      qualkit review mark-coded --reviewer alice -d harbour_leader.vtt
      qualkit review mark-coded --reviewer alice -d harbour_leader.vtt --segment 7 --undo
    """
    with open_project(ctx) as project:
        project.mark_coded(reviewer, document=document, segment=segment, undo=undo)
    what = f"segment {segment} of {document}" if segment is not None else document
    click.echo(f"{'Withdrew' if undo else 'Marked'} {what} as coded fully by {reviewer}.")
