"""What qualkit promises after a `kill -9`, checked by killing real processes.

Each test kills a process with SIGKILL — at a named point (:mod:`qualkit.faults`: after a page
of `code` is stored, before it is, half-way through an import's transaction, with an export
written but not yet in place) or at a random moment — then checks the project file as SQLite
sees it and runs the command again: a run resumes and ends exactly where an uninterrupted one
ends, an import records all or nothing, an output is the old file or the new one, never half.
"""

from __future__ import annotations

import random
import time

import pytest

from qualkit.atomicfile import is_temporary
from tests.reliability.conftest import (
    CODE_IN_PAGES,
    DECISIONS,
    KILLED,
    SUGGESTIONS,
    integrity,
    kill,
    python,
    qualkit,
    rows,
    start,
    start_python,
)

DECISIONS_STORED = "SELECT suggestion_id, reviewer, verdict, note FROM decisions ORDER BY id"


@pytest.mark.parametrize("point", ["code.page@3", "code.page.writing@3"], ids=["after-a-page", "inside-a-page"])
def test_killed_code_keeps_whole_pages_and_resumes_to_the_same_suggestions(templates, tmp_path, point):
    expected = rows(templates.folder / "coded.db", SUGGESTIONS)
    project = templates.copy("ingested", tmp_path)
    killed = python(CODE_IN_PAGES, str(project), fault=f"{point}=kill")
    assert killed.returncode == KILLED, killed.stderr
    assert integrity(project) == "ok"
    [(run_id, counts, finished)] = rows(project, "SELECT id, counts, finished_at FROM runs WHERE command = 'code'")
    assert finished is None
    import json

    last = json.loads(counts)["last_segment_id"]
    stored = rows(project, SUGGESTIONS)
    # whole pages only: pages 1-3 after the third commit, pages 1-2 when killed inside the third
    pages = 3 if point == "code.page@3" else 2
    segments = [r[0] for r in rows(project, "SELECT id FROM segments ORDER BY id")]
    assert last == segments[pages * 40 - 1]
    assert stored == [row for row in expected if row[0] <= last] and 0 < len(stored) < len(expected)
    resumed = qualkit(project, "code")
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resumed run {run_id}" in resumed.stdout
    assert rows(project, SUGGESTIONS) == expected


def test_code_killed_at_random_moments_ends_as_an_uninterrupted_run(templates, tmp_path):
    expected = rows(templates.folder / "coded.db", SUGGESTIONS)
    chance = random.Random(17)
    window = (3.0, 7.0)  # start-up, spaCy, matchers, then pages of 40 segments
    project = templates.copy("ingested", tmp_path)
    landed = 0
    for attempt in range(8):
        started = time.monotonic()
        process = start_python(CODE_IN_PAGES, str(project))
        time.sleep(chance.uniform(*window))
        if process.poll() is not None:
            # This machine finished the run before the kill: aim earlier, on a project not yet coded.
            elapsed = time.monotonic() - started
            window = (0.15 * elapsed, 0.7 * elapsed)
            fresh = tmp_path / f"attempt{attempt}"
            fresh.mkdir()
            project = templates.copy("ingested", fresh)
            continue
        kill(process)
        landed += 1
        assert integrity(project) == "ok"
        assert set(rows(project, SUGGESTIONS)) <= set(expected)  # what is stored is right, if not all
        if landed == 3:
            break
    assert landed, "every run ended before its kill: nothing was tested"
    finished = qualkit(project, "code")
    assert finished.returncode == 0, finished.stderr
    assert rows(project, SUGGESTIONS) == expected


def test_killed_review_import_records_nothing_then_everything_once(templates, tmp_path):
    expected = rows(templates.folder / "reviewed.db", DECISIONS_STORED)
    coverage = rows(templates.folder / "reviewed.db", "SELECT COUNT(*) FROM coverage")
    project = templates.copy("coded", tmp_path)
    killed = qualkit(project, "review", "import", str(DECISIONS), fault="review.import.row@700=kill")
    assert killed.returncode == KILLED
    assert integrity(project) == "ok"
    assert rows(project, DECISIONS_STORED) == [] and rows(project, "SELECT COUNT(*) FROM coverage") == [(0,)]
    assert rows(project, "SELECT COUNT(*) FROM suggestions WHERE source = 'manual'") == [(0,)]
    done = qualkit(project, "review", "import", str(DECISIONS))
    assert done.returncode == 0, done.stderr
    again = qualkit(project, "review", "import", str(DECISIONS))
    assert "Recorded 0 decision(s)" in again.stdout
    assert rows(project, DECISIONS_STORED) == expected
    assert rows(project, "SELECT COUNT(*) FROM coverage") == coverage


def test_killed_qdpx_import_leaves_the_project_empty_and_imports_whole_again(templates, tmp_path):
    source = templates.copy("reviewed", tmp_path)
    exported = qualkit(source, "export", "qdpx", str(tmp_path / "project.qdpx"))
    assert exported.returncode == 0, exported.stderr
    target = tmp_path / "copy.db"
    assert qualkit(target, "init").returncode == 0
    killed = qualkit(target, "import", "qdpx", str(tmp_path / "project.qdpx"), fault="qdpx.import.coding@300=kill")
    assert killed.returncode == KILLED
    assert integrity(target) == "ok"
    assert rows(target, "SELECT COUNT(*) FROM documents") == [(0,)]
    assert rows(target, "SELECT COUNT(*) FROM decisions") == [(0,)]
    done = qualkit(target, "import", "qdpx", str(tmp_path / "project.qdpx"))
    assert done.returncode == 0, done.stderr
    assert rows(target, "SELECT COUNT(*) FROM documents") == rows(source, "SELECT COUNT(*) FROM documents")
    accepted = "SELECT COUNT(DISTINCT suggestion_id) FROM decisions WHERE verdict = 'accept'"
    assert rows(target, accepted)[0][0] > 0


EXPORTS = {
    "codings-xlsx": ("export", "codings", "{out}/codings.xlsx"),
    "suggestions-csv": ("export", "suggestions", "{out}/suggestions.csv"),
    "qdpx": ("export", "qdpx", "{out}/project.qdpx"),
    "review-sheet": ("review", "export", "{out}/alice.xlsx", "--reviewer", "Amira Khan"),
    "word-report": ("report", "{out}/report.docx", "--no-figures", "--listing", "none"),
}


@pytest.mark.parametrize("command", EXPORTS.values(), ids=EXPORTS.keys())
def test_killed_export_leaves_the_old_file_whole_and_the_next_export_cleans_up(templates, tmp_path, command):
    project = templates.copy("reviewed", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    args = [part.format(out=out) for part in command]
    first = qualkit(project, *args)
    assert first.returncode == 0, first.stderr
    [output] = list(out.iterdir())
    old = output.read_bytes()
    killed = qualkit(project, *args, fault="export.rename=kill")
    assert killed.returncode == KILLED
    assert output.read_bytes() == old  # the old file, whole
    [left] = [path for path in out.iterdir() if path != output]
    assert is_temporary(left.name) and left.name.startswith(f".{output.name}.")  # hidden, never taken for output
    again = qualkit(project, *args)
    assert again.returncode == 0, again.stderr
    assert list(out.iterdir()) == [output]  # the killed export's temporary is gone
    assert output.stat().st_size > 0


def test_killed_train_leaves_the_project_as_it_was(templates, tmp_path):
    project = templates.copy("reviewed", tmp_path)
    before = rows(project, "SELECT COUNT(*) FROM models"), rows(project, DECISIONS_STORED)
    ready = tmp_path / "fitted"
    process = start(project, "train", fault=f"train.fitted=pause:{ready}")  # fitted, about to be stored
    deadline = time.monotonic() + 120
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready.exists(), f"train never reached its fault point: {process.poll()=}"
    kill(process)
    assert integrity(project) == "ok"
    assert (rows(project, "SELECT COUNT(*) FROM models"), rows(project, DECISIONS_STORED)) == before
    listed = qualkit(project, "models")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
