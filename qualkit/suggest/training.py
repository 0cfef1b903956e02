"""From a project's decisions to a stored model, and back.

The training set is every labelled segment (see :mod:`qualkit.suggest.labels` for what counts
as positive and negative) with its neighbours as context, plus the codebook's examples as
positives of their code. The stored model records the codebook version, what it was trained on,
the training-set size and cross-validated metrics per code.

Models are stored with pickle, as scikit-learn recommends; open only project files you trust.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.records import ModelInfo, Segment
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus
from qualkit.suggest.labels import project_labels
from qualkit.suggest.model import EXAMPLES_GROUP, TrainedModel, TrainingSet, train

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.progress import Progress
    from qualkit.store import Store


@dataclass(frozen=True)
class TrainReport:
    model_id: int
    trained_on: str
    training_size: int
    metrics: dict[str, dict]
    skipped: dict[str, str]


def training_set(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS,
                 include_examples: bool = True, interviewers: Collection[str] = ()) -> TrainingSet:
    """Every labelled segment with its neighbours' text as context (and the codebook's examples)."""
    labels = project_labels(store, codable=[code.key for code in codebook.codable], consensus=consensus,
                            interviewers=interviewers)
    segment_ids = sorted({label.segment_id for label in labels})
    segments = store.documents.segments_by_id(segment_ids)
    neighbours = _neighbour_texts(store, segments)
    row_of = {segment_id: row for row, segment_id in enumerate(segment_ids)}
    rows_text = [segments[s].text for s in segment_ids]
    rows_context = [neighbours.get(s, "") for s in segment_ids]
    rows_group = [segments[s].document_id for s in segment_ids]
    per_code: dict[str, dict[int, int]] = {}
    for label in labels:
        per_code.setdefault(label.code, {})[row_of[label.segment_id]] = label.value
    if include_examples:
        for code in codebook.codable:
            for example in code.examples:
                per_code.setdefault(code.key, {})[len(rows_text)] = 1
                rows_text.append(example)
                rows_context.append("")
                rows_group.append(EXAMPLES_GROUP)
    return TrainingSet(tuple(rows_text), tuple(rows_context), tuple(rows_group), per_code)


def _neighbour_texts(store: Store, segments: dict[int, Segment]) -> dict[int, str]:
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


def train_model(store: Store, *, codebook_id: int, codebook: Codebook, consensus: Consensus = DEFAULT_CONSENSUS,
                interviewers: Collection[str] = (), on_progress: Progress | None = None) -> TrainReport:
    """Train on the decisions ``consensus`` counts and store the model; returns what it learned."""
    import sklearn

    data = training_set(store, codebook, consensus=consensus, interviewers=interviewers)
    codes = [code.key for code in codebook.codable]
    model = train(data, codes, on_progress=on_progress)
    model_id = store.models.save(
        codebook_id=codebook_id, trained_on=consensus.key, training_size=len(data),
        metrics={"codes": model.metrics, "skipped": model.skipped},
        parameters={"features": "words 1-2 + chars 3-5 + context words", "classifier": "logistic regression, "
                    "class-balanced, sigmoid-calibrated", "folds": "grouped by document"},
        library=f"scikit-learn {sklearn.__version__}",
        estimator=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),
    )
    return TrainReport(model_id, consensus.key, len(data), model.metrics, model.skipped)


def load_latest_model(store: Store) -> tuple[ModelInfo, TrainedModel] | None:
    """The newest stored model, loaded."""
    latest = store.models.latest()
    if latest is None:
        return None
    info, blob = latest
    return info, pickle.loads(blob)  # noqa: S301 - the project's own model
