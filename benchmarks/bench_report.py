"""Time and memory of the Word report on a large project.

    python benchmarks/bench_report.py --codings 10000

Codes the generated corpus from bench_code.py with the bundled codebook, accepts every rule
suggestion as one reviewer (so the report has that many codings), then times
`qualkit report` in its own process and records its peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_code import CODEBOOK, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codings", type=int, default=10_000, help="about how many codings the report holds")
    options = parser.parse_args()
    from qualkit.project import Project

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "corpus").mkdir()
        generate(work / "corpus", options.codings * 40)  # about 2.6 codings per 100 words
        with Project.init(work / "r.db") as project:
            project.ingest([work / "corpus"])
            project.code(codebook_path=CODEBOOK)
            from qualkit.records import Source

            ids = [unit.suggestion_id for unit in project.store.suggestions.units(Source.RULE)][: options.codings]
            project.decide("bench", accept=ids)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "qualkit", "-p", str(work / "r.db"), "report", str(work / "r.docx")],
            capture_output=True, text=True, check=True,
        )
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"codings": len(ids), "report_s": round(seconds, 1), "peak_rss_mb": round(peak_mb),
                          "docx_mb": round((work / "r.docx").stat().st_size / 2**20, 1),
                          "summary": result.stdout.strip()}))


if __name__ == "__main__":
    main()
