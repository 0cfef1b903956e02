"""Run a qualkit command in this process and kill it with SIGKILL at a chosen point.

    python -m tests.reliability.killer POINT COUNT qualkit-args...

POINT is where the process dies, COUNT times in:

* ``insert``: just after the COUNT-th document was written (inside its file's transaction);
* ``commit``: just after the COUNT-th transaction committed (before anything is printed).

Nothing in qualkit knows about this: the points are reached by wrapping two library functions
before the command runs, and the kill is a real ``kill -9`` of this process, so SQLite is left
exactly as a power cut or an out-of-memory kill would leave it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str, count: int) -> None:
    from qualkit.store.database import Database
    from qualkit.store.documents import DocumentRepository

    seen = 0
    if point == "insert":
        insert = DocumentRepository.insert

        def counting_insert(self, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal seen
            document_id = insert(self, **kwargs)
            seen += 1
            if seen == count:
                _die()
            return document_id

        DocumentRepository.insert = counting_insert  # type: ignore[method-assign]
    elif point == "commit":
        transaction = Database.transaction

        @contextlib.contextmanager
        def counting_transaction(self):  # type: ignore[no-untyped-def]
            nonlocal seen
            outermost = not self.conn.in_transaction
            with transaction(self):
                yield
            if outermost:
                seen += 1
                if seen == count:
                    _die()

        Database.transaction = counting_transaction  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown kill point {point!r}: use insert or commit")


def main(argv: list[str]) -> None:
    point, count, *args = argv
    arm(point, int(count))
    from qualkit.cli import main as qualkit

    sys.argv = ["qualkit", *args]
    qualkit()


if __name__ == "__main__":
    main(sys.argv[1:])
