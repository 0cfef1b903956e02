"""In-domain learning curve: the scorer on real policy passages coded by two independent coders.

    .venv/bin/python benchmarks/bench_policy.py                      # gold from $QUALKIT_GOLD or benchmarks/gold
    .venv/bin/python benchmarks/bench_policy.py --consensus all      # codes both coders gave
    .venv/bin/python benchmarks/bench_policy.py --variants           # also the options the defaults were chosen from
    .venv/bin/python benchmarks/bench_policy.py --wiring             # made-up labels: checks the plumbing only

Passages are those of ``benchmarks/policy_passages.py`` (paragraphs over 80 characters of the
texts in ``../shared/corpora/policy/``). The gold files ``policy_coder_a.csv`` and
``policy_coder_b.csv`` (columns passage, sha1, codes — ``;``-separated code keys of the bundled
codebook) are kept outside the repository; a row whose sha1 no longer matches its passage is
refused. Consensus ``any`` (default) takes a passage's codes from either coder, ``all`` only
the codes both gave (passages both coded), ``a``/``b`` one coder.

What is measured is passage review: a coded passage is a positive for each of its codes and a
negative for every other code. Documents are held out in turn (grouped by document); from the
other documents N coded passages are drawn (three seeds) and ``qualkit train``'s own path —
:func:`qualkit.evaluation.held_out`, i.e. ``fit_scorer`` with its out-of-fold choice of source
and cut-offs — is trained on them, then proposes on the held-out document as ``code`` would.
Reported, micro-averaged over segment × code: P/R/F1 for rules alone, model alone and the
scorer, and the share of held-out segment × code pairs a reviewer reads, in that source's score
order, to find 90% of the codings.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
GOLD = Path(os.environ.get("QUALKIT_GOLD", ROOT / "benchmarks" / "gold"))
CODEBOOK = ROOT / "codebooks" / "niot_coherent_offer.yaml"
SIZES = (20, 50, 100, 150)
SEEDS = (1, 2, 3)
SOURCES = ("rules", "model", "scorer")


def read_gold(folder: Path, current: dict[str, str], codes: set[str]) -> dict[str, dict[str, set[str]]]:
    """coder → passage → codes; stale or unknown rows stop the run with the file and line."""
    out: dict[str, dict[str, set[str]]] = {}
    problems = []
    for coder in ("a", "b"):
        path = folder / f"policy_coder_{coder}.csv"
        if not path.is_file():
            continue
        with open(path, newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                passage = row["passage"].strip()
                if current.get(passage) != row["sha1"].strip():
                    problems.append(f"{path}:{line}: passage {passage} is no current passage with sha1 {row['sha1']}")
                    continue
                given = {c.strip() for c in row["codes"].split(";") if c.strip()}
                unknown = given - codes
                if unknown:
                    problems.append(f"{path}:{line}: codes {sorted(unknown)} are not codable codes of the codebook")
                out.setdefault(coder, {}).setdefault(passage, set()).update(given & codes)
    if problems:
        raise SystemExit("\n".join(problems[:20]) + (f"\n... {len(problems) - 20} more" if len(problems) > 20 else ""))
    if not out:
        raise SystemExit(f"no gold files (policy_coder_a.csv, policy_coder_b.csv) in {folder}; set QUALKIT_GOLD "
                         "or use --wiring to check the plumbing with made-up labels")
    return out


def consensus(gold: dict[str, dict[str, set[str]]], rule: str) -> dict[str, set[str]]:
    a, b = gold.get("a", {}), gold.get("b", {})
    if rule == "a" or rule == "b":
        return dict(gold.get(rule, {}))
    if rule == "all":
        return {p: a[p] & b[p] for p in a.keys() & b.keys()}
    return {p: a.get(p, set()) | b.get(p, set()) for p in a.keys() | b.keys()}


def made_up_gold(passages: list[dict], matches, codes: list[str], folder: Path, count: int = 90) -> None:
    """Wiring only: labels from the rules' evidence with random flips. Its numbers mean nothing."""
    rng = random.Random(0)
    chosen = rng.sample(range(len(passages)), min(count, len(passages)))
    for coder, flip in (("a", 0.05), ("b", 0.1)):
        with open(folder / f"policy_coder_{coder}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["passage", "sha1", "codes"])
            for i in chosen:
                given = {c for c in codes if len(matches[i].get(c, ())) >= 2}
                given ^= {c for c in codes if rng.random() < flip / 4}
                writer.writerow([passages[i]["passage"], passages[i]["sha1"], ";".join(sorted(given))])


def build(passages: list[dict], matches, labelled: dict[str, set[str]], codebook):
    """The TrainingSet of coded passages (text, neighbours' text as context, document as group),
    plus the codebook's examples and descriptions, exactly as `train` assembles it."""
    from qualkit.suggest.training import assemble

    order = sorted(range(len(passages)), key=lambda i: (passages[i]["document"], passages[i]["start"]))
    neighbours: dict[int, str] = {}
    for k, i in enumerate(order):
        around = (order[k - 1] if k else None, order[k + 1] if k + 1 < len(order) else None)
        parts = [passages[j]["text"] for j in around
                 if j is not None and passages[j]["document"] == passages[i]["document"]]
        neighbours[i] = " ".join(parts)
    rows = [i for i, p in enumerate(passages) if p["passage"] in labelled]
    documents = sorted({passages[i]["document"] for i in rows})
    codes = [code.key for code in codebook.codable]
    data = assemble(
        [passages[i]["text"] for i in rows], [neighbours[i] for i in rows],
        [documents.index(passages[i]["document"]) for i in rows],
        [(r, code, int(code in labelled[passages[i]["passage"]])) for r, i in enumerate(rows) for code in codes],
        examples={code.key: list(code.examples) for code in codebook.codable}, codebook=codebook,
    )
    return data, documents


def _task(data, train_rows, test_rows, codes, options, key):
    from qualkit.evaluation import held_out

    judged, model_codes = held_out(data, train_rows, test_rows, codes, options=options)
    return key, judged, model_codes


def curve(data, codes, options, *, sizes, seeds, n_jobs: int = 2) -> dict:
    from joblib import Parallel, delayed

    from qualkit.evaluation import effort_for_recall
    from qualkit.suggest.scorer import EXAMPLES_GROUP
    from qualkit.suggest.thresholds import Counts

    documents = sorted(set(data.groups) - {EXAMPLES_GROUP})
    examples = [r for r, g in enumerate(data.groups) if g == EXAMPLES_GROUP]  # always trained on, as in `train`
    tasks = []
    for seed in seeds:
        for held in documents:
            test = [r for r, g in enumerate(data.groups) if g == held]
            pool = [r for r, g in enumerate(data.groups) if g not in (held, EXAMPLES_GROUP)]
            random.Random(seed * 1000 + held).shuffle(pool)
            for size in sizes:
                tasks.append((sorted(pool[:size] + examples), test, (seed, size, held, min(size, len(pool)))))
    results = Parallel(n_jobs=n_jobs)(delayed(_task)(data, train, test, codes, options, key)
                                      for train, test, key in tasks)
    out: dict = {}
    for size in sizes:
        per_seed: dict[str, list] = {s: [] for s in SOURCES}
        worse = chosen = 0
        drawn = []
        for seed in seeds:
            judged = [j for (s, n, _, _), items, _ in results if s == seed and n == size for j in items]
            drawn += [d for (s, n, _, d), _, _ in results if s == seed and n == size]
            for source in SOURCES:
                counts = Counts.of([j.truth for j in judged], [int(getattr(j, source)[1]) for j in judged])
                effort = effort_for_recall([getattr(j, source)[0] for j in judged], [j.truth for j in judged])
                per_seed[source].append((counts, effort))
            # the target's second half: the model never proposes a code on which it does worse than the rules
            for (s, n, _, _), items, model_codes in results:
                if s != seed or n != size:
                    continue
                for code in model_codes:
                    mine = [j for j in items if j.code == code]
                    model = Counts.of([j.truth for j in mine], [int(j.model[1]) for j in mine])
                    rules = Counts.of([j.truth for j in mine], [int(j.rules[1]) for j in mine])
                    chosen += 1
                    worse += model.f1 < rules.f1
        out[size] = {
            source: {
                "precision": _mean([c.precision for c, _ in per_seed[source]]),
                "recall": _mean([c.recall for c, _ in per_seed[source]]),
                "f1": _mean([c.f1 for c, _ in per_seed[source]]),
                "f1_sd": statistics.stdev([c.f1 for c, _ in per_seed[source]]) if len(seeds) > 1 else None,
                "effort_90": _mean([e for _, e in per_seed[source]]),
            }
            for source in SOURCES
        }
        out[size]["model_codes_held_out_worse"] = f"{worse} of {chosen}"
        out[size]["passages_drawn_mean"] = round(statistics.mean(drawn), 1)
    return out


def _mean(values):
    values = [v for v in values if v is not None]
    return round(statistics.mean(values), 4) if values else None


def variants() -> dict:
    from qualkit.suggest.scorer import CutoffPolicy, ScorerOptions

    base = ScorerOptions()
    return {
        "default": base,
        "cut-offs: one global": dataclasses.replace(base, cutoffs=CutoffPolicy.GLOBAL),
        "cut-offs: per code": dataclasses.replace(base, cutoffs=CutoffPolicy.PER_CODE),
        "with character n-grams": dataclasses.replace(base, chars=True),
        "no context": dataclasses.replace(base, context=False),
        "no margin": dataclasses.replace(base, margin_noise=0.0),
        "margin 0.05": dataclasses.replace(base, margin_noise=0.0, margin=0.05),
        "pooled": dataclasses.replace(base, pooled=True),
        "pooled, C=1": dataclasses.replace(base, pooled=True, c=1.0),
        "pooled, global cut-off": dataclasses.replace(base, pooled=True, cutoffs=CutoffPolicy.GLOBAL),
        "with descriptions": dataclasses.replace(base, describe=True),
        "pooled, margin 0.05": dataclasses.replace(base, pooled=True, margin=0.05),
        "margin 0.1": dataclasses.replace(base, margin_noise=0.0, margin=0.1),
        "margin 0.5/sqrt(positives)": dataclasses.replace(base, margin_noise=0.5),
        "pooled, margin 0.5/sqrt(positives)": dataclasses.replace(base, pooled=True, margin_noise=0.5),
        "rule weight 3": dataclasses.replace(base, rule_weight=3.0),
        "C=1": dataclasses.replace(base, c=1.0),
        "rule weight 3, C=1": dataclasses.replace(base, rule_weight=3.0, c=1.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD, help="folder with policy_coder_a.csv / _b.csv")
    parser.add_argument("--consensus", choices=("any", "all", "a", "b"), default="any")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    parser.add_argument("--variants", action="store_true", help="also run the alternative options")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants (names as printed)")
    parser.add_argument("--wiring", action="store_true", help="made-up labels: plumbing only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()

    from policy_passages import passages as policy_passages

    from qualkit.codebook import load_codebook
    from qualkit.suggest.training import rule_evidence

    found = policy_passages()
    codebook, _ = load_codebook(CODEBOOK)
    codes = [code.key for code in codebook.codable]
    matches = rule_evidence([p["text"] for p in found], codebook)
    gold_folder = args.gold
    if args.wiring:
        gold_folder = Path(tempfile.mkdtemp())
        made_up_gold(found, matches, codes, gold_folder)
        print("WIRING RUN: made-up labels; these numbers say nothing about qualkit.", file=sys.stderr)
    gold = read_gold(gold_folder, {p["passage"]: p["sha1"] for p in found}, set(codes))
    labelled = consensus(gold, args.consensus)
    data, documents = build(found, matches, labelled, codebook)
    seeds = SEEDS[:args.seeds] if args.seeds <= len(SEEDS) else tuple(range(1, args.seeds + 1))
    chosen = variants() if args.variants else {"default": variants()["default"]}
    if args.only:
        chosen = {name: options for name, options in variants().items() if name in args.only}
    result: dict = {
        "wiring": args.wiring, "consensus": args.consensus, "passages": len(data) - data.groups.count(-1),
        "documents": documents,
        "passages_per_document": {d: data.groups.count(i) for i, d in enumerate(documents)},
        "codebook_examples": data.groups.count(-1),
        "coded_pairs": sum(sum(v.values()) for v in data.labels.values()), "codes": len(codes),
        "coders": {c: len(p) for c, p in gold.items()}, "seeds": list(seeds), "variants": {},
    }
    for name, options in chosen.items():
        result["variants"][name] = curve(data, codes, options, sizes=args.sizes, seeds=seeds)
        if not args.json:
            what = "WIRING, meaningless" if args.wiring else args.consensus
            print(f"\n{name}  ({what}; {result['passages']} passages, "
                  f"{len(documents)} documents, documents held out in turn, {len(seeds)} seeds)")
            header = "".join(f"{s + ' P/R/F1 (90% at)':>34}" for s in SOURCES)
            print(f"{'N':>5} {header}  model worse on held-out")
            for size, row in result["variants"][name].items():
                cells = "".join(
                    f"{_f(row[s]['precision'])}/{_f(row[s]['recall'])}/{_f(row[s]['f1'])} ({_f(row[s]['effort_90'])})"
                    .rjust(34) for s in SOURCES)
                print(f"{size:>5} {cells}  {row['model_codes_held_out_worse']}")
    result["total_s"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"\ntotal {result['total_s']} s")


def _f(value) -> str:
    return "  - " if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
