"""Engines on this machine: in this process, or a pool of worker processes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from qualkit.engine.work import PageResult, Suggesters, WorkerSetup, completed, parcel, propose_with_built, suggesters


def in_process(setup: WorkerSetup, pages: Iterable, *, model=None) -> Iterator[PageResult]:
    """``model``: the run's model suggester, already loaded here (the setup carries no pickled
    copy of it). Built for this run only, not kept in the per-process cache: a cached model
    found by its version name could be another project's."""
    built = Suggesters(setup, model=model)
    for page, contexts in pages:
        yield completed(built.propose(*parcel(setup, page, contexts)), page)


def processes(setup: WorkerSetup, pages: Iterable, *, workers: int) -> Iterator[PageResult]:
    """Pages farmed out to worker processes; results come back in order to the single writer.
    At most two pages per worker are in flight, so memory stays flat however big the corpus.

    This process only reads and writes. Having it code pages too, between writes, with one pool
    process fewer, was tried: two workers took 23.0 s on 10M words against 17.6 s, and more CPU.
    The likely cause is the pool's own threads in this process (they send pages and take results)
    waiting on the GIL while this process tokenizes.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(setup,)) as pool:
        pending: deque = deque()
        for page, contexts in pages:
            pending.append((page, pool.submit(propose_with_built, *parcel(setup, page, contexts))))
            if len(pending) >= 2 * workers:
                page_done, future = pending.popleft()
                yield completed(future.result(), page_done)
        while pending:
            page_done, future = pending.popleft()
            yield completed(future.result(), page_done)


def _start_worker(setup: WorkerSetup) -> None:
    """A pool process builds its suggesters, then freezes everything it holds so far (spaCy, the
    vocabulary, the matchers) out of the garbage collector's full passes, which would otherwise
    walk all of it again and again while pages come and go: ~1% of a run. Only in pool
    processes, which do nothing else; the freeze would pin garbage in a researcher's own session."""
    import gc

    suggesters(setup)
    gc.freeze()
