"""Where a `code` run's proposing happens: in this process, in worker processes, or on Dask.

Every engine takes a :class:`~qualkit.engine.work.WorkerSetup` (what a worker needs to build
its matchers and load the model once) and a stream of pages, and yields one
:class:`~qualkit.engine.work.PageResult` per page, in page order, to the project's single
writer. Engines differ only in where :func:`~qualkit.engine.work.propose_page` runs.
"""
