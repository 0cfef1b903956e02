"""Cut-offs chosen on out-of-fold scores, shrinkage for rare codes, Platt scaling."""

from __future__ import annotations

import numpy as np
import pytest

from qualkit.suggest.thresholds import (
    GRID,
    Counts,
    best_cutoff,
    counts_at,
    global_cutoff,
    platt,
    shrunk_cutoffs,
)


def _brute_f1(truth, scores, cutoff):
    from sklearn.metrics import f1_score

    return f1_score(truth, [int(s >= cutoff) for s in scores], zero_division=0)


def test_counts_match_scikit_learn():
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 200).tolist()
    predicted = rng.integers(0, 2, 200).tolist()
    counts = Counts.of(truth, predicted)
    precision, recall, f1, _ = precision_recall_fscore_support(truth, predicted, average="binary")
    assert (counts.precision, counts.recall, counts.f1) == pytest.approx((precision, recall, f1))
    assert Counts().precision is None and Counts().f1 == 0.0


def test_best_cutoff_is_the_best_f1_on_the_grid():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 300)
    scores = np.clip(0.3 * truth + rng.normal(0.35, 0.2, 300), 0, 1)
    chosen = best_cutoff(truth.tolist(), scores.tolist())
    best = max(_brute_f1(truth, scores, c) for c in GRID)
    assert _brute_f1(truth, scores, chosen) == pytest.approx(best)
    assert counts_at(truth.tolist(), scores.tolist(), chosen).f1 == pytest.approx(best)


def test_global_cutoff_maximises_micro_f1_over_codes():
    rng = np.random.default_rng(3)
    per_code = {}
    for code, shift in (("a", 0.2), ("b", 0.5)):
        truth = rng.integers(0, 2, 150)
        per_code[code] = (truth.tolist(), np.clip(shift * truth + rng.uniform(0, 0.6, 150), 0, 1).tolist())

    def micro(c):
        return sum((counts_at(t, s, c) for t, s in per_code.values()), Counts()).f1

    chosen = global_cutoff(per_code)
    assert micro(chosen) == pytest.approx(max(micro(c) for c in GRID))


def test_shrunk_cutoffs_pull_rare_codes_toward_the_global_one():
    rng = np.random.default_rng(4)
    common_truth = rng.integers(0, 2, 400)
    common = (common_truth.tolist(), np.clip(0.4 * common_truth + rng.uniform(0, 0.5, 400), 0, 1).tolist())
    rare = ([1, 1, 0, 0, 0, 0, 0, 0], [0.92, 0.91, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1])  # own best: ~0.91
    overall, cutoffs = shrunk_cutoffs({"common": common, "rare": rare}, strength=20)
    own = best_cutoff(*rare)
    assert cutoffs["rare"] == pytest.approx((2 * own + 20 * overall) / 22, abs=1e-4)
    assert abs(cutoffs["rare"] - overall) < abs(own - overall)
    assert shrunk_cutoffs({"rare": rare}, strength=0)[1]["rare"] == own


def test_platt_matches_a_weighted_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    d = rng.normal(size=400)
    y = (rng.random(400) < 1 / (1 + np.exp(-(1.5 * d - 0.7)))).astype(int)
    a, b = platt(d, y)
    positives, negatives = y.sum(), len(y) - y.sum()
    hi, lo = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    x = np.concatenate([d, d])[:, None]
    yy = np.r_[np.ones(400), np.zeros(400)]
    weights = np.r_[np.where(y == 1, hi, lo), np.where(y == 1, 1 - hi, 1 - lo)]
    reference = LogisticRegression(C=1e10, tol=1e-12, max_iter=10_000).fit(x, yy, sample_weight=weights)
    assert (a, b) == pytest.approx((reference.coef_[0, 0], reference.intercept_[0]), rel=1e-4)


def test_platt_on_separable_scores_stays_finite():
    a, b = platt([-3, -2, -1, 1, 2, 3], [0, 0, 0, 1, 1, 1])
    assert np.isfinite(a) and np.isfinite(b) and a > 0
    assert platt([1, 2], [1, 1]) == (1.0, 0.0)
