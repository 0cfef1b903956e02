"""The matcher all of pseudonymisation shares: whole words, longest first, any case, line breaks."""

from __future__ import annotations

import pytest

from qualkit.pseudonymise import EntrySource, KeyEntry, Kind, PseudonymKey
from qualkit.pseudonymise.matching import KeyMatcher, MatchTarget


def key():
    return PseudonymKey((
        KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
        KeyEntry("Brookfield Primary School", "School A2", Kind.SCHOOL, EntrySource.RESEARCHER),
        KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
        KeyEntry("Cole", "Participant 2", Kind.PERSON, EntrySource.RESEARCHER),
        KeyEntry("O'Neill", "Participant 3", Kind.PERSON, EntrySource.RESEARCHER),
        KeyEntry("Harbour Academy", "School B", Kind.SCHOOL, EntrySource.CASE, ("Harbour",), case_sensitive=True),
        KeyEntry("Riverside All-Through Academy", "School C", Kind.SCHOOL, EntrySource.CASE, ("Riverside",)),
        KeyEntry("Zoë Patel", "Participant 4", Kind.PERSON, EntrySource.SPEAKER, ("Zoë", "Patel")),
        KeyEntry("Northern Lights Learning Trust", "Trust A", Kind.ORGANISATION, EntrySource.CASES_FILE,
                 ("Northern Lights",)),
    ))


def found(text):
    entries = key().entries
    return [(text[m.start:m.end], entries[m.target].pseudonym) for m in KeyMatcher.from_entries(entries).finditer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Brookfield Primary School is big", [("Brookfield Primary School", "School A2")]),
        ("at Brookfield Primary, we", [("Brookfield Primary", "School A")]),
        ("BROOKFIELD PRIMARY", [("BROOKFIELD PRIMARY", "School A")]),
        ("brookfield's staff", [("brookfield", "School A")]),
        ("Chloe's class", [("Chloe", "ECT 1")]),
        ("Chloe’s class", [("Chloe", "ECT 1")]),
        ("the Coles came", [("Cole", "Participant 2")]),
        ("Coleridge and Nicole", []),
        ("Mrs Rutherford said", [("Mrs Rutherford", "ECT 1")]),
        ("MRS RUTHERFORD said", [("MRS RUTHERFORD", "ECT 1")]),
        ("I miss Chloe", [("Chloe", "ECT 1")]),
        ("Mr. O'Neill and Mr O’Neill", [("Mr. O'Neill", "Participant 3"), ("Mr O’Neill", "Participant 3")]),
        ("Chloe\nRutherford spoke", [("Chloe\nRutherford", "ECT 1")]),
        ("Chloe  \n  Rutherford", [("Chloe  \n  Rutherford", "ECT 1")]),
        ("the harbour and Harbour and HARBOUR", [("Harbour", "School B"), ("HARBOUR", "School B")]),
        ("Riverside All Through Academy", [("Riverside All Through Academy", "School C")]),
        ("Riverside All-Through", [("Riverside All-Through", "School C")]),
        ("Riverside all-through", [("Riverside", "School C")]),
        ("brookfield_leader.txt", [("brookfield", "School A")]),
        ("Brookfield2", []),
        ("Zoe\u0308 and Zoë", [("Zoe\u0308", "Participant 4"), ("Zoë", "Participant 4")]),
        ("Northern Lights Learning Trust", [("Northern Lights Learning Trust", "Trust A")]),
        ("Northern Lights Trust", [("Northern Lights Trust", "Trust A")]),
        ("Harbour Academy Trust", [("Harbour Academy", "School B")]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_matcher_finds_forms_as_whole_words(text, expected):
    assert found(text) == expected


def test_matcher_prefers_the_longest_form_at_a_position():
    matcher = KeyMatcher([MatchTarget(("Brook",)), MatchTarget(("Brook Field",)), MatchTarget(("Brook Field Lane",))])
    text = "Brook Field Lane, Brook Field, Brook"
    assert [(text[m.start:m.end], m.target) for m in matcher.finditer(text)] == [
        ("Brook Field Lane", 2), ("Brook Field", 1), ("Brook", 0)]
