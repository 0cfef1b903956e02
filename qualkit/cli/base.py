"""The root command, error handling and how output is printed; every command module builds on it.

Only the qualkit.cli package imports click. Heavy libraries (spaCy, pandas, python-docx,
scikit-learn) are imported inside the library functions that need them, so ``qualkit --help``
starts fast.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from qualkit import __version__
from qualkit.errors import QualkitError

if TYPE_CHECKING:
    from qualkit.project import Project

FORMATS = ("table", "csv", "json")


class Group(click.Group):
    """Turns every QualkitError into one ``Error: ...`` line and exit status 1 (2 stays usage errors)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QualkitError as exc:
            raise click.ClickException(str(exc)) from None


def open_project(ctx: click.Context) -> Project:
    from qualkit.project import Project

    return Project.open(ctx.obj["project"])


def plain(value: Any) -> Any:
    """A value as JSON can hold it: NaN and infinities become null (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    """Print a value as JSON, and nothing else (NaN as null)."""
    click.echo(json.dumps(plain(value), indent=2, ensure_ascii=False, default=str))


def emit(rows: list[dict[str, Any]], fmt: str, *, widths: Mapping[str, int] | None = None) -> None:
    """Print rows as an aligned table, CSV or JSON (and nothing else on stdout for CSV and JSON)."""
    if fmt == "json":
        emit_json(rows)
        return
    if not rows:
        if fmt == "table":
            click.echo("(nothing to show)")
        return
    columns = list(rows[0])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
        return
    click.echo(table(columns, [[row[c] for c in columns] for row in rows], widths or {}))


def _cell(value: Any, width: int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = " ".join(str(value).split())
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], widths: Mapping[str, int]) -> str:
    cells = [[_cell(v, widths.get(c)) for c, v in zip(columns, row, strict=True)] for row in rows]
    sizes = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], int) or row[i] is None for row in rows) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(size) if num else v.ljust(size) for v, size, num in zip(values, sizes, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * s for s in sizes])] + [line(r) for r in cells])


def summary(message: str, fmt: str = "table") -> None:
    """A command's closing line: on stdout for tables, on stderr when stdout is machine-readable."""
    click.echo(message, err=fmt != "table")


class ProgressBar:
    """A click progress bar on stderr, fed by the library's ``on_progress(done, total, label)``."""

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int, item: str) -> None:
        if not sys.stderr.isatty():
            return  # no bar in logs and pipes; the summary line says what happened
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)  # `code` reports segments done, a page at a time

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc_info)


def clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def number(value: float | None) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def write_or_emit(frame: Any, out: str | None, fmt: str, *, widths: Mapping[str, int] | None = None,
                  stage: Callable[[str], Any] | None = None) -> None:
    """A DataFrame to --out FILE (format from the suffix) or to the screen; ``stage`` gives the path
    to write first (a pseudonymised export: see :meth:`qualkit.pseudonymise.Pseudonymisation.staged`)."""
    if out:
        from qualkit.export.tables import write_table

        write_table(frame.to_dict("records"), stage(out) if stage else out, columns=list(frame.columns))
        if stage is None:
            summary(f"Wrote {len(frame)} rows to {out}.", fmt)
        return
    records = frame.to_dict("records")
    if fmt == "table":
        records = [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in records]
    emit(records, fmt, widths=widths)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project", "-p", metavar="PATH", envvar="QUALKIT_PROJECT", default="qualkit.db",
    show_default=True, help="Project file (also QUALKIT_PROJECT).",
)
@click.version_option(__version__, prog_name="qualkit")
@click.pass_context
def cli(ctx: click.Context, project: str) -> None:
    """qualkit: batch qualitative coding for education research.

    \b
    Example:
      qualkit init
      qualkit ingest interviews/ --cases cases.csv
      qualkit status
    """
    ctx.obj = {"project": project}
