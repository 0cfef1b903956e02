"""Managing the corpus (issue #18): `documents remove`, the documents removed, and interviewers."""

from __future__ import annotations

from collections.abc import Sequence

import click

from qualkit.cli.base import emit, open_project
from qualkit.cli.corpus import documents
from qualkit.records import RemovedDocument

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
