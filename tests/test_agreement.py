"""Agreement statistics against hand computation and Krippendorff's published worked examples."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.agreement import (
    OVERALL,
    AgreementError,
    Disagreement,
    agreement,
    krippendorff_alpha,
    machine_vs_human,
    pairwise,
)
from qualkit.errors import QualkitError

_ = None  # a missing value, so the published tables below read like the papers

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units.
K2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
# Section B: nominal data, two observers, no missing data.
K2011_B = [list("aabbdcccedda"), list("babbbccceddd")]
# Section A: binary data, two observers, no missing data.
K2011_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
# Wikipedia, "Krippendorff's alpha", a computational example: 3 coders x 15 units.
WIKIPEDIA = [
    [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
    [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
    [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
]


# --------------------------------------------------------------------------- pairwise


def test_pairwise_hand_computed_counts_percent_kappa_alpha():
    # Units 6 and 7 were judged by one coder only, so 8 units remain:
    # (1,1) (1,0) (0,0) (0,0) (1,1) (0,1) (0,0) (0,0)
    a = [1, 1, 0, 0, 1, 0, None, 1, 0, 0]
    b = [1, 0, 0, 0, 1, 1, 1, None, 0, 0]
    result = pairwise(a, b)
    assert (result.n, result.both_yes, result.only_a, result.only_b, result.both_no) == (8, 2, 1, 1, 4)
    assert result.percent == pytest.approx(75.0)
    # p_o = 6/8, p_e = (3/8)^2 + (5/8)^2 = 34/64, kappa = (48/64 - 34/64) / (30/64) = 14/30
    assert result.kappa == pytest.approx(7 / 15)
    # 16 pairable values, 6 ones and 10 zeros, o_01 = o_10 = 2: alpha = 1 - 15 * 4 / (2 * 6 * 10)
    assert result.alpha == pytest.approx(0.5)
    assert result.note is None


def test_pairwise_returns_plain_floats():
    result = pairwise([1, 0, 1, 1], [1, 0, 0, 1])
    assert type(result.kappa) is float and type(result.alpha) is float and type(result.percent) is float


def test_pairwise_krippendorff_binary_example():
    result = pairwise(*K2011_A)
    assert (result.both_yes, result.only_a, result.only_b, result.both_no) == (1, 1, 3, 5)
    assert result.alpha == pytest.approx(0.095, abs=5e-4)  # published
    # p_o = 0.6, p_e = 0.2 * 0.4 + 0.8 * 0.6 = 0.56
    assert result.kappa == pytest.approx(0.04 / 0.44)


def test_pairwise_perfect_agreement():
    result = pairwise([1, 0, 1, 0, 0], [1, 0, 1, 0, 0])
    assert (result.percent, result.kappa, result.alpha) == (100.0, 1.0, 1.0)


def test_pairwise_perfect_agreement_without_variation_is_undefined():
    result = pairwise([0, 0, 0], [0, 0, 0])
    assert result.percent == 100.0
    assert math.isnan(result.kappa) and math.isnan(result.alpha)
    assert result.note == "undefined: both coders said no to all 3 units (no variation)"


def test_pairwise_complete_disagreement():
    result = pairwise([1, 0, 1, 0], [0, 1, 0, 1])
    assert (result.both_yes, result.only_a, result.only_b, result.both_no) == (0, 2, 2, 0)
    assert result.percent == 0.0
    assert result.kappa == pytest.approx(-1.0)
    # 8 values, 4 ones and 4 zeros, o_01 = o_10 = 4: alpha = 1 - 7 * 8 / (2 * 4 * 4)
    assert result.alpha == pytest.approx(-0.75)


def test_pairwise_constant_but_opposite_coders_have_kappa_zero():
    result = pairwise([1, 1, 1], [0, 0, 0])
    assert result.percent == 0.0
    assert result.kappa == pytest.approx(0.0)
    assert result.alpha == pytest.approx(1 - 5 * 6 / (2 * 3 * 3))


def test_pairwise_no_shared_units_is_all_nan():
    result = pairwise([1, None, 0], [None, 1, None])
    assert result.n == 0
    assert all(math.isnan(x) for x in (result.percent, result.kappa, result.alpha))
    assert result.note == "no units judged by both coders"


def test_pairwise_ignores_nan_and_accepts_bools():
    assert pairwise([True, float("nan"), False], [True, 1, 0]).n == 2


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([1, 0], [1], "different numbers of units (2 and 1)"),
        ([1, 2], [1, 0], "first coder, unit 1: judgement 2 is not binary"),
        ([1, 0], [1, "yes"], "second coder, unit 1: judgement 'yes' is not binary"),
    ],
    ids=["lengths", "two", "string"],
)
def test_pairwise_rejects_bad_input(a, b, message):
    with pytest.raises(AgreementError) as info:
        pairwise(a, b)
    assert message in str(info.value)
    assert isinstance(info.value, QualkitError)


# --------------------------------------------------------------------------- Krippendorff's alpha


@pytest.mark.parametrize(
    ("data", "level", "published"),
    [
        (K2011_C, "nominal", 0.743),
        (K2011_C, "ordinal", 0.815),
        (K2011_C, "interval", 0.849),
        (K2011_C, "ratio", 0.797),
        (K2011_B, "nominal", 0.692),
        (K2011_A, "nominal", 0.095),
        (WIKIPEDIA, "nominal", 0.691),
        (WIKIPEDIA, "interval", 0.811),
    ],
    ids=["2011-C-nominal", "2011-C-ordinal", "2011-C-interval", "2011-C-ratio", "2011-B-nominal", "2011-A-binary",
         "wikipedia-nominal", "wikipedia-interval"],
)
def test_krippendorff_alpha_published_examples(data, level, published):
    assert krippendorff_alpha(data, level=level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_alpha_three_coders_hand_computed():
    # Units {1,1,1} {0,0,0} {1,1,0} {0,0,1}; each pair within a unit counts 1/(3-1).
    # o_11 = 3 + 1, o_00 = 3 + 1, o_01 = o_10 = 1 + 1; n = 12, n_1 = n_0 = 6.
    data = [[1, 0, 1, 0], [1, 0, 1, 0], [1, 0, 0, 1]]
    assert krippendorff_alpha(data) == pytest.approx(1 - 11 * 4 / (2 * 6 * 6))


def test_krippendorff_alpha_drops_units_judged_once():
    padded = [row + extra for row, extra in zip(K2011_C, [[1, _], [_, 5], [_, _], [_, _]], strict=True)]
    assert krippendorff_alpha(padded) == krippendorff_alpha(K2011_C)


def test_krippendorff_alpha_accepts_nan_as_missing():
    data = [[float("nan") if v is None else v for v in row] for row in K2011_C]
    assert krippendorff_alpha(data) == pytest.approx(krippendorff_alpha(K2011_C))


@pytest.mark.parametrize(
    "data",
    [[[1, _], [_, 0]], [[1, 1], [1, 1]], [], [[], []]],
    ids=["nothing-pairable", "no-variation", "no-coders", "no-units"],
)
def test_krippendorff_alpha_undefined_is_nan(data):
    assert math.isnan(krippendorff_alpha(data))


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        ([[1, 0]], "nominl", "unknown level of measurement 'nominl' (did you mean 'nominal'?)"),
        ([[1, 0], [1]], "nominal", "the rows' lengths differ: [1, 2]"),
        ([["a", "b"], ["a", "a"]], "interval", "interval alpha needs numbers; got 'a'"),
    ],
    ids=["level", "ragged", "strings-interval"],
)
def test_krippendorff_alpha_rejects_bad_input(data, level, message):
    with pytest.raises(AgreementError) as info:
        krippendorff_alpha(data, level=level)
    assert message in str(info.value)


def _reference_alpha(data, difference):
    """Alpha straight from its definition: pairable values, all ordered pairs, no matrices."""
    units = [[v for v in column if v is not None] for column in zip(*data, strict=True)]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    observed = sum(
        sum(difference(x, y) for x, y in itertools.permutations(u, 2)) / (len(u) - 1) for u in units
    ) / n
    expected = sum(difference(x, y) for x, y in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - observed / expected


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda coders: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=coders, max_size=coders), min_size=1, max_size=12
        )
    ),
    st.sampled_from(["nominal", "interval"]),
)
def test_krippendorff_alpha_matches_definition(columns, level):
    data = [list(row) for row in zip(*columns, strict=True)]
    difference = (lambda x, y: float(x != y)) if level == "nominal" else (lambda x, y: float(x - y) ** 2)
    pairable = [v for column in columns if sum(v is not None for v in column) >= 2 for v in column if v is not None]
    if len(set(pairable)) < 2:
        assert math.isnan(krippendorff_alpha(data, level=level))
    else:
        assert krippendorff_alpha(data, level=level) == pytest.approx(_reference_alpha(data, difference))


# --------------------------------------------------------------------------- tables of judgements


def _records(table: dict[str, dict[str, list[int | None]]]):
    """{code: {coder: values by unit}} -> (unit, code, coder, value) records."""
    return [
        (unit, code, coder, value)
        for code, by_coder in table.items()
        for coder, values in by_coder.items()
        for unit, value in enumerate(values)
    ]


TWO = {
    "trust": {"ann": [1, 1, 0, 0, 1, 0, None, 1, 0, 0], "bob": [1, 0, 0, 0, 1, 1, 1, None, 0, 0]},
    "culture": {"ann": [1, 0, 1, 0], "bob": [0, 1, 0, 1]},
}


def _pairs(records, coders=None):
    return agreement(records, coders=coders).pairs.set_index("code")


def test_agreement_two_coders_per_code_and_counts():
    table = _pairs(_records(TWO))
    assert list(table.columns) == ["coder_a", "coder_b", "n_units", "percent", "kappa", "alpha", "both_yes", "only_a",
                                   "only_b", "both_no", "note"]
    assert list(table.index) == ["culture", "trust", OVERALL]
    assert set(table["coder_a"]) == {"ann"} and set(table["coder_b"]) == {"bob"}
    trust = table.loc["trust"]
    assert (trust.n_units, trust.both_yes, trust.only_a, trust.only_b, trust.both_no) == (8, 2, 1, 1, 4)
    assert (trust.percent, trust.kappa, trust.alpha) == pytest.approx((75.0, 7 / 15, 0.5))
    culture = table.loc["culture"]
    assert (culture.percent, culture.kappa, culture.alpha) == pytest.approx((0.0, -1.0, -0.75))


def test_agreement_overall_row_pools_every_unit():
    report = agreement(_records(TWO))
    overall = report.pairs.set_index("code").loc[OVERALL]
    pooled = pairwise(TWO["trust"]["ann"] + TWO["culture"]["ann"], TWO["trust"]["bob"] + TWO["culture"]["bob"])
    assert overall.n_units == pooled.n == 12
    assert (overall.both_yes, overall.only_a, overall.only_b, overall.both_no) == (2, 3, 3, 4)
    assert (overall.percent, overall.kappa, overall.alpha) == pytest.approx((pooled.percent, pooled.kappa,
                                                                             pooled.alpha))
    [summary] = report.summaries
    assert (summary.coder_a, summary.coder_b, summary.disagreements) == ("ann", "bob", 6)
    assert summary.mean_kappa == pytest.approx((7 / 15 - 1.0) / 2) and summary.codes_with_kappa == 2


def test_agreement_three_coders_pairwise_and_alpha_across_all():
    # Units 0-3 judged by all three; unit 4 only by ann and bob.
    three = {"x": {"ann": [1, 0, 1, 0, 1], "bob": [1, 0, 1, 0, 1], "cat": [1, 0, 0, 1, None]}}
    report = agreement(_records(three))
    pairs = {(r.coder_a, r.coder_b): r for r in report.pairs[report.pairs.code == "x"].itertuples()}
    assert set(pairs) == {("ann", "bob"), ("ann", "cat"), ("bob", "cat")}
    assert pairs[("ann", "bob")].n_units == 5 and pairs[("ann", "bob")].percent == 100.0
    assert pairs[("ann", "cat")].n_units == 4 and pairs[("ann", "cat")].percent == 50.0
    row = report.coders_alpha.set_index("code").loc["x"]
    assert (row.n_units, row.coders) == (5, 3)
    # the hand-computed 3-coder alpha plus o_11 += 2 from unit 4: n = 14, n_1 = 8, n_0 = 6, o_01 = 2
    assert row.alpha == pytest.approx(1 - 13 * 4 / (2 * 8 * 6))


def test_agreement_chosen_coders_only():
    three = {"x": {"ann": [1, 0, 1, 0], "bob": [1, 0, 1, 1], "cat": [0, 0, 0, 1]}}
    report = agreement(_records(three), coders=["ann", "bob"])
    row = report.pairs.set_index("code").loc["x"]
    assert (row.n_units, row.both_yes, row.only_a, row.only_b, row.both_no) == (4, 2, 0, 1, 1)
    assert row.alpha == pytest.approx(pairwise(three["x"]["ann"], three["x"]["bob"]).alpha)
    assert report.coders == ("ann", "bob") and report.coders_alpha.empty is False


def test_agreement_code_nobody_used_is_undefined_not_one():
    """Both coders said no to every unit of a code: percent is 100, kappa and alpha are undefined
    (scikit-learn says so too), the note says why, and the code is left out of the mean kappa."""
    import warnings

    from sklearn.metrics import cohen_kappa_score

    table = {"unused": {"ann": [0] * 6, "bob": [0] * 6}, "used": {"ann": [1, 0, 1, 0], "bob": [1, 0, 0, 0]}}
    report = agreement(_records(table))
    unused = report.pairs.set_index("code").loc["unused"]
    assert unused.percent == 100.0 and math.isnan(unused.kappa) and math.isnan(unused.alpha)
    assert unused.note == "undefined: both coders said no to all 6 units (no variation)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([0] * 6, [0] * 6))
    [summary] = report.summaries
    used = report.pairs.set_index("code").loc["used"].kappa
    assert summary.mean_kappa == pytest.approx(used) and (summary.codes_with_kappa, summary.codes_undefined) == (1, 1)


def test_agreement_a_coder_without_overlap_is_listed_and_skipped():
    records = [(1, "x", "ann", 1), (1, "x", "bob", 0), (2, "x", "ann", 0), (2, "x", "bob", 0), (9, "x", "cat", 1)]
    report = agreement(records)
    assert report.coders == ("ann", "bob")
    assert report.skipped == (("cat", "no unit in common with another coder"),)
    assert set(report.pairs.coder_a) | set(report.pairs.coder_b) == {"ann", "bob"}
    assert not report.pairs[["percent"]].isna().any().any()
    alone = agreement([(1, "x", "ann", 1)], coders=["ann", "zed"])
    assert alone.skipped == (("zed", "no judgements"), ("ann", "no unit in common with another coder"))
    assert alone.pairs.empty and alone.summaries == ()


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([(1, "x", "ann", 1), (1, "x", "ann", 0)], "coder 'ann' judged unit 1 for code 'x' both 0 and 1"),
        ([(1, "x", "ann")], "a judgement must be (unit, code, coder, value)"),
        ([(1, "x", "ann", 2)], "judgement 2 is not binary"),
    ],
    ids=["contradiction", "short-record", "not-binary"],
)
def test_agreement_rejects_bad_input(records, message):
    with pytest.raises(AgreementError) as info:
        agreement(records)
    assert message in str(info.value)


def test_agreement_lists_differing_units_with_every_coder():
    records = [
        ("s1", "trust", "ann", 1), ("s1", "trust", "bob", 0),  # differ
        ("s1", "care", "ann", 1), ("s1", "care", "bob", 1),  # agree
        ("s2", "trust", "ann", 0), ("s2", "trust", "cat", 1),  # differ, bob did not judge
        ("s3", "trust", "ann", 1),  # judged once: nothing to disagree with
        ("s4", "care", "bob", 0), ("s4", "care", "cat", 0), ("s4", "care", "ann", None),  # agree
    ]
    assert agreement(records).disagreements == (
        Disagreement("s1", "trust", {"ann": 1, "bob": 0, "cat": None}),
        Disagreement("s2", "trust", {"ann": 0, "bob": None, "cat": 1}),
    )
    assert agreement(records, coders=["ann", "bob"]).disagreements == (
        Disagreement("s1", "trust", {"ann": 1, "bob": 0}),
    )


# --------------------------------------------------------------------------- independent implementations

_JUDGEMENT = st.sampled_from([0, 1, None])


@settings(max_examples=150, deadline=None)
@given(
    grid=st.lists(st.lists(_JUDGEMENT, min_size=3, max_size=3), min_size=1, max_size=40),
    codes=st.lists(st.sampled_from(["a", "b", "c"]), min_size=40, max_size=40),
)
def test_agreement_equals_scikit_learn_and_krippendorff_on_random_multi_coder_data(grid, codes):
    """Three coders, random judgements with gaps: every pair's per-code kappa is scikit-learn's
    cohen_kappa_score on the units both judged (undefined exactly where it is undefined there), and
    alpha across all coders is the krippendorff package's."""
    import warnings

    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    coders = ["ann", "bob", "cat"]
    records = [(unit, codes[unit], coder, row[i]) for unit, row in enumerate(grid) for i, coder in enumerate(coders)]
    report = agreement(records, coders=coders)
    for row in report.pairs.itertuples():
        keys = [u for u in range(len(grid)) if (row.code == OVERALL or codes[u] == row.code)]
        a = coders.index(row.coder_a)
        b = coders.index(row.coder_b)
        shared = [(grid[u][a], grid[u][b]) for u in keys if grid[u][a] is not None and grid[u][b] is not None]
        assert row.n_units == len(shared)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score([x for x, _ in shared], [y for _, y in shared], labels=[0, 1])
        if math.isnan(expected) or len({x for x, _ in shared} | {y for _, y in shared}) < 2:
            assert math.isnan(row.kappa)
        else:
            assert row.kappa == pytest.approx(expected)
    for row in report.coders_alpha.itertuples():
        keys = [u for u in range(len(grid)) if row.code == OVERALL or codes[u] == row.code]
        data = np.array([[np.nan if grid[u][i] is None else grid[u][i] for u in keys] for i in range(3)], dtype=float)
        usable = [j for j in range(len(keys)) if np.sum(~np.isnan(data[:, j])) >= 2]
        values = {v for j in usable for v in data[:, j] if not np.isnan(v)}
        if len(values) < 2:
            assert math.isnan(row.alpha)
        else:
            assert row.alpha == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


# --------------------------------------------------------------------------- machine against human


def test_machine_vs_human_matches_hand_counts():
    result = machine_vs_human([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0])
    assert {k: result[k] for k in ("tp", "fp", "fn", "tn", "n", "gold_positive", "predicted_positive")} == {
        "tp": 2, "fp": 1, "fn": 1, "tn": 2, "n": 6, "gold_positive": 3, "predicted_positive": 3,
    }
    assert (result["precision"], result["recall"], result["f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert result["kappa"] == pytest.approx(1 / 3)  # p_o = 4/6, p_e = 1/2
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert all(type(result[k]) is float for k in ("precision", "recall", "f1", "kappa", "accuracy"))


def test_machine_vs_human_uneven_precision_and_recall():
    result = machine_vs_human([1, 0, 0, 0], [1, 1, 1, 0])
    assert (result["precision"], result["recall"]) == pytest.approx((1.0, 1 / 3))
    assert result["f1"] == pytest.approx(0.5)


def test_machine_vs_human_no_positives_is_zero_not_an_error():
    result = machine_vs_human([0, 0, 0], [0, 0, 0])
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert math.isnan(result["kappa"]) and "no variation" in result["kappa_note"]
    nothing_predicted = machine_vs_human([0, 0, 0], [1, 0, 1])
    assert (nothing_predicted["precision"], nothing_predicted["recall"]) == (0.0, 0.0)
    assert nothing_predicted["fn"] == 2


@pytest.mark.parametrize(
    ("predicted", "gold", "message"),
    [([1, 0], [1], "2 predictions but 1 gold judgements"), ([1, None], [1, 0], "prediction 1 is missing")],
    ids=["lengths", "missing"],
)
def test_machine_vs_human_rejects_bad_input(predicted, gold, message):
    with pytest.raises(AgreementError, match=message):
        machine_vs_human(predicted, gold)


def test_agreement_import_is_light():
    code = "import sys, qualkit.agreement; print(sorted(m for m in ('numpy', 'pandas', 'sklearn') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
