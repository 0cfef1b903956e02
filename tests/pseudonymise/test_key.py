"""The pseudonym key: entries, default pseudonyms, aliases, validation and building from plain inputs."""

from __future__ import annotations

import pytest

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    NameInput,
    PseudonymKey,
    build_key,
    default_pseudonym,
    derive_aliases,
    looks_like_role,
    read_cases_values,
)


def entry(original, pseudonym, kind=Kind.PERSON, aliases=(), **options):
    return KeyEntry(original, pseudonym, kind, EntrySource.RESEARCHER, tuple(aliases), **options)


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [(Kind.SCHOOL, 1, "School A"), (Kind.SCHOOL, 26, "School Z"), (Kind.SCHOOL, 27, "School AA"),
     (Kind.SCHOOL, 53, "School BA"), (Kind.PERSON, 12, "Participant 12"), (Kind.PLACE, 2, "Place B"),
     (Kind.ORGANISATION, 3, "Organisation C"), (Kind.OTHER, 1, "Name 1")],
    ids=["A", "Z", "AA", "BA", "person", "place", "organisation", "other"],
)
def test_default_pseudonym_numbers_by_kind(kind, number, expected):
    assert default_pseudonym(kind, number) == expected


@pytest.mark.parametrize(
    ("label", "role"),
    [("Interviewer", True), ("Headteacher", True), ("CPD Lead", True), ("NPQ Participant", True),
     ("Researcher B", True), ("assistant head (CPD lead and induction tutor)", True),
     ("SENCO on the NPQ for SENCOs", True), ("phase leader on NPQLBC", True), ("ECT (year 2)", True),
     ("Chloe Rutherford", False), ("Kemi", False), ("Dr Rachel Hale", False), ("Mr. O'Neill", False)],
    ids=lambda value: str(value),
)
def test_looks_like_role_tells_roles_from_names(label, role):
    assert looks_like_role(label) is role


@pytest.mark.parametrize(
    ("original", "kind", "aliases"),
    [("Chloe Rutherford", Kind.PERSON, ("Chloe", "Rutherford")),
     ("Dr Rachel Hale", Kind.PERSON, ("Rachel Hale", "Rachel", "Hale")),
     ("Will Turner", Kind.PERSON, ("Turner",)),
     ("Kemi", Kind.PERSON, ()),
     ("Brookfield Primary", Kind.SCHOOL, ("Brookfield",)),
     ("Fellside CE Primary", Kind.SCHOOL, ("Fellside",)),
     ("Riverside All-Through Academy", Kind.SCHOOL, ("Riverside",)),
     ("St Mary's CE Primary", Kind.SCHOOL, ("St Mary's",)),
     ("The Harbour Academy", Kind.SCHOOL, ("Harbour",)),
     ("Northern Lights Learning Trust", Kind.ORGANISATION, ("Northern Lights",)),
     ("Eastshire County Council", Kind.ORGANISATION, ("Eastshire",)),
     ("Primary Academy", Kind.SCHOOL, ()),
     ("Kent", Kind.PLACE, ())],
    ids=lambda value: str(value),
)
def test_derive_aliases_gives_spoken_short_forms(original, kind, aliases):
    assert derive_aliases(original, kind) == aliases


def test_key_refuses_a_form_in_two_entries():
    with pytest.raises(PseudonymisationError, match=r"'brookfield' is already in entry 1 \('Brookfield Primary'\)"):
        PseudonymKey((entry("Brookfield Primary", "School A", Kind.SCHOOL, ["Brookfield"]),
                      entry("brookfield", "School B", Kind.SCHOOL)))


def test_key_refuses_a_pseudonym_used_twice():
    with pytest.raises(PseudonymisationError, match="also the pseudonym of entry 1"):
        PseudonymKey((entry("Chloe", "Participant 1"), entry("Kemi", "participant 1")))


def test_key_refuses_a_pseudonym_that_contains_a_name_of_the_key():
    with pytest.raises(PseudonymisationError, match="pseudonym 'Brookfield school' contains 'Brookfield'"):
        PseudonymKey((entry("Brookfield Primary", "School A", Kind.SCHOOL, ["Brookfield"]),
                      entry("Chloe", "Brookfield school")))


@pytest.mark.parametrize(
    ("original", "message"),
    [("", "is empty"), ("A", "at least two letters"), ("(Chloe)", "start and end with a letter"),
     ("Chloe  Rutherford", "extra spaces"), ("x" * 201, "longer than 200")],
    ids=["empty", "one letter", "brackets", "double space", "long"],
)
def test_key_refuses_bad_originals(original, message):
    with pytest.raises(PseudonymisationError, match=message):
        PseudonymKey((entry(original, "Participant 1"),))


def test_key_entry_and_original_of_are_case_insensitive_lookups():
    key = PseudonymKey((entry("Chloe Rutherford", "ECT 1", aliases=["Chloe"]),))
    assert key.entry("CHLOE").original == "Chloe Rutherford"
    assert key.original_of("ect 1") == "Chloe Rutherford"
    with pytest.raises(PseudonymisationError, match=r"'ECT 2' is not a pseudonym in this key \(did you mean 'ECT 1'"):
        key.original_of("ECT 2")


def test_key_with_pseudonym_overrides_and_next_pseudonym_skips_used_ones():
    key = PseudonymKey((entry("Chloe", "Participant 1"), entry("Kemi", "Participant 2")))
    key = key.with_pseudonym("chloe", "ECT 1")
    assert [e.pseudonym for e in key.entries] == ["ECT 1", "Participant 2"]
    assert key.next_pseudonym(Kind.PERSON) == "Participant 1"
    assert key.with_entries([key.new_entry("Priya Raman", Kind.PERSON)]).entries[-1] == KeyEntry(
        "Priya Raman", "Participant 1", Kind.PERSON, EntrySource.RESEARCHER, ("Priya", "Raman"))


def test_key_new_entry_leaves_out_aliases_other_entries_have():
    key = PseudonymKey((entry("Rachel Thwaite", "Participant 1", aliases=["Rachel", "Thwaite"]),))
    assert key.new_entry("Rachel Hale", Kind.PERSON).aliases == ("Hale",)


def test_key_with_ignored_remembers_once_and_accepting_clears_it():
    key = PseudonymKey().with_ignored(["Frayer", "frayer", "Rosenshine"])
    assert key.ignored == ("Frayer", "Rosenshine")
    assert key.covers("FRAYER")
    key = key.with_entries([key.new_entry("Frayer", Kind.PERSON)])
    assert key.ignored == ("Rosenshine",)


def test_build_key_from_cases_speakers_and_researcher_list():
    built = build_key(
        case_names=["Brookfield Primary", "Harbour Academy", "Brookfield Primary"],
        attributes=[("interviewee", "headteacher"), ("Interviewee", "Priya Raman"), ("region", "North East"),
                    ("trust", "Northern Lights Learning Trust"), ("Town", "Whitby")],
        speaker_labels=["Interviewer", "Chloe Rutherford", "Headteacher", "Chloe Rutherford"],
        researcher_names=[NameInput("Sophie", Kind.PERSON, pseudonym="ECT 2")],
    )
    table = [(e.original, e.pseudonym, e.kind, e.source, e.aliases) for e in built.key.entries]
    assert table == [
        ("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
        ("Harbour Academy", "School B", Kind.SCHOOL, EntrySource.CASE, ("Harbour",)),
        ("Priya Raman", "Participant 1", Kind.PERSON, EntrySource.CASES_FILE, ("Priya", "Raman")),
        ("Northern Lights Learning Trust", "Organisation A", Kind.ORGANISATION, EntrySource.CASES_FILE,
         ("Northern Lights",)),
        ("Whitby", "Place A", Kind.PLACE, EntrySource.CASES_FILE, ()),
        ("Chloe Rutherford", "Participant 2", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
        ("Sophie", "ECT 2", Kind.PERSON, EntrySource.RESEARCHER, ()),
    ]
    assert {(s.value, s.source) for s in built.skipped} == {
        ("headteacher", EntrySource.CASES_FILE), ("Interviewer", EntrySource.SPEAKER),
        ("Headteacher", EntrySource.SPEAKER)}


def test_build_key_merges_a_first_name_into_the_one_full_name_it_belongs_to():
    built = build_key(speaker_labels=["Kemi", "Kemi Adeyemi"])
    assert [(e.original, e.aliases) for e in built.key.entries] == [("Kemi Adeyemi", ("Kemi", "Adeyemi"))]


def test_build_key_keeps_an_ambiguous_first_name_out_of_both_people_and_says_so():
    built = build_key(speaker_labels=["Rachel Thwaite", "Rachel Hale"])
    assert [(e.original, e.aliases) for e in built.key.entries] == [
        ("Rachel Thwaite", ("Thwaite",)), ("Rachel Hale", ("Hale",))]
    [skipped] = built.skipped
    assert skipped.value == "Rachel"
    assert "could be 'Rachel Thwaite' or 'Rachel Hale'" in skipped.reason
    # Given on its own too, the first name is an entry of its own rather than lost.
    built = build_key(speaker_labels=["Rachel Thwaite", "Rachel Hale", "Rachel"])
    assert [e.original for e in built.key.entries] == ["Rachel Thwaite", "Rachel Hale", "Rachel"]


def test_build_key_keeps_existing_entries_and_numbers_after_them():
    first = build_key(case_names=["Brookfield Primary"]).key.with_pseudonym("Brookfield Primary", "School Q")
    built = build_key(case_names=["Brookfield Primary", "Oakmere School"], existing=first)
    assert [(e.original, e.pseudonym) for e in built.key.entries] == [
        ("Brookfield Primary", "School Q"), ("Oakmere School", "School A")]


def test_build_key_shuffle_seed_renumbers_deterministically():
    names = [f"School{letter} Primary" for letter in "ABCDEFGH"]
    plain = build_key(case_names=names).key
    assert [e.pseudonym for e in plain.entries] == [f"School {c}" for c in "ABCDEFGH"]
    shuffled = build_key(case_names=names, shuffle_seed="ethics-2025").key
    again = build_key(case_names=names, shuffle_seed="ethics-2025").key
    assert shuffled == again
    assert {e.original: e.pseudonym for e in shuffled.entries} != {e.original: e.pseudonym for e in plain.entries}
    assert sorted(e.pseudonym for e in shuffled.entries) == [f"School {c}" for c in "ABCDEFGH"]


def test_read_cases_values_reads_cases_and_attribute_pairs(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("document,case,interviewee\na.txt,Brookfield Primary,Chloe Rutherford\n\n"
                    "b.txt,Brookfield Primary,\n")
    assert read_cases_values(path) == (["Brookfield Primary"], [("interviewee", "Chloe Rutherford")])
    path.write_text("document,case\na.txt,Brookfield Primary,extra\n")
    with pytest.raises(PseudonymisationError, match=r"cases.csv:2: 3 fields where the header has 2"):
        read_cases_values(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Oakmere School (fictional) — secondary 11–18, rural South East", "Oakmere School"),
     ("Brookfield Primary School (fictional; primary, North East)", "Brookfield Primary School"),
     ("Riverside All-Through Academy (fictional) — all-through 3–18", "Riverside All-Through Academy"),
     ("Oakmere School, Kent", "Oakmere School"), ("Castleton - a village school", "Castleton"),
     ("Stoke-on-Trent", "Stoke-on-Trent"), ("St. Mary's CE Primary", "St. Mary's CE Primary"),
     ("Chloe Rutherford", "Chloe Rutherford"), ("(fictional)", "(fictional)")],
    ids=["dash", "parenthesis", "hyphenated-name", "comma", "spaced-hyphen", "town-hyphens", "dot", "plain",
         "nothing-before"],
)
def test_leading_name_cuts_a_description_after_the_name(value, expected):
    from qualkit.pseudonymise.key import leading_name

    assert leading_name(value) == expected


def test_build_key_takes_the_name_a_descriptive_value_starts_with_and_merges_a_school_named_twice():
    built = build_key(
        case_names=["Brookfield Primary", "Brookfield Academy"],
        attributes=[("School", "Brookfield Primary School (fictional; primary, North East)"),
                    ("School", "Oakmere School (fictional) — secondary 11–18"),
                    ("Interviewee", "Dr Rachel Hale (fictional)"), ("interviewee", "ECT (year 2)")],
    )
    originals = [e.original for e in built.key.entries]
    # Two cases are two schools even with one distinctive word; a cases-file value naming the
    # first again with "School" after it is that school; the rest keep the name they start with.
    assert originals == ["Brookfield Primary", "Brookfield Academy", "Oakmere School", "Dr Rachel Hale"]
    reasons = {s.value: s.reason for s in built.skipped}
    assert reasons["Brookfield Primary School"] == ("the same school as 'Brookfield Primary', whose entry "
                                                    "replaces it")
    assert reasons["ECT (year 2)"].startswith("looks like a role")  # reported as written
    assert "could be 'Brookfield Primary' or 'Brookfield Academy'" in reasons["Brookfield"]


def test_build_key_again_adds_nothing_the_key_already_replaces_whole():
    first = build_key(case_names=["Brookfield Primary"], speaker_labels=["Rachel Hale"])
    again = build_key(attributes=[("school", "Brookfield Primary School (fictional)"), ("interviewee",
                                                                                      "Dr Rachel Hale")],
                      speaker_labels=["Rachel Hale"], existing=first.key)
    assert again.key == first.key and again.skipped == ()
