import pytest

from qualkit.ingest.layout import find_structure, paragraphs, parse_timestamp, speaker_turns
from qualkit.records import DocumentKind

TRANSCRIPT = """Interview transcript — Brookfield Primary (fictional)

[00:00:05] Interviewer: Thanks for making time.

[00:00:19] Headteacher: No problem. For example: our NPQ cohort.
A continuation line of the same answer.

[00:01:19] Interviewer: What next?

[00:02:00] Headteacher: More coaching.
"""


def test_speaker_turns_span_utterances_and_continuations():
    turns = speaker_turns(TRANSCRIPT)
    assert [t.speaker for t in turns] == ["Interviewer", "Headteacher", "Interviewer", "Headteacher"]
    assert [t.timestamp for t in turns] == [5.0, 19.0, 79.0, 120.0]
    second = TRANSCRIPT[turns[1].start:turns[1].end]
    assert second == "No problem. For example: our NPQ cohort.\nA continuation line of the same answer."


@pytest.mark.parametrize(
    ("line", "speaker", "seconds"),
    [
        ("[00:12:34] Deputy Head: Yes.", "Deputy Head", 754.0),
        ("00:12:34 Mentor: Yes.", "Mentor", 754.0),
        ("Joanne (12:34): Yes.", "Joanne", 754.0),
        ("NPQ Participant [01:00:00]: Yes.", "NPQ Participant", 3600.0),
    ],
    ids=["bracketed", "bare", "after-name", "after-name-square"],
)
def test_speaker_turns_timestamp_styles(line, speaker, seconds):
    turns = speaker_turns(line + "\n")
    assert turns[0].speaker == speaker
    assert turns[0].timestamp == seconds


def test_labels_that_do_not_recur_are_not_speakers():
    text = "Note: this is a policy.\n\nAims: several.\n\nMore text here."
    kind, blocks = find_structure(text, "auto")
    assert kind is DocumentKind.DOCUMENT
    assert len(blocks) == 3


def test_find_structure_auto_detects_transcript():
    kind, blocks = find_structure(TRANSCRIPT, "auto")
    assert kind is DocumentKind.TRANSCRIPT
    assert len(blocks) == 4


def test_find_structure_forced_document_keeps_paragraphs():
    kind, blocks = find_structure(TRANSCRIPT, "document")
    assert kind is DocumentKind.DOCUMENT
    assert len(blocks) == 5


def test_paragraphs_single_newlines_when_no_blank_lines():
    text = "first line\nsecond line\n  third  "
    assert [text[b.start:b.end] for b in paragraphs(text)] == ["first line", "second line", "third"]


def test_parse_timestamp_fractional():
    assert parse_timestamp("01:02:03,500") == 3723.5
