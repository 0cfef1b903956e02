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
