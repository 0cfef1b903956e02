"""Engines on this machine: in this process, or a pool of worker processes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from qualkit.engine.work import (
    Page,
    PageResult,
    Suggesters,
    WorkerSetup,
    completed,
    parcel,
    propose_with_built,
    suggesters,
)

if TYPE_CHECKING:
    from qualkit.suggest.model import ModelSuggester


class InProcessEngine:
    """Proposes in this process. ``model``: the run's model suggester, already loaded here (the setup
    carries no pickled copy of it). Built for this run only, not kept in the per-process cache: a
    cached model found by its version name could be another project's."""

    description = "in this process"
    workers = 1

    def __init__(self, setup: WorkerSetup, *, model: ModelSuggester | None = None):
        self.setup = setup
        self.built = Suggesters(setup, model=model)

    def results(self, pages: Iterable[Page]) -> Iterator[PageResult]:
        for page, contexts in pages:
            yield completed(self.built.propose(*parcel(self.setup, page, contexts)), page)

    def close(self) -> None:
        pass


class ProcessPoolEngine:
    """Pages farmed out to worker processes; results come back in order to the single writer.
    At most two pages per worker are in flight, so memory stays flat however big the corpus.

    This process only reads and writes. Having it code pages too, between writes, with one pool
    process fewer, was tried: two workers took 23.0 s on 10M words against 17.6 s, and more CPU.
    The likely cause is the pool's own threads in this process (they send pages and take results)
    waiting on the GIL while this process tokenizes.
    """

    def __init__(self, setup: WorkerSetup, *, workers: int):
        from concurrent.futures import ProcessPoolExecutor

        self.setup, self.workers = setup, workers
        self.description = f"in {workers} local processes"
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker, initargs=(setup,)
        )

    def results(self, pages: Iterable[Page]) -> Iterator[PageResult]:
        assert self._pool is not None, "the engine is closed"
        pending: deque = deque()
        for page, contexts in pages:
            pending.append((page, self._pool.submit(propose_with_built, *parcel(self.setup, page, contexts))))
            if len(pending) >= 2 * self.workers:
                page_done, future = pending.popleft()
                yield completed(future.result(), page_done)
        while pending:
            page_done, future = pending.popleft()
            yield completed(future.result(), page_done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _start_worker(setup: WorkerSetup) -> None:
    """A pool process builds its suggesters, then freezes everything it holds so far (spaCy, the
    vocabulary, the matchers) out of the garbage collector's full passes, which would otherwise
    walk all of it again and again while pages come and go: ~1% of a run. Only in pool
    processes, which do nothing else; the freeze would pin garbage in a researcher's own session."""
    import gc

    suggesters(setup)
    gc.freeze()
