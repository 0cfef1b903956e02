"""The ``qualkit`` command: parse options, call the library, print. Nothing else imports click.

Heavy libraries (spaCy, pandas, python-docx, scikit-learn) are imported inside the library
functions that need them, so ``qualkit --help`` starts fast.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence

import click

from qualkit import __version__
from qualkit.errors import QualkitError

FORMATS = ("table", "csv", "json")


class _Group(click.Group):
    """Turns every QualkitError into one ``Error: ...`` line and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QualkitError as exc:
            raise click.ClickException(str(exc)) from None


def _open(ctx):
    from qualkit.project import Project

    return Project.open(ctx.obj["project"])


def _emit(rows: list[dict], fmt: str, *, widths: dict[str, int] | None = None) -> None:
    """Print rows as an aligned table, CSV or JSON."""
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        if fmt == "csv":
            return
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
    click.echo(_table(columns, [[row[c] for c in columns] for row in rows], widths or {}))


def _cell(value, width: int | None) -> str:
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _table(columns: Sequence[str], rows: Sequence[Sequence], widths: dict[str, int]) -> str:
    cells = [[_cell(v, widths.get(c)) for c, v in zip(columns, row, strict=True)] for row in rows]
    sizes = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], int) or row[i] is None for row in rows) for i in range(len(columns))]

    def line(values):
        return "  ".join(
            v.rjust(size) if num else v.ljust(size) for v, size, num in zip(values, sizes, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * s for s in sizes])] + [line(r) for r in cells])


class _ProgressBar:
    """A click progress bar on stderr, fed by the library's ``on_progress(done, total, label)``."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int, item: str) -> None:
        if not sys.stderr.isatty():
            return  # no bar in logs and pipes; the summary line says what happened
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)  # `code` reports segments done, a page at a time

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.__exit__(*exc_info)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project", "-p", metavar="PATH", envvar="QUALKIT_PROJECT", default="qualkit.db",
    show_default=True, help="Project file (also QUALKIT_PROJECT).",
)
@click.version_option(__version__, prog_name="qualkit")
@click.pass_context
def cli(ctx, project):
    """qualkit: batch qualitative coding for education research.

    \b
    Example:
      qualkit init
      qualkit ingest interviews/ --cases cases.csv
      qualkit status
    """
    ctx.obj = {"project": project}


@cli.command()
@click.pass_context
def init(ctx):
    """Create a new, empty project file.

    \b
    Example:
      qualkit -p study.db init
    """
    from qualkit.project import Project

    project = Project.init(ctx.obj["project"])
    click.echo(f"Created project {project.path} (schema {project.store.schema_version}).")
    click.echo("Next: qualkit ingest PATH...")
    project.close()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--kind", type=click.Choice(["auto", "transcript", "document", "survey"]), default="auto",
    show_default=True, help="What the files are; auto finds 'Speaker: text' transcripts.",
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
    "--pdf-text", is_flag=True,
    help="The .txt files were extracted from PDFs: repair ligatures, hyphens, page furniture.",
)
@click.option("--id-column", metavar="COLUMN", help="Survey files: the response id column.")
@click.option("--text-column", metavar="COLUMN", help="Survey files: the response text column.")
@click.pass_context
def ingest(ctx, paths, kind, unit, case, cases_file, strict, pdf_text, id_column, text_column):
    """Read transcripts, documents and surveys into the project. Folders are walked.

    Formats: .txt .md .docx .pdf .vtt .srt (transcripts and documents),
    .csv .xlsx (surveys: one response per row). Ingesting a file again is a no-op.

    \b
    Examples:
      qualkit ingest interviews/ policy/ --cases cases.csv
      qualkit ingest leader.docx --case "Brookfield Primary"
      qualkit ingest strategy.txt --kind document --pdf-text
      qualkit ingest responses.xlsx --id-column id --text-column answer
    """
    with _open(ctx) as project, _ProgressBar("Ingesting") as progress:
        report = project.ingest(
            list(paths), kind=kind, unit=unit, case=case, cases_file=cases_file,
            strict=strict, pdf_text=pdf_text, id_column=id_column, text_column=text_column,
            on_progress=progress,
        )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for path, existing in report.duplicates:
        click.echo(f"skipped {path}: already ingested as {', '.join(existing)}", err=True)
    for path, reason in report.failures:
        click.echo(f"error: {path}: {reason}", err=True)
    for problem in report.case_problems:
        click.echo(f"error: {problem}", err=True)
    if report.rolled_back:
        raise click.ClickException(
            "--strict: nothing was written; fix the files above and run ingest again"
        )
    kinds: dict[str, int] = {}
    for document in report.added:
        kinds[document.kind.value] = kinds.get(document.kind.value, 0) + 1
    by_kind = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items()))
    click.echo(
        f"Ingested {len(report.added)} document(s){f' ({by_kind})' if by_kind else ''}: "
        f"{sum(d.segments for d in report.added):,} segments, "
        f"{sum(d.words for d in report.added):,} words. "
        f"Already in the project: {len(report.duplicates)}. Failed: {len(report.failures)}."
    )
    if case or cases_file:
        click.echo(f"Assigned {report.cases_assigned} document(s) to cases.")
    if not report.ok:
        ctx.exit(1)


@cli.command()
@click.argument("cases_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def cases(ctx, cases_file, fmt):
    """List cases with their attributes; with CASES_FILE, apply it first.

    \b
    Examples:
      qualkit cases
      qualkit cases corpora/niot_case_study/cases.csv
    """
    with _open(ctx) as project:
        if cases_file:
            assigned, problems = project.assign_cases(cases_file)
            for problem in problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"Assigned {assigned} document(s) to cases.", err=True)
        rows = [
            {"case": name, "documents": n, **attributes}
            for name, attributes, n in project.cases()
        ]
    _emit(rows, fmt)
    if cases_file and problems:
        ctx.exit(1)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def status(ctx, fmt):
    """Summarise the project: documents, segments and words by kind, case and unit.

    \b
    Examples:
      qualkit status
      qualkit status --format json
    """
    with _open(ctx) as project:
        counts = project.status()
        path, version = project.path, project.store.schema_version
    if fmt != "table":
        rows = [
            {"by": column, "value": value, "documents": n_docs, "segments": n_segments, "words": n_words}
            for column in ("kind", "case", "unit")
            for value, n_docs, n_segments, n_words in counts[column]
        ]
        _emit(rows, fmt)
        return
    total = counts["kind"]
    click.echo(
        f"Project {path} (schema {version}): {sum(r[1] for r in total):,} documents, "
        f"{sum(r[2] for r in total):,} segments, {sum(r[3] for r in total):,} words."
    )
    for column in ("kind", "case", "unit"):
        click.echo("")
        rows = [
            [value if value is not None else "(none)", n_docs, n_segments, n_words]
            for value, n_docs, n_segments, n_words in counts[column]
        ]
        click.echo(_table([column, "documents", "segments", "words"], rows, {}))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def documents(ctx, fmt):
    """List the documents in the project.

    \b
    Example:
      qualkit documents --format csv > documents.csv
    """
    with _open(ctx) as project:
        rows = [
            {
                "name": d.name, "kind": d.kind.value, "unit": d.unit.value, "case": d.case,
                "words": d.words, "segments": d.segments, "source": d.source_path,
                "ingested_at": d.ingested_at,
            }
            for d in project.documents()
        ]
    _emit(rows, fmt, widths={"source": 40})


@cli.command()
@click.option("--document", "-d", "names", multiple=True, metavar="NAME", help="Only this document (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def segments(ctx, names, fmt):
    """List segments with their offsets, speaker, time and text.

    \b
    Examples:
      qualkit segments --document brookfield_leader.txt
      qualkit segments --format json > segments.json
    """
    with _open(ctx) as project:
        document_names = {d.id: d.name for d in project.documents()}
        rows = [
            {
                "document": document_names[s.document_id], "segment": s.ordinal,
                "start": s.start, "end": s.end, "unit": s.unit.value, "speaker": s.speaker,
                "time": _clock(s.timestamp), "text": s.text,
            }
            for s in project.segments(documents=names or None)
        ]
    _emit(rows, fmt, widths={"text": 70, "document": 32})


@cli.group()
def codebook():
    """Check, load and show codebooks.

    \b
    Example:
      qualkit codebook check codebooks/niot_coherent_offer.yaml
    """


def _codebook_summary(cb) -> str:
    themes = sum(1 for c in cb.codes if c.parent is None)
    patterns = sum(len(c.patterns) for c in cb.codable)
    excludes = sum(len(c.exclude_patterns) for c in cb.codable)
    return (
        f"Codebook {cb.name!r} version {cb.version}: {len(cb.codes)} codes ({themes} themes, "
        f"{len(cb.codable)} codable), {patterns} patterns, {excludes} exclude patterns, "
        f"{len(cb.links)} theory-of-change links, {len(cb.stages)} stages; hash {cb.sha256[:12]}."
    )


@codebook.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def codebook_check(file):
    """Validate a codebook file and compile its patterns; print a summary.

    Errors name the file, line and code key. No project is needed.

    \b
    Example:
      qualkit codebook check codebooks/niot_coherent_offer.yaml
    """
    from qualkit.codebook import load_codebook

    cb, warnings = load_codebook(file)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"OK: {_codebook_summary(cb)}")


@codebook.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def codebook_load(ctx, file):
    """Store a codebook (.yaml, or a REFI-QDA .qdc) in the project. An edited file becomes a new
    version; old ones are kept.

    \b
    Example:
      qualkit codebook load codebooks/niot_coherent_offer.yaml
    """
    with _open(ctx) as project:
        cb, codebook_id, created, warnings = project.load_codebook(file)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if created:
        click.echo(f"Loaded as codebook version {codebook_id}. {_codebook_summary(cb)}")
    else:
        click.echo(f"Already loaded: same content as codebook version {codebook_id}; nothing changed.")


@codebook.command("show")
@click.option("--version", "codebook_id", type=int, help="A stored version (default: the latest).")
@click.pass_context
def codebook_show(ctx, codebook_id):
    """Print the code tree of a stored codebook, with stages and pattern counts.

    \b
    Examples:
      qualkit codebook show
      qualkit codebook show --version 1
    """
    with _open(ctx) as project:
        codebook_id, cb = project.codebook(codebook_id)
    click.echo(f"{cb.name} (version {cb.version}, stored as {codebook_id}, hash {cb.sha256[:12]})")

    def show(parent, depth):
        for code in cb.children(parent):
            detail = f"{len(code.patterns)} patterns" if code.codable else "theme, not codable"
            stage = f" [{code.stage}]" if code.stage and depth == 0 else ""
            click.echo(f"{'  ' * (depth + 1)}{code.key}  {code.name}{stage}  ({detail})")
            show(code.key, depth + 1)

    show(None, 0)
    if cb.links:
        click.echo("Theory of change:")
        for link in cb.links:
            arrow = f"{link.source} -> {link.target}" if link.target else (
                f"{link.source} moderates {link.moderates[0]} -> {link.moderates[1]}"
            )
            click.echo(f"  {arrow}{f'  ({link.label})' if link.label else ''}")


@codebook.command("versions")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def codebook_versions(ctx, fmt):
    """List every stored codebook version.

    \b
    Example:
      qualkit codebook versions
    """
    with _open(ctx) as project:
        rows = [
            {
                "version": r["id"], "name": r["name"], "declared": r["version"], "codes": r["n_codes"],
                "suggestions": r["n_suggestions"], "hash": r["sha256"][:12], "file": r["source_path"],
                "loaded_at": r["loaded_at"],
            }
            for r in project.store.codebooks()
        ]
    _emit(rows, fmt)


def _parse_thresholds(values) -> tuple[float | None, dict[str, float]]:
    """--threshold 0.6 (all codes) and --threshold offer.npq=0.7 (one code)."""
    overall, per_code = None, {}
    for value in values:
        key, _, number = value.rpartition("=")
        try:
            parsed = float(number)
        except ValueError:
            raise click.BadParameter(f"{value!r}: use a number (0.6) or CODE=NUMBER (offer.npq=0.7)") from None
        if not 0 <= parsed <= 1:
            raise click.BadParameter(f"{value!r}: a threshold is a probability between 0 and 1")
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
@click.option("--document", "-d", "names", multiple=True, metavar="NAME", help="Only this document (repeatable).")
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
def code(ctx, codebook_file, names, include_interviewer, no_rules, no_model, workers, thresholds, engine, scheduler,
         parquet):
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
    with _open(ctx) as project, _ProgressBar("Coding") as progress:
        report = project.code(
            codebook_path=codebook_file, documents=names or None,
            include_interviewer=include_interviewer, use_rules=not no_rules, use_model=not no_model,
            threshold=threshold, thresholds=per_code or None, workers=workers, engine=engine or "local",
            scheduler=scheduler, parquet=parquet, on_progress=progress,
        )
    if report.resumed_from:
        click.echo(f"Resumed run {report.resumed_from}, which was interrupted: its finished pages were kept.")
    if report.partitions_skipped:
        click.echo(
            f"Resumed {report.parquet}: {report.partitions_skipped} partition(s) already there were skipped."
        )
    if report.parquet:
        rows = [[c.key, c.name, c.found] for c in report.counts]
        click.echo(_table(["code", "name", "segments"], rows, {"name": 40}))
    else:
        rows = [[c.key, c.name, c.found, c.new] for c in report.counts]
        click.echo(_table(["code", "name", "segments", "new"], rows, {"name": 40}))
    if report.refused_codes:
        click.echo(
            f"warning: the model ({report.model_version}) was trained under an older codebook version and "
            f"knows codes this version removed: {', '.join(report.refused_codes)}; it does not propose them. "
            "Retrain with `qualkit train`.",
            err=True,
        )
    sources = " and ".join(
        "rules" if source == "rule" else f"model {report.model_version}" for source in report.sources
    )
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
        f"version {report.codebook_version} (hash {report.codebook_sha256[:12]}) using {sources}: "
        f"{found}; {report.segments_without} segments with none; "
        f"{report.context_segments} interviewer turns skipped as context. Run {report.run_id}."
    )


@cli.command()
@click.option("--reviewer", metavar="NAME", help="Learn from this reviewer's decisions.")
@click.option("--consensus", metavar="RULE", help="Learn from the consensus: any, majority, all, adjudicator:NAME "
              "(the default is any).")
@click.pass_context
def train(ctx, reviewer, consensus):
    """Train one classifier per code from reviewers' decisions and the codebook's examples.

    Accepted = positive, rejected = negative; a segment whose suggestions were all reviewed is
    negative for the codes nobody accepted or added there; unreviewed segments are not used.
    Scores are cross-validated with folds grouped by document.

    \b
    Examples:
      qualkit train
      qualkit train --reviewer "Amira Khan"
    """
    with _open(ctx) as project, _ProgressBar("Training") as progress:
        report = project.train(reviewer=reviewer, consensus=consensus, on_progress=progress)
    rows = [
        [code, m["positives"], m["negatives"], _fmt(m.get("threshold")), _fmt(m.get("precision")),
         _fmt(m.get("recall")), _fmt(m.get("f1"))]
        for code, m in report.metrics.items()
    ]
    click.echo(_table(["code", "positives", "negatives", "threshold", "cv precision", "cv recall", "cv F1"], rows, {}))
    click.echo("(each code's threshold is the cut-off with the best out-of-fold F1, so cv F1 is slightly optimistic;"
               " `qualkit evaluate` scores at 0.5)")
    for code, why in report.skipped.items():
        click.echo(f"skipped {code}: {why}", err=True)
    f1s = [m["f1"] for m in report.metrics.values() if m.get("f1") is not None]
    macro = f"{sum(f1s) / len(f1s):.2f}" if f1s else "n/a"
    click.echo(
        f"Trained model {report.model_id} on {report.trained_on}: {report.training_size} examples, "
        f"{len(report.metrics)} codes (cross-validated macro F1 {macro}, folds grouped by document), "
        f"{len(report.skipped)} skipped. `qualkit code` now proposes with it."
    )


@cli.command()
@click.option("--reviewer", metavar="NAME", help="Score against this reviewer's decisions.")
@click.option("--consensus", metavar="RULE", help="Score against the consensus (default any).")
@click.option("--no-curve", is_flag=True, help="Skip the learning curve (faster).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def evaluate(ctx, reviewer, consensus, no_curve, fmt):
    """Precision, recall, F1 and kappa of rule and model suggestions against reviewers' decisions.

    The model is scored out of fold (folds grouped by document); the learning curve shows F1
    against the number of labelled segments.

    \b
    Examples:
      qualkit evaluate
      qualkit evaluate --reviewer "Ben Roberts" --format json
    """
    from qualkit.evaluation import evaluate as run

    with _open(ctx) as project:
        result = run(project, reviewer=reviewer, consensus=consensus, curve=not no_curve)
    if fmt != "table":
        if fmt == "json":
            click.echo(json.dumps({"scores": result.rows, "learning_curve": result.curve}, indent=2))
        else:
            _emit([{"table": "scores", **row} for row in result.rows], "csv")
            if result.curve:
                _emit([{"table": "learning_curve", **row} for row in result.curve], "csv")
        return
    rows = [
        [r["source"], r["code"], _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["f1"]), _fmt(r["kappa"]),
         r["n"], r["positives"]]
        for r in result.rows
    ]
    click.echo(_table(["source", "code", "precision", "recall", "F1", "kappa", "labels", "positives"], rows, {}))
    if result.curve:
        click.echo("\nLearning curve (model, cross-validated by document):")
        click.echo(_table(
            ["labelled segments", "labels", "macro F1", "codes"],
            [[c["labelled_segments"], c["labels"], _fmt(c["macro_f1"]), c["codes"]] for c in result.curve], {},
        ))
    overall = {r["source"]: r for r in result.rows if r["code"] == "(overall)"}
    click.echo(
        "Evaluated against " + (f"reviewer {reviewer}" if reviewer else f"consensus {consensus or 'any'}") + ": "
        + "; ".join(f"{source} F1 {row['f1']:.2f}" for source, row in overall.items()) + "."
    )


def _fmt(value) -> str:
    return "" if value is None else f"{value:.2f}"


@cli.command()
@click.option("--code", "codes", multiple=True, metavar="KEY", help="Only this code or theme (repeatable).")
@click.option("--document", "-d", "names", multiple=True, metavar="NAME", help="Only this document (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def suggestions(ctx, codes, names, fmt):
    """List suggested codes with their evidence.

    \b
    Examples:
      qualkit suggestions --code culture.trust
      qualkit suggestions --document harbour_leader.vtt --format csv
    """
    with _open(ctx) as project:
        rows = project.suggestions(codes=codes or None, documents=names or None)
    if fmt == "table":
        rows = [
            {k: row[k] for k in ("id", "document", "segment", "speaker", "code", "score", "evidence", "text")}
            for row in rows
        ]
    _emit(rows, fmt, widths={"text": 60, "evidence": 40, "document": 28})


@cli.group()
def export():
    """Export tables from the project.

    \b
    Example:
      qualkit export suggestions out/suggestions.xlsx
    """


@export.command("suggestions")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--code", "codes", multiple=True, metavar="KEY", help="Only this code or theme (repeatable).")
@click.option("--document", "-d", "names", multiple=True, metavar="NAME", help="Only this document (repeatable).")
@click.option("--consensus", default="any", show_default=True, help="any | majority | all | adjudicator:NAME")
@click.option("--reviewer", metavar="NAME", help="Status as this reviewer sees it instead of the consensus.")
@click.pass_context
def export_suggestions(ctx, out, codes, names, consensus, reviewer):
    """Write suggestions to OUT (.csv, .xlsx, .json or .parquet), one row per suggestion.

    \b
    Example:
      qualkit export suggestions out/suggestions.xlsx --code offer
    """
    with _open(ctx) as project:
        count = project.export_suggestions(
            out, codes=codes or None, documents=names or None, consensus=consensus, reviewer=reviewer
        )
    click.echo(f"Wrote {count} suggestions to {out}.")


_REVIEW_HELP = """Keys: a accept · r reject · s skip · u undo the last decision · n note for the next decision
      c add another code to this segment (Tab completes) · ? this help · q quit
Every decision is saved the moment you make it; run the same command again to resume."""


def _highlight(text: str, spans) -> str:
    """The segment text with evidence spans bold and underlined (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out.append(text[position:start])
        out.append(click.style(text[start:end], bold=True, underline=True, fg="yellow"))
        position = end
    out.append(text[position:])
    return "".join(out)


def _show_item(session, item) -> None:
    done, remaining = session.progress()
    click.echo("")
    click.echo(click.style(f"── {done} done · {remaining} remaining for this filter ──", fg="cyan"))
    where = " · ".join(
        part for part in (
            item.document, item.case, f"segment {item.ordinal}", item.speaker, _clock(item.timestamp)
        ) if part
    )
    click.echo(where)
    for context in item.before:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    click.echo(f"▶ {_highlight(item.text, item.evidence)}")
    for context in item.after:
        click.echo(click.style(f"  [{context.ordinal}] {context.speaker or ''}: {context.text}", dim=True))
    click.echo(click.style(f"Code: {item.code} — {item.code_name}", bold=True))
    click.echo(f"  Definition: {item.definition}")
    if item.include:
        click.echo(f"  Include: {'; '.join(item.include)}")
    if item.exclude:
        click.echo(f"  Exclude: {'; '.join(item.exclude)}")
    click.echo(f"  Why: {item.why}")
    if session.show_others:
        others = ", ".join(f"{name}: {verdict}" for name, verdict in item.others) or "none yet"
        click.echo(f"  Other reviewers: {others}")
    click.echo("[a]ccept [r]eject [s]kip [u]ndo [n]ote [c]ode [?]help [q]uit > ", nl=False)


def _ask_code(session) -> str | None:
    try:
        import readline

        def complete(text, state):
            options = session.complete_code(text)
            return options[state] if state < len(options) else None

        readline.set_completer(complete)
        readline.set_completer_delims(" ")
        readline.parse_and_bind("tab: complete")
    except ImportError:  # pragma: no cover - Windows without readline
        pass
    typed = click.prompt("code key (Tab completes, empty cancels)", default="", show_default=False).strip()
    if not typed:
        return None
    options = session.complete_code(typed)
    if typed in options:
        return typed
    if len(options) == 1:
        return options[0]
    click.echo(f"no single code starts with {typed!r}: {', '.join(options) or 'none'}")
    return None


def _review_loop(session) -> None:
    while True:
        item = session.current()
        if item is None:
            click.echo("\nNothing left to review for this filter.")
            return
        _show_item(session, item)
        key = click.getchar()
        click.echo(key)
        if key == "a":
            session.accept(item)
        elif key == "r":
            session.reject(item)
        elif key == "s":
            session.skip(item)
        elif key == "u":
            click.echo(session.undo() or "nothing to undo")
        elif key == "n":
            session.note(click.prompt("note", default="", show_default=False))
            click.echo("note kept for your next decision on this suggestion")
        elif key == "c":
            code_key = _ask_code(session)
            if code_key:
                try:
                    session.add_code(item, code_key)
                    click.echo(f"added {code_key} to this segment (manual, accepted)")
                except QualkitError as exc:
                    click.echo(f"error: {exc}")
        elif key == "?":
            click.echo(_REVIEW_HELP)
        elif key in ("q", "\x03", "\x04"):
            return
        else:
            click.echo(f"unknown key {key!r}; ? for help")


def _filters(codes, names, case):
    return {"codes": list(codes) or None, "documents": list(names) or None, "case": case}


_review_filters = [
    click.option("--code", "codes", multiple=True, metavar="KEY", help="Only this code or theme (repeatable)."),
    click.option("--document", "-d", "names", multiple=True, metavar="NAME", help="Only this document (repeatable)."),
    click.option("--case", metavar="NAME", help="Only documents of this case."),
]


def _with_filters(function):
    for option in reversed(_review_filters):
        function = option(function)
    return function


@cli.group(invoke_without_command=True)
@click.option("--reviewer", metavar="NAME", help="Who is reviewing (recorded with every decision).")
@_with_filters
@click.option("--order", type=click.Choice(["document", "score", "uncertainty"]), default="document", show_default=True)
@click.option("--show-others", is_flag=True, help="Show other reviewers' verdicts (review is blind by default).")
@click.pass_context
def review(ctx, reviewer, codes, names, case, order, show_others):
    """Review suggestions one at a time in the terminal: accept, reject, skip, undo, note, add a code.

    Without a terminal, use the spreadsheet flow (review export / review import) or review decide.

    \b
    Examples:
      qualkit review --reviewer alice --code culture
      qualkit review --reviewer alice --order score --case "Harbour Academy"
    """
    if ctx.invoked_subcommand is not None:
        return
    if not reviewer:
        raise click.UsageError("--reviewer NAME is required (decisions record who made them)")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.ClickException(
            "interactive review needs a terminal; without one, use `qualkit review export FILE.xlsx "
            "--reviewer NAME` and `qualkit review import FILE.xlsx`, or `qualkit review decide`"
        )
    with _open(ctx) as project:
        session = project.review_session(
            reviewer, order=order, show_others=show_others, **_filters(codes, names, case)
        )
        click.echo(_REVIEW_HELP)
        _review_loop(session)
        done, remaining = session.progress()
    click.echo(f"Decided {session.decided_here} this session; {done} done and {remaining} remaining for this filter.")


@review.command("decide")
@click.option("--reviewer", required=True, metavar="NAME")
@click.option("--accept", "accept", multiple=True, type=int, metavar="ID", help="Accept this suggestion (repeatable).")
@click.option("--reject", "reject", multiple=True, type=int, metavar="ID", help="Reject this suggestion (repeatable).")
@click.option("--note", help="A note stored with these decisions.")
@click.pass_context
def review_decide(ctx, reviewer, accept, reject, note):
    """Record decisions on suggestions by id (ids from `qualkit suggestions`).

    \b
    Example:
      qualkit review decide --reviewer alice --accept 12 --accept 15 --reject 13
    """
    if not accept and not reject:
        raise click.UsageError("give at least one --accept ID or --reject ID")
    with _open(ctx) as project:
        result = project.decide(reviewer, accept=accept, reject=reject, note=note)
    click.echo(f"Recorded {len(result.recorded)} decision(s); {len(result.unchanged)} already recorded as given.")


@review.command("undo")
@click.option("--reviewer", required=True, metavar="NAME")
@click.pass_context
def review_undo(ctx, reviewer):
    """Reverse the reviewer's last decision (the reversal is itself recorded).

    \b
    Example:
      qualkit review undo --reviewer alice
    """
    with _open(ctx) as project:
        undone = project.undo(reviewer)
    if undone is None:
        click.echo(f"{reviewer} has no decision to undo.")
    else:
        click.echo(f"Undid {reviewer}'s {undone.verdict.value} of suggestion {undone.suggestion_id}.")


@review.command("add")
@click.option("--reviewer", required=True, metavar="NAME")
@click.option("--document", "-d", required=True, metavar="NAME")
@click.option("--segment", required=True, type=int, metavar="N", help="Segment number within the document.")
@click.option("--code", required=True, metavar="KEY")
@click.option("--note")
@click.pass_context
def review_add(ctx, reviewer, document, segment, code, note):
    """Code a segment by hand with a code no rule proposed (source 'manual').

    \b
    Example:
      qualkit review add --reviewer alice -d harbour_leader.vtt --segment 7 --code culture.trust
    """
    with _open(ctx) as project:
        suggestion_id = project.add_code(reviewer, document=document, segment=segment, code=code, note=note)
    click.echo(
        f"Added {code} to segment {segment} of {document} as suggestion {suggestion_id}, accepted by {reviewer}."
    )


@review.command("accept-all")
@click.option("--reviewer", required=True, metavar="NAME")
@click.option("--code", required=True, metavar="KEY")
@click.option("--min-score", required=True, type=float, help="Accept only suggestions scoring at least this.")
@click.option("--document", "-d", "names", multiple=True, metavar="NAME")
@click.pass_context
def review_accept_all(ctx, reviewer, code, min_score, names):
    """Accept, explicitly and on the record, every pending suggestion of one code above a score.

    \b
    Example:
      qualkit review accept-all --reviewer alice --code offer.npq --min-score 0.75
    """
    with _open(ctx) as project:
        result = project.accept_all(reviewer, code=code, min_score=min_score, documents=names or None)
    click.echo(
        f"{reviewer} accepted {len(result.recorded)} pending {code} suggestion(s) with score >= {min_score} "
        "(logged as a bulk acceptance)."
    )


@review.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--reviewer", required=True, metavar="NAME")
@_with_filters
@click.pass_context
def review_export(ctx, out, reviewer, codes, names, case):
    """Write the reviewer's pending suggestions to a sheet with a decision drop-down (.xlsx or .csv).

    \b
    Example:
      qualkit review export alice.xlsx --reviewer alice --code culture
    """
    with _open(ctx) as project:
        count = project.export_review(out, reviewer, **_filters(codes, names, case))
    click.echo(
        f"Wrote {count} pending suggestion(s) for {reviewer} to {out}; "
        f"fill 'decision', then `qualkit review import {out}`."
    )


@review.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--reviewer", metavar="NAME", help="Reviewer for rows without a 'reviewer' column.")
@click.pass_context
def review_import(ctx, file, reviewer):
    """Read decisions back from a review sheet or a portable decisions file (.xlsx or .csv).

    Rows with an empty decision are left pending; bad rows are refused with their line.

    \b
    Examples:
      qualkit review import alice.xlsx
      qualkit review import corpora/niot_case_study/decisions.csv
    """
    with _open(ctx) as project:
        report = project.import_review(file, reviewer=reviewer)
    for line, reason in report.refused:
        click.echo(f"error: {file}:{line}: {reason}", err=True)
    click.echo(
        f"Recorded {report.recorded} decision(s) ({report.manual} codes added by hand); "
        f"{report.unchanged} already recorded; {report.blank} row(s) left blank; "
        f"{len(report.refused)} refused."
    )
    if report.refused:
        ctx.exit(1)


@review.command("status")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def review_status(ctx, fmt):
    """Per reviewer and code: pending, accepted, rejected (and the consensus under 'any').

    \b
    Example:
      qualkit review status --format csv
    """
    with _open(ctx) as project:
        rows = project.review_status()
    _emit(rows, fmt)


@export.command("qdpx")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--consensus", default="any", show_default=True, help="Which codings to export.")
@click.pass_context
def export_qdpx(ctx, out, consensus):
    """Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.

    \b
    Example:
      qualkit export qdpx out/project.qdpx
    """
    from qualkit.interchange import export_qdpx as run

    with _open(ctx) as project:
        count = run(project, out, consensus=consensus)
    click.echo(f"Wrote {out}: documents, codebook, cases and {count} codings (consensus {consensus}).")


@export.command("qdc")
@click.argument("out", type=click.Path(dir_okay=False))
@click.pass_context
def export_qdc(ctx, out):
    """Write the current codebook as a REFI-QDA codebook (.qdc).

    \b
    Example:
      qualkit export qdc out/codebook.qdc
    """
    from qualkit.interchange import export_qdc as run

    with _open(ctx) as project:
        count = run(project, out)
    click.echo(f"Wrote {count} codes to {out}.")


@cli.group("import")
def import_group():
    """Import from other programs, or suggestions coded elsewhere (code --to-parquet).

    \b
    Examples:
      qualkit import qdpx nvivo_export.qdpx
      qualkit import suggestions out/suggestions
    """


@import_group.command("suggestions")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.pass_context
def import_suggestions(ctx, folder):
    """Load the suggestions `qualkit code --to-parquet DIR` wrote, partition by partition.

    The folder must come from this project: its codebook version must be stored here and every
    segment it names must exist; otherwise nothing is written. Importing twice adds nothing twice.

    \b
    Example:
      qualkit code --engine dask --to-parquet out/suggestions && qualkit import suggestions out/suggestions
    """
    from qualkit.engine.parquet import import_suggestions as run

    with _open(ctx) as project, _ProgressBar("Importing") as progress:
        report = run(project, folder, on_progress=progress)
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
def import_qdpx(ctx, file):
    """Build the project from a REFI-QDA export: sources, codes, codings (as decisions), cases.

    Each coding becomes an accepted decision of the user who made it, so agreement between the
    other program's coders can be computed. Nothing is written if the file cannot be read.

    \b
    Example:
      qualkit -p imported.db init && qualkit -p imported.db import qdpx study.qdpx
    """
    from qualkit.interchange import import_qdpx as run

    with _open(ctx) as project:
        report = run(project, file)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Imported {report.documents} documents, {report.codes} codes, {report.codings} codings by "
        f"{len(report.users)} user(s) ({', '.join(report.users) or 'none named'}), {report.cases} cases; "
        f"{report.merged} duplicate codings merged; {len(report.warnings)} warning(s)."
    )


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--codes", metavar="KEY,...", help="Only these codes or themes.")
@click.option("--by", metavar="ATTRIBUTE", help="Split code frequencies by a case attribute (e.g. phase).")
@click.option("--consensus", default="any", show_default=True, help="any | majority | all | adjudicator:NAME")
@click.option("--include-pending", is_flag=True, help="Also show suggestions not yet reviewed (marked as such).")
@click.option("--title", help="The report's title.")
@click.pass_context
def report(ctx, out, codes, by, consensus, include_pending, title):
    """Write a Word report: method, frequencies, coded segments per code, framework matrix,
    theory-of-change evidence and the codebook.

    \b
    Example:
      qualkit report out/report.docx --by disadvantage
    """
    from qualkit.report import write_project_report

    keys = [k.strip() for k in codes.split(",")] if codes else None
    with _open(ctx) as project:
        data = write_project_report(project, out, title=title, codes=keys, by=by, consensus=consensus,
                                    include_pending=include_pending)
    pending = sum(1 for s in data.segments if s.status == "pending")
    click.echo(
        f"Wrote {out}: {len(data.segments)} coded segments ({pending} pending) under "
        f"{sum(1 for c in data.codes if c.codable)} codes, {len(data.toc_links)} theory-of-change links, "
        f"consensus {consensus}."
    )


@codebook.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["docx", "yaml", "csv"]), help="Default: from the suffix.")
@click.pass_context
def codebook_export(ctx, file, fmt):
    """Write the current codebook as a document for sign-off (.docx), or as .yaml or .csv.

    \b
    Example:
      qualkit codebook export out/codebook.docx
    """
    from qualkit.report import write_project_codebook

    with _open(ctx) as project:
        written = write_project_codebook(project, file, fmt=fmt)
    click.echo(f"Wrote the codebook to {file} ({written}).")


def _write_or_emit(frame, out, fmt, *, widths=None) -> None:
    """A DataFrame to --out FILE (format from the suffix) or to the screen."""
    if out:
        from qualkit.export.tables import write_table

        write_table(frame.to_dict("records"), out, columns=list(frame.columns))
        click.echo(f"Wrote {len(frame)} rows to {out}.")
        return
    rows = [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in frame.to_dict("records")]
    if fmt == "table":
        _emit([{k: ("" if v != v else v) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
              fmt, widths=widths)
    else:
        _emit(frame.to_dict("records") if fmt == "json" else rows, fmt, widths=widths)


def _where(values) -> dict[str, str]:
    where = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: use ATTRIBUTE=VALUE, e.g. phase=primary")
        where[key] = wanted
    return where


_analysis_options = [
    click.option("--consensus", default="any", show_default=True, help="any | majority | all | adjudicator:NAME"),
    click.option("--reviewer", metavar="NAME", help="One reviewer's codings instead of the consensus."),
    click.option("--include-pending", is_flag=True, help="Also count suggestions not yet reviewed (marked as such)."),
    click.option("--where", "where", multiple=True, metavar="ATTR=VALUE", help="Only codings with this attribute."),
]


def _with_analysis_options(function):
    for option in reversed(_analysis_options):
        function = option(function)
    return function


@export.command("codings")
@click.argument("out", type=click.Path(dir_okay=False))
@_with_analysis_options
@click.pass_context
def export_codings(ctx, out, consensus, reviewer, include_pending, where):
    """Write coded segments (one row per segment x code, with case attributes) to .csv/.xlsx/.parquet.

    \b
    Example:
      qualkit export codings out/codings.xlsx --consensus majority
    """
    from qualkit.analysis import codings
    from qualkit.export.tables import write_table

    with _open(ctx) as project:
        frame = codings(project, consensus=consensus, reviewer=reviewer, include_pending=include_pending,
                        where=_where(where))
    write_table(frame.to_dict("records"), out, sheet="codings", columns=list(frame.columns))
    pending = f" (including {int((frame['status'] == 'pending').sum())} pending)" if include_pending else ""
    click.echo(f"Wrote {len(frame)} codings{pending} to {out}.")


@cli.command()
@click.argument("analysis", type=click.Choice(["frequency", "cooccurrence", "framework", "compare", "toc"]))
@click.option("--by", metavar="ATTRIBUTE", help="Split by a case/document attribute (compare: default 'kind').")
@click.option("--window", type=int, default=None,
              help="Neighbouring segments counted together (co-occurrence: 0, toc: 1).")
@click.option("--diagram", type=click.Path(dir_okay=False), help="toc: also draw the theory of change (.png or .svg).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table to a file (format from the suffix).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@_with_analysis_options
@click.pass_context
def analyse(ctx, analysis, by, window, diagram, out, fmt, consensus, reviewer, include_pending, where):
    """Tables for the write-up: frequency, cooccurrence, framework, compare (intended vs enacted), toc.

    \b
    Examples:
      qualkit analyse frequency --by disadvantage
      qualkit analyse cooccurrence --window 1
      qualkit analyse framework --out out/framework.xlsx
      qualkit analyse compare --by kind
      qualkit analyse toc --diagram out/toc.png
    """
    from qualkit import analysis as A

    with _open(ctx) as project:
        _, codebook = project.codebook()
        frame = A.codings(project, consensus=consensus, reviewer=reviewer, include_pending=include_pending,
                          where=_where(where))
    if include_pending:
        click.echo(f"Including {int((frame['status'] == 'pending').sum())} pending (unreviewed) suggestions.", err=True)
    if analysis == "frequency":
        table = A.frequency(frame, codebook, by=by)
    elif analysis == "cooccurrence":
        table = A.cooccurrence(frame, window=window or 0)
    elif analysis == "framework":
        counts, quotes = A.framework(frame, codebook)
        table = counts.reset_index(names="case")
        for theme in counts.columns:
            table[f"{theme} quotes"] = [" | ".join(quotes.get((case, theme), ())) for case in counts.index]
    elif analysis == "compare":
        table = A.compare(frame, codebook, by=by or "kind")
    else:
        table, unevidenced = A.toc_evidence(frame, codebook, window=1 if window is None else window, by=by)
        table = table.assign(quotes=[" | ".join(f"{c}: {q}" for c, _, q in qs) for qs in table["quotes"]])
        if unevidenced:
            click.echo(f"No evidence for: {', '.join(unevidenced)}", err=True)
        if diagram:
            A.toc_diagram(codebook, table, frame, diagram, fmt=diagram.rsplit(".", 1)[-1].lower())
            click.echo(f"Drew the theory of change to {diagram}.", err=True)
    _write_or_emit(table, out, fmt, widths={"quotes": 60, "supporting_cases": 40, "name": 30, "label": 40})


@cli.command()
@click.option("--reviewers", metavar="A,B,...", help="Reviewers to compare (default: everyone who decided).")
@click.option("--code", "codes", multiple=True, metavar="KEY", help="Only this code or theme (repeatable).")
@click.option("--by", type=click.Choice(["document", "case"]), help="One table per document or case.")
@click.option("--machine", is_flag=True, help="Also treat the rule and model sources as coders.")
@click.option("--disagreements", "show_disagreements", is_flag=True, help="List the units coders disagree on.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table to a file (format from the suffix).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def agreement(ctx, reviewers, codes, by, machine, show_disagreements, out, fmt):
    """Inter-rater agreement per code and overall: percent, Cohen's kappa, Krippendorff's alpha.

    Units are segment x code pairs the reviewers judged (accepted, rejected, or left uncoded in a
    fully reviewed segment).

    \b
    Examples:
      qualkit agreement
      qualkit agreement --reviewers "Amira Khan,Ben Roberts" --disagreements
      qualkit agreement --machine --format csv
    """
    from qualkit import analysis as A

    names = [name.strip() for name in reviewers.split(",")] if reviewers else None
    with _open(ctx) as project:
        tables, disagreements = A.agreement(project, reviewers=names, codes=codes or None, by=by, machine=machine)
        segment_names = {}
        if show_disagreements:
            documents = {d.id: d.name for d in project.documents()}
            texts = project.store.segment_texts([unit[0] for unit, *_ in [(d.unit,) for d in disagreements]])
            segment_names = {sid: (documents[doc], ordinal, text) for sid, (doc, ordinal, text) in texts.items()}
    if by:
        import pandas as pd

        table = pd.concat([t.assign(**{by: value}) for value, t in tables.items()], ignore_index=True)
    else:
        table = tables
    _write_or_emit(table, out, fmt)
    if show_disagreements:
        rows = [
            {"document": segment_names[d.unit[0]][0], "segment": segment_names[d.unit[0]][1], "code": d.code,
             **{coder: value for coder, value in d.values.items()}, "text": segment_names[d.unit[0]][2]}
            for d in disagreements
        ]
        click.echo("")
        _emit(rows, fmt if fmt != "table" else "table", widths={"text": 60})
    overall = table[table["code"] == "(overall)"]
    if not overall.empty and not by:
        row = overall.iloc[0]
        click.echo(f"Overall: {row['percent']:.1f}% agreement, kappa {row['kappa']:.2f}, alpha {row['alpha']:.2f} "
                   f"over {int(row['n_units'])} units; {len(disagreements)} disagreements.")


def _clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def main() -> None:
    cli(prog_name="qualkit")
