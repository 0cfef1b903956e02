"""From a project's decisions to a stored model, and back.

The training set is every labelled segment (see :mod:`qualkit.suggest.labels` for what counts
as positive and negative) with its neighbours as context, plus the codebook's examples as
positives of their code. The stored model records the codebook version, what it was trained on,
the training-set size and cross-validated metrics per code.

Models are stored with pickle, as scikit-learn recommends; open only project files you trust.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from qualkit.suggest.labels import project_labels
from qualkit.suggest.model import EXAMPLES_GROUP, TrainedModel, TrainingSet, train


@dataclass(frozen=True)
class TrainReport:
    model_id: int
    trained_on: str
    training_size: int
    metrics: dict[str, dict]
    skipped: dict[str, str]


def training_set(project, *, reviewer: str | None = None, consensus: str | None = None,
                 include_examples: bool = True) -> TrainingSet:
    _, codebook = project.codebook()
    labels = project_labels(project, reviewer=reviewer, consensus=consensus)
    segment_ids = sorted({label.segment_id for label in labels})
    texts = project.store.segment_texts(segment_ids)
    neighbours = _neighbour_texts(project.store, texts)
    row_of = {segment_id: row for row, segment_id in enumerate(segment_ids)}
    rows_text = [texts[s][2] for s in segment_ids]
    rows_context = [neighbours.get(s, "") for s in segment_ids]
    rows_group = [texts[s][0] for s in segment_ids]
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


def _neighbour_texts(store, texts: dict[int, tuple[int, int, str]]) -> dict[int, str]:
    """segment id → the text of the segments just before and after it in its document."""
    wanted = {(document, ordinal + step) for document, ordinal, _ in texts.values() for step in (-1, 1)}
    found: dict[tuple[int, int], str] = {}
    for document in {document for document, _ in wanted}:
        for segment in store.segments([document]):
            if (document, segment.ordinal) in wanted:
                found[(document, segment.ordinal)] = segment.text
    return {
        segment_id: " ".join(
            found[(document, ordinal + step)] for step in (-1, 1) if (document, ordinal + step) in found
        )
        for segment_id, (document, ordinal, _) in texts.items()
    }


def train_project(project, *, reviewer: str | None = None, consensus: str | None = None,
                  on_progress=None) -> TrainReport:
    import sklearn

    from qualkit.review.actions import check_reviewer

    if reviewer is not None and consensus is not None:
        from qualkit.errors import ModelError

        raise ModelError("train on one reviewer (--reviewer) or on the consensus (--consensus), not both")
    if reviewer is not None:
        reviewer = check_reviewer(reviewer)
    trained_on = f"reviewer:{reviewer}" if reviewer else f"consensus:{consensus or 'any'}"
    codebook_id, codebook = project.codebook()
    data = training_set(project, reviewer=reviewer, consensus=consensus)
    codes = [code.key for code in codebook.codable]
    model = train(data, codes, on_progress=on_progress)
    model_id = project.store.save_model(
        codebook_id=codebook_id, trained_on=trained_on, training_size=len(data),
        metrics={"codes": model.metrics, "skipped": model.skipped},
        parameters={"features": "words 1-2 + chars 3-5 + context words", "classifier": "logistic regression, "
                    "class-balanced, sigmoid-calibrated", "folds": "grouped by document"},
        library=f"scikit-learn {sklearn.__version__}",
        estimator=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),
    )
    return TrainReport(model_id, trained_on, len(data), model.metrics, model.skipped)


def load_latest_model(project) -> tuple[int, TrainedModel] | None:
    row = project.store.latest_model()
    if row is None:
        return None
    return row["id"], pickle.loads(row["estimator"])  # noqa: S301 - the project's own model
