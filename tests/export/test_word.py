"""The Word writer, from a hand-made ReportData, read back with python-docx."""

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
from qualkit.export.docx_layout import CELL_PADDING_PT, ZERO_WIDTH_SPACE, text_width
from qualkit.export.quotes import quote, representative_per_cell
from qualkit.export.report_data import (
    CodedSegment,
    CodeInfo,
    Figure,
    LinkEvidence,
    ReportData,
    Totals,
)
from qualkit.export.word import PENDING_MARK, Listing, write_codebook_docx, write_report
from tests.docx_reading import cell_text as _text
from tests.docx_reading import distinct_cells as _cells
from tests.docx_reading import table_after as _table_after

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
_starts = iter(range(0, 10_000_000, 1000))


def _segment(code, text, case, *, document="interview.docx", status="accepted", speaker="Head", timestamp=61.0,
             evidence=()):
    reviewers = () if status == "pending" else ("Amira Khan", "Ben Roberts")
    start = next(_starts)
    spans = tuple((start + text.index(w), start + text.index(w) + len(w)) for w in evidence)
    return CodedSegment(code, document, case, speaker, timestamp, text, reviewers, status, "rule", 0.8,
                        start=start, end=start + len(text), evidence=spans)


SEGMENTS = (
    _segment("offer.itt", "We usually have six trainees a year through the SCITT.", "Castleton",
             evidence=("trainees", "SCITT")),
    _segment("offer.itt", "Our TA went through the teaching apprenticeship.", "Brookfield",
             evidence=("apprenticeship",)),
    _segment("offer.itt", "Placements are our best recruitment route.", "Castleton", document="lead.docx"),
    _segment("offer.itt", "The PGCE did not prepare me for mixed-age classes.", None, timestamp=None, speaker=None,
             document="policy_trust_pd_entitlement.docx"),
    _segment("offer.npq", "Two of our middle leaders are doing the NPQ in leading teaching.", "Brookfield",
             evidence=("NPQ",)),
    _segment("offer.npq", "The NPQ funding made the decision easy.", "Castleton"),
    _segment("offer.npq", "Perhaps the NPQ helped, I am not sure.", "Brookfield", status="pending"),
    _segment("culture.trust", "People just drop into each other's lessons now.", "Brookfield", timestamp=3725.0),
    _segment("culture.trust", "Nobody is judged for trying something that fails.", "Castleton"),
    _segment("culture.trust", "We trust each other to have a go.", "Brookfield", document="staff.docx",
             evidence=("trust",)),
)


def _png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x1f\x77\xb4" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _frequency(segments) -> pd.DataFrame:
    coded = len({s.passage for s in segments})
    rows = []
    for code in CODES:
        if not code.codable:
            continue
        mine = [s for s in segments if s.code == code.key]
        rows.append({
            "code": code.key, "name": code.name, "theme": code.theme, "segments": len(mine),
            "documents": len({s.document for s in mine}), "cases": len({s.case for s in mine if s.case}),
            "share": len(mine) / coded,
            "segments[phase=primary]": sum(1 for s in mine if s.case == "Brookfield"),
            "share[phase=primary]": sum(1 for s in mine if s.case == "Brookfield") / 5,
        })
    return pd.DataFrame(rows)


def make_data(segments=SEGMENTS, **changes) -> ReportData:
    framework = pd.DataFrame({"offer": [3, 4, 1], "culture": [2, 1, 0]},
                             index=pd.Index(["Brookfield", "Castleton", "(no case)"], name="case"))
    cells = {("Brookfield", "offer"): [s for s in segments if s.case == "Brookfield" and s.code.startswith("offer")]}
    by_code = {}
    for segment in segments:
        by_code.setdefault(segment.code, []).append(segment)
    data = ReportData(
        title="Coherent offer case study", subtitle="Interim coding report", generated_at="2025-03-14T09:30:00",
        qualkit_version="0.1.0",
        totals=Totals(documents=3, cases=2, words=12345, segments=40, coded_segments=len(segments),
                      codings=len(segments), kinds=(("transcript", 2), ("document", 1)), uncased_documents=1),
        codebook_name="Coherent offer", codebook_version="1", codebook_hash="3f9a1c",
        reviewers=("Amira Khan", "Ben Roberts"), consensus_rule="any",
        agreement=pd.DataFrame({"code": ["offer.itt", "(overall)"], "n_units": [12, 30], "percent": [91.66, 86.5],
                                "kappa": [0.8123, float("nan")], "alpha": [0.79, 0.7], "only_Amira Khan": [1, 2],
                                "only_Ben Roberts": [0, 2]}),
        include_pending=True, codes=CODES, segments=tuple(segments), frequency=_frequency(segments),
        frequency_totals=pd.DataFrame({"group": ["(all)", "primary"], "codings": [10, 5],
                                       "coded_segments": [len(segments), 5], "documents": [3, 1], "cases": [2, 1]}),
        by_attribute="phase", framework=framework,
        framework_quotes=representative_per_cell(cells, n=2),
        code_quotes=representative_per_cell(by_code, n=2),
        toc_stages=("input", "mechanism", "outcome"),
        toc_links=(LinkEvidence("offer", "culture", "shapes", None, 4, 2, ("Brookfield", "Castleton"),
                                (quote(SEGMENTS[7]),), (("Brookfield", 3), ("Castleton", 1))),),
        toc_unevidenced=("culture.trust",),
        figures=(Figure("toc", "The theory of change", "How to read it.", _png(), landscape=True),
                 Figure("frequency", "Codes by phase", "Bars.", _png(2, 1))),
        filters=("Consensus rule: any", "Only documents with phase = primary"),
    )
    return dataclasses.replace(data, **changes)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = write_report(make_data(), tmp_path_factory.mktemp("report") / "report.docx")
    return docx.Document(str(path))


def _headings(document):
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]


def _listing(document) -> Table:
    return _table_after(document, "Appendix B: every coded segment")


def test_write_report_headings_in_order_with_heading_styles(report):
    headings = _headings(report)
    expected = [
        ("Heading 1", "Method"), ("Heading 2", "Corpus"), ("Heading 2", "Inter-rater agreement"),
        ("Heading 1", "Code frequencies"), ("Heading 1", "Codes at a glance"),
        ("Heading 1", "The coherent offer"), ("Heading 2", "Initial teacher training"),
        ("Heading 2", "National professional qualifications"),
        ("Heading 1", "School culture"), ("Heading 2", "Trust between colleagues"),
        ("Heading 1", "Framework matrix"), ("Heading 1", "Theory of change"),
        ("Heading 2", "Evidence for each link"), ("Heading 2", "Nodes without evidence"),
        ("Heading 1", "Appendix A: codebook"), ("Heading 1", "Appendix B: every coded segment"),
    ]
    positions = [headings.index(item) for item in expected]
    assert positions == sorted(positions)
    assert [p.style.name for p in report.paragraphs[:6] if p.text][:3] == ["Title", "Subtitle", "Normal"]


def test_write_report_contents_written_out_with_page_fields(report):
    paragraphs = [p for p in report.paragraphs]
    start = next(i for i, p in enumerate(paragraphs) if p.text == "Contents")
    entries = [p.text.split("\t")[0] for p in paragraphs[start + 1:] if "\t" in p.text]
    headings = [text for style, text in _headings(report) if style in ("Heading 1", "Heading 2")]
    assert entries == headings[:len(entries)] and "Appendix B: every coded segment" in entries
    bookmarks = {b.get(qn("w:name")) for b in report.element.body.iter(qn("w:bookmarkStart"))}
    references = [i.text.split()[1] for i in report.element.body.iter(qn("w:instrText")) if "PAGEREF" in i.text]
    assert len(references) == len(entries) and set(references) <= bookmarks
    assert report.settings.element.find(qn("w:updateFields")).get(qn("w:val")) == "true"
    assert not any("Right-click" in p.text for p in paragraphs)


def test_write_report_no_page_break_runs_so_no_blank_pages(report):
    breaks = [b for b in report.element.body.iter(qn("w:br")) if b.get(qn("w:type")) == "page"]
    assert breaks == []  # new pages come from page-break-before and section breaks, never both at once


def test_write_report_method_counts_three_ways(report):
    table = _table_after(report, "Corpus")
    rows = {_text(row.cells[0]): (_text(row.cells[1]), _text(row.cells[2])) for row in table.rows}
    assert rows["Segments"][0] == "40" and rows["Coded segments"] == ("10", "25.0% of segments: segments with at "
                                                                       "least one code")
    assert rows["Codings"][0] == "10" and rows["Documents"] == ("3", "2 transcripts, 1 document")
    assert "1 document belongs to no case" in rows["Cases"][1]


def test_write_report_agreement_names_as_written(report):
    table = _table_after(report, "Inter-rater agreement")
    header = [_text(cell) for cell in table.rows[0].cells]
    assert header == ["Code", "Units", "Agreement (%)", "κ", "α", "Only Amira Khan", "Only Ben Roberts"]
    assert [_text(c) for c in table.rows[1].cells][:5] == ["Initial teacher training", "12", "91.7", "0.81", "0.79"]
    assert [_text(c) for c in table.rows[2].cells][:5] == ["Overall", "30", "86.5", "–", "0.70"]
    text = "\n".join(p.text for p in report.paragraphs)
    assert "Reviewers: Amira Khan, Ben Roberts." in text and "Only documents with phase = primary." in text


def test_write_report_frequency_table_equals_dataframe_with_denominators(report):
    table = _table_after(report, "Code frequencies")
    assert [_text(c) for c in _cells(table.rows[0])][1:3] == [f"All {len(SEGMENTS)} coded segments",
                                                              "phase = primary: 5"]
    assert [_text(c) for c in table.rows[1].cells] == ["Code", "Coded segments", "%", "Documents", "Cases", "n", "%"]
    rows = {}
    for row in table.rows[2:]:
        texts = [_text(c) for c in _cells(row)]
        if len(texts) > 1 and "\n" in texts[0]:
            rows[texts[0].split("\n")[1]] = texts[1:]
    frame = make_data().frequency
    assert set(rows) == set(frame["code"])
    for record in frame.to_dict("records"):
        segments, share, documents, cases, primary, primary_share = rows[record["code"]]
        assert (int(segments), int(documents), int(cases), int(primary)) == (
            record["segments"], record["documents"], record["cases"], record["segments[phase=primary]"])
        assert float(share) == pytest.approx(100 * record["share"], abs=0.05)
        assert float(primary_share) == pytest.approx(100 * record["share[phase=primary]"], abs=0.05)
    assert [_text(c) for c in table.rows[-1].cells][:2] == ["Any code", str(len(SEGMENTS))]


def test_write_report_quotes_per_code_highlight_evidence(report):
    table = _table_after(report, "Initial teacher training")
    assert [_text(c) for c in table.rows[0].cells] == ["Quote", "From"]
    quoted = [_text(row.cells[0]) for row in table.rows[1:]]
    assert quoted[0] == "“We usually have six trainees a year through the SCITT.”"
    marked = [r.text for r in table.rows[1].cells[0].paragraphs[0].runs if r.bold]
    assert marked == ["trainees", "SCITT"]
    assert _text(table.rows[1].cells[1]) == "Castleton\ninterview.docx\nHead, 1:01"
    assert len(quoted) == 2 == len(set(quoted))


def test_write_report_marks_pending_quotes(tmp_path):
    pending = [s for s in SEGMENTS if s.pending]
    data = make_data(code_quotes={"offer.npq": tuple(quote(s) for s in pending)})
    document = docx.Document(str(write_report(data, tmp_path / "r.docx")))
    table = _table_after(document, "National professional qualifications")
    cell = table.rows[1].cells[0]
    assert _text(cell) == f"{PENDING_MARK} “Perhaps the NPQ helped, I am not sure.”"
    assert all(run.italic or run.bold for run in cell.paragraphs[0].runs if run.text)


def test_write_report_listing_each_passage_once_with_all_codes(tmp_path):
    both = SEGMENTS[0]
    second_code = dataclasses.replace(both, code="culture.trust", evidence=())
    document = docx.Document(str(write_report(make_data((*SEGMENTS, second_code)), tmp_path / "r.docx")))
    table = _listing(document)
    passages = [_text(row.cells[0]) for row in table.rows[1:] if len(_cells(row)) > 1]
    assert sorted(passages) == sorted(s.text for s in SEGMENTS)
    row = next(row for row in table.rows if _text(row.cells[0]) == both.text)
    assert _text(row.cells[1]).split("\n")[:2] == ["Initial teacher training", "Trust between colleagues"]
    groups = [_text(row.cells[0]) for row in table.rows[1:] if len(_cells(row)) == 1]
    assert groups[0] == "Brookfield · interview.docx" and groups[-1].startswith("(no case) · policy")


def test_write_report_listing_by_code_and_none(tmp_path):
    by_code = docx.Document(str(write_report(make_data(), tmp_path / "c.docx", listing=Listing.CODES)))
    table = _table_after(by_code, "Initial teacher training", last=True)
    assert sorted(_text(r.cells[0]) for r in table.rows[1:]) == sorted(s.text for s in SEGMENTS
                                                                     if s.code == "offer.itt")
    none = docx.Document(str(write_report(make_data(), tmp_path / "n.docx", listing="none")))
    assert not any(text.startswith("Appendix B") for _, text in _headings(none))
    with pytest.raises(QualkitError, match="listing 'all': use segments, codes, none"):
        write_report(make_data(), tmp_path / "x.docx", listing="all")


def test_write_report_header_rows_repeat(report):
    for heading in ("Code frequencies", "Framework matrix", "Appendix B: every coded segment"):
        table = _table_after(report, heading)
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None


def test_write_report_columns_never_narrower_than_a_header_word(report):
    for table in report.tables:
        header = table.rows[0]
        if header._tr.trPr is None or header._tr.trPr.find(qn("w:tblHeader")) is None:
            continue
        for cell in _cells(header):
            width = int(cell._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) / 20
            for word in _text(cell).split():
                assert text_width(word, 8.5, bold=True) + CELL_PADDING_PT <= width + 0.5, (word, width)


def test_write_report_long_file_names_break_only_after_separators(tmp_path):
    name = "a_very_long_transcript_file_name_from_the_fieldwork_archive_2024-25.docx"
    segments = [dataclasses.replace(s, document=name) for s in SEGMENTS]
    document = docx.Document(str(write_report(make_data(segments), tmp_path / "r.docx")))
    texts = [c.text for t in document.tables for r in t.rows for c in r.cells if name in _text(c)]
    assert texts
    for text in texts:
        for piece in text.split(ZERO_WIDTH_SPACE)[:-1]:
            assert piece[-1] in "_.-/", piece


def test_write_report_framework_landscape_with_no_case_row(report):
    sections = list(report.sections)
    landscape = [s for s in sections if s.orientation == WD_ORIENT.LANDSCAPE]
    assert landscape and all(s.page_width > s.page_height for s in landscape)
    assert sections[0].orientation == WD_ORIENT.PORTRAIT
    table = _table_after(report, "Framework matrix")
    assert [_text(c) for c in table.rows[0].cells] == ["Case", "The coherent offer", "School culture"]
    assert [_text(r.cells[0]) for r in table.rows[1:]] == ["Brookfield", "Castleton", "(no case)"]
    brookfield = _text(table.rows[1].cells[1]).split("\n")
    assert brookfield[0] == "3 coded segments" and brookfield[1].startswith("“")
    assert _text(table.rows[3].cells[2]) == "–"


def test_write_report_wide_frequency_table_goes_landscape(tmp_path):
    frequency = make_data().frequency
    for phase in ("early years", "middle school", "late secondary", "all-through", "special"):
        frequency[f"segments[phase={phase}]"] = 1
        frequency[f"share[phase={phase}]"] = 0.1
    document = docx.Document(str(write_report(make_data(frequency=frequency), tmp_path / "r.docx")))
    [section] = [s for s in document.sections
                 if "Code frequencies" in [b.text for b in s.iter_inner_content() if not isinstance(b, Table)]]
    assert section.orientation == WD_ORIENT.LANDSCAPE


def test_write_report_figures_embedded_with_captions(report):
    assert len(report.inline_shapes) == 2
    captions = [p.text for p in report.paragraphs if p.style.name == "Caption"]
    assert captions == ["Figure 1. Codes by phase", "Figure 2. The theory of change"]


def test_write_report_figure_fits_the_page(report):
    for shape in report.inline_shapes:
        section = report.sections[-1]
        assert shape.width <= max(section.page_width, section.page_height)


def test_write_report_drops_characters_xml_cannot_hold(tmp_path):
    segment = _segment("offer.itt", "Form\x0cfeed and a\x0bvertical tab\x00.", "Brookfield")
    document = docx.Document(str(write_report(make_data((segment,)), tmp_path / "r.docx")))
    # form feed and vertical tab are white space, shown as spaces; a NUL is dropped
    assert _text(_listing(document).rows[2].cells[0]) == "Form feed and a vertical tab."


def test_write_report_codebook_appendix_is_a_table_with_every_definition(report):
    table = _table_after(report, "Appendix A: codebook")
    text = "\n".join(_text(c) for r in table.rows for c in r.cells)
    for code in CODES:
        assert code.definition in text and code.name in text and code.key in text
    assert "Include: hosting trainees on placement" in text and "“We host six trainees a year.”" in text
    assert not any("version: 1" in p.text for p in report.paragraphs)  # no raw YAML


def test_write_report_code_without_quotes_says_so(tmp_path):
    segments = [s for s in SEGMENTS if s.code != "culture.trust"]
    data = make_data(segments, code_quotes={k: v for k, v in make_data().code_quotes.items() if k != "culture.trust"})
    document = docx.Document(str(write_report(data, tmp_path / "r.docx")))
    texts = [p.text for p in document.paragraphs]
    assert "No accepted or pending segments were coded with this code." in texts


def test_write_report_keeps_codings_of_unknown_codes(tmp_path):
    stray = _segment("culture.old", "A coding from an older codebook.", "Brookfield")
    document = docx.Document(str(write_report(make_data((*SEGMENTS, stray)), tmp_path / "r.docx")))
    assert ("Heading 1", "Codes not in the codebook") in _headings(document)
    assert stray.text in [_text(r.cells[0]).strip("“”") for r in _table_after(document, "culture.old").rows]


def test_write_report_large_listing_has_every_row(tmp_path):
    segments = [_segment("offer.itt", f"Quote number {i} about placements.", f"School {i % 40:02d}",
                         timestamp=float(i)) for i in range(3000)]
    document = docx.Document(str(write_report(make_data(segments, code_quotes={}), tmp_path / "large.docx")))
    rows = [_text(r.cells[0]) for r in _listing(document).rows[1:] if _text(r.cells[0]).startswith("Quote number")]
    assert len(rows) == 3000 and len(set(rows)) == 3000


@pytest.mark.parametrize(
    ("name", "message"),
    [("report.pdf", r"must end in \.docx, not \.pdf"), ("missing/report.docx", "folder .*missing does not exist")],
    ids=["wrong-suffix", "missing-folder"],
)
def test_write_report_bad_path(tmp_path, name, message):
    with pytest.raises(QualkitError, match=message):
        write_report(make_data(), tmp_path / name)


def test_write_report_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"old report")
    broken = (Figure("toc", "Broken", "Not an image.", b"not a png", landscape=True),)
    with pytest.raises(QualkitError, match="not an image Word can show"):
        write_report(make_data(figures=broken), path)
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
    assert [_text(row.cells[1]) for row in overview.rows[1:]] == [code.key for code in CODES]
    sign_off = _table_after(document, "Sign-off")
    assert [_text(row.cells[0]) for row in sign_off.rows] == ["Role", "Prepared by", "Reviewed by", "Approved by"]


def test_word_module_imports_without_python_docx():
    code = "import sys, qualkit.export.word; print('docx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_write_report_without_quotes_still_counts_and_points_to_the_listing(tmp_path):
    document = docx.Document(str(write_report(make_data(code_quotes={}), tmp_path / "r.docx")))
    texts = [p.text for p in document.paragraphs]
    assert not any(text.startswith("No accepted") for text in texts)
    assert "offer.itt · stage: input · 4 coded segments in 3 documents and 2 cases" in texts


def test_write_report_agreement_rows_in_codebook_order(tmp_path):
    agreement = pd.DataFrame({"code": ["(overall)", "culture.trust", "offer.itt"], "n_units": [3, 1, 2],
                              "percent": [1.0, 1.0, 1.0], "kappa": [1.0, 1.0, 1.0], "alpha": [1.0, 1.0, 1.0]})
    document = docx.Document(str(write_report(make_data(agreement=agreement), tmp_path / "r.docx")))
    table = _table_after(document, "Inter-rater agreement")
    assert [_text(r.cells[0]) for r in table.rows[1:]] == ["Initial teacher training", "Trust between colleagues",
                                                           "Overall"]


def test_write_report_points_to_the_appendix_only_when_there_is_one(tmp_path):
    many = [_segment("offer.itt", f"Trainee number {i} came through the SCITT.", "Castleton", evidence=("SCITT",))
            for i in range(5)]
    data = make_data(many, code_quotes=representative_per_cell({"offer.itt": many}, n=2))
    for listing, expected in (("segments", True), ("none", False)):
        document = docx.Document(str(write_report(data, tmp_path / f"{listing}.docx", listing=listing)))
        texts = [p.text for p in document.paragraphs]
        assert ("2 quotes of 5 coded segments (all are listed in Appendix B); matched words in bold:" in texts) \
            is expected
