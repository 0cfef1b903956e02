"""How well would `qualkit code` reproduce reviewers' decisions? Scored out of fold, as it proposes.

The whole of `train` — out-of-fold calibration, cut-offs, the per-code choice between rules and
model, the final fit — is run on the training folds (grouped by document) and the resulting
scorer proposes on the held-out documents exactly as `code` would: same features, same cut-offs,
same choice of source per code. So the figures are not flattered by cut-offs chosen on the
segments they are scored on.

Three sources are scored on the same held-out labels: ``rules`` (propose wherever a pattern
matched), ``model`` (the fitted model for every code it could be fitted for, at its cut-off) and
``scorer`` (what `code` proposes: per code, whichever won on the training folds). Figures are
micro-averaged over segment × code labels, with each code's own row. The learning curve repeats
it with the first N labelled segments of each training fold, and gives the share of held-out
segment × code pairs a reviewer must read, in the source's score order, to find 90% of codings.

Only :func:`evaluate` touches the store; :func:`evaluate_scorer` takes plain data.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus
from qualkit.suggest.features import CountedTerms, count_terms, default_specs
from qualkit.suggest.scorer import (
    EXAMPLES_GROUP,
    CodeSource,
    ScorerOptions,
    TrainingSet,
    fit_scorer,
    fold_splits,
)
from qualkit.suggest.thresholds import Counts

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store

SOURCES = ("rules", "model", "scorer")
OVERALL = "(overall)"  # the micro-average over every code's labels
CURVE_SIZES = (20, 50, 100, 150, 300, 600, 1200)  # the budgets, then doublings
EVALUATE_JOBS = 2
CURVE_FOLDS = 3  # inner folds while fitting the smaller training sets of the curve


@dataclass(frozen=True)
class Judged:
    """One held-out label and what each source made of it: (score, proposed)."""

    row: int
    code: str
    truth: int
    rules: tuple[float, bool]
    model: tuple[float, bool]
    scorer: tuple[float, bool]


@dataclass(frozen=True)
class SourceScore:
    """Precision, recall and F1 of one source on one code (or ``(overall)``, micro-averaged, over all codes)."""

    source: str
    code: str
    precision: float | None
    recall: float | None
    f1: float
    labels: int
    positives: int
    proposed: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CurvePoint:
    labelled_segments: int  # per training fold (the codebook's examples come on top)
    source: str
    precision: float | None
    recall: float | None
    f1: float
    effort_90: float | None  # share of held-out pairs read, in score order, to find 90% of codings
    labels: int  # held-out segment × code labels scored
    macro_f1: float | None  # mean F1 over the codes with a held-out positive
    codes: int  # codes in that mean

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Evaluation:
    scores: tuple[SourceScore, ...]
    points: tuple[CurvePoint, ...]  # the learning curve, every source
    model_folds: Mapping[str, int]  # code → training folds on which the model won it
    folds: int
    effort_90: Mapping[str, float | None] = field(default_factory=dict)  # source → share, all labels

    @property
    def rows(self) -> list[dict]:
        """Scores as table rows (``n``: labels, ``positives``; ``kappa`` not computed: None)."""
        return [{**s.as_dict(), "n": s.labels, "kappa": None} for s in self.scores]

    @property
    def curve(self) -> list[dict]:
        """The scorer's learning curve as table rows."""
        return [p.as_dict() for p in self.points if p.source == "scorer"]

    def micro(self, source: str) -> SourceScore | None:
        return next((s for s in self.scores if s.source == source and s.code == OVERALL), None)


# ------------------------------------------------------------------------------- the pure functions


def effort_for_recall(scores: Sequence[float], truth: Sequence[int], *, recall: float = 0.9) -> float | None:
    """Share of items read, highest score first, to find ``recall`` of the positives.

    Items with equal scores are read in random order: within the tie where the target is
    reached, the expected position of the k-th positive among g items holding p positives,
    k(g+1)/(p+1), is used. None if there are no positives.
    """
    positives = sum(truth)
    if not positives or not scores:
        return None
    target = max(1, -(-int(round(recall * positives * 1000)) // 1000))  # ceil without float noise
    levels: dict[float, list[int]] = {}
    for score, label in zip(scores, truth, strict=True):
        levels.setdefault(score, []).append(label)
    read = found = 0
    for score in sorted(levels, reverse=True):
        group = levels[score]
        p = sum(group)
        if found + p >= target:
            k = target - found
            return (read + k * (len(group) + 1) / (p + 1)) / len(scores)
        read += len(group)
        found += p
    return 1.0


def _counts(items: Sequence[Judged], source: str) -> Counts:
    return Counts.of([j.truth for j in items], [int(getattr(j, source)[1]) for j in items])


def held_out(data: TrainingSet, train_rows: Sequence[int], test_rows: Sequence[int], codes: Sequence[str], *,
             options: ScorerOptions | None = None, counted: CountedTerms | None = None
             ) -> tuple[list[Judged], list[str]]:
    """Fit the scorer on ``train_rows`` as `train` would; judge every label of ``test_rows`` as
    `code` would propose it. Returns the judgements and the codes the model won on the training rows."""
    train = data.subset(train_rows)
    test = data.subset(test_rows)
    scorer = fit_scorer(train, codes, options=options,
                        counted=counted.subset(train_rows) if counted is not None else None)
    matches = test.rule_matches()
    matrix = scorer.features.transform(test.texts, test.contexts)
    views = {
        "scorer": scorer.decide(test.texts, test.contexts, matches, text_matrix=matrix),
        "rules": scorer.decide(test.texts, test.contexts, matches, text_matrix=matrix,
                               sources={c: CodeSource.RULES for c in codes}),
        "model": scorer.decide(test.texts, test.contexts, matches, text_matrix=matrix,
                               sources={c: CodeSource.MODEL for c in codes}),
    }
    found = {name: [{d.code: (d.score, d.proposed) for d in row} for row in rows] for name, rows in views.items()}
    judged = []
    for code in codes:
        for row, value in sorted(test.labels.get(code, {}).items()):
            judged.append(Judged(
                test_rows[row], code, value,
                *(found[name][row].get(code, (0.0, False)) for name in ("rules", "model", "scorer")),
            ))
    return judged, list(scorer.model_codes)


def _task(data, counted, train_rows, test_rows, codes, options, size):
    judged, model_codes = held_out(data, train_rows, test_rows, codes, options=options, counted=counted)
    return size, judged, model_codes


def evaluate_scorer(
    data: TrainingSet, codes: Sequence[str], *, options: ScorerOptions | None = None, curve: bool = True,
    sizes: Sequence[int] = CURVE_SIZES, seed: int = 0, n_jobs: int = EVALUATE_JOBS,
) -> Evaluation:
    """Score rules, model and scorer on held-out documents; see the module docstring."""
    import dataclasses

    options = options or ScorerOptions()
    splits = fold_splits(data.groups, options.folds)
    if not splits:
        from qualkit.errors import ModelError

        raise ModelError("too few labelled segments to hold any out; review more first")
    counted = count_terms(data.texts, data.contexts, default_specs(
        chars=options.chars, context=options.context, context_weight=options.context_weight))
    tasks: list[tuple[list[int], list[int], int | None]] = [(train, test, None) for train, test in splits]
    if curve:
        curve_options = dataclasses.replace(options, folds=min(options.folds, CURVE_FOLDS))
        order = random.Random(seed)
        for train, test in splits:
            scored = [r for r in train if data.groups[r] != EXAMPLES_GROUP]
            examples = [r for r in train if data.groups[r] == EXAMPLES_GROUP]
            order.shuffle(scored)
            for size in sizes:
                if size < len(scored):
                    tasks.append((sorted(scored[:size] + examples), test, size))
    else:
        curve_options = options
    if n_jobs > 1 and len(tasks) > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(
            delayed(_task)(data, counted, train, test, codes, options if size is None else curve_options, size)
            for train, test, size in tasks)
    else:
        results = [_task(data, counted, train, test, codes, options if size is None else curve_options, size)
                   for train, test, size in tasks]
    full = [j for size, judged, _ in results if size is None for j in judged]
    model_folds: dict[str, int] = {}
    for size, _, model_codes in results:
        if size is None:
            for code in model_codes:
                model_folds[code] = model_folds.get(code, 0) + 1
    scores: list[SourceScore] = []
    for source in SOURCES:
        for code in [*codes, OVERALL]:
            items = full if code == OVERALL else [j for j in full if j.code == code]
            if not items:
                continue
            counts = _counts(items, source)
            scores.append(SourceScore(source, code, counts.precision, counts.recall, counts.f1, len(items),
                                      sum(j.truth for j in items), counts.tp + counts.fp))
    points: list[CurvePoint] = []
    by_size: dict[int, list[Judged]] = {}
    for size, judged, _ in results:
        if size is not None:
            by_size.setdefault(size, []).extend(judged)
    largest = max((len([r for r in train if data.groups[r] != EXAMPLES_GROUP]) for train, _ in splits), default=0)
    by_size[largest] = full
    for size in sorted(by_size):
        for source in SOURCES:
            points.append(_point(size, source, by_size[size]))
    effort = {source: effort_for_recall([getattr(j, source)[0] for j in full], [j.truth for j in full])
              for source in SOURCES}
    return Evaluation(tuple(scores), tuple(points) if curve else (), model_folds, len(splits), effort)


def _point(size: int, source: str, items: Sequence[Judged]) -> CurvePoint:
    counts = _counts(items, source)
    effort = effort_for_recall([getattr(j, source)[0] for j in items], [j.truth for j in items])
    per_code = [_counts([j for j in items if j.code == code], source).f1
                for code in dict.fromkeys(j.code for j in items) if any(j.truth for j in items if j.code == code)]
    return CurvePoint(size, source, counts.precision, counts.recall, counts.f1, effort, len(items),
                      sum(per_code) / len(per_code) if per_code else None, len(per_code))


# ------------------------------------------------------------------------------------ project access


def evaluate(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS, curve: bool = True,
             seed: int = 0, interviewers: Collection[str] = ()) -> Evaluation:
    """Gather the project's labelled segments and :func:`evaluate_scorer` them."""
    from qualkit.errors import ModelError
    from qualkit.suggest.training import training_set

    data = training_set(store, codebook, consensus=consensus, interviewers=interviewers)
    if not any(g != EXAMPLES_GROUP for g in data.groups):
        raise ModelError("nothing to evaluate against: no reviewed segments yet (`qualkit review`)")
    return evaluate_scorer(data, [code.key for code in codebook.codable], curve=curve, seed=seed)
