"""A coded project file for the CLI tests of issue #20's commands."""

from __future__ import annotations

import pytest

from qualkit.cli import cli
from tests.conftest import DATA
from tests.review.conftest import TRANSCRIPT


def run(runner, db, *args):
    """Run `qualkit -p DB ARGS...`; stdout and stderr apart."""
    return runner.invoke(cli, ["-p", str(db), *args], catch_exceptions=False)


@pytest.fixture
def coded_db(tmp_path, runner):
    """A project with one transcript (case Brookfield, phase primary) coded by the mini codebook."""
    db = tmp_path / "study.db"
    transcript = tmp_path / "leader.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\nleader.txt,Brookfield,primary\n", encoding="utf-8")
    for args in (("init",), ("ingest", str(transcript), "--cases", str(cases)),
                 ("codebook", "load", str(DATA / "mini_codebook.yaml")), ("code",)):
        result = run(runner, db, *args)
        assert result.exit_code == 0, result.output
    return db
