"""Imported selections land on the words they meant, whatever position convention the exporter used."""

from __future__ import annotations

import pytest

from qualkit.refi import read_qdpx
from qualkit.refi.positions import CODE_POINTS, CODE_POINTS_CRLF2, UTF16, UTF16_CRLF2, TextIndex
from tests.refi import make_qdpx, utf16_units

SOURCE = "11111111-1111-4111-8111-111111111111"
CODE = "22222222-2222-4222-8222-222222222222"


def _project(origin: str, text_file: str, positions: list[tuple[int, int]]) -> str:
    selections = "".join(
        f'<PlainTextSelection guid="33333333-3333-4333-8333-{n:012d}" startPosition="{a}" endPosition="{b}">'
        f'<Coding guid="44444444-4444-4444-8444-{n:012d}"><CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>'
        for n, (a, b) in enumerate(positions)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="{origin}">'
        f'<CodeBook><Codes><Code guid="{CODE}" name="Theme" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{SOURCE}" name="doc" plainTextPath="internal://{text_file}">{selections}'
        "</TextSource></Sources></Project>"
    )


def _slices(project) -> list[str]:
    text = project.sources[0].text
    return [text[coding.start:coding.end] for coding in project.codings]


def _read(tmp_path, origin: str, raw: str, words: list[str], measure) -> tuple[list[str], tuple[str, ...]]:
    """Export ``raw`` with ``words`` selected, positions measured by ``measure(prefix)``; read it back."""
    positions = []
    for word in words:
        start = raw.index(word)
        positions.append((measure(raw[:start]), measure(raw[:start + len(word)])))
    path = make_qdpx(tmp_path / "p.qdpx", _project(origin, "doc.txt", positions), {"sources/doc.txt": raw})
    project = read_qdpx(path)
    return _slices(project), project.warnings


EMOJI_TEXT = "Great 😀😀 day. We value 🎉 trust and mentoring here. 🙂 Workload is high, 👩‍🏫 staff say."
EMOJI_WORDS = ["trust", "mentoring", "Workload is high", "staff say"]
CRLF_TEXT = "Line one.\r\nWe trust\r\nthe mentors here.\r\n\r\nWorkload is high.\r\n"
CRLF_WORDS = ["trust", "mentors", "Workload is high"]


def test_positions_utf16_units_after_emoji_land_on_words(tmp_path):
    slices, warnings = _read(tmp_path, "SomeQDA 2.0", EMOJI_TEXT, EMOJI_WORDS, utf16_units)
    assert slices == EMOJI_WORDS
    assert any("UTF-16 code units" in warning and "SomeQDA" in warning for warning in warnings)


def test_positions_crlf_counted_twice_land_on_words(tmp_path):
    slices, warnings = _read(tmp_path, "OtherQDA 5", CRLF_TEXT, CRLF_WORDS, len)
    assert slices == CRLF_WORDS
    assert any("code points with CRLF line breaks counted as 2" in warning for warning in warnings)


def test_positions_nvivo_windows_utf16_and_crlf(tmp_path):
    raw = "Intro 😀 line.\r\nWe trust 🎉 the\r\nmentors a lot.\r\n"
    slices, warnings = _read(tmp_path, "NVivo 14.23.0 (Windows)", raw, ["trust", "mentors a lot"], utf16_units)
    assert slices == ["trust", "mentors a lot"]
    assert any("UTF-16 code units with CRLF line breaks counted as 2" in warning for warning in warnings)


def test_positions_atlas_style_crlf_as_one_needs_no_conversion(tmp_path):
    normalised = CRLF_TEXT.replace("\r\n", "\n")
    positions = [(normalised.index(w), normalised.index(w) + len(w)) for w in CRLF_WORDS]
    path = make_qdpx(tmp_path / "p.qdpx", _project("ATLAS.ti 23", "doc.txt", positions), {"sources/doc.txt": CRLF_TEXT})
    project = read_qdpx(path)
    assert _slices(project) == CRLF_WORDS
    assert project.sources[0].text == normalised
    assert project.warnings == ()


def test_positions_code_points_with_emoji_need_no_conversion(tmp_path):
    slices, warnings = _read(tmp_path, "QualCoder 3.5", EMOJI_TEXT, EMOJI_WORDS, len)
    assert slices == EMOJI_WORDS
    assert warnings == ()


def test_positions_bom_and_crlf_source_file(tmp_path):
    raw = "\ufeff" + CRLF_TEXT
    slices, warnings = _read(tmp_path, "OtherQDA 5", raw, CRLF_WORDS, lambda prefix: len(prefix) - 1)
    assert slices == CRLF_WORDS


def test_positions_outside_the_text_are_skipped_with_a_warning(tmp_path):
    qde = _project("X", "doc.txt", [(0, 5), (50, 400)])
    path = make_qdpx(tmp_path / "p.qdpx", qde, {"sources/doc.txt": "Hello world"})
    project = read_qdpx(path)
    assert _slices(project) == ["Hello"]
    assert any("1 selection(s) fall outside their source text" in warning for warning in project.warnings)


@pytest.mark.parametrize(
    ("convention", "position", "expected"),
    [
        (CODE_POINTS, 3, (3, True)),
        (UTF16, 3, (2, False)),  # between the surrogates of 😀: snaps to its start
        (UTF16, 4, (3, True)),
        (CODE_POINTS_CRLF2, 6, (5, True)),
        (UTF16_CRLF2, 7, (5, True)),
        (CODE_POINTS, 99, (None, False)),
    ],
    ids=["cp", "utf16-inside-pair", "utf16", "crlf2", "utf16-crlf2", "outside"],
)
def test_positions_text_index_maps_foreign_offsets(convention, position, expected):
    index = TextIndex("ab😀c\r\nd")  # normalised: "ab😀c\nd"
    assert index.text == "ab😀c\nd"
    assert index.to_index(position, convention, end=False) == expected


def test_positions_one_sloppy_selection_does_not_flip_the_convention(tmp_path):
    normalised = CRLF_TEXT.replace("\r\n", "\n")
    start = normalised.index("trust")
    sloppy = (start, start + len("trust\nt"))  # ends one letter into the next line
    path = make_qdpx(tmp_path / "p.qdpx", _project("OtherQDA 5", "doc.txt", [sloppy]), {"sources/doc.txt": CRLF_TEXT})
    project = read_qdpx(path)
    assert _slices(project) == ["trust\nt"]
    assert project.warnings == ()
