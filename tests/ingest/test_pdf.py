import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.pdf import read_pdf
from tests.conftest import write_pdf


def test_read_pdf_pages_joined_furniture_dropped(tmp_path):
    path = write_pdf(
        tmp_path / "policy.pdf",
        [
            ["Every early career teacher receives a two-year programme of",
             "training and mentoring from an accredited provider."],
            ["Schools release mentors for one hour a week and fund cover",
             "from their professional development budget."],
            ["Leaders review the impact of training on pupils each term."],
        ],
        header="Eastshire County Council — CPD Framework",
    )
    [raw], _ = read_pdf(path, path.read_bytes(), ReadOptions())
    assert raw.metadata["pages"] == 3
    assert "Eastshire County Council" not in raw.text
    assert "Page 1 of 3" not in raw.text
    assert (
        "Every early career teacher receives a two-year programme of training and mentoring "
        "from an accredited provider." in raw.text
    )


def test_read_pdf_encrypted_is_refused(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    source = write_pdf(tmp_path / "plain.pdf", [["Some confidential text for the test."]])
    writer = pypdf.PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as handle:
        writer.write(handle)
    with pytest.raises(IngestError, match=r"locked\.pdf: the PDF is password-protected"):
        read_pdf(locked, locked.read_bytes(), ReadOptions())


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"hello", "no %PDF header"), (b"%PDF-1.7\n garbage \x00\x01", "cannot read the PDF")],
    ids=["not-pdf", "truncated"],
)
def test_read_pdf_corrupt(tmp_path, data, message):
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=message):
        read_pdf(path, data, ReadOptions())


def test_read_pdf_without_text_layer(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(IngestError, match="no text layer"):
        read_pdf(path, path.read_bytes(), ReadOptions())


@pytest.mark.parametrize("footer", ["Page {n} of 4", "{n}"], ids=["page-n-of-m", "bare-number"])
def test_read_pdf_with_only_page_numbers_is_refused(tmp_path, footer):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    for n in range(1, 5):  # a scan: images (here, a box) and the page number as text
        pdf.add_page()
        pdf.rect(10, 10, 150, 200)
        pdf.set_y(-20)
        pdf.cell(0, 8, footer.format(n=n))
    path = tmp_path / "scanned.pdf"
    pdf.output(str(path))
    with pytest.raises(IngestError) as raised:
        read_pdf(path, path.read_bytes(), ReadOptions())
    assert str(raised.value) == (
        f"{path}: the PDF's 4 page(s) hold nothing but page numbers or running headers; it is probably "
        "scanned: run OCR on it first, then ingest"
    )


def test_read_pdf_warns_when_most_pages_hold_no_text(tmp_path):
    first, second = ["Schools release mentors for one hour a week."], ["Leaders review the impact each term."]
    path = write_pdf(tmp_path / "part.pdf", [first, [], [], second, [], []])
    [raw], warnings = read_pdf(path, path.read_bytes(), ReadOptions())
    assert "Schools release mentors" in raw.text and "Leaders review" in raw.text
    assert warnings == [
        f"{path}: 4 of its 6 pages (pages 2-3, 5-6) hold no text; they may be scanned images, whose words "
        "are not read: run OCR on the PDF to include them"
    ]
    path = write_pdf(tmp_path / "one_blank.pdf", [first, [], second, ["Pupils gain."]])
    assert read_pdf(path, path.read_bytes(), ReadOptions())[1] == []  # a blank page or two is normal
