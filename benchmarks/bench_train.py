"""Time `qualkit train` and `qualkit evaluate` on the demo project, as a user runs them.

    make demo                                        # builds out/demo.db
    .venv/bin/python benchmarks/bench_train.py       # 3 runs each, medians
    .venv/bin/python benchmarks/bench_train.py --repeat 5 --json

Each run copies ``out/demo.db`` to a temporary folder and runs the real command in its own
process, so start-up and imports count. Wall time and CPU time (user + system of the process
and its workers) are reported; the machine's load average before and after says whether other
work shared the cores. The issue's targets (2 cores): train ≤ 15 s, evaluate ≤ 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "out" / "demo.db"
QUALKIT = Path(sys.executable).with_name("qualkit")
COMMANDS = {"train": ["train"], "evaluate": ["evaluate"], "evaluate --no-curve": ["evaluate", "--no-curve"]}


def run_once(arguments: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "demo.db"
        shutil.copy(DEMO, project)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([str(QUALKIT), "-p", str(project), *arguments], capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"qualkit {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "last_line": done.stdout.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    if not DEMO.is_file():
        raise SystemExit(f"no demo project at {DEMO}: run `make demo` first")
    result: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_before": os.getloadavg(), "commands": {},
    }
    for name, arguments in COMMANDS.items():
        runs = [run_once(arguments) for _ in range(options.repeat)]
        result["commands"][name] = {
            "wall_s_median": statistics.median(r["wall_s"] for r in runs),
            "cpu_s_median": statistics.median(r["cpu_s"] for r in runs),
            "runs": runs,
        }
        if not options.json:
            walls = ", ".join(f"{r['wall_s']:.1f}" for r in runs)
            print(f"qualkit {name:<20} wall {result['commands'][name]['wall_s_median']:5.1f} s (runs {walls}), "
                  f"cpu {result['commands'][name]['cpu_s_median']:5.1f} s  | {runs[-1]['last_line'][:100]}")
    result["load_after"] = os.getloadavg()
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['machine']}; load average before {result['load_before']}, after {result['load_after']}")


if __name__ == "__main__":
    main()
