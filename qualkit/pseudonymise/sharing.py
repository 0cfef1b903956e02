"""One pseudonymised export: the key compiled once, each document pseudonymised once, every file
checked before it takes its place, and a summary of what was replaced.

A :class:`Pseudonymisation` is what the project hands an exporter instead of a bare key. The
exporter asks it for pseudonymised values, spans, codings tables, suggestions, review items,
codebooks and REFI-QDA projects, and writes through :meth:`Pseudonymisation.staged`: each file is
written under a hidden name beside its destination, checked with the leak check, and moved into
place only when every file of the export is clean. When a name survives, nothing is moved, the
hidden files are removed and :class:`~qualkit.errors.PseudonymLeakError` says where the name was.

Several exports may share one Pseudonymisation (a report and its companion table): the same key,
so the same pseudonyms everywhere, and one summary.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import ExportError, PseudonymLeakError, QualkitError
from qualkit.pseudonymise.candidates import Candidate, unreviewed
from qualkit.pseudonymise.check import CheckedOutput, LeakChecker, leak_error
from qualkit.pseudonymise.key import PseudonymKey
from qualkit.pseudonymise.outputs import (
    DocumentViews,
    pseudonymise_codebook,
    pseudonymise_codings,
    pseudonymise_passage_item,
    pseudonymise_queue_item,
    pseudonymise_refi_project,
    pseudonymise_report_memos,
    pseudonymise_suggestion,
)
from qualkit.pseudonymise.report import PseudonymisationReport, build_report
from qualkit.pseudonymise.views import PseudonymisedText, Pseudonymiser

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook
    from qualkit.export.report_data import ReportMemos
    from qualkit.records import QueueItem, ReviewedSuggestion
    from qualkit.refi.model import RefiProject
    from qualkit.review.passage import PassageItem

LEAK_ADVICE = (
    "qualkit leaves reviewers' names, code keys and attribute names as they are: if one of them is a name in "
    "the key, rename it or change the key, then export again"
)
Writer = Callable[[Path], Path]


@dataclass(frozen=True)
class PassageText:
    """A passage as shown after pseudonymisation: its text, and the highlights (offsets into it)."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()


class Pseudonymisation:
    """The key and its views for one or more exports; see the module docstring.

    ``texts`` gives a document's stored text by its (original) name, or None for a name it does
    not know; ``candidates`` are the last candidate search's, to say how many are unreviewed (None:
    no search has run); ``where`` says where the key is kept, for the summary.
    """

    def __init__(self, key: PseudonymKey, texts: Mapping[str, str] | Callable[[str], str | None], *,
                 candidates: Sequence[Candidate] | None = None, where: str = "the key given"):
        self.key = key
        self.where = where
        self.pseudonymiser = Pseudonymiser(key)
        self.documents = DocumentViews(self.pseudonymiser, texts)
        self.candidates = None if candidates is None else tuple(candidates)
        self.checked: list[CheckedOutput] = []
        self._checker = LeakChecker(key)
        self._passages: dict[int, PseudonymisedText] = {}  # segments shown on their own (passage review)

    # -- what exporters ask for ----------------------------------------------------------------------------

    def value(self, text: str | None) -> str | None:
        """A short value (a name, a label, a cell) with every name of the key replaced."""
        return self.pseudonymiser.value(text)

    def text(self, text: str) -> str:
        return self.pseudonymiser(text).text

    def passage(self, document: str, start: int, end: int, *,
                highlights: Iterable[tuple[int, int]] = ()) -> PassageText:
        """``document``'s text ``[start:end]`` pseudonymised, with ``highlights`` (document offsets)
        mapped to offsets into the returned text; a passage of an unknown document is refused."""
        from qualkit.errors import NotFoundError

        found = self.documents.get(document)
        if found is None:
            raise NotFoundError(f"no document {document!r} to pseudonymise")
        original, view = found
        if not 0 <= start <= end <= len(original):
            raise ValueError(f"span {start}-{end} is outside {document!r} (0-{len(original)})")
        new_start, new_end = view.offsets.span_to_pseudonymised(start, end)
        shown = []
        for a, b in highlights:
            a, b = max(a, start), min(b, end)
            if a < b:
                mapped = view.offsets.span_to_pseudonymised(a, b)
                shown.append((mapped[0] - new_start, mapped[1] - new_start))
        return PassageText(view.text[new_start:new_end], tuple(shown))

    def codings(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A codings table (:func:`qualkit.analysis.codings`) pseudonymised, offsets and evidence mapped."""
        return pseudonymise_codings(frame, self.pseudonymiser, document_texts=self.documents)

    def suggestion(self, item: ReviewedSuggestion) -> ReviewedSuggestion:
        return pseudonymise_suggestion(item, self.documents)

    def queue_item(self, item: QueueItem) -> QueueItem:
        return pseudonymise_queue_item(item, self.documents)

    def passage_item(self, item: PassageItem) -> PassageItem:
        shown = pseudonymise_passage_item(item, self.pseudonymiser)
        self._passages[item.segment_id] = self.pseudonymiser(item.text)  # counted in the summary
        return shown

    def codebook(self, codebook: Codebook) -> Codebook:
        return pseudonymise_codebook(codebook, self.pseudonymiser)

    def report_memos(self, memos: ReportMemos) -> ReportMemos:
        """A report's memos, names replaced in what they say and what they are about."""
        return pseudonymise_report_memos(memos, self.pseudonymiser)

    def refi(self, project: RefiProject) -> RefiProject:
        """A REFI-QDA project pseudonymised; its sources count as the documents drawn on."""
        shared = pseudonymise_refi_project(project, self.pseudonymiser)
        for source in project.sources:
            self.documents.get(source.name)  # counted in the summary (a no-op for unknown names)
        return shared.project

    # -- writing -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def staged(self) -> Iterator[Callable[[str | os.PathLike], Path]]:
        """``with p.staged() as stage: write(stage(path))``: each path becomes a hidden file beside
        it; on leaving, every file is checked and moved into place, or, if any names someone, all
        are removed and :class:`~qualkit.errors.PseudonymLeakError` is raised."""
        staged: list[tuple[Path, Path]] = []

        def stage(path: str | os.PathLike) -> Path:
            destination = Path(path)
            if not destination.parent.is_dir():
                raise ExportError(f"{destination}: folder {destination.parent} does not exist; create it or choose "
                                  "another path")
            hidden = destination.with_name(f".{destination.stem}.unchecked{destination.suffix}")
            staged.append((hidden, destination))
            return hidden

        try:
            try:
                yield stage
            except QualkitError as exc:  # a writer's error names the file the user gave, not the hidden one
                message = str(exc)
                for hidden, destination in staged:
                    message = message.replace(str(hidden), str(destination))
                if message == str(exc) or isinstance(exc, PseudonymLeakError):
                    raise
                raise type(exc)(message) from None
            results = []
            for hidden, destination in staged:
                leaks, count = self._checker.leaks_in_file(hidden)
                if leaks:
                    shown = [replace(leak, where=leak.where.replace(str(hidden), str(destination))) for leak in leaks]
                    written = ", ".join(str(d) for _, d in staged)
                    raise leak_error(shown, str(destination),
                                     advice=f"Nothing was written ({written}). {LEAK_ADVICE}")
                results.append(CheckedOutput(str(destination), count))
            for hidden, destination in staged:
                os.replace(hidden, destination)
            self.checked.extend(results)
        finally:
            for hidden, _ in staged:
                hidden.unlink(missing_ok=True)

    # -- what was done ---------------------------------------------------------------------------------------

    def report(self) -> PseudonymisationReport:
        """Counts per key entry over the documents (or, for passage review, the segments) the
        exports drew on, and unreviewed candidates."""
        return build_report(self.key, [*self.documents.views.values(), *self._passages.values()],
                            self.candidates or ())

    def summary(self) -> str:
        """One line for the terminal: what was replaced, what was checked, what is left to review."""
        report = self.report()
        place = self.where if self.where.startswith("the ") else f"key file {self.where}"
        line = f"Pseudonymised with the key in {place} ({len(self.key.entries)} entries)"
        drawn_on = [_count(len(self.documents.views), "document"), _count(len(self._passages), "passage")]
        if report.texts:
            used = sum(1 for entry in report.entries if entry.replaced)
            line += (f": {_count(report.replaced, 'name')} of {used} entries replaced in the "
                     f"{' and '.join(d for d in drawn_on if not d.startswith('0 '))} drawn on")
        if self.checked:
            checked = ", ".join(f"{c.path} ({_count(c.texts, 'text')})" for c in self.checked)
            line += f"; no key entry found in {checked}"
        if self.candidates is None:
            line += "; no candidate search yet (`qualkit pseudonymise suggest` looks for names the key lacks)"
        else:
            left = unreviewed(self.candidates, self.key)
            line += (f"; {len(left)} candidate(s) not yet reviewed (`qualkit pseudonymise report`)" if left
                     else "; every candidate reviewed")
        return line + "."


@contextlib.contextmanager
def staged_outputs(pseudonymisation: Pseudonymisation | None) -> Iterator[Callable[[str | os.PathLike], Path]]:
    """:meth:`Pseudonymisation.staged`, or, without one, paths written as they are."""
    if pseudonymisation is None:
        yield Path
        return
    with pseudonymisation.staged() as stage:
        yield stage


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
