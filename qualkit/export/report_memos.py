"""Memos in the Word report: the research team's notes beside what they are about.

Project memos go into the method, a code's (or theme's) memos under its heading, and memos on
cases, documents and segments into a chapter of their own, case by case. Each memo is a shaded
box: its title, who wrote it and when, how many versions it has had (and who wrote the latest),
then its text. Memos are words about the analysis, not data: they change no count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from qualkit.export.docx_layout import GREY, Cell, Column, Contents, Run, add_table, heading, run
from qualkit.export.report_data import NO_CASE, ReportMemos, SegmentMemos

if TYPE_CHECKING:
    from docx.document import Document

    from qualkit.records import Memo

MEMO_FILL = "FFF6DA"  # a pale yellow, as memos are in most QDA programs; prints as a light grey
MEMO_SIZE = 9.0
LONG_MEMO_CHARS = 1200  # a memo longer than this may break across pages
EXCERPT_WORDS = 40  # of a segment that a memo is on


def memo_date(value: str) -> str:
    """A stored UTC time as a date a reader expects: "3 May 2025"."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return value
    return f"{moment.day} {moment:%B %Y}"


def memo_byline(memo: Memo) -> str:
    """Who wrote a memo and when, and its versions: "Amira Khan, 3 May 2025 · 3 versions, the
    latest by Ben Roberts, 5 May 2025"."""
    line = f"{memo.author}, {memo_date(memo.created_at)}"
    if memo.revisions > 1:
        line += f" · {memo.revisions} versions, the latest by {memo.edited_by}, {memo_date(memo.edited_at)}"
    else:
        line += " · 1 version"
    return line


def memo_cell(memo: Memo) -> Cell:
    """One memo as a shaded cell: title, byline, then its paragraphs (blank lines separate them)."""
    heading_runs: tuple[Run, ...] = (Run(f"Memo: {memo.title}" if memo.title else "Memo", bold=True),)
    byline = (Run(memo_byline(memo), color=GREY, size=7.5),)
    paragraphs = [part.strip("\n") for part in memo.text.split("\n\n") if part.strip()]
    body = tuple((Run(part),) for part in paragraphs)
    return Cell((heading_runs, byline, *body), fill=MEMO_FILL)


def memo_table(doc: Document, memos: Sequence[Memo]) -> None:
    """Memos one below the other, each in its shaded box; nothing for none."""
    if not memos:
        return
    long = any(len(memo.text) > LONG_MEMO_CHARS for memo in memos)
    add_table(doc, [Column("", least=1.0)], [[memo_cell(memo)] for memo in memos], header_rows=[], banded=False,
              keep_whole=not long, size=MEMO_SIZE)
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = 0


def project_memos(doc: Document, memos: Sequence[Memo], contents: Contents) -> None:
    """The project memos as a section of the method."""
    if not memos:
        return
    heading(doc, "Project memos", 2, contents)
    doc.add_paragraph("Memos the research team wrote on the project as a whole, oldest first.")
    memo_table(doc, memos)


def case_memos(doc: Document, memos: ReportMemos, contents: Contents) -> None:
    """Memos on cases, documents and segments, case by case ("(no case)" last), each document's
    under its case, each segment's with the passage it is about. The caller starts the chapter."""
    doc.add_paragraph(
        "Memos the research team wrote on cases, on documents and on single segments, by case; documents that "
        f"belong to no case are under “{NO_CASE}”. A segment's memo follows the passage it is about."
    )
    by_document: dict[str, list[SegmentMemos]] = {}
    for segment in memos.segments:
        by_document.setdefault(segment.document, []).append(segment)
    documents = set(memos.documents) | set(by_document)
    cases = set(memos.cases) | {memos.document_cases.get(name) for name in documents}
    for case in sorted(cases, key=lambda name: (name is None, (name or "").casefold())):
        heading(doc, case or NO_CASE, 2, contents)
        attributes = memos.case_attributes.get(case or "", {})
        if attributes:
            paragraph = doc.add_paragraph()
            run(paragraph, " · ".join(f"{name}: {value}" for name, value in attributes.items()), color=GREY, size=9)
        memo_table(doc, memos.cases.get(case or "", ()) if case else ())
        mine = sorted((name for name in documents if memos.document_cases.get(name) == case), key=str.casefold)
        for name in mine:
            heading(doc, name, 3, contents, listed=False)
            memo_table(doc, memos.documents.get(name, ()))
            for segment in by_document.get(name, ()):
                _segment(doc, segment)


def _segment(doc: Document, segment: SegmentMemos) -> None:
    from qualkit.export.quotes import excerpt

    where = [f"Segment {segment.segment}"]
    if segment.speaker:
        where.append(segment.speaker)
    if segment.timestamp is not None:
        whole = int(segment.timestamp)
        hours, rest = divmod(whole, 3600)
        where.append(f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}")
    label = doc.add_paragraph()
    label.paragraph_format.keep_with_next = True
    label.paragraph_format.space_after = 0
    run(label, " · ".join(where), bold=True, size=9)
    shown = excerpt(segment.text, max_words=EXCERPT_WORDS)
    quote = doc.add_paragraph()
    quote.paragraph_format.keep_with_next = True
    run(quote, "“" + shown.text.strip() + "”", italic=True, size=9)
    memo_table(doc, segment.memos)
