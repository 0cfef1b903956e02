import json
import subprocess
import sys

import click
import pytest

from qualkit.cli import cli
from qualkit.store import SCHEMA_VERSION
from tests.conftest import VTT_SAMPLE, write_docx


def invoke(runner, db, *args, **kwargs):
    return runner.invoke(cli, ["-p", str(db), *args], catch_exceptions=False, **kwargs)


@pytest.fixture
def db(tmp_path, runner):
    path = tmp_path / "study.db"
    result = invoke(runner, path, "init")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "teams.vtt").write_text(VTT_SAMPLE, encoding="utf-8")
    write_docx(
        folder / "leader.docx",
        ["Interviewer: What PD do you offer?", "Headteacher: Coaching, mostly.",
         "Interviewer: And NPQs?", "Headteacher: Two staff this year."],
    )
    return folder


def test_init_reports_and_refuses_twice(runner, db):
    result = invoke(runner, db, "init")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {db} already exists; open it, or choose another file name"


def test_command_without_project_suggests_init(runner, tmp_path):
    result = invoke(runner, tmp_path / "none.db", "status")
    assert result.exit_code == 1
    expected = f"Error: no qualkit project at {tmp_path / 'none.db'}; create one with `qualkit init`"
    assert result.output.startswith(expected)


def test_project_from_environment(runner, db, folder):
    result = runner.invoke(cli, ["ingest", str(folder)], env={"QUALKIT_PROJECT": str(db)})
    assert result.exit_code == 0, result.output
    assert "Ingested 2 document(s) (2 transcripts): 8 segments" in result.output


def test_ingest_status_documents_segments(runner, db, folder, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\nteams.vtt,Fellside,primary\nleader,Fellside,primary\n")
    result = invoke(runner, db, "ingest", str(folder), "--cases", str(cases))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "Ingested 2 document(s) (2 transcripts): 8 segments, 60 words. Already in the project: 0. Skipped: 0. "
        "Failed: 0.",
        "Assigned 2 document(s) to cases.",
    ]
    again = invoke(runner, db, "ingest", str(folder))
    assert f"skipped {folder / 'leader.docx'}: already ingested as leader.docx" in again.output
    assert "Ingested 0 document(s): 0 segments, 0 words. Already in the project: 2." in again.output

    status = invoke(runner, db, "status").output
    assert f"Project {db} (schema {SCHEMA_VERSION}): 2 documents, 8 segments, 60 words." in status
    assert "Fellside" in status and "turn" in status
    status_rows = json.loads(invoke(runner, db, "status", "--format", "json").output)
    assert {"by": "case", "value": "Fellside", "documents": 2, "segments": 8, "words": 60} in status_rows

    documents = json.loads(invoke(runner, db, "documents", "--format", "json").output)
    assert [(d["name"], d["case"], d["segments"]) for d in documents] == [
        ("leader.docx", "Fellside", 4), ("teams.vtt", "Fellside", 4)
    ]
    csv_out = invoke(runner, db, "segments", "-d", "teams.vtt", "--format", "csv").output
    lines = csv_out.splitlines()
    assert lines[0] == "document,segment,start,end,unit,speaker,time,text"
    assert lines[2].startswith("teams.vtt,1,") and ",Sarah Wilson,00:00:04," in lines[2]
    table = invoke(runner, db, "segments").output
    assert "Coaching, mostly." in table

    cases_out = invoke(runner, db, "cases").output
    assert "Fellside" in cases_out and "primary" in cases_out


def test_segments_unknown_document_suggests(runner, db, folder):
    invoke(runner, db, "ingest", str(folder))
    result = invoke(runner, db, "segments", "-d", "leader.dox")
    assert result.exit_code == 1
    assert "Error: no document named 'leader.dox'" in result.output
    assert "(did you mean 'leader.docx'?)" in result.output


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "the file is empty (no text to ingest)"),
        ("fake.docx", b"PK\x03\x04 not really", "not a valid Word (.docx) file"),
        ("latin.txt", b"\x81\x8d\x8f", "text is not valid UTF-8"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "password-protected"),
        ("notes.xyz", b"whatever", "unsupported format '.xyz'"),
    ],
    ids=["empty", "corrupt-docx", "bad-encoding", "encrypted", "unsupported"],
)
def test_ingest_bad_file_one_line_and_rest_ingested(runner, db, folder, name, content, reason):
    bad = folder.parent / name
    bad.write_bytes(content)
    result = invoke(runner, db, "ingest", str(folder), str(bad))
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert error_lines[0].startswith(f"error: {bad}: {reason}")
    assert "Ingested 2 document(s)" in result.output


def test_ingest_strict_writes_nothing(runner, db, folder):
    (folder / "zz.txt").write_bytes(b"")
    result = invoke(runner, db, "ingest", str(folder), "--strict")
    assert result.exit_code == 1
    assert "Error: --strict: nothing was written" in result.output
    assert json.loads(invoke(runner, db, "documents", "--format", "json").output) == []


def test_ingest_survey_missing_column(runner, db, tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("id,answer\n1,Coaching helps.\n")
    result = invoke(runner, db, "ingest", str(survey), "--text-column", "response")
    assert result.exit_code == 1
    assert f"error: {survey}: no column 'response' for --text-column; columns are: id, answer" in result.output


def test_ingest_cases_naming_unknown_documents(runner, db, folder, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case\nleader.docx,A\nteems.vtt,A\n")
    result = invoke(runner, db, "ingest", str(folder), "--cases", str(cases))
    assert result.exit_code == 1
    assert (
        f"error: {cases}:3: document 'teems.vtt' is not in the project (did you mean 'teams.vtt'?)"
        in result.output
    )
    assert "Assigned 1 document(s) to cases." in result.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_commands(cli)), ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(runner, path):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "qualkit " in result.output.split("Example", 1)[1]


@pytest.mark.parametrize(
    ("commands", "heavy"),
    [
        ([["--help"]], {"spacy", "sklearn", "pandas", "docx", "pypdf", "odf", "striprtf", "numpy"}),
        # the Dask and Parquet options are there without the optional extra being imported
        ([["code", "--help"], ["import", "suggestions", "--help"]], {"dask", "distributed", "pyarrow", "pandas"}),
    ],
)
def test_help_does_not_import_heavy_libraries(commands, heavy):
    code = (
        "import sys; from qualkit.cli import cli\n"
        f"for args in {commands!r}:\n"
        "    try:\n        cli(args)\n    except SystemExit:\n        pass\n"
        f"print(sorted({sorted(heavy)!r} & sys.modules.keys()))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip().splitlines()[-1] == "[]"


def test_python_dash_m_qualkit():
    result = subprocess.run([sys.executable, "-m", "qualkit", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("qualkit, version ")


def _coding_project(runner, db, folder):
    from tests.conftest import DATA

    assert invoke(runner, db, "ingest", str(folder)).exit_code == 0
    assert invoke(runner, db, "codebook", "load", str(DATA / "mini_codebook.yaml")).exit_code == 0


def _stored(db) -> tuple[int, list]:
    """(runs, suggestions) in the project: what a refused command must leave as it was."""
    from qualkit.project import Project

    with Project.open(db) as project:
        return len(project.store.runs.log()), list(project.store.suggestions.views())


def test_code_on_a_local_dask_cluster(runner, db, folder, tmp_path):
    _coding_project(runner, db, folder)
    result = invoke(runner, db, "code", "--engine", "dask", "--workers", "2")
    assert result.exit_code == 0, result.output
    summary = result.output.splitlines()[-1]
    assert summary.startswith("Coded 4 segments on Dask (2 workers, local cluster) with codebook 'Test' version 1 ")
    assert summary.endswith(": 1 suggestions, 1 new; 3 segments with none; 4 interviewer turns skipped as context "
                            "(Interviewer). Run 2.")


def test_code_with_a_bad_scheduler_is_one_error_line(runner, db, folder, monkeypatch):
    monkeypatch.setattr("qualkit.engine.dask.CONNECT_TIMEOUT", 1)
    _coding_project(runner, db, folder)
    before = _stored(db)
    result = invoke(runner, db, "code", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9': Timed out trying to connect to "
        "tcp://127.0.0.1:9 after 1 s. Check the address (e.g. tcp://10.0.0.5:8786)"
    )
    assert _stored(db) == before
    both = invoke(runner, db, "code", "--engine", "local", "--scheduler", "tcp://127.0.0.1:9")
    assert both.exit_code == 2
    assert "Error: --scheduler sends work to Dask: drop --engine local, or use --engine dask" in both.output


def test_code_to_parquet_and_import_suggestions(runner, db, folder, tmp_path):
    _coding_project(runner, db, folder)
    out = tmp_path / "staged"
    coded = invoke(runner, db, "code", "--to-parquet", str(out))
    assert coded.exit_code == 0, coded.output
    assert f": 1 suggestions written to 1 partition(s) in {out} (load them with `qualkit import suggestions {out}`)" \
        in coded.output
    assert _stored(db)[1] == []
    imported = invoke(runner, db, "import", "suggestions", str(out))
    assert imported.output == f"Imported 1 partition(s) from {out}: 1 suggestions, 1 new. Run 3.\n"
    again = invoke(runner, db, "import", "suggestions", str(out))
    assert again.output == f"Imported 1 partition(s) from {out}: 1 suggestions, 0 new. Run 4.\n"
    rerun = invoke(runner, db, "code", "--to-parquet", str(out))
    assert rerun.output.startswith(f"Resumed {out}: 1 partition(s) already there were skipped.\n")

    other = tmp_path / "other.db"
    assert invoke(runner, other, "init").exit_code == 0
    _coding_project(runner, other, folder)
    before = _stored(other)
    refused = invoke(runner, other, "import", "suggestions", str(out))
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Error: {out} was written from project {db.resolve()} (id ")
    assert _stored(other) == before


def test_no_help_shows_a_literal_backslash_b():
    """Click's no-rewrap marker is the \\b character; a docstring that spells it `\\\\b` prints it."""
    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])

    shown = []
    for path, command in walk(cli, []):
        with click.Context(command, info_name=" ".join(["qualkit", *path])) as ctx:
            if "\\b" in command.get_help(ctx):
                shown.append(" ".join(path))
    assert shown == []
