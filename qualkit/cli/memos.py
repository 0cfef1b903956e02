"""Memos: notes on the project, a document, a case, a code or a segment (issue #20)."""

from __future__ import annotations

from typing import Any

import click

from qualkit.cli.base import cli, emit, open_project
from qualkit.cli.options import F, codes_filter, documents_filter, output_format
from qualkit.records import Memo


@cli.group()
def memo() -> None:
    """Write, list, show and edit memos. An edit keeps the old text as a revision.

    A memo is about the project, a document, a case, a code (it follows the code through
    renames and merges) or a segment (a document and the segment's number).

    \b
    Examples:
      qualkit memo add --code culture.trust --author "Amira Khan" --text "Trust reads as autonomy in primaries."
      qualkit memo list --code culture
    """


def _target_options(function: F) -> F:
    for option in reversed([
        click.option("--project", "on_project", is_flag=True, help="A memo on the whole project."),
        click.option("--document", "-d", "document", metavar="NAME", help="A memo on this document."),
        click.option("--segment", type=int, metavar="N", help="With --document: on its segment N."),
        click.option("--case", metavar="NAME", help="A memo on this case."),
        click.option("--code", metavar="KEY", help="A memo on this code."),
    ]):
        function = option(function)
    return function


def _text_options(function: F) -> F:
    for option in reversed([
        click.option("--text", metavar="TEXT", help="The memo's text."),
        click.option("--file", "text_file", type=click.Path(dir_okay=False), help="Read the text from a UTF-8 file."),
        click.option("--author", required=True, metavar="NAME", help="Who writes it (recorded with the text)."),
    ]):
        function = option(function)
    return function


def _row(memo: Memo, fmt: str) -> dict[str, Any]:
    """A memo as a row: its whole text for programs, on one line for the table."""
    return {
        "id": memo.id, "about": str(memo.target), "title": memo.title, "author": memo.author,
        "edited_by": memo.edited_by, "edited_at": memo.edited_at, "revisions": memo.revisions,
        "text": " ".join(memo.text.split()) if fmt == "table" else memo.text,
    }


@memo.command("add")
@_target_options
@_text_options
@click.option("--title", help="A short title (optional).")
@click.pass_context
def memo_add(ctx: click.Context, on_project: bool, document: str | None, segment: int | None, case: str | None,
             code: str | None, text: str | None, text_file: str | None, author: str, title: str | None) -> None:
    """Write a memo on the project, a document, a segment, a case or a code.

    \b
    Examples:
      qualkit memo add --project --author amira --file notes/method.md --title "Sampling"
      qualkit memo add --case "Harbour High" --author ben --text "Leader new in post in 2023."
      qualkit memo add -d harbour_leader.vtt --segment 12 --author ben --text "Irony? Check the audio."
    """
    with open_project(ctx) as project:
        written = project.add_memo(text=text, file=text_file, author=author, title=title, project=on_project,
                                   document=document, case=case, code=code, segment=segment)
    click.echo(f"Wrote memo {written.id} on {written.target}.")


@memo.command("edit")
@click.argument("memo_id", type=int, metavar="ID")
@_text_options
@click.pass_context
def memo_edit(ctx: click.Context, memo_id: int, text: str | None, text_file: str | None, author: str) -> None:
    """Give memo ID a new text; the old text is kept (`qualkit memo show ID --history`).

    \b
    Example:
      qualkit memo edit 3 --author amira --file notes/trust.md
    """
    with open_project(ctx) as project:
        before = project.memo(memo_id).revisions
        edited = project.edit_memo(memo_id, text=text, file=text_file, author=author)
    if edited.revisions == before:
        click.echo(f"Memo {memo_id} already says that; nothing changed.")
    else:
        click.echo(f"Memo {memo_id} on {edited.target} now has revision {edited.revisions} "
                   "(the earlier ones are kept).")


@memo.command("list")
@click.option("--about", "kinds", multiple=True,
              type=click.Choice(["project", "document", "case", "code", "segment"]),
              help="Only memos about this kind of thing (repeatable).")
@documents_filter
@click.option("--case", "cases", multiple=True, metavar="NAME", help="Only memos on this case (repeatable).")
@codes_filter
@output_format
@click.pass_context
def memo_list(ctx: click.Context, kinds: tuple[str, ...], documents: tuple[str, ...], cases: tuple[str, ...],
              codes: tuple[str, ...], fmt: str) -> None:
    """List memos with what they are about and their current text.

    \b
    Examples:
      qualkit memo list
      qualkit memo list --about code --format csv
      qualkit memo list --document harbour_leader.vtt
    """
    with open_project(ctx) as project:
        found = project.memos(about=kinds or None, documents=documents or None, cases=cases or None,
                              codes=codes or None)
    emit([_row(m, fmt) for m in found], fmt, widths={"text": 60, "about": 36, "title": 30})


@memo.command("show")
@click.argument("memo_id", type=int, metavar="ID")
@click.option("--history", is_flag=True, help="Also show every earlier text.")
@click.pass_context
def memo_show(ctx: click.Context, memo_id: int, history: bool) -> None:
    """Print memo ID in full (with --history, every text it has had).

    \b
    Example:
      qualkit memo show 3 --history
    """
    with open_project(ctx) as project:
        found = project.memo(memo_id)
        revisions = project.memo_revisions(memo_id) if history else []
    title = f" — {found.title}" if found.title else ""
    click.echo(f"Memo {found.id} on {found.target}{title}")
    click.echo(f"by {found.author}, {found.created_at}; revision {found.revisions} by {found.edited_by}, "
               f"{found.edited_at}")
    click.echo("")
    click.echo(found.text)
    for revision in reversed(revisions[:-1]):
        click.echo("")
        heading = f"── revision {revision.number}, by {revision.author}, {revision.written_at} ──"
        click.echo(click.style(heading, dim=True))
        click.echo(revision.text)
