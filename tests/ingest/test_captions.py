import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.captions import read_captions
from qualkit.records import DocumentKind
from tests.conftest import VTT_SAMPLE


def test_read_vtt_merges_cues_into_speaker_turns(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(VTT_SAMPLE, encoding="utf-8")
    [raw], _ = read_captions(path, path.read_bytes(), ReadOptions())
    assert raw.kind is DocumentKind.TRANSCRIPT
    turns = [(b.speaker, b.timestamp, raw.text[b.start:b.end]) for b in raw.blocks]
    assert turns == [
        ("Interviewer", 1.0, "Could you tell me about the early career support here?"),
        ("Sarah Wilson", 4.5,
         "Yes, so every ECT has a mentor. We meet weekly & look at the ECF materials together."),
        ("Interviewer", 12.5, "And how has that gone?"),
        ("Sarah Wilson", 75.0, "Mostly well, though time is tight."),
    ]
    assert raw.text.startswith("[00:00:01] Interviewer: Could you")


def test_read_srt_with_name_prefixes(tmp_path):
    path = tmp_path / "zoom.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nJo Smith: We use the NPQ.\n\n"
        "2\n00:00:03,000 --> 00:00:05,000\nJo Smith: It helps.\n\n"
        "3\n00:00:05,000 --> 00:00:07,000\nInterviewer: Thanks.\n",
        encoding="utf-8",
    )
    [raw], _ = read_captions(path, path.read_bytes(), ReadOptions())
    assert [(b.speaker, raw.text[b.start:b.end]) for b in raw.blocks] == [
        ("Jo Smith", "We use the NPQ. It helps."),
        ("Interviewer", "Thanks."),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "the file is empty"), ("not a caption file\nat all", "not a valid VTT caption file")],
    ids=["empty", "malformed"],
)
def test_read_vtt_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.vtt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        read_captions(path, path.read_bytes(), ReadOptions())


def _turns(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    [raw], warnings = read_captions(path, path.read_bytes(), ReadOptions())
    return [(b.speaker, b.timestamp, raw.text[b.start:b.end]) for b in raw.blocks], warnings


def test_read_vtt_voice_with_class_notes_and_blank_line_in_text(tmp_path):
    turns, warnings = _turns(tmp_path, "a.vtt", (
        "WEBVTT\nKind: captions\n\nNOTE exported 00:00:00.000 --> never mind\n\n"
        "00:01.000 --> 00:04.000\n<v.loud Jo Park>We start</v>\n\nat eight.\n\n"
        "00:05.000 --> 00:06.000 align:start\n<v Interviewer>Why?</v>\n"
    ))
    assert turns == [("Jo Park", 1.0, "We start at eight."), ("Interviewer", 5.0, "Why?")]
    assert warnings == []


def test_read_srt_cue_without_blank_line_before_it(tmp_path):
    turns, _ = _turns(tmp_path, "b.srt", (
        "1\n00:00:01,000 --> 00:00:02,000\nAmy: One.\n2\n00:00:02,000 --> 00:00:03,000\nBen: Two.\n"
    ))
    assert turns == [("Amy", 1.0, "One."), ("Ben", 2.0, "Two.")]


def test_read_srt_captions_without_any_speaker_stay_cues(tmp_path):
    turns, _ = _turns(tmp_path, "c.srt", (
        "1\n00:00:01,000 --> 00:00:02,000\nFirst line.\n\n2\n00:00:02,000 --> 00:00:03,000\nSecond line.\n"
    ))
    assert turns == [(None, 1.0, "First line."), (None, 2.0, "Second line.")]


def test_read_srt_bad_first_cue_starts_a_turn_without_time(tmp_path):
    turns, warnings = _turns(tmp_path, "d.srt", (
        "1\n00:00:xx,000 --> 00:00:02,000\nAmy: One.\n\n2\n00:00:02,000 --> 00:00:03,000\nBen: Two.\n"
    ))
    assert turns == [("Amy", None, "One."), ("Ben", 2.0, "Two.")]
    assert "cue 1 (line 2: '00:00:xx,000 --> 00:00:02,000')" in warnings[0]


def test_read_srt_many_bad_cues_are_counted_not_all_listed(tmp_path):
    content = "1\n00:00:01,000 --> 00:00:02,000\nAmy: One.\n\n" + "".join(
        f"{n}\n00:00:0{n},000 --> 00:00:9x,000\nText {n}.\n\n" for n in range(2, 8)
    )
    turns, [warning] = _turns(tmp_path, "f.srt", content)
    assert turns == [("Amy", 1.0, "One. Text 2. Text 3. Text 4. Text 5. Text 6. Text 7.")]
    assert warning.count("cue ") == 3 and warning.endswith(
        "and 3 more; their text was kept in the turn before (times must look like 00:01:02,500)"
    )
    assert "6 cue(s)" in warning
