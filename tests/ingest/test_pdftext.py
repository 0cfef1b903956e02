import re

import pytest

from qualkit.ingest.pdftext import clean_pages, clean_pdf_text, repair_ligatures
from tests.conftest import POLICY, require_shared


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("relevant research fi ndings", "relevant research findings"),
        ("This strategy refl ects our", "This strategy reflects our"),
        ("the Offi ce for Standards", "the Office for Standards"),
        ("staff fi nd it useful", "staff find it useful"),
        ("staff development", "staff development"),
        ("an eff ective approach, and effective", "an effective approach, and effective"),
        ("off site", "off site"),
    ],
    ids=["fi-start", "fl-middle", "ffi", "after-staff", "staff-kept", "ff-known", "off-kept"],
)
def test_repair_ligatures(broken, fixed):
    assert repair_ligatures(broken) == fixed


def test_clean_pages_drops_running_headers_and_page_numbers():
    bodies = [
        "Mentors meet their early career teachers every week.",
        "Paragraph two covers the national professional qualifications.",
        "Schools publish their training calendar each September.",
    ]
    pages = [
        f"Eastshire CPD Framework\n{body}\nPage {n} of 3" for n, body in enumerate(bodies, 1)
    ]
    cleaned = clean_pages(pages)
    assert "Eastshire CPD Framework" not in cleaned
    assert "Page" not in cleaned
    assert "Paragraph two covers" in cleaned and "Mentors meet" in cleaned


def test_clean_pdf_text_joins_wrapped_lines_and_hyphens():
    text = (
        "Schools should plan professional develop-\n"
        "ment so that every member of staff has\n"
        "time to learn and well-being matters.\n"
        "\n"
        "A new paragraph starts here."
    )
    cleaned = clean_pdf_text(text)
    assert cleaned.split("\n\n") == [
        "Schools should plan professional development so that every member of staff has "
        "time to learn and well-being matters.",
        "A new paragraph starts here.",
    ]


def test_clean_pdf_text_on_real_tda_strategy():
    require_shared()
    raw = (POLICY / "tda-pd-strategy-2009-2012.txt").read_text(encoding="utf-8")
    assert "refl ects" in raw and "fi ndings" in raw  # the real artefacts are there
    cleaned = clean_pdf_text(raw)
    # every split fi/fl ligature is repaired; "staff and" is left alone
    assert not re.search(r"\b\w*(?:fi|fl) [a-z]", cleaned)
    assert "reflects our knowledge" in cleaned
    assert "research findings" in cleaned
    assert "qualifications" in cleaned
    assert "staff and" in cleaned
    # the running head with a page number is gone
    assert "Foreword by the Chief Executive | 5" not in cleaned
    # wrapped lines are joined into paragraphs
    paragraphs = cleaned.split("\n\n")
    assert any(
        p.startswith("As the sector body responsible for the children’s workforce in schools, "
                     "the Training and Development Agency")
        for p in paragraphs
    )
    assert len(paragraphs) < raw.count("\n") / 5
