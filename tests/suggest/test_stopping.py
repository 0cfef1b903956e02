"""The stopping aid: codings expected among unreviewed segments, from how reviewed ones turned out."""

from __future__ import annotations

import numpy as np
import pytest

from qualkit.suggest.stopping import unfound, unfound_by_code


def test_unfound_is_the_bin_rates_summed_over_the_unreviewed():
    reviewed = [0.1] * 10 + [0.9] * 10
    labels = [0] * 9 + [1] + [1] * 8 + [0] * 2
    estimate = unfound("c", reviewed, labels, [0.1] * 30 + [0.95] * 4, bins=2)
    low_rate = (1 + 0.5) / (10 + 1)  # Jeffreys-smoothed 1 of 10
    high_rate = (8 + 0.5) / (10 + 1)
    assert estimate.expected == pytest.approx(30 * low_rate + 4 * high_rate, abs=0.01)
    assert estimate.low < estimate.expected < estimate.high
    assert (estimate.reviewed, estimate.found, estimate.unreviewed) == (20, 9, 34)
    assert estimate.share_found == pytest.approx(9 / (9 + estimate.expected))


def test_unfound_interval_covers_the_truth_in_simulation():
    """Segments whose chance of being a coding depends on their score: the 90% interval should
    contain the number actually left among the unreviewed about nine times in ten."""
    rng = np.random.default_rng(0)
    covered = 0
    runs = 200
    for _ in range(runs):
        scores = rng.uniform(0, 1, 600)
        truth = (rng.random(600) < scores**2).astype(int)
        reviewed = rng.random(600) < 0.3
        estimate = unfound("c", scores[reviewed].tolist(), truth[reviewed].tolist(), scores[~reviewed].tolist())
        covered += estimate.low <= truth[~reviewed].sum() <= estimate.high
    assert 0.8 <= covered / runs <= 0.99


def test_unfound_without_reviews_is_unknown_not_zero():
    assert unfound("c", [], [], [0.5, 0.6]) is None
    both = unfound_by_code({"a": ([0.5, 0.6], [1, 0])}, {"a": [0.5], "b": [0.2]})
    assert both["b"] is None and both["a"].unreviewed == 1
    nothing_left = unfound("c", [0.5, 0.6], [1, 0], [])
    assert nothing_left.expected == 0 and nothing_left.share_found == 1.0


def test_unfound_interval_stays_within_what_is_possible():
    """Few unreviewed pairs at a high rate: the normal interval would pass their number."""
    from qualkit.suggest.stopping import unfound

    found = unfound("c", [0.9] * 18, [1] * 12 + [0] * 6, [0.9, 0.9, 0.9])
    assert 0 <= found.low <= found.expected <= found.high <= 3
