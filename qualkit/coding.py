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


def is_interviewer(speaker: str | None, names: set[str]) -> bool:
    """'Interviewer', 'interviewer 2' and 'INT1' are interviewers when 'Interviewer'/'INT' are."""
    if not speaker:
        return False
    return speaker.casefold().rstrip("0123456789 ") in names


def pages_with_context(
    store, document_ids, *, page_size: int = 2000, after: int = 0
) -> Iterator[tuple[list[Segment], dict[int, str]]]:
    """Pages of segments, each with every segment's context: its neighbours' text in the document.

    One page of look-ahead, so the last segment of a page still sees the next one.
    """
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
    from qualkit.suggest.rules import RuleSuggester

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
    rules = RuleSuggester(codebook) if use_rules else None
    model = None
    if use_model:
        from qualkit.suggest.training import load_latest_model

        loaded = load_latest_model(project)
        if loaded is not None:
            from qualkit.suggest.model import ModelSuggester

            model_id, trained = loaded
            model = ModelSuggester(
                trained, codebook, version=f"model-{model_id}", thresholds=thresholds, threshold=threshold
            )
    interviewers = {name.casefold() for name in project.interviewer_speakers()}
    sources = tuple(name for name, on in (("rule", rules), ("model", model)) if on is not None)
    parameters = {
        "codebook_sha256": codebook.sha256, "codebook_id": codebook_id,
        "codebook_version": str(codebook.version), "documents": list(documents or []),
        "include_interviewer": include_interviewer, "sources": list(sources),
        "model_version": model.version if model else None, "threshold": threshold, "thresholds": thresholds,
    }
    if workers < 1:
        raise QualkitError(f"--workers {workers}: use 1 or more processes")
    killed = store.unfinished_run("code", parameters)
    after = json.loads(killed["counts"]).get("last_segment_id", 0) if killed else 0
    run_id = store.start_run(command="code", parameters=parameters, started_at=_now())
    total = store.count_segments(document_ids)
    found: dict[str, int] = {}
    new_by_code: dict[str, int] = {}
    looked = skipped = without = model_found = 0
    done = _count_before(store, document_ids, after)
    if workers > 1:
        results = _parallel(codebook, rules, model, interviewers, include_interviewer, store, document_ids, after,
                            workers=workers, batch_size=batch_size, page_size=page_size)
    else:
        results = (
            (page, *_propose(rules, model, page, contexts, interviewers, include_interviewer, batch_size))
            for page, contexts in pages_with_context(store, document_ids, after=after, page_size=page_size)
        )
    for page, skipped_here, proposed, rule_batch, model_batch in results:
        skipped += skipped_here
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


def _count_before(store, document_ids, after: int) -> int:
    """Segments a killed run already finished (for the progress bar of the run resuming it)."""
    return sum(1 for s in store.segments(document_ids) if s.id <= after) if after else 0


def _propose(rules, model, page, contexts, interviewers, include_interviewer, batch_size):
    """What rules and model propose for one page: (skipped, proposed codes per segment, rule and
    model suggestions). The same function runs in-process and in worker processes."""
    data = [s for s in page if include_interviewer or not is_interviewer(s.speaker, interviewers)]
    proposed: dict[int, set[str]] = {s.id: set() for s in data}
    rule_batch, model_batch = [], []
    if rules:
        for segment, suggestions in rules.pipe(data, batch_size=batch_size):
            rule_batch += suggestions
            proposed[segment.id] |= {s.code for s in suggestions}
    if model:
        for segment, suggestions in model.pipe(((s, contexts[s.id]) for s in data), batch_size=batch_size):
            model_batch += suggestions
            proposed[segment.id] |= {s.code for s in suggestions}
    return len(page) - len(data), proposed, rule_batch, model_batch


_WORKER: dict = {}


def _worker_start(codebook_source: str, codebook_path: str, use_rules: bool, model_bytes: bytes | None,
                  model_options: dict, interviewers: set, include_interviewer: bool, batch_size: int) -> None:
    """Build the matchers and load the model once per worker process."""
    import pickle

    from qualkit.codebook import parse_codebook
    from qualkit.suggest.rules import RuleSuggester

    codebook, _ = parse_codebook(codebook_source, path=codebook_path, compile_patterns=False)
    model = None
    if model_bytes is not None:
        from qualkit.suggest.model import ModelSuggester

        model = ModelSuggester(pickle.loads(model_bytes), codebook, **model_options)  # noqa: S301 - our own model
    _WORKER.update(rules=RuleSuggester(codebook) if use_rules else None, model=model,
                   interviewers=interviewers, include=include_interviewer, batch_size=batch_size)


def _worker_page(page, contexts):
    w = _WORKER
    return _propose(w["rules"], w["model"], page, contexts, w["interviewers"], w["include"], w["batch_size"])


def _parallel(codebook, rules, model, interviewers, include_interviewer, store, document_ids, after, *,
              workers, batch_size, page_size):
    """Pages farmed out to worker processes; results come back in order to the single writer.
    At most two pages per worker are in flight, so memory stays flat however big the corpus."""
    import pickle
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    model_bytes = pickle.dumps(model.model) if model else None
    model_options = {"version": model.version, "thresholds": model.thresholds} if model else {}
    initargs = (codebook.source, codebook.path, rules is not None, model_bytes, model_options, interviewers,
                include_interviewer, batch_size)
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_start, initargs=initargs) as pool:
        pending: deque = deque()
        for page, contexts in pages_with_context(store, document_ids, after=after, page_size=page_size):
            pending.append((page, pool.submit(_worker_page, page, contexts)))
            if len(pending) >= 2 * workers:
                page_done, future = pending.popleft()
                yield (page_done, *future.result())
        while pending:
            page_done, future = pending.popleft()
            yield (page_done, *future.result())


def _insert_rules(store, suggestions, codebook_id: int, run_id: int) -> dict[str, int]:
    """Insert rule suggestions (inside the caller's transaction); new ones counted per code."""
    by_code: dict[str, list] = {}
    for suggestion in suggestions:
        by_code.setdefault(suggestion.code, []).append(suggestion)
    return {
        code: store.insert_suggestions(items, codebook_id=codebook_id, run_id=run_id)
        for code, items in by_code.items()
    }
