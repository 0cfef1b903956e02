"""`qualkit analyse` as a group: each analysis with its own help and options (issue #20)."""

from __future__ import annotations

import json

import pytest

from qualkit.cli import cli
from tests.cli.conftest import run


@pytest.mark.parametrize(
    ("analysis", "has", "lacks"),
    [
        ("frequency", "--by ATTRIBUTE", "--window"),
        ("cooccurrence", "--window", "--by"),
        ("framework", "--where", "--window"),
        ("compare", "--by ATTRIBUTE", "--diagram"),
        ("toc", "--diagram", "--title"),
    ],
)
def test_analyse_each_subcommand_has_its_own_help(runner, analysis, has, lacks):
    result = runner.invoke(cli, ["analyse", analysis, "--help"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].endswith(f"analyse {analysis} [OPTIONS]")  # not the group's help
    assert has in result.output and lacks not in result.output


def test_analyse_old_spelling_and_where_case_insensitive(runner, coded_db):
    run(runner, coded_db, "review", "decide", "--reviewer", "amira", "--accept", "1", "--accept", "3")
    by_phase = json.loads(run(runner, coded_db, "analyse", "frequency", "--by", "phase", "--format", "json").stdout)
    assert {row["code"]: row["segments"] for row in by_phase}["culture.trust"] == 1
    primary = json.loads(run(runner, coded_db, "analyse", "frequency", "--where", "phase=Primary",
                             "--format", "json").stdout)
    assert primary == by_phase[:0] + [{k: v for k, v in row.items() if "[" not in k} for row in by_phase]
    refused = run(runner, coded_db, "analyse", "frequency", "--where", "phase=secondary")
    assert refused.output.strip() == "Error: phase has no value 'secondary': primary"
    wrong_option = run(runner, coded_db, "analyse", "frequency", "--window", "1")
    assert wrong_option.exit_code == 2 and "No such option '--window'" in wrong_option.output


def test_suggestions_status_and_source_filters(runner, coded_db):
    run(runner, coded_db, "review", "decide", "--reviewer", "amira", "--accept", "1", "--reject", "3")
    rows = json.loads(run(runner, coded_db, "suggestions", "--status", "pending", "--format", "json").stdout)
    assert [r["id"] for r in rows] == [2]
    table = run(runner, coded_db, "suggestions", "--status", "accepted", "--status", "rejected").output
    assert table.splitlines()[0].split()[:7] == ["id", "document", "segment", "speaker", "code", "source", "status"]
    assert run(runner, coded_db, "suggestions", "--source", "model").output.strip().startswith("(nothing to show)")
    assert run(runner, coded_db, "suggestions", "--status", "maybe").exit_code == 2
