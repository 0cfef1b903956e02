"""Column widths from content: measured with Arial's metrics, never narrower than a word."""

from pathlib import Path

import pytest

from qualkit.export.docx_layout import (
    CELL_PADDING_PT,
    WIDTH_SLACK,
    ZERO_WIDTH_SPACE,
    Cell,
    Column,
    Run,
    breakable,
    column_widths,
    text_width,
)

LIBERATION = Path("/usr/share/fonts/truetype/liberation")


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_text_width_matches_liberation_sans(bold):
    fonts = sorted(LIBERATION.glob(f"LiberationSans-{'Bold' if bold else 'Regular'}.ttf"))
    if not fonts:
        pytest.skip(f"Liberation Sans (Arial's metric twin) not installed under {LIBERATION}")
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(fonts[0]))
    font.set_size(1000, 72)
    for word in ("Agreement", "Documents", "disadvantage", "Only Ben Roberts", "brookfield_leader.txt", "W/m-1"):
        expected = sum(font.load_char(ord(c)).horiAdvance / 64 for c in word) / 1000 * 10
        assert text_width(word, 10, bold=bold) == pytest.approx(expected * WIDTH_SLACK, rel=0.01), word


def test_text_width_outside_ascii_is_generous():
    assert text_width("κ", 10) >= text_width("m", 10)
    assert text_width(f"a{ZERO_WIDTH_SPACE}b", 10) == text_width("ab", 10)


def test_breakable_only_after_separators_inside_a_name():
    assert breakable("brookfield_pd_lead.docx") == f"brookfield_{ZERO_WIDTH_SPACE}pd_{ZERO_WIDTH_SPACE}lead." \
                                                  f"{ZERO_WIDTH_SPACE}docx"
    assert breakable("trust - culture") == "trust - culture"  # a dash between words is left alone
    assert breakable(".hidden_") == f".{ZERO_WIDTH_SPACE}hidden_"


def test_column_widths_fill_the_width_and_hold_the_longest_word():
    columns = [Column("Code"), Column("Agreement (%)", align="right"), Column("Only Ben Roberts", align="right")]
    rows = [[Cell.text("Hubs, networks, external providers and national programmes"), Cell.text("99.1"),
             Cell.text("12")]]
    widths = column_widths(columns, rows, 300.0)
    assert sum(widths) == pytest.approx(300.0)
    assert widths[1] >= text_width("Agreement", 8.5, bold=True) + CELL_PADDING_PT
    assert widths[2] >= text_width("Roberts", 8.5, bold=True) + CELL_PADDING_PT
    assert widths[0] > widths[1] and widths[0] > widths[2]  # the long text gets the spare room


def test_column_widths_identifier_needs_only_its_longest_piece():
    columns = [Column("Document"), Column("Text")]
    name = "a_long_transcript_file_name_from_the_archive.docx"
    as_identifier = column_widths(columns, [[Cell.text(name, identifier=True), Cell.text("x")]], 400.0)
    assert as_identifier is not None
    words = [[Cell.text(name), Cell.text("x")]]
    assert column_widths(columns, words, 200.0) is None  # as one word it cannot fit
    assert column_widths(columns, [[Cell.text(name, identifier=True), Cell.text("x")]], 200.0) is not None


def test_column_widths_none_when_words_cannot_fit():
    columns = [Column(f"Heading{i}") for i in range(12)]
    assert column_widths(columns, [], 300.0) is None


def test_column_widths_spanning_header_word_fits_its_columns():
    columns = [Column("n"), Column("%")]
    header = [[Cell.text("disadvantage = high", span=2)]]
    widths = column_widths(columns, header, 400.0)
    assert sum(widths) >= text_width("disadvantage", 8.5) + CELL_PADDING_PT


def test_run_widest_piece_splits_identifiers_at_separators():
    assert Run("one three", identifier=False).widest(10) == pytest.approx(text_width("three", 10))
    assert Run("ab_abcdef.c", identifier=True).widest(10) == pytest.approx(text_width("abcdef.", 10))
    assert Run("ab_abcdef.c").widest(10) == pytest.approx(text_width("ab_abcdef.c", 10))
    assert Run("NPQ", mark=True).widest(10) == pytest.approx(text_width("NPQ", 10, bold=True))
