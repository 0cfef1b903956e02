"""Benchmark `qualkit ingest` and `qualkit code` on a generated corpus of any size.

    python benchmarks/bench_code.py --words 2000000
    python benchmarks/bench_code.py --words 200000 --json
    python benchmarks/bench_code.py --words 10000000 --workers 2 --repeat 3 --json

The corpus is generated from the bundled sample interviews (turns re-sampled into new
transcripts, speakers kept, and into survey exports of open responses) and, when ../shared is
present, paragraphs of the real policy texts (as documents). Each stage runs as its own
`qualkit` process so its peak memory is its own. The yardstick is bare spaCy tokenization
(`spacy.blank("en")`, `nlp.pipe`) of exactly the texts `code` looks at, measured in the same run:
before the first `code` and after each, and with ``--repeat`` the medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "niot_case_study"
CODEBOOK = ROOT / "codebooks" / "niot_coherent_offer.yaml"
POLICY = Path(os.environ.get("QUALKIT_SHARED", ROOT.parent / "shared")) / "corpora" / "policy"
TRANSCRIPT_WORDS = 2000


def _source_material():
    """(turns, paragraphs): (speaker, text) turns of the sample interviews; policy paragraphs."""
    sys.path.insert(0, str(ROOT))
    from qualkit.project import Project

    with tempfile.TemporaryDirectory() as folder:
        with Project.init(Path(folder) / "source.db") as project:
            project.ingest([CORPUS / "interviews"])
            turns = [(s.speaker, s.text) for s in project.segments()]
            paragraphs: list[str] = []
            if POLICY.is_dir():
                project.ingest([POLICY], pdf_text=True)
                names = [d.name for d in project.documents() if d.kind.value == "document"]
                paragraphs = [s.text for s in project.segments(documents=names) if len(s.text) > 80]
    return turns, paragraphs


SCHOOLS = ("Brookfield Primary", "Fellside Academy", "Harbour High", "Millbrook Infant", "Westgate College")
ROLES = ("teacher", "ECT", "mentor", "PD lead", "headteacher", "teaching assistant")
INGEST_OPTIONS = ["--text-column", "response", "--id-column", "id"]  # how the survey files are read


def generate(folder: Path, words: int, *, seed: int = 13) -> int:
    """Write transcripts (70%), policy documents (20%) and survey exports (10%, one open response
    per row, with school and role columns) totalling about ``words`` words."""
    import csv

    rng = random.Random(seed)
    turns, paragraphs = _source_material()
    interviewer = [t for s, t in turns if s == "Interviewer"]
    answers = [t for s, t in turns if s != "Interviewer"]
    written = number = 0
    while written < words:
        number += 1
        size = 0
        if paragraphs and number % 10 in (0, 5):
            body = []
            while size < TRANSCRIPT_WORDS:
                paragraph = rng.choice(paragraphs)
                body.append(paragraph)
                size += len(paragraph.split())
            (folder / f"policy_{number:06d}.txt").write_text("\n\n".join(body), encoding="utf-8")
        elif number % 10 == 3:
            with open(folder / f"survey_{number:06d}.csv", "w", encoding="utf-8", newline="") as out:
                table = csv.writer(out)
                table.writerow(["id", "school", "role", "response"])
                row = 0
                while size < TRANSCRIPT_WORDS:
                    row += 1
                    response = rng.choice(answers)
                    table.writerow([f"r{row}", rng.choice(SCHOOLS), rng.choice(ROLES), response])
                    size += len(response.split())
        else:
            lines, clock = [], 0
            while size < TRANSCRIPT_WORDS:
                question, answer = rng.choice(interviewer), rng.choice(answers)
                lines.append(f"[{clock // 3600:02d}:{clock % 3600 // 60:02d}:{clock % 60:02d}] Interviewer: {question}")
                clock += 20
                lines.append(f"[{clock // 3600:02d}:{clock % 3600 // 60:02d}:{clock % 60:02d}] Participant: {answer}")
                clock += len(answer.split()) * 60 // 150
                size += len(question.split()) + len(answer.split())
            (folder / f"interview_{number:06d}.txt").write_text("\n\n".join(lines), encoding="utf-8")
        written += size
    return written


def _timed(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS MiB, stdout) of a child process: its own peak (``wait4``), not the
    largest of every child so far. With ``--workers`` the pool's processes are the child's
    children and not counted; each of them is smaller than the parent."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stdout}\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


_TOKENIZE = """
import sqlite3, sys, time, resource, json
import spacy
db = sys.argv[1]
conn = sqlite3.connect(db)
texts = [row[0] for row in conn.execute(
    'SELECT substr(d.text, s.start + 1, s."end" - s.start) FROM segments s '
    'JOIN documents d ON d.id = s.document_id '
    "WHERE s.speaker IS NULL OR s.speaker != 'Interviewer' ORDER BY s.id")]
nlp = spacy.blank("en")
start = time.perf_counter()
tokens = 0
for doc in nlp.pipe(texts, batch_size=512):
    tokens += len(doc)
seconds = time.perf_counter() - start
words = sum(len(t.split()) for t in texts)
print(json.dumps({"seconds": seconds, "words": words, "tokens": tokens}))
"""


def _tokenize(db: Path) -> dict:
    """Bare tokenization of the texts `code` looks at, in its own process: {"seconds", "words", "tokens"}."""
    _, _, out = _timed([sys.executable, "-c", _TOKENIZE, str(db)])
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=2_000_000, help="corpus size in words")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workers", type=int, default=1, help="processes for `qualkit code --workers`")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="`qualkit code --engine` (dask: a local cluster of --workers processes)")
    parser.add_argument("--keep", type=Path, help="keep the generated corpus and project in this folder")
    parser.add_argument("--repeat", type=int, default=1,
                        help="code the corpus this many times and report medians (the yardstick is measured "
                             "before the first run and after each)")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be 1 or more")

    qualkit = [sys.executable, "-m", "qualkit"]
    with tempfile.TemporaryDirectory() as scratch:
        work = options.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        corpus = work / "corpus"
        corpus.mkdir(exist_ok=True)
        generated = generate(corpus, options.words)
        db = work / "bench.db"
        db.unlink(missing_ok=True)
        subprocess.run([*qualkit, "-p", str(db), "init"], check=True, capture_output=True)
        ingest_s, ingest_mb, _ = _timed([*qualkit, "-p", str(db), "ingest", str(corpus), *INGEST_OPTIONS])
        subprocess.run([*qualkit, "-p", str(db), "codebook", "load", str(CODEBOOK)], check=True, capture_output=True)
        uncoded = work / "bench-uncoded.db"  # each repetition codes a copy of the project as ingested
        shutil.copyfile(db, uncoded)
        # The yardstick is measured before the first `code` and after every one: this machine's
        # speed drifts by ±10% over minutes, and the medians of interleaved runs see the same drift.
        bare = [_tokenize(db)]
        code_runs = []
        for repetition in range(options.repeat):
            if repetition:
                for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                    leftover.unlink(missing_ok=True)
                shutil.copyfile(uncoded, db)
            code_runs.append(_timed([*qualkit, "-p", str(db), "code", "--workers", str(options.workers),
                                     "--engine", options.engine]))
            bare.append(_tokenize(db))
        code_s = statistics.median(seconds for seconds, _, _ in code_runs)
        code_mb = max(mb for _, mb, _ in code_runs)
        summary = code_runs[-1][2].strip().splitlines()[-1]
        tokenize_s = statistics.median(run["seconds"] for run in bare)
        uncoded.unlink()
    coded_words = bare[0]["words"]
    result = {
        "words": generated,
        "coded_words": coded_words,
        "ingest_s": round(ingest_s, 2),
        "ingest_words_per_s": round(generated / ingest_s),
        "ingest_peak_rss_mb": round(ingest_mb),
        "code_s": round(code_s, 2),
        "words_per_s": round(coded_words / code_s),
        "tokenize_s": round(tokenize_s, 2),
        "tokenize_words_per_s": round(coded_words / tokenize_s),
        "ratio": round(tokenize_s / code_s, 3),
        "ratio_per_worker": round(tokenize_s / code_s / options.workers, 3),
        "code_s_runs": [round(seconds, 2) for seconds, _, _ in code_runs],
        "tokenize_s_runs": [round(run["seconds"], 2) for run in bare],
        "peak_rss_mb": round(code_mb),
        "workers": options.workers,
        "engine": options.engine,
        "code_summary": summary,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if options.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
