"""A `code` run: rules and the latest model propose codes for every segment, page by page.

Moved out of project.py when the model joined the rules: the run is one idea (stream pages,
propose, store, count) and deserves its own module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qualkit.records import Segment


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
    previous: Segment | None = None
    pages = store.segment_pages(document_ids, page_size=page_size, after=after)
    current = next(pages, None)
    while current is not None:
        following = next(pages, None)
        stream = [previous, *current, following[0] if following else None]
        contexts = {}
        for before, segment, after in zip(stream, stream[1:], stream[2:], strict=False):
            parts = [
                s.text for s in (before, after) if s is not None and s.document_id == segment.document_id
            ]
            contexts[segment.id] = " ".join(parts)
        yield current, contexts
        previous = current[-1]
        current = following


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
    workers: int = 1,
    page_size: int = 2000,
    on_progress=None,
) -> CodeReport:
    """Run the rules and the latest trained model over segments and store what they propose.

    Idempotent: a suggestion already proposed (same segment, code and source) is not added
    again, so re-running adds nothing, and a new codebook version adds only what is new. An
    undecided model suggestion takes the newest model's score. Suggestions are written page by
    page, each page in one transaction, so a killed run leaves whole pages and can be rerun.
    """
    from qualkit.errors import QualkitError
    from qualkit.project import _now

    if not (use_rules or use_model):
        raise QualkitError("nothing to run: --no-rules and --no-model together leave no source of suggestions")
    if codebook_path:
        _, codebook_id, _, _ = project.load_codebook(codebook_path)
        codebook_id, codebook = project.codebook(codebook_id)
    else:
        codebook_id, codebook = project.codebook()
    for code in thresholds or {}:
        if code not in codebook.keys:
            raise QualkitError(f"--threshold names code {code!r}, which the codebook does not have")
    store = project.store
    document_ids = None if documents is None else [project.document_id(name) for name in documents]
    if workers < 1:
        raise QualkitError(f"--workers {workers}: use 1 or more processes")
    setup, model = _setup(project, codebook, use_rules=use_rules, use_model=use_model, threshold=threshold,
                          thresholds=thresholds, include_interviewer=include_interviewer, batch_size=batch_size)
    sources = tuple(name for name, on in (("rule", use_rules), ("model", model)) if on)
    parameters = {
        "codebook_sha256": codebook.sha256, "codebook_id": codebook_id,
        "codebook_version": str(codebook.version), "documents": list(documents or []),
        "include_interviewer": include_interviewer, "sources": list(sources),
        "model_version": model.version if model else None, "threshold": threshold, "thresholds": thresholds,
    }
    killed = store.unfinished_run("code", parameters)
    after = json.loads(killed["counts"]).get("last_segment_id", 0) if killed else 0
    run_id = store.start_run(command="code", parameters=parameters, started_at=_now())
    total = store.count_segments(document_ids)
    found: dict[str, int] = {}
    new_by_code: dict[str, int] = {}
    looked = skipped = without = model_found = 0
    done = store.count_segments(document_ids, up_to=after) if after else 0  # a killed run's share
    pages = pages_with_context(store, document_ids, after=after, page_size=page_size, contexts=model is not None)
    if workers > 1:
        from qualkit.engine.local import processes

        results = processes(setup, pages, workers=workers)
    else:
        from qualkit.engine.local import in_process

        results = in_process(setup, pages, model=model)
    for result in results:
        page, proposed, rule_batch, model_batch = (
            result.page, result.proposed, result.rule_suggestions, result.model_suggestions
        )
        skipped += result.skipped
        with store.transaction():
            for code, new in _insert_rules(store, rule_batch, codebook_id, run_id).items():
                new_by_code[code] = new_by_code.get(code, 0) + new
            if model_batch:
                for code in {s.code for s in model_batch}:
                    new = store.upsert_model_suggestions(
                        [s for s in model_batch if s.code == code],
                        codebook_id=codebook_id, run_id=run_id, model_version=model.version,
                    )
                    new_by_code[code] = new_by_code.get(code, 0) + new
            store.update_run_counts(
                run_id, {"last_segment_id": page[-1].id, "resumed_from": killed["id"] if killed else None}
            )
        model_found += len(model_batch)
        for codes in proposed.values():
            looked += 1
            without += not codes
            for code in codes:
                found[code] = found.get(code, 0) + 1
        done += len(page)
        if on_progress:
            on_progress(done, total, f"{done} segments")
    counts = tuple(
        CodeCount(code.key, code.name, found.get(code.key, 0), new_by_code.get(code.key, 0))
        for code in codebook.codable
    )
    store.finish_run(
        run_id,
        counts={
            "segments": looked, "context_segments": skipped, "segments_without": without,
            "suggestions": sum(found.values()), "new": sum(new_by_code.values()), "model_suggestions": model_found,
        },
        finished_at=_now(),
    )
    return CodeReport(
        codebook_id=codebook_id, codebook_name=codebook.name, codebook_version=str(codebook.version),
        codebook_sha256=codebook.sha256, run_id=run_id, segments=looked, context_segments=skipped,
        segments_without=without, counts=counts, sources=sources,
        model_version=model.version if model else None, model_suggestions=model_found,
        refused_codes=tuple(model.refused) if model else (), resumed_from=killed["id"] if killed else None,
        workers=workers,
    )


def _setup(project, codebook, *, use_rules: bool, use_model: bool, threshold, thresholds, include_interviewer: bool,
           batch_size: int):
    """(WorkerSetup, the model suggester or None): what the workers need, and the model's
    version and refused codes for the run's record."""
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
            model_bytes = pickle.dumps(trained)
            model_options = {"version": model.version, "thresholds": model.thresholds}
    setup = WorkerSetup(
        codebook_source=codebook.source, codebook_path=codebook.path, use_rules=use_rules, model_bytes=model_bytes,
        model_options=model_options, interviewers=frozenset(name.casefold() for name in project.interviewer_speakers()),
        include_interviewer=include_interviewer, batch_size=batch_size,
    )
    return setup, model


def _insert_rules(store, suggestions, codebook_id: int, run_id: int) -> dict[str, int]:
    """Insert rule suggestions (inside the caller's transaction); new ones counted per code."""
    by_code: dict[str, list] = {}
    for suggestion in suggestions:
        by_code.setdefault(suggestion.code, []).append(suggestion)
    return {
        code: store.insert_suggestions(items, codebook_id=codebook_id, run_id=run_id)
        for code, items in by_code.items()
    }
