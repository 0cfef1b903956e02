"""The scorer: one decision per segment x code, the model only where it beats the rules out of fold."""

from __future__ import annotations

import pytest

from qualkit.errors import ModelError
from qualkit.suggest.scorer import (
    CodeSource,
    CutoffPolicy,
    ScorerOptions,
    TrainingSet,
    choices_table,
    fit_scorer,
    fold_splits,
    out_of_fold,
)
from tests.suggest.conftest import make_training_set

CODES = ["itt", "npq", "trust"]


def test_fit_scorer_keeps_rules_where_the_model_is_not_better(training):
    scorer = fit_scorer(training, CODES)
    assert scorer.choices["itt"].source is CodeSource.RULES  # rules are perfect there: a tie keeps them
    assert scorer.choices["npq"].source is CodeSource.MODEL  # rules miss "leadership qualification"
    assert scorer.choices["trust"].source is CodeSource.MODEL  # rules fire on "multi-academy trust"
    npq = scorer.choices["npq"]
    assert npq.rules_recall == 0.5 and npq.rules_precision == 1.0
    assert npq.model_f1 > npq.rules_f1 and npq.evaluated == len(training)
    assert scorer.model_codes == ("npq", "trust")


def test_fit_scorer_margin_keeps_rules_unless_the_model_wins_by_more(training):
    scorer = fit_scorer(training, CODES, options=ScorerOptions(margin=0.5))
    assert all(scorer.choices[c].source is CodeSource.RULES for c in CODES)
    assert "<=" in scorer.choices["npq"].reason


def test_fit_scorer_leaves_codes_with_too_few_labels_to_the_rules(training):
    labels = dict(training.labels)
    labels["rare"] = {0: 1, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    data = TrainingSet(training.texts, training.contexts, training.groups, labels, training.matches)
    scorer = fit_scorer(data, [*CODES, "rare"])
    rare = scorer.choices["rare"]
    assert rare.source is CodeSource.RULES and "rare" not in scorer.models
    assert rare.reason.startswith("2 positive and 4 negative labels; needs 3 more accepted and 1 more rejected")


def test_fit_scorer_refuses_an_empty_training_set():
    with pytest.raises(ModelError, match="no reviewed segments"):
        fit_scorer(TrainingSet((), (), (), {}), CODES)


def test_decide_gives_one_decision_per_code_from_its_chosen_source(training):
    scorer = fit_scorer(training, CODES)
    texts = ["Our ITT trainees arrived", "He began the leadership qualification", "The multi-academy trust grew"]
    matches = [{"itt": [(4, 7, "ITT")]}, {}, {"trust": [(22, 27, "trust")]}]
    rows = scorer.decide(texts, ["", "", ""], matches)
    by_row = [{d.code: d for d in row} for row in rows]
    assert by_row[0]["itt"].source is CodeSource.RULES and by_row[0]["itt"].score == 0.5 and by_row[0]["itt"].proposed
    assert "itt" not in by_row[1] and "itt" not in by_row[2]  # no evidence: the rules say nothing
    assert by_row[1]["npq"].source is CodeSource.MODEL and by_row[1]["npq"].proposed  # found without a keyword
    assert not by_row[2]["trust"].proposed  # the model learnt that the organisation is not trust
    assert all(len({d.code for d in row}) == len(row) for row in rows)  # never two decisions for one code


def test_decide_sources_override_scores_rules_or_model_alone(training):
    scorer = fit_scorer(training, CODES)
    texts = ["He began the leadership qualification"]
    rules = scorer.decide(texts, [""], [{}], sources={c: CodeSource.RULES for c in CODES})
    model = scorer.decide(texts, [""], [{}], sources={c: CodeSource.MODEL for c in CODES})
    assert rules == [[]]
    assert {d.code for d in model[0]} == set(CODES) and all(d.source is CodeSource.MODEL for d in model[0])


def test_fold_splits_hold_out_whole_groups_and_always_train_on_examples():
    groups = [0, 0, 1, 1, 2, 2, 3, -1, -1]
    splits = fold_splits(groups, 5)
    assert len(splits) == 4
    for train, test in splits:
        assert {groups[r] for r in train} & {groups[r] for r in test} == set()
        assert {7, 8} <= set(train) and not {7, 8} & set(test)
    assert sorted(r for _, test in splits for r in test) == list(range(7))  # each segment held out once


def test_out_of_fold_is_the_same_in_parallel(training, monkeypatch):
    import qualkit.suggest.scorer as scorer

    one = out_of_fold(training, CODES, n_jobs=1)
    monkeypatch.setattr(scorer, "PARALLEL_FROM", 0)  # this small set would otherwise run in one process
    two = out_of_fold(training, CODES, n_jobs=2)
    assert one.keys() == two.keys() == set(CODES)
    for code in CODES:
        assert one[code][0] == two[code][0]
        assert one[code][1] == pytest.approx(two[code][1])


def test_fit_scorer_on_one_group_uses_row_folds():
    data = make_training_set()
    single = TrainingSet(data.texts, data.contexts, (0,) * len(data), data.labels, data.matches)
    scorer = fit_scorer(single, CODES)
    assert scorer.choices["npq"].evaluated == len(data)


@pytest.mark.parametrize("policy", list(CutoffPolicy), ids=[p.value for p in CutoffPolicy])
def test_fit_scorer_cutoff_policies(training, policy):
    scorer = fit_scorer(training, CODES, options=ScorerOptions(cutoffs=policy))
    cutoffs = {code: model.cutoff for code, model in scorer.models.items()}
    if policy is CutoffPolicy.GLOBAL:
        assert set(cutoffs.values()) == {scorer.global_cutoff}
    assert all(0.05 <= c <= 0.95 for c in cutoffs.values())


def test_choices_table_from_scorer_and_from_stored_metrics(training):
    from qualkit.suggest.training import stored_metrics

    scorer = fit_scorer(training, CODES)
    table = choices_table(scorer.choices, [*CODES, "new.code"])
    assert [c.code for c in table] == [*CODES, "new.code"]
    assert table[-1].source is CodeSource.RULES and "not in the codebook" in table[-1].reason
    stored = choices_table(stored_metrics(scorer)["choices"], CODES)
    assert stored == table[:3]


def test_similarity_is_standardised_and_folds_into_text_weights_and_intercept():
    import numpy as np
    from scipy.sparse import csr_matrix

    from qualkit.suggest.scorer import _Similarity

    rng = np.random.default_rng(0)
    text = csr_matrix(rng.random((30, 8)) * (rng.random((30, 8)) < 0.4), dtype="float32")
    description = csr_matrix(rng.random((1, 8)), dtype="float32")
    similar = _Similarity.over(text, description, 2.0)
    column = similar.column(text).toarray().ravel()
    raw = (text.toarray() @ description.toarray().ravel())
    assert column == pytest.approx((raw - raw.mean()) / raw.std() * 2.0, abs=1e-4)  # independent: numpy by hand
    assert column.mean() == pytest.approx(0.0, abs=1e-5) and column.std() == pytest.approx(2.0, rel=1e-4)
    weights, shift = similar.fold(0.7)  # a model's weight on the column, moved onto the text and the intercept
    assert text.toarray() @ weights + shift == pytest.approx(0.7 * column, abs=1e-4)


def test_description_vectors_keep_content_words_of_the_words_block_only():
    import numpy as np

    from qualkit.suggest.features import count_terms, default_specs, stop_words
    from qualkit.suggest.scorer import _description_vectors

    base = make_training_set()
    data = TrainingSet(base.texts, base.contexts, base.groups, base.labels, base.matches,
                       {"npq": "the leadership qualification for the senior leaders", "itt": "   "})
    features = count_terms(data.texts, data.contexts, default_specs()).fold(range(len(data))).features()
    assert _description_vectors(data, CODES, features, ScorerOptions()) == {}  # describe is off by default
    vectors = _description_vectors(data, CODES, features, ScorerOptions(describe=True))
    assert set(vectors) == {"npq"}  # a blank description is no description
    row = vectors["npq"].toarray().ravel()
    assert float(np.sqrt((row ** 2).sum())) == pytest.approx(1.0, rel=1e-5)
    offset = features.offset("words")
    terms = features.block_terms("words")
    kept = {terms[i - offset] for i in np.flatnonzero(row)}
    assert all(offset <= i < offset + len(terms) for i in np.flatnonzero(row))  # never the context block
    assert {"leadership", "qualification", "leadership qualification", "senior leaders"} <= kept
    assert not any(all(word in stop_words() for word in term.split()) for term in kept)  # "the", "for the" dropped
    assert "for" in terms and "the" in terms


def test_fit_scorer_with_descriptions_reads_the_similarity(training):
    data = TrainingSet(training.texts, training.contexts, training.groups, training.labels, training.matches,
                       {"npq": "leadership qualification"})
    without = fit_scorer(data, CODES, options=ScorerOptions(describe=False)).decide(
        ["the leadership qualification"], [""], [{}], sources={"npq": CodeSource.MODEL})
    with_it = fit_scorer(data, CODES, options=ScorerOptions(describe=True)).decide(
        ["the leadership qualification"], [""], [{}], sources={"npq": CodeSource.MODEL})
    score = {d.code: d.score for d in without[0]}["npq"]
    assert {d.code: d.score for d in with_it[0]}["npq"] != pytest.approx(score, abs=1e-3)
