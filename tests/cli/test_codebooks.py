"""`qualkit codebook rename/merge/move/versions` and one version numbering (issue #20)."""

from __future__ import annotations

import json

from tests.cli.conftest import run
from tests.conftest import DATA


def test_codebook_rename_then_versions_show_the_change(runner, coded_db):
    result = run(runner, coded_db, "codebook", "rename", "culture.trust", "culture.relational_trust")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Codebook version 2:",
        "  renamed culture.trust to culture.relational_trust: 1 suggestion(s) with their 0 decision(s) follow",
    ]
    versions = json.loads(run(runner, coded_db, "codebook", "versions", "--format", "json").output)
    assert [(v["version"], v["changes"]) for v in versions] == [
        (1, ""), (2, "renamed culture.trust to culture.relational_trust")]
    assert "declared" not in versions[0]  # one numbering: the file's own `version:` is not shown as a version


def test_codebook_version_numbers_agree_across_commands(runner, coded_db, tmp_path):
    """The report said "Loaded as codebook version 2. Codebook '…' version 1"."""
    edited = tmp_path / "edited.yaml"
    edited.write_text((DATA / "mini_codebook.yaml").read_text(encoding="utf-8").replace("name: NPQs", "name: NPQ"),
                      encoding="utf-8")
    load = run(runner, coded_db, "codebook", "load", str(edited))
    assert load.output.startswith("Loaded as codebook version 2: 'Test', 5 codes")
    assert "version 1" not in load.output
    assert run(runner, coded_db, "codebook", "show").output.startswith("Test (version 2, hash ")
    code = run(runner, coded_db, "code").output
    assert "with codebook 'Test' version 2 (hash" in code
    again = run(runner, coded_db, "codebook", "load", str(DATA / "mini_codebook.yaml")).output
    assert again.strip() == ("Already loaded: same content as codebook version 1, an older version (the current one "
                             "is 2); nothing changed.")


def test_codebook_merge_accepts_into_and_refuses_unknown(runner, coded_db):
    merged = run(runner, coded_db, "codebook", "merge", "offer.ecte", "into", "offer.npq")
    assert merged.exit_code == 0, merged.output
    assert "merged offer.ecte into offer.npq: 0 suggestion(s) with their 0 decision(s) follow; 1 joined" \
        in merged.output
    refused = run(runner, coded_db, "codebook", "merge", "offer.ecte", "offer.npq")
    assert refused.exit_code == 1
    assert refused.output.strip() == ("Error: no code 'offer.ecte' in codebook 'Test' (it was merged into "
                                      "'offer.npq' in codebook version 2); `qualkit codebook show` lists them")


def test_codebook_move_needs_a_destination(runner, coded_db):
    result = run(runner, coded_db, "codebook", "move", "culture.trust")
    assert result.exit_code == 2 and "say where to: --under PARENT, or --top" in result.output
    moved = run(runner, coded_db, "codebook", "move", "culture.trust", "--top")
    assert moved.exit_code == 0 and "moved culture.trust to trust" in moved.output
