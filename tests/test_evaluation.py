"""Evaluation scores exactly what `code` would propose, out of fold, with a learning curve."""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace

import pytest

from qualkit.evaluation import OVERALL, effort_for_recall, evaluate_scorer, held_out
from qualkit.records import Source
from qualkit.suggest.model import ModelSuggester
from qualkit.suggest.scorer import fit_scorer, fold_splits
from qualkit.suggest.thresholds import Counts
from tests.suggest.conftest import make_training_set

CODES = ["itt", "npq", "trust"]


def _codebook(codes):
    return SimpleNamespace(codable=[SimpleNamespace(key=code) for code in codes], nlp=None)


def test_held_out_judges_what_the_model_suggester_proposes():
    """The scorer's verdicts in evaluation are the suggestions `code` makes with the same
    trained scorer: same cut-offs, same choice of source per code."""
    data = make_training_set(seed=3)
    train, test = fold_splits(data.groups, 3)[0]
    judged, model_codes = held_out(data, train, test, CODES)
    scorer = fit_scorer(data.subset(train), CODES)
    assert sorted(model_codes) == sorted(scorer.model_codes)
    suggester = ModelSuggester(scorer, _codebook(CODES), version="test")
    passages = [SimpleNamespace(id=row, start=0, text=data.texts[row]) for row in test]
    proposed = {
        (segment.id, s.code): s for segment, found in
        suggester.pipe((p, data.contexts[p.id], data.matches[p.id]) for p in passages) for s in found
    }
    for item in judged:
        suggestion = proposed.get((item.row, item.code))
        assert item.scorer[1] == (suggestion is not None), item
        if suggestion is not None:
            assert suggestion.score == pytest.approx(item.scorer[0], abs=1e-4)
            assert suggestion.source is (Source.MODEL if item.code in model_codes else Source.RULE)


def test_evaluate_scorer_overall_is_the_micro_average_of_its_held_out_judgements():
    data = make_training_set(seed=1)
    result = evaluate_scorer(data, CODES, curve=False, n_jobs=1)
    judged = [j for train, test in fold_splits(data.groups, 5)
              for j in held_out(data, train, test, CODES)[0]]
    for source in ("rules", "model", "scorer"):
        counts = Counts.of([j.truth for j in judged], [int(getattr(j, source)[1]) for j in judged])
        overall = result.micro(source)
        assert overall.code == OVERALL and overall.labels == len(judged) == 3 * len(data)
        assert (overall.precision, overall.recall, overall.f1) == pytest.approx(
            (counts.precision, counts.recall, counts.f1))
    # positives: ITT 12 (all found by rules), NPQ 24 (half found), trust 12 (all found)
    assert result.micro("rules").recall == pytest.approx(36 / 48)
    assert result.micro("scorer").f1 > result.micro("rules").f1
    assert result.model_folds["npq"] == result.folds and "itt" not in result.model_folds


def test_evaluate_scorer_learning_curve_grows_to_the_whole_training_fold():
    data = make_training_set(seed=2)
    result = evaluate_scorer(data, CODES, sizes=(10, 30), n_jobs=2)
    sizes = sorted({p.labelled_segments for p in result.points})
    assert sizes == [10, 30, 60]  # each training fold holds 5 of 6 documents: 60 segments
    assert {p.source for p in result.points} == {"rules", "model", "scorer"}
    whole = {p.source: p for p in result.points if p.labelled_segments == 60}
    assert whole["scorer"].f1 == pytest.approx(result.micro("scorer").f1)
    assert result.curve == [p.as_dict() for p in result.points if p.source == "scorer"]
    rules = [p.f1 for p in result.points if p.source == "rules"]
    assert len(set(rules)) == 1  # rules learn nothing from labels


def _expected_effort(scores, truth, recall=0.9):
    """Brute force: average over every order of ties of the share read to reach the target."""
    target = -(-int(round(recall * sum(truth) * 1000)) // 1000)
    levels = sorted(set(scores), reverse=True)
    groups = [[t for s, t in zip(scores, truth, strict=True) if s == level] for level in levels]
    total = count = 0
    for orders in itertools.product(*(set(itertools.permutations(g)) for g in groups)):
        sequence = [t for group in orders for t in group]
        found = 0
        for position, label in enumerate(sequence, start=1):
            found += label
            if found >= target:
                total += position / len(sequence)
                break
        count += 1
    return total / count


@pytest.mark.parametrize("seed", range(6))
def test_effort_for_recall_matches_brute_force_over_tie_orders(seed):
    rng = random.Random(seed)
    scores = [rng.choice([0.0, 0.0, 0.5, 0.9]) for _ in range(8)]
    truth = [rng.randint(0, 1) for _ in range(8)]
    if not any(truth):
        truth[0] = 1
    assert effort_for_recall(scores, truth) == pytest.approx(_expected_effort(scores, truth))


def test_effort_for_recall_edge_cases():
    assert effort_for_recall([0.9, 0.1], [0, 0]) is None
    assert effort_for_recall([0.9, 0.8, 0.1, 0.0], [1, 1, 0, 0], recall=0.9) == 0.5
