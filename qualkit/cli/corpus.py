"""Commands about the corpus: init, ingest, cases, status, documents, segments."""

from __future__ import annotations

import click

from qualkit.cli.base import ProgressBar, cli, clock, emit, open_project, table
from qualkit.cli.options import documents_filter, output_format
from qualkit.records import ProjectSize


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create a new, empty project file.

    \b
    Example:
      qualkit -p study.db init
    """
    from qualkit.project import Project

    with Project.init(ctx.obj["project"]) as project:
        click.echo(f"Created project {project.path} (schema {project.schema_version}).")
    click.echo("Next: qualkit ingest PATH...")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--kind", type=click.Choice(["auto", "transcript", "document", "survey"]), default="auto",
    show_default=True, help="What the files are; auto finds transcripts (Name: text, Rev, Otter, Teams).",
)
@click.option(
    "--unit", type=click.Choice(["turn", "paragraph", "row", "sentence"]), default=None,
    help="Segment unit. Default: turn for transcripts, paragraph for documents, row for surveys.",
)
@click.option("--case", metavar="NAME", help="Put every document given into this case.")
@click.option(
    "--cases", "cases_file", type=click.Path(exists=True, dir_okay=False),
    help="CSV 'document,case,attr1,...' assigning documents to cases with attributes.",
)
@click.option("--strict", is_flag=True, help="Stop at the first bad file and write nothing.")
@click.option(
    "--replace", is_flag=True,
    help="A file ingested before (or changed since) replaces its documents: changed ones get the new text, "
         "unchanged ones stay as they are; use it to re-read with another --kind, --unit or --text-column.",
)
@click.option(
    "--force", is_flag=True,
    help="With --replace: replace documents people worked on too (their decisions stay in the log, orphaned).",
)
@click.option(
    "--pdf-text", is_flag=True,
    help="The .txt files were extracted from PDFs: repair ligatures, hyphens, page furniture.",
)
@click.option("--id-column", metavar="COLUMN", help="Survey files: the response id column.")
@click.option(
    "--text-column", "text_columns", multiple=True, metavar="COLUMN",
    help="Survey files: a column of answers; repeat it for several questions. A name, a unique start of one, "
         "its number (3) or a pattern ('Q*').",
)
@click.option(
    "--case-column", metavar="COLUMN",
    help="Survey files: the column naming each respondent's case (their school); their answers go in that case.",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], kind: str, unit: str | None, case: str | None,
           cases_file: str | None, strict: bool, replace: bool, force: bool, pdf_text: bool, id_column: str | None,
           text_columns: tuple[str, ...], case_column: str | None) -> None:
    """Read transcripts, documents and surveys into the project. Folders are walked.

    Formats: .txt .md .docx .odt .rtf .pdf .vtt .srt (transcripts and documents),
    .csv .xlsx (surveys: one answer per row and question). Ingesting a file again is a no-op;
    with --replace it replaces what changed. Each file is written all or nothing, so a killed
    ingest is finished by running it again. A cases file (header 'document,case,...') found in
    a folder is applied; a review file is left for `qualkit review import`.

    \b
    Examples:
      qualkit ingest interviews/ policy/ --cases cases.csv
      qualkit ingest leader.docx --case "Brookfield Primary"
      qualkit ingest strategy.txt --kind document --pdf-text
      qualkit ingest responses.xlsx --id-column id --text-column "Q1*" --text-column "Q2*"
      qualkit ingest staff_survey.csv --id-column id --text-column answer --case-column school
      qualkit ingest notes.txt --kind transcript --replace
    """
    if force and not replace:
        raise click.UsageError("--force goes with --replace (to remove documents: qualkit documents remove --force)")
    with open_project(ctx) as project, ProgressBar("Ingesting") as progress:
        report = project.ingest(
            list(paths), kind=kind, unit=unit, case=case, cases_file=cases_file, strict=strict, pdf_text=pdf_text,
            id_column=id_column, text_columns=text_columns, case_column=case_column, replace=replace, force=force,
            on_progress=progress,
        )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for skip in report.skipped:
        click.echo(f"skipped {skip.path}: {skip.message}", err=True)
    for path, existing in report.duplicates:
        click.echo(f"skipped {path}: already ingested as {', '.join(existing)}", err=True)
    for path, reason in report.failures:
        click.echo(f"error: {path}: {reason}", err=True)
    for problem in report.case_problems:
        click.echo(f"error: {problem}", err=True)
    if report.rolled_back:
        raise click.ClickException("--strict: nothing was written; fix the files above and run ingest again")
    kinds: dict[str, int] = {}
    for document in report.added:
        kinds[document.kind.value] = kinds.get(document.kind.value, 0) + 1
    by_kind = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items()))
    reasons = ", ".join(f"{n} {reason}" for reason, n in report.skipped_by_reason().items())
    from qualkit.cli.managing import removal_lines, replaced_summary

    for line in removal_lines(report.replaced, verb="replaced"):
        click.echo(line, err=True)
    click.echo(
        f"Ingested {len(report.added)} document(s){f' ({by_kind})' if by_kind else ''}: "
        f"{sum(d.segments for d in report.added):,} segments, {sum(d.words for d in report.added):,} words. "
        + (replaced_summary(report.replaced, report.unchanged) if replace else "")
        + f"Already in the project: {len(report.duplicates)}. "
        f"Skipped: {len(report.skipped)}{f' ({reasons})' if reasons else ''}. Failed: {len(report.failures)}."
    )
    if case or report.cases_applied:
        click.echo(f"Assigned {report.cases_assigned} document(s) to cases.")
    if not report.ok:
        ctx.exit(1)


@cli.command()
@click.argument("cases_file", required=False, type=click.Path(exists=True, dir_okay=False))
@output_format
@click.pass_context
def cases(ctx: click.Context, cases_file: str | None, fmt: str) -> None:
    """List cases with their attributes; with CASES_FILE, apply it first.

    \b
    Examples:
      qualkit cases
      qualkit cases corpora/niot_case_study/cases.csv
    """
    problems: tuple[str, ...] = ()
    with open_project(ctx) as project:
        if cases_file:
            assigned, problems = project.assign_cases(cases_file)
            for problem in problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"Assigned {assigned} document(s) to cases.", err=True)
        rows = [{"case": case.name, "documents": case.documents, **case.attributes} for case in project.cases()]
    emit(rows, fmt)
    if problems:
        ctx.exit(1)


@cli.command()
@output_format
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """Summarise the project: documents, segments and words by kind, case and unit, and the file's
    size by part (documents, suggestions, decisions, models, search index...).

    \b
    Examples:
      qualkit status
      qualkit status --format json
    """
    with open_project(ctx) as project:
        counts = project.status()
        path, version = project.path, project.schema_version
        size = project.size() if fmt == "table" else None
        removed = project.removed_documents() if fmt == "table" else []
        interviewers = project.interviewers() if fmt == "table" else None
    if fmt != "table":
        emit([
            {"by": column, "value": c.value, "documents": c.documents, "segments": c.segments, "words": c.words}
            for column in ("kind", "case", "unit") for c in counts[column]
        ], fmt)
        return
    total = counts["kind"]
    click.echo(
        f"Project {path} (schema {version}): {sum(c.documents for c in total):,} documents, "
        f"{sum(c.segments for c in total):,} segments, {sum(c.words for c in total):,} words."
    )
    if removed:
        from qualkit.cli.managing import orphaned

        click.echo(
            f"Removed or replaced, kept for the work on them: {len(removed):,} document(s), with "
            f"{orphaned(removed)} orphaned (not counted or exported; `qualkit documents --removed` lists them)."
        )
    if interviewers is not None and interviewers.speakers:
        from qualkit.cli.managing import interviewer_line

        click.echo(interviewer_line(interviewers))
    for column in ("kind", "case", "unit"):
        click.echo("")
        rows = [[c.value if c.value is not None else "(none)", c.documents, c.segments, c.words]
                for c in counts[column]]
        click.echo(table([column, "documents", "segments", "words"], rows, {}))
    if size is not None:
        _show_size(size)


def _show_size(size: ProjectSize) -> None:
    """The file's size by part (issue #20)."""
    total = size.file_bytes + size.wal_bytes
    how = "measured page by page (SQLite dbstat)" if size.measured else "estimated from the data (no dbstat here)"
    click.echo("")
    from qualkit.cli.tidy import megabytes

    click.echo(f"Size: {megabytes(total)} (file {megabytes(size.file_bytes)}, write-ahead log "
               f"{megabytes(size.wal_bytes)}), {how}:")
    rows: list[list[object]] = [[part.part, megabytes(part.bytes), f"{part.bytes / total:.0%}" if total else ""]
                                for part in size.parts]
    rows.append(["free (`qualkit vacuum`)", megabytes(size.free_bytes),
                 f"{size.free_bytes / total:.0%}" if total else ""])
    click.echo(table(["part", "size", "share"], rows, {}))


@cli.group(invoke_without_command=True)
@click.option("--removed", is_flag=True, help="List the documents removed but kept for the decisions on them.")
@output_format
@click.pass_context
def documents(ctx: click.Context, removed: bool, fmt: str) -> None:
    """List the documents in the project; `documents remove` takes some out.

    \b
    Examples:
      qualkit documents --format csv > documents.csv
      qualkit documents --removed
      qualkit documents remove old_notes.txt
    """
    if ctx.invoked_subcommand is not None:
        return
    if removed:
        from qualkit.cli.managing import show_removed

        show_removed(ctx, fmt)
        return
    with open_project(ctx) as project:
        rows = [
            {
                "name": d.name, "kind": d.kind.value, "unit": d.unit.value, "case": d.case, "words": d.words,
                "segments": d.segments, "source": d.source_path, "ingested_at": d.ingested_at,
            }
            for d in project.documents()
        ]
    emit(rows, fmt, widths={"source": 40})


@cli.command()
@documents_filter
@output_format
@click.pass_context
def segments(ctx: click.Context, documents: tuple[str, ...], fmt: str) -> None:
    """List segments with their offsets, speaker, time and text.

    \b
    Examples:
      qualkit segments --document brookfield_leader.txt
      qualkit segments --format json > segments.json
    """
    with open_project(ctx) as project:
        names = {d.id: d.name for d in project.documents()}
        rows = [
            {
                "document": names[s.document_id], "segment": s.ordinal, "start": s.start, "end": s.end,
                "unit": s.unit.value, "speaker": s.speaker, "time": clock(s.timestamp), "text": s.text,
            }
            for s in project.segments(documents=documents or None)
        ]
    emit(rows, fmt, widths={"text": 70, "document": 32})
