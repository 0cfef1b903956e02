"""Text and rule-evidence features: TF-IDF folds equal scikit-learn's, empty columns never raise."""

from __future__ import annotations

import numpy as np
import pytest

from qualkit.suggest.features import (
    RULE_COUNT_FEATURES,
    TextFeatures,
    VectorizerSpec,
    count_terms,
    default_specs,
    distinct_spans,
    explainable,
    rule_matrix,
)

TEXTS = ["Our NPQ cohort met on Tuesday.", "The NPQ and the ECF both ran.", "Mentors met the ECTs weekly.",
         "Trust in staff grew.", "Tuesday was the NPQ residential.", "!!!"]
CONTEXTS = ["Tell me about PD.", "", "And mentoring?", "Culture?", "", ""]


@pytest.mark.parametrize("spec", [
    VectorizerSpec("words", "text", "word", (1, 2), 1, 1.0),
    VectorizerSpec("words", "text", "word", (1, 2), 2, 1.0),
    VectorizerSpec("chars", "text", "char_wb", (3, 5), 2, 0.7, 40),
], ids=["words", "words-min-df-2", "chars-capped"])
def test_counted_terms_fold_equals_tfidf_vectorizer_fitted_on_the_fold(spec):
    from sklearn.feature_extraction.text import TfidfVectorizer

    train_rows = [0, 2, 3, 4]
    counted = count_terms(TEXTS, CONTEXTS, [spec])
    fold = counted.fold(train_rows)
    reference = TfidfVectorizer(analyzer=spec.analyzer, ngram_range=spec.ngram_range, min_df=spec.min_df,
                                sublinear_tf=True, max_features=spec.max_features)
    reference.fit([TEXTS[r] for r in train_rows])
    assert list(fold.features().blocks[0].terms) == list(reference.get_feature_names_out())
    expected = reference.transform(TEXTS).toarray() * spec.weight
    np.testing.assert_allclose(fold.matrix(range(len(TEXTS))).toarray(), expected, rtol=1e-5, atol=1e-6)


def test_text_features_rebuilt_from_terms_and_idf_transform_alike():
    fitted = TextFeatures(default_specs()).fit(TEXTS, CONTEXTS)
    again = TextFeatures(fitted.specs, fitted.blocks).rebuild()
    np.testing.assert_allclose(again.transform(TEXTS, CONTEXTS).toarray(),
                               fitted.transform(TEXTS, CONTEXTS).toarray(), rtol=1e-6)


def test_text_features_with_an_empty_context_column_never_raise_empty_vocabulary():
    """A survey has no neighbours: its context column is all empty (scikit-learn raised
    'empty vocabulary' on it in `train`)."""
    features = TextFeatures(default_specs(context=True)).fit(TEXTS, [""] * len(TEXTS))
    assert [block.spec.name for block in features.blocks] == ["words"]
    matrix = features.transform(["A new NPQ answer"], ["some context it never learnt"])
    assert matrix.shape == (1, features.width) and matrix.nnz > 0


def test_text_features_when_no_context_term_reaches_min_df():
    features = TextFeatures(default_specs(context=True)).fit(TEXTS, ["one", "two", "", "", "", ""])
    assert [block.spec.name for block in features.blocks] == ["words"]


def test_text_features_with_no_words_at_all_give_zero_columns():
    features = TextFeatures(default_specs()).fit(["!!", "?"], ["", ""])
    assert features.blocks == () and features.transform(["!!"], [""]).shape == (1, 0)


def test_distinct_spans_counts_nested_and_overlapping_matches_once():
    assert distinct_spans([(0, 10, "a"), (2, 5, "b"), (12, 15, "c"), (14, 18, "d")]) == 2
    assert distinct_spans([]) == 0


def test_rule_matrix_counts_and_patterns():
    texts = ["one two three four", "a b", "x"]
    matches = [{"c": [(0, 3, "one"), (4, 7, "two"), (8, 13, "three")]}, {"c": [(0, 1, "a")], "d": [(2, 3, "b")]}, {}]
    matrix = rule_matrix(matches, texts, "c", ("a", "one", "zzz")).toarray()
    counts = len(RULE_COUNT_FEATURES)
    assert matrix.shape == (3, counts + 3)
    assert list(matrix[0, :3]) == [1, 1, 1] and matrix[0, 3] == pytest.approx(np.log1p(3))
    assert matrix[0, 4] == pytest.approx(3.0)  # 3 spans per 4 words, capped at 3 per 100 words... of 75: capped
    assert list(matrix[0, counts:]) == [0, 1, 0]  # "two", "three" are not pattern features
    assert list(matrix[1, :3]) == [1, 0, 0] and list(matrix[1, counts:]) == [1, 0, 0]
    assert not matrix[2].any()


@pytest.mark.parametrize(("term", "shown"), [("to", False), ("and the", False), ("2019", False), ("npq", True),
                                             ("the npq", True), ("a", False)], ids=str)
def test_explainable_hides_stop_words(term, shown):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert explainable(term, frozenset(ENGLISH_STOP_WORDS)) is shown
