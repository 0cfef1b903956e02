"""The Dask engine on a real local cluster of two worker processes, with real spaCy and a real model."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from qualkit.errors import EngineError
from tests.engine.conftest import suggestions


def _scheduler_tasks(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def test_dask_gives_the_same_suggestions_as_in_process(copies, cluster):
    here, there = copies("trained", "here.db", "there.db")
    local = here.code()
    distributed = there.code(engine="dask", scheduler=cluster.scheduler_address, page_size=50)
    assert distributed.engine == "dask" and distributed.workers == 2
    assert distributed.ran_on == f"on Dask (2 workers, at {cluster.scheduler_address})"
    assert suggestions(there) == suggestions(here)
    assert any(row[3] == "model" for row in suggestions(there))  # the scattered model proposed too
    assert (distributed.found, distributed.new, distributed.model_suggestions, distributed.segments) == (
        local.found, local.new, local.model_suggestions, local.segments
    )
    again = there.code(engine="dask", scheduler=cluster.scheduler_address, page_size=50)
    assert again.new == 0 and suggestions(there) == suggestions(here)


def test_interrupted_dask_run_closes_and_resumes(copies, cluster, client):
    """Ctrl-C in the writer: whole pages kept, nothing left on the cluster, and the resumed run
    (model context across the page it resumes at included) ends where an uninterrupted one does."""
    here, there = copies("trained", "here.db", "there.db")
    here.code()
    def interrupt_after_the_first_page(done, total, label):
        raise KeyboardInterrupt

    # Pages of 49: the run resumes at segment 50, a participant's turn the model reads with its
    # neighbour 49 (the interviewer's question) as context, and proposes codes for.
    with pytest.raises(KeyboardInterrupt):
        there.code(engine="dask", scheduler=cluster.scheduler_address, page_size=49,
                   on_progress=interrupt_after_the_first_page)
    deadline = time.monotonic() + 10
    while _scheduler_tasks(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _scheduler_tasks(client) == 0  # queued pages cancelled, the scattered setup released
    resumed = there.code(engine="dask", scheduler=cluster.scheduler_address, page_size=49)
    assert resumed.resumed_from is not None
    assert suggestions(there) == suggestions(here)


def test_missing_dask_says_how_to_install(copies, monkeypatch):
    project = copies("fresh", "p.db")
    runs = len(project.store.runs.log())
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(EngineError, match=r"^the Dask engine needs Dask: pip install 'qualkit\[dask\]'$"):
        project.code(engine="dask")
    assert len(project.store.runs.log()) == runs


def test_bad_scheduler_address_is_a_clear_error(copies, monkeypatch):
    monkeypatch.setattr("qualkit.engine.dask.CONNECT_TIMEOUT", 1)
    project = copies("fresh", "p.db")
    runs = len(project.store.runs.log())
    with pytest.raises(EngineError, match=r"^cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9': "):
        project.code(engine="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(EngineError, match=r"^cannot reach the Dask scheduler at 'nonsense:::': invalid address"):
        project.code(engine="dask", scheduler="nonsense:::")
    assert len(project.store.runs.log()) == runs and not suggestions(project)


def test_scheduler_needs_the_dask_engine(copies):
    from qualkit.errors import QualkitError

    project = copies("fresh", "p.db")
    with pytest.raises(QualkitError, match=r"needs the Dask engine"):
        project.code(engine="local", scheduler="tcp://127.0.0.1:8786")


def test_worker_killed_mid_run_still_completes(copies, cluster, client):
    """SIGKILL one of the two workers once the first page is written: Dask reruns its pages on
    the other (and on the restarted one) and the run ends with exactly the suggestions of an
    in-process run. Last in this module: the killed worker's restart costs a model load."""
    here, there = copies("trained", "here.db", "there.db")
    local = here.code()
    client.wait_for_workers(2, timeout=30)
    pids = client.run(os.getpid)
    killed = []  # (pid, pages it was holding)

    def kill_after_the_first_page(done, total, label):
        if not killed:
            address, pages = max(client.processing().items(), key=lambda item: len(item[1]))
            os.kill(pids[address], signal.SIGKILL)
            killed.append((pids[address], len(pages)))

    report = there.code(engine="dask", scheduler=cluster.scheduler_address, page_size=20,
                        on_progress=kill_after_the_first_page)
    (victim, holding), = killed
    assert holding >= 1  # it died with pages to code
    assert suggestions(there) == suggestions(here)
    assert (report.found, report.new) == (local.found, local.new)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for whatever runs next
    assert victim not in client.run(os.getpid).values()


class _FakeFuture:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


class _FakeClient:
    """A client whose first scattered setup is lost with a worker: every page needing it is cancelled."""

    def __init__(self, status: str = "running"):
        self.status, self.scattered, self.submitted = status, 0, []

    def nthreads(self):
        return {"worker": 1}

    def wait_for_workers(self, n, timeout):
        pass

    def scatter(self, setup, broadcast, timeout):
        self.scattered += 1
        return f"setup{self.scattered}"

    def submit(self, function, scattered, page, pure):
        from concurrent.futures import CancelledError

        self.submitted.append((scattered, page))
        return _FakeFuture(CancelledError() if scattered == "setup0" else f"coded {page}")

    def cancel(self, futures):
        pass


def _fake_engine(monkeypatch, client):
    pytest.importorskip("distributed")
    import qualkit.engine.dask as engine_dask

    monkeypatch.setattr(engine_dask, "parcel", lambda setup, page, contexts: (page,))
    monkeypatch.setattr(engine_dask, "completed", lambda result, page: result)
    engine = engine_dask.DaskEngine.__new__(engine_dask.DaskEngine)
    engine.client, engine.cluster, engine.scheduler, engine._setup, engine._scattered = (
        client, None, None, object(), "setup0")
    return engine


def test_a_lost_scattered_setup_is_scattered_again_and_the_pages_resubmitted(monkeypatch):
    """CI saw a worker SIGKILLed while it held the only copy of the setup: the scheduler cancelled
    every page that needed it and the run failed as if the scheduler were gone."""
    client = _FakeClient()
    engine = _fake_engine(monkeypatch, client)
    pages = [(f"p{n}", None) for n in range(1, 5)]
    assert list(engine.results(pages)) == ["coded p1", "coded p2", "coded p3", "coded p4"]
    assert client.scattered == 1
    assert [page for scattered, page in client.submitted if scattered == "setup1"] == ["p1", "p2", "p3", "p4"]


def test_a_gone_scheduler_still_ends_the_run_in_one_error(monkeypatch):
    engine = _fake_engine(monkeypatch, _FakeClient(status="closed"))
    with pytest.raises(EngineError, match="lost the Dask scheduler"):
        list(engine.results([("p1", None)]))
