"""An ingest run: files and folders in, documents with their segments and cases stored.

Each source file's documents are written in one transaction, so a killed ingest never leaves
half a file (a survey's first 28,000 rows, say) that a re-run would call "already ingested":
the file is in wholly or not at all, and running the same command again ingests what is not.
A file that cannot be read is reported and skipped; with ``strict=True`` the first failure
rolls back everything the run wrote.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import DocumentInUseError, IngestError, QualkitError
from qualkit.ingest.discover import SkippedFile
from qualkit.records import DocumentKind, Removal, RemovedDocument, Unit
from qualkit.removal import orphan_counts, refusal, take_out
from qualkit.store import utc_timestamp

if TYPE_CHECKING:
    from qualkit.ingest import ReadOptions, SourceFile
    from qualkit.progress import Progress
    from qualkit.store import Store


@dataclass(frozen=True)
class IngestedDocument:
    name: str
    kind: DocumentKind
    unit: Unit
    words: int
    segments: int


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did: added, skipped as already there, refused, and why."""

    added: tuple[IngestedDocument, ...] = ()
    duplicates: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (path, existing document names)
    failures: tuple[tuple[str, str], ...] = ()  # (path, reason)
    warnings: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()  # files found that qualkit cannot read (reason, fix)
    notes: tuple[str, ...] = ()  # cases and review files found among the sources, and what was done
    cases_assigned: int = 0
    case_problems: tuple[str, ...] = ()
    rolled_back: bool = False  # --strict and something failed: nothing was written
    cases_applied: str | None = None  # the cases file applied (given, or found in a folder)
    # --replace (issue #18): the old versions taken out (kept, marked removed, where people worked on
    # them), and documents a new version of their file left as they were
    replaced: tuple[RemovedDocument, ...] = ()
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not (self.failures or self.case_problems)

    def skipped_by_reason(self) -> dict[str, int]:
        """How many files were skipped for each reason, most common first."""
        from collections import Counter

        return dict(Counter(skip.reason for skip in self.skipped).most_common())


@dataclass
class _IngestState:
    added: list[IngestedDocument] = field(default_factory=list)
    duplicates: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every document the files given map to
    skipped: tuple[SkippedFile, ...] = ()
    notes: list[str] = field(default_factory=list)
    replaced: list[RemovedDocument] = field(default_factory=list)
    unchanged: int = 0

    def report(self, **extra: object) -> IngestReport:
        undone = bool(extra.get("rolled_back"))
        return IngestReport(added=() if undone else tuple(self.added), duplicates=tuple(self.duplicates),
                            failures=tuple(self.failures), warnings=tuple(self.warnings), skipped=self.skipped,
                            notes=tuple(self.notes), replaced=() if undone else tuple(self.replaced),
                            unchanged=0 if undone else self.unchanged, **extra)  # type: ignore[arg-type]


class _StrictFailure(Exception):
    """Aborts a --strict ingest so its transaction rolls back."""


def ingest(
    store: Store, paths: Sequence[str | os.PathLike], *, options: ReadOptions, unit: Unit | None = None,
    case: str | None = None, cases_file: str | os.PathLike | None = None, strict: bool = False,
    replace: bool = False, force: bool = False, on_progress: Progress | None = None,
) -> IngestReport:
    """Read files and folders into documents and segments; see the module doc. ``replace``: a
    file already ingested, or changed since, replaces the documents it gave before (see
    :func:`_ingest_file`); ``force``: even those people worked on (their decisions stay, orphaned)."""
    from qualkit.cases import read_cases_file
    from qualkit.ingest import discover

    if cases_file:
        read_cases_file(Path(cases_file), [])  # a malformed cases file stops us before any write
    started = utc_timestamp()
    found = discover([Path(p) for p in paths])
    files = list(found.files)
    named = {str(Path(p)) for p in paths}  # a file named explicitly that cannot be read is a failure
    state = _IngestState(
        failures=[*found.problems, *((skip.path, skip.message) for skip in found.skipped if skip.path in named)],
        skipped=tuple(skip for skip in found.skipped if skip.path not in named),
    )
    state.notes += [side.note for side in found.review_files]
    if cases_file is None and len(found.cases_files) == 1:
        cases_file = found.cases_files[0].path
        read_cases_file(Path(cases_file), [])
        state.notes.append(found.cases_files[0].note)
    elif found.cases_files:
        state.notes += [f"{side.path}: a cases file, not ingested" + (
            f"; --cases {cases_file} was applied instead" if cases_file else "; name the one to apply with --cases"
        ) for side in found.cases_files]
    if strict and (found.problems or found.skipped):
        state.failures += [(skip.path, skip.message) for skip in found.skipped]
        return state.report(rolled_back=True)
    cases_assigned, case_problems = 0, tuple[str, ...]()
    try:
        with store.transaction() if strict else contextlib.nullcontext():
            for done, source in enumerate(files, start=1):
                _ingest_file(store, source, options, unit, state, strict=strict, replace=replace, force=force)
                if on_progress:
                    on_progress(done, len(files), source.name)
            if case or cases_file:
                cases_assigned, case_problems = assign_cases(store, state.names, case=case, cases_file=cases_file)
                if strict and case_problems:
                    raise _StrictFailure
    except _StrictFailure:
        return state.report(cases_assigned=0, case_problems=case_problems, rolled_back=True)
    report = state.report(cases_assigned=cases_assigned, case_problems=case_problems,
                          cases_applied=str(cases_file) if cases_file else None)
    store.runs.record(
        command="ingest",
        parameters={
            "paths": [str(p) for p in paths], "kind": options.kind, "unit": unit and unit.value, "case": case,
            "cases_file": cases_file and str(cases_file), "strict": strict, "pdf_text": options.pdf_text,
            "id_column": options.id_column, "case_column": options.case_column,
            "text_columns": list(options.text_column_specs), "replace": replace, "force": force,
        },
        counts={
            "added": len(report.added), "duplicates": len(report.duplicates), "failures": len(report.failures),
            "skipped": len(report.skipped), "cases_assigned": cases_assigned, "unchanged": report.unchanged,
            **({f"replaced_{key}": value for key, value in orphan_counts(report.replaced).items()}
               if report.replaced else {}),
        },
        started_at=started,
        finished_at=utc_timestamp(),
    )
    return report


def _ingest_file(store: Store, source: SourceFile, options: ReadOptions, unit: Unit | None, state: _IngestState, *,
                 strict: bool, replace: bool = False, force: bool = False) -> None:
    """Ingest one file, all or nothing (one transaction).

    With ``replace``, the file's documents are compared with the versions in the corpus (those read
    from the same path or bytes, or with the same names): one whose text, kind and unit are unchanged
    is kept as it is, with its decisions (only where it came from and its attributes are updated); a
    changed one is replaced, the new version keeping the old one's case and attributes; one the file
    no longer gives is removed. Old versions people worked on need ``force``."""
    from qualkit.ingest import count_words, extract, file_sha256, read_bytes, text_sha256
    from qualkit.segment import segment_blocks

    try:
        data = read_bytes(source.path)
        existing = store.documents.names_with_source(file_sha256(data))
        if existing and not replace:
            state.duplicates.append((str(source.path), tuple(existing)))
            state.names.extend(existing)
            return
        documents, warnings = extract(source, data, options)
        state.warnings.extend(warnings)
        units = [unit or document.kind.natural_unit for document in documents]
        old = {version.name: version for version in store.documents.versions(
            source_path=str(source.path), source_sha256=file_sha256(data), names=[d.name for d in documents])}
        if not replace:
            for document in documents:
                if document.name not in old:
                    continue
                earlier = store.documents.source_path(document.name)
                if earlier == str(source.path):
                    raise IngestError(
                        f"{source.path}: the file has changed since it was ingested as {document.name!r}; "
                        "bring in the new version with --replace (documents people worked on need --force too)"
                    )
                raise IngestError(
                    f"{source.path}: a different document named {document.name!r} is already in the project "
                    f"(from {earlier}); rename the file, ingest it from another folder level, or replace the "
                    "old version with --replace"
                )
            old = {}
        unchanged = {
            document.name for document, doc_unit in zip(documents, units, strict=True)
            if document.name in old and (old[document.name].kind, old[document.name].unit, old[document.name].sha256)
            == (document.kind, doc_unit, text_sha256(document.text))
        }
        # with --replace, a file whose documents are all unchanged still goes through below: each is
        # reported unchanged (not "already in the project") and its source, case and attributes refreshed
        outgoing = [version for name, version in old.items() if name not in unchanged]
        usages = {version.id: store.documents.usage(version.id) for version in outgoing}
        busy = [usage for usage in usages.values() if usage.in_use]
        if busy and not force:
            raise DocumentInUseError(refusal(busy, replacing=True))
        added: list[IngestedDocument] = []
        replaced: list[RemovedDocument] = []
        now = utc_timestamp()
        # One transaction per source file: a killed ingest leaves a file wholly in or wholly out,
        # so "already ingested" (decided by the file's hash) is never said of half a survey.
        with store.transaction():
            inherited: dict[str, tuple[int | None, dict[str, str]]] = {}
            for version in outgoing:
                inherited[version.name] = (version.case_id, store.documents.own_attributes(version.id))
                replaced.append(take_out(store, version.id, usages[version.id], removal=Removal.REPLACED, when=now))
            cases = {name: store.documents.ensure_case(name) for name in dict.fromkeys(
                document.case for document in documents if document.case)}  # a survey's --case-column
            for document, doc_unit in zip(documents, units, strict=True):
                named_case = cases[document.case] if document.case else None
                if document.name in unchanged:
                    store.documents.refresh(old[document.name].id, source_path=document.source_path,
                                            source_sha256=document.source_sha256, metadata=document.metadata,
                                            attributes=document.attributes, case_id=named_case)
                    continue
                case_id, attributes = inherited.get(document.name, (None, {}))
                case_id = named_case or case_id
                segments = segment_blocks(document.text, document.blocks, doc_unit)
                words = count_words(document.text)
                store.documents.insert(
                    name=document.name, kind=document.kind, unit=doc_unit, source_path=document.source_path,
                    source_sha256=document.source_sha256, sha256=text_sha256(document.text),
                    reader=document.reader, text=document.text, words=words, metadata=document.metadata,
                    attributes={**attributes, **document.attributes}, segments=segments, case_id=case_id,
                )
                added.append(IngestedDocument(document.name, document.kind, doc_unit, words, len(segments)))
        # reported only once committed
        state.added.extend(added)
        state.replaced.extend(replaced)
        state.unchanged += len(unchanged)
        state.names.extend(document.name for document in documents)
    except (IngestError, DocumentInUseError) as exc:
        state.failures.append((str(source.path), _reason(exc, source.path)))
        if strict:
            raise _StrictFailure from exc


def assign_cases(store: Store, names: Sequence[str], *, case: str | None = None,
                 cases_file: str | os.PathLike | None = None) -> tuple[int, tuple[str, ...]]:
    """Put ``names`` into ``case`` and/or apply a cases file; (documents assigned, problems)."""
    from qualkit.cases import CasesPlan, read_cases_file

    plan = read_cases_file(Path(cases_file), store.documents.names()) if cases_file else CasesPlan(assignments=())
    assignments = list(plan.assignments)
    if case:
        explicit = {document for document, _ in assignments}
        assignments += [(name, case) for name in dict.fromkeys(names) if name not in explicit]
    store.documents.assign_cases(assignments, plan.case_attributes, plan.document_attributes)
    return len(assignments), plan.problems


def _reason(exc: QualkitError, path: object) -> str:
    """The error message without the leading "path: " (the report prints the path)."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
