import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.rtf import read_rtf
from tests.conftest import write_rtf


def test_read_rtf_paragraphs_and_escaped_characters(tmp_path):
    path = write_rtf(tmp_path / "a.rtf", ["Café {notes}", "SO: It’s fine — mostly.", "P07: Yes."])
    [raw], warnings = read_rtf(path, path.read_bytes(), ReadOptions())
    assert raw.text == "Café {notes}\nSO: It’s fine — mostly.\nP07: Yes."
    assert raw.blocks is None and warnings == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"Interviewer: hello", r"not an RTF file \(it does not start with '\{\\rtf'\)"),
        (b"{\\rtf1\\ansi {\\*\\generator x;}}", "the RTF file has no text"),
    ],
    ids=["empty", "not-rtf", "no-text"],
)
def test_read_rtf_bad_files(tmp_path, data, message):
    path = tmp_path / "bad.rtf"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message):
        read_rtf(path, data, ReadOptions())
