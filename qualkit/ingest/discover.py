"""Find what to ingest under the paths given, and say what is not ingested and why.

Folders are walked in sorted order. Every file found is one of:

* a source to ingest (its suffix has a reader);
* a cases file (a CSV whose header starts ``document,case``) or a review file (a CSV or XLSX
  whose header has ``document``, ``segment``, ``code`` and ``decision``), recognised by the
  header line alone and returned apart, each with a one-line note, so the caller applies the
  cases file and leaves the review file for ``qualkit review import``;
* skipped, with a reason and a fix (``.doc``: save it as .docx) — never silently;
* ignored quietly: hidden files and folders, Word's ``~$`` lock files, ``Thumbs.db``.

A README inside a walked folder describes the folder and is skipped with that reason; named
on its own it is ingested like any other file.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SURVEY_SUFFIXES = frozenset({".csv", ".xlsx"})
_HEADER_BYTES = 1 << 20  # a header line longer than this is not read to its end
_QUIET_NAMES = frozenset({"thumbs.db", "desktop.ini", "__macosx"})
_CASES_HEADER = ("document", "case")
_REVIEW_COLUMNS = frozenset({"document", "segment", "code", "decision"})

_AUDIO_VIDEO = (
    "audio or video", "transcribe it first and ingest the transcript (.vtt, .srt, .docx or .txt)"
)
_IMAGE = ("an image", "qualkit reads text only; ingest a transcript or a PDF with a text layer")
_SLIDES = ("slides", "export the text as .docx or .pdf and ingest that")
# suffix -> (reason, fix); the reason groups skipped files in the summary.
_KNOWN_UNREADABLE: dict[str, tuple[str, str]] = {
    ".doc": ("old Word format (.doc)", "open it in Word or LibreOffice and save it as .docx"),
    ".dot": ("old Word format (.doc)", "open it in Word or LibreOffice and save it as .docx"),
    ".wpd": ("WordPerfect document", "save it as .docx"),
    ".pages": ("Apple Pages document", "export it as Word (.docx)"),
    ".xls": ("old Excel format (.xls)", "save it as .xlsx or .csv"),
    ".ods": ("OpenDocument spreadsheet (.ods)", "save it as .xlsx or .csv"),
    ".numbers": ("Apple Numbers spreadsheet", "export it as .xlsx or .csv"),
    ".ppt": _SLIDES, ".pptx": _SLIDES, ".odp": _SLIDES, ".key": _SLIDES,
    ".htm": ("web page", "save it as .pdf or .txt"),
    ".html": ("web page", "save it as .pdf or .txt"),
    ".zip": ("zip archive", "unzip it and ingest the folder"),
    ".yaml": ("YAML file", "if it is a codebook, load it with `qualkit codebook load FILE`"),
    ".yml": ("YAML file", "if it is a codebook, load it with `qualkit codebook load FILE`"),
    ".qdpx": ("REFI-QDA project", "import it into a new project with `qualkit import qdpx FILE`"),
    ".qdc": ("REFI-QDA codebook", "load it with `qualkit codebook load FILE`"),
    **dict.fromkeys(
        (".mp3", ".m4a", ".wav", ".aac", ".ogg", ".flac", ".wma",
         ".mp4", ".mov", ".avi", ".mkv", ".webm", ".wmv"),
        _AUDIO_VIDEO,
    ),
    **dict.fromkeys(
        (".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".heic", ".bmp", ".webp"), _IMAGE
    ),
}


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and the document name it gets (its path below the folder given)."""

    path: Path
    name: str


@dataclass(frozen=True)
class SkippedFile:
    """A file found but not ingested: ``reason`` is short (it groups the summary), ``fix`` says what to do."""

    path: str
    reason: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.reason}; {self.fix}"


@dataclass(frozen=True)
class SideFile:
    """A cases or review file found among the sources, with the one-line note to show for it."""

    path: Path
    note: str


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found: sources, problems, skipped files, cases and review files.

    ``problems`` are paths given that do not exist; ``skipped`` are files found (or named)
    that qualkit cannot read, each with a reason and a fix.
    """

    files: tuple[SourceFile, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    cases_files: tuple[SideFile, ...] = ()
    review_files: tuple[SideFile, ...] = ()

    def skipped_by_reason(self) -> dict[str, int]:
        """How many files were skipped for each reason, most common first."""
        return dict(Counter(skip.reason for skip in self.skipped).most_common())


def discover(paths: Iterable[str | Path], *, readable: Iterable[str]) -> Discovery:
    """Walk ``paths`` (files and folders) and sort what is there; ``readable``: suffixes with a reader."""
    readable = frozenset(readable)
    files: list[SourceFile] = []
    problems: list[tuple[str, str]] = []
    skipped: list[SkippedFile] = []
    cases_files: list[SideFile] = []
    review_files: list[SideFile] = []

    def consider(path: Path, name: str, *, walked: bool) -> None:
        suffix = path.suffix.lower()
        role = _side_file_role(path) if suffix in SURVEY_SUFFIXES else None
        if role == "cases":
            cases_files.append(SideFile(path, (
                f"{path}: a cases file (its header starts 'document,case'), not a survey: "
                "not ingested; its cases and attributes apply to the documents ingested"
            )))
        elif role == "review":
            review_files.append(SideFile(path, (
                f"{path}: a review file (document, segment, code, decision), not a survey: "
                f"not ingested; load it with `qualkit review import {path}`"
            )))
        elif suffix in readable and not (walked and path.stem.lower() == "readme"):
            files.append(SourceFile(path, name))
        else:
            reason, fix = _unreadable(path, readable)
            skipped.append(SkippedFile(str(path), reason, fix))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = found.relative_to(path)
                if not any(_quietly_ignored(part) for part in relative.parts):
                    consider(found, relative.as_posix(), walked=True)
        elif path.is_file():
            consider(path, path.name, walked=False)
        else:
            problems.append((str(path), "no such file or folder"))
    return Discovery(
        tuple(files), tuple(problems), tuple(skipped), tuple(cases_files), tuple(review_files)
    )


def _quietly_ignored(name: str) -> bool:
    """Hidden files, editors' lock files and operating-system litter: never worth a word."""
    return name.startswith((".", "~$")) or name.lower() in _QUIET_NAMES


def _unreadable(path: Path, readable: frozenset[str]) -> tuple[str, str]:
    suffix = path.suffix.lower()
    if path.stem.lower() == "readme" and suffix in readable:
        return "a README", "notes about the folder are not ingested; name the file to ingest it"
    if suffix in _KNOWN_UNREADABLE:
        return _KNOWN_UNREADABLE[suffix]
    supported = ", ".join(sorted(readable))
    if not suffix:
        return "no file extension", f"rename it with the extension of its format ({supported})"
    return f"unsupported format {suffix!r}", f"qualkit reads {supported}; convert it to one of them"


def _side_file_role(path: Path) -> str | None:
    """``cases``, ``review`` or None, from the header row alone."""
    header = _xlsx_header(path) if path.suffix.lower() == ".xlsx" else _csv_header(path)
    columns = [cell.strip().lower() for cell in header]
    if tuple(columns[:2]) == _CASES_HEADER:
        return "cases"
    if _REVIEW_COLUMNS <= set(columns):
        return "review"
    return None


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            line = handle.readline(_HEADER_BYTES)
    except OSError:
        return []  # the reader reports it when the file is ingested
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = line.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return []
    return next(csv.reader(io.StringIO(text)), [])


def _xlsx_header(path: Path) -> list[str]:
    """The first row of the first sheet, read without loading the sheet."""
    from qualkit.ingest.archive import check_office_zip

    try:
        check_office_zip(path, path.read_bytes(), what="Excel (.xlsx)", required="xl/workbook.xml")
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            row = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            workbook.close()
    except Exception:  # openpyxl raises many types for broken workbooks
        return []  # not a readable workbook: the survey reader says why when it is ingested
    return ["" if cell is None else str(cell) for cell in row]
