"""Word (.docx) documents for people: the coding report and the codebook for sign-off.

Only built-in Word styles are used (Title, Heading 1-3, Normal, List Bullet, Light Grid Accent 1),
so headings feed Word's navigation pane and the table of contents, and a reader can restyle the
whole document from the Styles pane. Segment tables repeat their header row on every page; the
framework matrix sits in a landscape section. Every section has a page number in its footer.

The file is written to a temporary name and moved into place, so a failed export never leaves
half a file where the old one was. python-docx is imported inside the functions that need it.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import ExportError
from qualkit.export.report_data import CodedSegment, CodeInfo, ReportData

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell, _Row

TABLE_STYLE = "Light Grid Accent 1"
BODY_FONT = "Calibri"
MONO_FONT = "Consolas"
BODY_SIZE = 10.5
TABLE_SIZE = 9
MATRIX_SIZE = 8
PENDING_MARK = "[PENDING REVIEW]"
GREY = "595959"
PENDING_GREY = "7F7F7F"
PENDING_FILL = "F2F2F2"
THEME_FILL = "B8CCE4"
MARGIN_CM = 2.2
A4_CM = (21.0, 29.7)
MATRIX_QUOTE_CHARS = 160
LINK_QUOTE_CHARS = 240
LINK_QUOTES = 3
TOC_PLACEHOLDER = "Right-click to update the table of contents (or select it and press F9)."
SEGMENT_COLUMNS = (("Quote", 0.40), ("Document", 0.18), ("Case", 0.13), ("Speaker & time", 0.13), ("Reviewer(s)", 0.16))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML
_LOOK_BITS = {"firstRow": 0x20, "lastRow": 0x40, "firstColumn": 0x80, "lastColumn": 0x100, "noHBand": 0x200,
              "noVBand": 0x400}
_SPLIT_COLUMN = re.compile(r"^(?P<measure>\w+)\[(?P<attribute>[^=\]]+)=(?P<value>.*)\]$")


# ------------------------------------------------------------------------------------- public API


def write_report(data: ReportData, path: str | os.PathLike) -> Path:
    """Write the coding report for ``data`` to ``path`` (.docx) and return the path."""
    path = _check_path(path)
    doc = _new_document(title=data.title, subject="Qualitative coding report", author=data.author)
    names = {code.key: code.name for code in data.codes}
    footer = f"{data.title} · qualkit {data.qualkit_version}"
    _title_page(doc, data.title, [data.subtitle, data.author], _display_date(data.generated_at),
                f"Generated with qualkit {data.qualkit_version}", footer)
    _contents(doc)
    _method(doc, data)
    _frequencies(doc, data, names, footer)
    _codes_and_segments(doc, data)
    _framework(doc, data, names, footer)
    _theory_of_change(doc, data, names)
    doc.add_page_break()
    doc.add_heading("Appendix A: codebook", level=1)
    _muted(doc.add_paragraph(),
           f"{data.codebook_name}, version {data.codebook_version}; content hash {data.codebook_hash}.")
    add_codebook_entries(doc, data.codes, top_level=2)
    if data.codebook_yaml.strip():
        doc.add_page_break()
        doc.add_heading("Appendix B: codebook file", level=1)
        _muted(doc.add_paragraph(), "The codebook exactly as used for this report, so the coding can be reproduced.")
        _preformatted(doc, data.codebook_yaml)
    _save(doc, path)
    return path


def write_codebook_docx(
    codes: Sequence[CodeInfo], *, name: str, version: str, path: str | os.PathLike,
    codebook_hash: str | None = None, description: str = "",
) -> Path:
    """Write the codebook as a Word document for review and sign-off; return the path."""
    path = _check_path(path)
    title = f"Codebook: {name}"
    doc = _new_document(title=title, subject=f"Codebook version {version}", author=None)
    footer = f"{name} · version {version}"
    note = f"Content hash {codebook_hash}" if codebook_hash else None
    _title_page(doc, title, [f"Version {version}"], _display_date(datetime.now().isoformat(timespec="minutes")), note,
                footer, page_break=False)
    if description.strip():
        doc.add_paragraph(description.strip())
    _sign_off(doc)
    doc.add_page_break()
    _contents(doc)
    doc.add_heading("Overview", level=1)
    _code_overview(doc, codes)
    add_codebook_entries(doc, codes, top_level=1)
    _save(doc, path)
    return path


def add_codebook_entries(doc: Document, codes: Sequence[CodeInfo], *, top_level: int) -> None:
    """Add every code's heading, definition and criteria to ``doc``, themes at ``top_level``.

    The codebook export and the report's appendix both use this, so they always agree.
    """
    depths = _depths(codes)
    for code in codes:
        level = min(top_level + depths[code.key], 4)
        doc.add_heading(_code_title(code), level=level)
        facts = [f"Key: {code.key}"]
        if code.stage:
            facts.append(f"stage: {code.stage}")
        if not code.codable:
            facts.append("theme: organises codes, not applied to text")
        _muted(doc.add_paragraph(), " · ".join(facts))
        doc.add_paragraph(code.definition.strip() or "No definition given.")
        _criteria(doc, "Include", code.include)
        _criteria(doc, "Exclude", code.exclude)
        _criteria(doc, "Examples", tuple(f"“{example}”" for example in code.examples), italic=True)


# ------------------------------------------------------------------------------------ report parts


def _method(doc: Document, data: ReportData) -> None:
    doc.add_heading("Method", level=1)
    doc.add_heading("Corpus", level=2)
    corpus = data.corpus
    kinds = corpus.get("kinds") or {}
    kind_text = ", ".join(f"{kind} {_count(n)}" for kind, n in sorted(kinds.items(), key=lambda item: -int(item[1])))
    documents = _count(corpus.get("documents", "–")) + (f" ({kind_text})" if kind_text else "")
    rows = [("Documents", documents), ("Cases", _count(corpus.get("cases", "–"))),
            ("Words", _count(corpus.get("words", "–"))), ("Coded segments", _count(corpus.get("segments", "–")))]
    table = _table(doc, [("", 0.3), ("", 0.7)], header=False)
    for label, value in rows:
        cells = table.add_row().cells
        _set(cells[0], label, bold=True)
        _set(cells[1], value)

    doc.add_heading("Codebook", level=2)
    codable = sum(code.codable for code in data.codes)
    themes = sum(1 for code in data.codes if code.parent is None and not code.codable)
    paragraph = doc.add_paragraph("Codes were applied from the codebook ")
    paragraph.add_run(data.codebook_name).italic = True
    paragraph.add_run(
        f", version {data.codebook_version}, which has {_count(codable)} codes in {_count(themes)} themes. "
        "Its content hash identifies exactly this version: "
    )
    _run(paragraph, data.codebook_hash, font=MONO_FONT)
    paragraph.add_run(". Definitions and criteria are in Appendix A.")
    if data.codebook_description.strip():
        doc.add_paragraph(data.codebook_description.strip())

    doc.add_heading("Coding and review", level=2)
    reviewers = ", ".join(data.reviewers) if data.reviewers else "no reviewers recorded"
    doc.add_paragraph(
        "Codes were proposed by software from the codebook's patterns and models, or applied by hand; reviewers "
        f"accepted or rejected every proposal. Reviewers: {reviewers}. Consensus rule: {data.consensus_rule}."
    )
    pending = sum(1 for segment in data.segments if segment.pending)
    if data.include_pending:
        paragraph = doc.add_paragraph(
            f"This report also includes {_count(pending)} pending suggestion{'s' if pending != 1 else ''} that no "
            "reviewer has accepted yet. They are marked "
        )
        paragraph.add_run(PENDING_MARK).bold = True
        paragraph.add_run(" and set in grey italics; read them as leads to check, not as findings.")
    else:
        doc.add_paragraph("Only accepted codings are reported; pending suggestions are left out.")

    doc.add_heading("Inter-rater agreement", level=2)
    if data.agreement is None or data.agreement.empty:
        doc.add_paragraph("No agreement figures were computed for this report.")
        return
    _agreement_table(doc, data.agreement)
    _muted(doc.add_paragraph(),
           "Agreement is observed percent agreement; κ is Cohen's kappa and α nominal Krippendorff's alpha over "
           "the units the coders judged. A dash marks a statistic that is undefined, e.g. without variation.")


_AGREEMENT_HEADERS = {"code": "Code", "n_units": "Units", "percent": "Agreement (%)", "kappa": "κ", "alpha": "α"}


def _agreement_table(doc: Document, frame) -> None:
    first = [column for column in _AGREEMENT_HEADERS if column in frame.columns]
    columns = first + [column for column in frame.columns if column not in first]
    widths = [0.3 if column == "code" else 0.7 / max(1, len(columns) - 1) for column in columns]
    headers = [_AGREEMENT_HEADERS.get(column, str(column).replace("_", " ").capitalize()) for column in columns]
    aligns = [None if column == "code" else "right" for column in columns]
    table = _table(doc, list(zip(headers, widths, aligns, strict=True)))
    for record in frame[columns].itertuples(index=False):
        cells = table.add_row().cells
        for index, (column, value) in enumerate(zip(columns, record, strict=True)):
            if column == "code":
                text = "Overall" if str(value).startswith("(") else str(value)
                _set(cells[index], text, bold=text == "Overall")
            elif column in ("coder_a", "coder_b", "note"):
                _set(cells[index], str(value or ""))
            else:
                digits = {"percent": 1, "kappa": 2, "alpha": 2}.get(column, 0)
                _set(cells[index], _number(value, digits=digits), align="right")


def _frequencies(doc: Document, data: ReportData, names: dict[str, str], footer: str) -> None:
    frame = data.frequency
    splits = [column for column in frame.columns if _SPLIT_COLUMN.match(str(column))]
    measures = [column for column in ("segments", "documents", "cases") if column in frame.columns]
    columns = measures + (["share"] if "share" in frame.columns else []) + splits
    wide = len(columns) > 7
    if wide:
        _new_section(doc, landscape=True, footer=footer)
    doc.add_heading("Code frequencies", level=1)
    total = _count(data.corpus.get("segments", len(data.segments)))
    by = f", split by {data.by_attribute}" if data.by_attribute else ""
    doc.add_paragraph(
        f"How often each code was applied ({total} coded segments{by}). Share is the code's fraction of all codings; "
        "one passage can carry several codes."
    )
    code_width = 0.34 if len(columns) <= 4 else 0.26
    share = (1 - code_width) / max(1, len(columns))
    headers = [("Code", code_width)] + [(_frequency_header(column), share, "right") for column in columns]
    table = _table(doc, headers)
    theme_column = "theme" in frame.columns
    current_theme = object()
    for record in frame.to_dict("records"):
        theme = record.get("theme") if theme_column else None
        if theme_column and theme != current_theme:
            current_theme = theme
            row = table.add_row()
            cell = row.cells[0].merge(row.cells[-1])
            _set(cell, names.get(theme, theme) if isinstance(theme, str) else "No theme", bold=True)
            _shade(cell, THEME_FILL)
        cells = table.add_row().cells
        key = str(record.get("code", ""))
        name = record.get("name") or names.get(key, key)
        _set(cells[0], str(name), note=key)
        for index, column in enumerate(columns, start=1):
            value = record.get(column)
            text = _percent(value) if column == "share" else _number(value, digits=0)
            _set(cells[index], text, align="right")
    if wide:
        _new_section(doc, landscape=False, footer=footer)


def _frequency_header(column: str) -> str:
    match = _SPLIT_COLUMN.match(str(column))
    if match:
        return f"{match['measure'].capitalize()}: {match['attribute']} = {match['value']}"
    return str(column).capitalize()


def _codes_and_segments(doc: Document, data: ReportData) -> None:
    by_code: dict[str, list[CodedSegment]] = defaultdict(list)
    for segment in data.segments:
        by_code[segment.code].append(segment)
    depths = _depths(data.codes)
    for code in data.codes:
        depth = depths[code.key]
        segments = by_code.pop(code.key, [])
        if depth == 0:
            doc.add_page_break()
        doc.add_heading(_code_title(code), level=min(depth + 1, 3))
        _code_summary(doc, code, segments)
        if code.definition.strip():
            doc.add_paragraph(code.definition.strip())
        if depth == 0 and not code.codable:
            if segments:  # a theme should hold no codings, but if it does they are shown, not lost
                _segment_table(doc, segments)
            continue
        _criteria(doc, "Include", code.include)
        _criteria(doc, "Exclude", code.exclude)
        if segments:
            _segment_table(doc, segments)
        elif code.codable:
            what = "accepted or pending" if data.include_pending else "accepted"
            _muted(doc.add_paragraph(), f"No {what} segments were coded with this code.")
    if by_code:  # codings whose code is no longer in the codebook
        doc.add_page_break()
        doc.add_heading("Codes not in the codebook", level=1)
        doc.add_paragraph("These codings use codes that the codebook used for this report does not define.")
        for key in sorted(by_code):
            doc.add_heading(key, level=2)
            _segment_table(doc, by_code[key])


def _code_summary(doc: Document, code: CodeInfo, segments: list[CodedSegment]) -> None:
    facts = [code.key]
    if code.stage:
        facts.append(f"stage: {code.stage}")
    if code.codable or segments:
        pending = sum(1 for segment in segments if segment.pending)
        documents = len({segment.document for segment in segments})
        cases = len({segment.case for segment in segments if segment.case})
        count = f"{_plural(len(segments), 'segment')}" + (f" ({pending} pending)" if pending else "")
        facts.append(f"{count} from {_plural(documents, 'document')} and {_plural(cases, 'case')}")
    _muted(doc.add_paragraph(), " · ".join(facts))


def _segment_table(doc: Document, segments: list[CodedSegment]) -> None:
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    ordered = sorted(segments, key=_segment_order)
    label = doc.add_paragraph()
    label.paragraph_format.keep_with_next = True
    label.paragraph_format.space_before = Pt(6)
    label.add_run(f"Coded segments ({len(ordered):,}), by case:").bold = True
    table = _table(doc, SEGMENT_COLUMNS)
    for segment in ordered:
        row = table.add_row()
        cells = row.cells
        pending = segment.pending
        style = {"italic": pending, "color": PENDING_GREY if pending else None}
        _set(cells[0], segment.text, prefix=PENDING_MARK + " " if pending else None, **style)
        _set(cells[1], segment.document, **style)
        _set(cells[2], segment.case or "–", **style)
        _set(cells[3], _speaker_time(segment), **style)
        _set(cells[4], _reviewed_by(segment), **style)
        if pending:
            for cell in cells:
                _shade(cell, PENDING_FILL)
        if len(segment.text) < 1200:  # keep short rows whole; a very long quote may break
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _segment_order(segment: CodedSegment):
    timestamp = segment.timestamp if segment.timestamp is not None else math.inf
    return (segment.case is None, (segment.case or "").casefold(), segment.document.casefold(), timestamp)


def _speaker_time(segment: CodedSegment) -> str:
    parts = [segment.speaker] if segment.speaker else []
    if segment.timestamp is not None and not math.isnan(segment.timestamp):
        parts.append(_clock(segment.timestamp))
    return "\n".join(parts) or "–"


def _reviewed_by(segment: CodedSegment) -> str:
    if segment.pending:
        score = f", {segment.score:.2f}" if segment.score is not None else ""
        return f"Not yet reviewed\n(suggested by {segment.source or 'unknown'}{score})"
    return ", ".join(segment.reviewers) or f"({segment.source or 'unknown'})"


def _framework(doc: Document, data: ReportData, names: dict[str, str], footer: str) -> None:
    frame = data.framework
    if frame is None or frame.empty:
        doc.add_page_break()
        doc.add_heading("Framework matrix", level=1)
        doc.add_paragraph("There is no framework matrix: the project defines no cases, or no case has codings.")
        return
    _new_section(doc, landscape=True, footer=footer)
    doc.add_heading("Framework matrix", level=1)
    doc.add_paragraph(
        "Cases by themes: each cell gives the number of coded segments and up to two short representative quotes."
    )
    themes = [str(column) for column in frame.columns]
    case_width = 0.14
    table = _table(doc, [("Case", case_width)] + [(names.get(t, t), (1 - case_width) / len(themes)) for t in themes],
                   size=MATRIX_SIZE)
    for case, counts in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = table.add_row().cells
        _set(cells[0], str(case), bold=True, size=MATRIX_SIZE)
        for index, (theme, count) in enumerate(zip(themes, counts, strict=True), start=1):
            cell = cells[index]
            if not count or (isinstance(count, float) and math.isnan(count)):
                _set(cell, "–", color=GREY, size=MATRIX_SIZE)
                continue
            _set(cell, _plural(int(count), "segment"), bold=True, size=MATRIX_SIZE)
            for quote in data.framework_quotes.get((str(case), theme), ())[:2]:
                paragraph = cell.add_paragraph()
                _format_paragraph(paragraph)
                _run(paragraph, f"“{_shorten(quote, MATRIX_QUOTE_CHARS)}”", italic=True, size=MATRIX_SIZE)
    _new_section(doc, landscape=False, footer=footer)


def _theory_of_change(doc: Document, data: ReportData, names: dict[str, str]) -> None:
    doc.add_heading("Theory of change", level=1)
    if data.toc_stages:
        doc.add_paragraph("The theory of change runs through the stages " + " → ".join(data.toc_stages) + ".")
    if data.toc_diagram_png:
        _picture(doc, data.toc_diagram_png)
        doc.add_paragraph("Figure 1. The theory of change.", style="Caption")
    doc.add_heading("Evidence for each link", level=2)
    if not data.toc_links:
        doc.add_paragraph("The codebook defines no theory-of-change links.")
    else:
        table = _table(doc, [("Link", 0.22), ("Segments", 0.13, "right"), ("Cases", 0.09, "right"),
                             ("Supporting cases", 0.16), ("Exemplar quotes", 0.40)])
        for link in data.toc_links:
            cells = table.add_row().cells
            _set(cells[0], f"{names.get(link.source, link.source)} → {names.get(link.target, link.target)}",
                 note=_link_note(link, names))
            _set(cells[1], _count(link.segments), align="right")
            _set(cells[2], _count(link.cases), align="right")
            _set(cells[3], ", ".join(link.case_names) or "–")
            if not link.quotes:
                _set(cells[4], "No coded evidence.", italic=True, color=GREY)
            for index, (case, document, quote) in enumerate(link.quotes[:LINK_QUOTES]):
                paragraph = cells[4].paragraphs[0] if index == 0 else cells[4].add_paragraph()
                _format_paragraph(paragraph)
                _run(paragraph, f"“{_shorten(quote, LINK_QUOTE_CHARS)}”", italic=True, size=TABLE_SIZE)
                source = ", ".join(part for part in (case, document) if part)
                _run(paragraph, f" ({source})", color=GREY, size=TABLE_SIZE)
    doc.add_heading("Nodes without evidence", level=2)
    if not data.toc_unevidenced:
        doc.add_paragraph("Every node of the theory of change has coded evidence.")
        return
    doc.add_paragraph("No coded segment supports these nodes; the theory of change is untested there.")
    for key in data.toc_unevidenced:
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(names.get(key, key))
        if key in names:
            _run(paragraph, f" ({key})", color=GREY)


def _link_note(link, names: dict[str, str]) -> str:
    parts = [link.label] if link.label else []
    if link.moderates:
        source, target = link.moderates
        parts.append(f"moderates {names.get(source, source)} → {names.get(target, target)}")
    return "\n".join(parts)


def _picture(doc: Document, png: bytes) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image
    from docx.oxml.ns import qn
    from docx.shared import Emu

    try:
        image = Image.from_blob(png)
    except UnrecognizedImageError:
        raise ExportError("the theory-of-change diagram is not an image Word can show; pass PNG bytes") from None
    section = doc.sections[-1]
    width = section.page_width - section.left_margin - section.right_margin
    height_limit = int((section.page_height - section.top_margin - section.bottom_margin) * 0.6)
    ratio = image.px_height / image.px_width if image.px_width else 1
    if width * ratio > height_limit:
        doc.add_picture(io.BytesIO(png), height=Emu(height_limit))
    else:
        doc.add_picture(io.BytesIO(png), width=Emu(width))
    picture = doc.paragraphs[-1]
    for inline in picture._p.iter(qn("wp:inline")):  # without these, LibreOffice adds a 0.32 cm gap on the left
        for side in ("distT", "distB", "distL", "distR"):
            inline.set(side, "0")
    picture.paragraph_format.keep_with_next = True
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _code_overview(doc: Document, codes: Sequence[CodeInfo]) -> None:
    depths = _depths(codes)
    table = _table(doc, [("Code", 0.4), ("Key", 0.3), ("Stage", 0.15), ("Applied to text", 0.15)])
    for code in codes:
        cells = table.add_row().cells
        theme = depths[code.key] == 0
        indent = "    " * depths[code.key]
        _set(cells[0], indent + code.name, bold=theme)
        _set(cells[1], code.key)
        _set(cells[2], code.stage or "–")
        _set(cells[3], "yes" if code.codable else "no (theme)")


def _sign_off(doc: Document) -> None:
    from docx.shared import Cm

    doc.add_heading("Sign-off", level=1)
    doc.add_paragraph("Signing confirms that the definitions and criteria below are agreed for coding.")
    table = _table(doc, [("Role", 0.22), ("Name", 0.28), ("Signature", 0.3), ("Date", 0.2)], banded=False)
    for role in ("Prepared by", "Reviewed by", "Approved by"):
        row = table.add_row()
        row.height = Cm(1.1)
        _set(row.cells[0], role, bold=True)


# ---------------------------------------------------------------------------------- docx plumbing


def _check_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise ExportError(f"{path}: a Word report must end in .docx, not {path.suffix or 'no suffix'}")
    if not path.parent.exists():
        raise ExportError(f"{path}: folder {path.parent} does not exist")
    return path


def _save(doc: Document, path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        doc.save(str(partial))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _new_document(*, title: str, subject: str, author: str | None) -> Document:
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for level in (1, 2, 3):
        heading = doc.styles[f"Heading {level}"].paragraph_format
        heading.space_before = Pt((18, 12, 10)[level - 1])
        heading.space_after = Pt(4)
        heading.keep_with_next = True
    doc.styles["List Bullet"].paragraph_format.space_after = Pt(2)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(A4_CM[0]), Cm(A4_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    properties = doc.core_properties
    properties.title = title
    properties.subject = subject
    properties.author = author or ""
    properties.comments = "Generated with qualkit"
    return doc


def _title_page(doc: Document, title: str, lines: Iterable[str | None], date: str, note: str | None, footer: str,
                *, page_break: bool = True) -> None:
    from docx.shared import Pt

    section = doc.sections[0]
    section.different_first_page_header_footer = True  # no page number on the title page
    section.first_page_footer.is_linked_to_previous = False
    _page_footer(section, footer)
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_before = Pt(120 if page_break else 24)
    doc.add_paragraph(title, style="Title")
    for line in lines:
        if line:
            doc.add_paragraph(line, style="Subtitle")
    doc.add_paragraph(date)
    if note:
        _muted(doc.add_paragraph(), note)
    if page_break:
        doc.add_page_break()


def _contents(doc: Document) -> None:
    doc.add_paragraph("Contents", style="TOC Heading")
    _field(doc.add_paragraph(), 'TOC \\o "1-3" \\h \\z \\u', TOC_PLACEHOLDER)
    doc.add_page_break()


def _page_footer(section, label: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, f"{label} · page ", color=GREY, size=8.5)
    _field(paragraph, "PAGE", "1", color=GREY, size=8.5)
    _run(paragraph, " of ", color=GREY, size=8.5)
    _field(paragraph, "NUMPAGES", "1", color=GREY, size=8.5)


def _new_section(doc: Document, *, landscape: bool, footer: str):
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    short, long = sorted((section.page_width, section.page_height))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    _page_footer(section, footer)
    return section


def _field(paragraph, instruction: str, placeholder: str, **style) -> None:
    """A complex field (begin, instruction, separate, shown result, end) that Word updates."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind: str):
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            char.set(qn("w:dirty"), "true")
        _run(paragraph, "", **style).append(char)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    _run(paragraph, "", **style).append(instr)
    fld_char("separate")
    _run(paragraph, placeholder, **style)
    fld_char("end")


class _Grid:
    """A table being filled row by row.

    python-docx's ``Table.add_row`` looks the column grid up again for every row, which gets
    slower as the table grows; this keeps the widths, so adding a row costs the same at row 5
    and row 5,000.
    """

    def __init__(self, table: Table, widths: Sequence[int]):
        self.table = table
        self.twips = tuple(str(round(width / 635)) for width in widths)  # Word measures cells in 1/20 pt

    def add_row(self) -> _Row:
        from docx.oxml.ns import qn
        from docx.table import _Row

        tbl = self.table._tbl
        tr = tbl.makeelement(qn("w:tr"), {})
        tbl.append(tr)
        for width in self.twips:
            tc = tr.makeelement(qn("w:tc"), {})
            tr.append(tc)
            tcpr = tc.makeelement(qn("w:tcPr"), {})
            tc.append(tcpr)
            tcpr.append(tcpr.makeelement(qn("w:tcW"), {qn("w:w"): width, qn("w:type"): "dxa"}))
            tc.append(tc.makeelement(qn("w:p"), {}))
        return _Row(tr, self.table)


def _table(doc: Document, columns: Sequence[tuple], *, header: bool = True, banded: bool = True,
           size: float = TABLE_SIZE) -> _Grid:
    """A table spanning the text width, its header row repeated on every page.

    ``columns`` are (title, fraction of the width) or (title, fraction, "right") for numbers.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    widths = [int(text_width * column[1]) for column in columns]
    table = doc.add_table(rows=0, cols=len(columns))
    table.style = doc.styles[TABLE_STYLE]
    table.autofit = False
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    if look is not None:  # which parts of the table style apply; some readers use the bit mask, some the flags
        flags = {"firstRow": header, "lastRow": False, "firstColumn": False, "lastColumn": False,
                 "noHBand": not banded, "noVBand": True}
        for flag, on in flags.items():
            look.set(qn(f"w:{flag}"), "1" if on else "0")
        look.set(qn("w:val"), f"{sum(bit for flag, bit in _LOOK_BITS.items() if flags[flag]):04X}")
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    grid = _Grid(table, widths)
    if header:
        row = grid.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for cell, (title, _, *align) in zip(row.cells, columns, strict=True):
            _set(cell, title, bold=True, size=size, align=align[0] if align else None)
    return grid


def _set(
    cell: _Cell, text: str, *, bold: bool = False, italic: bool = False, color: str | None = None,
    size: float = TABLE_SIZE, align: str | None = None, note: str | None = None, prefix: str | None = None,
) -> None:
    """Fill a fresh cell's first paragraph; ``note`` goes on a second, grey line."""
    paragraph = cell._tc.p_lst[0]
    _format_paragraph(paragraph, align=align)
    if prefix:
        _run(paragraph, prefix, bold=True, italic=italic, color=color, size=size)
    _run(paragraph, text, bold=bold, italic=italic, color=color, size=size)
    if note:
        _run(paragraph, "\n" + note, italic=italic, color=GREY, size=size - 1)


# Tables can hold thousands of cells, so paragraphs and runs in them are built with lxml directly
# rather than through python-docx's proxies, which check the schema order on every property.


def _format_paragraph(paragraph, *, align: str | None = None) -> None:
    """Tight spacing for a fresh paragraph (one without properties) in a table cell."""
    from docx.oxml.ns import qn

    p = getattr(paragraph, "_p", paragraph)
    ppr = p.makeelement(qn("w:pPr"), {})
    p.insert(0, ppr)
    spacing = ppr.makeelement(qn("w:spacing"), {qn("w:before"): "0", qn("w:after"): "40", qn("w:line"): "240",
                                                 qn("w:lineRule"): "auto"})
    ppr.append(spacing)
    if align == "right":
        ppr.append(ppr.makeelement(qn("w:jc"), {qn("w:val"): "right"}))


def _run(paragraph, text: str, *, bold: bool = False, italic: bool = False, color: str | None = None,
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


def _shade(cell: _Cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _muted(paragraph, text: str) -> None:
    _run(paragraph, text, color=GREY, size=BODY_SIZE - 1)


def _preformatted(doc: Document, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.line_spacing = 1.0
    _run(paragraph, text.rstrip("\n"), size=7.5, font=MONO_FONT)


def _criteria(doc: Document, label: str, items: Sequence[str], *, italic: bool = False) -> None:
    if not items:
        return
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_after = 0
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run(f"{label}:").bold = True
    for item in items:
        _run(doc.add_paragraph(style="List Bullet"), item, italic=italic)


# -------------------------------------------------------------------------------------- formatting


def _depths(codes: Sequence[CodeInfo]) -> dict[str, int]:
    """How deep each code sits below its theme (themes are 0); unknown parents count as themes."""
    parents = {code.key: code.parent for code in codes}
    depths: dict[str, int] = {}
    for code in codes:
        depth, parent, seen = 0, code.parent, {code.key}
        while parent in parents and parent not in seen:
            seen.add(parent)
            depth += 1
            parent = parents[parent]
        depths[code.key] = depth + (1 if parent is not None and parent not in parents else 0)
    return depths


def _code_title(code: CodeInfo) -> str:
    return code.name or code.key


def _display_date(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    day = f"{moment.day} {moment:%B %Y}"
    return day if len(value) <= 10 else f"{day}, {moment:%H:%M}"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _count(value) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value, *, digits: int) -> str:
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def _percent(value) -> str:
    return "–" if _is_missing(value) else f"{100 * float(value):.1f}%"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
