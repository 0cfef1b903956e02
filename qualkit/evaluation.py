"""How well do rules and the model reproduce reviewers' decisions?

Both are scored against the same labels the classifier learns from
(:mod:`qualkit.suggest.labels`). Rules are scored directly: a rule suggestion on a labelled
(segment, code) is a "yes". The model is scored out of fold — features and classifiers refitted
on folds grouped by document — so no transcript is scored by a model that saw it. The learning
curve repeats that on growing random subsets of the labelled segments.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.records import Source
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus
from qualkit.suggest.labels import project_labels

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store


@dataclass(frozen=True)
class Evaluation:
    rows: list[dict]  # source, code, precision, recall, f1, kappa, n, positives
    curve: list[dict]  # labelled_segments, labels (segment x code), macro_f1, codes


def evaluate(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS, curve: bool = True,
             seed: int = 0, interviewers: Collection[str] = ()) -> Evaluation:
    from qualkit.agreement import machine_vs_human
    from qualkit.errors import ModelError
    from qualkit.suggest.model import DEFAULT_THRESHOLD, cross_validated_probabilities
    from qualkit.suggest.training import training_set

    codes = [code.key for code in codebook.codable]
    labels = project_labels(store, codable=codes, consensus=consensus, interviewers=interviewers)
    if not labels:
        raise ModelError("nothing to evaluate against: no reviewed segments yet (`qualkit review`)")
    proposed = {(unit.segment_id, unit.code) for unit in store.suggestions.units(Source.RULE)}
    rows: list[dict] = []
    pooled_truth, pooled_pred = [], []
    for code in codes:
        mine = [label for label in labels if label.code == code]
        if not mine:
            continue
        truth = [label.value for label in mine]
        predicted = [int((label.segment_id, code) in proposed) for label in mine]
        pooled_truth += truth
        pooled_pred += predicted
        rows.append(_row("rule", code, machine_vs_human(predicted, truth)))
    if pooled_truth:
        rows.append(_row("rule", "(overall)", machine_vs_human(pooled_pred, pooled_truth)))
    data = training_set(store, codebook, consensus=consensus, include_examples=False, interviewers=interviewers)
    probabilities = cross_validated_probabilities(data, codes)
    pooled_truth, pooled_pred = [], []
    for code in codes:
        if code not in probabilities:
            continue
        truth, probs = probabilities[code]
        predicted = [int(p >= DEFAULT_THRESHOLD) for p in probs]
        pooled_truth += truth
        pooled_pred += predicted
        rows.append(_row("model", code, machine_vs_human(predicted, truth)))
    if pooled_truth:
        rows.append(_row("model", "(overall)", machine_vs_human(pooled_pred, pooled_truth)))
    return Evaluation(rows, _learning_curve(data, codes, seed=seed) if curve else [])


def _row(source: str, code: str, result: dict) -> dict:
    return {
        "source": source, "code": code, "precision": result["precision"], "recall": result["recall"],
        "f1": result["f1"], "kappa": result["kappa"], "n": result["n"], "positives": result["gold_positive"],
    }


def _learning_curve(data, codes, *, seed: int) -> list[dict]:
    from qualkit.suggest.model import TrainingSet, cross_validated_probabilities, scores

    rows = list(range(len(data)))
    random.Random(seed).shuffle(rows)
    sizes = [n for n in (25, 50, 100, 200, 400, 800, 1600, 3200) if n < len(rows)] + [len(rows)]
    if len(sizes) < 3:  # a small project still gets a curve: thirds of what there is
        sizes = sorted({max(2, len(rows) // 3), max(2, 2 * len(rows) // 3), len(rows)})
    curve = []
    for size in sizes:
        keep = sorted(rows[:size])
        position = {row: i for i, row in enumerate(keep)}
        subset = TrainingSet(
            tuple(data.texts[r] for r in keep), tuple(data.contexts[r] for r in keep),
            tuple(data.groups[r] for r in keep),
            {
                code: {position[r]: v for r, v in labels.items() if r in position}
                for code, labels in data.labels.items()
            },
        )
        probabilities = cross_validated_probabilities(subset, codes)
        f1s = [scores(truth, probs)["f1"] for truth, probs in probabilities.values()]
        curve.append({
            "labelled_segments": size,
            "labels": sum(len(labels) for labels in subset.labels.values()),
            "macro_f1": sum(f1s) / len(f1s) if f1s else None,
            "codes": len(f1s),
        })
    return curve
