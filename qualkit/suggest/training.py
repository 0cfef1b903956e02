"""From a project's decisions to a stored scorer, and back.

The training set is every labelled segment (see :mod:`qualkit.suggest.labels` for what counts
as positive and negative) with its neighbours as context and what the codebook's rules find in
it, plus the codebook's examples as positives of their code. The stored model records the
codebook version, what it was trained on, the training-set size, which codes the model proposes
and which stay with the rules, and the out-of-fold figures that decided it.

Models are stored as data, never pickle (:mod:`qualkit.suggest.storage`): opening a project
file someone sent cannot run code.

Only :func:`training_set`, :func:`train_model` and :func:`load_latest_model` touch the store;
everything they call takes plain values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualkit.faults import fault_point
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus
from qualkit.suggest.features import RuleMatches
from qualkit.suggest.labels import project_labels
from qualkit.suggest.scorer import (
    EXAMPLES_GROUP,
    CodeChoice,
    CodeSource,
    Scorer,
    ScorerOptions,
    TrainingSet,
    fit_scorer,
)

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.progress import Progress
    from qualkit.records import ModelInfo, Segment
    from qualkit.store import Store

TRAIN_JOBS = 2  # folds in parallel, one per core


@dataclass(frozen=True)
class TrainReport:
    model_id: int
    trained_on: str
    training_size: int
    choices: tuple[CodeChoice, ...]  # every codable code: which source proposes it, and why

    @property
    def model_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices if c.source is CodeSource.MODEL)

    @property
    def metrics(self) -> dict[str, dict]:
        """The codes the model proposes, with their out-of-fold figures (the shape `train` printed
        before the scorer: positives, negatives, threshold, precision, recall, f1)."""
        return {
            c.code: {"positives": c.positives, "negatives": c.negatives, "threshold": c.cutoff,
                     "precision": c.model_precision, "recall": c.model_recall, "f1": c.model_f1,
                     "rules_f1": c.rules_f1}
            for c in self.choices if c.source is CodeSource.MODEL
        }

    @property
    def skipped(self) -> dict[str, str]:
        """The codes that stay with the rules, and why."""
        return {c.code: f"rules only: {c.reason}" for c in self.choices if c.source is CodeSource.RULES}


def rule_evidence(texts: Sequence[str], codebook) -> tuple[RuleMatches, ...]:
    """What the codebook's rules find in each text: code → [(start, end, pattern)], text offsets."""
    from qualkit.records import Segment, Unit
    from qualkit.suggest.rules import RuleSuggester

    if not texts:
        return ()
    suggester = RuleSuggester(codebook)
    segments = (Segment(row, 0, row, 0, len(text), Unit.PARAGRAPH, text) for row, text in enumerate(texts))
    return tuple(
        {s.code: [(e.start, e.end, e.pattern) for e in s.evidence] for s in suggestions}
        for _, suggestions in suggester.pipe(segments)
    )


def code_descriptions(codebook) -> dict[str, str]:
    """code → what the codebook says of it: name, definition, what to include, examples."""
    return {
        code.key: " ".join([code.name, code.definition or "", *code.include, *code.examples]).strip()
        for code in codebook.codable
    }


def assemble(
    texts: Sequence[str], contexts: Sequence[str], groups: Sequence[int],
    labels: Sequence[tuple[int, str, int]], *, examples: Mapping[str, Sequence[str]] | None = None, codebook=None,
) -> TrainingSet:
    """A :class:`TrainingSet` from plain values: segment texts, contexts and groups (documents),
    ``labels`` as (row, code, 0/1), the codebook's ``examples`` (code → texts) as extra positives,
    and, when a ``codebook`` is given, the rules' evidence and the codes' descriptions."""
    rows_text, rows_context, rows_group = list(texts), list(contexts), list(groups)
    per_code: dict[str, dict[int, int]] = {}
    for row, code, value in labels:
        per_code.setdefault(code, {})[row] = value
    for code, written in (examples or {}).items():
        for example in written:
            per_code.setdefault(code, {})[len(rows_text)] = 1
            rows_text.append(example)
            rows_context.append("")
            rows_group.append(EXAMPLES_GROUP)
    matches = rule_evidence(rows_text, codebook) if codebook is not None else ()
    descriptions = code_descriptions(codebook) if codebook is not None else {}
    return TrainingSet(tuple(rows_text), tuple(rows_context), tuple(rows_group), per_code, matches, descriptions)


def training_set(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS,
                 include_examples: bool = True, rules: bool = True, interviewers: Collection[str] = ()) -> TrainingSet:
    """Every labelled segment with its neighbours' text as context, what the rules find in it (with
    ``rules``), and the codebook's examples (with ``include_examples``)."""
    labels = project_labels(store, codable=[code.key for code in codebook.codable], consensus=consensus,
                            interviewers=interviewers)
    segment_ids = sorted({label.segment_id for label in labels})
    segments = store.documents.segments_by_id(segment_ids)
    neighbours = _neighbour_texts(store, segments)
    row_of = {segment_id: row for row, segment_id in enumerate(segment_ids)}
    examples = {code.key: list(code.examples) for code in codebook.codable} if include_examples else None
    return assemble(
        [segments[s].text for s in segment_ids], [neighbours.get(s, "") for s in segment_ids],
        [segments[s].document_id for s in segment_ids],
        [(row_of[label.segment_id], label.code, label.value) for label in labels],
        examples=examples, codebook=codebook if rules else None,
    )


def _neighbour_texts(store: Store, segments: Mapping[int, Segment]) -> dict[int, str]:
    """segment id → the text of the segments just before and after it in its document."""
    wanted = {(s.document_id, s.ordinal + step) for s in segments.values() for step in (-1, 1)}
    found: dict[tuple[int, int], str] = {}
    for document in {document for document, _ in wanted}:
        for segment in store.documents.segments([document]):
            if (document, segment.ordinal) in wanted:
                found[(document, segment.ordinal)] = segment.text
    return {
        segment_id: " ".join(
            found[(s.document_id, s.ordinal + step)] for step in (-1, 1) if (s.document_id, s.ordinal + step) in found
        )
        for segment_id, s in segments.items()
    }


def stored_metrics(scorer: Scorer) -> dict:
    """What the models table's ``metrics`` column keeps: enough to show the choices unloaded."""
    return {
        "choices": [scorer.choices[code].as_dict() for code in scorer.codes],
        "global_cutoff": scorer.global_cutoff,
        "model_codes": list(scorer.model_codes),
    }


def train_model(store: Store, *, codebook_id: int, codebook: Codebook, consensus: Consensus = DEFAULT_CONSENSUS,
                interviewers: Collection[str] = (), options: ScorerOptions | None = None,
                on_progress: Progress | None = None) -> TrainReport:
    """Fit the scorer on the decisions ``consensus`` counts and store it; returns what it chose."""
    import sklearn

    from qualkit.suggest.storage import dumps

    options = options or ScorerOptions()
    data = training_set(store, codebook, consensus=consensus, interviewers=interviewers)
    codes = [code.key for code in codebook.codable]
    scorer = fit_scorer(data, codes, options=options, n_jobs=TRAIN_JOBS, on_progress=on_progress)
    fault_point("train.fitted")  # tests/reliability: a kill with the model fitted but not yet stored
    model_id = store.models.save(
        codebook_id=codebook_id, trained_on=consensus.key, training_size=len(data),
        metrics=stored_metrics(scorer),
        parameters={"features": "rule evidence + words 1-2 + context words", "classifier": "logistic regression "
                    "per code, class-balanced, Platt-calibrated on out-of-fold scores",
                    "cutoffs": options.cutoffs.value, "folds": "grouped by document"},
        library=f"scikit-learn {sklearn.__version__}",
        estimator=dumps(scorer),
    )
    return TrainReport(model_id, consensus.key, len(data), tuple(scorer.choices[code] for code in scorer.codes))


def load_latest_model(store: Store) -> tuple[ModelInfo, Scorer] | None:
    """The newest stored scorer with its record; a blob that is not a qualkit model is refused
    (ModelError), and so is a model whose weights were deleted."""
    from qualkit.suggest.storage import loads

    latest = store.models.latest()
    if latest is None:
        return None
    info, blob = latest
    return info, loads(blob)


def describe_choices(metrics: Mapping[str, Any]) -> dict[str, str]:
    """code → "model" or "rules", from a stored model's metrics (without loading its weights)."""
    return {choice["code"]: choice["source"] for choice in metrics.get("choices", ())}
