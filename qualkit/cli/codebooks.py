"""Commands about codebooks: check, load, show, versions, export; rename, merge, move codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qualkit.cli.base import cli, emit, open_project
from qualkit.cli.options import output_format

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.codechanges import ChangeReport
    from qualkit.records import CodeChange


@cli.group()
def codebook() -> None:
    """Check, load, show and export codebooks; rename, merge and move codes keeping their work.

    A codebook's version is the number the project gives each version it stores (1, 2, 3...),
    shown the same way by every command.

    \b
    Example:
      qualkit codebook check codebooks/niot_coherent_offer.yaml
    """


def codebook_summary(cb: Codebook) -> str:
    """What a codebook holds, in one line (its name and version are said by the caller)."""
    themes = sum(1 for c in cb.codes if cb.children(c.key))  # codes that group others
    patterns = sum(len(c.patterns) for c in cb.codable)
    excludes = sum(len(c.exclude_patterns) for c in cb.codable)
    return (
        f"{len(cb.codes)} codes ({themes} themes, {len(cb.codable)} codable), {patterns} patterns, "
        f"{excludes} exclude patterns, {len(cb.links)} theory-of-change links, {len(cb.stages)} stages; "
        f"hash {cb.sha256[:12]}."
    )


@codebook.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def codebook_check(file: str) -> None:
    """Validate a codebook file and compile its patterns; print a summary.

    Errors name the file, line and code key. No project is needed.

    \b
    Example:
      qualkit codebook check codebooks/niot_coherent_offer.yaml
    """
    from qualkit.project import Project

    cb, warnings = Project.check_codebook(file)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"OK: codebook {cb.name!r}: {codebook_summary(cb)}")


@codebook.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def codebook_load(ctx: click.Context, file: str) -> None:
    """Store a codebook (.yaml, or a REFI-QDA .qdc) in the project. An edited file becomes a new
    version; old ones are kept.

    To rename a code and keep its work, give it `renamed_from: OLD_KEY` in the file; to fold codes
    into one, `merged_from: [A, B]`; a new code split off an old one (it starts empty, the old one
    keeps its codings) may say `split_from: OLD_KEY`. The changes are shown by `codebook versions`.

    \b
    Example:
      qualkit codebook load codebooks/niot_coherent_offer.yaml
    """
    with open_project(ctx) as project:
        loaded = project.load_codebook(file)
        latest = project.codebook_versions()[-1].id
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    if loaded.created:
        name = loaded.codebook.name
        click.echo(f"Loaded as codebook version {loaded.id}: {name!r}, {codebook_summary(loaded.codebook)}")
        for change in loaded.changes:
            click.echo(f"  {change_line(change)}")
    else:
        older = f", an older version (the current one is {latest})" if latest != loaded.id else ""
        click.echo(f"Already loaded: same content as codebook version {loaded.id}{older}; nothing changed.")


@codebook.command("show")
@click.option("--version", "codebook_id", type=int, help="A stored version (default: the latest).")
@click.pass_context
def codebook_show(ctx: click.Context, codebook_id: int | None) -> None:
    """Print the code tree of a stored codebook, with stages, pattern counts and who proposes each
    code (the rules, or the trained model where it beat them).

    \b
    Examples:
      qualkit codebook show
      qualkit codebook show --version 1
    """
    with open_project(ctx) as project:
        codebook_id, cb = project.codebook(codebook_id)
        model, proposers = project.proposers()
    click.echo(f"{cb.name} (version {codebook_id}, hash {cb.sha256[:12]})")

    def show(parent: str | None, depth: int) -> None:
        for code in cb.children(parent):
            detail = f"{len(code.patterns)} patterns" if code.codable else "theme, not codable"
            if code.codable and model is not None:
                by = proposers.get(code.key, "rules")
                detail += f", proposed by {'the model' if by == 'model' else 'the rules'}"
            stage = f" [{code.stage}]" if code.stage and depth == 0 else ""
            click.echo(f"{'  ' * (depth + 1)}{code.key}  {code.name}{stage}  ({detail})")
            show(code.key, depth + 1)

    show(None, 0)
    if model is None:
        click.echo("Proposed by the rules (no trained model yet: `qualkit train`).")
    else:
        taken = sum(1 for code in cb.codable if proposers.get(code.key) == "model")
        click.echo(f"Proposed by {model.version} ({model.trained_on}, trained {model.created_at}) for {taken} of "
                   f"{len(cb.codable)} codes, where it beat the rules out of fold; the rules propose the rest.")
    if cb.links:
        click.echo("Theory of change:")
        for link in cb.links:
            if link.target:
                arrow = f"{link.source} -> {link.target}"
            else:
                assert link.moderates is not None
                arrow = f"{link.source} moderates {link.moderates[0]} -> {link.moderates[1]}"
            click.echo(f"  {arrow}{f'  ({link.label})' if link.label else ''}")


@codebook.command("versions")
@output_format
@click.pass_context
def codebook_versions(ctx: click.Context, fmt: str) -> None:
    """List every stored codebook version, with the changes to codes that made it.

    \b
    Example:
      qualkit codebook versions
    """
    with open_project(ctx) as project:
        changes: dict[int, list[str]] = {}
        for change in project.code_changes():
            changes.setdefault(change.codebook_id, []).append(change.describe())
        rows = [
            {
                "version": v.id, "name": v.name, "codes": v.codes, "suggestions": v.suggestions,
                "hash": v.sha256[:12], "file": v.source_path, "loaded_at": v.loaded_at,
                "changes": "; ".join(changes.get(v.id, [])),
            }
            for v in project.codebook_versions()
        ]
    emit(rows, fmt, widths={"file": 40, "changes": 70})


@codebook.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["docx", "yaml", "csv"]), help="Default: from the suffix.")
@click.pass_context
def codebook_export(ctx: click.Context, file: str, fmt: str | None) -> None:
    """Write the current codebook as a document for sign-off (.docx), or as .yaml or .csv.

    \b
    Example:
      qualkit codebook export out/codebook.docx
    """
    with open_project(ctx) as project:
        written = project.export_codebook(file, fmt=fmt)
    click.echo(f"Wrote the codebook to {file} ({written}).")


# -- issue #20: changing codes and keeping their work -------------------------------------------------------


def change_line(change: CodeChange) -> str:
    """A change and what followed it, in one line."""
    counts = change.counts
    if not counts:
        return change.describe()
    parts = [f"{counts.get('suggestions', 0)} suggestion(s) with their {counts.get('decisions', 0)} decision(s) "
             "follow"]
    if counts.get("merged"):
        parts.append(f"{counts['merged']} joined the suggestion already on their segment (kept with their decisions)")
    if counts.get("derived"):
        parts.append(f"{counts['derived']} decision(s) derived where a reviewer's verdicts differed")
    if counts.get("memos"):
        parts.append(f"{counts['memos']} memo(s) moved")
    return f"{change.describe()}: {'; '.join(parts)}"


def _report(report: ChangeReport) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.created:
        click.echo(f"Nothing changed: the result is codebook version {report.codebook_id}, already stored.")
        return
    click.echo(f"Codebook version {report.codebook_id}:")
    for change in report.changes:
        click.echo(f"  {change_line(change)}")
    click.echo("`qualkit codebook export FILE.yaml` writes the new version to edit further.")


@codebook.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def codebook_rename(ctx: click.Context, old: str, new: str) -> None:
    """Rename code OLD to NEW in a new codebook version, keeping its work.

    Its suggestions, codings and the decisions on them, its memos, and trained models follow the
    new key; codes keyed under OLD (OLD.x) are renamed with it. The new version is written by
    qualkit with `renamed_from: OLD` on the code (the comments of your file are not kept).

    \b
    Example:
      qualkit codebook rename culture.trust culture.relational_trust
    """
    with open_project(ctx) as project:
        report = project.rename_code(old, new)
    _report(report)


@codebook.command("merge")
@click.argument("codes", nargs=-1, required=True)
@click.pass_context
def codebook_merge(ctx: click.Context, codes: tuple[str, ...]) -> None:
    """Merge codes into the last one named: CODE... INTO (an existing code; `into` may be written).

    Their suggestions and codings become INTO's. Two suggestions that become the same (one segment,
    one code, one source) are merged: one stays, the other is kept with its decisions, pointing to
    it; where a reviewer had accepted either, the merged code counts as accepted by them (a decision
    is appended saying so, never changed). INTO keeps its name and definition and gains the others'
    patterns, criteria and examples.

    \b
    Examples:
      qualkit codebook merge outcomes.attainment outcomes.progress into outcomes.attainment
      qualkit codebook merge offer.hubs offer.networks offer.networks
    """
    names = list(codes)
    if len(names) >= 3 and names[-2].lower() == "into":
        names.pop(-2)
    if len(names) < 2:
        raise click.UsageError("name the codes to merge and the code they go into: CODE... INTO")
    with open_project(ctx) as project:
        report = project.merge_codes(names[:-1], names[-1])
    _report(report)


@codebook.command("move")
@click.argument("code")
@click.option("--under", "parent", metavar="PARENT", help="The code to put it under.")
@click.option("--top", is_flag=True, help="Make it a top-level theme.")
@click.pass_context
def codebook_move(ctx: click.Context, code: str, parent: str | None, top: bool) -> None:
    """Move CODE (and the codes under it) under another parent, keeping its work.

    Its key becomes PARENT.LAST (culture.trust under teaching: teaching.trust); its suggestions,
    decisions, memos and models follow, and it takes the new theme's stage unless it has its own.

    \b
    Examples:
      qualkit codebook move culture.trust --under teaching
      qualkit codebook move offer.networks --top
    """
    if (parent is None) == (not top):
        raise click.UsageError("say where to: --under PARENT, or --top")
    with open_project(ctx) as project:
        report = project.move_code(code, under=parent)
    _report(report)
