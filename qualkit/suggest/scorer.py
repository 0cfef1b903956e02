"""One decision per segment × code: the rules' evidence and the text, weighed by reviewers' labels.

Measured on real policy passages, rules alone and rules ∪ model both disappoint (F1 0.54 and
0.50): a single matched word is as often wrong as right, and a weak model floods. What did
better was *one* model per code that reads the rules' evidence as features (how many spans,
which patterns; :mod:`qualkit.suggest.features`) alongside the text, with cut-offs chosen on
out-of-fold scores. That is this module:

1. Codes with fewer than :data:`MIN_POSITIVES` accepted or :data:`MIN_NEGATIVES` rejected
   labels stay with the rules.
2. For the rest, out-of-fold decision values (folds grouped by document; two processes for
   large training sets) are made probabilities by one Platt fit
   (:func:`~qualkit.suggest.thresholds.platt`), and cut-offs are chosen on them
   (:mod:`qualkit.suggest.thresholds`).
3. On the same labelled segments, the rules' F1 (propose wherever a pattern matched) is
   compared with the model's at its cut-off. The model takes a code over only where it is
   better by more than 1/√positives (a few labels make a noisy F1: measured on the policy
   passages, a bare "better" handed codes to the model that it then did worse on); otherwise
   the code stays rules-only. :class:`CodeChoice` records which and why.
4. Features and one logistic regression per code are fitted on everything.

The result, :class:`Scorer`, is plain data (arrays, terms, numbers): it is stored without pickle
(:mod:`qualkit.suggest.storage`) and proposes with :meth:`Scorer.decide`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.errors import ModelError
from qualkit.suggest.features import (
    RULE_COUNT_FEATURES,
    CountedTerms,
    RuleMatches,
    TextFeatures,
    count_terms,
    default_specs,
    rule_counts,
    rule_matrix,
    rule_patterns,
)
from qualkit.suggest.thresholds import SHRINKAGE, Counts, best_cutoff, counts_at, platt, shrunk_cutoffs, sigmoid

if TYPE_CHECKING:
    import numpy as np

MIN_POSITIVES = 5
MIN_NEGATIVES = 5
EXAMPLES_GROUP = -1  # the codebook's examples: always trained on, never scored
PARALLEL_FROM = 3000  # labelled segments from which folds run in two processes: below, starting the
# processes costs more than the folds (demo, 342 segments: 1.4 s in one process, 6.7 s in two)


@dataclass(frozen=True)
class TrainingSet:
    """Segments with context, their group (document), per-code labels and the rules' evidence.

    ``labels``: code → {row: 1 or 0}; a row absent for a code says nothing about it.
    ``matches``: per row, what the rules found (code → spans); empty when no rules ran.
    ``descriptions``: code → what the codebook says of it (name, definition, include list,
    examples): the model reads each segment's TF-IDF similarity to its code's description, which
    helps before there are many labels.
    """

    texts: tuple[str, ...]
    contexts: tuple[str, ...]
    groups: tuple[int, ...]
    labels: Mapping[str, Mapping[int, int]]
    matches: tuple[RuleMatches, ...] = ()
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def rule_matches(self) -> tuple[RuleMatches, ...]:
        return self.matches if self.matches else tuple({} for _ in self.texts)

    def subset(self, rows: Sequence[int]) -> TrainingSet:
        """These rows only, renumbered in the order given."""
        position = {row: i for i, row in enumerate(rows)}
        matches = self.rule_matches()
        return TrainingSet(
            tuple(self.texts[r] for r in rows), tuple(self.contexts[r] for r in rows),
            tuple(self.groups[r] for r in rows),
            {code: {position[r]: v for r, v in labels.items() if r in position}
             for code, labels in self.labels.items()},
            tuple(matches[r] for r in rows), self.descriptions,
        )


class CutoffPolicy(str, enum.Enum):
    SHRUNK = "shrunk"  # each code's best cut-off shrunk toward the global one by its positives
    GLOBAL = "global"  # one cut-off for every code
    PER_CODE = "per-code"  # each code's own best


@dataclass(frozen=True)
class ScorerOptions:
    """How the scorer is fitted; the defaults were chosen on the benchmarks (benchmarks/README.md)."""

    chars: bool = False  # character 3–5-grams: slower, and no better on the benchmarks
    context: bool = True
    context_weight: float = 0.4
    c: float = 4.0  # inverse regularisation of each code's logistic regression
    rule_weight: float = 1.0  # scale of the rule-evidence block against the text
    cutoffs: CutoffPolicy = CutoffPolicy.SHRUNK
    shrinkage: float = SHRINKAGE
    folds: int = 5
    margin: float = 0.0  # the model takes a code over only if its out-of-fold F1 beats the rules' by more
    margin_noise: float = 1.0  # ... plus this / sqrt(positives): a few labels make a noisy F1
    pooled: bool = False  # one model over all codes' labels, sharing what rule evidence means
    shared_text_weight: float = 0.5  # pooled: the text block every code shares
    describe: bool = False  # read the standardised similarity to the code's description (+0.00–0.003 F1: noise, off)
    describe_weight: float = 1.0  # scale of the standardised description similarity
    min_positives: int = MIN_POSITIVES
    min_negatives: int = MIN_NEGATIVES


class CodeSource(str, enum.Enum):
    RULES = "rules"
    MODEL = "model"


@dataclass(frozen=True)
class CodeChoice:
    """What proposes a code, and the out-of-fold figures that decided it (None: not measured)."""

    code: str
    source: CodeSource
    positives: int
    negatives: int
    reason: str
    rules_f1: float | None = None
    model_f1: float | None = None
    rules_precision: float | None = None
    rules_recall: float | None = None
    model_precision: float | None = None
    model_recall: float | None = None
    cutoff: float | None = None
    evaluated: int = 0  # labelled segments both were scored on

    def as_dict(self) -> dict:
        return {**self.__dict__, "source": self.source.value}

    @classmethod
    def from_dict(cls, data: Mapping) -> CodeChoice:
        return cls(**{**data, "source": CodeSource(data["source"])})


@dataclass(frozen=True)
class CodeModel:
    """One code's fitted logistic regression, calibration and cut-off, as arrays and numbers."""

    text_weights: np.ndarray  # float32, one per text feature
    rule_weights: np.ndarray  # float32: RULE_COUNT_FEATURES, then one per pattern
    patterns: tuple[str, ...]
    intercept: float
    calibration: tuple[float, float]  # Platt's (a, b) on the decision value
    cutoff: float


@dataclass(frozen=True)
class Decision:
    """The scorer's verdict on one segment × code: proposed or not, with its score and source."""

    code: str
    source: CodeSource
    score: float
    proposed: bool


@dataclass
class Scorer:
    """What `qualkit train` stores. ``models`` holds every code a model was fitted for, including
    codes the rules kept (so evaluation can score the model alone); ``choices`` says which
    source proposes each code."""

    features: TextFeatures
    models: dict[str, CodeModel]
    choices: dict[str, CodeChoice]
    options: ScorerOptions
    global_cutoff: float
    training_size: int
    codes: tuple[str, ...] = field(default=())  # every code it decides, in codebook order

    @property
    def model_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.codes if self.choices[code].source is CodeSource.MODEL)

    def probabilities(
        self, texts: Sequence[str], contexts: Sequence[str], matches: Sequence[RuleMatches],
        codes: Sequence[str] | None = None, *, text_matrix=None,
    ) -> dict[str, np.ndarray]:
        """code → calibrated probability per segment, for ``codes`` (default: those with a model)."""
        import numpy as np

        wanted = [c for c in (codes if codes is not None else self.models) if c in self.models]
        if not wanted or not texts:
            return {code: np.zeros(len(texts)) for code in wanted}
        matrix = text_matrix if text_matrix is not None else self.features.transform(texts, contexts)
        weights = np.vstack([self.models[c].text_weights for c in wanted]) if matrix.shape[1] else None
        decisions = (matrix @ weights.T) if weights is not None else np.zeros((len(texts), len(wanted)))
        out = {}
        for j, code in enumerate(wanted):
            model = self.models[code]
            rules = rule_matrix(matches, texts, code, model.patterns)
            values = np.asarray(decisions[:, j]).ravel() + rules @ model.rule_weights + model.intercept
            out[code] = sigmoid(values, *model.calibration)
        return out

    def decide(
        self, texts: Sequence[str], contexts: Sequence[str], matches: Sequence[RuleMatches], *,
        cutoffs: Mapping[str, float] | None = None, sources: Mapping[str, CodeSource] | None = None,
        text_matrix=None,
    ) -> list[list[Decision]]:
        """Per segment, one :class:`Decision` for every code with anything to say: the model's
        probability where it proposes the code, else the rules' score (1 − 0.5ⁿ for n distinct
        spans). ``cutoffs`` override the trained ones; ``sources`` override who proposes a code
        (evaluation uses it to score rules alone and model alone)."""
        chosen = {code: (sources or {}).get(code, self.choices[code].source) for code in self.codes}
        by_model = [c for c in self.codes if chosen[c] is CodeSource.MODEL and c in self.models]
        probabilities = self.probabilities(texts, contexts, matches, by_model, text_matrix=text_matrix)
        out: list[list[Decision]] = [[] for _ in texts]
        for code in self.codes:
            if code in probabilities:
                cutoff = (cutoffs or {}).get(code, self.models[code].cutoff)
                for row, p in enumerate(probabilities[code]):
                    out[row].append(Decision(code, CodeSource.MODEL, float(p), bool(p >= cutoff)))
            elif chosen[code] is CodeSource.RULES:
                for row, count in enumerate(rule_counts(matches, code)):
                    if count:
                        out[row].append(Decision(code, CodeSource.RULES, rule_score(count), True))
        return out


def rule_score(count: int) -> float:
    """The rules' score for ``count`` distinct spans, as :mod:`qualkit.suggest.rules` gives it."""
    return round(1.0 - 0.5**count, 4)


# ------------------------------------------------------------------------------------------ training


def label_counts(data: TrainingSet, code: str) -> tuple[int, int]:
    """Reviewers' positive and negative labels of ``code`` (the codebook's examples not counted:
    they are always trained on, but say nothing about how reviewers code this corpus)."""
    labels = data.labels.get(code, {})
    values = [v for row, v in labels.items() if data.groups[row] != EXAMPLES_GROUP]
    positives = sum(values)
    return positives, len(values) - positives


def _needs(positives: int, negatives: int, options: ScorerOptions) -> str | None:
    need = []
    if positives < options.min_positives:
        need.append(f"{options.min_positives - positives} more accepted")
    if negatives < options.min_negatives:
        need.append(f"{options.min_negatives - negatives} more rejected")
    if not need:
        return None
    return (f"{positives} positive and {negatives} negative labels; needs {' and '.join(need)} "
            f"(at least {options.min_positives} of each) before a model is tried")


def fold_splits(groups: Sequence[int], folds: int) -> list[tuple[list[int], list[int]]]:
    """(train rows, test rows) with whole groups held out; example rows are always trained on.
    With a single group (no documents to hold out), plain folds over rows."""
    import numpy as np
    from sklearn.model_selection import GroupKFold, KFold

    scored = [row for row, group in enumerate(groups) if group != EXAMPLES_GROUP]
    examples = [row for row, group in enumerate(groups) if group == EXAMPLES_GROUP]
    if len(scored) < 2:
        return []
    scored_groups = np.array([groups[row] for row in scored])
    distinct = len(set(scored_groups.tolist()))
    if distinct >= 2:
        splitter = GroupKFold(n_splits=min(folds, distinct))
        parts = splitter.split(scored, groups=scored_groups)
    else:
        parts = KFold(n_splits=min(folds, len(scored)), shuffle=True, random_state=0).split(scored)
    return [
        (sorted([scored[i] for i in train] + examples), sorted(scored[i] for i in test)) for train, test in parts
    ]


@dataclass(frozen=True)
class _Linear:
    """One code's linear decision function: text weights, rule weights (counts then patterns)."""

    text_weights: np.ndarray
    rule_weights: np.ndarray
    patterns: tuple[str, ...]
    intercept: float

    def decisions(self, text_part, matches: Sequence[RuleMatches], texts: Sequence[str], code: str):
        import numpy as np

        values = text_part @ self.text_weights if text_part.shape[1] else np.zeros(len(texts))
        return np.asarray(values).ravel() + rule_matrix(matches, texts, code, self.patterns) @ self.rule_weights \
            + self.intercept


def _classifier(options: ScorerOptions):
    from sklearn.linear_model import LogisticRegression

    # the dual solver: far fewer labelled segments than features, and 7x faster here than the primal;
    # liblinear shuffles, so a fixed seed makes a retrain give the same model
    return LogisticRegression(C=options.c, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000,
                              random_state=0)


def _description_vectors(data: TrainingSet, codes: Sequence[str], features: TextFeatures | None,
                         options: ScorerOptions) -> dict:
    """code → its description as a (1 × text features) row in the fold's own TF-IDF space: the
    segment's words block only (not its neighbours', not character n-grams), without stop words,
    l2-normalised, so that ``text @ description`` is the cosine of their content words."""
    if not options.describe or features is None or not data.descriptions:
        return {}
    wanted = [code for code in codes if data.descriptions.get(code, "").strip()]
    offset = features.offset("words")
    if not wanted or offset is None:
        return {}
    import numpy as np
    from scipy.sparse import csr_matrix, diags

    from qualkit.suggest.features import stop_words

    terms = features.block_terms("words")
    mask = np.zeros(features.width, dtype="float32")
    stop = stop_words()
    mask[offset:offset + len(terms)] = [0.0 if all(word in stop for word in term.split()) else 1.0 for term in terms]
    matrix = csr_matrix(features.transform([data.descriptions[code] for code in wanted], [""] * len(wanted))
                        @ diags(mask))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = csr_matrix(diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix, dtype="float32")
    return {code: matrix[i] for i, code in enumerate(wanted)}


@dataclass(frozen=True)
class _Similarity:
    """One code's similarity to its description over a set of rows, standardised: what the model
    reads is ``scale · (text · description − mean) / sd``. Measured on the policy passages, the raw
    cosine (a few hundredths) carried no weight against the regularisation; standardised, it is on
    the same footing as the rule counts. Being linear in the text, its weight folds back into the
    text weights and the intercept, so a stored model needs nothing more."""

    description: Any  # 1 × text features
    mean: float
    sd: float
    scale: float

    @classmethod
    def over(cls, text, description, scale: float) -> _Similarity:
        import numpy as np

        raw = np.asarray((text @ description.T).todense()).ravel()
        sd = float(raw.std())
        return cls(description, float(raw.mean()) if len(raw) else 0.0, sd if sd > 1e-9 else 1.0, scale)

    def column(self, text):
        import numpy as np
        from scipy.sparse import csr_matrix

        raw = np.asarray((text @ self.description.T).todense()).ravel()
        return csr_matrix(((raw - self.mean) / self.sd * self.scale).reshape(-1, 1).astype("float32"))

    def fold(self, weight: float):
        """(text weights, intercept) that give ``weight`` × this column."""
        factor = weight * self.scale / self.sd
        return factor * self.description.toarray().ravel(), -factor * self.mean


def _fit_linear(data: TrainingSet, train_rows: Sequence[int], codes: Sequence[str], text_matrix,
                matches: Sequence[RuleMatches], options: ScorerOptions,
                features: TextFeatures | None = None) -> dict[str, _Linear]:
    """A linear model for each code with both classes among its labelled ``train_rows``: one per
    code, or — ``options.pooled`` — one model over every code's segment × code labels, whose rule
    evidence weights are shared (two spans mean much the same whatever the code). ``features``:
    the fitted text features, to place the codes' descriptions in the same space."""
    fitted = [code for code in codes
              if len({data.labels[code][r] for r in train_rows if r in data.labels[code]}) == 2]
    described = _description_vectors(data, fitted, features, options)
    if options.pooled:
        return _fit_pooled(data, train_rows, fitted, text_matrix, matches, options, described)
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    out = {}
    width = text_matrix.shape[1]
    for code in fitted:
        labels = data.labels[code]
        rows = [r for r in train_rows if r in labels]
        patterns = rule_patterns([matches[r] for r in rows], code)
        rules = rule_matrix([matches[r] for r in rows], [data.texts[r] for r in rows], code, patterns)
        text = text_matrix[rows]
        similar = _Similarity.over(text, described[code], options.describe_weight) if code in described else None
        similarity = similar.column(text) if similar else csr_matrix((len(rows), 1))
        x = hstack([text, rules * options.rule_weight, similarity], format="csr")
        model = _classifier(options).fit(x, np.array([labels[r] for r in rows]))
        coef = model.coef_[0]
        text_weights = coef[:width].copy()
        intercept = float(model.intercept_[0])
        if similar:  # the similarity is linear in the text: fold its weight into text weights and intercept
            folded, shift = similar.fold(float(coef[-1]))
            text_weights += folded
            intercept += shift
        out[code] = _Linear(text_weights.astype("float32"), (coef[width:-1] * options.rule_weight).astype("float32"),
                            patterns, intercept)
    return out


def _fit_pooled(data: TrainingSet, train_rows: Sequence[int], codes: Sequence[str], text_matrix,
                matches: Sequence[RuleMatches], options: ScorerOptions, described: Mapping) -> dict[str, _Linear]:
    """One logistic regression over segment × code pairs. Columns: shared rule counts; per code a
    bias, "any span" and "two spans"; each code's patterns; the similarity to the code's own
    description (shared weight); the text shared by all codes (down-weighted); and the text per
    code. Unpacked into one :class:`_Linear` per code."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack, vstack

    if not codes:
        return {}
    k_codes, width = len(codes), text_matrix.shape[1]
    counts = len(RULE_COUNT_FEATURES)
    patterns = {code: rule_patterns([matches[r] for r in train_rows], code) for code in codes}
    pattern_start = {}
    start = counts + 3 * k_codes
    for code in codes:
        pattern_start[code] = start
        start += len(patterns[code])
    similarity_column = start
    text_start = start + 1
    blocks: list = []
    targets: list[int] = []
    similar: dict[str, _Similarity] = {}
    for k, code in enumerate(codes):
        labels = data.labels[code]
        rows = [r for r in train_rows if r in labels]
        n = len(rows)
        rules = rule_matrix([matches[r] for r in rows], [data.texts[r] for r in rows], code, patterns[code]).tocsc()
        per_code = csr_matrix((np.ones(n, dtype="float32"), (np.arange(n), np.full(n, k))), shape=(n, k_codes))
        text = text_matrix[rows]
        if code in described:
            similar[code] = _Similarity.over(text, described[code], options.describe_weight)
        similarity = similar[code].column(text) if code in similar else csr_matrix((n, 1))
        parts = [
            rules[:, :counts].tocsr(), per_code,
            _place(rules[:, 0].tocsr(), k, k_codes), _place(rules[:, 1].tocsr(), k, k_codes),
            _place(rules[:, counts:].tocsr(), pattern_start[code] - counts - 3 * k_codes,
                   similarity_column - counts - 3 * k_codes),
            similarity, text * options.shared_text_weight, _place(text, k * width, k_codes * width),
        ]
        blocks.append(hstack(parts, format="csr"))
        targets.extend(labels[r] for r in rows)
    model = _classifier(options).fit(vstack(blocks, format="csr"), np.array(targets))
    coef = model.coef_[0]
    shared_text = coef[text_start:text_start + width] * options.shared_text_weight
    out = {}
    for k, code in enumerate(codes):
        rule_weights = np.concatenate([coef[:counts].copy(), coef[pattern_start[code]:pattern_start[code]
                                                                   + len(patterns[code])]])
        rule_weights[0] += coef[counts + k_codes + k]  # this code's "any span"
        rule_weights[1] += coef[counts + 2 * k_codes + k]  # and "two spans"
        text_weights = shared_text + coef[text_start + width * (1 + k):text_start + width * (2 + k)]
        intercept = float(model.intercept_[0] + coef[counts + k])
        if code in similar:
            folded, shift = similar[code].fold(float(coef[similarity_column]))
            text_weights = text_weights + folded
            intercept += shift
        out[code] = _Linear(text_weights.astype("float32"), rule_weights.astype("float32"), patterns[code],
                            intercept)
    return out


def _place(part, offset: int, width: int):
    """``part``'s columns moved to start at ``offset`` in a matrix ``width`` wide."""
    from scipy.sparse import csr_matrix

    part = part.tocsr()
    return csr_matrix((part.data, part.indices + offset, part.indptr), shape=(part.shape[0], width))


def _fold_decisions(data: TrainingSet, counted: CountedTerms, train_rows: Sequence[int], test_rows: Sequence[int],
                    codes: Sequence[str], options: ScorerOptions) -> dict[str, tuple[list[int], list[float]]]:
    """Out-of-fold decision values of one fold: code → (test rows, decision values)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # two folds run at once on two cores
        matches = data.rule_matches()
        fold = counted.fold(train_rows)
        everything = fold.matrix(range(len(data)))
        linear = _fit_linear(data, train_rows, codes, everything, matches, options, fold.features())
        out: dict[str, tuple[list[int], list[float]]] = {}
        for code, model in linear.items():
            eval_rows = [r for r in test_rows if r in data.labels[code]]
            if eval_rows:
                values = model.decisions(everything[eval_rows], [matches[r] for r in eval_rows],
                                         [data.texts[r] for r in eval_rows], code)
                out[code] = (eval_rows, [float(v) for v in values])
    return out


def _specs(options: ScorerOptions):
    return default_specs(chars=options.chars, context=options.context, context_weight=options.context_weight)


def out_of_fold(data: TrainingSet, codes: Sequence[str], *, options: ScorerOptions | None = None,
                n_jobs: int = 1, counted: CountedTerms | None = None) -> dict[str, tuple[list[int], list[float]]]:
    """code → (rows, out-of-fold decision values), folds grouped by ``data.groups``, run in parallel.
    ``counted``: the training set's term counts, if the caller has them (see :func:`count_terms`)."""
    options = options or ScorerOptions()
    splits = fold_splits(data.groups, options.folds)
    if not splits or not codes:
        return {}
    counted = counted or count_terms(data.texts, data.contexts, _specs(options))
    if n_jobs > 1 and len(splits) > 1 and len(data) >= PARALLEL_FROM:
        from joblib import Parallel, delayed

        # processes, not threads: liblinear seeds C's process-wide rand(), so two folds fitting at
        # once on threads would not give the same model twice
        parts = Parallel(n_jobs=min(n_jobs, len(splits)))(
            delayed(_fold_decisions)(data, counted, train, test, codes, options) for train, test in splits)
    else:
        parts = [_fold_decisions(data, counted, train, test, codes, options) for train, test in splits]
    out: dict[str, tuple[list[int], list[float]]] = {}
    for part in parts:
        for code, (rows, values) in part.items():
            have = out.setdefault(code, ([], []))
            have[0].extend(rows)
            have[1].extend(values)
    return out


def fit_scorer(
    data: TrainingSet, codes: Sequence[str], *, options: ScorerOptions | None = None, n_jobs: int = 1,
    on_progress: Callable[[int, int, str], None] | None = None, counted: CountedTerms | None = None,
) -> Scorer:
    """Choose, per code, between rules and model on out-of-fold scores; fit the model on everything.
    ``counted``: the training set's term counts, if the caller has them (evaluation reuses them)."""
    from threadpoolctl import threadpool_limits

    if len(data) == 0:
        raise ModelError("no reviewed segments to learn from; review some suggestions first "
                         "(`qualkit review`, `qualkit review import`)")
    options = options or ScorerOptions()
    counted = counted or count_terms(data.texts, data.contexts, _specs(options))
    matches = data.rule_matches()
    choices: dict[str, CodeChoice] = {}
    eligible = []
    for code in codes:
        positives, negatives = label_counts(data, code)
        why = _needs(positives, negatives, options)
        if why:
            choices[code] = CodeChoice(code, CodeSource.RULES, positives, negatives, why)
        else:
            eligible.append(code)
    decisions = out_of_fold(data, eligible, options=options, n_jobs=n_jobs, counted=counted)
    calibration = {code: platt(values, [data.labels[code][r] for r in rows])
                   for code, (rows, values) in decisions.items()}
    per_code = {
        code: ([data.labels[code][r] for r in rows], sigmoid(values, *calibration[code]).tolist())
        for code, (rows, values) in decisions.items()
    }
    overall, cutoffs = _cutoffs(per_code, options)
    for code in eligible:
        positives, negatives = label_counts(data, code)
        if code not in per_code:
            choices[code] = CodeChoice(code, CodeSource.RULES, positives, negatives,
                                       "could not be scored out of fold (its labels sit in too few documents)")
            continue
        rows = decisions[code][0]
        truth, probabilities = per_code[code]
        counts = rule_counts([matches[r] for r in rows], code)
        rules = Counts.of(truth, [int(c > 0) for c in counts])
        model = counts_at(truth, probabilities, cutoffs[code])
        required = options.margin + options.margin_noise / max(1, sum(truth)) ** 0.5
        better = model.f1 > rules.f1 + required
        reason = (f"model F1 {model.f1:.2f} {'>' if better else '<='} rules F1 {rules.f1:.2f}"
                  + (f" + {required:.2f}" if required else "")
                  + f" out of fold on {len(rows)} labelled segments")
        choices[code] = CodeChoice(
            code, CodeSource.MODEL if better else CodeSource.RULES, positives, negatives, reason,
            rules_f1=rules.f1, model_f1=model.f1, rules_precision=rules.precision, rules_recall=rules.recall,
            model_precision=model.precision, model_recall=model.recall, cutoff=cutoffs[code], evaluated=len(rows),
        )
    models: dict[str, CodeModel] = {}
    with threadpool_limits(limits=1):
        fitted = counted.fold(range(len(data)))
        features = fitted.features()
        matrix = fitted.matrix(range(len(data)))
        linear = _fit_linear(data, range(len(data)), eligible, matrix, matches, options, features)
        for done, code in enumerate(eligible, start=1):
            if code in linear:
                fit = linear[code]
                models[code] = CodeModel(fit.text_weights, fit.rule_weights, fit.patterns, fit.intercept,
                                         calibration.get(code, (1.0, 0.0)), float(cutoffs.get(code, overall)))
            if on_progress:
                on_progress(done, len(eligible), code)
    return Scorer(features, models, choices, options, overall, len(data), tuple(codes))


def _cutoffs(per_code: Mapping[str, tuple[Sequence[int], Sequence[float]]],
             options: ScorerOptions) -> tuple[float, dict[str, float]]:
    if not per_code:
        return 0.5, {}
    overall, shrunk = shrunk_cutoffs(per_code, strength=options.shrinkage)
    if options.cutoffs is CutoffPolicy.GLOBAL:
        return overall, {code: overall for code in per_code}
    if options.cutoffs is CutoffPolicy.PER_CODE:
        return overall, {code: best_cutoff(truth, scores) for code, (truth, scores) in per_code.items()}
    return overall, shrunk


def choices_table(choices: Mapping[str, CodeChoice] | Sequence[Mapping], codes: Sequence[str] | None = None
                  ) -> list[CodeChoice]:
    """Which source proposes each code and why, in ``codes`` order: for `train`, `evaluate` and
    `codebook show`. Takes a scorer's ``choices`` or the list stored in the model's metrics
    (``metrics["choices"]``), so showing it needs no model loaded. A code the model never heard
    of (added to the codebook since) is rules-only."""
    found = dict(choices) if isinstance(choices, Mapping) else {
        item["code"]: CodeChoice.from_dict(item) for item in choices}
    found = {code: (c if isinstance(c, CodeChoice) else CodeChoice.from_dict(c)) for code, c in found.items()}
    order = list(codes) if codes is not None else list(found)
    return [
        found.get(code) or CodeChoice(code, CodeSource.RULES, 0, 0, "not in the codebook the model was trained on")
        for code in order
    ]

