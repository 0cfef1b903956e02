"""How fast pseudonymising and the leak check run, on the sample corpus repeated to a size, with
the corpus's key plus synthetic entries (a key of hundreds of names, as a large study has).

    .venv/bin/python benchmarks/bench_pseudonymise.py --words 2000000 --entries 500 --json

Measures, in process: compiling the key (a Pseudonymiser and a LeakChecker), pseudonymising every
text (wall and CPU seconds, words/s by wall clock, names replaced), and the leak check over the
pseudonymised texts (the same; it must find nothing). Peak RSS is the process's. The texts are
the 20 bundled documents, read as `qualkit ingest` reads them, repeated until the corpus has at
least --words words.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "niot_case_study"
SYLLABLES = ("bar", "cel", "dor", "fen", "gal", "hol", "jen", "kor", "lin", "mer", "nor", "pel", "quin", "ros",
             "sel", "tam", "vor", "wil", "yar", "zen")


def corpus_texts() -> list[str]:
    from qualkit.ingest import ReadOptions, discover, extract, read_bytes

    found = discover([CORPUS / "interviews", CORPUS / "documents"])
    texts = []
    for source in found.files:
        documents, _ = extract(source, read_bytes(source.path), ReadOptions())
        texts.extend(d.text for d in documents)
    return texts


def synthetic_names(count: int) -> list[str]:
    """Made-up two-word names ("Barcel Dorfen"), none an English word."""
    names = []
    for first, second, third, fourth in itertools.product(SYLLABLES, repeat=4):
        names.append(f"{first.title()}{second} {third.title()}{fourth}")
        if len(names) == count:
            break
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--entries", type=int, default=500, help="synthetic entries added to the corpus's key")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from qualkit.pseudonymise import EntrySource, Kind, LeakChecker, NameInput, Pseudonymiser, build_key
    from qualkit.pseudonymise.key import read_cases_values

    base = corpus_texts()
    texts, words = [], 0
    for text in itertools.cycle(base):
        texts.append(text)
        words += len(text.split())
        if words >= args.words:
            break
    cases, attributes = read_cases_values(CORPUS / "cases.csv")
    speakers = [line.split(":", 1)[0].split("]")[-1].strip() for text in base for line in text.splitlines()
                if ":" in line[:40]]
    extra = [NameInput(name, Kind.PERSON, EntrySource.RESEARCHER) for name in synthetic_names(args.entries)]
    key = build_key(case_names=cases, attributes=attributes, speaker_labels=speakers, researcher_names=extra,
                    shuffle_seed="bench").key

    started = time.perf_counter()
    pseudonymiser = Pseudonymiser(key)
    checker = LeakChecker(key)
    compile_s = time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    views = [pseudonymiser(text) for text in texts]
    pseudonymise_s, pseudonymise_cpu = time.perf_counter() - started, time.process_time() - cpu
    replaced = sum(len(view.replacements) for view in views)

    started, cpu = time.perf_counter(), time.process_time()
    leaks, checked = checker.leaks_in_texts((str(i), view.text) for i, view in enumerate(views))
    check_s, check_cpu = time.perf_counter() - started, time.process_time() - cpu
    if leaks:
        sys.exit(f"the leak check found {len(leaks)} names in pseudonymised texts: {leaks[:3]}")

    result = {
        "words": words, "texts": len(texts), "key_entries": len(key.entries),
        "forms": sum(len(e.forms) for e in key.entries), "compile_s": round(compile_s, 3),
        "pseudonymise_s": round(pseudonymise_s, 2), "pseudonymise_cpu_s": round(pseudonymise_cpu, 2),
        "pseudonymise_words_per_s": round(words / pseudonymise_s), "names_replaced": replaced,
        "check_s": round(check_s, 2), "check_cpu_s": round(check_cpu, 2), "check_words_per_s": round(words / check_s),
        "texts_checked": checked, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
