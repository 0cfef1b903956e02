"""Run one hostile case through the library in this process and print what happened as JSON.

    python -m tests.reliability.runner CASE_INDEX FILE

Run in a subprocess by the tests (and benchmarks), so peak memory is the case's own.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path


def main(index: int, path: Path) -> dict:
    from qualkit.errors import QualkitError
    from tests.reliability.corpus import CORPUS, run_library

    case = CORPUS[index]
    started = time.perf_counter()
    try:
        result = {"outcome": "ok", "error": None, "message": run_library(case, path)}
    except QualkitError as exc:
        result = {"outcome": "refused", "error": type(exc).__name__, "message": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - exactly what this runner is here to catch
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result = {"outcome": "crash", "error": type(exc).__name__, "message": last}
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["peak_rss_mb"] = round(peak_rss_kb("self") / 1024, 1)
    return result


def peak_rss_kb(pid: str | int) -> int:
    """A process's peak resident memory in KB: VmHWM, which (unlike getrusage's ru_maxrss, kept
    across exec) starts afresh in each new program, so the parent's size does not count."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if pid == "self" else 0


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), Path(sys.argv[2]))))
