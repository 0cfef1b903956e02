"""Run every hostile file of tests/reliability/corpus.py through the real CLI, and measure it.

    python benchmarks/bench_hostile.py
    python benchmarks/bench_hostile.py --json

Each case's files are built in a fresh temporary folder, then its `qualkit` commands run one
after another (`init`, `ingest FILE`, `codebook check FILE`, `codebook load`, `code`, `export`,
`import qdpx` as the case needs), each as its own process. Per case it prints whether the
input was handled cleanly (the expected one-line message and no traceback; or, for inputs that
should be read, every command succeeding), the error line, the wall time of all its commands
and the peak RSS of the largest one: its VmHWM, read from /proc every 10 ms while it runs (the
kernel's high-water mark of that program alone; getrusage would count the parent's memory,
which a forked child inherits), so growth in a command's last 10 ms may be missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMEOUT_SECONDS = 600


def run_command(args: list[str], cwd: Path, project: Path) -> dict:
    """One `qualkit` process: exit status, output, wall time and its own peak RSS."""
    from tests.reliability.runner import peak_rss_kb

    environment = {**os.environ, "QUALKIT_PROJECT": str(project)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "qualkit", *args], stdout=out, stderr=err, cwd=cwd,
                                   stdin=subprocess.DEVNULL, env=environment)
        peak = 0
        while process.poll() is None:
            peak = max(peak, peak_rss_kb(process.pid))  # a zombie has no VmHWM: read it while it runs
            if time.perf_counter() - started > TIMEOUT_SECONDS:
                process.kill()
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return {"status": process.returncode, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"), "seconds": seconds, "peak_rss_mb": peak / 1024}


def run_case(case, folder: Path) -> dict:
    from tests.reliability.corpus import check_no_formulas

    path = case.build(folder)
    total, peak, results = 0.0, 0.0, []
    for command in case.cli:
        args = [part.format(file=path, dir=folder) for part in command]
        result = run_command(args, folder, folder / "p.db")
        total += result["seconds"]
        peak = max(peak, result["peak_rss_mb"])
        results.append(result)
        if result["status"] != 0:
            break
    output = "\n".join(r["stdout"] + r["stderr"] for r in results)
    last = results[-1]
    lines = (last["stderr"] + "\n" + last["stdout"]).splitlines()
    error_lines = ([line for line in lines if line.lower().startswith("error:")]
                   or [line for line in lines if line.lower().startswith("warning:")])
    traceback = "Traceback" in output
    if case.expect is None:
        clean = not traceback and all(r["status"] == 0 for r in results)
        if clean and case.reader == "export":
            import openpyxl

            from qualkit.export.tables import FORMULA_PREFIXES

            verdict = check_no_formulas(folder / "out.csv", folder / "out.xlsx", FORMULA_PREFIXES, openpyxl)
            clean = verdict == "no formula cells"
            error_lines = [verdict]
        verdict = "read cleanly" if clean else "NOT CLEAN"
    else:
        clean = not traceback and last["status"] in (0, 1) and case.message in output
        verdict = "refused cleanly" if clean else "NOT CLEAN"
    line = error_lines[0] if error_lines else (last["stdout"].strip().splitlines() or [""])[-1]
    return {"name": case.name, "clean": clean, "verdict": verdict, "line": line[:200],
            "seconds": round(total, 2), "peak_rss_mb": round(peak, 1), "commands": len(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args()
    from tests.reliability.corpus import CORPUS

    rows = []
    for case in CORPUS:
        with tempfile.TemporaryDirectory(prefix="qualkit-hostile-") as folder:
            row = run_case(case, Path(folder))
        rows.append(row)
        if not options.json:
            print(f"{row['verdict']:16} {row['seconds']:7.2f} s {row['peak_rss_mb']:7.1f} MB  {row['name']}: "
                  f"{row['line']}", flush=True)
    summary = {
        "tried": len(rows), "clean": sum(row["clean"] for row in rows),
        "worst_seconds": max(row["seconds"] for row in rows),
        "worst_peak_rss_mb": max(row["peak_rss_mb"] for row in rows),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    if options.json:
        print(json.dumps({"cases": rows, "summary": summary}, indent=2))
    else:
        print(f"\n{summary['clean']} of {summary['tried']} hostile inputs handled cleanly; worst "
              f"{summary['worst_seconds']} s, {summary['worst_peak_rss_mb']} MB peak RSS "
              f"({summary['machine']['nproc']} cores, Python {summary['machine']['python']})")


if __name__ == "__main__":
    main()
