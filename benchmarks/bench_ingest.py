"""Benchmark `qualkit ingest` of one large survey export: rows per second and peak memory.

    python benchmarks/bench_ingest.py --rows 50000
    python benchmarks/bench_ingest.py --rows 50000 --repeat 3 --json

The survey is generated from the bundled sample interviews' answers (one open response per
row, with school and role columns, as `bench_code.py`'s surveys are), written to one CSV, and
ingested by `qualkit ingest FILE --id-column id --text-column response` in its own process, so
the peak memory is that process's own. With ``--repeat`` the median time is reported.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "niot_case_study"
SCHOOLS = ("Brookfield Primary", "Fellside Academy", "Harbour High", "Millbrook Infant", "Westgate College")
ROLES = ("teacher", "ECT", "mentor", "PD lead", "headteacher", "teaching assistant")


def answers() -> list[str]:
    """The sample interviews' non-interviewer turns, read as `qualkit ingest` reads them."""
    sys.path.insert(0, str(ROOT))
    from qualkit.project import Project

    with tempfile.TemporaryDirectory() as folder:
        with Project.init(Path(folder) / "source.db") as project:
            project.ingest([CORPUS / "interviews"])
            return [s.text for s in project.segments() if s.speaker != "Interviewer"]


def write_survey(path: Path, rows: int, *, seed: int = 13) -> int:
    """A survey CSV of ``rows`` rows (id, school, role, response); returns its words."""
    rng = random.Random(seed)
    pool = answers()
    words = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        table = csv.writer(out)
        table.writerow(["id", "school", "role", "response"])
        for row in range(1, rows + 1):
            response = rng.choice(pool)
            words += len(response.split())
            table.writerow([f"r{row}", rng.choice(SCHOOLS), rng.choice(ROLES), response])
    return words


def timed(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS MiB, stdout) of one child process (its own peak, from ``wait4``)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stdout}\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="survey rows")
    parser.add_argument("--repeat", type=int, default=1, help="ingest this many times (fresh projects); medians")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()
    qualkit = [sys.executable, "-m", "qualkit"]
    with tempfile.TemporaryDirectory() as scratch:
        survey = Path(scratch) / "survey.csv"
        words = write_survey(survey, options.rows)
        runs = []
        for repetition in range(max(options.repeat, 1)):
            db = Path(scratch) / f"bench{repetition}.db"
            subprocess.run([*qualkit, "-p", str(db), "init"], check=True, capture_output=True)
            runs.append(timed([*qualkit, "-p", str(db), "ingest", str(survey), "--id-column", "id",
                               "--text-column", "response"]))
        summary = runs[-1][2].strip().splitlines()[-1]
    seconds = statistics.median(run[0] for run in runs)
    result = {
        "rows": options.rows, "words": words, "ingest_s": round(seconds, 2),
        "rows_per_s": round(options.rows / seconds), "words_per_s": round(words / seconds),
        "peak_rss_mb": round(max(run[1] for run in runs)), "runs_s": [round(run[0], 2) for run in runs],
        "summary": summary,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if options.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
