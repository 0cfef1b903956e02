"""When can reviewers stop? An estimate, per code, of the codings still unfound.

Systematic-review screening tools tell a screener how many relevant records probably remain;
this does the same for a code. The segments reviewers have judged show how often a segment
with a given score turned out to be a coding: the reviewed segments are put in score bins
(equal counts, ordered by score), and each bin's rate is a Beta(½, ½)-smoothed proportion.
Every unreviewed segment is then expected to be a coding at the rate of its score's bin, and
the sum is the expected number still unfound. The interval adds the uncertainty of each bin's
rate (its Beta posterior) to the chance in which segments turn out positive.

It assumes that, at a given score, reviewed and unreviewed segments are alike — true when
review follows the score order or a random one, not when reviewers picked segments by topic.
A code nobody has reviewed has no estimate (None), not zero.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BINS = 5
PRIOR = 0.5  # Jeffreys' Beta(½, ½)
Z90 = 1.6449


@dataclass(frozen=True)
class Unfound:
    """Codings of one code expected among the unreviewed segments, with a 90% interval."""

    code: str
    expected: float
    low: float
    high: float
    reviewed: int
    found: int  # positives among the reviewed
    unreviewed: int

    @property
    def share_found(self) -> float | None:
        """Estimated share of all the code's codings already found (None if there is none to find)."""
        whole = self.found + self.expected
        return self.found / whole if whole else None


def _bins(scores: Sequence[float], labels: Sequence[int], bins: int) -> list[tuple[float, int, int]]:
    """(lowest score, positives, count) of equal-count bins over the reviewed, highest bin last."""
    ordered = sorted(zip(scores, labels, strict=True))
    count = max(1, min(bins, len(ordered)))
    out = []
    for i in range(count):
        part = ordered[i * len(ordered) // count:(i + 1) * len(ordered) // count]
        if part:
            out.append((part[0][0], sum(label for _, label in part), len(part)))
    return out


def unfound(code: str, reviewed_scores: Sequence[float], reviewed_labels: Sequence[int],
            unreviewed_scores: Sequence[float], *, bins: int = BINS) -> Unfound | None:
    """The estimate for one code; scores are any number that ranks segments (rules' or model's,
    0 for a segment nothing proposed the code for)."""
    if not reviewed_scores:
        return None
    table = _bins(reviewed_scores, reviewed_labels, bins)
    lows = [lowest for lowest, _, _ in table]
    members = [0] * len(table)
    for score in unreviewed_scores:  # the highest bin whose lowest score it reaches (else the lowest)
        members[max(0, bisect.bisect_right(lows, score) - 1)] += 1
    expected = variance = 0.0
    for (_, positives, count), m in zip(table, members, strict=True):
        a, b = positives + PRIOR, count - positives + PRIOR
        rate = a / (a + b)
        rate_variance = a * b / ((a + b) ** 2 * (a + b + 1))
        expected += m * rate
        # each segment's own chance, plus the bin's uncertain rate, shared by all its m segments
        variance += m * (rate * (1 - rate) - rate_variance) + m * m * rate_variance
    spread = Z90 * math.sqrt(max(0.0, variance))
    # a normal interval can run past what is possible: never fewer than none, nor more than every pair unreviewed
    high = min(float(len(unreviewed_scores)), expected + spread)
    return Unfound(code, round(expected, 2), round(max(0.0, expected - spread), 2), round(high, 2),
                   len(reviewed_scores), int(sum(reviewed_labels)), len(unreviewed_scores))


def unfound_by_code(reviewed: Mapping[str, tuple[Sequence[float], Sequence[int]]],
                    unreviewed: Mapping[str, Sequence[float]], *, bins: int = BINS) -> dict[str, Unfound | None]:
    """:func:`unfound` for every code in ``reviewed`` or ``unreviewed``."""
    codes = list(dict.fromkeys([*reviewed, *unreviewed]))
    return {
        code: unfound(code, *reviewed.get(code, ((), ())), unreviewed.get(code, ()), bins=bins) for code in codes
    }
