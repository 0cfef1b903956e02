"""The leak check: fail loudly when a name from the key is still in something about to be shared.

It uses the same matcher as pseudonymising, so it finds every form of every entry in any case,
as a possessive or plural, split across a line break, and nothing else. It reads what an export
writes: plain text and CSV, Word (.docx: every paragraph, table cell, header, footer, comment,
footnote, tracked deletion and document property), Excel (.xlsx: every cell and sheet name plus
the workbook's properties), Parquet, SVG/XML, and REFI-QDA (.qdpx: the project XML, every
plain-text source, and Word sources inside). A member it cannot read (a PDF or image source in a
.qdpx) is itself an error: what cannot be checked cannot be passed as clean.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from qualkit.errors import PseudonymisationError, PseudonymLeakError, RefiError
from qualkit.pseudonymise.key import PseudonymKey
from qualkit.pseudonymise.matching import KeyMatcher

TEXT_SUFFIXES = {".txt", ".md", ".csv", ".tsv", ".json", ".jsonl", ".html", ".htm", ".yaml", ".yml", ".log"}
XML_SUFFIXES = {".xml", ".qde", ".qdc", ".svg", ".rels"}
ZIP_XML_SUFFIXES = {".docx", ".xlsx", ".pptx", ".odt", ".ods"}
SHOWN_LEAKS = 10
_MAX_PART = 256 * 1024 * 1024  # bytes of one XML part of a Word file inside a .qdpx
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Leak:
    """A form of key entry ``original`` found as ``found`` at ``where`` (``offset`` into that text)."""

    where: str
    original: str
    pseudonym: str
    found: str
    offset: int


@dataclass(frozen=True)
class CheckedOutput:
    """What a clean check looked at: the file (or label) and how many texts in it."""

    path: str
    texts: int


class LeakChecker:
    """A key compiled once, to check many texts and files."""

    def __init__(self, key: PseudonymKey):
        self.key = key
        self._matcher = KeyMatcher.from_entries(key.entries)

    def leaks_in_text(self, text: str, *, where: str, lines: bool = True) -> list[Leak]:
        """Every form of a key entry in ``text``; ``where`` is extended with the line number."""
        found = []
        for match in self._matcher.finditer(text):
            entry = self.key.entries[match.target]
            place = f"{where}:{text.count(chr(10), 0, match.start) + 1}" if lines else where
            found.append(Leak(place, entry.original, entry.pseudonym, text[match.start:match.end], match.start))
        return found

    def leaks_in_texts(self, items: Iterable[tuple[str, str]]) -> tuple[list[Leak], int]:
        """Leaks in (where, text) pairs, and how many texts were checked."""
        leaks: list[Leak] = []
        count = 0
        for where, text in items:
            count += 1
            leaks.extend(self.leaks_in_text(text, where=where, lines=False))
        return leaks, count

    def leaks_in_file(self, path: str | os.PathLike) -> tuple[list[Leak], int]:
        """Leaks in an output file, and how many texts in it were checked."""
        path = Path(path)
        suffix = path.suffix.lower()
        if not path.is_file():
            raise PseudonymisationError(f"{path}: no such file to check")
        if suffix in TEXT_SUFFIXES:
            text = path.read_bytes().decode("utf-8-sig", errors="replace")
            return self.leaks_in_text(text, where=str(path)), 1
        if suffix == ".xlsx":
            return self.leaks_in_texts(_xlsx_texts(path))
        if suffix in ZIP_XML_SUFFIXES:
            return self.leaks_in_texts(_zip_xml_texts(path, str(path)))
        if suffix in XML_SUFFIXES:
            from qualkit.refi.safety import parse_xml, read_limited_file

            with _as_check_error(path):
                root = parse_xml(read_limited_file(path), where=str(path))
            return self.leaks_in_texts(_xml_texts(root, str(path)))
        if suffix == ".qdpx":
            return self.leaks_in_texts(_qdpx_texts(path))
        if suffix == ".parquet":
            return self.leaks_in_texts(_parquet_texts(path))
        what = f"{suffix} files" if suffix else "files without a suffix"
        raise PseudonymisationError(
            f"{path}: cannot check {what} for names; qualkit checks "
            f"{', '.join(sorted(TEXT_SUFFIXES | XML_SUFFIXES | ZIP_XML_SUFFIXES | {'.qdpx', '.parquet'}))}")


def check_texts(items: Iterable[tuple[str, str]], key: PseudonymKey, *, what: str = "the output") -> int:
    """Raise :class:`PseudonymLeakError` if any (where, text) pair still names a key entry; else the count checked."""
    leaks, count = LeakChecker(key).leaks_in_texts(items)
    if leaks:
        raise leak_error(leaks, what)
    return count


def check_file(path: str | os.PathLike, key: PseudonymKey) -> CheckedOutput:
    """Raise :class:`PseudonymLeakError` if the output file still names a key entry."""
    leaks, count = LeakChecker(key).leaks_in_file(path)
    if leaks:
        raise leak_error(leaks, str(path))
    return CheckedOutput(str(path), count)


ADVICE = "Do not share it: pseudonymise it again with the current key"


def leak_error(leaks: list[Leak], what: str, *, advice: str = ADVICE) -> PseudonymLeakError:
    """One error naming every entry found (the first few places in full), then ``advice``."""
    entries = sorted({leak.original for leak in leaks})
    shown = "; ".join(f"{leak.original!r} as {leak.found!r} at {leak.where}" for leak in leaks[:SHOWN_LEAKS])
    more = f"; and {len(leaks) - SHOWN_LEAKS} more" if len(leaks) > SHOWN_LEAKS else ""
    noun = "entry" if len(entries) == 1 else "entries"
    return PseudonymLeakError(
        f"{what} still names {len(entries)} pseudonym key {noun} ({', '.join(repr(e) for e in entries)}), "
        f"{len(leaks)} time(s): {shown}{more}. {advice}",
        tuple(leaks),
    )


@contextmanager
def _as_check_error(path: Path) -> Iterator[None]:
    """A broken or unsafe archive is reported as a file that cannot be checked."""
    try:
        yield
    except RefiError as exc:
        raise PseudonymisationError(f"cannot check {path}: {exc}") from None


def _xml_texts(root: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every piece of text in an XML tree: Word paragraphs joined across runs, other elements'
    text and tails, and every attribute value."""
    paragraphs = 0
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag.rsplit("}", 1)[-1]
        for attribute, value in element.attrib.items():
            if value and value.strip():
                yield f"{where} <{name} {attribute.rsplit('}', 1)[-1]}>", value
        if tag == f"{_W}p":
            paragraphs += 1
            joined = "".join(t.text or "" for t in element.iter(f"{_W}t"))
            deleted = "".join(t.text or "" for t in element.iter(f"{_W}delText"))
            for text in (joined, deleted):
                if text.strip():
                    yield f"{where} paragraph {paragraphs}", text
            continue
        if tag in (f"{_W}t", f"{_W}delText"):
            continue  # read with its paragraph, where a name split across runs is whole again
        if element.text and element.text.strip():
            yield f"{where} <{name}>", element.text
        if element.tail and element.tail.strip():
            yield f"{where} after <{name}>", element.tail


def _zip_xml_texts(source: Path | bytes, label: str, *, skip: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Text in every XML part of an Office zip (.docx, .xlsx), read within the REFI size limits."""
    from qualkit.refi.safety import SafeArchive, parse_xml

    skipped = set(skip)
    path = Path(label)
    if isinstance(source, bytes):
        # A Word file inside a .qdpx: checked in memory.
        try:
            archive_zip = zipfile.ZipFile(io.BytesIO(source))
        except zipfile.BadZipFile:
            raise PseudonymisationError(f"cannot check {label}: not a valid zip (Office) file") from None
        with archive_zip:
            for info in archive_zip.infolist():
                if info.filename.endswith((".xml", ".rels")) and info.filename not in skipped:
                    with archive_zip.open(info) as stream:
                        data = stream.read(_MAX_PART + 1)  # the header's size can lie
                    if len(data) > _MAX_PART:
                        raise PseudonymisationError(f"cannot check {label}: {info.filename} is too large")
                    with _as_check_error(path):
                        root = parse_xml(data, where=f"{label}/{info.filename}")
                    yield from _xml_texts(root, f"{label} ({info.filename})")
        return
    with _as_check_error(path):
        archive = SafeArchive(path)
    with archive:
        for name in archive.names():
            if name.endswith((".xml", ".rels")) and name not in skipped:
                with _as_check_error(path):
                    root = parse_xml(archive.read(name), where=f"{label}/{name}")
                yield from _xml_texts(root, f"{label} ({name})")


def _xlsx_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Every cell (formulas as written) and sheet name, then the workbook's other XML parts."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise PseudonymisationError(f"cannot check {path}: not a readable .xlsx ({exc})") from None
    sheet_parts: list[str] = []
    try:
        for index, sheet in enumerate(workbook.worksheets, start=1):
            sheet_parts.append(f"xl/worksheets/sheet{index}.xml")
            yield f"{path}: sheet name", sheet.title
            for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                for column, value in enumerate(row, start=1):
                    if isinstance(value, str) and value.strip():
                        yield f"{path}: {sheet.title}!{get_column_letter(column)}{row_number}", value
    finally:
        workbook.close()
    yield from _zip_xml_texts(path, str(path), skip=[*sheet_parts, "xl/sharedStrings.xml"])


def _qdpx_texts(path: Path) -> Iterator[tuple[str, str]]:
    """The project XML, every plain-text source, Word sources inside, and the member names."""
    from qualkit.refi.safety import SafeArchive, parse_xml

    with _as_check_error(path):
        archive = SafeArchive(path)
    with archive:
        unreadable = []
        for name in archive.names():
            yield f"{path}: member name", name
            suffix = PurePosixPath(name).suffix.lower()
            if suffix not in (".qde", ".xml", ".txt", ".docx"):
                unreadable.append(name)
                continue
            with _as_check_error(path):
                data = archive.read(name)
                root = parse_xml(data, where=f"{path}/{name}") if suffix in (".qde", ".xml") else None
            if root is not None:
                yield from _xml_texts(root, f"{path} ({name})")
            elif suffix == ".txt":
                yield f"{path} ({name})", data.decode("utf-8-sig", errors="replace")
            else:
                yield from _zip_xml_texts(data, f"{path} ({name})")
        if unreadable:
            raise PseudonymisationError(
                f"cannot check {path}: {len(unreadable)} member(s) are not text ({', '.join(unreadable[:5])}); "
                "a pseudonymised project must carry its sources as plain text")


def _parquet_texts(path: Path) -> Iterator[tuple[str, str]]:
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError:
        raise PseudonymisationError(
            f"cannot check {path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    except (OSError, ValueError) as exc:
        raise PseudonymisationError(f"cannot check {path}: not a readable Parquet file ({exc})") from None
    for column in frame.columns:
        yield f"{path}: column name", str(column)
        for row_number, value in enumerate(frame[column].tolist(), start=1):
            if isinstance(value, str) and value.strip():
                yield f"{path}: row {row_number} column {column}", value
