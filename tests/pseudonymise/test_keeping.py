"""The project's pseudonym key: kept in the project or in a key file apart, built from what the
project knows, changed by hand, candidates kept to accept or ignore; and what the web review asks for."""

from __future__ import annotations

import os
import stat

import pytest

from qualkit.errors import NotFoundError, PseudonymisationError
from qualkit.pseudonymise import EntrySource, Kind, load_key
from qualkit.pseudonymise.keeping import KEY_FILE_SETTING, KEY_SETTING
from tests.conftest import DATA

TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about the NPQ at Brookfield.\n\n"
    "[00:00:09] Chloe Rutherford: At Brookfield Primary the NPQ helped, and Mrs Patel mentors me weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Chloe Rutherford: Chloe's mentor trusts her. Northern Lights Learning Trust sends us to Kendal.\n"
)


@pytest.fixture
def named(project, tmp_path):
    """A project with one transcript naming its school, its speaker and others, coded by the mini codebook."""
    path = tmp_path / "chloe.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase,interviewee\nchloe.txt,Brookfield Primary,primary,Chloe Rutherford\n",
                     encoding="utf-8")
    project.ingest([path], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    return project


def _entries(key):
    return [(e.original, e.pseudonym, e.kind, e.source, e.aliases) for e in key.entries]


def test_build_pseudonym_key_from_what_the_project_knows_kept_in_the_project(named):
    update = named.build_pseudonym_key(in_order=True)
    assert update.where == "the project"
    assert _entries(update.key) == [
        ("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
        ("Chloe Rutherford", "Participant 1", Kind.PERSON, EntrySource.CASES_FILE, ("Chloe", "Rutherford")),
    ]
    assert [s.value for s in update.skipped] == ["Interviewer"]
    assert named.pseudonym_key() == (update.key, "the project")
    assert named.store.settings.get(KEY_SETTING) is not None
    # Built again, nothing changes: entries keep their pseudonyms.
    again = named.build_pseudonym_key(seed="another")
    assert again.added == () and again.key == update.key


def test_build_pseudonym_key_numbers_in_a_seeded_order_and_takes_the_researchers_list(named, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("name,kind,pseudonym\nMrs Patel,person,Mentor 1\nKendal,place,\n", encoding="utf-8")
    first = named.build_pseudonym_key(seed="s1", names_file=names)
    by_original = {e.original: e.pseudonym for e in first.key.entries}
    assert by_original["Mrs Patel"] == "Mentor 1" and by_original["Kendal"] == "Place A"
    assert named.pseudonymised_text("chloe.txt", 0, len(TRANSCRIPT)).text.count("Mentor 1") == 1


def test_a_key_file_keeps_the_key_out_of_the_project(named, tmp_path):
    path = tmp_path / "apart" / "key.yaml"
    path.parent.mkdir()
    update = named.build_pseudonym_key(key_file=path, in_order=True)
    assert update.where == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path) == update.key
    assert named.store.settings.get(KEY_SETTING) is None  # the project holds none of it...
    assert named.store.settings.get(KEY_FILE_SETTING) == str(path.resolve())  # ...only where it was
    assert named.pseudonym_key() == (update.key, str(path.resolve()))
    named.add_pseudonym("Kendal", kind="place", key_file=path)
    assert load_key(path).entry("Kendal").pseudonym == "Place A"
    path.rename(tmp_path / "elsewhere.yaml")
    with pytest.raises(PseudonymisationError) as caught:
        named.pseudonymisation()
    assert str(caught.value) == (f"this project's pseudonym key is kept apart (last in {path.resolve()}, which is "
                                 "not there now); give it with --key FILE")
    assert named.pseudonym_key(key_file=tmp_path / "elsewhere.yaml")[0].entry("Kendal").kind is Kind.PLACE


def test_the_key_file_can_come_from_the_environment(named, tmp_path, monkeypatch):
    path = tmp_path / "key.yaml"
    monkeypatch.setenv("QUALKIT_PSEUDONYM_KEY", str(path))
    named.build_pseudonym_key()
    assert path.exists() and named.store.settings.get(KEY_SETTING) is None


def test_no_key_is_one_clear_error(named):
    with pytest.raises(PseudonymisationError) as caught:
        named.pseudonymisation()
    assert str(caught.value) == ("this project has no pseudonym key: build one with `qualkit pseudonymise key build` "
                                 "(or give the key file you keep apart with --key FILE)")


def test_add_change_and_remove_entries_by_hand(named):
    named.build_pseudonym_key(in_order=True)
    added = named.add_pseudonym("Mrs Patel", "Mentor 1")
    assert _entries(added.key)[-1] == ("Mrs Patel", "Mentor 1", Kind.PERSON, EntrySource.RESEARCHER, ("Patel",))
    changed = named.add_pseudonym("chloe", "ECT 1", aliases=["Miss R"])  # named by an alias, any case
    assert changed.changed[0].pseudonym == "ECT 1" and changed.changed[0].aliases == ("Chloe", "Rutherford",
                                                                                       "Miss R")
    with pytest.raises(PseudonymisationError, match="'Chloe Rutherford' is already in the key .*give a new pseudonym"):
        named.add_pseudonym("Chloe Rutherford")
    with pytest.raises(PseudonymisationError, match="pseudonym 'School A' is also the pseudonym of entry 1"):
        named.add_pseudonym("Kendal", "School A", kind="place")
    removed = named.remove_pseudonyms(["Patel"])
    assert [e.original for e in removed.removed] == ["Mrs Patel"]
    with pytest.raises(PseudonymisationError, match=r"'Mrs Patl' is not in the pseudonym key"):
        named.remove_pseudonyms(["Mrs Patl"])
    with pytest.raises(NotFoundError, match="unknown kind 'persn'"):
        named.add_pseudonym("Kendal", kind="persn")


def test_move_the_key_out_of_the_project(named, tmp_path):
    built = named.build_pseudonym_key()
    moved = named.move_pseudonym_key(tmp_path / "key.yaml")
    assert load_key(tmp_path / "key.yaml") == built.key and named.store.settings.get(KEY_SETTING) is None
    with pytest.raises(PseudonymisationError, match="holds no pseudonym key to move"):
        named.move_pseudonym_key(tmp_path / "again.yaml")
    assert moved.where == str(tmp_path / "key.yaml")


def test_candidates_are_kept_then_accepted_or_ignored_by_name(named):
    named.build_pseudonym_key(in_order=True)
    assert named.pseudonym_candidates() is None
    search = named.find_pseudonym_candidates(ner=False)
    found = {c.text: c.kind for c in search.candidates}
    assert found == {"Patel": Kind.PERSON, "Northern Lights Learning Trust": Kind.ORGANISATION,
                     "Kendal": Kind.PLACE}
    stored = named.pseudonym_candidates()
    assert stored is not None and [c.text for c in stored.candidates] == [c.text for c in search.candidates]
    accepted = named.accept_pseudonym_candidates(["northern lights learning trust", "Patel"])
    assert [(e.original, e.pseudonym, e.source) for e in accepted.added] == [
        ("Northern Lights Learning Trust", "Organisation A", EntrySource.CANDIDATE),
        ("Patel", "Participant 2", EntrySource.CANDIDATE)]
    with pytest.raises(PseudonymisationError, match="'Patel' is already in the key"):
        named.accept_pseudonym_candidates(["Patel"])
    with pytest.raises(PseudonymisationError, match=r"'Kendall' is not among the candidates of the last search "
                                                    r"\(did you mean 'Kendal'\?\)"):
        named.accept_pseudonym_candidates(["Kendall"])
    named.ignore_pseudonym_candidates(["Kendal"])
    report, where, _ = named.pseudonymisation_report()
    assert where == "the project" and report.unreviewed == ()
    counts = {e.original: e.replaced for e in report.entries}
    assert counts == {"Brookfield Primary": 2, "Chloe Rutherford": 3, "Northern Lights Learning Trust": 1,
                      "Patel": 1}
    assert "Kendal" in named.pseudonymised_text("chloe.txt", 0, len(TRANSCRIPT)).text  # ignored: left as it is


def test_pseudonymised_passage_for_the_web_review_maps_text_and_evidence(named):
    named.build_pseudonym_key(in_order=True)
    session = named.passage_session("Amira")
    item = session.current()
    assert item is not None and "Brookfield" in item.text
    shown = named.pseudonymised_passage(item)
    assert "Brookfield" not in shown.text and "School A" in shown.text
    for original, proposal in zip(item.proposals, shown.proposals, strict=True):
        assert [shown.text[e.start:e.end] for e in proposal.evidence] == [
            item.text[e.start:e.end] for e in original.evidence]  # the matched words are not names here
    start = TRANSCRIPT.index("At Brookfield")
    npq = TRANSCRIPT.index("NPQ helped")
    passage = named.pseudonymised_text("chloe.txt", start, start + 40, highlights=[(npq, npq + 3)])
    assert passage.text.startswith("At School A the NPQ helped") and passage.highlights == ((16, 19),)
    with pytest.raises(NotFoundError, match=r"no document named 'chloe.tx' .*did you mean 'chloe.txt'"):
        named.pseudonymised_text("chloe.tx", 0, 1)
    assert named.store.documents.text(named.document_id("chloe.txt")) == TRANSCRIPT  # the source is untouched
