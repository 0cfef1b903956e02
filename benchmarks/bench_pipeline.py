"""Benchmark every stage of a national-scale run: ingest, code (rules; rules + model), the review
queue's next item, export and the Word report.

    python benchmarks/bench_pipeline.py --words 2000000
    python benchmarks/bench_pipeline.py --words 2000000 --json --keep /tmp/bench

The corpus is generated as in ``bench_code.py`` (re-sampled sample interviews with speakers,
paragraphs of the real policy texts). A reviewer then decides a sample of the rule suggestions
(accepting those with two or more pieces of evidence, rejecting single-word hits: a stand-in for
human judgement, so that `train` has both kinds), `train` fits the classifier, and `code
--threshold` re-codes with rules and model; a low threshold makes the model propose many codes
per segment, which is how the project reaches a million suggestions for the review-queue test.
Every stage except the review queue runs as its own `qualkit` process, so its peak memory is its
own. The review queue is timed in process, as the interactive reviewer sees it: the next item
(query, context and all) and the progress count, over many accept decisions.
"""

from __future__ import annotations

import argparse
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_code import _TOKENIZE, CODEBOOK, INGEST_OPTIONS, _timed, generate  # noqa: E402

REVIEWER = "bench reviewer"


def _stage(results: dict, name: str, args: list[str], *, words: int | None = None) -> str:
    seconds, peak_mb, out = _timed(args)
    results[name] = {"s": round(seconds, 2), "peak_rss_mb": round(peak_mb)}
    if words:
        results[name]["words_per_s"] = round(words / seconds)
    last = out.strip().splitlines()[-1][:110] if out.strip() else ""
    print(f"{name:>18}: {seconds:8.2f} s  peak {peak_mb:6.0f} MB  {last}", file=sys.stderr)
    return out


def _decide_sample(db: Path, share: float, seed: int = 7) -> int:
    """Decide a share of the rule suggestions as one reviewer (not timed)."""
    from qualkit.project import Project
    from qualkit.review.actions import decide

    rng = random.Random(seed)
    with Project.open(db) as project:
        views = project.store.suggestions.views()
        chosen = [view for view in views if view.source.value == "rule" and rng.random() < share]
        accept = [view.id for view in chosen if len(view.evidence) > 1]
        reject = [view.id for view in chosen if len(view.evidence) <= 1]
        decide(project.store, REVIEWER, accept=accept, reject=reject, via="import")
    return len(chosen)


def _review_queue(db: Path, decisions: int) -> dict:
    """Next-item latency (ms) over ``decisions`` accepts, per review order, and of the progress count."""
    from qualkit.project import Project
    from qualkit.review.session import ORDERS

    timings: dict = {}
    with Project.open(db) as project:
        suggestions = project.store.queue.count_pending(None)
        for order in ORDERS:
            session = project.review_session(REVIEWER, order=order)
            nexts, progresses = [], []
            for _ in range(decisions):
                start = time.perf_counter()
                item = session.current()
                nexts.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                session.progress()
                progresses.append((time.perf_counter() - start) * 1000)
                if item is None:
                    break
                session.accept(item)
            timings[order] = {
                "next_ms_median": round(statistics.median(nexts), 1), "next_ms_max": round(max(nexts), 1),
                # the first progress counts the queue; later ones follow the session's own decisions
                "progress_first_ms": round(progresses[0], 1),
                "progress_ms_median": round(statistics.median(progresses), 1),
            }
            print(f"{'review ' + order:>18}: next item median {timings[order]['next_ms_median']} ms, "
                  f"max {timings[order]['next_ms_max']} ms; progress first {timings[order]['progress_first_ms']} ms, "
                  f"then {timings[order]['progress_ms_median']} ms",
                  file=sys.stderr)
    return {"suggestions": suggestions, "orders": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=2_000_000, help="corpus size in words")
    parser.add_argument("--workers", type=int, default=1, help="processes for `qualkit code --workers`")
    parser.add_argument("--threshold", type=float, default=0.001,
                        help="model threshold for the rules + model run (low: many suggestions)")
    parser.add_argument("--decide-share", type=float, default=0.05,
                        help="share of rule suggestions decided before training")
    parser.add_argument("--review-decisions", type=int, default=50, help="accepts timed per review order")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", type=Path, help="keep the generated corpus and project in this folder")
    options = parser.parse_args()

    qualkit = [sys.executable, "-m", "qualkit"]
    results: dict = {"workers": options.workers}
    with tempfile.TemporaryDirectory() as scratch:
        work = options.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        corpus = work / "corpus"
        corpus.mkdir(exist_ok=True)
        for old in corpus.iterdir():
            old.unlink()
        results["words"] = generated = generate(corpus, options.words)
        db = work / "pipeline.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        project = [*qualkit, "-p", str(db)]
        subprocess.run([*project, "init"], check=True, capture_output=True)
        _stage(results, "ingest", [*project, "ingest", str(corpus), *INGEST_OPTIONS], words=generated)
        subprocess.run([*project, "codebook", "load", str(CODEBOOK)], check=True, capture_output=True)
        _, _, tokenize_out = _timed([sys.executable, "-c", _TOKENIZE, str(db)])
        bare = json.loads(tokenize_out)
        coded_words = results["coded_words"] = bare["words"]
        results["tokenize_words_per_s"] = round(coded_words / bare["seconds"])
        workers = ["--workers", str(options.workers)]
        _stage(results, "code_rules", [*project, "code", *workers], words=coded_words)
        results["decided_for_training"] = _decide_sample(db, options.decide_share)
        _stage(results, "train", [*project, "train", "--reviewer", REVIEWER])
        _stage(results, "code_rules_model",
               [*project, "code", *workers, "--threshold", str(options.threshold)], words=coded_words)
        results["review_queue"] = _review_queue(db, options.review_decisions)
        _stage(results, "export_suggestions", [*project, "export", "suggestions", str(work / "suggestions.csv")])
        _stage(results, "export_codings", [*project, "export", "codings", str(work / "codings.xlsx")])
        _stage(results, "report", [*project, "report", str(work / "report.docx")])
    for stage in ("code_rules", "code_rules_model"):
        results[stage]["ratio"] = round(results[stage]["words_per_s"] / results["tokenize_words_per_s"], 3)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if options.json:
        print(json.dumps(results))
    else:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
