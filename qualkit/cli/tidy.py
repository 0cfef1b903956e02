"""Keeping the project tidy (issue #20): models, backup, vacuum."""

from __future__ import annotations

import click

from qualkit.cli.base import cli, emit, open_project
from qualkit.cli.options import output_format


def megabytes(size: int) -> str:
    """A size for people: 612 kB, 24.1 MB, 1.2 GB."""
    if size < 1_000_000:
        return f"{size / 1e3:,.0f} kB"
    if size < 1_000_000_000:
        return f"{size / 1e6:,.1f} MB"
    return f"{size / 1e9:,.2f} GB"


def _tidied(report: object) -> None:
    from qualkit.tidy import TidyReport

    assert isinstance(report, TidyReport)
    if not report.deleted and not report.weights_deleted:
        click.echo("Nothing to delete.")
        return
    if report.deleted:
        click.echo(f"Deleted {', '.join(f'model-{i}' for i in report.deleted)} (nothing named them).")
    if report.weights_deleted:
        click.echo(f"Deleted the weights of {', '.join(f'model-{i}' for i in report.weights_deleted)}; their records "
                   "stay, so the suggestions and decisions that name them still say which model it was.")
    latest = f"model-{report.now_latest}" if report.now_latest else "no model (rules only)"
    click.echo(f"Freed {megabytes(report.freed)} inside the file; `qualkit vacuum` gives it back to the disk. "
               f"`qualkit code` now uses {latest}.")


@cli.group(invoke_without_command=True)
@click.option("--keep", type=click.IntRange(0), metavar="N", help="Delete every model but the newest N.")
@click.option("--keep-record", is_flag=True,
              help="With --keep: for a model that suggestions or decisions name, delete its weights and keep its "
                   "record.")
@output_format
@click.pass_context
def models(ctx: click.Context, keep: int | None, keep_record: bool, fmt: str) -> None:
    """List trained models with their size and what names them; --keep N deletes older ones.

    Each `qualkit train` stores a model; `qualkit code` uses the newest. A model that suggestions
    (model_version), decisions (what the reviewer saw) or the run log name is provenance: it is
    deleted only with --keep-record, which deletes its weights (the space) and keeps its record
    (trained on, training size, codebook version, metrics). One nothing names is deleted outright.

    \b
    Examples:
      qualkit models
      qualkit models --keep 1 --keep-record && qualkit vacuum
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_project(ctx) as project:
        if keep is not None:
            _tidied(project.keep_models(keep, keep_record=keep_record))
            return
        usages = project.models()
    rows = [
        {
            "model": u.model.version, "created": u.model.created_at, "codebook_version": u.model.codebook_id,
            "trained_on": u.model.trained_on, "training_size": u.model.training_size,
            "size": "-" if u.model.weights_deleted_at else megabytes(u.model.size),
            "suggestions": u.suggestions, "decisions": u.decisions, "runs": u.runs,
            "state": "used by `code`" if u.latest else ("weights deleted" if u.model.weights_deleted_at else "old"),
        }
        for u in usages
    ]
    emit(rows, fmt)


@models.command("delete")
@click.argument("model_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--keep-record", is_flag=True,
              help="For a model something names: delete its weights, keep its record as provenance.")
@click.pass_context
def models_delete(ctx: click.Context, model_ids: tuple[str, ...], keep_record: bool) -> None:
    """Delete models by number (3 or model-3). Refused for a model that suggestions, decisions or
    runs name, unless --keep-record (then its weights go and its record stays).

    \b
    Example:
      qualkit models delete 1 2 --keep-record
    """
    numbers = []
    for value in model_ids:
        text = value.removeprefix("model-")
        if not text.isdigit():
            raise click.BadParameter(f"{value!r}: a model is named by its number, e.g. 3 or model-3",
                                     param_hint="ID")
        numbers.append(int(text))
    with open_project(ctx) as project:
        _tidied(project.delete_models(numbers, keep_record=keep_record))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup(ctx: click.Context, file: str, force: bool) -> None:
    """Copy the project to FILE with SQLite's online backup, safe while qualkit is using it.

    Copying the file with cp while it is open can miss what is still in its write-ahead log
    (FILE-wal). The copy is checked with PRAGMA integrity_check before it is put in place.

    \b
    Example:
      qualkit backup backups/study-2026-11-30.db
    """
    with open_project(ctx) as project:
        size = project.backup(file, overwrite=force)
    click.echo(f"Backed up to {file} ({megabytes(size)}); integrity check ok.")


@cli.command()
@click.pass_context
def vacuum(ctx: click.Context) -> None:
    """Give the space deleted data left inside the project file back to the disk.

    \b
    Example:
      qualkit models --keep 1 --keep-record && qualkit vacuum
    """
    with open_project(ctx) as project:
        before, after = project.vacuum()
    click.echo(f"Vacuumed {project.path}: {megabytes(before)} before, {megabytes(after)} after "
               f"({megabytes(max(0, before - after))} given back).")
