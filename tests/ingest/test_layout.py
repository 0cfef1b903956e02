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


def test_layouts_registry_names_are_unique_and_examples_are_readable():
    from qualkit.ingest.layout import LAYOUTS

    assert [layout.name for layout in LAYOUTS] == ["colon", "rev", "name-time"]
    examples = {"colon": "[00:12:34] Name: text", "rev": "Name (00:00:03):", "name-time": "Sarah Okafor  0:03"}
    for layout in LAYOUTS:
        match = layout.label.match(examples[layout.name])
        assert match and match["speaker"] in ("Name", "Sarah Okafor"), layout.name
        others = [other for other in LAYOUTS if other is not layout]
        assert not any(other.label.match(examples[layout.name]) for other in others), layout.name


def test_colon_lines_inside_an_otter_turn_do_not_start_turns():
    text = (
        "Sarah Okafor  0:03\nWhat happened next?\n\n"
        "Jamie Lee  0:10\nWe changed the plan. Mentor: that was the word on the door.\nMentor: twice.\n\n"
        "Sarah Okafor  0:40\nAnd then?\n\nJamie Lee  0:45\nIt worked.\n"
    )
    kind, turns = find_structure(text, "auto")
    assert kind is DocumentKind.TRANSCRIPT
    assert [t.speaker for t in turns] == ["Sarah Okafor", "Jamie Lee", "Sarah Okafor", "Jamie Lee"]
    assert text[turns[1].start:turns[1].end].endswith("Mentor: twice.")


def test_a_preamble_of_header_cells_does_not_stop_auto_detection():
    cells = "\n\n".join(["Participant ID", "P07", "Role", "ECT", "School", "Fellside", "Date", "12 March 2025"] * 2)
    turns = "\n\n".join(f"{s}: words {n}." for n, s in enumerate(["SO", "P07"] * 3))
    kind, blocks = find_structure(f"Interview\n\n{cells}\n\n{turns}", "auto")
    assert kind is DocumentKind.TRANSCRIPT and len(blocks) == 6


def test_label_without_words_makes_no_empty_turn():
    text = (
        "Interviewer (00:01):\nHello?\n\nKemi (00:03):\n\n"
        "Interviewer (00:09):\nStill there?\n\nKemi (00:12):\nYes.\n"
    )
    turns = speaker_turns(text)
    assert [(t.speaker, t.timestamp, text[t.start:t.end]) for t in turns] == [
        ("Interviewer", 1.0, "Hello?"), ("Interviewer", 9.0, "Still there?"), ("Kemi", 12.0, "Yes."),
    ]


def test_read_structure_forced_transcript_without_layout_raises():
    from qualkit.errors import IngestError
    from qualkit.ingest.layout import read_structure

    with pytest.raises(IngestError, match=r"^notes\.txt: no transcript layout recognised .* 'Just prose\.'"):
        read_structure("Just prose.\n\nMore prose.", "transcript", source="notes.txt")
    assert find_structure("Just prose.", "transcript") == (DocumentKind.TRANSCRIPT, ())


def test_numbered_labels_before_a_bare_colon_are_not_speakers():
    text = "\n\n".join([
        "Interviewer: Which year groups?", "Head: Two of them.\nYear 7: they get a tutor.\nYear 8: they don't.",
        "Interviewer: Why?", "Head: Money.\nYear 7: funded.\nYear 8: not.",
    ])
    assert [t.speaker for t in speaker_turns(text)] == ["Interviewer", "Head", "Interviewer", "Head"]
    assert [t.speaker for t in speaker_turns("Speaker 1  0:01\nHi.\n\nSpeaker 2  0:04\nHello.")] == [
        "Speaker 1", "Speaker 2"
    ]
