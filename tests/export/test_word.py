import dataclasses
import struct
import subprocess
import sys
import zlib

import docx
import pandas as pd
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import Table

from qualkit.errors import QualkitError
from qualkit.export.report_data import CodedSegment, CodeInfo, LinkEvidence, ReportData
from qualkit.export.word import PENDING_MARK, TOC_PLACEHOLDER, write_codebook_docx, write_report

CODES = (
    CodeInfo("offer", "The coherent offer", None, "input", "Professional development staff can take part in.",
             (), (), (), False, None),
    CodeInfo("offer.itt", "Initial teacher training", "offer", "input", "Training before qualified teacher status.",
             ("hosting trainees on placement",), ("mentoring of early career teachers",),
             ("We host six trainees a year.",), True, "offer"),
    CodeInfo("offer.npq", "National professional qualifications", "offer", "input",
             "NPQs taken by serving staff.", ("NPQ funding",), (), (), True, "offer"),
    CodeInfo("culture", "School culture", None, "mechanism", "How staff work together.", (), (), (), False, None),
    CodeInfo("culture.trust", "Trust between colleagues", "culture", "mechanism",
             "Staff trusting each other to try things.", ("open classrooms",), ("trust with parents",), (),
             True, "culture"),
)
THEMES = ("The coherent offer", "School culture")


def _segment(code, text, case, *, document="interview.docx", status="accepted", speaker="Head", timestamp=61.0):
    reviewers = () if status == "pending" else ("amira", "ben")
    return CodedSegment(code, document, case, speaker, timestamp, text, reviewers, status, "patterns", 0.8)


SEGMENTS = (
    _segment("offer.itt", "We usually have six trainees a year through the SCITT.", "Castleton"),
    _segment("offer.itt", "Our TA went through the teaching apprenticeship.", "Brookfield"),
    _segment("offer.itt", "Placements are our best recruitment route.", "Castleton", document="lead.docx"),
    _segment("offer.itt", "The PGCE did not prepare me for mixed-age classes.", None, timestamp=None, speaker=None),
    _segment("offer.npq", "Two of our middle leaders are doing the NPQ in leading teaching.", "Brookfield"),
    _segment("offer.npq", "The NPQ funding made the decision easy.", "Castleton"),
    _segment("offer.npq", "Perhaps the NPQ helped, I am not sure.", "Brookfield", status="pending"),
    _segment("culture.trust", "People just drop into each other's lessons now.", "Brookfield", timestamp=3725.0),
    _segment("culture.trust", "Nobody is judged for trying something that fails.", "Castleton"),
    _segment("culture.trust", "We trust each other to have a go.", "Brookfield", document="staff.docx"),
)


def _png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x1f\x77\xb4" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _frequency(segments) -> pd.DataFrame:
    rows = []
    for code in CODES:
        if not code.codable:
            continue
        mine = [s for s in segments if s.code == code.key]
        rows.append({
            "code": code.key, "name": code.name, "theme": code.theme, "segments": len(mine),
            "documents": len({s.document for s in mine}), "cases": len({s.case for s in mine if s.case}),
            "share": len(mine) / len(segments),
            "segments[phase=primary]": sum(1 for s in mine if s.case == "Brookfield"),
        })
    return pd.DataFrame(rows)


def make_data(segments=SEGMENTS, **changes) -> ReportData:
    framework = pd.DataFrame({"offer": [3, 4], "culture": [2, 0]}, index=["Brookfield", "Castleton"])
    data = ReportData(
        title="Coherent offer case study", subtitle="Interim coding report", generated_at="2025-03-14T09:30:00",
        qualkit_version="0.1.0",
        corpus={"documents": 3, "cases": 2, "words": 12345, "kinds": {"interview": 2, "policy": 1}, "segments": 10},
        codebook_name="Coherent offer", codebook_version="1", codebook_hash="3f9a1c",
        reviewers=("amira", "ben"), consensus_rule="both reviewers accept",
        agreement=pd.DataFrame({"code": ["offer.itt", "(overall)"], "n_units": [12, 30], "percent": [91.66, 86.5],
                                "kappa": [0.8123, float("nan")], "alpha": [0.79, 0.7]}),
        include_pending=True, codes=CODES, segments=tuple(segments), frequency=_frequency(segments),
        by_attribute="phase", framework=framework,
        framework_quotes={("Brookfield", "offer"): ("Our TA went through the teaching apprenticeship.",)},
        toc_stages=("input", "mechanism", "outcome"),
        toc_links=(LinkEvidence("offer", "culture", "shapes", None, 4, 2, ("Brookfield", "Castleton"),
                                (("Brookfield", "interview.docx", "People just drop into each other's lessons."),)),),
        toc_unevidenced=("culture.trust",), toc_diagram_png=_png(), codebook_yaml="name: Coherent offer\nversion: 1\n",
    )
    return dataclasses.replace(data, **changes)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = write_report(make_data(), tmp_path_factory.mktemp("report") / "report.docx")
    return docx.Document(str(path))


def _headings(document):
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]


def _blocks_by_heading(document, level: str):
    """(heading text, block) for every paragraph and table, under the latest heading of ``level``."""
    current = None
    for block in document.iter_inner_content():
        if not isinstance(block, Table) and block.style.name == level:
            current = block.text
        elif not isinstance(block, Table) and block.style.name == "Heading 1" and level != "Heading 1":
            current = None
        yield current, block


def _segment_tables(document):
    """Quote-column texts of the segment tables, by code heading."""
    tables = {}
    for heading, block in _blocks_by_heading(document, "Heading 2"):
        if isinstance(block, Table) and block.rows[0].cells[0].text == "Quote":
            tables.setdefault(heading, []).append(block)
    return tables


def _table_after(document, heading_text: str) -> Table:
    seen = False
    for block in document.iter_inner_content():
        if not isinstance(block, Table) and block.text == heading_text and block.style.name.startswith("Heading"):
            seen = True
        elif seen and isinstance(block, Table):
            return block
    raise AssertionError(f"no table after {heading_text!r}")


def test_write_report_headings_in_order_with_heading_styles(report):
    headings = _headings(report)
    expected = [
        ("Heading 1", "Method"), ("Heading 2", "Corpus"), ("Heading 2", "Inter-rater agreement"),
        ("Heading 1", "Code frequencies"),
        ("Heading 1", "The coherent offer"), ("Heading 2", "Initial teacher training"),
        ("Heading 2", "National professional qualifications"),
        ("Heading 1", "School culture"), ("Heading 2", "Trust between colleagues"),
        ("Heading 1", "Framework matrix"), ("Heading 1", "Theory of change"),
        ("Heading 2", "Evidence for each link"), ("Heading 2", "Nodes without evidence"),
        ("Heading 1", "Appendix A: codebook"), ("Heading 1", "Appendix B: codebook file"),
    ]
    positions = [headings.index(item) for item in expected]
    assert positions == sorted(positions)
    assert [p.style.name for p in report.paragraphs[:6] if p.text][:3] == ["Title", "Subtitle", "Normal"]


def test_write_report_each_accepted_quote_once_under_its_code(report):
    tables = _segment_tables(report)
    names = {code.key: code.name for code in CODES}
    every_quote = [row.cells[0].text for blocks in tables.values() for table in blocks for row in table.rows[1:]]
    for segment in SEGMENTS:
        if segment.status != "accepted":
            continue
        under_code = [row.cells[0].text for table in tables[names[segment.code]] for row in table.rows[1:]]
        assert under_code.count(segment.text) == 1, segment.text
        assert every_quote.count(segment.text) == 1, segment.text
    assert len(every_quote) == len(SEGMENTS)


def test_write_report_segments_sorted_by_case(report):
    [table] = _segment_tables(report)["Initial teacher training"]
    cases = [row.cells[2].text for row in table.rows[1:]]
    assert cases == ["Brookfield", "Castleton", "Castleton", "–"]
    assert [row.cells[1].text for row in table.rows[1:3]] == ["interview.docx", "interview.docx"]
    assert table.rows[1].cells[3].text == "Head\n1:01"


def test_write_report_marks_pending_segments(report):
    [table] = _segment_tables(report)["National professional qualifications"]
    rows = table.rows[1:]
    [pending] = [row for row in rows if "not sure" in row.cells[0].text]
    assert pending.cells[0].text == f"{PENDING_MARK} Perhaps the NPQ helped, I am not sure."
    runs = [run for run in pending.cells[0].paragraphs[0].runs if run.text]
    assert all(run.italic for run in runs)
    assert all(str(run.font.color.rgb) == "7F7F7F" for run in runs)
    assert pending.cells[4].text == "Not yet reviewed\n(suggested by patterns, 0.80)"
    accepted = [row for row in rows if "not sure" not in row.cells[0].text]
    assert len(accepted) == 2
    assert not any(PENDING_MARK in row.cells[0].text or row.cells[0].paragraphs[0].runs[0].italic for row in accepted)


def test_write_report_header_rows_repeat(report):
    tables = [table for blocks in _segment_tables(report).values() for table in blocks]
    assert len(tables) == 3
    for table in tables + [_table_after(report, "Framework matrix"), _table_after(report, "Code frequencies")]:
        first, second = table.rows[0]._tr, table.rows[1]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert second.trPr is None or second.trPr.find(qn("w:tblHeader")) is None


def test_write_report_framework_section_is_landscape_then_portrait(report):
    def heading_texts(section):
        return {block.text for block in section.iter_inner_content() if not isinstance(block, Table)}

    sections = list(report.sections)
    [index] = [i for i, section in enumerate(sections) if "Framework matrix" in heading_texts(section)]
    framework, after = sections[index], sections[index + 1]
    assert framework.orientation == WD_ORIENT.LANDSCAPE
    assert framework.page_width > framework.page_height
    assert after.orientation == WD_ORIENT.PORTRAIT and after.page_width < after.page_height
    assert "Theory of change" in heading_texts(after)
    assert sections[0].orientation == WD_ORIENT.PORTRAIT and sections[0].page_width < sections[0].page_height


def test_write_report_wide_frequency_table_goes_landscape(tmp_path):
    frequency = make_data().frequency
    for phase in ("early", "middle", "late"):
        frequency[f"segments[phase={phase}]"] = 1
    document = docx.Document(str(write_report(make_data(frequency=frequency), tmp_path / "r.docx")))
    [section] = [s for s in document.sections
                 if "Code frequencies" in [b.text for b in s.iter_inner_content() if not isinstance(b, Table)]]
    assert section.orientation == WD_ORIENT.LANDSCAPE and section.page_width > section.page_height
    assert len(_table_after(document, "Code frequencies").columns) == 9
    assert [s.orientation for s in document.sections].count(WD_ORIENT.LANDSCAPE) == 2


def test_write_report_drops_characters_xml_cannot_hold(tmp_path):
    segment = _segment("offer.itt", "Form\x0cfeed and a\x0bvertical tab\x00.", "Brookfield")
    document = docx.Document(str(write_report(make_data((segment,)), tmp_path / "r.docx")))
    [table] = _segment_tables(document)["Initial teacher training"]
    assert table.rows[1].cells[0].text == "Formfeed and avertical tab."


def test_write_report_framework_cells_hold_counts_and_quotes(report):
    table = _table_after(report, "Framework matrix")
    assert [cell.text for cell in table.rows[0].cells] == ["Case", "The coherent offer", "School culture"]
    brookfield = table.rows[1].cells
    assert brookfield[0].text == "Brookfield"
    assert brookfield[1].text == "3 segments\n“Our TA went through the teaching apprenticeship.”"
    assert table.rows[2].cells[2].text == "–"


def test_write_report_has_toc_and_page_fields(report):
    instructions = [node.text for node in report.element.body.iter(qn("w:instrText"))]
    assert ' TOC \\o "1-3" \\h \\z \\u ' in instructions
    assert TOC_PLACEHOLDER in [p.text for p in report.paragraphs]
    assert len(report.sections) == 3
    for section in report.sections:
        footer = section.footer
        assert not footer.is_linked_to_previous
        assert "PAGE" in [node.text.strip() for node in footer._element.iter(qn("w:instrText"))]


def test_write_report_frequency_table_equals_dataframe(report):
    table = _table_after(report, "Code frequencies")
    header = [cell.text for cell in table.rows[0].cells]
    assert header == ["Code", "Segments", "Documents", "Cases", "Share", "Segments: phase = primary"]
    rows = {}
    for row in table.rows[1:]:
        texts = [cell.text for cell in row.cells]
        if len(set(texts)) > 1:  # theme rows span the table
            rows[texts[0].split("\n")[1]] = texts[1:]
    frame = make_data().frequency
    assert set(rows) == set(frame["code"])
    for record in frame.to_dict("records"):
        segments, documents, cases, share, primary = rows[record["code"]]
        assert (int(segments), int(documents), int(cases), int(primary)) == (
            record["segments"], record["documents"], record["cases"], record["segments[phase=primary]"])
        assert float(share.rstrip("%")) == pytest.approx(100 * record["share"], abs=0.05)


def test_write_report_method_states_agreement_and_pending(report):
    table = _table_after(report, "Inter-rater agreement")
    assert [cell.text for cell in table.rows[0].cells] == ["Code", "Units", "Agreement (%)", "κ", "α"]
    assert [cell.text for cell in table.rows[1].cells] == ["offer.itt", "12", "91.7", "0.81", "0.79"]
    assert [cell.text for cell in table.rows[2].cells] == ["Overall", "30", "86.5", "–", "0.70"]
    text = "\n".join(p.text for p in report.paragraphs)
    assert "includes 1 pending suggestion that no reviewer has accepted yet" in text
    assert "Reviewers: amira, ben. Consensus rule: both reviewers accept." in text
    assert "3f9a1c" in text


def test_write_report_leaves_out_pending_sentence_without_pending(tmp_path):
    accepted = [s for s in SEGMENTS if s.status == "accepted"]
    path = write_report(make_data(accepted, include_pending=False), tmp_path / "r.docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Only accepted codings are reported" in text
    assert "includes 0 pending" not in text and PENDING_MARK not in text


def test_write_report_appendix_has_every_definition(report):
    paragraphs = [p.text for p in report.paragraphs]
    appendix = paragraphs[paragraphs.index("Appendix A: codebook"):]
    for code in CODES:
        assert code.definition in appendix, code.key
        assert code.name in appendix
    assert "hosting trainees on placement" in appendix and "“We host six trainees a year.”" in appendix


def test_write_report_diagram_fits_the_page(report):
    [shape] = report.inline_shapes
    section = report.sections[-1]
    usable_height = section.page_height - section.top_margin - section.bottom_margin
    usable_width = section.page_width - section.left_margin - section.right_margin
    assert shape.width <= usable_width and shape.height <= usable_height
    assert max(shape.width, shape.height) > usable_width // 2


def test_write_report_code_without_segments_says_so(tmp_path):
    segments = [s for s in SEGMENTS if s.code != "culture.trust"]
    path = write_report(make_data(segments), tmp_path / "r.docx")
    document = docx.Document(str(path))
    blocks = [block for heading, block in _blocks_by_heading(document, "Heading 2")
              if heading == "Trust between colleagues"]
    assert not any(isinstance(block, Table) for block in blocks)
    assert "No accepted or pending segments were coded with this code." in [b.text for b in blocks]


def test_write_report_keeps_codings_of_unknown_codes(tmp_path):
    stray = _segment("culture.old", "A coding from an older codebook.", "Brookfield")
    path = write_report(make_data((*SEGMENTS, stray)), tmp_path / "r.docx")
    tables = _segment_tables(docx.Document(str(path)))
    assert [row.cells[0].text for row in tables["culture.old"][0].rows[1:]] == [stray.text]


def test_write_report_large_case_has_every_row(tmp_path):
    segments = [
        _segment("offer.itt", f"Quote number {i} about placements.", f"School {i % 40:02d}", timestamp=float(i))
        for i in range(3000)
    ]
    path = write_report(make_data(segments), tmp_path / "large.docx")
    [table] = _segment_tables(docx.Document(str(path)))["Initial teacher training"]
    quotes = [row.cells[0].text for row in table.rows[1:]]
    assert len(quotes) == 3000 and len(set(quotes)) == 3000
    cases = [row.cells[2].text for row in table.rows[1:]]
    assert cases == sorted(cases)


@pytest.mark.parametrize(
    ("name", "message"),
    [("report.pdf", r"must end in \.docx, not \.pdf"), ("missing/report.docx", "does not exist")],
    ids=["wrong-suffix", "missing-folder"],
)
def test_write_report_bad_path(tmp_path, name, message):
    with pytest.raises(QualkitError, match=message):
        write_report(make_data(), tmp_path / name)


def test_write_report_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"old report")
    with pytest.raises(QualkitError, match="not an image Word can show"):
        write_report(make_data(toc_diagram_png=b"not a png"), path)
    assert path.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]


def test_write_codebook_docx_has_every_code(tmp_path):
    path = write_codebook_docx(CODES, name="Coherent offer", version="2", path=tmp_path / "codebook.docx",
                               codebook_hash="3f9a1c")
    document = docx.Document(str(path))
    headings = _headings(document)
    for code in CODES:
        level = "Heading 1" if code.parent is None else "Heading 2"
        assert (level, code.name) in headings, code.key
    text = [p.text for p in document.paragraphs]
    for code in CODES:
        assert code.definition in text
        for item in code.include + code.exclude:
            assert item in text
    assert document.paragraphs[1].text == "Codebook: Coherent offer"
    overview = _table_after(document, "Overview")
    assert [row.cells[1].text for row in overview.rows[1:]] == [code.key for code in CODES]
    sign_off = _table_after(document, "Sign-off")
    assert [row.cells[0].text for row in sign_off.rows] == ["Role", "Prepared by", "Reviewed by", "Approved by"]


def test_word_module_imports_without_python_docx():
    code = "import sys, qualkit.export.word; print('docx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
