"""Review files checked against themselves and the project before anything is recorded (issue #17)."""

from __future__ import annotations

import pandas as pd
import pytest

from qualkit.errors import ReviewError
from qualkit.project import Project
from tests.conftest import DATA
from tests.review.conftest import ids_by_code

OTHER_TRANSCRIPT = (  # another study with a document of the same name and the same shape
    "[00:00:01] Interviewer: Tell me about your school.\n\n"
    "[00:00:09] Headteacher: The NPQ was useful, and mentoring is fortnightly.\n\n"
    "[00:00:30] Interviewer: And trust?\n\n"
    "[00:00:35] Headteacher: Nothing much to say.\n\n"
    "[00:00:50] Headteacher: Accountability is heavy; I trust few people.\n"
)


def _decisions(project: Project) -> int:
    return len(project.store.decisions.log())


def _sheet(project: Project, path, **decisions: str) -> pd.DataFrame:
    """The reviewer's exported sheet (CSV), with decisions filled in by code."""
    project.export_review(path, "alice")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["decision"] = [decisions.get(code.replace(".", "_"), "") for code in frame["code"]]
    return frame


@pytest.fixture
def other(tmp_path):
    """A second project with the same document name, codebook and suggestions, other text."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "leader.txt").write_text(OTHER_TRANSCRIPT, encoding="utf-8")
    with Project.init(folder / "other.db") as project:
        project.ingest([folder / "leader.txt"])
        project.code(codebook_path=DATA / "mini_codebook.yaml")
        yield project


def test_import_sheet_contradictory_rows_are_refused_naming_each_other_every_time(reviewed, tmp_path):
    ids = ids_by_code(reviewed)
    path = tmp_path / "alice.csv"
    path.write_text(
        "reviewer,document,segment,code,decision,note\n"
        "alice,leader.txt,1,offer.npq,accept,\n"
        "alice,leader.txt,1,offer.ecte,accept,\n"
        "Alice ,leader.txt,1,offer.npq,reject,not really\n"  # another reviewer: names are case-sensitive
        "alice,leader.txt,1,offer.npq,reject,\n"
        "alice,leader.txt,1,offer.ecte,accept,\n",  # the same decision twice: one decision
        encoding="utf-8",
    )
    for attempt in range(3):
        report = reviewed.import_review(path)
        assert [line for line, _ in report.refused] == [2, 5]
        assert report.refused[0][1] == ("accepts offer.npq on segment 1 of 'leader.txt' for alice, but line 5 "
                                        "rejects it; keep one of these rows and import the file again")
        assert report.refused[1][1] == ("rejects offer.npq on segment 1 of 'leader.txt' for alice, but line 2 "
                                        "accepts it; keep one of these rows and import the file again")
        # "Alice" is another reviewer: their reject stands alone; alice's ecte accept is recorded once
        assert (report.recorded, report.unchanged) == ((2, 1) if attempt == 0 else (0, 3))
    assert _decisions(reviewed) == 2
    assert reviewed.verdict_in_force("alice", ids["offer.npq"]) is None
    assert reviewed.verdict_in_force("alice", ids["offer.ecte"]).verdict.value == "accept"


def test_import_sheet_same_verdict_with_two_notes_is_a_contradiction(reviewed, tmp_path):
    path = tmp_path / "alice.csv"
    frame = _sheet(reviewed, path, offer_npq="accept")
    frame = pd.concat([frame, frame[frame["code"] == "offer.npq"]], ignore_index=True)
    frame.loc[frame.index[-1], "note"] = "second thoughts"
    frame.to_csv(path, index=False)
    report = reviewed.import_review(path)
    npq_line = int(frame.index[frame["code"] == "offer.npq"][0]) + 2
    last = len(frame) + 1
    assert [line for line, _ in report.refused] == [npq_line, last]
    assert report.refused[0][1].startswith(f"accepts suggestion {ids_by_code(reviewed)['offer.npq']} for alice, "
                                           f"but line {last} accepts it with note 'second thoughts'; keep one")
    assert _decisions(reviewed) == 0


def test_import_sheet_without_project_id_matching_by_content_is_recorded(reviewed, tmp_path):
    path = tmp_path / "alice.csv"
    frame = _sheet(reviewed, path, offer_npq="accept", culture_trust="reject")
    frame["project_id"] = ""
    frame.to_csv(path, index=False)
    report = reviewed.import_review(path)
    assert (report.recorded, report.refused) == (2, [])
    frame.drop(columns=["project_id"]).to_csv(path, index=False)  # the column deleted: the same
    assert (reviewed.import_review(path).unchanged, _decisions(reviewed)) == (2, 2)


def test_import_sheet_without_project_id_from_another_project_records_nothing(reviewed, other, tmp_path):
    path = tmp_path / "other.csv"
    frame = _sheet(other, path, offer_npq="accept", offer_ecte="accept", culture_trust="accept")
    frame["project_id"] = ""
    frame.to_csv(path, index=False)
    with pytest.raises(ReviewError, match=r"other\.csv: its rows carry no project_id and 3 of 3 do not match this "
                                          r"project \(line 2: suggestion \d+'s segment reads 'The NPQ helped, "
                                          r"and mentoring is weekly\.' here, not 'The NPQ was useful, and mentoring "
                                          r"is fortnightly\.' as in the sheet; is the sheet from another project\?\); "
                                          r"nothing was recorded\. Import the sheet into the project it was "
                                          r"exported from$"):
        reviewed.import_review(path)
    assert _decisions(reviewed) == 0
    # the same sheet with its project_id is refused row by row, as another project's
    frame["project_id"] = other.project_id
    frame.to_csv(path, index=False)
    report = reviewed.import_review(path)
    assert report.recorded == 0 and [reason for _, reason in report.refused] == [
        f"exported from another project ({other.project_id}), not {reviewed.project_id}"] * 3


def test_import_sheet_without_project_id_or_content_columns_is_refused(reviewed, tmp_path):
    path = tmp_path / "alice.csv"
    frame = _sheet(reviewed, path, offer_npq="accept")
    frame[["id", "decision"]].to_csv(path, index=False)
    with pytest.raises(ReviewError, match=r"alice\.csv: its rows carry no project_id, and no document, segment and "
                                          r"code columns to check them against this project; nothing was recorded"):
        reviewed.import_review(path, reviewer="alice")
    assert _decisions(reviewed) == 0


@pytest.mark.parametrize("column, value, says", [
    ("document", "other.txt", "document 'other.txt'"),
    ("segment", "3", "segment '3'"),
    ("code", "offer.ecte", "code 'offer.ecte'"),
], ids=["document", "segment", "code"])
def test_import_sheet_row_that_is_not_its_suggestion_is_refused(reviewed, tmp_path, column, value, says):
    ids = ids_by_code(reviewed)
    path = tmp_path / "alice.csv"
    frame = _sheet(reviewed, path, offer_npq="accept", culture_trust="reject")
    row = frame.index[frame["code"] == "offer.npq"][0]
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    report = reviewed.import_review(path)
    assert report.recorded == 1
    [(line, reason)] = report.refused
    assert line == row + 2
    assert reason == (f"suggestion {ids['offer.npq']} is 'offer.npq' on segment 1 of 'leader.txt' here, but the row "
                      f"says {says}; was the row edited, or is the sheet from another project?")


def test_import_passage_sheet_from_another_project_records_nothing(reviewed, other, tmp_path):
    path = tmp_path / "passages.xlsx"
    other.export_review(path, "alice", passages=True)
    frame = pd.read_excel(path, dtype=str).fillna("")
    frame.loc[frame["code"] != "", "decision"] = "accept"
    frame.loc[frame["text"] != "", "fully_coded"] = "yes"
    frame.to_excel(path, index=False)
    with pytest.raises(ReviewError, match=r"passages\.xlsx:2: segment 1 of 'leader\.txt' reads 'The NPQ helped, "
                                          r"and mentoring is weekly\.' here, not 'The NPQ was useful, and mentoring is "
                                          r"fortnightly\.' as in the file: the file comes from another project or "
                                          r"a corpus segmented differently, so nothing was recorded$"):
        reviewed.import_review(path)
    assert _decisions(reviewed) == 0 and reviewed.store.coverage.log() == []


def test_import_passage_sheet_contradiction_leaves_the_segment_unmarked(reviewed, tmp_path):
    path = tmp_path / "passages.xlsx"
    reviewed.export_review(path, "alice", passages=True)
    frame = pd.read_excel(path, dtype=str).fillna("")
    first = frame.index[frame["code"] == "offer.npq"][0]
    frame.loc[first, ["decision", "fully_coded"]] = ["accept", "yes"]
    added = frame.index[(frame["segment"] == frame.loc[first, "segment"]) & (frame["code"] == "")][0]
    frame.loc[added, ["code", "decision"]] = ["offer.npq", "reject"]  # the same code, rejected, further down
    frame.to_excel(path, index=False)
    report = reviewed.import_review(path)
    assert sorted(line for line, _ in report.refused) == [first + 2, added + 2]
    assert report.covered_segments == 0 and reviewed.store.coverage.log() == []
    assert _decisions(reviewed) == 0  # nothing on that segment: its other proposal is not rejected either


def test_import_sheet_is_one_transaction(reviewed, tmp_path, monkeypatch):
    """A failure half-way through (here: the disk, at the second decision) records nothing."""
    from qualkit.store.decisions import DecisionRepository

    path = tmp_path / "alice.csv"
    _sheet(reviewed, path, offer_npq="accept", offer_ecte="reject", culture_trust="accept").to_csv(path, index=False)
    original = DecisionRepository.insert
    calls = []

    def failing(self, **kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, **kwargs)

    monkeypatch.setattr(DecisionRepository, "insert", failing)
    with pytest.raises(OSError):
        reviewed.import_review(path)
    monkeypatch.undo()
    assert _decisions(reviewed) == 0
    assert reviewed.import_review(path).recorded == 3

