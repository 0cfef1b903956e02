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
        + (f"; withdrew {report.withdrawn} undecided suggestion(s) the trained scorer no longer makes"
           if report.withdrawn else "")
        + f". Run {report.run_id}."
    )
    if report.failures:
        ctx.exit(1)


@cli.command()
@reviewers_filter(help="Learn from this reviewer's decisions only (repeatable: their consensus).")
@consensus_option
@click.pass_context
def train(ctx: click.Context, reviewers: tuple[str, ...], consensus: str | None) -> None:
    """Fit the scorer from reviewers' decisions: one decision per segment x code.

    Accepted or added = positive; rejected = negative; a segment coded fully (or whose proposals
    were all decided) is negative for the codes nobody applied there; unreviewed segments are not
    used. Per code, the model (rule evidence + words, logistic regression, calibrated out of fold,
    folds grouped by document) takes over from the rules only where its out-of-fold F1 beats
    theirs on the same decisions; below 5 positives and 5 negatives a code stays with the rules.

    \b
    Examples:
      qualkit train
      qualkit train --reviewer "Amira Khan"
    """
    with open_project(ctx) as project, ProgressBar("Training") as progress:
        report = project.train(reviewers=reviewers or None, consensus=consensus, on_progress=progress)
    rows = [
        [c.code, c.source.value, c.positives, c.negatives, number(c.rules_f1), number(c.model_f1),
         number(c.cutoff) if c.source.value == "model" else "", c.reason]
        for c in report.choices
    ]
    click.echo(table(["code", "proposed by", "positives", "negatives", "rules F1", "model F1", "cut-off", "why"],
                     rows, {"why": 50}))
    click.echo("(F1 out of fold on the same decisions; `qualkit evaluate` scores on held-out documents)")
    model_codes = report.model_codes
    click.echo(
        f"Trained model {report.model_id} on {report.trained_on}: {report.training_size} labelled segments and "
        f"examples; the model proposes {len(model_codes)} of {len(report.choices)} codes"
        + (f" ({', '.join(model_codes)})" if model_codes and len(model_codes) <= 5 else "")
        + ", the rules the rest. `qualkit code` now proposes with it."
    )


@cli.command()
@reviewers_filter(help="Score against this reviewer's decisions (repeatable: their consensus).")
@consensus_option
@click.option("--no-curve", is_flag=True, help="Skip the learning curve (faster).")
@output_format
@click.pass_context
def evaluate(ctx: click.Context, reviewers: tuple[str, ...], consensus: str | None, no_curve: bool, fmt: str) -> None:
    """How well `code` would reproduce reviewers' decisions, on documents held out of training.

    Everything `train` does (calibration, cut-offs, the choice between rules and model per code)
    is redone on the training folds; the held-out documents are then proposed for exactly as
    `code` would. Three sources are scored on the same labels: rules (wherever a pattern
    matched), model (the model on every code it could be fitted for) and scorer (what `code`
    proposes). The learning curve repeats it with fewer labelled segments, and gives the share of
    segment x code pairs a reviewer reads, in score order, to find 90% of codings.

    \b
    Examples:
      qualkit evaluate
      qualkit evaluate --reviewer "Ben Roberts" --format json
    """
    from qualkit.evaluation import OVERALL

    with open_project(ctx) as project:
        result = project.evaluate(reviewers=reviewers or None, consensus=consensus, curve=not no_curve)
    points = [p.as_dict() for p in result.points]
    if fmt == "json":
        from qualkit.cli.base import plain

        click.echo(json.dumps(plain({"scores": result.rows, "learning_curve": points, "folds": result.folds,
                                     "effort_90": dict(result.effort_90)}), indent=2))
        return
    if fmt == "csv":
        emit([{"table": "scores", **row} for row in result.rows], "csv")
        if points:
            emit([{"table": "learning_curve", **row} for row in points], "csv")
        return
    rows = [
        [r["source"], r["code"], number(r["precision"]), number(r["recall"]), number(r["f1"]), r["n"], r["positives"],
         r["proposed"]]
        for r in result.rows
    ]
    click.echo(table(["source", "code", "precision", "recall", "F1", "labels", "positives", "proposed"], rows, {}))
    if points:
        click.echo("\nLearning curve (held-out documents; labelled segments per training fold):")
        click.echo(table(
            ["labelled segments", "source", "precision", "recall", "F1", "read for 90%", "labels"],
            [[p["labelled_segments"], p["source"], number(p["precision"]), number(p["recall"]), number(p["f1"]),
              _share(p["effort_90"]), p["labels"]] for p in points], {},
        ))
    overall = {score.source: score for score in result.scores if score.code == OVERALL}
    against = f"reviewer(s) {', '.join(reviewers)}" if reviewers else f"consensus {consensus or 'any'}"
    scorer_effort = result.effort_90.get("scorer")
    click.echo(
        f"Evaluated against {against} on {result.folds} held-out folds of documents: "
        + "; ".join(f"{source} F1 {score.f1:.2f}" for source, score in overall.items())
        + (f"; in the scorer's order a reviewer reads {_share(scorer_effort)} of segment x code pairs to find 90% "
           "of codings" if scorer_effort is not None else "") + "."
    )


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


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


@cli.group(invoke_without_command=True)
@output_format
@click.pass_context
def runs(ctx: click.Context, fmt: str) -> None:
    """The run log: every `code`, `train`, import and withdrawal, with what it counted.

    \b
    Examples:
      qualkit runs
      qualkit runs withdraw 3
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_project(ctx) as project:
        logged = project.runs()
    emit([
        {"run": run.id, "command": run.command, "started_at": run.started_at,
         "finished_at": run.finished_at or "(interrupted or running)",
         "counts": ", ".join(f"{key} {value}" for key, value in run.counts.items()
                             if isinstance(value, int | float) and not isinstance(value, bool))}
        for run in logged
    ], fmt, widths={"counts": 60})
    summary(f"{len(logged)} run(s) logged.", fmt)


@runs.command("withdraw")
@click.argument("run_id", metavar="RUN", type=int)
@click.pass_context
def runs_withdraw(ctx: click.Context, run_id: int) -> None:
    """Remove the undecided suggestions RUN added; decided ones stay, with their decisions.

    For a `code` run with the wrong codebook, documents or settings: withdraw it, then code again.
    The withdrawal is logged as a run of its own.

    \b
    Example:
      qualkit runs withdraw 3
    """
    with open_project(ctx) as project:
        report = project.withdraw_run(run_id)
    click.echo(
        f"Withdrew {report.withdrawn} undecided suggestion(s) of run {report.run.id} ({report.run.command}); "
        f"kept {report.kept} that someone decided, with their decisions."
    )
