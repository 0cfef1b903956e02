"""Word (.docx) documents for people: the coding report and the codebook for sign-off.

The report reads as a researcher circulates it: a title page, a contents list written out as
text (each heading linked, its page number a field that LibreOffice fills when making a PDF and
Word when it updates fields), the method with the corpus counted three ways (segments, coded
segments, codings), code frequencies with their denominators in the headers, figures, each
code with a few representative quotes (matched words in bold), the framework matrix and the
theory of change on landscape pages, the research team's memos (project memos in the method, a
code's under its heading, memos on cases, documents and segments in a chapter of their own; see
:mod:`qualkit.export.report_memos`), the codebook as a table, and every coded segment in an
appendix. Built-in styles (Title, Heading 1-3, Caption, List Bullet) feed Word's navigation
pane; tables repeat their header rows on every page; every section has a page number.

The file is written to a temporary name and moved into place, so a failed export never leaves
half a file where the old one was. python-docx is imported inside the functions that need it.
"""

from __future__ import annotations

import enum
import math
import numbers
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.atomicfile import atomic_output
from qualkit.errors import ExportError
from qualkit.export.docx_layout import (
    GREY,
    Cell,
    Column,
    Contents,
    Run,
    add_table,
    contents_list,
    fits,
    heading,
    new_document,
    new_section,
    page_footer,
    picture,
    run,
    text_width_pt,
    update_fields_on_open,
)
from qualkit.export.report_data import NO_CASE, CodedSegment, CodeInfo, Quote, ReportData
from qualkit.export.report_memos import case_memos, memo_table, project_memos

if TYPE_CHECKING:
    from docx.document import Document

PENDING_MARK = "[PENDING REVIEW]"
PENDING_GREY = "7F7F7F"
PENDING_FILL = "F2F2F2"
THEME_FILL = "B8CCE4"
GROUP_FILL = "EEF3F8"
MATRIX_SIZE = 8.0
LONG_ROW_CHARS = 1200  # a row with more text than this may break across pages
_SPLIT_COLUMN = re.compile(r"^(?P<measure>\w+)\[(?P<attribute>[^=\]]+)=(?P<value>.*)\]$")
_AGREEMENT_HEADERS = {"code": "Code", "n_units": "Units", "percent": "Agreement (%)", "kappa": "κ", "alpha": "α"}


class Listing(str, enum.Enum):
    """Where the report lists every coded segment in full."""

    SEGMENTS = "segments"  # an appendix, one row per coded segment with all its codes (the default)
    CODES = "codes"  # an appendix, one table per code with each of its codings (longer: a segment per code)
    NONE = "none"  # no listing: the quotes in the body only (export the codings table for the rest)


# ------------------------------------------------------------------------------------- public API


def write_report(data: ReportData, path: str | os.PathLike, *, listing: Listing | str = Listing.SEGMENTS) -> Path:
    """Write the coding report for ``data`` to ``path`` (.docx) and return the path."""
    path = check_report_path(path)
    try:
        listing = Listing(listing)
    except ValueError:
        raise ExportError(f"listing {listing!r}: use {', '.join(item.value for item in Listing)}") from None
    writer = _ReportWriter(data, listing)
    writer.write()
    _save(writer.doc, path)
    return path


def write_codebook_docx(
    codes: Sequence[CodeInfo], *, name: str, version: str, path: str | os.PathLike,
    codebook_hash: str | None = None, description: str = "",
) -> Path:
    """Write the codebook as a Word document for review and sign-off; return the path."""
    path = check_report_path(path)
    title = f"Codebook: {name}"
    doc = new_document(title=title, subject=f"Codebook version {version}", author=None)
    footer = f"{name} · version {version}"
    note = f"Content hash {codebook_hash}" if codebook_hash else None
    _title_page(doc, title, [f"Version {version}"], _display_date(datetime.now().isoformat(timespec="minutes")),
                [note] if note else [], footer, spacer=24)
    if description.strip():
        doc.add_paragraph(description.strip())
    _sign_off(doc)
    contents = Contents()
    anchor = _contents_page(doc)
    heading(doc, "Overview", 1, contents, new_page=True)
    _code_overview(doc, codes)
    add_codebook_entries(doc, codes, top_level=1, contents=contents)
    _finish_contents(doc, anchor, contents)
    _save(doc, path)
    return path


def add_codebook_entries(doc: Document, codes: Sequence[CodeInfo], *, top_level: int,
                         contents: Contents | None = None) -> None:
    """Add every code's heading, definition and criteria to ``doc``, themes at ``top_level``."""
    depths = _depths(codes)
    for code in codes:
        level = min(top_level + depths[code.key], 4)
        heading(doc, _code_title(code), level, contents, listed=level <= 2)
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


def check_report_path(path: str | os.PathLike) -> Path:
    """``path`` if a Word file can be written there; else an ExportError saying why."""
    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise ExportError(f"{path}: a Word report must end in .docx, not {path.suffix or 'no suffix'}")
    if not path.parent.exists():
        raise ExportError(f"{path}: folder {path.parent} does not exist; create it or choose another path")
    return path


# ------------------------------------------------------------------------------------ the report


@dataclass
class _Counts:
    """One code's counts from the frequency table."""

    segments: int = 0
    documents: int = 0
    cases: int = 0


class _ReportWriter:
    def __init__(self, data: ReportData, listing: Listing):
        self.data = data
        self.listing = listing
        self.doc = new_document(title=data.title, subject="Qualitative coding report", author=data.author)
        self.contents = Contents()
        self.names = {code.key: code.name for code in data.codes}
        self.footer = f"{data.title} · qualkit {data.qualkit_version}"
        self.landscape = False
        self.figures = 0
        self.counts = {
            str(r["code"]): _Counts(int(r["segments"]), int(r["documents"]), int(r["cases"]))
            for r in data.frequency.to_dict("records")
        } if not data.frequency.empty else {}

    # -- pages

    def chapter(self, text: str, *, landscape: bool = False, listed: bool = True):
        """A Heading 1 on a new page, in a section of the right orientation."""
        if landscape != self.landscape:
            new_section(self.doc, landscape=landscape, footer=self.footer)
            self.landscape = landscape
            return heading(self.doc, text, 1, self.contents, listed=listed)
        return heading(self.doc, text, 1, self.contents, new_page=True, listed=listed)

    def write(self) -> None:
        listing = self.listing
        data, doc = self.data, self.doc
        lines = [data.subtitle, data.author] + [f"Generated with qualkit {data.qualkit_version}"]
        _title_page(doc, data.title, lines[:2], _display_date(data.generated_at), [lines[2], *data.filters],
                    self.footer)
        anchor = _contents_page(doc)
        self.method()
        self.frequencies()
        self.at_a_glance()
        self.codes()
        self.framework()
        self.theory_of_change()
        self.memos_on_cases()
        self.codebook_appendix()
        if listing is Listing.SEGMENTS:
            self.listing_by_segment()
        elif listing is Listing.CODES:
            self.listing_by_code()
        _finish_contents(doc, anchor, self.contents)

    def figure(self, key: str, *, max_height: float = 0.85) -> None:
        """Figure N: its title, the picture (at most ``max_height`` of the text height), its caption."""
        found = self.data.figure(key)
        if found is None:
            return
        self.figures += 1
        title = self.doc.add_paragraph(style="Caption")
        title.paragraph_format.keep_with_next = True
        title.paragraph_format.space_before = self._points(8)
        run(title, f"Figure {self.figures}. ", bold=True)
        run(title, found.title, bold=True)
        picture(self.doc, found.png, max_height_fraction=max_height)
        _muted(self.doc.add_paragraph(), found.caption)

    @staticmethod
    def _points(value: float):
        from docx.shared import Pt

        return Pt(value)

    # -- method

    def method(self) -> None:
        data, doc = self.data, self.doc
        self.chapter("Method")
        heading(doc, "Corpus", 2, self.contents)
        t = data.totals
        kinds = ", ".join(f"{_count(n)} {_kind(kind, n)}" for kind, n in t.kinds)
        share = f"{100 * t.coded_segments / t.segments:.1f}% of segments" if t.segments else "–"
        uncased = (f"; {_plural(t.uncased_documents, 'document')} belong{'s' if t.uncased_documents == 1 else ''} "
                   "to no case and are grouped as “(no case)”" if t.uncased_documents else "")
        rows = [
            ("Documents", _count(t.documents), kinds),
            ("Cases", _count(t.cases), uncased.lstrip("; ")),
            ("Words", _count(t.words), ""),
            ("Segments", _count(t.segments), "the units coded: speaker turns, paragraphs or survey rows"),
            ("Coded segments", _count(t.coded_segments), f"{share}: segments with at least one code"),
            ("Codings", _count(t.codings), "codes applied to segments; one segment can carry several codes"),
        ]
        add_table(doc, [Column("", least=0.2), Column("", align="right"), Column("")], [
            [Cell.text(label, bold=True), Cell.text(value, align="right"), Cell.text(note, color=GREY)]
            for label, value, note in rows
        ], header_rows=[], banded=False)
        if len(data.filters) > 1 or data.include_pending:
            _muted(doc.add_paragraph(), "Coded segments and codings count the selection described under Coding "
                   "and review; documents, words and segments count the whole project.")

        heading(doc, "Codebook", 2, self.contents)
        codable = sum(code.codable for code in data.codes)
        themes = sum(1 for code in data.codes if code.parent is None and not code.codable)
        paragraph = doc.add_paragraph("Codes were applied from the codebook ")
        paragraph.add_run(data.codebook_name).italic = True
        paragraph.add_run(
            f", version {data.codebook_version}, which has {_count(codable)} codes in {_count(themes)} themes. "
            "Its content hash identifies exactly this version: "
        )
        run(paragraph, data.codebook_hash[:16], font="Courier New")
        paragraph.add_run(". Definitions and criteria are in Appendix A.")
        if data.codebook_description.strip():
            doc.add_paragraph(data.codebook_description.strip())

        heading(doc, "Coding and review", 2, self.contents)
        reviewers = ", ".join(data.reviewers) if data.reviewers else "no reviewers recorded"
        doc.add_paragraph(
            "Codes were proposed by software from the codebook's patterns and models, or applied by hand; "
            f"reviewers accepted or rejected every proposal. Reviewers: {reviewers}."
        )
        for item in data.filters or (f"Consensus rule: {data.consensus_rule}",):
            doc.add_paragraph(item + ".", style="List Bullet")
        pending = sum(1 for segment in data.segments if segment.pending)
        if data.include_pending:
            paragraph = doc.add_paragraph(
                f"This report also includes {_count(pending)} pending suggestion{'s' if pending != 1 else ''} that "
                "no reviewer has accepted yet. They are marked "
            )
            paragraph.add_run(PENDING_MARK).bold = True
            paragraph.add_run(" and set in grey italics; read them as leads to check, not as findings.")
        else:
            doc.add_paragraph("Only accepted codings are reported; pending suggestions are left out.")
        project_memos(doc, data.memos.project, self.contents)

        heading(doc, "Inter-rater agreement", 2, self.contents)
        if data.agreement is None or data.agreement.empty:
            doc.add_paragraph("No agreement figures were computed for this report.")
            return
        self.agreement_table(data.agreement)
        _muted(doc.add_paragraph(),
               "Units are the segment × code pairs the reviewers judged. Agreement is observed percent agreement; "
               "κ is Cohen's kappa and α nominal Krippendorff's alpha. “Both yes”, “Only …” and “Both no” count "
               "units. A dash marks a statistic that is undefined, e.g. without variation.")

    def agreement_table(self, frame) -> None:
        """One table per pair of reviewers (the pairwise table of :func:`qualkit.agreement.agreement`),
        the "Only …" columns named after the reviewers."""
        if "coder_a" not in frame.columns:
            self._agreement_pair_table(frame)
            return
        pairs = list(dict.fromkeys(zip(frame["coder_a"], frame["coder_b"], strict=True)))
        for a, b in pairs:
            mine = frame[(frame["coder_a"] == a) & (frame["coder_b"] == b)]
            if len(pairs) > 1:
                _muted(self.doc.add_paragraph(), f"{a} and {b}")
            self._agreement_pair_table(
                mine.drop(columns=["coder_a", "coder_b", "note"], errors="ignore")
                .rename(columns={"only_a": f"only_{a}", "only_b": f"only_{b}"})
            )

    def _agreement_pair_table(self, frame) -> None:
        order = {code.key: index for index, code in enumerate(self.data.codes)}
        frame = frame.assign(_order=[len(order) + 1 if str(c).startswith("(") else order.get(str(c), len(order))
                                     for c in frame["code"]]).sort_values("_order", kind="stable").drop(
            columns="_order")  # codebook order, overall last
        first = [column for column in _AGREEMENT_HEADERS if column in frame.columns]
        columns = first + [column for column in frame.columns if column not in first]
        headers = [_AGREEMENT_HEADERS.get(column) or _header(str(column)) for column in columns]
        specs = [Column(title, align=None if column == "code" else "right")
                 for column, title in zip(columns, headers, strict=True)]
        rows = []
        for record in frame[columns].itertuples(index=False):
            cells = []
            for column, value in zip(columns, record, strict=True):
                if column == "code":
                    overall = str(value).startswith("(")
                    name = "Overall" if overall else self.names.get(str(value), str(value))
                    cells.append(Cell.text(name, bold=overall))
                else:
                    digits = {"percent": 1, "kappa": 2, "alpha": 2}.get(column, 0)
                    cells.append(Cell.text(_number(value, digits=digits), align="right"))
            rows.append(cells)
        add_table(self.doc, specs, rows)

    # -- frequencies

    def frequencies(self) -> None:
        data = self.data
        frame = data.frequency
        by = data.by_attribute
        totals = {str(r["group"]): r for r in data.frequency_totals.to_dict("records")} \
            if data.frequency_totals is not None else {}
        values = [m["value"] for m in (_SPLIT_COLUMN.match(str(c)) for c in frame.columns)
                  if m and m["measure"] == "segments"]
        coded = data.totals.coded_segments
        columns = [Column("Code", least=0.3), Column("Coded segments", align="right"), Column("%", align="right"),
                   Column("Documents", align="right"), Column("Cases", align="right")]
        header_rows = [[Cell.text(c.title, align=c.align) for c in columns]]
        if values:
            columns += [Column(title, align="right") for _ in values for title in ("n", "%")]
            first = [Cell.text(""), Cell.text(f"All {_count(coded)} coded segments", span=4)]
            for value in values:
                n = totals.get(value, {}).get("coded_segments")
                label = f"{by} = {value}" + (f": {_count(n)}" if n is not None else "")
                first.append(Cell.text(label, span=2, align="center"))
            header_rows = [first, header_rows[0] + [Cell.text(t, align="right") for _ in values for t in ("n", "%")]]
        rows = []
        current = object()
        span = len(columns)
        for record in frame.to_dict("records"):
            theme = record.get("theme")
            if theme != current:
                current = theme
                rows.append([Cell.text(self.names.get(theme, theme) if isinstance(theme, str) else "No theme",
                                       bold=True, fill=THEME_FILL, span=span)])
            key = str(record.get("code", ""))
            name = record.get("name") or self.names.get(key, key)
            cells = [Cell(((Run(str(name)),), (Run(key, color=GREY, size=7.5, identifier=True),)))]
            cells += [Cell.text(_number(record.get("segments"), digits=0), align="right"),
                      Cell.text(_percent(record.get("share")), align="right"),
                      Cell.text(_number(record.get("documents"), digits=0), align="right"),
                      Cell.text(_number(record.get("cases"), digits=0), align="right")]
            for value in values:
                cells.append(Cell.text(_number(record.get(f"segments[{by}={value}]"), digits=0), align="right"))
                cells.append(Cell.text(_percent(record.get(f"share[{by}={value}]")), align="right"))
            rows.append(cells)
        if totals:
            overall = totals.get("(all)", {})
            last = [Cell.text("Any code", bold=True),
                    Cell.text(_count(overall.get("coded_segments", coded)), bold=True, align="right"),
                    Cell.text(""), Cell.text(_count(overall.get("documents", "–")), bold=True, align="right"),
                    Cell.text(_count(overall.get("cases", "–")), bold=True, align="right")]
            for value in values:
                last += [Cell.text(_count(totals.get(value, {}).get("coded_segments", "–")), bold=True,
                                   align="right"), Cell.text("")]
            rows.append(last)
        wide = not fits(self.doc, columns, [*header_rows, *rows], size=8.0)
        self.chapter("Code frequencies", landscape=wide)
        explanation = (
            f"For each code: the coded segments that carry it, and what percentage that is of all {_count(coded)} "
            "coded segments; the documents and cases they come from. A segment can carry several codes, so the "
            "percentages add up to more than 100."
        )
        if values:
            explanation += (
                f" Split by {by}: n is the coded segments with the code in each group, and % its percentage of the "
                "group's coded segments (given above the columns). Every coded segment falls in one group, so "
                "a row's n add up to its coded segments"
                + (f"; “(no value)” holds documents without a {by}." if any(v.startswith("(") for v in values)
                   else ".")
            )
        self.doc.add_paragraph(explanation)
        add_table(self.doc, columns, rows, header_rows=header_rows)

    def at_a_glance(self) -> None:
        if not any(self.data.figure(key) for key in ("frequency", "cases", "cooccurrence")):
            return
        self.chapter("Codes at a glance")
        self.figure("frequency")
        self.figure("cases")
        self.figure("cooccurrence")

    # -- codes with quotes

    def codes(self) -> None:
        data, doc = self.data, self.doc
        depths = _depths(data.codes)
        known = {code.key for code in data.codes}
        by_code: dict[str, list[CodedSegment]] = defaultdict(list)
        for segment in data.segments:
            by_code[segment.code].append(segment)
        for code in data.codes:
            depth = depths[code.key]
            if depth == 0:
                self.chapter(_code_title(code))
                self.theme_summary(code)
                continue
            heading(doc, _code_title(code), min(depth + 1, 3), self.contents, listed=depth == 1)
            counts = self.counts.get(code.key) or _counts_of(by_code.get(code.key, []))
            quotes = data.code_quotes.get(code.key, ())
            facts = [code.key] + ([f"stage: {code.stage}"] if code.stage else [])
            if code.codable or counts.segments:
                facts.append(f"{_plural(counts.segments, 'coded segment')} in {_plural(counts.documents, 'document')}"
                             f" and {_plural(counts.cases, 'case')}")
            summary = _muted(doc.add_paragraph(), " · ".join(facts))
            summary.paragraph_format.keep_with_next = True
            if code.definition.strip():
                doc.add_paragraph(code.definition.strip())
            memo_table(doc, data.memos.codes.get(code.key, ()))
            if quotes:
                self.quote_table(quotes, shown_of=counts.segments)
            elif code.codable and not counts.segments:
                what = "accepted or pending" if data.include_pending else "accepted"
                _muted(doc.add_paragraph(), f"No {what} segments were coded with this code.")
        strays = sorted(key for key in {*by_code, *data.memos.codes} if key not in known)
        if strays:  # codings (or memos) whose code is no longer in the codebook
            self.chapter("Codes not in the codebook")
            doc.add_paragraph("These codings and memos use codes that the codebook used for this report does not "
                              "define.")
            from qualkit.export.quotes import representative

            for key in strays:
                heading(doc, key, 2, self.contents)
                memo_table(doc, data.memos.codes.get(key, ()))
                if by_code.get(key):
                    self.quote_table(representative(by_code[key], n=max(3, len(data.code_quotes.get(key, ())))),
                                     shown_of=len(by_code[key]))

    def theme_summary(self, code: CodeInfo) -> None:
        column = self.data.framework[code.key] if code.key in self.data.framework.columns else None
        facts = [code.key] + ([f"stage: {code.stage}"] if code.stage else [])
        if column is not None:
            cases = sum(1 for case, n in column.items() if n and case != NO_CASE)
            facts.append(f"{_plural(int(column.sum()), 'coded segment')} with any of its codes, in "
                         f"{_plural(cases, 'case')}")
        _muted(self.doc.add_paragraph(), " · ".join(facts))
        if code.definition.strip():
            self.doc.add_paragraph(code.definition.strip())
        memo_table(self.doc, self.data.memos.codes.get(code.key, ()))

    def quote_table(self, quotes: Sequence[Quote], *, shown_of: int) -> None:
        listed = " (all are listed in Appendix B)" if shown_of > len(quotes) and self.listing is not Listing.NONE \
            else ""
        label = self.doc.add_paragraph()
        label.paragraph_format.keep_with_next = True
        _run_muted(label, f"{_plural(len(quotes), 'quote')} of {_plural(shown_of, 'coded segment')}{listed}; "
                   "matched words in bold:")
        rows = [[Cell((_quote_runs(quote),)), Cell(_source(quote.segment, case=True))] for quote in quotes]
        add_table(self.doc, [Column("Quote", least=0.55), Column("From", most=0.3)], rows, banded=False)

    # -- framework matrix

    def framework(self) -> None:
        data, doc = self.data, self.doc
        frame = data.framework
        if frame is None or frame.empty:
            self.chapter("Framework matrix")
            doc.add_paragraph("There is no framework matrix: no case has codings.")
            return
        self.chapter("Framework matrix", landscape=True)
        uncased = sorted({s.document for s in data.segments if not s.case}, key=str.casefold)
        doc.add_paragraph(
            "Cases by themes: each cell gives the coded segments of the case's documents that carry any code of "
            "the theme, and up to two representative quotes (matched words in bold, never the same passage twice "
            "in the matrix)."
            + (f" The row “{NO_CASE}” holds the documents that belong to no case: {', '.join(uncased)}."
               if uncased else "")
        )
        themes = [str(column) for column in frame.columns]
        columns = [Column("Case", most=0.12)] + [Column(self.names.get(t, t)) for t in themes]
        rows = []
        for case, counts in zip(frame.index, frame.itertuples(index=False), strict=True):
            cells = [Cell.text(str(case), bold=True)]
            for theme, count in zip(themes, counts, strict=True):
                if not count or (isinstance(count, float) and math.isnan(count)):
                    cells.append(Cell.text("–", color=GREY))
                    continue
                paragraphs: list[tuple[Run, ...]] = [(Run(_plural(int(count), "coded segment"), bold=True),)]
                for quote in data.framework_quotes.get((str(case), theme), ())[:2]:
                    paragraphs.append(_quote_runs(quote) + tuple(_source_inline(quote.segment, case=False)))
                cells.append(Cell(tuple(paragraphs)))
            rows.append(cells)
        add_table(doc, columns, rows, size=MATRIX_SIZE, keep_whole=False)

    # -- theory of change

    def theory_of_change(self) -> None:
        data, doc = self.data, self.doc
        self.chapter("Theory of change", landscape=True)
        if data.toc_stages and data.figure("toc") is None:
            doc.add_paragraph("The theory of change runs through the stages " + " → ".join(data.toc_stages) + ".")
        self.figure("toc", max_height=0.72)  # with its heading and caption on one page
        heading(doc, "Evidence for each link", 2, self.contents)
        if not data.toc_links:
            doc.add_paragraph("The codebook defines no theory-of-change links.")
        else:
            doc.add_paragraph(
                "A segment supports a link where both its ends are coded in it or in a neighbouring segment of the "
                "same document. Quotes come first from segments that carry both ends, spread across cases and "
                "documents; matched words in bold."
            )
            rows = []
            for link in data.toc_links:
                title = f"{self._name(link.source)} → {self._name(link.target)}" if link.target else \
                    f"{self._name(link.source)} moderates {self._name(link.moderates[0])} → " \
                    f"{self._name(link.moderates[1])}" if link.moderates else self._name(link.source)
                first: list[tuple[Run, ...]] = [(Run(title, bold=True),)]
                if link.label:
                    first.append((Run(link.label, color=GREY),))
                count = f"{_plural(link.segments, 'segment')} in {_plural(link.cases, 'case')}"
                evidence: list[tuple[Run, ...]] = [(Run(count, bold=True),)]
                for case, n in link.case_segments:
                    evidence.append((Run(case), Run(f" {n:,}", color=GREY)))
                if link.quotes:
                    quotes = tuple(_quote_runs(q) + tuple(_source_inline(q.segment, case=True)) for q in link.quotes)
                else:
                    quotes = ((Run("No coded evidence.", italic=True, color=GREY),),)
                rows.append([Cell(tuple(first)), Cell(tuple(evidence)), Cell(quotes)])
            add_table(doc, [Column("Link", most=0.22), Column("Evidence", most=0.2),
                            Column("Exemplar quotes", least=0.5)], rows)
        heading(doc, "Nodes without evidence", 2, self.contents)
        if not data.toc_unevidenced:
            doc.add_paragraph("Every node of the theory of change has coded evidence.")
            return
        doc.add_paragraph("No coded segment supports these nodes; the theory of change is untested there.")
        for key in data.toc_unevidenced:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(self.names.get(key, key))
            if key in self.names:
                run(paragraph, f" ({key})", color=GREY)

    def _name(self, key: str | None) -> str:
        return self.names.get(key, key) if key else ""

    # -- memos on cases, documents and segments

    def memos_on_cases(self) -> None:
        if self.data.memos.on_cases:
            self.chapter("Memos on cases and documents")
            case_memos(self.doc, self.data.memos, self.contents)

    # -- appendices

    def codebook_appendix(self) -> None:
        data, doc = self.data, self.doc
        self.chapter("Appendix A: codebook", landscape=False)
        _muted(doc.add_paragraph(), f"{data.codebook_name}, version {data.codebook_version}; content hash "
               f"{data.codebook_hash}. `qualkit codebook export codebook.yaml` writes the file itself.")
        depths = _depths(data.codes)
        rows = []
        for code in data.codes:
            details: list[tuple[Run, ...]] = [(Run(code.definition.strip() or "No definition given."),)]
            for label, items in (("Include", code.include), ("Exclude", code.exclude)):
                if items:
                    details.append((Run(f"{label}: ", bold=True), Run("; ".join(items))))
            if code.examples:
                details.append((Run("Example: ", bold=True),
                                Run(" / ".join(f"“{e}”" for e in code.examples), italic=True)))
            name = (Run(_code_title(code), bold=depths[code.key] == 0),)
            key = (Run(code.key, color=GREY, size=7.5, identifier=True),)
            stage = Cell.text(code.stage or "–")
            if depths[code.key] == 0:
                rows.append([Cell((name, key), fill=THEME_FILL), Cell(stage.paragraphs, fill=THEME_FILL),
                             Cell(tuple(details), fill=THEME_FILL)])
            else:
                rows.append([Cell((name, key)), stage, Cell(tuple(details))])
        add_table(doc, [Column("Code", most=0.28), Column("Stage"), Column("Definition and criteria", least=0.5)],
                  rows, keep_whole=False, banded=False)

    def listing_by_segment(self) -> None:
        data, doc = self.data, self.doc
        self.chapter("Appendix B: every coded segment")
        passages: dict[tuple, list[CodedSegment]] = {}
        for segment in sorted(data.segments, key=_segment_order):
            passages.setdefault(segment.passage, []).append(segment)
        doc.add_paragraph(
            f"All {_count(len(passages))} coded segments ({_plural(len(data.segments), 'coding')}), by case and "
            "document in the order they occur, each in full with its codes. Matched words are in bold; a code "
            "accepted by only some of the segment's reviewers names them."
        )
        rows = []
        current = None
        for codings in passages.values():
            first = codings[0]
            place = (first.case, first.document)
            if place != current:
                current = place
                rows.append([Cell((( Run(first.case or NO_CASE, bold=True), Run(" · "),
                                     Run(first.document, identifier=True)),), fill=GROUP_FILL, span=3)])
            rows.append(self.listing_row(codings))
        add_table(doc, [Column("Passage", least=0.5), Column("Codes", least=0.24, most=0.3),
                        Column("Speaker & time")], rows, keep_whole=False)

    def listing_row(self, codings: Sequence[CodedSegment]) -> list[Cell]:
        from qualkit.export.quotes import highlight

        first = codings[0]
        whole = highlight(first.text, sorted({span for coding in codings for span in coding.evidence_in_text}))
        pending = all(c.pending for c in codings)
        runs = tuple(Run(text, mark=marked, italic=pending, color=PENDING_GREY if pending else None)
                     for text, marked in whole.runs)
        accepted_by = [name for name in dict.fromkeys(n for c in codings for n in c.reviewers)]
        code_lines = []
        for coding in codings:
            line = [Run(self.names.get(coding.code, coding.code))]
            if coding.pending:
                line.append(Run(f" {PENDING_MARK}", bold=True, color=PENDING_GREY))
            elif set(coding.reviewers) != set(accepted_by) and coding.reviewers:
                line.append(Run(f" ({', '.join(coding.reviewers)})", color=GREY))
            code_lines.append(tuple(line))
        if accepted_by:
            code_lines.append((Run("Accepted by " + ", ".join(accepted_by), color=GREY, size=7.5),))
        fill = PENDING_FILL if pending else None
        return [Cell((runs,), fill=fill), Cell(tuple(code_lines), fill=fill),
                Cell.text(_speaker_time(first), fill=fill)]

    def listing_by_code(self) -> None:
        data, doc = self.data, self.doc
        self.chapter("Appendix B: coded segments by code")
        doc.add_paragraph("Every coding, under its code, by case and document: a segment with several codes "
                          "appears under each of them. Matched words are in bold.")
        by_code: dict[str, list[CodedSegment]] = defaultdict(list)
        for segment in data.segments:
            by_code[segment.code].append(segment)
        order = [code.key for code in data.codes if code.key in by_code] + sorted(
            key for key in by_code if key not in self.names)
        for key in order:
            heading(doc, self.names.get(key, key), 2, self.contents, listed=False)
            rows = [self.listing_row([segment]) + [Cell.text(segment.case or NO_CASE),
                                                    Cell.text(segment.document, identifier=True)]
                    for segment in sorted(by_code[key], key=_segment_order)]
            rows = [[row[0], row[3], row[4], row[2]] for row in rows]
            add_table(doc, [Column("Quote", least=0.5), Column("Case"), Column("Document"),
                            Column("Speaker & time")], rows, keep_whole=False)


# ---------------------------------------------------------------------------------- quotes shown


def _quote_runs(quote: Quote) -> tuple[Run, ...]:
    pending = quote.segment.pending
    runs: list[Run] = []
    if pending:
        runs.append(Run(PENDING_MARK + " ", bold=True, color=PENDING_GREY))
    text = quote.excerpt.runs
    for index, (piece, marked) in enumerate(text):
        if index == 0:
            piece = "“" + piece
        if index == len(text) - 1:
            piece = piece + "”"
        runs.append(Run(piece, mark=marked, italic=not marked or pending, color=PENDING_GREY if pending else None))
    return tuple(runs)


def _source(segment: CodedSegment, *, case: bool) -> tuple[tuple[Run, ...], ...]:
    lines: list[tuple[Run, ...]] = []
    if case:
        lines.append((Run(segment.case or NO_CASE, bold=True),))
    lines.append((Run(segment.document, identifier=True),))
    speaker = _speaker_time(segment)
    if speaker != "–":
        lines.append((Run(speaker.replace("\n", ", "), color=GREY),))
    return tuple(lines)


def _source_inline(segment: CodedSegment, *, case: bool) -> list[Run]:
    parts = ([segment.case] if case and segment.case else []) + [segment.document]
    speaker = _speaker_time(segment)
    if speaker != "–":
        parts.append(speaker.replace("\n", " "))
    return [Run(" (", color=GREY), Run(", ".join(parts), color=GREY, identifier=True), Run(")", color=GREY)]


def _speaker_time(segment: CodedSegment) -> str:
    parts = [segment.speaker] if segment.speaker else []
    if segment.timestamp is not None and not math.isnan(segment.timestamp):
        parts.append(_clock(segment.timestamp))
    return "\n".join(parts) or "–"


def _segment_order(segment: CodedSegment):
    start = segment.start if segment.start is not None else (
        segment.timestamp if segment.timestamp is not None else math.inf)
    return (segment.case is None, (segment.case or "").casefold(), segment.document.casefold(), start)


def _counts_of(segments: Sequence[CodedSegment]) -> _Counts:
    return _Counts(len({s.passage for s in segments}), len({s.document for s in segments}),
                   len({s.case for s in segments if s.case}))


# ------------------------------------------------------------------------------- shared pieces


def _title_page(doc: Document, title: str, lines: Iterable[str | None], date: str, notes: Iterable[str | None],
                footer: str, *, spacer: float = 120) -> None:
    from docx.shared import Pt

    section = doc.sections[0]
    section.different_first_page_header_footer = True  # no page number on the title page
    section.first_page_footer.is_linked_to_previous = False
    page_footer(section, footer)
    space = doc.add_paragraph()
    space.paragraph_format.space_before = Pt(spacer)
    doc.add_paragraph(title, style="Title")
    for line in lines:
        if line:
            doc.add_paragraph(line, style="Subtitle")
    doc.add_paragraph(date)
    for note in notes:
        if note:
            _muted(doc.add_paragraph(), note)


def _contents_page(doc: Document):
    """The "Contents" title on a new page and the paragraph the entries go before."""
    title = doc.add_paragraph("Contents", style="TOC Heading")
    title.paragraph_format.page_break_before = True
    return doc.add_paragraph()


def _finish_contents(doc: Document, anchor, contents: Contents) -> None:
    contents_list(anchor, contents.entries, right_edge_pt=text_width_pt(doc, section=0))
    anchor._p.getparent().remove(anchor._p)
    update_fields_on_open(doc)


def _code_overview(doc: Document, codes: Sequence[CodeInfo]) -> None:
    depths = _depths(codes)
    rows = []
    for code in codes:
        theme = depths[code.key] == 0
        rows.append([Cell.text("    " * depths[code.key] + code.name, bold=theme),
                     Cell.text(code.key, identifier=True), Cell.text(code.stage or "–"),
                     Cell.text("yes" if code.codable else "no (theme)")])
    add_table(doc, [Column("Code", least=0.35), Column("Key"), Column("Stage"), Column("Applied to text")], rows)


def _sign_off(doc: Document) -> None:
    from docx.shared import Cm

    doc.add_heading("Sign-off", level=1)
    doc.add_paragraph("Signing confirms that the definitions and criteria below are agreed for coding.")
    rows = [[Cell.text(role, bold=True), Cell(), Cell(), Cell()]
            for role in ("Prepared by", "Reviewed by", "Approved by")]
    table = add_table(doc, [Column("Role"), Column("Name", least=0.28), Column("Signature", least=0.3),
                            Column("Date", least=0.18)], rows, banded=False)
    for row in table.table.rows[1:]:
        row.height = Cm(1.1)


def _save(doc: Document, path: Path) -> None:
    with atomic_output(path) as partial:
        doc.save(str(partial))


def _muted(paragraph, text: str):
    _run_muted(paragraph, text)
    return paragraph


def _run_muted(paragraph, text: str) -> None:
    run(paragraph, text, color=GREY, size=9)


def _criteria(doc: Document, label: str, items: Sequence[str], *, italic: bool = False) -> None:
    if not items:
        return
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_after = 0
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run(f"{label}:").bold = True
    for item in items:
        run(doc.add_paragraph(style="List Bullet"), item, italic=italic)


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


def _header(column: str) -> str:
    """A column name as a header, names in it as written: "only_Amira Khan" -> "Only Amira Khan"."""
    text = column.replace("_", " ")
    return text[:1].upper() + text[1:]


def _kind(kind: str, n: int) -> str:
    return kind if n == 1 else {"survey": "surveys"}.get(kind, kind + "s")


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
    """A fraction as a percentage with one decimal, without the sign (the header says %)."""
    return "–" if _is_missing(value) else f"{100 * float(value):.1f}"
