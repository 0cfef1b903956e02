"""Run one `qualkit` command when told to, so commands started together really run together.

    python -m tests.reliability.together FOLDER NAME [--] QUALKIT_ARGS...

Imports qualkit's CLI and the libraries commands load first (pandas, openpyxl), says so by
creating FOLDER/NAME.ready, waits for FOLDER/go, then runs the command: processes that took
different times to start (seconds, on a busy machine) begin their work within a millisecond or
two of each other. :func:`tests.reliability.conftest.together` drives it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    folder, name = Path(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    if args and args[0] == "--":
        args = args[1:]
    import openpyxl  # noqa: F401 - loaded now, so it is not what sets the processes apart
    import pandas  # noqa: F401

    import qualkit.project  # noqa: F401
    import qualkit.review.actions  # noqa: F401
    import qualkit.review.sheet  # noqa: F401
    from qualkit.cli import cli

    if "-p" in args:  # the project file opened once already: its pages cached, its WAL index built
        import sqlite3

        warm = sqlite3.connect(args[args.index("-p") + 1])
        warm.execute("SELECT COUNT(*) FROM decisions").fetchone()
        warm.close()

    (folder / f"{name}.ready").touch()
    go = folder / "go"
    while not go.exists():
        time.sleep(0.001)
    cli.main(args=args, prog_name="qualkit")


if __name__ == "__main__":
    main()
