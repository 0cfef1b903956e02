"""Commands that propose codes and learn: code, train, evaluate, suggestions."""

from __future__ import annotations

import json

import click

from qualkit.cli.base import ProgressBar, cli, emit, number, open_project, summary, table
from qualkit.cli.options import (
    codes_filter,
    consensus_option,
    documents_filter,
    output_format,
    reviewers_filter,
    source_filter,
    status_filter,
)


def _parse_thresholds(values: tuple[str, ...]) -> tuple[float | None, dict[str, float]]:
    """--threshold 0.6 (all codes) and --threshold offer.npq=0.7 (one code)."""
    overall, per_code = None, {}
    for value in values:
        key, _, text = value.rpartition("=")
        try:
            parsed = float(text)
        except ValueError:
            raise click.BadParameter(f"{value!r}: use a number (0.6) or CODE=NUMBER (offer.npq=0.7)",
                                     param_hint="--threshold") from None
        if not 0 <= parsed <= 1:
            raise click.BadParameter(f"{value!r}: a threshold is a probability between 0 and 1",
                                     param_hint="--threshold")
        if key:
            per_code[key] = parsed
        else:
            overall = parsed
    return overall, per_code


@cli.command()
@click.option(
    "--codebook", "codebook_file", type=click.Path(dir_okay=False),
    help="Load this codebook first (a new version if changed).",
)
@documents_filter
@click.option("--include-interviewer", is_flag=True, help="Also propose codes for interviewer turns.")
@click.option("--no-rules", is_flag=True, help="Do not run the codebook's patterns.")
@click.option(
    "--workers", type=int,
    help="Processes to code with (default 1; with --engine dask, the local cluster's size: one per core).",
)
@click.option("--no-model", is_flag=True, help="Do not run the trained model.")
@click.option(
    "--threshold", "thresholds", multiple=True, metavar="P|CODE=P",
    help="Model probability needed to propose a code: for all codes (0.6) or one (offer.npq=0.7).",
)
@click.option(
    "--engine", type=click.Choice(["local", "dask"]),
    help="Where to propose: on this machine (default) or on Dask workers (pip install 'qualkit[dask]').",
)
@click.option(
    "--scheduler", metavar="ADDRESS",
    help="The Dask scheduler to send work to (implies --engine dask; default: start a local cluster).",
)
@click.option(
    "--to-parquet", "parquet", metavar="DIR", type=click.Path(file_okay=False),
    help="Write suggestions to partitioned Parquet in DIR instead of the project (load: qualkit import suggestions).",
)
@click.pass_context
def code(ctx: click.Context, codebook_file: str | None, documents: tuple[str, ...], include_interviewer: bool,
         no_rules: bool, no_model: bool, workers: int | None, thresholds: tuple[str, ...], engine: str | None,
         scheduler: str | None, parquet: str | None) -> None:
    """Propose codes for every segment from the codebook's patterns and the latest trained model.

    Suggestions are proposals for review, never codings. Re-running adds nothing twice.
    Interviewer turns are context and are skipped unless --include-interviewer.

    \b
    Examples:
      qualkit code --codebook codebooks/niot_coherent_offer.yaml
      qualkit code --document brookfield_leader.txt
      qualkit code --no-rules --threshold 0.6 --threshold culture.trust=0.8
      qualkit code --engine dask --workers 4
      qualkit code --scheduler tcp://10.0.0.5:8786 --to-parquet out/suggestions
    """
    if scheduler is not None:
        if engine == "local":
            raise click.UsageError("--scheduler sends work to Dask: drop --engine local, or use --engine dask")
        if workers is not None:
            raise click.UsageError("--workers sizes a local cluster; with --scheduler the cluster has its own workers")
        engine = "dask"
    threshold, per_code = _parse_thresholds(thresholds)
    with open_project(ctx) as project, ProgressBar("Coding") as progress:
        report = project.code(
            codebook_path=codebook_file, documents=documents or None, include_interviewer=include_interviewer,
            use_rules=not no_rules, use_model=not no_model, threshold=threshold, thresholds=per_code or None,
            workers=workers, engine=engine or "local", scheduler=scheduler, parquet=parquet, on_progress=progress,
        )
        from qualkit.cli.managing import skipped_speakers

        skipped = "" if include_interviewer else skipped_speakers(project, documents, report.context_segments)
    if report.resumed_from:
        click.echo(f"Resumed run {report.resumed_from}, which was interrupted: its finished pages were kept.")
    if report.partitions_skipped:
        click.echo(f"Resumed {report.parquet}: {report.partitions_skipped} partition(s) already there were skipped.")
    if report.parquet:
        click.echo(table(["code", "name", "segments"], [[c.key, c.name, c.found] for c in report.counts], {"name": 40}))
    else:
        click.echo(table(["code", "name", "segments", "new"], [[c.key, c.name, c.found, c.new] for c in report.counts],
                         {"name": 40}))
    for failure in report.failures:
        click.echo(f"error: {failure.document}, segment {failure.segment}: {failure.reason}", err=True)
    if report.refused_codes:
        click.echo(
            f"warning: the model ({report.model_version}) was trained under an older codebook version and "
            f"knows codes this version removed: {', '.join(report.refused_codes)}; it does not propose them. "
            "Retrain with `qualkit train`.",
            err=True,
        )
    sources = " and ".join("rules" if source == "rule" else f"model {report.model_version}"
                           for source in report.sources)
    if not no_model and report.model_version is None:
        sources += " (no trained model yet: `qualkit train`)"
    where = "" if report.ran_on == "in this process" else f" {report.ran_on}"
    found = (
        f"{report.found} suggestions written to {report.partitions_written} partition(s) in {report.parquet} "
        f"(load them with `qualkit import suggestions {report.parquet}`)"
        if report.parquet else f"{report.found} suggestions, {report.new} new"
    )
    click.echo(
        f"Coded {report.segments} segments{where} with codebook {report.codebook_name!r} "
        f"version {report.codebook_id} (hash {report.codebook_sha256[:12]}) using {sources}: "
        f"{found}; {report.segments_without} segments with none; "
        f"{report.context_segments} interviewer turns skipped as context{skipped}"
        + (f"; {len(report.failures)} segment(s) could not be coded (above)" if report.failures else "")
        + f". Run {report.run_id}."
    )
    if report.failures:
        ctx.exit(1)


@cli.command()
@reviewers_filter(help="Learn from this reviewer's decisions only (repeatable: their consensus).")
@consensus_option
@click.pass_context
def train(ctx: click.Context, reviewers: tuple[str, ...], consensus: str | None) -> None:
    """Train one classifier per code from reviewers' decisions and the codebook's examples.

    Accepted = positive, rejected = negative; a segment whose suggestions were all reviewed is
    negative for the codes nobody accepted or added there; unreviewed segments are not used.
    Scores are cross-validated with folds grouped by document.

    \b
    Examples:
      qualkit train
      qualkit train --reviewer "Amira Khan"
    """
    with open_project(ctx) as project, ProgressBar("Training") as progress:
        report = project.train(reviewers=reviewers or None, consensus=consensus, on_progress=progress)
    rows = [
        [code, m["positives"], m["negatives"], number(m.get("threshold")), number(m.get("precision")),
         number(m.get("recall")), number(m.get("f1"))]
        for code, m in report.metrics.items()
    ]
    click.echo(table(["code", "positives", "negatives", "threshold", "cv precision", "cv recall", "cv F1"], rows, {}))
    click.echo("(each code's threshold is the cut-off with the best out-of-fold F1, so cv F1 is slightly optimistic;"
               " `qualkit evaluate` scores at 0.5)")
    for code_key, why in report.skipped.items():
        click.echo(f"skipped {code_key}: {why}", err=True)
    f1s = [m["f1"] for m in report.metrics.values() if m.get("f1") is not None]
    macro = f"{sum(f1s) / len(f1s):.2f}" if f1s else "n/a"
    click.echo(
        f"Trained model {report.model_id} on {report.trained_on}: {report.training_size} examples, "
        f"{len(report.metrics)} codes (cross-validated macro F1 {macro}, folds grouped by document), "
        f"{len(report.skipped)} skipped. `qualkit code` now proposes with it."
    )


@cli.command()
@reviewers_filter(help="Score against this reviewer's decisions (repeatable: their consensus).")
@consensus_option
@click.option("--no-curve", is_flag=True, help="Skip the learning curve (faster).")
@output_format
@click.pass_context
def evaluate(ctx: click.Context, reviewers: tuple[str, ...], consensus: str | None, no_curve: bool, fmt: str) -> None:
    """Precision, recall, F1 and kappa of rule and model suggestions against reviewers' decisions.

    The model is scored out of fold (folds grouped by document); the learning curve shows F1
    against the number of labelled segments.

    \b
    Examples:
      qualkit evaluate
      qualkit evaluate --reviewer "Ben Roberts" --format json
    """
    with open_project(ctx) as project:
        result = project.evaluate(reviewers=reviewers or None, consensus=consensus, curve=not no_curve)
    if fmt == "json":
        from qualkit.cli.base import plain

        click.echo(json.dumps(plain({"scores": result.rows, "learning_curve": result.curve}), indent=2))
        return
    if fmt == "csv":
        emit([{"table": "scores", **row} for row in result.rows], "csv")
        if result.curve:
            emit([{"table": "learning_curve", **row} for row in result.curve], "csv")
        return
    rows = [
        [r["source"], r["code"], number(r["precision"]), number(r["recall"]), number(r["f1"]), number(r["kappa"]),
         r["n"], r["positives"]]
        for r in result.rows
    ]
    click.echo(table(["source", "code", "precision", "recall", "F1", "kappa", "labels", "positives"], rows, {}))
    if result.curve:
        click.echo("\nLearning curve (model, cross-validated by document):")
        click.echo(table(
            ["labelled segments", "labels", "macro F1", "codes"],
            [[c["labelled_segments"], c["labels"], number(c["macro_f1"]), c["codes"]] for c in result.curve], {},
        ))
    overall = {r["source"]: r for r in result.rows if r["code"] == "(overall)"}
    against = f"reviewer(s) {', '.join(reviewers)}" if reviewers else f"consensus {consensus or 'any'}"
    click.echo(f"Evaluated against {against}: "
               + "; ".join(f"{source} F1 {row['f1']:.2f}" for source, row in overall.items()) + ".")


@cli.command()
@codes_filter
@documents_filter
@status_filter
@source_filter
@consensus_option
@reviewers_filter(help="Status as these reviewers' decisions give it (one: their own).")
@output_format
@click.pass_context
def suggestions(ctx: click.Context, codes: tuple[str, ...], documents: tuple[str, ...], statuses: tuple[str, ...],
                sources: tuple[str, ...], consensus: str | None, reviewers: tuple[str, ...], fmt: str) -> None:
    """List suggested codes with their source, evidence and status.

    \b
    Examples:
      qualkit suggestions --code culture.trust
      qualkit suggestions --status pending --source model
      qualkit suggestions --status disputed --consensus majority
      qualkit suggestions --document harbour_leader.vtt --format csv
    """
    with open_project(ctx) as project:
        rows = project.suggestions(codes=codes or None, documents=documents or None, consensus=consensus,
                                   reviewers=reviewers or None, statuses=statuses or None, sources=sources or None)
    if fmt == "table":
        rows = [
            {k: row[k] for k in ("id", "document", "segment", "speaker", "code", "source", "status", "score",
                                 "evidence", "text")}
            for row in rows
        ]
    emit(rows, fmt, widths={"text": 60, "evidence": 40, "document": 28})
    summary(f"{len(rows)} suggestion(s).", fmt)
