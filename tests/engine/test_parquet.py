"""`code --to-parquet` and `import suggestions`: partitions, manifest, resume and refusals."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from qualkit.errors import StagedSuggestionsError
from qualkit.project import Project
from qualkit.sinks import MANIFEST
from tests.conftest import CORPUS
from tests.engine.conftest import CODEBOOK, suggestions
from tests.test_atomicfile import dead_pid, leftover


def _partitions(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("part-"))


def test_parquet_on_dask_then_import_equals_a_direct_run(copies, cluster, tmp_path):
    direct, staged = copies("trained", "direct.db", "staged.db")
    expected = direct.code()
    before = suggestions(staged)
    folder = tmp_path / "out"
    report = staged.code(engine="dask", scheduler=cluster.scheduler_address, page_size=100, parquet=folder)
    assert suggestions(staged) == before  # the project is not written to
    assert (report.found, report.model_suggestions) == (expected.found, expected.model_suggestions)
    names = _partitions(folder)
    assert len(names) == report.partitions_written == 5  # 476 segments in pages of 100
    assert names[0] == "part-000000000001-000000000100.parquet"
    assert not [path for path in folder.iterdir() if path.name.endswith(".tmp")]
    frame = pd.read_parquet(folder / names[0])
    assert list(frame.columns) == ["segment_id", "code", "source", "score", "evidence", "model_version"]
    assert set(frame["model_version"].dropna()) == {expected.model_version}
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["parameters"]["codebook_sha256"] == expected.codebook_sha256
    assert manifest["parameters"]["model_version"] == expected.model_version
    assert manifest["project"]["id"] == staged.project_id and manifest["finished_at"]

    loaded = staged.import_suggestions(folder)
    assert suggestions(staged) == suggestions(direct)
    assert (loaded.partitions, loaded.suggestions, loaded.new) == (5, expected.found, expected.new)
    again = staged.import_suggestions(folder)
    assert again.new == 0 and suggestions(staged) == suggestions(direct)
    commands = [run.command for run in staged.store.runs.log()]
    assert commands[-3:] == ["code", "import suggestions", "import suggestions"]


def test_interrupted_parquet_run_resumes_and_skips_written_partitions(copies, tmp_path):
    direct, staged = copies("fresh", "direct.db", "staged.db")
    direct.code()
    folder = tmp_path / "out"
    pages = []

    def interrupt_on_the_fourth_page(done, total, label):
        pages.append(done)
        if len(pages) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        staged.code(page_size=60, parquet=folder, on_progress=interrupt_on_the_fourth_page)
    assert len(_partitions(folder)) == 4  # whole partitions only
    assert json.loads((folder / MANIFEST).read_text())["finished_at"] is None
    partial = staged.import_suggestions(folder)  # what is there can be loaded already
    assert not partial.complete and partial.partitions == 4 and 0 < partial.new < len(suggestions(direct))
    stale = leftover(folder, "part-000000000241-000000000300.parquet", dead_pid())  # a killed write's temporary

    with pytest.raises(StagedSuggestionsError, match=r"holds suggestions from a different run \(include_interviewer "
                                                    r"False there, True now\): write to a new folder"):
        staged.code(page_size=60, parquet=folder, include_interviewer=True)
    resumed = staged.code(page_size=60, parquet=folder)
    assert (resumed.partitions_skipped, resumed.partitions_written) == (4, 4)
    assert not [path for path in folder.iterdir() if path.name.endswith(".tmp")] and not stale.exists()
    assert len(_partitions(folder)) == 8
    report = staged.import_suggestions(folder)
    assert report.complete and report.partitions == 8 and partial.new + report.new == len(suggestions(direct))
    assert suggestions(staged) == suggestions(direct)


def test_import_into_another_project_is_refused_and_writes_nothing(copies, tmp_path):
    staged = copies("fresh", "staged.db")
    folder = tmp_path / "out"
    staged.code(parquet=folder)
    with Project.init(tmp_path / "other.db") as other:  # the same corpus and codebook, but not the same project
        other.ingest([CORPUS / "interviews"])
        other.load_codebook(CODEBOOK)
        runs = len(other.store.runs.log())
        with pytest.raises(StagedSuggestionsError) as refused:
            other.import_suggestions(folder)
        assert str(refused.value).startswith(
            f"{folder} was written from project {staged.path.resolve()} (id {staged.project_id}), not from "
            f"{other.path} (id {other.project_id}): segment ids differ between projects."
        )
        assert not suggestions(other) and len(other.store.runs.log()) == runs


def test_import_refuses_a_partition_naming_unknown_segments(copies, tmp_path):
    staged = copies("fresh", "staged.db")
    folder = tmp_path / "out"
    staged.code(parquet=folder, page_size=300)
    first, second = _partitions(folder)
    frame = pd.read_parquet(folder / second)
    frame.loc[0, "segment_id"] = 999_999
    frame.to_parquet(folder / second, index=False)
    runs = len(staged.store.runs.log())
    with pytest.raises(StagedSuggestionsError, match=rf"^{folder / second}: segment 999999 is not in this project"):
        staged.import_suggestions(folder)
    assert not suggestions(staged) and len(staged.store.runs.log()) == runs  # the good first partition waited too


def test_to_parquet_refuses_a_folder_it_did_not_write(copies, tmp_path):
    project = copies("fresh", "p.db")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(StagedSuggestionsError, match=r"is not empty and holds no _run\.json"):
        project.code(parquet=tmp_path / "busy")
    with pytest.raises(StagedSuggestionsError, match=r"holds no _run\.json, so it is not a folder"):
        project.import_suggestions(tmp_path / "busy")


def test_parquet_without_pyarrow_says_how_to_install(copies, tmp_path, monkeypatch):
    project = copies("fresh", "p.db")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    with pytest.raises(StagedSuggestionsError, match=r"^Parquet suggestions need pyarrow: pip install 'qualkit\[dask"):
        project.code(parquet=tmp_path / "out")
    assert not (tmp_path / "out").exists() and len(project.store.runs.log()) == 1  # the ingest's run only
