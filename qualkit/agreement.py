"""Inter-rater agreement: how far coders agree that a code applies to a segment.

A unit is a (segment, code) pair. Each coder's judgement of a unit is binary: 1 = the code
applies (accepted or added), 0 = it does not (rejected, or the coder reviewed the whole segment
and did not apply it), None = the coder did not judge it. Missing is not "no": a coder who never
saw a segment says nothing about it, so every statistic here uses only the units a coder judged.

Pure functions over plain sequences; nothing here touches the project database. Floats are
returned unrounded; rounding is the display's job.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from qualkit.errors import AgreementError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

LEVELS = ("nominal", "ordinal", "interval", "ratio")
OVERALL = "(overall)"

NAN = float("nan")


class Judgement(NamedTuple):
    """One coder's word on one unit; a plain 4-tuple works just as well."""

    unit: Hashable
    code: str
    coder: str
    value: int | None


@dataclass(frozen=True)
class PairAgreement:
    """Two coders over the units both judged.

    ``percent`` is observed agreement on a 0-100 scale. ``kappa`` is Cohen's kappa; when both
    coders give the same single value to every unit it is 0/0, and we report 1.0 because the
    coders agree perfectly (``note`` says so). ``alpha`` is nominal Krippendorff's alpha, which we
    leave NaN in that case, as Krippendorff does: data without variation cannot show reliability.
    Everything is NaN when no unit was judged by both.
    """

    n: int
    both_yes: int
    only_a: int
    only_b: int
    both_no: int
    percent: float
    kappa: float
    alpha: float
    note: str | None = None  # why kappa or alpha is NaN or a convention rather than a computation


@dataclass(frozen=True)
class Disagreement:
    """A unit on which the coders who judged it differ; ``values`` has every coder, None if unjudged."""

    unit: Hashable
    code: str
    values: dict[str, int | None] = field(default_factory=dict)


# --------------------------------------------------------------------------- binary values


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _binary(value: Any, *, where: str) -> int | None:
    """0, 1 or None; anything else is a caller's mistake, so say which value and where."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or value in (0, 1):
        return int(value)
    raise AgreementError(
        f"{where}: judgement {value!r} is not binary; use 1 (applies), 0 (does not apply) or None (not judged)"
    )


def _kappa(a: Sequence[int], b: Sequence[int]) -> tuple[float, str | None]:
    """Cohen's kappa of two complete binary sequences, with our conventions for 0/0."""
    if not a:
        return NAN, "no units judged by both coders"
    if len(set(a) | set(b)) == 1:
        return 1.0, "both coders gave every unit the same value; kappa is 0/0, reported as 1.0"
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(a, b, labels=[0, 1])), None


def pairwise(a: Sequence[int | None], b: Sequence[int | None]) -> PairAgreement:
    """Agreement of two coders' binary judgements of the same units; None marks an unjudged unit."""
    if len(a) != len(b):
        raise AgreementError(f"the coders judged different numbers of units ({len(a)} and {len(b)}); align them first")
    both_a: list[int] = []
    both_b: list[int] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        x, y = _binary(x, where=f"first coder, unit {i}"), _binary(y, where=f"second coder, unit {i}")
        if x is not None and y is not None:
            both_a.append(x)
            both_b.append(y)
    return _pair_agreement(both_a, both_b)


def _pair_agreement(a: list[int], b: list[int]) -> PairAgreement:
    """``pairwise`` on complete, validated binary lists."""
    n = len(a)
    both_yes = sum(1 for x, y in zip(a, b, strict=True) if x == 1 and y == 1)
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x == 1 and y == 0)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if x == 0 and y == 1)
    both_no = n - both_yes - only_a - only_b
    percent = 100.0 * (both_yes + both_no) / n if n else NAN
    kappa, note = _kappa(a, b)
    alpha = krippendorff_alpha([a, b]) if n else NAN
    if n and math.isnan(alpha):
        note = f"{note}; alpha is undefined without variation"
    return PairAgreement(n, both_yes, only_a, only_b, both_no, percent, kappa, alpha, note)


# --------------------------------------------------------------------------- Krippendorff's alpha


def krippendorff_alpha(data: Sequence[Sequence[Any]], *, level: str = "nominal") -> float:
    """Krippendorff's alpha for any number of coders, with missing values (None or NaN).

    ``data`` has one row per coder and one column per unit. Units that fewer than two coders
    judged carry no information about agreement and are dropped. NaN when nothing is left to
    compare or every pairable value is the same (expected disagreement is zero). Follows
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": a coincidence matrix,
    then alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck).
    """
    if level not in LEVELS:
        raise AgreementError(
            f"unknown level of measurement {level!r}{did_you_mean(level, LEVELS)}; use one of {', '.join(LEVELS)}"
        )
    rows = [list(row) for row in data]
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise AgreementError(
            f"every coder needs a value (or None) for every unit; the rows' lengths differ: {sorted(widths)}"
        )
    units = [[v for v in column if not _is_missing(v)] for column in zip(*rows, strict=True)]
    units = [values for values in units if len(values) >= 2]
    if not units:
        return NAN
    domain = sorted({v for values in units for v in values}) if level != "nominal" else _unique(units)
    if level != "nominal":
        for value in domain:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise AgreementError(f"{level} alpha needs numbers; got {value!r} (use level='nominal' for categories)")
    if len(domain) < 2:
        return NAN

    import numpy as np

    index = {value: i for i, value in enumerate(domain)}
    counts = np.zeros((len(units), len(domain)))
    for u, values in enumerate(units):
        for value in values:
            counts[u, index[value]] += 1
    weights = 1.0 / (counts.sum(axis=1) - 1.0)  # each unit's pairs count 1/(m_u - 1)
    coincidences = (counts * weights[:, None]).T @ counts - np.diag(weights @ counts)
    totals = coincidences.sum(axis=1)  # n_c, how often each value was pairable
    n = totals.sum()
    delta = _distances(np.array(domain, dtype=object), totals, level)
    observed = (coincidences * delta).sum()
    expected = (np.outer(totals, totals) * delta).sum()
    if expected == 0:
        return NAN
    return float(1.0 - (n - 1.0) * observed / expected)


def _unique(units: list[list[Any]]) -> list[Any]:
    """Distinct values in first-seen order; nominal values need only be hashable, not sortable."""
    return list(dict.fromkeys(v for values in units for v in values))


def _distances(domain, totals, level: str):
    """The squared difference function delta^2(c, k) over the value domain, per Krippendorff."""
    import numpy as np

    size = len(domain)
    if level == "nominal":
        return 1.0 - np.eye(size)
    values = domain.astype(float)
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        total = np.add.outer(values, values)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total == 0, 0.0, np.subtract.outer(values, values) / total)
        return ratio**2
    # ordinal: the values between c and k, inclusive, weighted by how often they occur,
    # less half of each end. domain is sorted, so cumulative sums give every range at once.
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    low = np.minimum.outer(np.arange(size), np.arange(size))
    high = np.maximum.outer(np.arange(size), np.arange(size))
    between = cumulative[high + 1] - cumulative[low] - (totals[low] + totals[high]) / 2.0
    return between**2


# --------------------------------------------------------------------------- tables of judgements


def _collect(judgements: Iterable[Sequence[Any]]) -> dict[tuple[Hashable, str], dict[str, int]]:
    """(unit, code) -> {coder: value}, in first-seen order; a coder contradicting itself is an error."""
    units: dict[tuple[Hashable, str], dict[str, int]] = {}
    for record in judgements:
        try:
            unit, code, coder, value = record
        except (TypeError, ValueError):
            raise AgreementError(f"a judgement must be (unit, code, coder, value); got {record!r}") from None
        value = _binary(value, where=f"coder {coder!r}, unit {unit!r}, code {code!r}")
        if value is None:
            continue
        seen = units.setdefault((unit, code), {})
        if seen.get(coder, value) != value:
            raise AgreementError(
                f"coder {coder!r} judged unit {unit!r} for code {code!r} both 0 and 1; keep only their latest judgement"
            )
        seen[coder] = value
    return units


def _choose_coders(units: dict[tuple[Hashable, str], dict[str, int]], coders: Sequence[str] | None) -> list[str]:
    present = sorted({coder for values in units.values() for coder in values}, key=str)
    if coders is None:
        chosen = present
    else:
        chosen = list(dict.fromkeys(coders))
        for coder in chosen:
            if coder not in present:
                raise AgreementError(
                    f"coder {coder!r} has no judgements{did_you_mean(str(coder), map(str, present))}; "
                    f"coders with judgements: {', '.join(map(str, present)) or 'none'}"
                )
    if len(chosen) < 2:
        raise AgreementError(
            f"agreement needs at least two coders; found {', '.join(map(str, chosen)) or 'none'} "
            "(have a second coder review the same segments)"
        )
    return chosen


def _row(code: str, keys: list[tuple[Hashable, str]], units, coders: list[str]) -> dict[str, Any]:
    """One table row over the given units."""
    complete = [key for key in keys if all(coder in units[key] for coder in coders)]
    matrix = [[units[key].get(coder) for key in keys] for coder in coders]
    row: dict[str, Any] = {"code": code, "n_units": len(complete)}
    if len(coders) != 2:
        columns = [[units[key][coder] for coder in coders] for key in complete]
        return row | {"percent": _mean_pairwise_percent(columns), "kappa": NAN, "alpha": krippendorff_alpha(matrix)}
    first, second = coders
    pair = _pair_agreement([units[key][first] for key in complete], [units[key][second] for key in complete])
    return row | {
        "percent": pair.percent,
        "kappa": pair.kappa,
        "alpha": krippendorff_alpha(matrix),
        "both_yes": pair.both_yes,
        f"only_{first}": pair.only_a,
        f"only_{second}": pair.only_b,
        "both_no": pair.both_no,
    }


def _mean_pairwise_percent(columns: list[list[int]]) -> float:
    """Share of agreeing coder pairs, 0-100; over units all coders judged this equals the mean over pairs."""
    if not columns:
        return NAN
    m = len(columns[0])
    agreeing = sum(ones * (ones - 1) // 2 + (m - ones) * (m - ones - 1) // 2 for ones in map(sum, columns))
    return 100.0 * agreeing / (len(columns) * m * (m - 1) // 2)


def agreement_table(judgements: Iterable[Sequence[Any]], *, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """Agreement per code and overall, as a pandas DataFrame with one row per code, then ``(overall)``.

    ``judgements`` are ``(unit, code, coder, value)`` records with value 0, 1 or None. ``coders``
    picks whose judgements count, in column order (default: everyone's, sorted by name).
    ``n_units`` counts the units every chosen coder judged; ``percent`` (0-100) and ``kappa`` use
    those units, since they need complete data. ``alpha`` uses every unit at least two coders
    judged. With more than two coders ``percent`` is the mean pairwise agreement and ``kappa`` is
    NaN (Cohen's kappa is for pairs). With two coders the 2x2 counts follow: ``both_yes``,
    ``only_<first>``, ``only_<second>``, ``both_no``. The overall row pools every (unit, code)
    pair, so it is not an average of the rows above it.
    """
    import pandas as pd

    units = _collect(judgements)
    chosen = _choose_coders(units, coders)
    by_code: dict[str, list[tuple[Hashable, str]]] = {}
    for key in units:
        by_code.setdefault(key[1], []).append(key)
    rows = [_row(code, by_code[code], units, chosen) for code in sorted(by_code, key=str)]
    rows.append(_row(OVERALL, list(units), units, chosen))
    return pd.DataFrame(rows)


def disagreements(judgements: Iterable[Sequence[Any]], *, coders: Sequence[str] | None = None) -> list[Disagreement]:
    """Units on which the chosen coders who judged them gave different values, in first-seen order."""
    units = _collect(judgements)
    chosen = _choose_coders(units, coders)
    found = []
    for (unit, code), values in units.items():
        given = {values[coder] for coder in chosen if coder in values}
        if len(given) > 1:
            found.append(Disagreement(unit, code, {coder: values.get(coder) for coder in chosen}))
    return found


# --------------------------------------------------------------------------- machine against human


def machine_vs_human(predicted: Sequence[int], gold: Sequence[int]) -> dict[str, float | int | str | None]:
    """How well a suggester's binary predictions match a human's gold judgements.

    Precision, recall and F1 of the positive class are 0.0 when undefined (nothing predicted
    or nothing in gold), so a code nobody applied scores 0 rather than raising; ``kappa`` follows
    the ``PairAgreement`` convention. Counts (tp, fp, fn, tn) are returned so readers can judge
    how much evidence the rates rest on.
    """
    if len(predicted) != len(gold):
        raise AgreementError(f"{len(predicted)} predictions but {len(gold)} gold judgements; they must align")
    pred = [_required(_binary(v, where=f"prediction {i}"), f"prediction {i}") for i, v in enumerate(predicted)]
    true = [_required(_binary(v, where=f"gold judgement {i}"), f"gold judgement {i}") for i, v in enumerate(gold)]
    from sklearn.metrics import precision_recall_fscore_support

    tp = sum(1 for p, g in zip(pred, true, strict=True) if p == 1 and g == 1)
    fp = sum(1 for p, g in zip(pred, true, strict=True) if p == 1 and g == 0)
    fn = sum(1 for p, g in zip(pred, true, strict=True) if p == 0 and g == 1)
    tn = len(pred) - tp - fp - fn
    if pred:
        precision, recall, f1, _ = precision_recall_fscore_support(
            true, pred, labels=[1], average="binary", pos_label=1, zero_division=0
        )
    else:
        precision = recall = f1 = 0.0
    kappa, note = _kappa(true, pred)
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "kappa": kappa,
        "kappa_note": note,
        "accuracy": (tp + tn) / len(pred) if pred else NAN,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "n": len(pred),
        "gold_positive": tp + fn,
        "predicted_positive": tp + fp,
    }


def _required(value: int | None, where: str) -> int:
    if value is None:
        raise AgreementError(f"{where} is missing; every unit needs both a prediction and a gold judgement")
    return value
