"""Pseudonymised views and their offset maps, checked on examples and on random texts (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    Pseudonymiser,
    PseudonymKey,
    Side,
    pseudonymise_text,
    reveal,
)
from qualkit.pseudonymise.check import LeakChecker

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Harbour Academy", "School B", Kind.SCHOOL, EntrySource.CASE, ("Harbour",), case_sensitive=True),
    KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
    KeyEntry("Cole", "Participant 2", Kind.PERSON, EntrySource.RESEARCHER),
    KeyEntry("Priya Raman", "Participant 3", Kind.PERSON, EntrySource.SPEAKER, ("Priya", "Raman")),
    KeyEntry("Whitby", "Town A", Kind.PLACE, EntrySource.RESEARCHER),
))
PSEUDONYMISER = Pseudonymiser(KEY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chloe's class", "ECT 1's class"),
        ("Brookfield's staff and BROOKFIELD PRIMARY", "School A's staff and School A"),
        ("Brookfield Primary School in Whitby", "School A in Town A"),
        ("Cole read Coleridge", "Participant 2 read Coleridge"),
        ("Mrs Rutherford and Ms. Raman", "ECT 1 and Participant 3"),
        ("Chloe\nRutherford", "ECT 1"),
        ("the Harbour Academy Trust by the harbour", "the School B Trust by the harbour"),
    ],
    ids=["possessive", "case", "longest", "word boundary", "titles", "line break", "trust"],
)
def test_pseudonymise_text_replaces_every_form(text, expected):
    assert pseudonymise_text(text, KEY).text == expected


def test_offset_map_moves_spans_and_widens_cut_names():
    text = "Then Chloe Rutherford's class at Brookfield went well."
    view = PSEUDONYMISER(text)
    assert view.text == "Then ECT 1's class at School A went well."
    start = text.index("class")
    assert view.span(start, start + 5) == "class"
    assert view.span(text.index("Chloe"), text.index("'s")) == "ECT 1"
    # "Rutherford" alone cuts the name: the span widens to the whole pseudonym.
    assert view.offsets.span_to_pseudonymised(text.index("Rutherford"), text.index("'s")) == (5, 10)
    assert view.offsets.to_pseudonymised(text.index("Rutherford"), side=Side.START) == 5
    assert view.offsets.to_pseudonymised(text.index("Rutherford"), side=Side.END) == 10
    # And back: the pseudonym maps to the whole original name.
    assert view.offsets.span_to_original(5, 10) == (5, 21)
    assert view.offsets.span_to_original(7, 8) == (5, 21)
    assert view.offsets.to_original(len(view.text)) == len(text)
    with pytest.raises(ValueError, match="outside the text"):
        view.offsets.to_pseudonymised(len(text) + 1)


def test_replacements_and_counts_name_the_entries():
    view = PSEUDONYMISER("Chloe met Chloe Rutherford at Brookfield.")
    assert view.counts() == {"Chloe Rutherford": 2, "Brookfield Primary": 1}
    assert [(r.original_start, r.original_end, r.pseudonymised_start, r.pseudonymised_end) for r in view.replacements] \
        == [(0, 5, 0, 5), (10, 26, 10, 15), (30, 40, 19, 27)]


def test_pseudonymised_output_carries_nothing_of_the_originals():
    # Two keys that differ only in the real names give identical outputs: nothing in the
    # output (text or offset map) depends on who was named, beyond the length of the name.
    first = PseudonymKey((KeyEntry("Chloe", "P1", Kind.PERSON, EntrySource.SPEAKER),))
    second = PseudonymKey((KeyEntry("Sarah", "P1", Kind.PERSON, EntrySource.SPEAKER),))
    one, two = pseudonymise_text("Chloe said hi.", first), pseudonymise_text("Sarah said hi.", second)
    assert one.text == two.text == "P1 said hi."
    assert one.offsets == two.offsets


def test_reveal_needs_the_key_and_maps_pseudonyms_back():
    view = PSEUDONYMISER("Chloe's class at BROOKFIELD")
    revealed = reveal(view.text, KEY)
    assert revealed.text == "Chloe Rutherford's class at Brookfield Primary"
    assert revealed.offsets.span_to_pseudonymised(0, 5) == (0, 16)
    assert KEY.original_of("School A") == "Brookfield Primary"


def test_pseudonymiser_value_and_spans():
    assert PSEUDONYMISER.value("brookfield_leader.txt") == "School A_leader.txt"
    assert PSEUDONYMISER.value(None) is None
    text, spans = PSEUDONYMISER.spans("Ask Priya Raman now", [(0, 3), (4, 15), (16, 19)])
    assert [text[s:e] for s, e in spans] == ["Ask", "Participant 3", "now"]


# -- random texts with names inserted -----------------------------------------------------------

FILLER = ["the", "school", "primary", "Coleridge", "Nicole", "harbour", "Harbourside", "brook", "field", "we",
          "miss", "Year", "NPQ", "trust", "class", "s", "ECT", "Chloeish", "2019", "café", "mentor"]
NAMES = [
    "Brookfield Primary", "Brookfield", "BROOKFIELD PRIMARY", "brookfield", "Brookfield Primary School",
    "Harbour Academy", "HARBOUR", "HARBOUR ACADEMY", "Chloe Rutherford", "Chloe\nRutherford", "Chloe", "Rutherford",
    "Mrs Rutherford", "MR. RUTHERFORD", "Cole", "COLE", "Priya Raman", "Priya  Raman", "Dr Raman", "Whitby",
]
SUFFIXES = ["", "'s", "’s", "s"]
SEPARATORS = [" ", "\n", ", ", ". ", " - ", "\n\n", " (", ") "]


@st.composite
def texts_with_names(draw):
    """A text of filler words and names, and the spans where names were put."""
    pieces = draw(st.lists(st.one_of(
        st.tuples(st.just("word"), st.sampled_from(FILLER)),
        st.tuples(st.just("name"), st.sampled_from(NAMES), st.sampled_from(SUFFIXES)),
    ), min_size=1, max_size=30))
    text, spans, previous = "", [], None
    for piece in pieces:
        if text:
            # Two names side by side would read as one longer name: keep them apart with a comma.
            text += ", " if previous == "name" and piece[0] == "name" else draw(st.sampled_from(SEPARATORS))
        if piece[0] == "name":
            spans.append((len(text), len(text) + len(piece[1])))
            text += piece[1] + piece[2]
        else:
            text += piece[1]
        previous = piece[0]
    return text, spans


def _inside_word(text, position):
    return 0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum()


@settings(max_examples=300, deadline=None)
@given(texts_with_names())
def test_views_replace_exactly_the_inserted_names_and_leave_the_rest(sample):
    text, spans = sample
    view = PSEUDONYMISER(text)
    assert [(r.original_start, r.original_end) for r in view.replacements] == spans
    outside = [text[a:b] for a, b in zip([0] + [e for _, e in spans], [s for s, _ in spans] + [len(text)], strict=True)]
    inside = [view.text[a:b] for a, b in zip([0] + [r.pseudonymised_end for r in view.replacements],
                                             [r.pseudonymised_start for r in view.replacements] + [len(view.text)],
                                             strict=True)]
    assert inside == outside
    assert LeakChecker(KEY).leaks_in_text(view.text, where="view") == []


@settings(max_examples=300, deadline=None)
@given(texts_with_names(), st.data())
def test_views_map_spans_that_keep_names_whole_to_the_same_words(sample, data):
    text, _ = sample
    view = PSEUDONYMISER(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assume(not view.offsets.cuts_a_name(start, end))
    assume(not _inside_word(text, start) and not _inside_word(text, end))
    new_start, new_end = view.offsets.span_to_pseudonymised(start, end)
    assert view.text[new_start:new_end] == PSEUDONYMISER(text[start:end]).text
    assert view.offsets.span_to_original(new_start, new_end) == (start, end)


@settings(max_examples=300, deadline=None)
@given(texts_with_names(), st.data())
def test_views_move_boundaries_inside_a_name_to_its_pseudonym(sample, data):
    text, _ = sample
    view = PSEUDONYMISER(text)
    assume(view.replacements)
    replacement = data.draw(st.sampled_from(view.replacements))
    assume(replacement.original_end - replacement.original_start > 1)
    inside = data.draw(st.integers(replacement.original_start + 1, replacement.original_end - 1))
    assert view.offsets.to_pseudonymised(inside, side=Side.START) == replacement.pseudonymised_start
    assert view.offsets.to_pseudonymised(inside, side=Side.END) == replacement.pseudonymised_end
    other = data.draw(st.integers(0, len(text)))
    low, high = sorted((inside, other))
    new_low, new_high = view.offsets.span_to_pseudonymised(low, high)
    assert new_low <= new_high
    assert view.text[new_low:new_high].count(replacement.entry.pseudonym) >= 1 or low == high


@settings(max_examples=200, deadline=None)
@given(texts_with_names())
def test_reveal_then_pseudonymise_gives_the_same_view(sample):
    text, _ = sample
    view = PSEUDONYMISER(text)
    revealed = reveal(view.text, KEY)
    assert PSEUDONYMISER(revealed.text).text == view.text
