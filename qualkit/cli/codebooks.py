"""Commands about codebooks: check, load, show, versions, export."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qualkit.cli.base import cli, emit, open_project
from qualkit.cli.options import output_format

if TYPE_CHECKING:
    from qualkit.codebook import Codebook


@cli.group()
def codebook() -> None:
    """Check, load, show and export codebooks.

    \b
    Example:
      qualkit codebook check codebooks/niot_coherent_offer.yaml
    """


def codebook_summary(cb: Codebook) -> str:
    themes = sum(1 for c in cb.codes if cb.children(c.key))  # codes that group others
    patterns = sum(len(c.patterns) for c in cb.codable)
    excludes = sum(len(c.exclude_patterns) for c in cb.codable)
    return (
        f"Codebook {cb.name!r} version {cb.version}: {len(cb.codes)} codes ({themes} themes, "
        f"{len(cb.codable)} codable), {patterns} patterns, {excludes} exclude patterns, "
        f"{len(cb.links)} theory-of-change links, {len(cb.stages)} stages; hash {cb.sha256[:12]}."
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
    click.echo(f"OK: {codebook_summary(cb)}")


@codebook.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def codebook_load(ctx: click.Context, file: str) -> None:
    """Store a codebook (.yaml, or a REFI-QDA .qdc) in the project. An edited file becomes a new
    version; old ones are kept.

    \b
    Example:
      qualkit codebook load codebooks/niot_coherent_offer.yaml
    """
    with open_project(ctx) as project:
        loaded = project.load_codebook(file)
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    if loaded.created:
        click.echo(f"Loaded as codebook version {loaded.id}. {codebook_summary(loaded.codebook)}")
    else:
        click.echo(f"Already loaded: same content as codebook version {loaded.id}; nothing changed.")


@codebook.command("show")
@click.option("--version", "codebook_id", type=int, help="A stored version (default: the latest).")
@click.pass_context
def codebook_show(ctx: click.Context, codebook_id: int | None) -> None:
    """Print the code tree of a stored codebook, with stages and pattern counts.

    \b
    Examples:
      qualkit codebook show
      qualkit codebook show --version 1
    """
    with open_project(ctx) as project:
        codebook_id, cb = project.codebook(codebook_id)
    click.echo(f"{cb.name} (version {cb.version}, stored as {codebook_id}, hash {cb.sha256[:12]})")

    def show(parent: str | None, depth: int) -> None:
        for code in cb.children(parent):
            detail = f"{len(code.patterns)} patterns" if code.codable else "theme, not codable"
            stage = f" [{code.stage}]" if code.stage and depth == 0 else ""
            click.echo(f"{'  ' * (depth + 1)}{code.key}  {code.name}{stage}  ({detail})")
            show(code.key, depth + 1)

    show(None, 0)
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
    """List every stored codebook version.

    \b
    Example:
      qualkit codebook versions
    """
    with open_project(ctx) as project:
        rows = [
            {
                "version": v.id, "name": v.name, "declared": v.declared, "codes": v.codes,
                "suggestions": v.suggestions, "hash": v.sha256[:12], "file": v.source_path, "loaded_at": v.loaded_at,
            }
            for v in project.codebook_versions()
        ]
    emit(rows, fmt)


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
