"""The demo report rendered to PDF by LibreOffice, read as a reader of the PDF copy would.

Builds the bundled demo project (ingest, code with rules, import the two reviewers' decisions),
writes the report, converts it with ``soffice --headless`` and checks the PDF: page counts, the
contents list, no header word split across lines, figures embedded. Skips where LibreOffice is
not installed (`.ci/run` installs libreoffice-writer-nogui).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from qualkit.export.docx_layout import ZERO_WIDTH_SPACE
from tests.conftest import CORPUS, ROOT

BODY_PAGES = 40  # everything before the appendix that lists every coded segment
ALL_PAGES = 120
MEMOS = (  # one of each kind, as a team writes them (issue #20)
    ({"project": True, "title": "Sampling"}, "Six schools varying phase, region, rurality and disadvantage."),
    ({"code": "culture.trust"}, "In primaries trust reads as autonomy; in secondaries, as accountability."),
    ({"case": "Harbour Academy"}, "New headteacher in post since September 2023."),
    ({"document": "harbour_leader.vtt"}, "Audio poor between 12:00 and 15:00; checked by hand."),
    ({"document": "harbour_leader.vtt", "segment": 5}, "Says coaching is for everyone; check the PD lead's account."),
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; `apt-get install libreoffice-writer-nogui` to render "
                    "the report to PDF")
    from qualkit.project import Project

    folder = tmp_path_factory.mktemp("render")
    with Project.init(folder / "demo.db") as project:
        project.ingest([CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv")
        project.code(codebook_path=ROOT / "codebooks" / "niot_coherent_offer.yaml")
        project.import_review(CORPUS / "decisions.csv")
        for target, text in MEMOS:
            project.add_memo(author="Ben Roberts", text=text, **target)
        data = project.report(folder / "report.docx", by="disadvantage")
    profile = (folder / "profile").as_uri()  # its own profile: another soffice running elsewhere cannot block it
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
                    str(folder), str(folder / "report.docx")], check=True, capture_output=True, timeout=180)
    pdf = folder / "report.pdf"
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return data, folder / "report.docx", pdf


def _pages(pdf: Path) -> list[str]:
    """Each page's text laid out as on the page (pdftotext -layout, or pypdf's layout mode)."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
        pages = text.split("\f")
        return [p.replace(ZERO_WIDTH_SPACE, "") for p in (pages[:-1] if pages and not pages[-1].strip() else pages)]
    from pypdf import PdfReader

    return [page.extract_text(extraction_mode="layout").replace(ZERO_WIDTH_SPACE, "")
            for page in PdfReader(str(pdf)).pages]


def _split_words(pages: list[str], words: set[str]) -> list[str]:
    """Words broken across two lines of one column: a start on one line, the rest under it."""
    broken = []
    for page in pages:
        lines = [line for line in page.split("\n") if line.strip()]
        for upper, lower in zip(lines, lines[1:], strict=False):
            starts = {m.group(): m.start() for m in re.finditer(r"\S+", upper)}
            for word in words:
                for cut in range(2, len(word) - 1):
                    head, tail = word[:cut], word[cut:]
                    if head in starts:
                        for match in re.finditer(rf"(?<!\S){re.escape(tail)}(?!\S)", lower):
                            if abs(match.start() - starts[head]) <= 3:
                                broken.append(f"{head}|{tail}")
    return broken


def test_render_page_counts_within_bounds(rendered):
    from pypdf import PdfReader

    _, _, pdf = rendered
    pages = _pages(pdf)
    total = len(PdfReader(str(pdf)).pages)
    appendix = next(i for i, page in enumerate(pages) if page.lstrip().startswith("Appendix B: every coded segment"))
    assert appendix < BODY_PAGES, f"the body runs to page {appendix}"
    assert total < ALL_PAGES, f"{total} pages"


def test_render_no_blank_page(rendered):
    _, _, pdf = rendered
    for number, page in enumerate(_pages(pdf), start=1):
        lines = [line for line in page.split("\n") if line.strip()]
        assert any("page" not in line for line in lines) or number == 1, f"page {number} holds only its footer"


def test_render_contents_list_with_page_numbers(rendered):
    _, path, pdf = rendered
    contents = next(page for page in _pages(pdf) if page.lstrip().startswith("Contents"))
    chapters = [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "Heading 1"]
    for chapter in chapters:
        assert re.search(rf"{re.escape(chapter)}\s*\.{{3,}}\s*\d+", contents), chapter
    assert "Right-click" not in contents


def test_render_no_header_word_or_name_split(rendered):
    data, path, pdf = rendered
    document = docx.Document(str(path))
    words = set()
    for table in document.tables:
        for row in table.rows:
            if row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None:
                continue
            for cell in row.cells:
                words.update(w for w in re.findall(r"[A-Za-z]{4,}", cell.text.replace(ZERO_WIDTH_SPACE, "")))
    words.update(w for name in data.reviewers for w in name.split())
    assert {"Agreement", "Documents", "disadvantage"} <= words
    names = {part for s in data.segments for part in re.split(r"[_./-]", s.document) if len(part) >= 4}
    assert _split_words(_pages(pdf), words | names) == []


def test_render_figures_embedded(rendered):

    data, path, pdf = rendered
    assert [f.key for f in data.figures] == ["toc", "frequency", "cases", "cooccurrence"]
    assert len(docx.Document(str(path)).inline_shapes) == len(data.figures)
    assert _images(pdf) == len(data.figures)


def _images(pdf: Path) -> int:
    """Images drawn in the PDF (not their transparency masks), each counted once."""
    if shutil.which("pdfimages"):
        listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
        return sum(1 for line in listing.splitlines()[2:] if line.split()[2] == "image")
    from pypdf import PdfReader

    seen = set()
    for page in PdfReader(str(pdf)).pages:  # LibreOffice shares one resource dictionary among pages
        objects = page.get("/Resources", {}).get("/XObject", {})
        for name in objects:
            reference = objects.raw_get(name)
            if objects[name].get("/Subtype") == "/Image":
                seen.add(getattr(reference, "idnum", name))
    return len(seen)


def test_split_words_finds_a_word_broken_in_its_column():
    page = "Code      Agree     Units\n          ment      12\nAgreement in prose is fine"
    assert _split_words([page], {"Agreement"}) == ["Agree|ment"]
    assert _split_words(["Agree\n                 ment"], {"Agreement"}) == []  # not under it: not one word


def test_render_memos_in_the_pdf(rendered):
    _, _, pdf = rendered
    pages = [" ".join(page.split()) for page in _pages(pdf)]
    for _, text in MEMOS:
        assert sum(text in page for page in pages) == 1, text  # each memo once, whole
    chapter = next(page for page in pages if page.startswith("Memos on cases and documents"))
    assert chapter.index("Harbour Academy") < chapter.index("harbour_leader.vtt") < chapter.index("Segment 5 ·")
    method = next(page for page in pages if page.startswith("Method"))
    assert "Project memos" in method and "Memo: Sampling Ben Roberts, " in method
