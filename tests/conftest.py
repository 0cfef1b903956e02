"""Shared fixtures: a fresh project, a CLI runner, and builders for real .docx/.pdf/.vtt files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("QUALKIT_SHARED", ROOT.parent / "shared"))
POLICY = SHARED / "corpora" / "policy"
CORPUS = ROOT / "corpora" / "niot_case_study"
DATA = Path(__file__).resolve().parent / "data"


def require_shared() -> Path:
    if not POLICY.is_dir():
        pytest.skip(f"shared corpora not found at {SHARED} (set QUALKIT_SHARED)")
    return SHARED


@pytest.fixture
def project(tmp_path):
    from qualkit.project import Project

    with Project.init(tmp_path / "test.db") as opened:
        yield opened


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def nlp():
    import spacy

    return spacy.blank("en")


def write_docx(path: Path, paragraphs: list[str], *, table: list[list[str]] | None = None) -> Path:
    """A real Word file: an optional table first, then the paragraphs."""
    import docx

    document = docx.Document()
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(path)
    return path


def write_pdf(path: Path, pages: list[list[str]], *, header: str | None = None) -> Path:
    """A real PDF: one page per list of lines, with an optional running header and page footer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if font.exists():
        pdf.add_font("DejaVu", fname=str(font))
        pdf.set_font("DejaVu", size=11)
    else:
        pdf.set_font("Helvetica", size=11)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
        for line in lines:
            pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Page {number} of {len(pages)}")
    pdf.output(str(path))
    return path


VTT_SAMPLE = """WEBVTT

a1b2c3d4-0001
00:00:01.000 --> 00:00:04.000
<v Interviewer>Could you tell me about the early career support here?</v>

a1b2c3d4-0002
00:00:04.500 --> 00:00:08.000
<v Sarah Wilson>Yes, so every ECT has a mentor.</v>

a1b2c3d4-0003
00:00:08.000 --> 00:00:12.000
<v Sarah Wilson>We meet weekly &amp; look at the ECF materials together.</v>

a1b2c3d4-0004
00:00:12.500 --> 00:00:15.000
<v Interviewer>And how has that gone?</v>

a1b2c3d4-0005
00:01:15.000 --> 00:01:19.000
<v Sarah Wilson>Mostly well, though time is tight.</v>
"""


def write_odt(path: Path, paragraphs: list[str], *, table: list[list[str]] | None = None) -> Path:
    """A real OpenDocument text file (as LibreOffice writes it): an optional table, then paragraphs."""
    from odf import teletype
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    document = OpenDocumentText()
    if table:
        grid = Table(name="Details")
        grid.addElement(TableColumn(numbercolumnsrepeated=len(table[0])))
        for row in table:
            cells = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
                cells.addElement(cell)
            grid.addElement(cells)
        document.text.addElement(grid)
    for paragraph in paragraphs:
        element = P()
        teletype.addTextToElement(element, paragraph)  # spaces and tabs as <text:s>, <text:tab>
        document.text.addElement(element)
    document.save(str(path))
    return path


def write_rtf(path: Path, paragraphs: list[str]) -> Path:
    """An RTF file as WordPad writes it: a font table, one \\par per paragraph, non-ASCII escaped."""

    def escape(text: str) -> str:
        out = []
        for char in text:
            if char in "\\{}":
                out.append("\\" + char)
            elif ord(char) < 128:
                out.append(char)
            elif ord(char) < 256:
                out.append(f"\\'{ord(char):02x}")
            else:
                out.append(f"\\u{ord(char)}?")
        return "".join(out)

    body = "".join(f"\\pard\\sa200\\sl276\\slmult1\\f0\\fs22\\lang9 {escape(p)}\\par\r\n" for p in paragraphs)
    path.write_bytes(
        (
            "{\\rtf1\\ansi\\ansicpg1252\\deff0\\nouicompat\\deflang2057"
            "{\\fonttbl{\\f0\\fnil\\fcharset0 Calibri;}}\r\n"
            "{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1 \r\n"
            f"{body}}}\r\n"
        ).encode("ascii")
    )
    return path
