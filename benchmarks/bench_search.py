"""Benchmark the full-text search index (issue #20): build time, size, and query times.

    python benchmarks/bench_search.py --words 2000000
    python benchmarks/bench_search.py --words 200000 --json

Generates the corpus `bench_code.py` generates (transcripts, policy paragraphs, survey rows), then:

* ingests it with `qualkit ingest` in its own process (the index is written as documents are);
* builds the index again the two ways an existing project gets one: migration 10's SQL (one
  INSERT ... SELECT substr(...) over every segment), and ``SearchIndex.rebuild`` (texts cut in
  Python, a document at a time);
* measures the index's size with SQLite's dbstat, next to the documents' text;
* times `Project.search` for a word, a prefix, a phrase and an OR query (median of 5 runs).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_code import INGEST_OPTIONS, _timed, generate  # noqa: E402

QUERIES = ("mentoring", "mentor*", '"early career framework"', "coaching OR feedback", "trust -academy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=2_000_000, help="corpus size in words")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()

    from qualkit.project import Project
    from qualkit.store.schema import MIGRATIONS, statements

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        corpus = work / "corpus"
        corpus.mkdir()
        words = generate(corpus, options.words)
        db = work / "bench.db"
        qualkit = [sys.executable, "-m", "qualkit", "-p", str(db)]
        subprocess.run([*qualkit, "init"], check=True, capture_output=True)
        ingest_s, ingest_mb, _ = _timed([*qualkit, "ingest", str(corpus), *INGEST_OPTIONS])
        with Project.open(db) as project:
            conn = project.store._db.conn
            segments = conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
            migration = [s for s in statements(MIGRATIONS[8]) if s.startswith("INSERT")][0]
            with project.store.transaction():
                conn.execute("INSERT INTO segment_search (segment_search) VALUES ('delete-all')")
                start = time.perf_counter()
                conn.execute(migration)
                migration_s = time.perf_counter() - start
            start = time.perf_counter()
            project.store.search.rebuild()
            rebuild_s = time.perf_counter() - start
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = {part.part: part.bytes for part in project.size().parts}
            text_bytes = conn.execute("SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM documents").fetchone()[0]
            queries = {}
            for query in QUERIES:
                times, hits = [], 0
                for _ in range(5):
                    start = time.perf_counter()
                    hits = len(project.search(query))
                    times.append(time.perf_counter() - start)
                queries[query] = {"hits": hits, "median_s": round(statistics.median(times), 3)}
    result = {
        "words": words, "segments": segments,
        "ingest_s": round(ingest_s, 2), "ingest_words_per_s": round(words / ingest_s),
        "ingest_peak_rss_mb": round(ingest_mb),
        "index_by_migration_s": round(migration_s, 2), "index_by_rebuild_s": round(rebuild_s, 2),
        "index_mb": round(size["search index"] / 1e6, 1), "text_mb": round(text_bytes / 1e6, 1),
        "documents_part_mb": round(size["documents (text)"] / 1e6, 1), "queries": queries,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    if options.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
