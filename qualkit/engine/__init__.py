"""Where a `code` run's proposing happens: in this process, in worker processes, or on Dask.

Every engine implements :class:`Engine`: it is built from a :class:`~qualkit.engine.work.WorkerSetup`
(what a worker needs to build its matchers and load the model once), takes a stream of pages and
yields one :class:`~qualkit.engine.work.PageResult` per page, in page order, to the project's
single writer. Engines differ only in where :func:`~qualkit.engine.work.propose_page` runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from qualkit.errors import EngineError

if TYPE_CHECKING:
    from qualkit.engine.work import Page, PageResult, WorkerSetup
    from qualkit.suggest.model import ModelSuggester

ENGINES = ("local", "dask")


class Engine(Protocol):
    """Proposes codes for pages of segments somewhere, and hands the results back in page order."""

    @property
    def description(self) -> str:
        """Where it runs, for the run's summary: "in this process", "on Dask (2 workers, ...)"."""
        ...

    @property
    def workers(self) -> int:
        ...

    def results(self, pages: Iterable[Page]) -> Iterator[PageResult]:
        """One result per page, in page order."""
        ...

    def close(self) -> None:
        """Stop workers, disconnect; safe to call twice."""
        ...


def open_engine(kind: str, setup: WorkerSetup, *, workers: int, scheduler: str | None = None,
                model: ModelSuggester | None = None) -> Engine:
    """The engine a run asked for, started: ``local`` with one worker runs in this process (using the
    ``model`` already loaded here), with more in a process pool; ``dask`` on the cluster at
    ``scheduler`` or on a local cluster of ``workers`` processes. A Dask engine connects now, so a
    bad address is an error before the run records anything."""
    if kind not in ENGINES:
        raise EngineError(f"unknown engine {kind!r}: use {' or '.join(ENGINES)}")
    if scheduler is not None and kind != "dask":
        raise EngineError(f"a scheduler ({scheduler}) needs the Dask engine: use engine 'dask' (--engine dask)")
    if workers < 1:
        raise EngineError(f"--workers {workers}: use 1 or more processes")
    if kind == "dask":
        from qualkit.engine.dask import DaskEngine

        return DaskEngine(setup, scheduler=scheduler, workers=workers)
    from qualkit.engine.local import InProcessEngine, ProcessPoolEngine

    if workers > 1:
        return ProcessPoolEngine(setup, workers=workers)
    return InProcessEngine(setup, model=model)
