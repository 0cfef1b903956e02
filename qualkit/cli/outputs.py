"""What comes out of a project: exports, imports, analyses, agreement and the Word report."""

from __future__ import annotations

import math
from collections.abc import Mapping

import click

from qualkit.agreement import NO_PAIRS, PairSummary
from qualkit.cli.base import ProgressBar, cli, emit, emit_json, open_project, summary, write_or_emit
from qualkit.cli.options import (
    F,
    codes_filter,
    codings_options,
    consensus_option,
    documents_filter,
    output_format,
    parse_where,
    pseudonymise_options,
    reviewers_filter,
    source_filter,
    status_filter,
)
from qualkit.cli.pseudonymise import report_sharing, sharing


@cli.group()
def export() -> None:
    """Export tables and REFI-QDA projects from the project.

    \b
    Example:
      qualkit export suggestions out/suggestions.xlsx
    """


@export.command("suggestions")
@click.argument("out", type=click.Path(dir_okay=False))
@codes_filter
@documents_filter
@status_filter
@source_filter
@consensus_option
@reviewers_filter(help="Status as these reviewers' decisions give it (one: their own).")
@pseudonymise_options
@click.pass_context
def export_suggestions(ctx: click.Context, out: str, codes: tuple[str, ...], documents: tuple[str, ...],
                       statuses: tuple[str, ...], sources: tuple[str, ...], consensus: str | None,
                       reviewers: tuple[str, ...], pseudonymise: bool, key_file: str | None) -> None:
    """Write suggestions to OUT (.csv, .xlsx, .json or .parquet), one row per suggestion.

    \b
    Examples:
      qualkit export suggestions out/suggestions.xlsx --code offer
      qualkit export suggestions out/pending.csv --status pending --source model
      qualkit export suggestions out/shared.xlsx --pseudonymise
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        count = project.export_suggestions(out, codes=codes or None, documents=documents or None,
                                           consensus=consensus, reviewers=reviewers or None,
                                           statuses=statuses or None, sources=sources or None, pseudonymise=shared)
    click.echo(f"Wrote {count} suggestions to {out}" + (" (pseudonymised)." if shared else "."))
    report_sharing(shared)


@export.command("codings")
@click.argument("out", type=click.Path(dir_okay=False))
@codings_options
@pseudonymise_options
@click.pass_context
def export_codings(ctx: click.Context, out: str, consensus: str | None, reviewers: tuple[str, ...],
                   include_pending: bool, where: tuple[str, ...], pseudonymise: bool, key_file: str | None) -> None:
    """Write coded segments (one row per segment x code, with case attributes) to .csv/.xlsx/.parquet.

    \b
    Example:
      qualkit export codings out/codings.xlsx --consensus majority
      qualkit export codings out/shared.csv --pseudonymise --key ~/secure/study-key.yaml
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        frame = project.export_codings(out, consensus=consensus, reviewers=reviewers or None,
                                       include_pending=include_pending, where=parse_where(where), pseudonymise=shared)
    pending = f" (including {int((frame['status'] == 'pending').sum())} pending)" if include_pending else ""
    click.echo(f"Wrote {len(frame)} codings{pending} to {out}" + (" (pseudonymised)." if shared else "."))
    report_sharing(shared)


@export.command("qdpx")
@click.argument("out", type=click.Path(dir_okay=False))
@consensus_option
@reviewers_filter
@pseudonymise_options
@click.pass_context
def export_qdpx(ctx: click.Context, out: str, consensus: str | None, reviewers: tuple[str, ...], pseudonymise: bool,
                key_file: str | None) -> None:
    """Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.

    With --pseudonymise the documents, cases, notes and codebook are pseudonymised and every coding
    still marks the same words.

    \b
    Examples:
      qualkit export qdpx out/project.qdpx
      qualkit export qdpx out/shared.qdpx --pseudonymise
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        written = project.export_qdpx(out, consensus=consensus, reviewers=reviewers or None, pseudonymise=shared)
        memos = len(project.memos())
    notes = f"; {memos} memo(s) as notes" if memos else ""
    # REFI-QDA keeps one coding per coder: say both what was coded and how many records that made
    per_coder = (f", written as {written.codings:,} REFI codings, one per reviewer who accepted each "
                 f"({written.coders} reviewer{'s' if written.coders != 1 else ''})"
                 if written.codings != written.passages else "")
    click.echo(f"Wrote {out}: documents, codebook, cases and {written.passages:,} codings "
               f"(segment x code, consensus {consensus or 'any'}){per_coder}{notes}"
               + (", pseudonymised." if shared else "."))
    report_sharing(shared)


@export.command("qdc")
@click.argument("out", type=click.Path(dir_okay=False))
@pseudonymise_options
@click.pass_context
def export_qdc(ctx: click.Context, out: str, pseudonymise: bool, key_file: str | None) -> None:
    """Write the current codebook as a REFI-QDA codebook (.qdc).

    \b
    Example:
      qualkit export qdc out/codebook.qdc
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        count = project.export_qdc(out, pseudonymise=shared)
    click.echo(f"Wrote {count} codes to {out}" + (" (pseudonymised)." if shared else "."))
    report_sharing(shared)


@cli.group("import")
def import_group() -> None:
    """Import from other programs, or suggestions coded elsewhere (code --to-parquet).

    \b
    Examples:
      qualkit import qdpx nvivo_export.qdpx
      qualkit import suggestions out/suggestions
    """


@import_group.command("suggestions")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.pass_context
def import_suggestions(ctx: click.Context, folder: str) -> None:
    """Load the suggestions `qualkit code --to-parquet DIR` wrote, partition by partition.

    The folder must come from this project: its codebook version must be stored here and every
    segment it names must exist; otherwise nothing is written. Importing twice adds nothing twice.

    \b
    Example:
      qualkit code --engine dask --to-parquet out/suggestions && qualkit import suggestions out/suggestions
    """
    with open_project(ctx) as project, ProgressBar("Importing") as progress:
        report = project.import_suggestions(folder, on_progress=progress)
    if not report.complete:
        click.echo(
            f"warning: the run that wrote {folder} did not finish; rerun the same `qualkit code --to-parquet "
            f"{folder}` to write the rest, then import again.",
            err=True,
        )
    click.echo(
        f"Imported {report.partitions} partition(s) from {folder}: {report.suggestions} suggestions, "
        f"{report.new} new. Run {report.run_id}."
    )


@import_group.command("qdpx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_qdpx(ctx: click.Context, file: str) -> None:
    """Build the project from a REFI-QDA export: sources, codes, codings (as decisions), cases, memos.

    Each coding becomes an accepted decision of the user who made it, so agreement between the
    other program's coders can be computed. A note on a coding becomes its decision's note; every
    other note a memo on what it is attached to (the project, a source, a code or a passage).
    Nothing is written if the file cannot be read.

    \b
    Example:
      qualkit -p imported.db init && qualkit -p imported.db import qdpx study.qdpx
    """
    with open_project(ctx) as project:
        report = project.import_qdpx(file)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Imported {report.documents} documents, {report.codes} codes, {report.codings} codings by "
        f"{len(report.users)} user(s) ({', '.join(report.users) or 'none named'}), {report.cases} cases, "
        f"{report.notes} note(s) on decisions, {_memo_counts(report.memos)}; {report.merged} duplicate codings "
        "merged; "
        + ("segments and coverage from the qualkit record; " if report.from_record else "")
        + f"{len(report.warnings)} warning(s)."
    )


def _memo_counts(counts: Mapping[str, int]) -> str:
    """"3 memos (1 on the project, 2 on codes)", or "no memos"."""
    total = sum(counts.values())
    if not total:
        return "no memos"
    kinds = {"project": "the project", "document": "documents", "case": "cases", "code": "codes",
             "segment": "segments"}
    parts = ", ".join(f"{n} on {kinds.get(kind, kind)}" for kind, n in counts.items())
    return f"{total} memo{'s' if total != 1 else ''} ({parts})"


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False))
@codes_filter(legacy=True)
@click.option("--by", metavar="ATTRIBUTE", help="Split code frequencies by a case attribute (e.g. phase).")
@codings_options
@click.option("--quotes", type=click.IntRange(min=0), default=3, show_default=True,
              help="Representative quotes per code in the body.")
@click.option("--listing", type=click.Choice(["segments", "codes", "none"]), default="segments", show_default=True,
              help="Appendix of every coded segment: once with all its codes, under each code, or none.")
@click.option("--companion", type=click.Path(dir_okay=False),
              help="Also write every coding to this table file (.xlsx, .csv, ...).")
@click.option("--no-figures", is_flag=True, help="Leave the figures out.")
@click.option("--title", help="The report's title.")
@pseudonymise_options
@click.pass_context
def report(ctx: click.Context, out: str, codes: tuple[str, ...], by: str | None, consensus: str | None,
           reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], quotes: int, listing: str,
           companion: str | None, no_figures: bool, title: str | None, pseudonymise: bool,
           key_file: str | None) -> None:
    """Write a Word report: method, frequencies, quotes per code with the evidence highlighted,
    framework matrix, theory of change and figures, the codebook and every coded segment.

    \b
    Examples:
      qualkit report out/report.docx --by disadvantage
      qualkit report out/primary.docx --where phase=primary --quotes 5 --companion out/codings.xlsx
      qualkit report out/shared.docx --pseudonymise --companion out/shared.xlsx
    """
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        data = project.report(out, title=title, codes=codes or None, by=by, consensus=consensus,
                              reviewers=reviewers or None, where=parse_where(where), include_pending=include_pending,
                              quotes=quotes, figures=not no_figures, listing=listing, companion=companion,
                              pseudonymise=shared)
    totals = data.totals
    pending = sum(1 for s in data.segments if s.pending)
    click.echo(
        f"Wrote {out}: {totals.codings:,} codings in {totals.coded_segments:,} coded segments ({pending} pending) "
        f"under {sum(1 for c in data.codes if c.codable)} codes, {len(data.toc_links)} theory-of-change links, "
        f"consensus {data.consensus_rule}" + (f", {len(data.memos)} memo(s)" if len(data.memos) else "")
        + (f"; every coding also in {companion}" if companion else "") + ("; pseudonymised." if shared else ".")
    )
    report_sharing(shared)


@cli.group()
def analyse() -> None:
    """Tables for the write-up, one subcommand per analysis (each with its own --help).

    \b
    Examples:
      qualkit analyse frequency --by disadvantage
      qualkit analyse cooccurrence --window 1
      qualkit analyse framework --out out/framework.xlsx
      qualkit analyse compare --by kind
      qualkit analyse toc --diagram out/toc.png
    """


def _out_options(function: F) -> F:
    """--out FILE and --format, which every analysis takes, --plot, which draws it, and --pseudonymise."""
    function = pseudonymise_options(function)
    function = output_format(function)
    function = click.option("--plot", type=click.Path(dir_okay=False),
                            help="Also draw the analysis as a figure (.png, .svg or .pdf).")(function)
    return click.option("--out", type=click.Path(dir_okay=False),
                        help="Write the table to a file (format from the suffix).")(function)


def _analysis(ctx: click.Context, name: str, *, out: str | None, fmt: str, consensus: str | None,
              reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], by: str | None = None,
              window: int | None = None, diagram: str | None = None, plot: str | None = None,
              pseudonymise: bool = False, key_file: str | None = None) -> None:
    with open_project(ctx) as project:
        shared = sharing(project, pseudonymise, key_file)
        result = project.analyse(name, by=by, window=window, diagram=diagram, plot=plot, consensus=consensus,
                                 reviewers=reviewers or None, include_pending=include_pending,
                                 where=parse_where(where), pseudonymise=shared)
    if include_pending:
        click.echo(f"Including {result.pending} pending (unreviewed) suggestions.", err=True)
    if result.unevidenced:
        click.echo(f"No evidence for: {', '.join(result.unevidenced)}", err=True)
    if diagram:
        click.echo(f"Drew the theory of change to {diagram}.", err=True)
    if plot:
        click.echo(f"Drew the {name} figure to {plot}.", err=True)
    widths = {"quotes": 60, "supporting_cases": 40, "name": 30, "label": 40}
    if shared is None or not out:
        write_or_emit(result.table, out, fmt, widths=widths)
    else:
        with shared.staged() as stage:  # the file is checked before it takes its place
            write_or_emit(result.table, out, fmt, widths=widths, stage=stage)
        summary(f"Wrote {len(result.table)} rows to {out} (pseudonymised).", "json")
    if shared is not None:
        summary(shared.summary(), fmt if not out else "json")


@analyse.command("frequency")
@click.option("--by", metavar="ATTRIBUTE", help="Also split by a case or document attribute (e.g. phase).")
@_out_options
@codings_options
@click.pass_context
def analyse_frequency(ctx: click.Context, by: str | None, out: str | None, plot: str | None, fmt: str,
                      consensus: str | None,
                      reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], pseudonymise: bool,
                      key_file: str | None) -> None:
    """Segments, documents and cases per code, with each code's share of coded segments.

    \b
    Examples:
      qualkit analyse frequency --by disadvantage
      qualkit analyse frequency --where phase=primary --format csv
    """
    _analysis(ctx, "frequency", by=by, out=out, plot=plot, fmt=fmt, consensus=consensus, reviewers=reviewers,
              include_pending=include_pending, where=where,
              pseudonymise=pseudonymise, key_file=key_file)


@analyse.command("cooccurrence")
@click.option("--window", type=int, default=0, show_default=True,
              help="Codes on segments this many apart count as together (0: the same segment).")
@_out_options
@codings_options
@click.pass_context
def analyse_cooccurrence(ctx: click.Context, window: int, out: str | None, plot: str | None, fmt: str,
                         consensus: str | None,
                         reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], pseudonymise: bool,
                         key_file: str | None) -> None:
    """How often two codes are applied together (on one segment, or within --window segments).

    \b
    Example:
      qualkit analyse cooccurrence --window 1
    """
    _analysis(ctx, "cooccurrence", window=window, out=out, plot=plot, fmt=fmt, consensus=consensus, reviewers=reviewers,
              include_pending=include_pending, where=where,
              pseudonymise=pseudonymise, key_file=key_file)


@analyse.command("framework")
@_out_options
@codings_options
@click.pass_context
def analyse_framework(ctx: click.Context, out: str | None, plot: str | None, fmt: str, consensus: str | None,
                      reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], pseudonymise: bool,
                      key_file: str | None) -> None:
    """The framework matrix: cases x themes, with counts and representative quotes.

    \b
    Example:
      qualkit analyse framework --out out/framework.xlsx
    """
    _analysis(ctx, "framework", out=out, plot=plot, fmt=fmt, consensus=consensus, reviewers=reviewers,
              include_pending=include_pending, where=where,
              pseudonymise=pseudonymise, key_file=key_file)


@analyse.command("compare")
@click.option("--by", metavar="ATTRIBUTE", default="kind", show_default=True,
              help="The attribute whose groups are compared (kind: policy documents vs interviews).")
@_out_options
@codings_options
@click.pass_context
def analyse_compare(ctx: click.Context, by: str, out: str | None, plot: str | None, fmt: str, consensus: str | None,
                    reviewers: tuple[str, ...], include_pending: bool, where: tuple[str, ...], pseudonymise: bool,
                    key_file: str | None) -> None:
    """Each code's share of coded segments in each group: intended (policy) vs enacted (interviews).

    \b
    Examples:
      qualkit analyse compare --by kind
      qualkit analyse compare --by phase --format json
    """
    _analysis(ctx, "compare", by=by, out=out, plot=plot, fmt=fmt, consensus=consensus, reviewers=reviewers,
              include_pending=include_pending, where=where,
              pseudonymise=pseudonymise, key_file=key_file)


@analyse.command("toc")
@click.option("--window", type=int, default=1, show_default=True,
              help="Both ends of a link coded within this many segments count as evidence.")
@click.option("--by", metavar="ATTRIBUTE", help="Also count the evidence by a case attribute.")
@click.option("--diagram", type=click.Path(dir_okay=False), help="Also draw the theory of change (.png or .svg).")
@_out_options
@codings_options
@click.pass_context
def analyse_toc(ctx: click.Context, window: int, by: str | None, diagram: str | None, out: str | None,
                plot: str | None, fmt: str,
                consensus: str | None, reviewers: tuple[str, ...], include_pending: bool,
                where: tuple[str, ...], pseudonymise: bool,
                key_file: str | None) -> None:
    """Evidence for each theory-of-change link, the cases supporting it, and nodes without evidence.

    \b
    Examples:
      qualkit analyse toc --diagram out/toc.png
      qualkit analyse toc --window 2 --by phase
    """
    _analysis(ctx, "toc", window=window, by=by, diagram=diagram, out=out, plot=plot, fmt=fmt, consensus=consensus,
              reviewers=reviewers, include_pending=include_pending, where=where,
              pseudonymise=pseudonymise, key_file=key_file)


@cli.command()
@reviewers_filter(legacy=True, help="A reviewer to compare (repeatable; default: every reviewer not retired).")
@codes_filter
@click.option("--by", type=click.Choice(["document", "case"]), help="Also one table per document or case.")
@click.option("--machine", is_flag=True, help="Also treat the rule and model sources as coders.")
@click.option("--disagreements", "show_disagreements", is_flag=True, help="List the units coders disagree on.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write the pairwise table to a file (format from the suffix).")
@output_format
@click.pass_context
def agreement(ctx: click.Context, reviewers: tuple[str, ...], codes: tuple[str, ...], by: str | None, machine: bool,
              show_disagreements: bool, out: str | None, fmt: str) -> None:
    """Inter-rater agreement per code and overall: percent, Cohen's kappa, Krippendorff's alpha.

    Every pair of reviewers is compared over the segment x code units both judged: a suggestion
    accepted or rejected, the codes left off a segment whose suggestions they all decided, and every
    code of the documents or segments they coded fully (a portable file or import covers the
    documents it names; review can mark a segment fully coded), not coded = no. With more than two
    reviewers, Krippendorff's alpha across all of them too. Undefined statistics (no variation)
    are shown as undefined and left out of means.

    \b
    Examples:
      qualkit agreement
      qualkit agreement --reviewer "Amira Khan" --reviewer "Ben Roberts" --disagreements
      qualkit agreement --by case --format csv
    """
    import pandas as pd

    with open_project(ctx) as project:
        result = project.agreement(reviewers=reviewers or None, codes=codes or None, by=by, machine=machine)
    report = result.report
    pairs = report.pairs
    if by:
        pairs = pd.concat([pairs.assign(**{by: "(all)"})] + [
            table.pairs.assign(**{by: value}) for value, table in result.groups.items()
        ], ignore_index=True)
    rows = [
        {"table": "disagreement", "document": d.document, "segment": d.segment, "code": d.code, **dict(d.values),
         "text": d.text}
        for d in result.disagreements
    ] if show_disagreements else []
    if fmt == "json":
        emit_json({
            "pairs": pairs.to_dict("records"), "coders_alpha": report.coders_alpha.to_dict("records"),
            "summaries": [_summary_record(summary) for summary in report.summaries],
            "skipped": [{"coder": coder, "why": why} for coder, why in report.skipped],
            **({"disagreements": [{k: v for k, v in row.items() if k != "table"} for row in rows]}
               if show_disagreements else {}),
        })
    elif out:
        write_or_emit(pairs, out, fmt)
    elif fmt == "csv":
        write_or_emit(pairs, None, fmt)
    else:
        write_or_emit(pairs, None, fmt, widths={"note": 50})
        if len(report.coders) > 2:
            click.echo("\nKrippendorff's alpha across all coders:")
            write_or_emit(report.coders_alpha, None, fmt, widths={"note": 50})
        if show_disagreements:
            click.echo("")
            emit([{k: v for k, v in row.items() if k != "table"} for row in rows], fmt, widths={"text": 60})
    for coder, why in report.skipped:
        summary(f"Skipped {coder}: {why}.", fmt if not out else "json")
    if not report.summaries:
        summary(NO_PAIRS, fmt if not out else "json")
    for line in report.summaries:
        summary(_summary_line(line), fmt if not out else "json")


def _summary_record(line: PairSummary) -> dict[str, object]:
    overall = line.overall
    return {
        "coder_a": line.coder_a, "coder_b": line.coder_b, "n_units": overall.n, "percent": overall.percent,
        "kappa": overall.kappa, "alpha": overall.alpha, "disagreements": line.disagreements,
        "mean_kappa": line.mean_kappa, "codes_with_kappa": line.codes_with_kappa,
        "codes_kappa_undefined": line.codes_undefined,
    }


def _summary_line(line: PairSummary) -> str:
    overall = line.overall

    def stat(value: float) -> str:
        return "undefined" if math.isnan(value) else f"{value:.2f}"

    mean = (f"mean kappa over {line.codes_with_kappa} code(s) {stat(line.mean_kappa)}"
            + (f" ({line.codes_undefined} code(s) with no variation left out: kappa undefined)"
               if line.codes_undefined else ""))
    return (f"{line.coder_a} and {line.coder_b}: {overall.percent:.1f}% agreement, kappa {stat(overall.kappa)}, "
            f"alpha {stat(overall.alpha)} over {overall.n:,} units; {line.disagreements} disagreements; {mean}.")
