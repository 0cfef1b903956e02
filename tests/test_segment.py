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
