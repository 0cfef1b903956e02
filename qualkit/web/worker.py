"""One thread that owns one open Project; the web server's requests run their project calls there.

A SQLite connection belongs to the thread that opened it, and a project has one writer, so each
worker opens its own :class:`~qualkit.project.Project` in its own thread and runs calls one at a
time, in the order they came. The event loop stays free to read and write HTTP meanwhile. The
server has two: one for what people click (short calls), one for slow work (reports, workbooks,
agreement) so a download never holds up someone's next decision. SQLite's WAL journal lets the
second read while the first writes.
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
    """Runs ``function(project)`` calls on its own thread, against its own open project."""

    def __init__(self, path: str | os.PathLike, *, name: str):
        self._path = path
        self._project: Project | None = None
        #: State that lives with this worker's project (review sessions, messages): touched only on its thread.
        self.state: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"qualkit-{name}")

    def _run(self, function: Callable[[Project], T]) -> T:
        if self._project is None:
            from qualkit.project import Project

            self._project = Project.open(self._path)
        return function(self._project)

    async def __call__(self, function: Callable[[Project], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, function)

    def call(self, function: Callable[[Project], T]) -> T:
        """The same, from outside an event loop (start-up, shutdown, tests)."""
        return self._executor.submit(self._run, function).result()

    def close(self) -> None:
        def close() -> None:
            if self._project is not None:
                self._project.close()
                self._project = None

        try:
            self._executor.submit(close).result()
        finally:
            self._executor.shutdown(wait=True)
