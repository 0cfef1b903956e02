"""Where the web server's project calls run: each worker owns one open Project.

A SQLite connection belongs to the thread that opened it, and a project has one writer, so each
worker opens its own :class:`~qualkit.project.Project` and runs calls one at a time. The server
has two. The interactive one runs on the event loop's own thread: what people click costs a
millisecond or two of SQLite, and handing it to another thread cost more (a thread switch waits
for the GIL) than it saved. The slow one has its own thread, for work that takes seconds
(reports, workbooks, agreement, password hashing), so that never holds up anyone's next decision;
SQLite's WAL journal lets it read while the other writes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from qualkit.project import Project

T = TypeVar("T")


class ProjectWorker:
    """Runs ``function(project)`` calls against its own open project: on the calling (event loop)
    thread when ``inline``, else on a thread of its own."""

    def __init__(self, path: str | os.PathLike, *, name: str, inline: bool = False):
        self._path = path
        self._project: Project | None = None
        #: State that lives with this worker's project (review sessions, page furniture).
        self.state: dict[str, Any] = {}
        self._executor = None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"qualkit-{name}")

    def _run(self, function: Callable[[Project], T]) -> T:
        if self._project is None:
            from qualkit.project import Project

            self._project = Project.open(self._path)
        return function(self._project)

    async def __call__(self, function: Callable[[Project], T]) -> T:
        if self._executor is None:
            return self._run(function)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, function)

    def close(self) -> None:
        """Close the project (call it from the thread that uses an inline worker)."""

        def close() -> None:
            if self._project is not None:
                self._project.close()
                self._project = None

        if self._executor is None:
            close()
            return
        try:
            self._executor.submit(close).result()
        finally:
            self._executor.shutdown(wait=True)
