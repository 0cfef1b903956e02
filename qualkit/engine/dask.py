"""The Dask engine: pages of segments go to Dask workers; results come back in page order.

Each worker builds its rule matchers and loads the model once (:func:`~qualkit.engine.work.suggesters`
keeps them per process). The setup, which carries the pickled model, is scattered to every worker
once instead of travelling with every page. Dask is an optional extra, imported only here and only
when a run asks for it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from qualkit.engine.work import Page, PageResult, WorkerSetup, completed, parcel, propose_page
from qualkit.errors import EngineError
from qualkit.records import Segment

CONNECT_TIMEOUT = 10  # seconds: a mistyped address fails fast, a busy scheduler still answers
WORKER_WAIT = 60  # seconds a scheduler without workers may take to get its first one
PAGES_PER_WORKER = 2  # in flight per worker thread: keeps workers busy while memory stays flat


class DaskEngine:
    """One run's connection to Dask: it owns its client (and the local cluster it started, if any).

    Connects at once, so a bad address is an error before the run records anything; the setup, with
    the pickled model in it, is scattered to every worker once instead of travelling with every page."""

    def __init__(self, setup: WorkerSetup, *, scheduler: str | None, workers: int):
        self.scheduler = scheduler
        self._setup = setup
        self.client, self.cluster = _connect(scheduler, workers=workers)
        try:
            self.workers = _wait_for_workers(self.client, scheduler)
            self._scattered = self.client.scatter(setup, broadcast=True)
        except BaseException:
            self.close()
            raise

    @property
    def description(self) -> str:
        where = "local cluster" if self.scheduler is None else f"at {self.scheduler}"
        return f"on Dask ({self.workers} worker{'s' * (self.workers != 1)}, {where})"

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this run started one."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def results(self, pages: Iterable[Page]) -> Iterator[PageResult]:
        assert self.client is not None, "the engine is closed"
        client = self.client
        in_flight = PAGES_PER_WORKER * max(1, sum(client.nthreads().values()))
        pending: deque = deque()  # [page, contexts, future]
        try:
            for page, contexts in pages:
                pending.append([page, contexts, self._submit(page, contexts)])
                if len(pending) >= in_flight:
                    yield self._next(pending)
            while pending:
                yield self._next(pending)
        finally:
            if pending and self.client is not None:
                self.client.cancel([future for _, _, future in pending])

    def _submit(self, page: Sequence[Segment], contexts: Any) -> Any:
        assert self.client is not None, "the engine is closed"
        return self.client.submit(propose_page, self._scattered, *parcel(self._setup, page, contexts), pure=False)

    def _next(self, pending: deque) -> PageResult:
        """The oldest page's result. A worker killed while it held the only copy of the scattered
        setup makes the scheduler cancel every page that needs it, though the scheduler is alive:
        the setup is scattered again and the pages still to come are resubmitted (a few times)."""
        for attempt in range(SETUP_RETRIES + 1):
            page, contexts, future = pending[0]
            try:
                result = self._collect(page, future)
            except _Cancelled:
                if attempt == SETUP_RETRIES or not self._scatter_again():
                    raise EngineError(
                        f"lost the Dask scheduler {self.scheduler or '(local cluster)'} mid-run; pages written so "
                        "far are kept: rerun the same command to resume"
                    ) from None
                for entry in pending:
                    entry[2] = self._submit(entry[0], entry[1])
                continue
            pending.popleft()
            return result
        raise AssertionError("unreachable")

    def _scatter_again(self) -> bool:
        """Scatter the setup to the workers there are now; False when the scheduler is gone."""
        assert self.client is not None, "the engine is closed"
        if self.client.status != "running":
            return False
        try:
            self.client.wait_for_workers(1, timeout=RESCATTER_WAIT)
            self._scattered = self.client.scatter(self._setup, broadcast=True, timeout=RESCATTER_WAIT)
        except Exception:  # noqa: BLE001 - any failure here means the cluster is not there to code on
            return False
        return True

    def _collect(self, page: Sequence[Segment], future: Any) -> PageResult:
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        try:
            result = future.result()
        except KilledWorker as exc:
            raise EngineError(
                f"segments {page[0].id}-{page[-1].id} were being coded by {exc.allowed_failures + 1} workers in turn "
                "and every one of them died; pages written so far are kept: check the workers' memory and logs, "
                "then rerun the same command to resume"
            ) from None
        except CancelledError:
            raise _Cancelled from None
        return completed(result, page)


class _Cancelled(Exception):
    """Dask cancelled a page: its scheduler went, or the scattered setup was lost with a worker."""


def _connect(scheduler: str | None, *, workers: int):
    """(client, local cluster or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("the Dask engine needs Dask: pip install 'qualkit[dask]'") from None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        try:
            return Client(cluster, set_as_default=False), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False), None
    except (OSError, ValueError) as exc:  # unreachable (OSError, incl. timeouts) or malformed (ValueError)
        raise EngineError(
            f"cannot reach the Dask scheduler at {scheduler!r}: {exc}. Check the address "
            "(e.g. tcp://10.0.0.5:8786) and that `dask scheduler` is running there, or leave out "
            "--scheduler to code on a local cluster"
        ) from None


SETUP_RETRIES = 3  # scatter the setup again at most this many times in one run
RESCATTER_WAIT = 15  # seconds for a worker and the new copy of the setup when scattering again


def _wait_for_workers(client, scheduler: str | None) -> int:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except TimeoutError:
        raise EngineError(
            f"the Dask scheduler at {scheduler!r} has no workers (waited {WORKER_WAIT} s); start some with "
            f"`dask worker {scheduler}`"
        ) from None
    return len(client.nthreads())
