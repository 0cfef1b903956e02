"""A `code` run: rules and the latest model propose codes for every segment, page by page.

Moved out of project.py when the model joined the rules: the run is one idea (stream pages,
propose, store, count) and deserves its own module.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qualkit.records import Segment

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class CodeCount:
    key: str
    name: str
    found: int  # segments this run proposed the code for (rules and model)
    new: int  # of those, not already proposed by an earlier run


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

    @property
    def found(self) -> int:
        return sum(c.found for c in self.counts)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.counts)


def pages_with_context(
    store, document_ids, *, page_size: int = 2000, after: int = 0, contexts: bool = True
) -> Iterator[tuple[list[Segment], dict[int, str] | None]]:
    """Pages of segments, each with every segment's context: its neighbours' text in the document.

    One page of look-ahead, so the last segment of a page still sees the next one. Only the
    model reads context; rules-only runs pass ``contexts=False`` and get None.
    """
    if not contexts:
        yield from ((page, None) for page in store.segment_pages(document_ids, page_size=page_size, after=after))
        return
    previous = _finished_segment(store, after)
    pages = store.segment_pages(document_ids, page_size=page_size, after=after)
    current = next(pages, None)
    while current is not None:
        following = next(pages, None)
        stream = [previous, *current, following[0] if following else None]
        contexts = {}
        for before, segment, next_one in zip(stream, stream[1:], stream[2:], strict=False):
            parts = [
                s.text for s in (before, next_one) if s is not None and s.document_id == segment.document_id
            ]
            contexts[segment.id] = " ".join(parts)
        yield current, contexts
        previous = current[-1]
        current = following


def _finished_segment(store, segment_id: int) -> Segment | None:
    """The last segment a killed run finished, which the first resumed segment reads as context
    (so a resumed run scores it as an uninterrupted one would)."""
    if not segment_id:
        return None
    page = next(store.segment_pages(None, page_size=1, after=segment_id - 1), None)
    return page[0] if page and page[0].id == segment_id else None


def run_code(
    project,
    *,
    codebook_path: str | os.PathLike | None = None,
    documents: Sequence[str] | None = None,
    include_interviewer: bool = False,
    use_rules: bool = True,
    use_model: bool = True,
    threshold: float | None = None,
    thresholds: dict[str, float] | None = None,
    batch_size: int = 512,
    workers: int | None = None,
    page_size: int = 2000,
    engine: str = "local",
    scheduler: str | None = None,
    parquet: str | os.PathLike | None = None,
    on_progress=None,
) -> CodeReport:
    """Run the rules and the latest trained model over segments and store what they propose.

    Idempotent: a suggestion already proposed (same segment, code and source) is not added
    again, so re-running adds nothing, and a new codebook version adds only what is new. An
    undecided model suggestion takes the newest model's score. Suggestions are written page by
    page, each page in one transaction, so a killed run leaves whole pages and can be rerun.

    ``engine`` says where proposing runs: ``"local"`` (this process, or ``workers`` processes) or
    ``"dask"`` (the Dask cluster at ``scheduler``, or a local cluster of ``workers`` processes, one
    per core by default). Either way this process is the single writer. With ``parquet`` (a folder)
    the suggestions go to partitioned Parquet instead of the project, to be loaded with
    :func:`qualkit.engine.parquet.import_suggestions`; a rerun into the folder skips finished pages.
    """
    from qualkit.errors import EngineError, NotFoundError
    from qualkit.store import utc_timestamp

    if not (use_rules or use_model):
        raise EngineError("nothing to run: --no-rules and --no-model together leave no source of suggestions")
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}: use {' or '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise EngineError(f"a scheduler ({scheduler}) needs the Dask engine: use engine 'dask' (--engine dask)")
    if workers is None:
        workers = (os.cpu_count() or 1) if engine == "dask" else 1
    if workers < 1:
        raise EngineError(f"--workers {workers}: use 1 or more processes")
    if codebook_path:
        _, codebook_id, _, _ = project.load_codebook(codebook_path)
        codebook_id, codebook = project.codebook(codebook_id)
    else:
        codebook_id, codebook = project.codebook()
    for code in thresholds or {}:
        if code not in codebook.keys:
            raise NotFoundError(f"--threshold names code {code!r}, which the codebook does not have")
    store = project.store
    document_ids = None if documents is None else [project.document_id(name) for name in documents]
    setup, model = _setup(project, codebook, use_rules=use_rules, use_model=use_model, threshold=threshold,
                          thresholds=thresholds, include_interviewer=include_interviewer, batch_size=batch_size,
                          ship_model=engine == "dask" or workers > 1)
    sources = tuple(name for name, on in (("rule", use_rules), ("model", model)) if on)
    parameters = {
        "codebook_sha256": codebook.sha256, "codebook_id": codebook_id,
        "codebook_version": str(codebook.version), "documents": list(documents or []),
        "include_interviewer": include_interviewer, "sources": list(sources),
        "model_version": model.version if model else None, "threshold": threshold, "thresholds": thresholds,
    }
    sink = killed = None
    if parquet is not None:
        from qualkit.engine.parquet import ParquetSink, project_identity

        # page_size fixes the partitions' boundaries, so a rerun must keep it to find its pages done
        sink = ParquetSink(parquet, parameters={**parameters, "page_size": page_size},
                           project=project_identity(project), started_at=utc_timestamp())
        parameters["to_parquet"] = str(sink.folder.resolve())
    else:
        killed = store.unfinished_run("code", parameters)
    after = json.loads(killed["counts"]).get("last_segment_id", 0) if killed else 0
    total = store.count_segments(document_ids)
    done = store.count_segments(document_ids, up_to=after) if after else 0  # a killed run's share
    pages = pages_with_context(store, document_ids, after=after, page_size=page_size, contexts=model is not None)
    if sink is not None:
        pages = _unwritten(pages, sink)
    # The engine connects (and may fail on a bad scheduler) before the run is recorded.
    results, ran_on, workers = _engine(setup, pages, engine=engine, scheduler=scheduler, workers=workers, model=model)
    found: dict[str, int] = {}
    new_by_code: dict[str, int] = {}
    looked = skipped = without = model_found = 0
    with contextlib.closing(results):
        run_id = store.start_run(command="code", parameters=parameters, started_at=utc_timestamp())
        for result in results:
            page = result.page
            skipped += result.skipped
            if sink is not None:
                rows = [*result.rule_rows, *result.model_rows]
                sink.write(page, rows, model_version=model.version if model else None)
                store.update_run_counts(run_id, {"last_segment_id": page[-1].id, "partitions": sink.written})
            else:
                with store.transaction():
                    for code, rows in _by_code(result.rule_rows).items():
                        new = store.insert_suggestion_rows(rows, codebook_id=codebook_id, run_id=run_id)
                        new_by_code[code] = new_by_code.get(code, 0) + new
                    for code, rows in _by_code(result.model_rows).items():
                        new = store.upsert_model_rows(
                            rows, codebook_id=codebook_id, run_id=run_id, model_version=model.version
                        )
                        new_by_code[code] = new_by_code.get(code, 0) + new
                    store.update_run_counts(
                        run_id, {"last_segment_id": page[-1].id, "resumed_from": killed["id"] if killed else None}
                    )
            model_found += len(result.model_rows)
            looked += result.looked
            without += result.without
            for code, count in result.found.items():
                found[code] = found.get(code, 0) + count
            done += len(page)
            if on_progress:
                on_progress(done + (sink.skipped_segments if sink else 0), total, f"{done} segments")
    counts = tuple(
        CodeCount(code.key, code.name, found.get(code.key, 0), new_by_code.get(code.key, 0))
        for code in codebook.codable
    )
    run_counts = {
        "segments": looked, "context_segments": skipped, "segments_without": without,
        "suggestions": sum(found.values()), "new": sum(new_by_code.values()), "model_suggestions": model_found,
    }
    if sink is not None:
        run_counts.update(partitions_written=sink.written, partitions_skipped=sink.skipped)
        written = {key: value for key, value in run_counts.items() if key != "new"}  # new is known on import
        sink.finish(finished_at=utc_timestamp(), counts={**written, "run_id": run_id})
    store.finish_run(run_id, counts=run_counts, finished_at=utc_timestamp())
    return CodeReport(
        codebook_id=codebook_id, codebook_name=codebook.name, codebook_version=str(codebook.version),
        codebook_sha256=codebook.sha256, run_id=run_id, segments=looked, context_segments=skipped,
        segments_without=without, counts=counts, sources=sources,
        model_version=model.version if model else None, model_suggestions=model_found,
        refused_codes=tuple(model.refused) if model else (), resumed_from=killed["id"] if killed else None,
        workers=workers, engine=engine, ran_on=ran_on, parquet=str(sink.folder) if sink else None,
        partitions_written=sink.written if sink else 0, partitions_skipped=sink.skipped if sink else 0,
    )


def _engine(setup, pages, *, engine: str, scheduler: str | None, workers: int, model):
    """(page results, where they run, how many workers): close the results when the run ends."""
    if engine == "dask":
        from qualkit.engine.dask import dask_results

        results = dask_results(setup, pages, scheduler=scheduler, workers=workers)
        return results, f"on {results.description}", results.workers
    if workers > 1:
        from qualkit.engine.local import processes

        return processes(setup, pages, workers=workers), f"in {workers} local processes", workers
    from qualkit.engine.local import in_process

    return in_process(setup, pages, model=model), "in this process", 1


def _unwritten(pages, sink):
    """The pages an interrupted run into the same folder has not written yet."""
    for page, contexts in pages:
        if sink.has(page):
            sink.skip(page)
        else:
            yield page, contexts


def _setup(project, codebook, *, use_rules: bool, use_model: bool, threshold, thresholds, include_interviewer: bool,
           batch_size: int, ship_model: bool):
    """(WorkerSetup, the model suggester or None): what the workers need, and the model's
    version and refused codes for the run's record. ``ship_model``: pickle the model into the
    setup for other processes; an in-process run uses the loaded one and skips the copy."""
    import pickle

    from qualkit.engine.work import WorkerSetup

    model = model_bytes = None
    model_options: dict = {}
    if use_model:
        from qualkit.suggest.training import load_latest_model

        loaded = load_latest_model(project)
        if loaded is not None:
            from qualkit.suggest.model import ModelSuggester

            model_id, trained = loaded
            model = ModelSuggester(
                trained, codebook, version=f"model-{model_id}", thresholds=thresholds, threshold=threshold
            )
            model_bytes = pickle.dumps(trained) if ship_model else None
            model_options = {"version": model.version, "thresholds": model.thresholds}
    setup = WorkerSetup(
        codebook_source=codebook.source, codebook_path=codebook.path, use_rules=use_rules, model_bytes=model_bytes,
        model_options=model_options, interviewers=frozenset(name.casefold() for name in project.interviewer_speakers()),
        include_interviewer=include_interviewer, batch_size=batch_size,
    )
    return setup, model


def _by_code(rows) -> dict[str, list[tuple]]:
    """Suggestion rows grouped by code, so new suggestions can be counted per code."""
    by_code: dict[str, list[tuple]] = {}
    for row in rows:
        by_code.setdefault(row[1], []).append(row)
    return by_code
