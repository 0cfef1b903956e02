"""Cut-offs and calibration chosen on out-of-fold scores, and the counts they are judged by.

A code's cut-off is the score from which the model proposes it. It is chosen where the
out-of-fold F1 is best — but a code with eight positives has a noisy F1 curve, and its own best
cut-off mostly fits that noise. So each code's cut-off is shrunk toward the one global cut-off
that maximises micro-F1 over all codes, the more the fewer positives it has:

    cutoff(code) = (positives × own best + k × global) / (positives + k)

``k`` (:data:`SHRINKAGE`) was chosen on the benchmarks (see benchmarks/README.md); ``k = 0`` is
per-code cut-offs, a very large ``k`` one global cut-off.

Scores are made probabilities by Platt scaling fitted once on the out-of-fold decision values
(:func:`platt`), instead of scikit-learn's ``CalibratedClassifierCV``, which refits every
classifier three more times inside every fold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SHRINKAGE = 20.0
GRID: tuple[float, ...] = tuple(round(0.05 + 0.025 * i, 3) for i in range(37))  # 0.05 … 0.95


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives: what micro-averages add up."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float:
        """0 when nothing is right (including nothing proposed), as scikit-learn's zero_division=0."""
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @classmethod
    def of(cls, truth: Sequence[int], predicted: Sequence[int]) -> Counts:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t and p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p and not t)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t and not p)
        return cls(tp, fp, fn)


def total(counts: Iterable[Counts]) -> Counts:
    out = Counts()
    for item in counts:
        out = out + item
    return out


def counts_at(truth: Sequence[int], scores: Sequence[float], cutoff: float) -> Counts:
    return Counts.of(truth, [int(s >= cutoff) for s in scores])


def _f1_curve(truth: Sequence[int], scores: Sequence[float], grid: Sequence[float]):
    """(tp, fp, fn) arrays, one entry per grid cut-off."""
    import numpy as np

    y = np.asarray(truth, dtype=bool)
    s = np.asarray(scores, dtype=float)
    proposed = s[None, :] >= np.asarray(grid, dtype=float)[:, None]
    tp = (proposed & y).sum(axis=1)
    fp = (proposed & ~y).sum(axis=1)
    fn = y.sum() - tp
    return tp, fp, fn


def _pick(grid: Sequence[float], tp, fp, fn) -> float:
    import numpy as np

    f1 = np.where(tp > 0, 2 * tp / np.maximum(1, 2 * tp + fp + fn), 0.0)
    keys = [(round(float(f), 12), -abs(c - 0.5), c) for f, c in zip(f1, grid, strict=True)]
    return grid[max(range(len(grid)), key=keys.__getitem__)]


def best_cutoff(truth: Sequence[int], scores: Sequence[float], grid: Sequence[float] = GRID) -> float:
    """The grid cut-off with the best F1 (ties: the one nearest 0.5, then the higher)."""
    return _pick(grid, *_f1_curve(truth, scores, grid))


def global_cutoff(per_code: Mapping[str, tuple[Sequence[int], Sequence[float]]],
                  grid: Sequence[float] = GRID) -> float:
    """The one cut-off with the best micro-F1 over every code's out-of-fold scores."""
    import numpy as np

    tp = fp = fn = np.zeros(len(grid), dtype=int)
    for truth, scores in per_code.values():
        a, b, c = _f1_curve(truth, scores, grid)
        tp, fp, fn = tp + a, fp + b, fn + c
    return _pick(grid, tp, fp, fn)


def shrunk_cutoffs(per_code: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                   strength: float = SHRINKAGE, grid: Sequence[float] = GRID) -> tuple[float, dict[str, float]]:
    """(global cut-off, each code's cut-off shrunk toward it by its number of positives)."""
    overall = global_cutoff(per_code, grid)
    out = {}
    for code, (truth, scores) in per_code.items():
        positives = sum(truth)
        own = best_cutoff(truth, scores, grid)
        weight = positives + strength
        out[code] = round((positives * own + strength * overall) / weight, 4) if weight else overall
    return overall, out


def platt(decisions: Sequence[float], truth: Sequence[int]) -> tuple[float, float]:
    """(a, b) so that 1 / (1 + exp(-(a·d + b))) is the probability of a positive given decision d.

    Platt's (1999) method: a two-parameter logistic fit by Newton's method, with his smoothed
    targets (N+ + 1)/(N+ + 2) and 1/(N- + 2), so a fold that separates perfectly does not give
    an infinite slope. Checked against scikit-learn's logistic regression in the tests.
    """
    import numpy as np

    y = np.asarray(truth, dtype=float)
    d = np.asarray(decisions, dtype=float)
    positives, negatives = float(y.sum()), float(len(y) - y.sum())
    if not positives or not negatives:
        return 1.0, 0.0
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(a: float, b: float) -> float:
        z = a * d + b  # cross-entropy against the smoothed targets, computed stably
        return float(np.sum(np.logaddexp(0, z) - target * z))

    a, b = 1.0, float(np.log((positives + 1) / (negatives + 1)))
    current = loss(a, b)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * d + b)))
        w = np.maximum(p * (1 - p), 1e-12)
        gradient = np.array([np.dot(p - target, d), np.sum(p - target)])
        hessian = np.array([[np.dot(w, d * d), np.dot(w, d)], [np.dot(w, d), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6 and loss(a - scale * step[0], b - scale * step[1]) > current + 1e-12:
            scale /= 2  # backtrack: Newton's full step can overshoot far from the optimum
        a, b = a - scale * float(step[0]), b - scale * float(step[1])
        previous, current = current, loss(a, b)
        if previous - current < 1e-12:
            break
    return a, b


def sigmoid(values, a: float, b: float):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-(a * np.asarray(values, dtype=float) + b)))
