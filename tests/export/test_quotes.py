"""Quotes trimmed to their evidence, highlighted, and chosen across cases and documents."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.export.quotes import (
    ELLIPSIS,
    excerpt,
    merge_passages,
    representative,
    representative_per_cell,
    sentences,
    strength,
)
from qualkit.export.report_data import CodedSegment

TURN = ("[pause] Up and down, honestly. We had a rough year with staffing, two people off long-term and a "
        "head of maths who left at Easter. But the NPQ in leading teaching really changed how Claire ran the "
        "department, e.g. coaching every week. Anyway, that is that.")


def _at(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return (start, start + len(word))


def _segment(text, *, case="A", document="a.txt", start=0, evidence_words=(), code="offer.npq", score=0.5,
             reviewers=("Amira Khan",), status="accepted"):
    evidence = tuple((start + s, start + e) for s, e in (_at(text, w) for w in evidence_words))
    return CodedSegment(code, document, case, "Head", 12.0, text, reviewers, status, "rule", score,
                        start=start, end=start + len(text), evidence=evidence)


def test_sentences_split_at_stops_and_line_breaks_not_abbreviations():
    text = "One. Two!\n\nThree? “Four.” We met, e.g. on Mondays. Dr. Khan came"
    assert [text[s:e] for s, e in sentences(text)] == [
        "One.", "Two!", "Three?", "“Four.”", "We met, e.g. on Mondays.", "Dr. Khan came"]


def test_excerpt_keeps_the_sentence_with_evidence_and_marks_the_cut():
    quote = excerpt(TURN, evidence=[_at(TURN, "NPQ")])
    assert quote.text == ("… But the NPQ in leading teaching really changed how Claire ran the department, "
                          "e.g. coaching every week. …")
    assert quote.highlighted == ("NPQ",) and quote.trimmed


def test_excerpt_without_evidence_quotes_the_opening():
    quote = excerpt(TURN)
    assert quote.text.startswith("[pause] Up and down, honestly. We had a rough year")
    assert quote.text.endswith(ELLIPSIS) and quote.highlighted == ()


def test_excerpt_short_passage_whole_and_untrimmed():
    quote = excerpt("We trust   each\nother now.", evidence=[(3, 8)])
    assert quote.runs == (("We ", False), ("trust", True), (" each other now.", False))
    assert not quote.trimmed


def test_excerpt_adds_context_around_a_short_sentence():
    text = "Staffing was hard this year for everyone. NPQ helped. We kept going somehow after that."
    quote = excerpt(text, evidence=[_at(text, "NPQ")], min_words=6)
    assert quote.text == f"{ELLIPSIS} NPQ helped. We kept going somehow after that."  # the next one first


def test_excerpt_long_sentence_windowed_around_evidence_in_whole_words():
    words = [f"word{i}" for i in range(200)]
    text = " ".join(words) + "."
    quote = excerpt(text, evidence=[_at(text, "word100")], max_words=9)
    assert quote.text == f"{ELLIPSIS} word96 word97 word98 word99 word100 word101 word102 word103 word104 {ELLIPSIS}"
    assert quote.highlighted == ("word100",)


def test_excerpt_two_evidence_sentences_apart_joined_by_an_ellipsis():
    text = "NPQ one. Filler two. Filler three. Coaching four."
    quote = excerpt(text, evidence=[_at(text, "NPQ"), _at(text, "Coaching")], max_words=5, min_words=1)
    assert quote.text == f"NPQ one. {ELLIPSIS} Coaching four."
    assert quote.highlighted == ("NPQ", "Coaching")


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcdefghij.,!?", min_size=1, max_size=9), min_size=1, max_size=120),
    marked=st.lists(st.integers(min_value=0, max_value=119), max_size=6),
    max_words=st.integers(min_value=1, max_value=40),
)
def test_excerpt_never_cuts_a_word_and_respects_the_limit(words, marked, max_words):
    text = " ".join(words)
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    evidence = [offsets[i] for i in marked if i < len(words)]
    quote = excerpt(text, evidence=evidence, max_words=max_words)
    shown = [w for w in quote.text.split() if w != ELLIPSIS]
    assert shown and set(shown) <= set(words)
    assert len(shown) <= max_words
    assert set(quote.highlighted) <= set(words)
    if evidence:
        assert quote.highlighted, "the evidence is shown"


def test_representative_spreads_across_cases_then_documents():
    segments = [
        _segment("The NPQ helped us.", case="A", document="a1", evidence_words=("NPQ",), score=0.9),
        _segment("NPQ again here.", case="A", document="a1", start=100, evidence_words=("NPQ",), score=0.8),
        _segment("An NPQ once.", case="B", document="b1", evidence_words=("NPQ",), score=0.5),
        _segment("A second NPQ here.", case="A", document="a2", start=300, evidence_words=("NPQ",), score=0.5),
    ]
    chosen = representative(segments, n=3)
    assert [(q.segment.case, q.segment.document) for q in chosen] == [("A", "a1"), ("B", "b1"), ("A", "a2")]
    assert chosen[0].text == "The NPQ helped us."
    earlier = representative(segments[2:3], n=1)  # a quote from case B already in the table
    assert [q.segment.case for q in representative(segments, n=2, quoted=earlier)] == ["A", "A"]


def test_representative_strong_evidence_before_spread():
    strong = _segment("NPQ and coaching both.", case="A", document="a1", evidence_words=("NPQ", "coaching"))
    also_strong = _segment("NPQ with coaching.", case="A", document="a1", start=50,
                           evidence_words=("NPQ", "coaching"))
    weak = _segment("Nothing matched here.", case="B", document="b1")
    chosen = representative([weak, strong, also_strong], n=3)
    assert [q.segment.case for q in chosen] == ["A", "A", "B"]


def test_representative_never_repeats_a_passage_or_text():
    one = _segment("The NPQ helped.", evidence_words=("NPQ",))
    same_passage_other_code = _segment("The NPQ helped.", code="culture.trust")
    same_words_elsewhere = _segment("The NPQ helped.", document="b.txt", evidence_words=("NPQ",))
    chosen = representative([one, same_passage_other_code, same_words_elsewhere], n=3)
    assert len(chosen) == 1


def test_representative_prefers_accepted_over_pending():
    pending = _segment("NPQ NPQ coaching.", status="pending", reviewers=(), evidence_words=("NPQ", "coaching"))
    accepted = _segment("Just an NPQ.", start=50, evidence_words=("NPQ",))
    assert [q.segment.status for q in representative([pending, accepted], n=2)] == ["accepted", "pending"]


def test_representative_per_cell_no_passage_twice_in_the_table():
    shared = _segment("NPQ and trust together.", evidence_words=("NPQ", "trust"))
    only_offer = _segment("Another NPQ.", start=40, evidence_words=("NPQ",))
    cells = {("A", "culture"): [shared], ("A", "offer"): [shared, only_offer]}
    chosen = representative_per_cell(cells, n=2)
    assert [q.text for q in chosen[("A", "culture")]] == ["NPQ and trust together."]  # its only evidence
    assert [q.text for q in chosen[("A", "offer")]] == ["Another NPQ."]
    assert list(chosen) == list(cells)


def test_merge_passages_pools_evidence_of_one_passage():
    a = _segment("NPQ and trust.", evidence_words=("NPQ",), score=0.5)
    b = _segment("NPQ and trust.", code="culture.trust", evidence_words=("trust",), score=0.75)
    [merged] = merge_passages([a, b])
    assert merged.evidence == a.evidence + b.evidence and merged.score == 0.75
    assert strength(merged) == (2, 1, 0.75)


@pytest.mark.parametrize("limit", [0, -3], ids=["zero", "negative"])
def test_excerpt_refuses_a_limit_below_one(limit):
    with pytest.raises(ValueError, match="max_words"):
        excerpt("Some words.", max_words=limit)
