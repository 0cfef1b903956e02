"""`qualkit models`, `backup`, `vacuum` and the size part of `status` (issue #20)."""

from __future__ import annotations

from qualkit.store import Store
from tests.cli.conftest import run


def test_backup_vacuum_and_status_sizes(runner, coded_db, tmp_path):
    target = tmp_path / "backups" / "study.db"
    missing = run(runner, coded_db, "backup", str(target))
    assert missing.exit_code == 1 and missing.output.strip() == (
        f"Error: cannot write {target}: folder {target.parent} does not exist")
    target.parent.mkdir()
    done = run(runner, coded_db, "backup", str(target))
    assert done.exit_code == 0 and done.output.startswith(f"Backed up to {target} (") and "integrity check ok" in \
        done.output
    assert len(list(Store.open(target).suggestions.views())) == 3
    again = run(runner, coded_db, "backup", str(target))
    assert again.exit_code == 1 and "add --force to replace it" in again.output
    assert run(runner, coded_db, "backup", str(target), "--force").exit_code == 0
    vacuumed = run(runner, coded_db, "vacuum")
    assert vacuumed.output.startswith(f"Vacuumed {coded_db}: ") and "given back" in vacuumed.output
    status = run(runner, coded_db, "status").output
    assert "measured page by page (SQLite dbstat)" in status
    for part in ("documents (text)", "suggestions", "decisions", "models", "search index", "free (`qualkit vacuum`)"):
        assert part in status


def test_models_list_and_refusals(runner, coded_db):
    assert run(runner, coded_db, "models").output.strip() == "(nothing to show)"
    bad = run(runner, coded_db, "models", "delete", "three")
    assert bad.exit_code == 2 and "a model is named by its number, e.g. 3 or model-3" in bad.output
    missing = run(runner, coded_db, "models", "delete", "model-3")
    assert missing.output.strip() == "Error: no model-3 in the project; models: none (`qualkit models` lists them)"
    assert run(runner, coded_db, "models", "--keep", "1").output.strip() == "Nothing to delete."
