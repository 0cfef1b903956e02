import json

import pytest

from qualkit.cli import cli
from qualkit.errors import CodebookError
from qualkit.project import Project
from tests.conftest import DATA

MINI = DATA / "mini_codebook.yaml"
TRANSCRIPT = (
    "[00:00:01] Interviewer: Do your staff feel trusted? Tell me about NPQs and mentors.\n\n"
    "[00:00:09] Headteacher: Our multi-academy trust pays for the NPQ, and mentoring is weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Headteacher: Nothing to add there really.\n\n"
    "[00:00:50] Headteacher: Accountability is lighter now; I trust my team.\n"
)


@pytest.fixture
def coded(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    return project


def test_code_proposes_on_data_turns_only(coded):
    report = coded.code(codebook_path=MINI)
    rows = coded.suggestions()
    assert [(r["segment"], r["code"], r["speaker"]) for r in rows] == [
        (1, "offer.ecte", "Headteacher"),
        (1, "offer.npq", "Headteacher"),
        (4, "culture.trust", "Headteacher"),
    ]
    assert report.context_segments == 2 and report.segments == 3 and report.segments_without == 1
    assert {c.key: (c.found, c.new) for c in report.counts} == {
        "offer.npq": (1, 1), "offer.ecte": (1, 1), "culture.trust": (1, 1)
    }
    text = coded.store.documents.text(coded.documents()[0].id)
    accountability, trust = text.index("Accountability"), text.index("trust my")
    assert rows[2]["evidence"] == (  # the words a reader sees, never the patterns (accountab*, trust)
        f"“Accountability” @{accountability}-{accountability + 14}; “trust” @{trust}-{trust + 5}"
    )
    run = coded.store.runs.log()[-1]
    assert run.command == "code" and run.parameters["codebook_sha256"] == report.codebook_sha256
    assert run.counts["new"] == 3


def test_code_include_interviewer(coded):
    coded.code(codebook_path=MINI, include_interviewer=True)
    assert {(r["segment"], r["code"]) for r in coded.suggestions()} >= {(0, "offer.npq"), (2, "culture.trust")}


def test_recode_is_idempotent_and_new_version_adds_only_new(coded, tmp_path):
    first = coded.code(codebook_path=MINI)
    again = coded.code()
    assert again.new == 0 and again.found == first.found
    assert len(coded.suggestions()) == 3

    edited = tmp_path / "edited.yaml"
    edited.write_text(MINI.read_text().replace("patterns: [NPQ, NPQs", "patterns: [NPQ, NPQs, weekly"))
    third = coded.code(codebook_path=edited)
    assert third.new == 0  # 'weekly' is in a segment that already has offer.npq
    versions = coded.store.codebooks.versions()
    assert len(versions) == 2 and versions[0].sha256 != versions[1].sha256

    edited.write_text(MINI.read_text().replace("patterns: [trust,", "patterns: [nothing to add, trust,"))
    fourth = coded.code(codebook_path=edited)
    assert fourth.new == 1
    rows = coded.suggestions()
    assert [r["codebook_version"] for r in rows if r["segment"] == 3] == [3]
    assert all(r["codebook_version"] == 1 for r in rows if r["segment"] != 3)


def test_bad_codebook_stores_nothing(coded, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text().replace("definition: ECF.", "defintion: ECF."))
    with pytest.raises(CodebookError, match=r"bad\.yaml:\d+: code 'offer\.ecte': unknown field 'defintion'"):
        coded.code(codebook_path=bad)
    assert coded.store.codebooks.versions() == [] and coded.suggestions() == []


def test_code_without_codebook_says_how(coded):
    with pytest.raises(CodebookError, match="no codebook in .*; load one with `qualkit codebook load FILE`"):
        coded.code()


def test_export_suggestions_csv_and_xlsx(coded, tmp_path):
    import openpyxl
    import pandas as pd

    coded.code(codebook_path=MINI)
    assert coded.export_suggestions(tmp_path / "s.csv") == 3
    frame = pd.read_csv(tmp_path / "s.csv")
    for column in ["id", "document", "case", "segment", "start", "end", "speaker", "code", "source",
                   "score", "status", "evidence", "text"]:
        assert column in frame.columns
    assert set(frame["status"]) == {"pending"}
    text = coded.store.documents.text(coded.documents()[0].id)
    assert all(text[r.start:r.end] == r.text for r in frame.itertuples())

    coded.export_suggestions(tmp_path / "s.xlsx", codes=["offer"])
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [cell.value for cell in sheet[1]]
    codes = [row[header.index("code")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["offer.ecte", "offer.npq"]


def test_cli_codebook_and_code_flow(runner, tmp_path):
    db = tmp_path / "p.db"
    (tmp_path / "leader.txt").write_text(TRANSCRIPT, encoding="utf-8")
    invoke = lambda *args: runner.invoke(cli, ["-p", str(db), *args])  # noqa: E731
    assert invoke("init").exit_code == 0
    assert invoke("ingest", str(tmp_path / "leader.txt")).exit_code == 0

    check = invoke("codebook", "check", str(MINI))
    assert check.exit_code == 0
    # a file's own `version:` is not shown: "version" is the project's number for a stored version (issue #20)
    assert check.output.startswith("OK: codebook 'Test': 5 codes (2 themes, 3 codable), 10 patterns")

    load = invoke("codebook", "load", str(MINI))
    assert load.output.startswith("Loaded as codebook version 1: 'Test', 5 codes")
    assert invoke("codebook", "load", str(MINI)).output.startswith("Already loaded")

    show = invoke("codebook", "show").output
    assert "    culture.trust  Trust  (4 patterns)" in show and "  offer -> culture" in show

    result = invoke("code")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith(
        "Coded 3 segments with codebook 'Test' version 1 (hash "
    )
    summary = "3 suggestions, 3 new; 1 segments with none; 2 interviewer turns skipped as context (Interviewer)."
    assert summary in result.output

    listing = json.loads(invoke("suggestions", "--code", "culture", "--format", "json").stdout)
    assert [row["code"] for row in listing] == ["culture.trust"]
    unknown = invoke("suggestions", "--code", "culture.trsut")
    assert unknown.exit_code == 1
    assert "Error: no code 'culture.trsut' in codebook 'Test' (did you mean 'culture.trust'?)" in unknown.output

    out = tmp_path / "s.xlsx"
    assert invoke("export", "suggestions", str(out)).output == f"Wrote 3 suggestions to {out}.\n"
    bad_suffix = invoke("export", "suggestions", str(tmp_path / "s.docx"))
    assert bad_suffix.exit_code == 1 and "cannot write .docx" in bad_suffix.output


def test_cli_codebook_check_error_exit(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncodes:\n  - key: a\n    name: A\n    defintion: d\n")
    result = runner.invoke(cli, ["codebook", "check", str(bad)])
    assert result.exit_code == 1
    expected = f"Error: {bad}:5: code 'a': unknown field 'defintion' in a code (did you mean 'definition'?)"
    assert result.output.startswith(expected)


def test_workers_give_the_same_suggestions(project, tmp_path):
    from tests.conftest import CORPUS, ROOT

    project.ingest([CORPUS / "interviews"])
    project.load_codebook(ROOT / "codebooks" / "niot_coherent_offer.yaml")
    serial = project.code()
    in_one = sorted((r["document"], r["segment"], r["code"], r["evidence"]) for r in project.suggestions())
    with Project.init(tmp_path / "parallel.db") as other:
        other.ingest([CORPUS / "interviews"])
        other.load_codebook(ROOT / "codebooks" / "niot_coherent_offer.yaml")
        parallel = other.code(workers=2)
        in_two = sorted((r["document"], r["segment"], r["code"], r["evidence"]) for r in other.suggestions())
    assert parallel.workers == 2 and parallel.found == serial.found and in_two == in_one


def test_interrupted_code_run_resumes_without_duplicates(project, tmp_path, monkeypatch):
    """A run stopped mid-page (as by a kill) keeps whole pages; the next run says it resumed."""
    from qualkit.store.runs import RunRepository

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(20):
        unique = f"\n\n[00:09:00] Headteacher: file {n}."  # identical files would be ingested once
        (folder / f"i{n:02d}.txt").write_text(TRANSCRIPT * 5 + unique, encoding="utf-8")
    project.ingest([folder])
    project.load_codebook(MINI)
    original = RunRepository.update_counts
    calls = []

    def dies_on_the_fourth_page(self, run_id, counts):
        calls.append(run_id)
        if len(calls) == 4:
            raise KeyboardInterrupt  # inside the page's transaction: that page rolls back
        return original(self, run_id, counts)

    monkeypatch.setattr(RunRepository, "update_counts", dies_on_the_fourth_page)
    with pytest.raises(KeyboardInterrupt):
        project.code(page_size=10)
    monkeypatch.setattr(RunRepository, "update_counts", original)
    partial = len(project.suggestions())
    assert 0 < partial
    report = project.code(page_size=10)
    assert report.resumed_from is not None
    rows = project.suggestions()
    assert len(rows) == len({(r["document"], r["segment"], r["code"], r["source"]) for r in rows})
    with Project.init(tmp_path / "fresh.db") as fresh:
        fresh.ingest([folder])
        fresh.code(codebook_path=MINI)
        assert len(fresh.suggestions()) == len(rows) > partial


def test_code_reports_a_segment_the_rules_cannot_read_and_codes_the_rest(project, tmp_path, runner):
    """A backtracking regex out of time on one crafted turn stops nothing: that segment is named
    in one error line, every other segment is coded, and the command exits 1."""
    from qualkit.cli import cli

    codebook = tmp_path / "slow.yaml"
    codebook.write_text(MINI.read_text().replace(
        "patterns: [NPQ, NPQs", 'patterns: [{regex: "(?<=z)(a|aa)+$"}, NPQ, NPQs'), encoding="utf-8")
    transcript = tmp_path / "t.txt"
    transcript.write_text(TRANSCRIPT + "\n\n[00:09:00] Headteacher: z" + "a" * 60 + "b\n", encoding="utf-8")
    project.ingest([transcript])
    project.load_codebook(codebook)
    result = runner.invoke(cli, ["-p", str(project.path), "code"])
    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith("error: t.txt, segment 5: ")
    assert "(?<=z)(a|aa)+$" in line
    assert "; 1 segment(s) could not be coded (above). Run " in result.stdout
    assert {(r["segment"], r["code"]) for r in project.suggestions()} >= {(1, "offer.npq"), (4, "culture.trust")}


def test_withdraw_run_removes_its_undecided_suggestions_and_keeps_decided_ones(coded, runner):
    report = coded.code(codebook_path=MINI)
    rows = coded.suggestions()
    decided = next(r for r in rows if r["code"] == "offer.npq")
    coded.decide("alice", accept=[decided["id"]])
    withdrawn = coded.withdraw_run(report.run_id)
    assert (withdrawn.withdrawn, withdrawn.kept) == (2, 1)
    assert [r["id"] for r in coded.suggestions()] == [decided["id"]]
    assert coded.store.decisions.log(reviewer="alice")[0].suggestion_id == decided["id"]
    logged = coded.runs()[-1]
    assert logged.command == "withdraw" and logged.parameters["run"] == report.run_id
    assert logged.counts == {"withdrawn": 2, "kept_decided": 1}
    again = coded.code()  # coding again proposes what was withdrawn, once
    assert again.new == 2 and len(coded.suggestions()) == 3
    db = str(coded.path)
    out = runner.invoke(cli, ["-p", db, "runs", "withdraw", str(again.run_id)])
    assert out.exit_code == 0
    assert out.output.startswith(f"Withdrew 2 undecided suggestion(s) of run {again.run_id} (code)")
    out = runner.invoke(cli, ["-p", db, "runs", "withdraw", "999"])
    assert out.exit_code == 1 and "Error: no run 999; runs: " in out.output
    listed = runner.invoke(cli, ["-p", db, "runs", "--format", "csv"]).stdout.splitlines()
    assert listed[0] == "run,command,started_at,finished_at,counts" and len(listed) == 1 + len(coded.runs())
