"""Deleting old models without losing provenance: refused while named, unless the record is kept."""

from __future__ import annotations

import pytest

from qualkit.errors import ModelError, NotFoundError
from tests.conftest import DATA
from tests.review.conftest import TRANSCRIPT


@pytest.fixture
def with_models(project, tmp_path):
    """Three stored models (weights of 1, 2 and 3 kB): model-1 scored a suggestion a reviewer decided,
    model-2 was used by a run only, model-3 is the newest and nothing names it yet."""
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    for size in (1000, 2000, 3000):
        project.store.models.save(codebook_id=1, trained_on="consensus:any", training_size=size // 100, metrics={},
                                  parameters={}, library="test", estimator=b"w" * size)
    project.store.suggestions.upsert_model_rows([(2, "culture.trust", "model", 0.8, "[]")], codebook_id=1, run_id=1,
                                                model_version="model-1")
    model_suggestion = next(v.id for v in project.store.suggestions.views() if v.source.value == "model")
    project.decide("amira", accept=[model_suggestion])
    project.store.runs.record(command="code", parameters={"model_version": "model-2"}, counts={}, started_at="t",
                              finished_at="t")
    return project


def test_tidy_models_list_what_names_each(with_models):
    listed = {u.model.id: (u.suggestions, u.decisions, u.runs, u.latest, u.model.size) for u in with_models.models()}
    assert listed == {1: (1, 1, 0, False, 1000), 2: (0, 0, 1, False, 2000), 3: (0, 0, 0, True, 3000)}


def test_tidy_delete_a_named_model_is_refused_without_keep_record(with_models):
    with pytest.raises(ModelError) as refused:
        with_models.delete_models([1])
    assert str(refused.value).startswith(
        "model-1 is named by 1 suggestion and 1 decision: deleting it would leave them naming a model that is gone. "
        "Add --keep-record")
    assert [u.model.weights_deleted_at for u in with_models.models()] == [None, None, None]


def test_tidy_keep_record_deletes_weights_and_keeps_provenance(with_models):
    report = with_models.delete_models([1, 3], keep_record=True)
    assert report.deleted == (3,) and report.weights_deleted == (1,) and report.freed == 4000
    assert report.now_latest == 2  # `code` falls back to the newest model that still has weights
    left = {u.model.id: u for u in with_models.models()}
    assert set(left) == {1, 2} and left[1].model.weights_deleted_at and left[1].model.size == 0
    assert left[1].model.training_size == 10 and left[1].decisions == 1  # the record, and what names it, stay
    latest = with_models.store.models.latest()
    assert latest is not None and latest[0].id == 2
    [decision] = with_models.store.decisions.log(reviewer="amira")
    assert decision.seen_model_version == "model-1"


def test_tidy_keep_latest(with_models):
    with pytest.raises(ModelError, match="model-1 is named by"):
        with_models.keep_models(1)
    report = with_models.keep_models(1, keep_record=True)
    assert report.weights_deleted == (1, 2) and report.deleted == () and report.now_latest == 3
    assert with_models.keep_models(1).deleted == ()  # nothing left to delete
    with pytest.raises(NotFoundError, match="no model-9 in the project; models: model-1, model-2, model-3"):
        with_models.delete_models([9])
