"""Models are stored as data: a project file cannot run code when its model is loaded."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from qualkit.errors import ModelError
from qualkit.suggest.scorer import fit_scorer
from qualkit.suggest.storage import MAGIC, dumps, loads

CODES = ["itt", "npq", "trust"]


@pytest.fixture
def scorer(training):
    return fit_scorer(training, CODES)


def _rezip(blob: bytes, change) -> bytes:
    """The stored model with its members passed through ``change(name, bytes) -> {name: bytes}``."""
    source = zipfile.ZipFile(io.BytesIO(blob[len(MAGIC):]))
    out = io.BytesIO()
    out.write(MAGIC)
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            for new_name, data in change(name, source.read(name)).items():
                target.writestr(new_name, data)
    return out.getvalue()


def test_storage_round_trip_gives_the_same_scores_and_choices(scorer, training):
    again = loads(dumps(scorer))
    assert again.choices == scorer.choices and again.codes == scorer.codes
    assert again.options == scorer.options and again.global_cutoff == scorer.global_cutoff
    before = scorer.probabilities(training.texts, training.contexts, training.matches)
    after = again.probabilities(training.texts, training.contexts, training.matches)
    assert before.keys() == after.keys()
    for code in before:
        np.testing.assert_allclose(after[code], before[code], rtol=1e-6)
    assert dumps(again) == dumps(scorer)  # nothing lost or added on the way


class _WritesAFile:
    """A pickle payload: unpickling it calls os.system-like code (here: creates a file)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_storage_refuses_a_malicious_pickle_without_running_it(tmp_path):
    target = tmp_path / "pwned.txt"
    payload = pickle.dumps(_WritesAFile(target))
    pickle.loads(pickle.dumps(_WritesAFile(tmp_path / "proof.txt")))  # the payload does work when unpickled
    assert (tmp_path / "proof.txt").exists()
    with pytest.raises(ModelError, match="is a pickle .* does not open pickles because loading one can run code"):
        loads(payload)
    assert not target.exists()


def test_storage_refuses_a_model_saved_in_the_old_pickle_format(project, tmp_path):
    """Projects trained before this format hold pickles: `code` must refuse them, not run them."""
    from qualkit.suggest.training import load_latest_model
    from tests.conftest import DATA

    target = tmp_path / "ran.txt"
    project.load_codebook(DATA / "mini_codebook.yaml")
    codebook_id, _ = project.codebook()
    project.store.models.save(codebook_id=codebook_id, trained_on="consensus:any", training_size=1, metrics={},
                              parameters={}, library="scikit-learn 1.0", estimator=pickle.dumps(_WritesAFile(target)))
    with pytest.raises(ModelError, match="retrain with `qualkit train`"):
        load_latest_model(project.store)
    assert not target.exists()


def test_storage_refuses_an_object_array(scorer):
    def change(name, data):
        if name != "text_weights.npy":
            return {name: data}
        buffer = io.BytesIO()
        np.save(buffer, np.array([os.getcwd, "x"], dtype=object), allow_pickle=True)
        return {name: buffer.getvalue()}

    with pytest.raises(ModelError, match="not one qualkit can read"):
        loads(_rezip(dumps(scorer), change))


def test_storage_refuses_unexpected_members(scorer):
    tampered = _rezip(dumps(scorer), lambda name, data: {name: data, **({"model.pkl": b"\x80\x04."}
                                                                       if name == "meta.json" else {})})
    with pytest.raises(ModelError, match=r"unexpected members \['model.pkl'\]"):
        loads(tampered)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda meta: meta.update(format=99), "format 99"),
    (lambda meta: meta["options"].update(cutoffs="exec"), "options.cutoffs is 'exec'"),
    (lambda meta: meta["models"][0].update(intercept="__import__('os')"), "an intercept is not a number"),
    (lambda meta: meta["blocks"][0]["spec"].update(analyzer="callable"), "unknown analyzer"),
    (lambda meta: meta["blocks"][0]["terms"].pop(), "idf does not match its terms"),
    (lambda meta: meta["choices"][0].update(source="pickle"), "not one qualkit can read"),
], ids=["format", "enum", "number", "analyzer", "shape", "choice"])
def test_storage_refuses_tampered_metadata(scorer, edit, message):
    def change(name, data):
        if name != "meta.json":
            return {name: data}
        meta = json.loads(data)
        edit(meta)
        return {name: json.dumps(meta).encode()}

    with pytest.raises(ModelError, match=message):
        loads(_rezip(dumps(scorer), change))


@pytest.mark.parametrize("blob", [b"", b"garbage", MAGIC + b"not a zip", b"PK\x03\x04"], ids=["empty", "text",
                                                                                              "magic", "zip"])
def test_storage_refuses_foreign_bytes(blob):
    with pytest.raises(ModelError, match="retrain with `qualkit train`"):
        loads(blob)


def test_storage_refuses_members_larger_than_it_writes(scorer, monkeypatch):
    import qualkit.suggest.storage as storage

    monkeypatch.setattr(storage, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(ModelError, match="larger than qualkit ever writes"):
        loads(dumps(scorer))
