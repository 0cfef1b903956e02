"""Memos in the Word report, from a hand-made ReportData, read back with python-docx."""

import docx
import pytest
from docx.table import Table

from qualkit.export.report_data import ReportMemos, SegmentMemos
from qualkit.export.report_memos import memo_byline, memo_date
from qualkit.export.word import write_report
from qualkit.records import Memo, MemoAbout, MemoTarget
from tests.export.test_word import make_data

_ids = iter(range(1, 1000))


def memo(about, text, *, title=None, author="Amira Khan", revisions=1, edited_by=None, **target):
    return Memo(id=next(_ids), target=MemoTarget(MemoAbout(about), **target), title=title, text=text, author=author,
                created_at="2025-05-03T10:11:12.123Z", edited_by=edited_by or author,
                edited_at="2025-05-05T08:00:00.000Z", revisions=revisions)


MEMOS = ReportMemos(
    project=(memo("project", "We sampled six schools.\n\nTwo are rural.", title="Sampling"),),
    codes={
        "offer.npq": (memo("code", "NPQs read as retention.", author="Ben Roberts", revisions=3,
                           edited_by="Amira Khan", code="offer.npq"),),
        "culture": (memo("code", "Culture is the mechanism we doubt most.", code="culture"),),
        "retired.code": (memo("code", "A code dropped in version 2.", code="retired.code"),),
    },
    cases={"Brookfield": (memo("case", "New head in 2023.", case="Brookfield"),)},
    documents={"staff.docx": (memo("document", "Recorded on Teams; audio poor.", document="staff.docx"),),
               "policy_trust_pd_entitlement.docx": (memo("document", "The 2024 revision.",
                                                         document="policy_trust_pd_entitlement.docx"),)},
    segments=(SegmentMemos(document="staff.docx", case="Brookfield", segment=7, speaker="Head", timestamp=3725.0,
                           text="We trust each other to have a go. " * 30,
                           memos=(memo("segment", "Irony? Check the audio.", document="staff.docx", segment=7),)),),
    document_cases={"staff.docx": "Brookfield", "policy_trust_pd_entitlement.docx": None},
    case_attributes={"Brookfield": {"phase": "primary", "region": "North"}},
)


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    return docx.Document(str(write_report(make_data(memos=MEMOS), tmp_path_factory.mktemp("memos") / "r.docx")))


def _blocks(document):
    """Headings, paragraphs and tables (as their text) in the order they appear."""
    out = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            out.append(("table", "\n".join(cell.text for row in block.rows for cell in row.cells)))
        elif block.text:
            kind = block.style.name if block.style.name.startswith("Heading") else "text"
            out.append((kind, block.text))
    return out


def _after(blocks, heading):
    index = blocks.index(heading)
    return blocks[index + 1:]


def test_report_memos_byline_says_author_date_and_versions():
    assert memo_date("2025-05-03T10:11:12.123Z") == "3 May 2025"
    assert memo_byline(MEMOS.project[0]) == "Amira Khan, 3 May 2025 · 1 version"
    assert memo_byline(MEMOS.codes["offer.npq"][0]) == (
        "Ben Roberts, 3 May 2025 · 3 versions, the latest by Amira Khan, 5 May 2025")


def test_report_memos_project_memos_in_the_method(document):
    blocks = _blocks(document)
    method = _after(blocks, ("Heading 1", "Method"))
    section = _after(method, ("Heading 2", "Project memos"))
    memo_table = next(text for kind, text in section if kind == "table")
    assert memo_table == ("Memo: Sampling\nAmira Khan, 3 May 2025 · 1 version\nWe sampled six schools.\n"
                          "Two are rural.")
    assert method.index(("Heading 2", "Project memos")) < method.index(("Heading 2", "Inter-rater agreement"))


def test_report_memos_code_and_theme_memos_under_their_headings(document):
    blocks = _blocks(document)
    npq = _after(blocks, ("Heading 2", "National professional qualifications"))
    assert npq[2] == ("table", "Memo\nBen Roberts, 3 May 2025 · 3 versions, the latest by Amira Khan, 5 May 2025\n"
                               "NPQs read as retention.")  # after the key line and the definition, before quotes
    assert npq[3][1].startswith("2 quotes of")
    theme = _after(blocks, ("Heading 1", "School culture"))
    assert theme[2] == ("table", "Memo\nAmira Khan, 3 May 2025 · 1 version\nCulture is the mechanism we doubt most.")
    stray = _after(blocks, ("Heading 2", "retired.code"))
    assert stray[0] == ("table", "Memo\nAmira Khan, 3 May 2025 · 1 version\nA code dropped in version 2.")


def test_report_memos_cases_documents_and_segments_in_their_own_chapter(document):
    blocks = _blocks(document)
    chapter = _after(blocks, ("Heading 1", "Memos on cases and documents"))
    chapter = chapter[:chapter.index(("Heading 1", "Appendix A: codebook"))]
    headings = [(kind, text) for kind, text in chapter if kind.startswith("Heading")]
    assert headings == [("Heading 2", "Brookfield"), ("Heading 3", "staff.docx"), ("Heading 2", "(no case)"),
                        ("Heading 3", "policy_trust_pd_entitlement.docx")]
    texts = [text for _, text in chapter]
    brookfield = texts[texts.index("Brookfield") + 1:texts.index("staff.docx")]
    assert brookfield[0] == "phase: primary · region: North"
    assert brookfield[1].endswith("New head in 2023.")
    staff = texts[texts.index("staff.docx") + 1:texts.index("(no case)")]
    assert staff[0].endswith("Recorded on Teams; audio poor.")
    assert staff[1] == "Segment 7 · Head · 1:02:05"
    assert staff[2].startswith("“We trust each other") and staff[2].endswith("”") and len(staff[2].split()) <= 42
    assert staff[3].endswith("Irony? Check the audio.")
    contents = [p.text for p in document.paragraphs if p.style.name != "Heading 1"]
    assert any(text.startswith("Memos on cases and documents\t") for text in contents)


def test_report_memos_change_no_count(tmp_path):
    plain = docx.Document(str(write_report(make_data(), tmp_path / "plain.docx")))
    with_memos = docx.Document(str(write_report(make_data(memos=MEMOS), tmp_path / "memos.docx")))

    def counted(document):  # every table but the memo boxes, and the title page
        return [[cell.text for row in table.rows for cell in row.cells] for table in document.tables
                if not table.rows[0].cells[0].text.startswith("Memo")], [p.text for p in document.paragraphs[:6]]

    assert counted(plain) == counted(with_memos)


def test_report_memos_without_any_no_chapter_or_section(tmp_path):
    document = docx.Document(str(write_report(make_data(), tmp_path / "plain.docx")))
    texts = [p.text for p in document.paragraphs]
    assert "Project memos" not in texts and "Memos on cases and documents" not in texts
    assert not any(text.startswith("Memo") for table in document.tables for text in [table.rows[0].cells[0].text])
