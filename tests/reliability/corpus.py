"""A corpus of hostile and malformed files, built on demand, and how each must be handled.

Each :class:`Hostile` builds its file(s) in a folder, names the library call that would read
it (:func:`run_library`) and the CLI commands that would (``cli``, used by
``benchmarks/bench_hostile.py``), and says what must happen: a specific QualkitError whose
one-line message contains ``message``, or a clean success whose summary contains it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PARAGRAPH_TIMEOUT_TEXT = "x" + "a" * 60 + "b"  # makes (?<=x)(a|aa)+$ backtrack for years


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[Path], Path]  # writes the file(s) into a folder; returns the main one
    reader: str  # ingest | codebook | code | export | qdpx
    expect: str | None  # the QualkitError subclass expected, or None for a clean success
    message: str  # in the error line, or in the success summary
    cli: tuple[tuple[str, ...], ...] = field(default=())  # qualkit commands ({file}, {dir} filled in),
    # run with QUALKIT_PROJECT={dir}/p.db


# --- builders -------------------------------------------------------------------------------------


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def zip_bomb_docx(folder: Path) -> Path:
    data = _rewrite_zip(_docx(["A real paragraph."]), lambda name, part: part,
                        extra={"word/media/bomb.bin": b"\0" * 50_000_000})  # 50 MB of zeros: ~50 KB packed
    return _write(folder / "zip_bomb.docx", data)


def xxe_docx(folder: Path) -> Path:
    def change(name: str, part: bytes) -> bytes:
        if name != "word/document.xml":
            return part
        declaration, rest = part.decode("utf-8").split("?>", 1)
        rest = rest.replace("Before", "Before &xxe; after", 1)
        return f'{declaration}?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{rest}'.encode()

    return _write(folder / "xxe.docx", _rewrite_zip(_docx(["Before the entity."]), change))


def entity_in_styles_docx(folder: Path) -> Path:
    def change(name: str, part: bytes) -> bytes:
        if name != "word/styles.xml":
            return part
        declaration, rest = part.decode("utf-8").split("?>", 1)
        return f'{declaration}?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>{rest}'.encode()

    return _write(folder / "entity_in_styles.docx", _rewrite_zip(_docx(["Text."]), change))


def billion_laughs_codebook(folder: Path) -> Path:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    return _write(folder / "billion_laughs.yaml", ("\n".join(lines) + "\nname: x\ncodes: *a9\n").encode())


def recursive_alias_codebook(folder: Path) -> Path:
    return _write(folder / "recursive_alias.yaml", b"name: Loop\ncodes: &loop\n  - *loop\n")


def deep_nesting_codebook(folder: Path) -> Path:
    return _write(folder / "deep_nesting.yaml", b"name: Deep\ncodes: " + b"[" * 50_000 + b"]" * 50_000 + b"\n")


def too_many_codes_codebook(folder: Path) -> Path:
    codes = "".join(f"  - {{key: c{n}, name: C{n}, definition: d}}\n" for n in range(60_000))
    return _write(folder / "too_many_codes.yaml", f"name: Big\ncodes:\n{codes}".encode())


def oversized_codebook(folder: Path) -> Path:
    return _write(folder / "oversized.yaml", b"name: Big\ncodes: []\n" + b"# padding\n" * 700_000)


def _codebook_with(pattern: str) -> str:
    return (
        "name: Hostile\ncodes:\n  - key: mentoring\n    name: Mentoring\n    definition: Support from a mentor.\n"
        f"    patterns: [mentor, {{regex: {json.dumps(pattern)}}}]\n"
    )


CATASTROPHIC = [r"(a|aa)+$", r"(\s|.)*x", r"(?i)(mentor|mentors?)+$", r"(a|ab|b)+$", r"(x|x?)+y"]


def catastrophic_regex_codebook(folder: Path) -> Path:
    text = "name: Hostile\ncodes:\n" + "".join(
        f"  - key: c{n}\n    name: C{n}\n    definition: d\n    patterns: [{{regex: {json.dumps(p)}}}]\n"
        for n, p in enumerate(CATASTROPHIC)
    )
    paragraphs = ["a" * 5000 + "b", " " * 3 + "w " * 10000, "mentors" * 3000 + "!", "ab" * 5000 + "c", "x" * 20000]
    _write(folder / "catastrophic_regex.txt", "\n\n".join(paragraphs).encode())
    return _write(folder / "catastrophic_regex.yaml", text.encode())


def fallback_timeout_codebook(folder: Path) -> Path:
    _write(folder / "fallback_timeout.txt", f"The mentor said {PARAGRAPH_TIMEOUT_TEXT}".encode())
    return _write(folder / "fallback_timeout.yaml", _codebook_with(r"(?<=x)(a|aa)+$").encode())


def long_line_txt(folder: Path) -> Path:
    words = b"mentoring helps new teachers grow and naive caf\xc3\xa9 talk "  # no sentence ends
    return _write(folder / "long_line.txt", words * (50_000_000 // len(words)))


def nul_bytes_txt(folder: Path) -> Path:
    return _write(folder / "nul_bytes.txt", b"Interviewer: Hello\x00\x00 there\n" * 100)


def utf16_without_bom_txt(folder: Path) -> Path:
    return _write(folder / "utf16_no_bom.txt", "Interviewer: Hello there.\n".encode("utf-16-le") * 50)


def random_bytes_txt(folder: Path) -> Path:
    import random

    return _write(folder / "random_bytes.txt", random.Random(17).randbytes(200_000))


def page_numbers_pdf(folder: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    for number in range(1, 6):
        pdf.add_page()
        pdf.rect(10, 10, 150, 200)  # where a scanned page image would be
        pdf.set_y(-20)
        pdf.cell(0, 8, str(number))
    return _write(folder / "page_numbers.pdf", bytes(pdf.output()))


def formula_cells_csv(folder: Path) -> Path:
    import csv

    answers = ['=HYPERLINK("http://example.test/steal","click")', "+44 1632 960000 mentor", "-mentor notes",
               "@SUM(1+1) mentor", "\tmentor tab", "=1+1 mentor"]
    path = folder / "formula_cells.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "answer"])
        for number, answer in enumerate(answers, start=1):
            writer.writerow([f"r{number}", answer])
    _write(folder / "formula_cells.yaml", _codebook_with("mentor").encode())
    return path


def utf16_source_qdpx(folder: Path) -> Path:
    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Hostile">
 <CodeBook><Codes><Code guid="c1" name="Mentoring" isCodable="true"/></Codes></CodeBook>
 <Sources>
  <TextSource guid="s1" name="Fine" plainTextPath="internal://ok.txt"/>
  <TextSource guid="s2" name="Odd" plainTextPath="internal://odd.txt"/>
  <TextSource guid="s3" name="Noise" plainTextPath="internal://noise.txt"/>
 </Sources>
</Project>"""
    import random

    out = folder / "utf16_source.qdpx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/ok.txt", "Mentoring works.")
        archive.writestr("sources/odd.txt", "Mentoring café".encode("utf-16-le"))
        archive.writestr("sources/noise.txt", random.Random(3).randbytes(5000))
    return out


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- the corpus -----------------------------------------------------------------------------------

_INGEST = (("init",), ("ingest", "{file}"))
_CHECK = (("codebook", "check", "{file}"),)

CORPUS = (
    Hostile("zip bomb .docx", zip_bomb_docx, "ingest", "IngestError", "looks like a zip bomb", _INGEST),
    Hostile("XXE .docx", xxe_docx, "ingest", "IngestError", "declares a DTD or entities", _INGEST),
    Hostile("entities in styles.xml", entity_in_styles_docx, "ingest", "IngestError",
            "word/styles.xml declares a DTD or entities", _INGEST),
    Hostile("billion-laughs codebook", billion_laughs_codebook, "codebook", "CodebookError",
            "billion_laughs.yaml:1: YAML anchors and aliases (&/*) are not allowed in a codebook", _CHECK),
    Hostile("recursive alias codebook", recursive_alias_codebook, "codebook", "CodebookError",
            "recursive_alias.yaml:2: YAML anchors and aliases (&/*) are not allowed", _CHECK),
    Hostile("50,000-deep nesting codebook", deep_nesting_codebook, "codebook", "CodebookError", "deep_nesting.yaml:2",
            _CHECK),
    Hostile("60,000-code codebook", too_many_codes_codebook, "codebook", "CodebookError", "more than 2,000 codes",
            _CHECK),
    Hostile("7 MB codebook", oversized_codebook, "codebook", "CodebookError", "more than the 5,000,000", _CHECK),
    Hostile("catastrophic regexes", catastrophic_regex_codebook, "code", None, "5 codes",
            (*_INGEST[:1], ("ingest", "{dir}/catastrophic_regex.txt"),
             ("codebook", "load", "{file}"), ("code",))),
    Hostile("lookbehind regex on a backtracking text", fallback_timeout_codebook, "code", "PatternTimeoutError",
            "regex '(?<=x)(a|aa)+$' took longer than 1 s",
            (*_INGEST[:1], ("ingest", "{dir}/fallback_timeout.txt"),
             ("codebook", "load", "{file}"), ("code",))),
    Hostile("50 MB one-line .txt", long_line_txt, "ingest", None, "none over the 20,000-character limit", _INGEST),
    Hostile("NUL bytes .txt", nul_bytes_txt, "ingest", "IngestError", "contains NUL bytes", _INGEST),
    Hostile("UTF-16 .txt without BOM", utf16_without_bom_txt, "ingest", "IngestError", "contains NUL bytes", _INGEST),
    Hostile("random bytes .txt", random_bytes_txt, "ingest", "IngestError", "not a text file", _INGEST),
    Hostile("PDF of page numbers only", page_numbers_pdf, "ingest", "IngestError",
            "hold nothing but page numbers", _INGEST),
    Hostile("formula cells", formula_cells_csv, "export", None, "no formula cells",
            (*_INGEST[:1], ("ingest", "{file}", "--id-column", "id", "--text-column", "answer"),
             ("codebook", "load", "{dir}/formula_cells.yaml"), ("code",),
             ("export", "suggestions", "{dir}/out.xlsx"),
             ("export", "suggestions", "{dir}/out.csv"))),
    Hostile(".qdpx with UTF-16 and random-byte sources", utf16_source_qdpx, "qdpx", None, "1 source(s), 2 skipped",
            (("init",), ("import", "qdpx", "{file}"))),
)


# --- running one through the library --------------------------------------------------------------


def run_library(case: Hostile, path: Path) -> str:
    """Read ``path`` as qualkit would; a one-line summary, or the QualkitError raised."""
    folder = path.parent
    if case.reader == "ingest":
        return _ingest(path)
    if case.reader == "codebook":
        from qualkit.codebook import load_codebook

        codebook, warnings = load_codebook(path)
        return f"{len(codebook.codes)} codes, {len(warnings)} warnings"
    if case.reader == "code":
        return _code(path, folder / (path.stem + ".txt"))
    if case.reader == "export":
        return _export(path, folder)
    if case.reader == "qdpx":
        from qualkit.refi import read_qdpx

        project = read_qdpx(path)
        skipped = sum("skipped" in warning for warning in project.warnings)
        return f"{len(project.sources)} source(s), {skipped} skipped"
    raise ValueError(case.reader)


def _ingest(path: Path) -> str:
    from qualkit.ingest.base import ReadOptions
    from qualkit.records import Block, Unit
    from qualkit.segment import MAX_SEGMENT_CHARS, segment_blocks

    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from qualkit.ingest.docx import read_docx as reader
    elif suffix == ".pdf":
        from qualkit.ingest.pdf import read_pdf as reader
    else:
        from qualkit.ingest.text import read_text as reader
    raws, _warnings = reader(path, data, ReadOptions())
    longest = count = 0
    for raw in raws:
        segments = segment_blocks(raw.text, [Block(0, len(raw.text))], Unit.PARAGRAPH)
        count += len(segments)
        longest = max([longest, *(s.end - s.start for s in segments)])
    within = "none over" if longest <= MAX_SEGMENT_CHARS else "SOME OVER"
    return f"{count} segments (longest {longest:,} characters), {within} the {MAX_SEGMENT_CHARS:,}-character limit"


def _code(codebook_path: Path, text_path: Path) -> str:
    from qualkit.codebook import load_codebook
    from qualkit.errors import PatternTimeoutError
    from qualkit.records import Block, Segment, Unit
    from qualkit.segment import segment_blocks
    from qualkit.suggest.rules import RuleSuggester

    codebook, _ = load_codebook(codebook_path)
    text = text_path.read_text(encoding="utf-8")
    paragraphs, start = [], 0
    for part in text.split("\n\n"):
        paragraphs.append(Block(start, start + len(part)))
        start += len(part) + 2
    blocks = segment_blocks(text, paragraphs, Unit.PARAGRAPH)
    segments = [Segment(n, 1, n, b.start, b.end, Unit.PARAGRAPH, text[b.start:b.end]) for n, b in enumerate(blocks)]
    suggester = RuleSuggester(codebook)
    found = 0
    for segment in segments:
        try:
            found += len(suggester(segment))
        except PatternTimeoutError as exc:
            raise exc.naming(segment=f"segment {segment.id}") from None
    return f"{len(codebook.codes)} codes, {len(segments)} segments coded, {found} suggestions"


def _export(path: Path, folder: Path) -> str:
    import csv

    import openpyxl

    from qualkit.export.tables import FORMULA_PREFIXES, write_table

    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    write_table(rows, folder / "out.csv")
    write_table(rows, folder / "out.xlsx")
    return check_no_formulas(folder / "out.csv", folder / "out.xlsx", FORMULA_PREFIXES, openpyxl)


def check_no_formulas(csv_path: Path, xlsx_path: Path, prefixes, openpyxl) -> str:
    """'no formula cells' or what was found (also used on the CLI's exports)."""
    import csv

    bad = []
    with open(csv_path, encoding="utf-8", newline="") as handle:
        bad += [cell for row in csv.reader(handle) for cell in row if cell.startswith(tuple(prefixes))]
    sheet = openpyxl.load_workbook(xlsx_path).active
    bad += [cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    return "no formula cells" if not bad else f"formula cells: {bad[:3]}"
