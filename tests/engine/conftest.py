"""One local Dask cluster (two worker processes) for the engine tests, and two projects on the
bundled sample corpus, built once and copied per test: ``fresh`` (a codebook, nothing coded) and
``trained`` (rules coded, two schools' decisions imported, a model trained on them)."""

from __future__ import annotations

import csv
import shutil

import pytest
from threadpoolctl import threadpool_limits

from qualkit.project import Project
from qualkit.suggest.scorer import ScorerOptions
from tests.conftest import CORPUS, ROOT

CODEBOOK = ROOT / "codebooks" / "niot_coherent_offer.yaml"
TRAINING_SCHOOLS = ("brookfield", "fellside")  # two schools' decisions: enough for a model, quick to train


@pytest.fixture(scope="package")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as running:
        yield running


@pytest.fixture(scope="package")
def client(cluster):
    from distributed import Client

    with Client(cluster, set_as_default=False) as connected:
        yield connected


@pytest.fixture(scope="package")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    with Project.init(folder / "fresh.db") as fresh:
        fresh.ingest([CORPUS / "interviews"])
        fresh.load_codebook(CODEBOOK)
        assert fresh.project_id  # minted now, so every copy is the same project
    shutil.copy(folder / "fresh.db", folder / "trained.db")
    decisions = folder / "decisions.csv"
    with open(CORPUS / "decisions.csv", newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with open(decisions, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(row for row in rows if row["document"].startswith(TRAINING_SCHOOLS))
    # One BLAS thread: on a busy 2-core machine, spinning BLAS threads make training 10x slower.
    with Project.open(folder / "trained.db") as trained, threadpool_limits(1):
        trained.code(use_model=False)
        trained.import_review(decisions)
        # no noise margin: on two schools' decisions the model must take some codes over, so the
        # engines have model suggestions to agree on (the default margin is for real projects)
        trained.train(options=ScorerOptions(margin_noise=0))
    return folder


def _copy(templates, name, tmp_path, as_name):
    shutil.copy(templates / f"{name}.db", tmp_path / as_name)
    return Project.open(tmp_path / as_name)


@pytest.fixture
def copies(templates, tmp_path):
    """copies('trained', 'a.db', 'b.db') -> open projects, closed after the test."""
    opened = []

    def make(name, *as_names):
        opened.extend(_copy(templates, name, tmp_path, as_name) for as_name in as_names)
        return opened[-len(as_names):] if len(as_names) > 1 else opened[-1]

    yield make
    for project in opened:
        project.close()


def suggestions(project) -> list[tuple]:
    """Every suggestion as stored (exact score, evidence JSON), in a stable order."""
    return sorted(
        (v.document, v.segment, v.code, v.source.value, v.score, v.evidence)
        for v in project.store.suggestions.views()
    )
