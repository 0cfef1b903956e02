"""Named points where the reliability tests stop a real qualkit process, on purpose.

Off unless the environment says otherwise, and then only in the process it is set for::

    QUALKIT_FAULT=code.page@3=kill                   # SIGKILL the 3rd time a page of `code` is stored
    QUALKIT_FAULT=review.import.row@50=kill          # ... half-way through a sheet's rows
    QUALKIT_FAULT=review.import.row=pause:/tmp/ready  # create /tmp/ready, then wait to be killed
    QUALKIT_FAULT=train.fitted=pause:/tmp/ready       # `train` with its model fitted, not yet stored

``POINT[@N][=ACTION]``: the Nth time (default the first) the process reaches ``POINT``, it
kills itself with SIGKILL (``kill``, the default: no cleanup, no ``finally``, like a power cut
for the process), or creates the file after ``pause:`` and sleeps until it is killed (so a test
can act while the process holds what it holds at that point). ``tests/reliability`` uses them
to check what qualkit promises after a kill; they cost one dictionary lookup when unset.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

VARIABLE = "QUALKIT_FAULT"

_reached: dict[str, int] = {}


def fault_point(name: str) -> None:
    """A place a test may stop the process at (see the module doc)."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    point, _, action = spec.partition("=")
    point, _, nth = point.partition("@")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(nth or 1):
        return
    if action.startswith("pause:"):
        Path(action.removeprefix("pause:")).touch()
        while True:
            time.sleep(60)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
