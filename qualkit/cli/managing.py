"""Managing the corpus (issue #18): `documents remove`, the documents removed, and `interviewers`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from qualkit.cli.base import cli, emit, open_project, table
from qualkit.cli.corpus import documents
from qualkit.cli.options import output_format
from qualkit.records import InterviewerSetup, RemovedDocument

if TYPE_CHECKING:
    from qualkit.project import Project

LISTED = 10  # documents named one per line in a summary; the rest are counted


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def orphaned(removed: Sequence[RemovedDocument]) -> str:
    """'57 decisions, 2 coverage marks and 1 memo' summed over documents (empty when none)."""
    parts = [_plural(sum(getattr(r.usage, field) for r in removed), word)
             for field, word in (("decisions", "decision"), ("coverage_marks", "coverage mark"), ("memos", "memo"))
             if any(getattr(r.usage, field) for r in removed)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1] if parts else ""


def removal_lines(removed: Sequence[RemovedDocument], *, verb: str, every: bool = False) -> list[str]:
    """One line per document taken out (only those with work orphaned, unless ``every``), at most
    :data:`LISTED`, then how many more."""
    from qualkit.removal import work_about

    shown = [r for r in removed if every or r.kept]
    lines = []
    for r in shown[:LISTED]:
        if r.kept:
            lines.append(f"{verb} {r.usage.name}: kept in the file, marked {r.removal.value}, with the work on it "
                         f"({work_about(r.usage)}) orphaned in the log: not counted or exported")
        else:
            lines.append(f"{verb} {r.usage.name}: {_plural(r.usage.segments, 'segment')} and "
                         f"{_plural(r.usage.suggestions, 'suggestion')} deleted (no decisions on it)")
    if len(shown) > LISTED:
        lines.append(f"... and {len(shown) - LISTED:,} more ({'every' if every else 'with work on them'})")
    return lines


def replaced_summary(replaced: Sequence[RemovedDocument], unchanged: int) -> str:
    """The ingest summary's --replace part: 'Replaced: 2 (57 decisions orphaned). Unchanged: 10. '"""
    work = orphaned(replaced)
    return f"Replaced: {len(replaced):,}{f' ({work} orphaned)' if work else ''}. Unchanged: {unchanged:,}. "


@documents.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--force", is_flag=True,
              help="Remove documents people worked on too: their decisions, coverage marks and memos stay in the "
                   "log, orphaned (no count, agreement, analysis, report or export uses them).")
@click.pass_context
def remove(ctx: click.Context, names: tuple[str, ...], force: bool) -> None:
    """Take documents out of the corpus, all or none.

    A document nobody worked on is deleted with its segments and suggestions. One with decisions,
    coverage marks or memos about it is refused unless --force; then it is kept in the file,
    marked removed, so the append-only decisions log stays whole, and `qualkit status` and
    `qualkit documents --removed` show what was orphaned. To bring in a new version of a
    file, use `qualkit ingest FILE --replace` instead.

    \b
    Examples:
      qualkit documents remove old_notes.txt draft_strategy.pdf
      qualkit documents remove brookfield_leader.txt --force
    """
    with open_project(ctx) as project:
        removed = project.remove_documents(list(names), force=force)
    for line in removal_lines(removed, verb="removed", every=True):
        click.echo(line, err=True)
    kept = [r for r in removed if r.kept]
    parts = []
    deleted = len(removed) - len(kept)
    if deleted:
        parts.append(f"{deleted:,} deleted (nobody had worked on {'it' if deleted == 1 else 'them'})")
    if kept:
        parts.append(f"{len(kept):,} kept and marked removed ({orphaned(kept)} orphaned)")
    click.echo(f"Removed {_plural(len(removed), 'document')}: {', '.join(parts)}.")


def show_removed(ctx: click.Context, fmt: str) -> None:
    """`qualkit documents --removed`: the documents kept for the work on them."""
    with open_project(ctx) as project:
        rows = [
            {"name": r.usage.name, "removal": r.removal.value, "removed_at": r.removed_at,
             "decisions": r.usage.decisions, "coverage_marks": r.usage.coverage_marks, "memos": r.usage.memos,
             "by": ", ".join(r.usage.reviewers)}
            for r in project.removed_documents()
        ]
    emit(rows, fmt)


# -- interviewers ------------------------------------------------------------------------------------


def interviewer_line(setup: InterviewerSetup) -> str:
    """'Interviewers: Interviewer, INT, ... (the defaults): 238 turns in 18 documents (Interviewer).'"""
    names = ", ".join(setup.names) or "none"
    default = " (the defaults)" if setup.default else ""
    own = f"; {len(setup.by_document)} document(s) name their own (cases file)" if setup.by_document else ""
    labels = setup.interviewer_labels
    shown = ", ".join(labels[:LISTED]) + (f" and {len(labels) - LISTED} more" if len(labels) > LISTED else "")
    turns = (f"{setup.interviewer_turns:,} turns in {setup.interviewer_documents:,} document(s) ({shown})"
             if labels else "no turn in the transcripts")
    return f"Interviewers: {names}{default}{own}: {turns}."


def interviewer_notes(setup: InterviewerSetup) -> list[str]:
    """Names no turn has, and labels that look like a named interviewer's initials (or full name)."""
    notes = []
    for name, document, close in setup.unmatched:
        hint = f" (did you mean {close!r}?)" if close else ""
        if document:
            notes.append(f"note: the cases file names {name!r} as the interviewer of {document}, but no turn there "
                         f"is labelled so{hint}; its turns are all treated as data")
        else:
            notes.append(f"note: no speaker in the transcripts is labelled {name!r}{hint}")
    for label, name in setup.lookalikes:
        found = next(s for s in setup.speakers if s.speaker == label)
        notes.append(f"note: {label!r} ({_plural(found.turns, 'turn')} in {_plural(found.documents, 'document')}) "
                     f"may be {name!r} under another label; if so: qualkit interviewers add {_quoted(label)}")
    return notes


def _quoted(name: str) -> str:
    return f'"{name}"' if any(char.isspace() for char in name) else name


@cli.group(invoke_without_command=True)
@output_format
@click.pass_context
def interviewers(ctx: click.Context, fmt: str) -> None:
    """Who the interviewer is: their turns are context, not data (shown, never coded).

    Without a subcommand: the names, and every speaker in the transcripts with their turns and
    whether they count as the interviewer. Names match speaker labels ignoring case, spacing and
    full stops ('S.O.' is 'SO'), and 'Interviewer 2' matches 'Interviewer'; initials are not
    guessed from a full name, so name both if transcripts use both. A document can name its own
    in the cases file's `interviewer` column ('Sarah Okafor; SO').

    \b
    Examples:
      qualkit interviewers
      qualkit interviewers set "Sarah Okafor" SO Interviewer
      qualkit interviewers add "Dan Reyes"
      qualkit interviewers reset
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_project(ctx) as project:
        setup = project.interviewers()
    if fmt != "table":
        emit([{"speaker": s.speaker, "documents": s.documents, "turns": s.turns, "interviewer": s.interviewer,
               "named": s.named} for s in setup.speakers], fmt)
        return
    click.echo(interviewer_line(setup))
    for document, names in setup.by_document[:LISTED]:
        click.echo(f"  {document}: {', '.join(names)}")
    if len(setup.by_document) > LISTED:
        click.echo(f"  ... and {len(setup.by_document) - LISTED} more documents naming their own")
    if setup.speakers:
        click.echo("")
        click.echo(table(["speaker", "documents", "turns", "interviewer"],
                         [[s.speaker, s.documents, s.turns, f"yes ({s.named})" if s.interviewer else "no"]
                          for s in setup.speakers], {"speaker": 40}))
    for note in interviewer_notes(setup):
        click.echo(note, err=True)


def skipped_speakers(project: Project, documents: Sequence[str], skipped: int) -> str:
    """What `code` adds after "N interviewer turns skipped as context": whose turns they were
    (' (Interviewer, SO)'), or, when none were and the transcripts have speakers, where to name them."""
    setup = project.interviewers(documents=list(documents) or None)
    labels = setup.interviewer_labels
    if skipped and labels:
        return f" ({', '.join(labels[:LISTED])}{f' and {len(labels) - LISTED} more' if len(labels) > LISTED else ''})"
    if not skipped and setup.speakers:
        return (f" (no speaker is labelled {' or '.join(map(repr, setup.names[:3])) or 'as an interviewer'}"
                f"{'...' if len(setup.names) > 3 else ''}: `qualkit interviewers` lists the speakers and sets yours)")
    return ""


def _change(ctx: click.Context, how: str, names: Sequence[str] = ()) -> None:
    with open_project(ctx) as project:
        before = project.interviewers().interviewer_labels
        setup = project.change_interviewers(how, names)
    click.echo(interviewer_line(setup))
    for note in interviewer_notes(setup):
        click.echo(note, err=True)
    if set(setup.interviewer_labels) != set(before):
        click.echo("Suggestions already made on turns whose speaker counts differently now stay as they are; "
                   "`qualkit code` follows the new names from now on.", err=True)


@interviewers.command("set")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.pass_context
def set_interviewers(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Make these the interviewer names (replacing the list; keep Interviewer by naming it too).

    \b
    Example:
      qualkit interviewers set "Sarah Okafor" SO Interviewer
    """
    _change(ctx, "set", names)


@interviewers.command("add")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.pass_context
def add_interviewers(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Add interviewer names to the list.

    \b
    Example:
      qualkit interviewers add "Dan Reyes" DR
    """
    _change(ctx, "add", names)


@interviewers.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.pass_context
def remove_interviewers(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Take names off the list (their turns become data, to be coded).

    \b
    Example:
      qualkit interviewers remove Facilitator
    """
    _change(ctx, "remove", names)


@interviewers.command("reset")
@click.pass_context
def reset_interviewers(ctx: click.Context) -> None:
    """Go back to the built-in names: Interviewer, INT, I, Researcher, Facilitator, Moderator.

    \b
    Example:
      qualkit interviewers reset
    """
    _change(ctx, "reset")


@interviewers.command("clear")
@click.pass_context
def clear_interviewers(ctx: click.Context) -> None:
    """No interviewer names for the project (only documents naming their own in the cases file keep theirs).

    \b
    Example:
      qualkit interviewers clear
    """
    _change(ctx, "clear")
