"""Word layout plumbing for the report writers: fonts, runs, fields, bookmarks, sections, and
tables whose column widths come from their content.

Text is set in Arial, whose metrics LibreOffice's Liberation Sans copies exactly, so a PDF made
with LibreOffice breaks lines where Word does. Widths are measured with Arial's advance widths
(:func:`text_width`), so a column is never narrower than its longest word: a header never
breaks inside a word. Long identifiers (file names, code keys) may break after ``_ . / -``
instead, through a zero-width space, where their column is too narrow for them.

Tables can hold thousands of cells, so rows, paragraphs and runs are built with lxml directly
rather than through python-docx's proxies, which check the schema order on every property.
python-docx is imported inside the functions that need it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document

BODY_FONT = "Arial"
MONO_FONT = "Courier New"
BODY_SIZE = 10.0
TABLE_SIZE = 8.5
GREY = "595959"
MARK_COLOUR = "1F4E79"  # matched evidence words: bold and dark blue, legible in greyscale too
TABLE_STYLE = "Light Grid Accent 1"
CELL_PADDING_PT = 10.8 + 2.0  # Word's default cell margins (2 × 0.19 cm) and a little slack
WIDTH_SLACK = 1.04  # measured widths are scaled up by this, for kerning and rounding in renderers
ZERO_WIDTH_SPACE = "\u200b"
EMU_PER_PT = 12700

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML
_SEPARATOR = re.compile(r"(?<=[_./\\-])(?=[^\s_./\\-])")
_LOOK_BITS = {"firstRow": 0x20, "lastRow": 0x40, "firstColumn": 0x80, "lastColumn": 0x100, "noHBand": 0x200,
              "noVBand": 0x400}

# Advance widths of Arial (= Liberation Sans) for ASCII 32-126, in 1/1000 em.
_ARIAL = (278, 278, 355, 556, 556, 890, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
          556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 723, 722, 667, 611, 778, 722, 278,
          500, 667, 556, 833, 722, 778, 667, 778, 723, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
          556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
          278, 556, 500, 722, 500, 500, 500, 335, 260, 334, 584)
_ARIAL_BOLD = (278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
               556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778,
               722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 723, 667, 611, 722, 667, 944, 667, 667, 611, 333,
               278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
               611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584)
_OTHER = 1000  # a character outside ASCII (κ, α, …, accented letters) is given a full em: never too narrow


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` in points, set in Arial at ``size``."""
    words = text.split(" ")
    em = sum(_word_em(word, bold) for word in words) + (len(words) - 1) * (_ARIAL_BOLD if bold else _ARIAL)[0]
    return em * size / 1000 * WIDTH_SLACK


@functools.lru_cache(maxsize=1 << 16)
def _word_em(word: str, bold: bool) -> int:
    """A word's advance width in 1/1000 em; words recur, so each is measured once."""
    table = _ARIAL_BOLD if bold else _ARIAL
    total = 0
    for character in word:
        code = ord(character)
        if 32 <= code <= 126:
            total += table[code - 32]
        elif code >= 32 and character != ZERO_WIDTH_SPACE:  # control characters and the zero-width space take none
            total += _OTHER
    return total


def breakable(text: str) -> str:
    """``text`` with a zero-width space after each ``_ . / \\ -`` inside it, where a line may break."""
    return _SEPARATOR.sub(ZERO_WIDTH_SPACE, text)


# ------------------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Run:
    """A piece of text with one look. ``identifier`` text (file names, keys) may break after
    its separators; ``mark`` is matched evidence (bold, dark blue)."""

    text: str
    bold: bool = False
    italic: bool = False
    color: str | None = None
    size: float | None = None
    font: str | None = None
    mark: bool = False
    identifier: bool = False

    def widest(self, size: float) -> float:
        """Width in points of the longest piece of this run that cannot be broken."""
        bold = self.bold or self.mark
        words = _SEPARATOR.split(self.text) if self.identifier else [self.text]
        em = max((_word_em(piece, bold) for part in words for piece in part.split()), default=0)
        return em * (self.size or size) / 1000 * WIDTH_SLACK


@dataclass(frozen=True)
class Cell:
    """A table cell: paragraphs of runs. ``span`` columns wide; ``fill`` a background colour."""

    paragraphs: tuple[tuple[Run, ...], ...] = ()
    align: str | None = None
    fill: str | None = None
    span: int = 1

    @classmethod
    def text(cls, text: str, **look) -> Cell:
        align, fill, span = look.pop("align", None), look.pop("fill", None), look.pop("span", 1)
        return cls(((Run(text, **look),),) if text else (), align=align, fill=fill, span=span)


@dataclass(frozen=True)
class Column:
    """A column: its header and the least and most of the text width it may take (fractions)."""

    title: str = ""
    align: str | None = None
    least: float = 0.0
    most: float = 1.0


@dataclass
class Contents:
    """Headings recorded as the document is written, for the contents list."""

    entries: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, bookmark)
    next_id: int = 1


def paragraph_widths(paragraph: Sequence[Run], size: float) -> tuple[float, float]:
    """(widest unbreakable piece, whole line) of a paragraph, in points."""
    widest = max((run.widest(size) for run in paragraph), default=0.0)
    if any("\n" in run.text for run in paragraph):
        lines = "".join(run.text for run in paragraph).split("\n")
        return (widest, max(text_width(line, size) for line in lines))
    whole = sum(text_width(run.text, run.size or size, bold=run.bold or run.mark) for run in paragraph)
    return (widest, whole)


def column_widths(columns: Sequence[Column], rows: Iterable[Sequence[Cell]], available: float, *,
                  size: float = TABLE_SIZE) -> list[float] | None:
    """Column widths in points that add up to ``available``, each at least its widest word;
    space beyond that goes to the columns whose text is longest. ``None`` if the words do not
    fit at all (the caller turns the page or makes the text smaller)."""
    n = len(columns)
    least = [text_width(w, size, bold=True) for w in (max(c.title.split(), key=len, default="") for c in columns)]
    most = [text_width(c.title, size, bold=True) for c in columns]
    spans: list[tuple[int, int, float]] = []
    for row in rows:
        index = 0
        for cell in row:
            widest, whole = 0.0, 0.0
            for paragraph in cell.paragraphs:
                a, b = paragraph_widths(paragraph, size)
                widest, whole = max(widest, a), max(whole, b)
            if cell.span == 1 and index < n:
                least[index] = max(least[index], widest)
                most[index] = max(most[index], whole)
            elif cell.span > 1:
                spans.append((index, cell.span, widest))
            index += cell.span
    least = [w + CELL_PADDING_PT for w in least]
    most = [max(m + CELL_PADDING_PT, w) for m, w in zip(most, least, strict=True)]
    for index, column in enumerate(columns):
        least[index] = max(least[index], column.least * available)
        most[index] = min(max(most[index], least[index]), max(column.most * available, least[index]))
    for start, span, widest in spans:  # a spanning cell's longest word fits across its columns
        short = widest + CELL_PADDING_PT - sum(least[start:start + span])
        if short > 0:
            least[start + span - 1] += short
            most[start + span - 1] = max(most[start + span - 1], least[start + span - 1])
    if sum(least) > available + 0.5:
        return None
    if sum(most) <= available:
        spare = available - sum(most)
        total = sum(most) or 1.0
        return [m + spare * m / total for m in most]
    room = available - sum(least)
    wants = [m - w for m, w in zip(most, least, strict=True)]
    total = sum(wants) or 1.0
    return [w + room * want / total for w, want in zip(least, wants, strict=True)]


# ------------------------------------------------------------------------------------ document


def new_document(*, title: str, subject: str, author: str | None) -> Document:
    """A blank A4 document with Arial throughout (headings too) and the file's properties set."""
    import docx
    from docx.shared import Cm, Pt

    doc = docx.Document()
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Caption",
                 "List Bullet", "TOC Heading"):
        style = doc.styles[name]
        _set_style_font(style, BODY_FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for level, (size, before) in enumerate(((16, 16), (13, 12), (11, 10)), start=1):
        heading = doc.styles[f"Heading {level}"]
        heading.font.size = Pt(size)
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(4)
        heading.paragraph_format.keep_with_next = True
    doc.styles["Caption"].font.size = Pt(9)
    doc.styles["List Bullet"].paragraph_format.space_after = Pt(2)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    properties = doc.core_properties
    properties.title = title
    properties.subject = subject
    properties.author = author or ""
    properties.comments = "Generated with qualkit"
    return doc


def _set_style_font(style, font: str) -> None:
    """Set a style's font for every script, dropping the theme fonts that would override it."""
    from docx.oxml.ns import qn

    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attribute}"), font)


def update_fields_on_open(doc: Document) -> None:
    """Ask Word to refresh fields (contents page numbers) when the file is opened."""
    from docx.oxml.ns import qn

    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        settings.append(settings.makeelement(qn("w:updateFields"), {qn("w:val"): "true"}))


def heading(doc: Document, text: str, level: int, contents: Contents | None = None, *, new_page: bool = False,
            listed: bool = True):
    """A heading paragraph; with ``contents``, bookmarked and recorded for the contents list."""
    paragraph = doc.add_heading(text, level=level)
    if new_page:
        paragraph.paragraph_format.page_break_before = True
    if contents is not None and listed:
        name = f"_Toc_qk{contents.next_id}"
        bookmark(paragraph, name, contents.next_id)
        contents.entries.append((level, text, name))
        contents.next_id += 1
    return paragraph


def bookmark(paragraph, name: str, number: int) -> None:
    from docx.oxml.ns import qn

    p = paragraph._p
    start = p.makeelement(qn("w:bookmarkStart"), {qn("w:id"): str(number), qn("w:name"): name})
    end = p.makeelement(qn("w:bookmarkEnd"), {qn("w:id"): str(number)})
    ppr = p.pPr
    p.insert(p.index(ppr) + 1 if ppr is not None else 0, start)
    p.append(end)


def contents_list(anchor, entries: Sequence[tuple[int, str, str]], *, right_edge_pt: float) -> None:
    """Write the contents before paragraph ``anchor``: each heading as text, linked to it, with
    its page number as a PAGEREF field (LibreOffice computes it when making a PDF; Word when
    fields are updated, which it offers on opening)."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for level, text, name in entries:
        paragraph = anchor.insert_paragraph_before()
        paragraph_format = paragraph.paragraph_format
        paragraph_format.left_indent = Pt(14 * (level - 1))
        paragraph_format.space_before = Pt(5 if level == 1 else 0)
        paragraph_format.space_after = Pt(1)
        paragraph_format.tab_stops.add_tab_stop(Pt(right_edge_pt), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        link = paragraph._p.makeelement(qn("w:hyperlink"), {qn("w:anchor"): name, qn("w:history"): "1"})
        paragraph._p.append(link)
        run(link, text, bold=level == 1)
        run(link, "\t")
        add_field(link, f"PAGEREF {name} \\h", "")


def add_field(paragraph, instruction: str, placeholder: str, **style) -> None:
    """A complex field (begin, instruction, separate, shown result, end) that Word updates."""
    from docx.oxml.ns import qn

    def fld_char(kind: str):
        r = run(paragraph, "", **style)
        r.append(r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind}))

    fld_char("begin")
    r = run(paragraph, "", **style)
    instr = r.makeelement(qn("w:instrText"), {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
    instr.text = f" {instruction} "
    r.append(instr)
    fld_char("separate")
    if placeholder:
        run(paragraph, placeholder, **style)
    fld_char("end")


def page_footer(section, label: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(paragraph, f"{label} · page ", color=GREY, size=8)
    add_field(paragraph, "PAGE", "1", color=GREY, size=8)
    run(paragraph, " of ", color=GREY, size=8)
    add_field(paragraph, "NUMPAGES", "1", color=GREY, size=8)


def new_section(doc: Document, *, landscape: bool, footer: str):
    """A section on a new page (the break itself starts the page: nothing else may, or a blank
    page appears)."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    short, long = sorted((section.page_width, section.page_height))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    page_footer(section, footer)
    return section


def text_width_pt(doc: Document, *, section: int = -1) -> float:
    """Width between the margins of a section (the last by default), in points."""
    chosen = doc.sections[section]
    return (_emu(chosen.page_width) - _emu(chosen.left_margin) - _emu(chosen.right_margin)) / EMU_PER_PT


def text_height_pt(doc: Document) -> float:
    section = doc.sections[-1]
    return (_emu(section.page_height) - _emu(section.top_margin) - _emu(section.bottom_margin)) / EMU_PER_PT


def _emu(length: int | None) -> int:
    return int(length or 0)


# --------------------------------------------------------------------------------------- runs


def run(paragraph, text: str, *, bold: bool = False, italic: bool = False, color: str | None = None,
        size: float | None = None, font: str | None = None):
    """Append a run to a paragraph (python-docx or lxml); newlines become line breaks."""
    from docx.oxml.ns import qn

    p = getattr(paragraph, "_p", paragraph)
    r = p.makeelement(qn("w:r"), {})
    p.append(r)
    properties = []
    if font:
        properties.append(("w:rFonts", {qn(f"w:{a}"): font for a in ("ascii", "hAnsi", "cs", "eastAsia")}))
    if bold:
        properties.append(("w:b", {}))
    if italic:
        properties.append(("w:i", {}))
    if color:
        properties.append(("w:color", {qn("w:val"): color}))
    if size:
        half_points = str(round(size * 2))
        properties += [("w:sz", {qn("w:val"): half_points}), ("w:szCs", {qn("w:val"): half_points})]
    if properties:
        rpr = r.makeelement(qn("w:rPr"), {})
        r.append(rpr)
        for tag, attributes in properties:
            rpr.append(rpr.makeelement(qn(tag), attributes))
    for index, line in enumerate(_CONTROL.sub("", text).split("\n")):
        if index:
            r.append(r.makeelement(qn("w:br"), {}))
        for part_index, part in enumerate(line.split("\t")):
            if part_index:
                r.append(r.makeelement(qn("w:tab"), {}))
            if part:
                t = r.makeelement(qn("w:t"), {})
                t.text = part
                if part != part.strip():
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                r.append(t)
    return r


def write_runs(paragraph, runs: Sequence[Run], *, size: float | None = None, width: float | None = None) -> None:
    """Write ``runs``; identifiers wider than ``width`` (points) get break points at separators."""
    for piece in runs:
        text = piece.text
        if piece.identifier and width is not None and text_width(text, piece.size or size or BODY_SIZE) > width:
            text = breakable(text)
        run(paragraph, text, bold=piece.bold or piece.mark, italic=piece.italic,
            color=MARK_COLOUR if piece.mark else piece.color, size=piece.size or size, font=piece.font)


def format_cell_paragraph(p, *, align: str | None = None, keep_next: bool = False) -> None:
    """Tight spacing for a fresh paragraph (one without properties) in a table cell."""
    from docx.oxml.ns import qn

    p = getattr(p, "_p", p)
    ppr = p.makeelement(qn("w:pPr"), {})
    p.insert(0, ppr)
    if keep_next:
        ppr.append(ppr.makeelement(qn("w:keepNext"), {}))
    ppr.append(ppr.makeelement(qn("w:spacing"), {qn("w:before"): "0", qn("w:after"): "40", qn("w:line"): "240",
                                                   qn("w:lineRule"): "auto"}))
    if align in ("right", "center"):
        ppr.append(ppr.makeelement(qn("w:jc"), {qn("w:val"): align}))


# ------------------------------------------------------------------------------------- tables


class Table:
    """A table filled row by row, its widths fixed up front.

    python-docx's ``Table.add_row`` looks the column grid up again for every row, which gets
    slower as the table grows; this keeps the widths, so adding a row costs the same at row 5
    and row 5,000.
    """

    def __init__(self, doc: Document, widths_pt: Sequence[float], *, header: bool = True, banded: bool = True,
                 size: float = TABLE_SIZE):
        from docx.oxml.ns import qn
        from docx.shared import Emu

        self.size = size
        self.widths = list(widths_pt)
        self.table = doc.add_table(rows=0, cols=len(widths_pt))
        self.table.style = doc.styles[TABLE_STYLE]
        self.table.autofit = False
        look = self.table._tbl.tblPr.find(qn("w:tblLook"))
        if look is not None:  # which parts of the table style apply; some readers use the bit mask, some the flags
            flags = {"firstRow": header, "lastRow": False, "firstColumn": False, "lastColumn": False,
                     "noHBand": not banded, "noVBand": True}
            for flag, on in flags.items():
                look.set(qn(f"w:{flag}"), "1" if on else "0")
            look.set(qn("w:val"), f"{sum(bit for flag, bit in _LOOK_BITS.items() if flags[flag]):04X}")
        for column, width in zip(self.table.columns, widths_pt, strict=True):
            column.width = Emu(int(width * EMU_PER_PT))

    def add_row(self, cells: Sequence[Cell], *, header: bool = False, keep_whole: bool = True,
                keep_with_next: bool = False):
        """One row of ``cells`` (spanning cells count for their ``span``)."""
        from docx.oxml.ns import qn
        from docx.table import _Row

        tbl = self.table._tbl
        tr = tbl.makeelement(qn("w:tr"), {})
        tbl.append(tr)
        if header or keep_whole:
            trpr = tr.makeelement(qn("w:trPr"), {})
            tr.append(trpr)
            if keep_whole:
                trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))
            if header:
                trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))
        index = 0
        for cell in cells:
            width = sum(self.widths[index:index + cell.span])
            index += cell.span
            tc = tr.makeelement(qn("w:tc"), {})
            tr.append(tc)
            tcpr = tc.makeelement(qn("w:tcPr"), {})
            tc.append(tcpr)
            tcpr.append(tcpr.makeelement(qn("w:tcW"), {qn("w:w"): str(round(width * 20)), qn("w:type"): "dxa"}))
            if cell.span > 1:
                tcpr.append(tcpr.makeelement(qn("w:gridSpan"), {qn("w:val"): str(cell.span)}))
            if cell.fill:
                tcpr.append(tcpr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto",
                                                           qn("w:fill"): cell.fill}))
            paragraphs = cell.paragraphs or ((),)
            for runs in paragraphs:
                p = tc.makeelement(qn("w:p"), {})
                tc.append(p)
                format_cell_paragraph(p, align=cell.align, keep_next=keep_with_next)
                write_runs(p, [Run(r.text, bold=r.bold or header, italic=r.italic, color=r.color, size=r.size,
                                   font=r.font, mark=r.mark, identifier=r.identifier) for r in runs],
                           size=self.size, width=width - CELL_PADDING_PT)
        return _Row(tr, self.table)


def add_table(doc: Document, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *,
              header_rows: Sequence[Sequence[Cell]] | None = None, size: float = TABLE_SIZE, banded: bool = True,
              keep_whole: bool = True, min_size: float = 7.0) -> Table:
    """A table spanning the text width with widths from its content, its header row(s)
    repeated on every page. If its words do not fit, the text is made smaller, down to
    ``min_size`` points; below that the widest words overflow rather than break."""
    headers = list(header_rows) if header_rows is not None else (
        [[Cell.text(c.title, align=c.align) for c in columns]] if any(c.title for c in columns) else [])
    available = text_width_pt(doc)
    widths = None
    while widths is None:
        widths = column_widths(columns, [*headers, *rows], available, size=size)
        if widths is None and size - 0.5 >= min_size:
            size -= 0.5
        elif widths is None:
            widths = [available / len(columns)] * len(columns)
    table = Table(doc, widths, header=bool(headers), banded=banded, size=size)
    for row in headers:
        table.add_row(row, header=True)
    for row in rows:
        table.add_row(row, keep_whole=keep_whole)
    return table


def fits(doc: Document, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, size: float = TABLE_SIZE,
         width_pt: float | None = None) -> bool:
    """Whether the table's words fit across ``width_pt`` (default: the current text width)."""
    return column_widths(columns, rows, width_pt or text_width_pt(doc), size=size) is not None


def picture(doc: Document, png: bytes, *, max_height_fraction: float = 0.85) -> None:
    """A centred picture at its drawn size, or smaller to fit the text width and height."""
    import io

    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image
    from docx.oxml.ns import qn
    from docx.shared import Emu

    from qualkit.errors import ExportError

    try:
        image = Image.from_blob(png)
    except UnrecognizedImageError:
        raise ExportError("a figure for the report is not an image Word can show; pass PNG bytes") from None
    width_limit = int(text_width_pt(doc) * EMU_PER_PT)
    height_limit = int(text_height_pt(doc) * EMU_PER_PT * max_height_fraction)
    dpi = image.horz_dpi or 72
    natural_width = int(image.px_width / dpi * 72 * EMU_PER_PT) if image.px_width else width_limit
    ratio = image.px_height / image.px_width if image.px_width else 1
    width = min(natural_width, width_limit, int(height_limit / ratio) if ratio else width_limit)
    doc.add_picture(io.BytesIO(png), width=Emu(max(width, 1)))
    paragraph = doc.paragraphs[-1]
    for inline in paragraph._p.iter(qn("wp:inline")):  # without these, LibreOffice adds a 0.32 cm gap on the left
        for side in ("distT", "distB", "distL", "distR"):
            inline.set(side, "0")
    paragraph.paragraph_format.keep_with_next = True
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
