"""A `code` run: rules and the latest model propose codes for every segment, page by page.

The run streams pages of segments (with their neighbours as context when the model reads it) to
an :class:`~qualkit.engine.Engine`, and writes each page's results through a sink: the project
(:class:`~qualkit.sinks.ProjectSink`) or partitioned Parquet (:class:`~qualkit.sinks.ParquetSink`).
This process is the only writer; each page is durable on its own, so a killed run resumes.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.errors import EngineError, NotFoundError
from qualkit.interviewers import as_interviewers
from qualkit.records import ModelInfo, Run, Segment
from qualkit.store import utc_timestamp

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.engine.work import Page, PageResult, WorkerSetup
    from qualkit.progress import Progress
    from qualkit.sinks import ParquetSink, ProjectIdentity
    from qualkit.store import Store
    from qualkit.suggest.model import ModelSuggester
    from qualkit.suggest.scorer import Scorer


@dataclass(frozen=True)
class CodeOptions:
    """How a `code` run proposes and where it writes; see :func:`run_code`."""

    include_interviewer: bool = False
    use_rules: bool = True
    use_model: bool = True
    threshold: float | None = None  # the model's cut-off for every code, instead of the trained ones
    thresholds: Mapping[str, float] = field(default_factory=dict)  # ... or per code
    batch_size: int = 512
    page_size: int = 2000
    workers: int | None = None  # default: 1, or one per core on a local Dask cluster
    engine: str = "local"  # local | dask
    scheduler: str | None = None  # a Dask scheduler's address
    parquet: str | None = None  # write partitioned Parquet to this folder instead of the project

    def check(self, codebook: Codebook) -> None:
        if not (self.use_rules or self.use_model):
            raise EngineError("nothing to run: --no-rules and --no-model together leave no source of suggestions")
        for code in self.thresholds:
            if code not in codebook.keys:
                raise NotFoundError(f"--threshold names code {code!r}, which the codebook does not have")

    @property
    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        return (os.cpu_count() or 1) if self.engine == "dask" else 1


@dataclass(frozen=True)
class CodeCount:
    key: str
    name: str
    found: int  # segments this run proposed the code for (rules and model)
    new: int  # of those, not already proposed by an earlier run


@dataclass(frozen=True)
class CodingFailure:
    """A segment a run could not code (the others were coded), and why."""

    document: str
    segment: int
    reason: str


@dataclass(frozen=True)
class CodeReport:
    """What one `code` run did."""

    codebook_id: int
    codebook_name: str
    codebook_version: str
    codebook_sha256: str
    run_id: int
    segments: int  # segments looked at
    context_segments: int  # interviewer turns skipped as context
    segments_without: int  # segments looked at that got no suggestion
    counts: tuple[CodeCount, ...]
    sources: tuple[str, ...] = ("rule",)
    model_version: str | None = None
    model_suggestions: int = 0
    refused_codes: tuple[str, ...] = ()  # the model knows them; the codebook no longer has them
    resumed_from: int | None = None  # the killed run this one finished
    workers: int = 1
    engine: str = "local"
    ran_on: str = "in this process"  # e.g. "in 2 local processes", "on Dask (4 workers, local cluster)"
    parquet: str | None = None  # the folder the suggestions went to instead of the project
    partitions_written: int = 0
    partitions_skipped: int = 0  # already in the folder from an interrupted run
    failures: tuple[CodingFailure, ...] = ()  # segments that could not be coded; the rest were
    withdrawn: int = 0  # undecided machine suggestions the scorer's one decision per segment x code replaced

    @property
    def found(self) -> int:
        return sum(c.found for c in self.counts)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.counts)


@dataclass
class _Tally:
    """What a run has counted so far, page by page."""

    found: dict[str, int] = field(default_factory=dict)
    new: dict[str, int] = field(default_factory=dict)
    looked: int = 0
    skipped: int = 0
    without: int = 0
    model_found: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    def add(self, result: PageResult, new: Mapping[str, int]) -> None:
        self.failures += result.failures
        self.looked += result.looked
        self.skipped += result.skipped
        self.without += result.without
        self.model_found += len(result.model_rows)
        for code, count in result.found.items():
            self.found[code] = self.found.get(code, 0) + count
        for code, count in new.items():
            self.new[code] = self.new.get(code, 0) + count

    def counts(self) -> dict[str, int]:
        return {
            "segments": self.looked, "context_segments": self.skipped, "segments_without": self.without,
            "suggestions": sum(self.found.values()), "new": sum(self.new.values()),
            "model_suggestions": self.model_found, "failed_segments": len(self.failures),
        }


def pages_with_context(
    store: Store, document_ids: Sequence[int] | None, *, page_size: int = 2000, after: int = 0,
    with_context: bool = True,
) -> Iterator[Page]:
    """Pages of segments, each with every segment's context: its neighbours' text in the document.

    One page of look-ahead, so the last segment of a page still sees the next one. Only the
    model reads context; rules-only runs pass ``with_context=False`` and get None.
    """
    pages = store.documents.segment_pages(document_ids, page_size=page_size, after=after)
    if not with_context:
        yield from ((page, None) for page in pages)
        return
    # the last segment a killed run finished, which the first resumed segment reads as context
    # (so a resumed run scores it as an uninterrupted one would)
    previous: Segment | None = store.documents.segment(after) if after else None
    current = next(pages, None)
    while current is not None:
        following = next(pages, None)
        stream = [previous, *current, following[0] if following else None]
        contexts: dict[int, str] = {}
        for before, segment, next_one in zip(stream, stream[1:], stream[2:], strict=False):
            assert segment is not None
            parts = [s.text for s in (before, next_one) if s is not None and s.document_id == segment.document_id]
            contexts[segment.id] = " ".join(parts)
        yield current, contexts
        previous = current[-1]
        current = following


def run_code(
    store: Store, *, codebook_id: int, codebook: Codebook, document_ids: Sequence[int] | None = None,
    documents: Sequence[str] = (), model: tuple[ModelInfo, Scorer] | None = None,
    interviewers: Collection[str] = (), identity: ProjectIdentity | None = None,
    options: CodeOptions | None = None, on_progress: Progress | None = None,
) -> CodeReport:
    """Run the rules and ``model`` over segments (of ``document_ids``, or all) and store what they propose.

    Idempotent: a suggestion already proposed (same segment, code and source) is not added
    again, so re-running adds nothing, and a new codebook version adds only what is new. An
    undecided model suggestion takes the newest model's score. Suggestions are written page by
    page, each page in one transaction, so a killed run leaves whole pages and can be rerun.
    With ``options.parquet`` (a folder) the suggestions go to partitioned Parquet instead, to be
    loaded with :func:`qualkit.staged.import_suggestions`; a rerun into the folder skips finished
    pages. ``identity`` (which project this is) is needed for Parquet.
    """
    from qualkit.engine import open_engine
    from qualkit.engine.work import passages

    options = options or CodeOptions()
    options.check(codebook)
    setup, suggester = _setup(codebook, model if options.use_model else None, options=options,
                              interviewers=interviewers)
    sources = tuple(name for name, on in (("rule", options.use_rules), ("model", suggester)) if on)
    parameters: dict[str, Any] = {
        "codebook_sha256": codebook.sha256, "codebook_id": codebook_id, "codebook_version": str(codebook.version),
        "documents": list(documents), "include_interviewer": options.include_interviewer, "sources": list(sources),
        "model_version": suggester.version if suggester else None, "threshold": options.threshold,
        "thresholds": dict(options.thresholds) or None,
        # who decides each code under a trained scorer: its own proposals replace undecided ones of the other source
        "ownership": {"model": sorted(suggester.codes), "rules": sorted(suggester.rule_codes)}
        if suggester is not None and options.use_rules else None,
    }
    parquet: ParquetSink | None = None
    killed: Run | None = None
    if options.parquet is not None:
        parquet = _parquet_sink(options, parameters, identity)
        parameters["to_parquet"] = str(parquet.folder.resolve())
    else:
        killed = store.runs.unfinished("code", parameters)
    after = int(killed.counts.get("last_segment_id", 0)) if killed else 0
    total = store.documents.count_segments(document_ids)
    done = store.documents.count_segments(document_ids, up_to=after) if after else 0  # a killed run's share
    pages = pages_with_context(store, document_ids, after=after, page_size=options.page_size,
                               with_context=suggester is not None)
    if parquet is not None:
        pages = _unwritten(pages, parquet)
    # The engine connects (and may fail on a bad scheduler) before the run is recorded.
    engine = open_engine(options.engine, setup, workers=options.worker_count, scheduler=options.scheduler,
                         model=suggester)
    tally = _Tally()
    sink = None
    try:
        run_id = store.runs.start(command="code", parameters=parameters, started_at=utc_timestamp())
        if parquet is None:
            from qualkit.sinks import Ownership, ProjectSink

            ownership = Ownership.of(parameters["ownership"])
            sink = ProjectSink(store, codebook_id=codebook_id, run_id=run_id, ownership=ownership)
        for result in engine.results(pages):
            page = result.page
            failed = {segment_id for segment_id, _ in result.failures}
            looked = [item[0] for item in passages(setup, page) if item[0] not in failed]
            if parquet is not None:
                parquet.write(page, [*result.rule_rows, *result.model_rows],
                              model_version=suggester.version if suggester else None, looked=looked)
                store.runs.update_counts(run_id, {"last_segment_id": page[-1].id, "partitions": parquet.written})
                new: Mapping[str, int] = {}
            else:
                assert sink is not None
                model_rows = {suggester.version: result.model_rows} if suggester and result.model_rows else {}
                new = sink.write(result.rule_rows, model_rows, segment_ids=looked, progress={
                    "last_segment_id": page[-1].id, "resumed_from": killed.id if killed else None,
                    "withdrawn": sink.withdrawn,
                })
            tally.add(result, new)
            done += len(page)
            if on_progress:
                on_progress(done + (parquet.skipped_segments if parquet else 0), total, f"{done} segments")
    finally:
        engine.close()
    run_counts: dict[str, Any] = tally.counts()
    withdrawn = sink.withdrawn if sink is not None else 0
    run_counts["withdrawn"] = withdrawn
    if parquet is not None:
        run_counts.update(partitions_written=parquet.written, partitions_skipped=parquet.skipped)
        written = {key: value for key, value in run_counts.items() if key != "new"}  # new is known on import
        parquet.finish(finished_at=utc_timestamp(), counts={**written, "run_id": run_id})
    store.runs.finish(run_id, counts=run_counts, finished_at=utc_timestamp())
    return CodeReport(
        codebook_id=codebook_id, codebook_name=codebook.name, codebook_version=str(codebook.version),
        codebook_sha256=codebook.sha256, run_id=run_id, segments=tally.looked, context_segments=tally.skipped,
        segments_without=tally.without,
        counts=tuple(CodeCount(code.key, code.name, tally.found.get(code.key, 0), tally.new.get(code.key, 0))
                     for code in codebook.codable),
        sources=sources, model_version=suggester.version if suggester else None, model_suggestions=tally.model_found,
        refused_codes=tuple(suggester.refused) if suggester else (), resumed_from=killed.id if killed else None,
        workers=engine.workers, engine=options.engine, ran_on=engine.description,
        parquet=str(parquet.folder) if parquet else None, partitions_written=parquet.written if parquet else 0,
        partitions_skipped=parquet.skipped if parquet else 0, failures=_failures(store, tally.failures),
        withdrawn=withdrawn,
    )


def _failures(store: Store, failures: Sequence[tuple[int, str]]) -> tuple[CodingFailure, ...]:
    if not failures:
        return ()
    names = {d.id: d.name for d in store.documents.infos()}
    segments = store.documents.segments_by_id([segment_id for segment_id, _ in failures])
    return tuple(
        CodingFailure(names[segments[segment_id].document_id], segments[segment_id].ordinal, reason)
        for segment_id, reason in failures
    )


def _parquet_sink(options: CodeOptions, parameters: Mapping[str, Any],
                  identity: ProjectIdentity | None) -> ParquetSink:
    from qualkit.sinks import ParquetSink

    if identity is None:
        raise EngineError("writing suggestions to Parquet needs the project's identity (Project.code passes it)")
    assert options.parquet is not None
    # page_size fixes the partitions' boundaries, so a rerun must keep it to find its pages done
    return ParquetSink(options.parquet, parameters={**parameters, "page_size": options.page_size},
                       project=identity, started_at=utc_timestamp())


def _unwritten(pages: Iterator[Page], sink: ParquetSink) -> Iterator[Page]:
    """The pages an interrupted run into the same folder has not written yet."""
    for page, contexts in pages:
        if sink.has(page):
            sink.skip(page)
        else:
            yield page, contexts


def _setup(codebook: Codebook, model: tuple[ModelInfo, Scorer] | None, *, options: CodeOptions,
           interviewers: Collection[str]) -> tuple[WorkerSetup, ModelSuggester | None]:
    """(what the workers need, the model suggester or None). Workers in other processes get the
    model serialised into the setup (as it is stored: data, never pickle); an in-process run uses
    the loaded one and skips the copy."""
    from qualkit.engine.work import WorkerSetup

    suggester = model_bytes = None
    model_options: dict[str, Any] = {}
    if model is not None:
        from qualkit.suggest.model import ModelSuggester

        info, trained = model
        suggester = ModelSuggester(trained, codebook, version=info.version, thresholds=dict(options.thresholds),
                                   threshold=options.threshold)
        ships = options.engine == "dask" or options.worker_count > 1
        if ships:
            from qualkit.suggest.storage import dumps

            model_bytes = dumps(trained)
        model_options = {"version": suggester.version, "thresholds": suggester.thresholds}
    setup = WorkerSetup(
        codebook_source=codebook.source, codebook_path=codebook.path, use_rules=options.use_rules,
        model_bytes=model_bytes, model_options=model_options,
        interviewers=as_interviewers(interviewers),  # names, or names per document too (issue #18)
        include_interviewer=options.include_interviewer, batch_size=options.batch_size,
    )
    return setup, suggester
