from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.ingest.layout import find_structure
from qualkit.records import Unit
from qualkit.segment import segment_blocks

_speakers = st.sampled_from(["Interviewer", "Headteacher", "Mentor", "Zoë Ng", "INT"])
_words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r"),
    min_size=0,
    max_size=60,
)
_line = st.one_of(
    st.builds(lambda s, w: f"{s}: {w}", _speakers, _words),
    st.builds(lambda s, w: f"[00:0{len(w) % 10}:12] {s}: {w}", _speakers, _words),
    _words,
    st.just(""),
)
_text = st.lists(_line, max_size=25).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(text=_text, kind=st.sampled_from(["auto", "transcript", "document"]),
       sentence=st.booleans())
def test_segments_slice_back_to_their_text(text, kind, sentence):
    document_kind, blocks = find_structure(text, kind)
    unit = Unit.SENTENCE if sentence else document_kind.natural_unit
    segments = segment_blocks(text, blocks, unit)
    previous_end = 0
    for segment in segments:
        span = text[segment.start:segment.end]
        assert 0 <= segment.start < segment.end <= len(text)
        assert span == span.strip() and span
        assert segment.start >= previous_end  # in order, never overlapping
        previous_end = segment.end


def test_sentence_segments_keep_speaker_and_time():
    text = "[00:01:00] Mentor: We meet weekly. It helps a lot!\n[00:02:00] Interviewer: Why?\n[00:03:00] Mentor: Time."
    _, blocks = find_structure(text, "transcript")
    segments = segment_blocks(text, blocks, Unit.SENTENCE)
    assert [(text[s.start:s.end], s.speaker, s.timestamp) for s in segments] == [
        ("We meet weekly.", "Mentor", 60.0),
        ("It helps a lot!", "Mentor", 60.0),
        ("Why?", "Interviewer", 120.0),
        ("Time.", "Mentor", 180.0),
    ]


def _check_pieces(text, segments, *, max_chars):
    """Pieces are exact slices, in order, bounded, and together hold every non-space character."""
    previous_end = 0
    for segment in segments:
        span = text[segment.start:segment.end]
        assert span and span == span.strip()
        assert segment.end - segment.start <= max_chars
        assert segment.start >= previous_end
        previous_end = segment.end
    kept = "".join(text[s.start:s.end] for s in segments)
    assert "".join(kept.split()) == "".join(text.split())


def _sentences(count: int) -> str:
    import random

    rng = random.Random(7)
    words = ["mentor", "naïve", "café", "😀", "e\u0301cole", "PD", "teacher", "coaching"]
    return " ".join(
        " ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) + rng.choice([".", "!", "?", ".\u201d"])
        for _ in range(count)
    )


def test_segment_blocks_split_a_huge_block_at_sentence_ends():
    from qualkit.records import Block
    from qualkit.segment import MAX_SEGMENT_CHARS

    text = "\n" + _sentences(20_000) + "\n"  # about 2 MB on one line
    segments = segment_blocks(text, [Block(0, len(text), "Mentor", 12.5)], Unit.PARAGRAPH)
    _check_pieces(text, segments, max_chars=MAX_SEGMENT_CHARS)
    assert len(segments) > len(text) // MAX_SEGMENT_CHARS
    assert {(s.speaker, s.timestamp) for s in segments} == {("Mentor", 12.5)}
    for segment in segments[:-1]:  # every cut is a sentence end, not the middle of one
        assert text[segment.end - 1] in ".!?\u201d"
        assert MAX_SEGMENT_CHARS - segment.end + segment.start < 1000  # pieces are nearly full


def test_segment_blocks_split_at_whitespace_else_hard():
    from qualkit.records import Block

    words = "naïve café 😀 e\u0301cole " * 2000  # no sentence end at all
    segments = segment_blocks(words, [Block(0, len(words))], Unit.PARAGRAPH, max_chars=1000)
    _check_pieces(words, segments, max_chars=1000)
    assert all(not words[s.end].strip() for s in segments[:-1])  # cut before a space
    solid = "e\u0301" * 3000  # no space either: a hard cut, but never between a letter and its accent
    segments = segment_blocks(solid, [Block(0, len(solid))], Unit.PARAGRAPH, max_chars=1001)
    _check_pieces(solid, segments, max_chars=1001)
    assert all(solid[s.start] == "e" for s in segments)
    assert [s.end - s.start for s in segments] == [1000] * 6


def test_segment_blocks_sentences_of_a_huge_line_never_reach_spacys_limit():
    from qualkit.records import Block
    from qualkit.segment import MAX_SEGMENT_CHARS

    line = "x" * 1_500_000  # one 1.5 MB "word": spaCy would raise E088 on it whole
    segments = segment_blocks(line, [Block(0, len(line), "P1", None)], Unit.SENTENCE)
    _check_pieces(line, segments, max_chars=MAX_SEGMENT_CHARS)
    assert len(segments) == 75 and {s.speaker for s in segments} == {"P1"}
    text = _sentences(300)
    whole = segment_blocks(text, [Block(0, len(text))], Unit.SENTENCE)
    limited = segment_blocks(text, [Block(0, len(text))], Unit.SENTENCE, max_chars=5_000)
    _check_pieces(text, limited, max_chars=5_000)
    assert limited == whole  # the cuts fall at sentence ends, so the sentences are the same
