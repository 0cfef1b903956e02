"""The classifier: one calibrated linear model per code, learned from reviewers' decisions.

Features (shared by all codes, fitted once): word 1–2-gram and character 3–5-gram TF-IDF of
the segment, and word TF-IDF of its neighbours (the interviewer's question before an answer is
often what makes it about NPQs), down-weighted. Each code gets a class-balanced logistic
regression, calibrated with Platt scaling when it has enough examples of both classes, so a
score is a probability. Codes with too few examples are skipped and told how many more
decisions they need.

Cross-validated precision, recall and F1 are computed with folds grouped by document, so a
transcript never trains and tests itself; the codebook's examples form their own group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from qualkit.errors import ModelError
from qualkit.records import Evidence, Segment, Source, Suggestion

MIN_POSITIVES = 5
MIN_NEGATIVES = 5
DEFAULT_THRESHOLD = 0.5
EXAMPLES_GROUP = -1  # the codebook's examples, as one "document" in grouped folds


@dataclass(frozen=True)
class TrainingSet:
    """Texts with context, their group (document), and per-code labels (1, 0 or absent)."""

    texts: tuple[str, ...]
    contexts: tuple[str, ...]
    groups: tuple[int, ...]
    labels: dict[str, dict[int, int]]  # code → {row index: label}

    def __len__(self) -> int:
        return len(self.texts)


def build_features():
    """The feature union every code shares: words, characters, and the neighbours' words."""
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


def _frame(texts: Sequence[str], contexts: Sequence[str]):
    import pandas as pd

    return pd.DataFrame({"text": list(texts), "context": list(contexts)})


def _classifier(positives: int, negatives: int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    base = LogisticRegression(class_weight="balanced", C=4.0, solver="liblinear", max_iter=2000)
    if min(positives, negatives) >= 6:
        return CalibratedClassifierCV(base, method="sigmoid", cv=3)
    return base


def _coefficients(estimator):
    """The linear weights behind a (possibly calibrated) logistic regression."""
    import numpy as np

    if hasattr(estimator, "calibrated_classifiers_"):
        return np.mean([c.estimator.coef_[0] for c in estimator.calibrated_classifiers_], axis=0)
    return estimator.coef_[0]


@dataclass
class CodeModel:
    estimator: object
    threshold: float
    weights: object  # numpy array over the shared features


@dataclass
class TrainedModel:
    """What `qualkit train` stores: shared features, one model per trained code, and metrics."""

    features: object
    codes: dict[str, CodeModel]
    metrics: dict[str, dict]
    skipped: dict[str, str]
    training_size: int
    feature_names: list[str] = field(default_factory=list)


class _Explainer:
    """The word n-grams of a text that pushed a code's score up most, located in the text.

    Built once per suggester: which feature columns are words, and each term's regex, are
    worked out once rather than for every suggestion (sorting every feature of every row in
    Python made model coding 40x slower than the classifier itself).
    """

    def __init__(self, model: TrainedModel):
        import numpy as np

        self.is_word = np.array([name.startswith("words__") for name in model.feature_names], dtype=bool)
        self.names = model.feature_names
        self._regexes: dict[int, re.Pattern] = {}

    def _regex(self, index: int) -> re.Pattern:
        found = self._regexes.get(index)
        if found is None:
            term = self.names[index][len("words__"):]
            found = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, term.split())) + r"(?!\w)")
            self._regexes[index] = found
        return found

    def words(self, columns, values):
        """One row's word features: (columns, values) of its CSR slices."""
        words = self.is_word[columns]
        return columns[words], values[words]

    def explain(self, weights, columns, values, lowered: str, *, located: dict[int, tuple[int, int] | None],
                top: int = 5) -> tuple[Evidence, ...]:
        """``columns``/``values``: one row's word features (:meth:`words`); ``lowered``: its text,
        lower-cased. ``located``: where each term is in that text, shared by every code explained
        for the row (codes share their strongest terms)."""
        import numpy as np

        contributions = values * weights[columns]
        found: list[Evidence] = []
        for position in np.argsort(-contributions, kind="stable"):
            contribution = float(contributions[position])
            if contribution <= 0 or len(found) >= top:
                break
            index = int(columns[position])
            if index not in located:
                match = self._regex(index).search(lowered)
                located[index] = match.span() if match else None
            span = located[index]
            if span:
                term = self.names[index][len("words__"):]
                found.append(Evidence(span[0], span[1], f"{term} (+{contribution:.2f})"))
        return tuple(found)


def train(training: TrainingSet, codes: Sequence[str], *, folds: int = 5, on_progress=None) -> TrainedModel:
    """Fit features and one classifier per code with enough examples; cross-validate each."""
    import numpy as np

    if len(training) == 0:
        raise ModelError(
            "no reviewed segments to learn from; review some suggestions first "
            "(`qualkit review`, `qualkit review import`)"
        )
    frame = _frame(training.texts, training.contexts)
    features = build_features()
    matrix = features.fit_transform(frame)
    feature_names = list(features.get_feature_names_out())
    probabilities = cross_validated_probabilities(training, codes, folds=folds)
    thresholds = {code: best_threshold(*probabilities[code]) for code in probabilities}
    cv_scores = {code: scores(y, p, thresholds[code]) for code, (y, p) in probabilities.items()}
    models: dict[str, CodeModel] = {}
    metrics: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for done, code in enumerate(codes, start=1):
        rows = training.labels.get(code, {})
        positives = sum(rows.values())
        negatives = len(rows) - positives
        if positives < MIN_POSITIVES or negatives < MIN_NEGATIVES:
            need = []
            if positives < MIN_POSITIVES:
                need.append(f"{MIN_POSITIVES - positives} more accepted")
            if negatives < MIN_NEGATIVES:
                need.append(f"{MIN_NEGATIVES - negatives} more rejected")
            skipped[code] = (
                f"{positives} positive and {negatives} negative examples; needs {' and '.join(need)} "
                f"decision(s) (at least {MIN_POSITIVES} of each)"
            )
            continue
        index = np.array(sorted(rows))
        y = np.array([rows[i] for i in index])
        estimator = _classifier(positives, negatives)
        estimator.fit(matrix[index], y)
        threshold = thresholds.get(code, DEFAULT_THRESHOLD)
        models[code] = CodeModel(estimator, threshold, _coefficients(estimator))
        metrics[code] = {"positives": positives, "negatives": negatives, "threshold": threshold,
                         **cv_scores.get(code, {})}
        if on_progress:
            on_progress(done, len(codes), code)
    if not models:
        raise ModelError(
            "no code has enough examples to train on: "
            + "; ".join(f"{code}: {why}" for code, why in skipped.items())
        )
    return TrainedModel(features, models, metrics, skipped, len(training), feature_names)


def cross_validated_probabilities(training: TrainingSet, codes: Sequence[str], *, folds: int = 5):
    """code → (true labels, out-of-fold probabilities) for codes with enough examples."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    groups = np.array(training.groups)
    n_groups = len(set(training.groups))
    if n_groups < 2:
        return {}
    frame = _frame(training.texts, training.contexts)
    splitter = GroupKFold(n_splits=min(folds, n_groups))
    out: dict[str, tuple[list[int], list[float]]] = {}
    eligible = [
        code for code in codes
        if sum(training.labels.get(code, {}).values()) >= MIN_POSITIVES
        and len(training.labels.get(code, {})) - sum(training.labels.get(code, {}).values()) >= MIN_NEGATIVES
    ]
    for train_rows, test_rows in splitter.split(frame, groups=groups):
        features = build_features()
        train_matrix = features.fit_transform(frame.iloc[train_rows])
        test_matrix = features.transform(frame.iloc[test_rows])
        train_pos = {row: i for i, row in enumerate(train_rows)}
        test_pos = {row: i for i, row in enumerate(test_rows)}
        for code in eligible:
            rows = training.labels[code]
            fit_rows = [r for r in train_rows if r in rows]
            y_fit = np.array([rows[r] for r in fit_rows])
            eval_rows = [r for r in test_rows if r in rows]
            if not eval_rows or len(set(y_fit)) < 2:
                continue
            positives = int(y_fit.sum())
            estimator = _classifier(positives, len(y_fit) - positives)
            estimator.fit(train_matrix[[train_pos[r] for r in fit_rows]], y_fit)
            probs = estimator.predict_proba(test_matrix[[test_pos[r] for r in eval_rows]])[:, 1]
            truth, predicted = out.setdefault(code, ([], []))
            truth += [rows[r] for r in eval_rows]
            predicted += [float(p) for p in probs]
    return out


def best_threshold(truth: Sequence[int], probabilities: Sequence[float]) -> float:
    """The probability cut-off with the best out-of-fold F1 (0.1–0.6).

    Calibrated probabilities of a rare code seldom reach 0.5, so a fixed 0.5 would leave rare codes
    almost never proposed (measured on TalkMoves, see benchmarks/README.md). Choosing the cut-off on
    the same folds makes the reported F1 slightly optimistic; that is said wherever it is shown.
    """
    grid = [round(0.1 + 0.05 * i, 2) for i in range(11)]
    return max(grid, key=lambda t: (scores(truth, probabilities, t)["f1"], -abs(t - DEFAULT_THRESHOLD)))


def scores(truth: Sequence[int], probabilities: Sequence[float], threshold: float = DEFAULT_THRESHOLD) -> dict:
    from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

    predicted = [int(p >= threshold) for p in probabilities]
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, average="binary", zero_division=0
    )
    kappa = cohen_kappa_score(truth, predicted) if len(set(truth)) > 1 or len(set(predicted)) > 1 else 1.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1),
            "kappa": float(kappa), "evaluated": len(truth)}


class ModelSuggester:
    """Proposes codes with a trained model; refuses codes the current codebook no longer has."""

    def __init__(self, model: TrainedModel, codebook, *, version: str, thresholds: dict[str, float] | None = None,
                 threshold: float | None = None):
        self.model, self.version = model, version
        current = {code.key for code in codebook.codable}
        self.refused = sorted(code for code in model.codes if code not in current)
        self.codes = [code for code in model.codes if code in current]
        self.thresholds = {
            code: (thresholds or {}).get(code, threshold if threshold is not None else model.codes[code].threshold)
            for code in self.codes
        }
        self._explainer = _Explainer(model) if self.codes else None

    def pipe(
        self, items: Iterable[tuple[Segment, str]], *, batch_size: int = 512
    ) -> Iterator[tuple[Segment, list[Suggestion]]]:
        """(segment, suggestions) for (segment, context text) pairs, scored in batches."""
        batch: list[tuple[Segment, str]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self._score(batch)
                batch = []
        if batch:
            yield from self._score(batch)

    def _score(self, batch: list[tuple[Segment, str]]):
        if not self.codes:
            for segment, _ in batch:
                yield segment, []
            return
        matrix = self.model.features.transform(_frame([s.text for s, _ in batch], [c for _, c in batch])).tocsr()
        matrix.sort_indices()
        probabilities = {
            code: self.model.codes[code].estimator.predict_proba(matrix)[:, 1] for code in self.codes
        }
        for row, (segment, _) in enumerate(batch):
            suggestions = []
            first, last = matrix.indptr[row], matrix.indptr[row + 1]
            columns, values = self._explainer.words(matrix.indices[first:last], matrix.data[first:last])
            lowered, located = segment.text.lower(), {}
            for code in self.codes:
                probability = float(probabilities[code][row])
                if probability < self.thresholds[code]:
                    continue
                explained = self._explainer.explain(
                    self.model.codes[code].weights, columns, values, lowered, located=located
                )
                evidence = tuple(Evidence(segment.start + e.start, segment.start + e.end, e.pattern) for e in explained)
                suggestions.append(Suggestion(segment.id, code, Source.MODEL, round(probability, 4), evidence))
            yield segment, suggestions
