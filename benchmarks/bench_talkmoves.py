"""Benchmark qualkit's classifier on real human-coded data: the TalkMoves teacher sentences.

    python benchmarks/bench_talkmoves.py            # full run, a few minutes on 2 cores
    python benchmarks/bench_talkmoves.py --quick    # smoke check on the first 5,000 sentences
    python benchmarks/bench_talkmoves.py --json     # one JSON object instead of tables

Data: ``$QUALKIT_SHARED/datasets/talkmoves/test_teacher.tsv`` (default ``../shared``), the published
*test* split of the TalkMoves dataset (Suresh et al., LREC 2022; CC BY-NC-SA 4.0): 23,250 teacher
sentences, each with the previous utterance (``text_a``) and one of seven labels (0 = no talk move,
1-6 = talk moves). Only that split is public here, so this benchmark trains and tests inside it.

Split. The file has no lesson id, and its sentences are in lesson order, so a random split would
put sentences of the same lesson (same teacher, same problem, same names) on both sides. The test
portion is therefore the *last* 20% of the rows and the training portion the first 80%; options are
compared on the last 20% of the training portion (trained on the rest), never on the test rows.
At most one lesson straddles each cut.

What runs is qualkit's own code:

* ``qualkit``: ``qualkit.suggest.scorer.fit_scorer`` — the path ``qualkit train`` runs: out-of-fold
  decision values on folds grouped by lesson (two folds at a time), one Platt calibration per move on
  them, cut-offs chosen on them (shrunk toward one global cut-off), the per-move choice between rules
  and model (there are no rules here, so the model takes every move it can score above F1 0), and a
  final class-balanced liblinear logistic regression per move — then ``ModelSuggester`` (the trained
  cut-offs, evidence included). Every sentence is a decision for every move (accepted if it has that
  label, rejected otherwise); the predicted label is the move with the highest suggested score, or 0
  when nothing reaches its cut-off. The file has no lesson id, so blocks of LESSON_ROWS consecutive
  sentences stand in for lessons as groups: at most one real lesson straddles each block boundary.
* ``argmax``: ``build_features`` (below: the feature union qualkit's classifier used before the
  scorer — words 1–2, characters 3–5, context words) and a class-balanced liblinear logistic
  regression, C=4, one-vs-rest over all seven labels including 0, argmax of the decision function:
  the plain multi-class reading. A few options (C, class weights, multinomial)
  are tried on the validation portion.

"Without context" is ``ScorerOptions(context=False)`` for qualkit and ``build_features`` with its
context branch dropped for argmax.

Metrics: macro-F1 over the seven labels (0 included) and over the six talk moves (1-6, still
predicted among seven), accuracy, Cohen's kappa, per-label F1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("QUALKIT_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "datasets" / "talkmoves" / "test_teacher.tsv"

# Checked against the coding manual's definitions and against the data (see `mapping_check`).
LABELS = {
    0: "none",
    1: "keeping everyone together",
    2: "getting students to relate",
    3: "restating",
    4: "revoicing",
    5: "pressing for accuracy",
    6: "pressing for reasoning",
}
MOVES = tuple(range(1, 7))
CODES = {k: re.sub(r"\W+", "_", LABELS[k]) for k in MOVES}  # label -> qualkit code key
CODE_LABEL = {code: k for k, code in CODES.items()}
TEST_SHARE = 0.2
LESSON_ROWS = 400  # stand-in lesson length for grouped folds: ~23,250 sentences over some 60 lessons
SIZES = (250, 500, 1000, 2000, 4000, 8000)
QUICK_ROWS, QUICK_SIZES = 3000, (500,)
SEEDS = (1, 2, 3)
CURVE_NAMES = ("qualkit, context", "qualkit, no context", "argmax C=4 balanced, context",
               "argmax C=4 balanced, no context")
TIMED = ("qualkit, context", "argmax C=4 balanced, context")
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)  # swept on qualkit's scores, chosen on validation

PUBLISHED = {
    "transformers (prior work cited by Suresh et al., BEA 2022)": 0.7632,
    "RoBERTa + previous and next utterances (Suresh et al., BEA 2022)": 0.7632 + 0.026,
    "TF-IDF + LR, 5-fold CV mixing lessons (dataset README)": 0.52,
}


# ---------------------------------------------------------------------------------------------- data


def load(rows: int | None = None):
    import pandas as pd

    frame = pd.read_csv(DATA, sep="\t", keep_default_na=False, dtype={"text_a": str, "text_b": str})
    frame["labels"] = frame["labels"].astype(float).astype(int)
    if rows:
        frame = frame.iloc[:rows].reset_index(drop=True)
    return frame


def contiguous_split(n: int, share: float = TEST_SHARE) -> tuple[range, range]:
    cut = n - round(n * share)
    return range(0, cut), range(cut, n)


def mapping_check(frame) -> dict:
    """Per label: share of sentences showing each talk move's signature (manual's definitions)."""

    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s.lower()).strip()

    text, context = frame["text_b"], frame["text_a"]
    signature = {
        "repeats_previous_verbatim": [norm(a) == norm(b) != "" for a, b in zip(context, text, strict=True)],
        "why_how_do_you_know_explain": text.str.lower().str.contains(r"\bwhy\b|how do you know|\bexplain").tolist(),
        "agree_add_same": text.str.lower().str.contains(r"\bagree|\bdisagree|\badd\b|\bsame\b").tolist(),
        "has_previous_utterance": (context != "").tolist(),
    }
    words = text.str.split().str.len().tolist()
    out = {}
    for label in LABELS:
        rows = [i for i, v in enumerate(frame["labels"]) if v == label]
        out[label] = {name: round(sum(values[i] for i in rows) / len(rows), 3) for name, values in signature.items()}
        out[label]["mean_words"] = round(sum(words[i] for i in rows) / len(rows), 1)
        out[label]["count"] = len(rows)
    return out


# ------------------------------------------------------------------------------------------ models


def build_features():
    """The feature union the old classifier used (words, characters, context): argmax's features."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    return ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True), "text"),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2,
                                      max_features=50_000), "text"),
            ("context", TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True, min_df=2), "context"),
        ],
        transformer_weights={"words": 1.0, "chars": 0.7, "context": 0.4},
    )


def features(with_context: bool):
    pipeline = build_features()
    return pipeline if with_context else pipeline.set_params(context="drop")


def frame_of(data, rows):
    import pandas as pd

    part = data.iloc[list(rows)]
    return pd.DataFrame({"text": part["text_b"].tolist(), "context": part["text_a"].tolist()})


class QualkitRun:
    """qualkit's `train` path (fit_scorer, lessons as groups) and `ModelSuggester`, reduced to one
    label per sentence."""

    def __init__(self, with_context: bool):
        self.with_context = with_context
        self.trained = None
        self.skipped: dict[str, str] = {}
        self.cutoffs: dict[str, float] = {}

    def fit(self, texts, contexts, y):
        from qualkit.errors import ModelError
        from qualkit.suggest.scorer import CodeSource, ScorerOptions, TrainingSet, fit_scorer

        labels = {CODES[k]: {i: int(v == k) for i, v in enumerate(y)} for k in MOVES}
        groups = tuple(i // LESSON_ROWS for i in range(len(texts)))
        training = TrainingSet(tuple(texts), tuple(contexts), groups, labels)
        try:
            self.trained = fit_scorer(training, list(CODES.values()), options=ScorerOptions(context=self.with_context),
                                      n_jobs=2)
        except ModelError as error:
            self.trained, self.skipped = None, {"all": str(error)}
            return self
        self.skipped = {c.code: c.reason for c in self.trained.choices.values() if c.source is CodeSource.RULES}
        self.cutoffs = {code: self.trained.models[code].cutoff for code in self.trained.model_codes}
        return self

    def predict(self, texts, contexts):
        from qualkit.records import Segment, Unit
        from qualkit.suggest.model import ModelSuggester

        if self.trained is None:
            return [0] * len(texts), 0
        codebook = SimpleNamespace(codable=[SimpleNamespace(key=code) for code in CODES.values()], nlp=None)
        suggester = ModelSuggester(self.trained, codebook, version="bench")
        segments = (Segment(i, 0, i, 0, len(t), Unit.SENTENCE, t) for i, t in enumerate(texts))
        predicted, several = [], 0
        for _, suggestions in suggester.pipe((s, c, {}) for s, c in zip(segments, contexts, strict=True)):
            several += len(suggestions) > 1
            best = max(suggestions, key=lambda s: s.score, default=None)
            predicted.append(CODE_LABEL[best.code] if best else 0)
        return predicted, several

    def best_scores(self, texts, contexts) -> list[tuple[int, float]]:
        """(move, probability) of the highest-scoring move per sentence: what a global threshold would cut."""
        import numpy as np

        if self.trained is None or not self.trained.model_codes:
            return [(0, 0.0)] * len(texts)
        codes = list(self.trained.model_codes)
        found = self.trained.probabilities(texts, contexts, [{}] * len(texts), codes)
        probabilities = np.column_stack([found[c] for c in codes])
        best = probabilities.argmax(axis=1)
        return [(CODE_LABEL[codes[j]], float(probabilities[i, j])) for i, j in enumerate(best)]


class ArgmaxRun:
    """build_features + a seven-way logistic regression (one-vs-rest liblinear, or multinomial)."""

    def __init__(self, with_context: bool, *, c: float = 4.0, class_weight: str | None = "balanced",
                 multinomial: bool = False):
        self.with_context, self.c, self.class_weight, self.multinomial = with_context, c, class_weight, multinomial

    def fit(self, texts, contexts, y):
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self.features = features(self.with_context)
        matrix = self.features.fit_transform(pd.DataFrame({"text": texts, "context": contexts}))
        if self.multinomial:
            self.classifier = LogisticRegression(C=self.c, class_weight=self.class_weight, solver="lbfgs",
                                                 max_iter=3000)
        else:
            self.classifier = OneVsRestClassifier(
                LogisticRegression(C=self.c, class_weight=self.class_weight, solver="liblinear", max_iter=2000))
        self.classifier.fit(matrix, y)
        return self

    def predict(self, texts, contexts):
        import pandas as pd

        matrix = self.features.transform(pd.DataFrame({"text": texts, "context": contexts}))
        return self.classifier.predict(matrix).tolist(), 0


def configurations(quick: bool) -> dict:
    options = {
        "qualkit, context": lambda: QualkitRun(True),
        "qualkit, no context": lambda: QualkitRun(False),
        "argmax C=4 balanced, context": lambda: ArgmaxRun(True),
        "argmax C=4 balanced, no context": lambda: ArgmaxRun(False),
    }
    if not quick:
        options.update({
            "argmax C=1 balanced, context": lambda: ArgmaxRun(True, c=1.0),
            "argmax C=16 balanced, context": lambda: ArgmaxRun(True, c=16.0),
            "argmax C=4 unweighted, context": lambda: ArgmaxRun(True, class_weight=None),
            "multinomial lbfgs C=4 balanced, context": lambda: ArgmaxRun(True, multinomial=True),
        })
    return options


# ----------------------------------------------------------------------------------------- scoring


def macro_f1(truth, predicted, labels) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(truth, predicted, labels=list(labels), average="macro", zero_division=0)), 4)


def score(truth, predicted) -> dict:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, labels=list(LABELS), average=None, zero_division=0)
    return {
        "macro_f1_7": macro_f1(truth, predicted, LABELS),
        "macro_f1_6_moves": macro_f1(truth, predicted, MOVES),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "kappa": round(float(cohen_kappa_score(truth, predicted)), 4),
        "per_label": {
            LABELS[k]: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}
            for k, p, r, f in zip(LABELS, precision, recall, f1, strict=True)
        },
    }


def threshold_sweep(truth, best: list[tuple[int, float]]) -> dict:
    """Macro-F1 if the top move were suggested from each threshold up (0 below it)."""
    sweep = {}
    for threshold in THRESHOLDS:
        predicted = [move if p >= threshold else 0 for move, p in best]
        sweep[threshold] = {"macro_f1_7": macro_f1(truth, predicted, LABELS),
                            "macro_f1_6_moves": macro_f1(truth, predicted, MOVES)}
    return sweep


def run(make, data, train_rows, eval_rows, *, timing: bool = False) -> dict:
    """Fit on train_rows, score on eval_rows; wall-clock times of fit and (best of 3) prediction."""
    part = data.iloc[list(train_rows)]
    texts, contexts, y = part["text_b"].tolist(), part["text_a"].tolist(), part["labels"].tolist()
    held = data.iloc[list(eval_rows)]
    eval_texts, eval_contexts, truth = held["text_b"].tolist(), held["text_a"].tolist(), held["labels"].tolist()
    runner = make()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wall, cpu = time.perf_counter(), time.process_time()
        runner.fit(texts, contexts, y)
        fit_s, fit_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        predict_s = predict_cpu_s = float("inf")
        for _ in range(3 if timing else 1):  # best of 3: the machine may be shared
            wall, cpu = time.perf_counter(), time.process_time()
            predicted, several = runner.predict(eval_texts, eval_contexts)
            predict_s = min(predict_s, time.perf_counter() - wall)
            predict_cpu_s = min(predict_cpu_s, time.process_time() - cpu)
    result = {
        "train_sentences": len(texts),
        "eval_sentences": len(truth),
        **score(truth, predicted),
        "fit_s": round(fit_s, 2),
        "fit_cpu_s": round(fit_cpu_s, 2),
        "predict_s": round(predict_s, 3),
        "predict_cpu_s": round(predict_cpu_s, 3),
        "predict_sentences_per_s": round(len(truth) / predict_s),
        "warnings": sorted({type(w.message).__name__ for w in caught}),
    }
    if isinstance(runner, QualkitRun):
        best = runner.best_scores(eval_texts, eval_contexts)
        result["cutoffs"] = runner.cutoffs  # chosen by `train` on out-of-fold scores
        result["threshold_sweep"] = threshold_sweep(truth, best)
        result["sentences_with_several_suggestions"] = several
        result["skipped_codes"] = sorted(runner.skipped)
    return result


# ----------------------------------------------------------------------------------------- machine


def machine() -> dict:
    import numpy
    import pandas
    import sklearn

    import qualkit

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory": memory,
        "python": platform.python_version(),
        "versions": {"qualkit": getattr(qualkit, "__version__", "?"), "scikit-learn": sklearn.__version__,
                     "numpy": numpy.__version__, "pandas": pandas.__version__},
    }


# -------------------------------------------------------------------------------------------- main


def tuned(sweep_valid: dict, sweep_test: dict) -> dict:
    """The threshold with the best validation macro-F1 (7 labels), and what it gives on the test rows."""
    threshold = max(THRESHOLDS, key=lambda t: (sweep_valid[t]["macro_f1_7"], t))
    return {"threshold": threshold, **sweep_test[threshold]}


def benchmark(quick: bool, log) -> dict:
    started = time.perf_counter()
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    data = load(QUICK_ROWS if quick else None)
    n = len(data)
    train_rows, test_rows = contiguous_split(n)
    fit_rows, valid_rows = contiguous_split(len(train_rows))
    log(f"{n} sentences: train rows 0-{train_rows[-1]}, test rows {test_rows[0]}-{test_rows[-1]} (contiguous); "
        f"options compared on train rows {valid_rows[0]}-{valid_rows[-1]} after training on 0-{fit_rows[-1]}")
    result: dict = {
        "quick": quick,
        "data": str(DATA),
        "sentences": n,
        "split": {"kind": "contiguous (lesson order, no lesson id)", "train_rows": [0, train_rows[-1]],
                  "test_rows": [test_rows[0], test_rows[-1]], "validation_rows": [valid_rows[0], valid_rows[-1]]},
        "test_label_counts": {LABELS[k]: int((data["labels"].iloc[list(test_rows)] == k).sum()) for k in LABELS},
        "label_names": LABELS,
        "mapping_check": mapping_check(data),
        "machine": machine(),
        "published": PUBLISHED,
    }

    options = configurations(quick)
    result["options"] = {}
    for name, make in options.items():
        valid = run(make, data, fit_rows, valid_rows)
        test = run(make, data, train_rows, test_rows, timing=True)
        result["options"][name] = {"validation": valid, "test": test}
        log(f"  {name:<42} validation {valid['macro_f1_7']:.3f}/{valid['macro_f1_6_moves']:.3f}  "
            f"test {test['macro_f1_7']:.3f}/{test['macro_f1_6_moves']:.3f}  fit {test['fit_s']:.1f}s")
    for name in ("qualkit, context", "qualkit, no context"):
        r = result["options"][name]
        r["tuned_threshold"] = tuned(r["validation"]["threshold_sweep"], r["test"]["threshold_sweep"])
        log(f"  {name}, threshold chosen on validation: {r['tuned_threshold']}")
    candidates = {name: r["validation"]["macro_f1_7"] for name, r in result["options"].items()}
    for name in ("qualkit, context", "qualkit, no context"):
        threshold = result["options"][name]["tuned_threshold"]["threshold"]
        candidates[f"{name}, threshold {threshold}"] = result["options"][name]["validation"]["threshold_sweep"][
            threshold]["macro_f1_7"]
    result["chosen_on_validation"] = max(candidates, key=candidates.get)

    # Full-size training and prediction times: the machine may be shared, so fit twice more and keep the fastest.
    result["timing"] = {}
    for name in TIMED:
        runs = [result["options"][name]["test"]]
        runs += [run(options[name], data, train_rows, test_rows, timing=True) for _ in range(0 if quick else 2)]
        fastest = min(runs, key=lambda r: r["fit_s"])
        result["timing"][name] = {
            "train_sentences": len(train_rows),
            "fit_s_each": [r["fit_s"] for r in runs],
            "fit_s_min": fastest["fit_s"],
            "fit_cpu_s_min": min(r["fit_cpu_s"] for r in runs),
            "train_sentences_per_s": round(len(train_rows) / fastest["fit_s"]),
            "predict_sentences": len(test_rows),
            "predict_s_min": min(r["predict_s"] for r in runs),
            "predict_sentences_per_s": max(r["predict_sentences_per_s"] for r in runs),
        }
        log(f"  timing {name}: {result['timing'][name]}")

    sizes = [s for s in (QUICK_SIZES if quick else SIZES) if s < len(train_rows)]
    context_threshold = result["options"]["qualkit, context"]["tuned_threshold"]["threshold"]
    curve: list[dict] = []
    for size in [*sizes, len(train_rows)]:
        point: dict = {"n": size}
        for name in CURVE_NAMES:  # the first `size` sentences: whole lessons, in order, as a coder codes them
            r = run(options[name], data, range(size), test_rows) if size < len(train_rows) else \
                result["options"][name]["test"]
            point[name] = {key: r[key] for key in ("macro_f1_7", "macro_f1_6_moves", "accuracy", "kappa", "fit_s")}
            if "threshold_sweep" in r:
                point[name]["skipped_codes"] = r["skipped_codes"]
            if name == "qualkit, context":
                point[f"qualkit, context, threshold {context_threshold}"] = r["threshold_sweep"][context_threshold]
        if not quick and size < len(train_rows):  # `size` sentences drawn at random from the training portion
            scores = [run(options["argmax C=4 balanced, context"], data,
                          sorted(random.Random(seed).sample(list(train_rows), size)), test_rows) for seed in SEEDS]
            point["argmax C=4 balanced, context, random sample"] = {
                metric: round(statistics.mean(r[metric] for r in scores), 4)
                for metric in ("macro_f1_7", "macro_f1_6_moves")
            } | {"sd_macro_f1_7": round(statistics.stdev(r["macro_f1_7"] for r in scores), 4), "seeds": list(SEEDS)}
        curve.append(point)
        log(f"  n={size:<6} " + "  ".join(f"{k}: {v['macro_f1_7']:.3f}" for k, v in point.items() if k != "n"))
    result["learning_curve"] = curve
    result["load_average_before_after"] = [load_before, os.getloadavg() if hasattr(os, "getloadavg") else None]
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


def print_tables(result: dict) -> None:
    m = result["machine"]
    print(f"\nMachine: {m['platform']}, {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory']}, "
          f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    print(f"Load average before/after: {result['load_average_before_after']}")
    print(f"Data: {result['data']} ({result['sentences']} sentences), split {result['split']}")
    print("\nLabel mapping check (share of each label's sentences showing the signature):")
    check = result["mapping_check"]
    columns = list(next(iter(check.values())))
    print(f"{'label':<30}" + "".join(f"{c[:16]:>18}" for c in columns))
    for k, row in check.items():
        print(f"{k} {LABELS[k]:<28}" + "".join(f"{row[c]:>18}" for c in columns))
    print(f"\nTest label counts: {result['test_label_counts']}")
    print("\nOptions (macro-F1 over 7 labels / over the 6 moves; times for the full training portion):")
    for name, r in result["options"].items():
        v, t = r["validation"], r["test"]
        print(f"  {name:<42} validation {v['macro_f1_7']:.3f} / {v['macro_f1_6_moves']:.3f}   test "
              f"{t['macro_f1_7']:.3f} / {t['macro_f1_6_moves']:.3f}  acc {t['accuracy']:.3f}  kappa {t['kappa']:.3f}  "
              f"fit {t['fit_s']:.1f}s (cpu {t['fit_cpu_s']:.1f}s)  predict {t['predict_sentences_per_s']}/s  "
              f"{' '.join(t['warnings'])}")
        if "tuned_threshold" in r:
            tt = r["tuned_threshold"]
            print(f"  {name + ', threshold ' + str(tt['threshold']):<42} (threshold chosen on validation)        test "
                  f"{tt['macro_f1_7']:.3f} / {tt['macro_f1_6_moves']:.3f}   "
                  f"[cut-offs chosen by train: {t['cutoffs']}, "
                  f"sentences with >1 suggestion: {t['sentences_with_several_suggestions']}]")
    print(f"  chosen on validation: {result['chosen_on_validation']}")
    print("\nFull-size timing (fastest of the fits; wall clock, features + classifiers; prediction best of 3):")
    for name, t in result["timing"].items():
        print(f"  {name:<32} train {t['train_sentences']} sentences: {t['fit_s_min']:.1f}s (each: {t['fit_s_each']}, "
              f"cpu {t['fit_cpu_s_min']:.1f}s)  predict {t['predict_sentences']}: {t['predict_s_min']:.2f}s = "
              f"{t['predict_sentences_per_s']} sentences/s")
    print("\nPer-label precision / recall / F1 on the test rows:")
    names = CURVE_NAMES
    print(f"{'label':<28}" + "".join(f"{n[:26]:>28}" for n in names))
    for label in LABELS.values():
        cells = []
        for n in names:
            x = result["options"][n]["test"]["per_label"][label]
            cells.append(f"{x['precision']:.2f} / {x['recall']:.2f} / {x['f1']:.2f}")
        print(f"{label:<28}" + "".join(f"{c:>28}" for c in cells))
    print("\nLearning curve (test macro-F1 over 7 labels / 6 moves; first N training sentences unless 'random'):")
    for point in result["learning_curve"]:
        print(f"  N={point['n']}")
        for name, r in point.items():
            if name != "n":
                sd = f"  (sd {r['sd_macro_f1_7']:.3f} over seeds {r['seeds']})" if "seeds" in r else ""
                print(f"      {name:<52} {r['macro_f1_7']:.3f} / {r['macro_f1_6_moves']:.3f}{sd}")
    print("\nPublished reference points (F1; averaging not stated in the dataset README or manual):")
    for name, value in result["published"].items():
        print(f"  {name}: {value:.4f}")
    print(f"\nTotal {result['total_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_ROWS} sentences, fewer options")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()
    if not DATA.is_file():
        sys.exit(f"TalkMoves data not found at {DATA} (set QUALKIT_SHARED)")
    log = (lambda message: print(message, file=sys.stderr, flush=True)) if options.json else print
    result = benchmark(options.quick, log)
    if options.json:
        print(json.dumps(result))
    else:
        print_tables(result)


if __name__ == "__main__":
    main()
