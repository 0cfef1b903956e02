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

    ``percent`` is observed agreement on a 0-100 scale. ``kappa`` is Cohen's kappa and ``alpha``
    nominal Krippendorff's alpha. When both coders give the same single value to every unit both
    are 0/0: undefined (NaN), as scikit-learn and Krippendorff have it — data without variation
    cannot show reliability — and ``note`` says why. Everything is NaN when no unit was judged by both.
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
    """Cohen's kappa of two complete binary sequences; NaN, with the reason, where it is 0/0."""
    if not a:
        return NAN, "no units judged by both coders"
    if len(set(a) | set(b)) == 1:
        said = "yes" if a[0] == 1 else "no"
        return NAN, f"undefined: both coders said {said} to all {len(a)} units (no variation)"
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


@dataclass(frozen=True)
class PairSummary:
    """Two coders over every unit they both judged, and the mean of their per-code kappas."""

    coder_a: str
    coder_b: str
    overall: PairAgreement
    disagreements: int
    mean_kappa: float  # over the codes whose kappa is defined
    codes_with_kappa: int
    codes_undefined: int  # codes both judged whose kappa is undefined (left out of the mean)


@dataclass(frozen=True)
class AgreementReport:
    """Agreement between any number of coders.

    ``pairs`` has one row per pair of coders and code they both judged, then each pair's
    ``(overall)`` row pooling every unit they share: ``coder_a``, ``coder_b``, ``code``, ``n_units``,
    ``percent``, ``kappa``, ``alpha``, ``both_yes``, ``only_a``, ``only_b``, ``both_no``, ``note``
    (why a statistic is undefined). ``coders_alpha`` has Krippendorff's alpha across all the coders
    per code and overall, over every unit at least two of them judged. ``skipped`` lists coders
    left out, with why (no unit in common with another coder). Undefined is NaN, never a number
    made up."""

    coders: tuple[str, ...]
    pairs: pd.DataFrame
    coders_alpha: pd.DataFrame
    summaries: tuple[PairSummary, ...]
    skipped: tuple[tuple[str, str], ...]
    disagreements: tuple[Disagreement, ...]


#: What to tell a reader when no two coders share a unit.
NO_PAIRS = ("No two reviewers judged the same units, so there is no agreement to compute "
            "(have a second coder code the same documents).")

PAIR_COLUMNS = ("coder_a", "coder_b", "code", "n_units", "percent", "kappa", "alpha", "both_yes", "only_a", "only_b",
                "both_no", "note")
ALPHA_COLUMNS = ("code", "n_units", "coders", "alpha", "note")


def _pair_row(a: str, b: str, code: str, keys: Sequence[tuple[Hashable, str]],
              units: dict[tuple[Hashable, str], dict[str, int]]) -> dict[str, Any]:
    shared = [key for key in keys if a in units[key] and b in units[key]]
    pair = _pair_agreement([units[key][a] for key in shared], [units[key][b] for key in shared])
    return {
        "coder_a": a, "coder_b": b, "code": code, "n_units": pair.n, "percent": pair.percent, "kappa": pair.kappa,
        "alpha": pair.alpha, "both_yes": pair.both_yes, "only_a": pair.only_a, "only_b": pair.only_b,
        "both_no": pair.both_no, "note": pair.note or "",
    }


def _alpha_row(code: str, keys: Sequence[tuple[Hashable, str]], units: dict[tuple[Hashable, str], dict[str, int]],
               coders: Sequence[str]) -> dict[str, Any]:
    usable = [key for key in keys if sum(coder in units[key] for coder in coders) >= 2]
    alpha = krippendorff_alpha([[units[key].get(coder) for key in usable] for coder in coders]) if usable else NAN
    note = ""
    if not usable:
        note = "no unit judged by two coders"
    elif math.isnan(alpha):
        note = "undefined: every coder gave every unit the same value (no variation)"
    return {"code": code, "n_units": len(usable), "coders": len(coders), "alpha": alpha, "note": note}


def agreement(judgements: Iterable[Sequence[Any]], *, coders: Sequence[str] | None = None) -> AgreementReport:
    """Agreement between the chosen ``coders`` (default: everyone with judgements) over
    ``(unit, code, coder, value)`` records, value 0, 1 or None.

    Every pair of coders is compared over the units both judged; a coder sharing no unit with any
    other is skipped and listed (never a crash, never NaN in a summary). ``coders`` naming someone
    without judgements lists them as skipped too."""
    import itertools

    import pandas as pd

    units = _collect(judgements)
    present = sorted({coder for values in units.values() for coder in values}, key=str)
    chosen = list(dict.fromkeys(coders)) if coders is not None else present
    skipped = [(coder, "no judgements") for coder in chosen if coder not in present]
    chosen = [coder for coder in chosen if coder in present]
    by_code: dict[str, list[tuple[Hashable, str]]] = {}
    for key in units:
        by_code.setdefault(key[1], []).append(key)
    overlapping = [
        (a, b) for a, b in itertools.combinations(chosen, 2)
        if any(a in values and b in values for values in units.values())
    ]
    paired = {coder for pair in overlapping for coder in pair}
    skipped += [(coder, "no unit in common with another coder") for coder in chosen if coder not in paired]
    chosen = [coder for coder in chosen if coder in paired]
    rows: list[dict[str, Any]] = []
    summaries: list[PairSummary] = []
    for a, b in overlapping:
        mine = [_pair_row(a, b, code, by_code[code], units) for code in sorted(by_code, key=str)]
        mine = [row for row in mine if row["n_units"]]
        overall_row = _pair_row(a, b, OVERALL, list(units), units)
        rows += [*mine, overall_row]
        kappas = [row["kappa"] for row in mine if not math.isnan(row["kappa"])]
        shared = [key for key in units if a in units[key] and b in units[key]]
        summaries.append(PairSummary(
            coder_a=a, coder_b=b,
            overall=_pair_agreement([units[key][a] for key in shared], [units[key][b] for key in shared]),
            disagreements=overall_row["only_a"] + overall_row["only_b"],
            mean_kappa=sum(kappas) / len(kappas) if kappas else NAN, codes_with_kappa=len(kappas),
            codes_undefined=len(mine) - len(kappas),
        ))
    alpha_rows = []
    if len(chosen) >= 2:
        alpha_rows = [_alpha_row(code, by_code[code], units, chosen) for code in sorted(by_code, key=str)]
        alpha_rows = [row for row in alpha_rows if row["n_units"]]
        alpha_rows.append(_alpha_row(OVERALL, list(units), units, chosen))
    found = []
    for (unit, code), values in units.items():
        given = {values[coder] for coder in chosen if coder in values}
        if len(given) > 1:
            found.append(Disagreement(unit, code, {coder: values.get(coder) for coder in chosen}))
    return AgreementReport(
        coders=tuple(chosen), pairs=pd.DataFrame(rows, columns=list(PAIR_COLUMNS)),
        coders_alpha=pd.DataFrame(alpha_rows, columns=list(ALPHA_COLUMNS)), summaries=tuple(summaries),
        skipped=tuple(skipped), disagreements=tuple(found),
    )


# --------------------------------------------------------------------------- machine against human


def machine_vs_human(predicted: Sequence[int], gold: Sequence[int]) -> dict[str, float | int | str | None]:
    """How well a suggester's binary predictions match a human's gold judgements.

    Precision, recall and F1 of the positive class are 0.0 when undefined (nothing predicted
    or nothing in gold), so a code nobody applied scores 0 rather than raising; ``kappa`` is NaN
    where it is undefined (no variation), with ``kappa_note`` saying so. Counts (tp, fp, fn, tn) are
    returned so readers can judge
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
