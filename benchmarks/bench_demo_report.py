"""The demo project's Word report: time to build and write it, and its length as a PDF.

    make demo && python benchmarks/bench_demo_report.py --project out/demo.db

Times :func:`qualkit.report.build_report_data` (analyses, quotes, figures) and
:func:`qualkit.export.word.write_report` in this process (best of ``--repeat``), converts the
report with LibreOffice headless and counts its pages: the body (everything before the appendix
that lists every coded segment) and the whole. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default="out/demo.db", help="the project (`make demo` writes out/demo.db)")
    parser.add_argument("--by", default="disadvantage", help="the attribute frequencies are split by")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is reported")
    options = parser.parse_args()
    from pypdf import PdfReader

    from qualkit.export.word import write_report
    from qualkit.project import Project
    from qualkit.report import build_report_data

    builds, writes = [], []
    with tempfile.TemporaryDirectory() as scratch, Project.open(options.project) as project:
        out = Path(scratch) / "report.docx"
        for _ in range(options.repeat):
            start = time.perf_counter()
            _, codebook = project.codebook()
            data = build_report_data(project.store, codebook, by=options.by,
                                     agreement=project.agreement().report.pairs)
            built = time.perf_counter()
            write_report(data, out)
            builds.append(built - start)
            writes.append(time.perf_counter() - built)
        result = {"codings": data.totals.codings, "coded_segments": data.totals.coded_segments,
                  "build_s": round(min(builds), 2), "write_s": round(min(writes), 2),
                  "docx_mb": round(out.stat().st_size / 2**20, 2)}
        soffice = shutil.which("soffice")
        if soffice:
            start = time.perf_counter()
            subprocess.run([soffice, f"-env:UserInstallation={(Path(scratch) / 'lo').as_uri()}", "--headless",
                            "--convert-to", "pdf", "--outdir", scratch, str(out)], check=True, capture_output=True)
            result["pdf_s"] = round(time.perf_counter() - start, 1)
            pages = PdfReader(str(Path(scratch) / "report.pdf")).pages
            texts = [page.extract_text() or "" for page in pages]
            body = next((i for i, text in enumerate(texts) if text.lstrip().startswith("Appendix B")), len(texts))
            result.update(body_pages=body, pages=len(texts))
    result["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
