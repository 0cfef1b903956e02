"""Engines on this machine: in this process, or a pool of worker processes."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator

from qualkit.engine.work import PageResult, Suggesters, WorkerSetup, propose_with_built, suggesters


def in_process(setup: WorkerSetup, pages: Iterable, *, model=None) -> Iterator[PageResult]:
    """``model``: the run's model suggester, already loaded here (the setup carries no pickled
    copy of it). Built for this run only, not kept in the per-process cache: a cached model
    found by its version name could be another project's."""
    built = Suggesters(setup, model=model)
    for page, contexts in pages:
        yield built.propose(page, contexts)


def processes(setup: WorkerSetup, pages: Iterable, *, workers: int) -> Iterator[PageResult]:
    """Pages farmed out to worker processes; results come back in order to the single writer.
    At most two pages per worker are in flight, so memory stays flat however big the corpus."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, initializer=suggesters, initargs=(setup,)) as pool:
        pending: deque = deque()
        for page, contexts in pages:
            pending.append((page, pool.submit(propose_with_built, page, contexts)))
            if len(pending) >= 2 * workers:
                page_done, future = pending.popleft()
                yield dataclasses.replace(future.result(), page=tuple(page_done))
        while pending:
            page_done, future = pending.popleft()
            yield dataclasses.replace(future.result(), page=tuple(page_done))
