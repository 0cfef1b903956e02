"""Every transcript layout, from a file shaped the way the tool writes it, through extract().

Each test checks the speakers, turns and start times, and that no segment's text
(``text[start:end]``) holds a speaker label or a timestamp.
"""

import re

import pytest

from qualkit.errors import IngestError
from qualkit.ingest import ReadOptions, SourceFile, extract
from qualkit.records import DocumentKind, Unit
from qualkit.segment import segment_blocks
from tests.conftest import DATA, write_docx, write_odt, write_rtf

TRANSCRIPTS = DATA / "transcripts"
_CLOCK = re.compile(r"\d{1,2}:\d{2}")


def _read(path, kind="auto"):
    [document], warnings = extract(SourceFile(path, path.name), path.read_bytes(), ReadOptions(kind=kind))
    segments = segment_blocks(document.text, document.blocks, document.kind.natural_unit)
    return document, segments, warnings


def _turns(document, segments):
    """(speaker, seconds, first three words) per turn, after checking each turn is clean."""
    speakers = {s.speaker for s in segments}
    for segment in segments:
        span = document.text[segment.start:segment.end]
        assert not _CLOCK.search(span), f"a timestamp is left in {span!r}"
        for speaker in speakers:
            for line in span.split("\n"):
                assert not re.match(rf"\s*{re.escape(speaker)}\s*(:|\(|\[|\s\d)", line), f"label in {span!r}"
    return [(s.speaker, s.timestamp, " ".join(document.text[s.start:s.end].split()[:3])) for s in segments]


def test_extract_otter_txt(tmp_path):
    document, segments, _ = _read(TRANSCRIPTS / "otter.txt")
    assert document.kind is DocumentKind.TRANSCRIPT
    assert document.metadata["layout"] == "name-time"
    assert _turns(document, segments) == [
        ("Sarah Okafor", 3.0, "Thanks for making"),
        ("Jamie Lee", 11.0, "Sure. I'm in"),
        ("Sarah Okafor", 32.0, "And how has"),
        ("Jamie Lee", 38.0, "Honestly it gave"),
        ("Sarah Okafor", 65.0, "What would you"),
        ("Jamie Lee", 69.0, "More time with"),
    ]
    # a turn runs over its continuation lines; Otter's footer belongs to no turn
    assert document.text[segments[3].start:segments[3].end].endswith("than about the modules.")
    assert document.text[segments[-1].start:segments[-1].end].endswith("the best part.")
    assert "Transcribed by https://otter.ai" in document.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rev.txt", [
            ("Speaker 1", 3.0, "Okay, we're recording"),
            ("Dana Whitfield", 11.0, "No problem at"),
            ("Speaker 1", 20.0, "How do you"),
            ("Dana Whitfield", 26.0, "We look at"),
            ("Speaker 1", 62.0, "And the early"),
            ("Dana Whitfield", 67.0, "That's non-negotiable, every"),
        ]),
        ("rev_minutes.txt", [
            ("Interviewer", 2.0, "Could you tell"),
            ("Tom Reyes", 9.0, "Every ECT has"),
            ("Interviewer", 31.0, "Does that work?"),
            ("Tom Reyes", 34.0, "Mostly. Cover is"),
            ("Interviewer", 75.0, "Thank you."),
        ]),
    ],
    ids=["hours", "minutes"],
)
def test_extract_rev_txt(name, expected):
    document, segments, _ = _read(TRANSCRIPTS / name)
    assert document.kind is DocumentKind.TRANSCRIPT
    assert document.metadata["layout"] == "rev"
    assert _turns(document, segments) == expected


def test_extract_rev_turn_keeps_its_paragraphs():
    document, segments, _ = _read(TRANSCRIPTS / "rev.txt")
    assert document.text[segments[3].start:segments[3].end] == (
        "We look at the school development plan first.\n\n"
        "Then we talk to the person. It has to fit where they want to go."
    )


def test_extract_initials_and_participant_codes():
    document, segments, _ = _read(TRANSCRIPTS / "initials.txt")
    assert document.kind is DocumentKind.TRANSCRIPT
    assert [speaker for speaker, _, _ in _turns(document, segments)] == ["INT", "R1", "R2", "INT", "R1", "R2", "INT"]
    assert document.metadata["title"] == "Focus group 3, Riverside, early career teachers (fictional)"


def test_extract_bracketed_timestamps():
    document, segments, _ = _read(TRANSCRIPTS / "timestamped.txt")
    assert _turns(document, segments) == [
        ("Interviewer", 5.0, "Thanks for making"),
        ("Deputy Head", 12.0, "Happy to. PD"),
        ("Interviewer", 754.0, "How do you"),
        ("Deputy Head", 761.0, "We look at"),
        ("Interviewer", 3723.0, "Thank you."),
    ]


TEAMS_DOCX = [
    "Interview P07 - ECT induction-20250312_101502-Meeting Recording",
    "March 12, 2025, 10:15AM",
    "42m 7s",
    "Sarah Okafor started transcription",
    "Sarah Okafor   0:03",
    "Thanks for joining. Could you start with your role?",
    "Jamie Lee   0:09",
    "I'm an ECT in my second year, teaching Year 4.",
    "Sarah Okafor   0:21",
    "What has your mentor done that helped most?",
    "Jamie Lee   0:26",
    "Watching me teach and then planning the next lesson with me.",
    "Sarah Okafor   1:02:03",
    "Thank you, that's everything.",
]


def test_extract_teams_docx_download(tmp_path):
    path = write_docx(tmp_path / "teams.docx", TEAMS_DOCX)
    document, segments, _ = _read(path)
    assert document.kind is DocumentKind.TRANSCRIPT
    assert _turns(document, segments) == [
        ("Sarah Okafor", 3.0, "Thanks for joining."),
        ("Jamie Lee", 9.0, "I'm an ECT"),
        ("Sarah Okafor", 21.0, "What has your"),
        ("Jamie Lee", 26.0, "Watching me teach"),
        ("Sarah Okafor", 3723.0, "Thank you, that's"),
    ]
    # the preamble is metadata, kept in the text, in no turn
    assert document.metadata == {
        "layout": "name-time",
        "title": "Interview P07 - ECT induction-20250312_101502-Meeting Recording",
        "date": "March 12, 2025, 10:15AM",
        "duration": "42m 7s",
    }
    assert document.text.startswith("Interview P07")
    assert segments[0].start > document.text.index("started transcription")


HEADER_TABLE = [
    ["Participant ID", "P07"],
    ["Role", "ECT"],
    ["School", "Fellside CE Primary (fictional)"],
    ["Date:", "12 March 2025"],
    ["Interviewer", "SO"],
]
INITIALS_TURNS = [
    "SO: Could you tell me how your induction has gone?",
    "P07: Well, mostly. The weekly meetings with my mentor are the anchor.",
    "SO: And the training provider's sessions?",
    "P07: Useful in the first term, repetitive by the spring.",
    "SO: Thank you.",
]


@pytest.mark.parametrize("writer", [write_docx, write_odt], ids=["docx", "odt"])
def test_extract_word_header_table_and_initials(tmp_path, writer):
    path = writer(tmp_path / f"p07.{'docx' if writer is write_docx else 'odt'}", INITIALS_TURNS, table=HEADER_TABLE)
    document, segments, _ = _read(path)
    assert document.kind is DocumentKind.TRANSCRIPT
    assert document.attributes == {
        "Participant ID": "P07", "Role": "ECT", "School": "Fellside CE Primary (fictional)",
        "Date": "12 March 2025", "Interviewer": "SO",
    }
    assert _turns(document, segments) == [
        ("SO", None, "Could you tell"),
        ("P07", None, "Well, mostly. The"),
        ("SO", None, "And the training"),
        ("P07", None, "Useful in the"),
        ("SO", None, "Thank you."),
    ]
    # the table's words stay in the stored text, before the first turn
    assert document.text.index("Participant ID") < segments[0].start


def test_extract_odt_otter_layout_keeps_spacing(tmp_path):
    paragraphs = ["Sarah Okafor  0:03", "What does coaching look like here?", "Jamie Lee  0:08", "Fortnightly.",
                  "Sarah Okafor  0:15", "Does it help?", "Jamie Lee  0:18", "It does."]
    document, segments, _ = _read(write_odt(tmp_path / "otter.odt", paragraphs))
    assert [(s, t) for s, t, _ in _turns(document, segments)] == [
        ("Sarah Okafor", 3.0), ("Jamie Lee", 8.0), ("Sarah Okafor", 15.0), ("Jamie Lee", 18.0)
    ]
    assert "Sarah Okafor  0:03" in document.text  # odfpy's <text:s/> read back as the spaces written


def test_extract_rtf_transcript(tmp_path):
    path = write_rtf(tmp_path / "p03.rtf", [
        "Interview P03 (fictional)", "INT: How was the NPQ for SENCOs?",
        "P03: Demanding. The café chats with other SENCOs were the best bit.",
        "INT: Would you recommend it?", "P03: Yes — with protected time.",
    ])
    document, segments, _ = _read(path)
    assert document.reader == "rtf"
    assert _turns(document, segments) == [
        ("INT", None, "How was the"),
        ("P03", None, "Demanding. The café"),
        ("INT", None, "Would you recommend"),
        ("P03", None, "Yes — with"),
    ]


@pytest.mark.parametrize("name", ["teams.vtt", "zoom.vtt"])
def test_extract_teams_and_zoom_vtt(name):
    document, segments, _ = _read(TRANSCRIPTS / name)
    assert _turns(document, segments) == [
        ("Sarah Okafor", 3.12, "Thanks for joining."),
        ("Priya Shah", 8.01, "Of course. I'm"),
        ("Sarah Okafor", 17.0, "How many ECTs"),
        ("Priya Shah", 20.1, "Five, which is"),
    ]
    second = document.text[segments[1].start:segments[1].end]
    assert second.endswith("ECTs and their mentors, so induction is really my area.")


def test_extract_srt_unlabelled_captions_continue_the_turn():
    document, segments, _ = _read(TRANSCRIPTS / "unlabelled.srt")
    assert _turns(document, segments) == [
        ("Interviewer", 1.0, "What does the"),
        ("Kemi Adeyemi", 4.5, "Time to read,"),
        ("Interviewer", 15.0, "Anything it doesn't"),
        ("Kemi Adeyemi", 17.5, "Follow-up in school."),
    ]
    assert document.text[segments[1].start:segments[1].end].endswith("It makes you less insular.")


def test_extract_srt_bad_cue_time_warns_and_keeps_the_text():
    path = TRANSCRIPTS / "bad_cue.srt"
    document, segments, warnings = _read(path)
    assert [(s, t) for s, t, _ in _turns(document, segments)] == [
        ("Interviewer", 1.0), ("Jo Park", 4.5), ("Interviewer", 12.0)
    ]
    second = document.text[segments[1].start:segments[1].end]
    assert second == "Better than last year. We finally have release time for it."
    assert warnings == [
        f"{path}: 1 cue(s) with a time that cannot be read: cue 3 (line 10: '00:00:08,000 --> 00:0O:11,500'); "
        "their text was kept in the turn before (times must look like 00:01:02,500)"
    ]


def test_extract_unrecognised_transcript_names_layouts_and_first_lines(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes from the visit\n\n" + "x" * 300 + "\nthird line\nfourth line\n", encoding="utf-8")
    with pytest.raises(IngestError) as raised:
        _read(path, kind="transcript")
    message = str(raised.value)
    assert message.startswith(f"{path}: no transcript layout recognised")
    for layout in ("colon (", "rev (", "name-time ("):
        assert layout in message
    assert "'Meeting notes from the visit' | 'xxxxxxxx" in message
    assert "'third line'" in message and "fourth line" not in message  # three lines at most
    assert "x" * 60 not in message  # each line shortened
    assert "\n" not in message


def test_extract_forced_transcript_reads_otter(tmp_path):
    """Two turns are too few for `auto`, but `--kind transcript` reads them."""
    path = tmp_path / "short.txt"
    path.write_text("Sarah Okafor  0:03\nHello.\n\nJamie Lee  0:05\nHi.\n", encoding="utf-8")
    assert _read(path)[0].kind is DocumentKind.DOCUMENT
    document, segments, _ = _read(path, kind="transcript")
    assert _turns(document, segments) == [("Sarah Okafor", 3.0, "Hello."), ("Jamie Lee", 5.0, "Hi.")]


def test_extract_sentences_of_a_label_only_turn_stay_clean():
    document, _, _ = _read(TRANSCRIPTS / "otter.txt")
    sentences = segment_blocks(document.text, document.blocks, Unit.SENTENCE)
    assert sentences[0].speaker == "Sarah Okafor"
    assert all(not _CLOCK.search(document.text[s.start:s.end]) for s in sentences)
    assert document.text[sentences[0].start:sentences[0].end] == "Thanks for making the time."
