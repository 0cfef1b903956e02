"""Who the interviewer is (qualkit/interviewers.py): names, initials, numbers, per-document names (issue #18)."""

from __future__ import annotations

import pytest

from qualkit.errors import NotFoundError
from qualkit.interviewers import DEFAULT_INTERVIEWERS, Interviewers, initials, is_interviewer, setup, split_names
from tests.conftest import DATA

MATCHING = [
    ("Interviewer", DEFAULT_INTERVIEWERS, True),
    ("interviewer 2", DEFAULT_INTERVIEWERS, True),
    ("INT1", DEFAULT_INTERVIEWERS, True),
    ("Headteacher", DEFAULT_INTERVIEWERS, False),
    ("Sarah Okafor", ["Sarah Okafor"], True),
    ("sarah  OKAFOR", ["Sarah Okafor"], True),
    ("Sarah Okafor 2", ["Sarah Okafor"], True),
    ("Sarah", ["Sarah Okafor"], False),  # a first name alone is someone else until named
    ("SO", ["S.O."], True),
    ("S. O.", ["SO"], True),
    ("SO", ["Sarah Okafor"], False),  # initials are never guessed
    ("P07", ["P07"], True),
    ("P0", ["P07"], False),
    ("P08", ["P07"], False),
    ("Dr. Rachel Hale", ["Dr Rachel Hale"], True),
    (None, DEFAULT_INTERVIEWERS, False),
]


@pytest.mark.parametrize(("speaker", "names", "expected"), MATCHING, ids=[f"{s}~{n[0]}" for s, n, _ in MATCHING])
def test_is_interviewer_matching_rules(speaker, names, expected):
    assert is_interviewer(speaker, names) is expected
    assert Interviewers.of(names).matches(speaker) is expected


def test_interviewers_per_document_names_apply_to_that_document_only():
    found = Interviewers.of(["Interviewer"], {7: ["Sam Oduya", "SO"]})
    assert found.matches("Interviewer", 3) and found.matches("Interviewer")
    assert found.matches("Sam Oduya", 7) and found.matches("S.O.", 7)
    assert not found.matches("Sam Oduya", 3) and not found.matches("SO")
    assert is_interviewer("so", found, 7) and not is_interviewer("so", found, 8)
    assert list(found) == ["interviewer"] and "INTERVIEWER" in found and len(found) == 1


def test_split_names_and_initials():
    assert split_names("Sarah Okafor; SO, Dan Reyes") == ("Sarah Okafor", "SO", "Dan Reyes")
    assert split_names(" ; ") == ()
    assert [initials(name) for name in ("Sarah Okafor", "Dr Rachel Hale", "Mary-Jane Watson", "Kirsty")] == [
        "SO", "DRH", "MJW", None]


def test_setup_counts_turns_and_points_out_misspellings_and_initials():
    turns = [(1, "Interviewer", 10), (1, "Head", 9), (2, "SO", 5), (2, "Priya", 4), (3, "Sam Oduya", 3), (3, "Kemi", 3)]
    found = setup(
        ["Interviewer", "Sarah Okafor", "Kemmi"], default=False,
        interviewers=Interviewers.of(["Interviewer", "Sarah Okafor", "Kemmi"], {3: ["Sam Oduya"], 2: ["Dan"]}),
        turns=turns, document_names={1: "a.txt", 2: "b.txt", 3: "c.txt"}, own_names={3: ["Sam Oduya"], 2: ["Dan"]},
    )
    by_label = {s.speaker: s for s in found.speakers}
    assert (by_label["Interviewer"].interviewer, by_label["Interviewer"].named) == (True, "project")
    assert (by_label["Sam Oduya"].interviewer, by_label["Sam Oduya"].named) == (True, "document")
    assert not by_label["SO"].interviewer
    assert found.interviewer_turns == 13 and found.interviewer_documents == 2
    assert found.interviewer_labels == ("Interviewer", "Sam Oduya")
    assert found.unmatched == (("Sarah Okafor", "", ""), ("Kemmi", "", "Kemi"), ("Dan", "b.txt", ""))
    assert found.lookalikes == (("SO", "Sarah Okafor"),)
    assert found.by_document == (("b.txt", ("Dan",)), ("c.txt", ("Sam Oduya",)))


TRANSCRIPT = (
    "[00:00:01] {interviewer}: Tell me about NPQs and mentors.\n\n"
    "[00:00:09] Head: The NPQ helped, and mentoring is weekly.\n\n"
    "[00:00:30] {interviewer}: And is there an NPQ for you?\n\n"
    "[00:00:35] Head: I trust my team; the NPQ was good.\n"
)


def _two_schools(tmp_path, project):
    (tmp_path / "a.txt").write_text(TRANSCRIPT.format(interviewer="SO"), encoding="utf-8")
    (tmp_path / "b.txt").write_text(TRANSCRIPT.format(interviewer="Sarah Okafor"), encoding="utf-8")
    project.ingest([tmp_path / "a.txt", tmp_path / "b.txt"])


def test_project_interviewers_from_the_cases_file_are_skipped_in_their_document_only(project, tmp_path):
    _two_schools(tmp_path, project)
    (tmp_path / "cases.csv").write_text("document,case,interviewer\na.txt,Brookfield,Sarah Okafor; SO\n"
                                        "b.txt,Fellside,Dan Reyes\n", encoding="utf-8")
    project.assign_cases(tmp_path / "cases.csv")
    report = project.code(codebook_path=DATA / "mini_codebook.yaml")
    assert report.context_segments == 2  # SO's two turns in a.txt; Sarah Okafor in b.txt is not named there
    coded = {(row["document"], row["speaker"]) for row in project.suggestions()}
    assert ("a.txt", "SO") not in coded and ("b.txt", "Sarah Okafor") in coded
    found = project.interviewers()
    assert found.interviewer_labels == ("SO",) and found.by_document == (
        ("a.txt", ("Sarah Okafor", "SO")), ("b.txt", ("Dan Reyes",)))
    assert found.unmatched == (("Dan Reyes", "b.txt", ""),)
    judged = project.judgements()
    assert all(segment not in judged.coverable.get(project.document_id("a.txt"), ())
               for segment in [s.id for s in project.segments(documents=["a.txt"]) if s.speaker == "SO"])


def test_project_change_interviewers_set_add_remove_reset_clear(project, tmp_path):
    _two_schools(tmp_path, project)
    assert project.interviewers().default and project.interviewers().interviewer_turns == 0
    found = project.change_interviewers("set", ["Sarah Okafor", "S.O."])
    assert found.names == ("Sarah Okafor", "S.O.") and not found.default
    assert (found.interviewer_turns, found.interviewer_documents) == (4, 2)
    assert project.code(codebook_path=DATA / "mini_codebook.yaml").context_segments == 4
    assert project.change_interviewers("add", ["sarah okafor", "Interviewer"]).names == (
        "Sarah Okafor", "S.O.", "Interviewer")
    assert project.change_interviewers("remove", ["so"]).names == ("Sarah Okafor", "Interviewer")
    with pytest.raises(NotFoundError, match=r"'Sarah' is not an interviewer name; the names are: Sarah Okafor, "):
        project.change_interviewers("remove", ["Sarah"])
    assert project.change_interviewers("clear").names == ()
    assert project.interviewers().interviewer_turns == 0
    assert project.change_interviewers("reset").names == DEFAULT_INTERVIEWERS
    assert project.interviewers().default
    with pytest.raises(NotFoundError, match="needs at least one name"):
        project.change_interviewers("set", [" "])
