"""Project: the facade a user scripts against.

    from qualkit.project import Project
    with Project.open("qualkit.db") as project:
        report = project.ingest(["interviews/"], cases_file="cases.csv")
        for segment in project.segments(document="brookfield_leader.txt"):
            print(segment.speaker, segment.text)
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import IngestError, NotFoundError, did_you_mean
from qualkit.records import DocumentInfo, DocumentKind, Segment, Unit
from qualkit.store import Store, utc_timestamp

DEFAULT_PROJECT = "qualkit.db"

#: Speaker labels treated as the interviewer: their turns are context, not data, by default.
DEFAULT_INTERVIEWERS = ("Interviewer", "INT", "I", "Researcher", "Facilitator", "Moderator")

#: ``on_progress(done, total, item)``: called as long work moves on (for progress bars).
Progress = Callable[[int, int, str], None]


def default_project_path() -> Path:
    return Path(os.environ.get("QUALKIT_PROJECT") or DEFAULT_PROJECT)


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
    cases_assigned: int = 0
    case_problems: tuple[str, ...] = ()
    rolled_back: bool = False  # --strict and something failed: nothing was written

    @property
    def ok(self) -> bool:
        return not (self.failures or self.case_problems)


@dataclass
class _IngestState:
    added: list[IngestedDocument] = field(default_factory=list)
    duplicates: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every document the files given map to


class _StrictFailure(Exception):
    """Aborts a --strict ingest so its transaction rolls back."""


class Project:
    """An open qualkit project (one SQLite file)."""

    def __init__(self, store: Store):
        self.store = store
        self._codebooks: dict[int, object] = {}  # stored versions never change: parse each once

    @property
    def path(self) -> Path:
        return self.store.path

    @classmethod
    def init(cls, path: str | os.PathLike | None = None) -> Project:
        return cls(Store.create(path or default_project_path()))

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> Project:
        return cls(Store.open(path or default_project_path()))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- ingest ----------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | os.PathLike],
        *,
        kind: str = "auto",
        unit: Unit | str | None = None,
        case: str | None = None,
        cases_file: str | os.PathLike | None = None,
        strict: bool = False,
        pdf_text: bool = False,
        id_column: str | None = None,
        text_column: str | None = None,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Read files and folders into documents and segments.

        Each document is written in its own transaction, so a killed ingest never leaves half
        a document. A file that cannot be read is reported and skipped; with ``strict=True``
        the first failure rolls back everything this call wrote.
        """
        from qualkit.ingest import KINDS, ReadOptions, discover

        if kind not in KINDS:
            raise IngestError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
        unit = Unit(unit) if unit else None
        options = ReadOptions(
            kind=kind, pdf_text=pdf_text, id_column=id_column, text_column=text_column
        )
        if cases_file:
            from qualkit.cases import read_cases_file

            read_cases_file(cases_file, [])  # a malformed cases file stops us before any write
        started = utc_timestamp()
        files, problems = discover(paths)
        state = _IngestState(failures=list(problems))
        if strict and problems:
            return _report(state, rolled_back=True)
        cases_assigned, case_problems = 0, ()
        try:
            with self.store.transaction() if strict else contextlib.nullcontext():
                for done, source in enumerate(files, start=1):
                    self._ingest_file(source, options, unit, state, strict=strict)
                    if on_progress:
                        on_progress(done, len(files), source.name)
                if case or cases_file:
                    cases_assigned, case_problems = self._assign_cases(
                        state.names, case=case, cases_file=cases_file
                    )
                    if strict and case_problems:
                        raise _StrictFailure
        except _StrictFailure:
            return _report(
                state, cases_assigned=0, case_problems=case_problems, rolled_back=True
            )
        report = _report(state, cases_assigned=cases_assigned, case_problems=case_problems)
        self.store.record_run(
            command="ingest",
            parameters={
                "paths": [str(p) for p in paths], "kind": kind, "unit": unit and unit.value,
                "case": case, "cases_file": cases_file and str(cases_file), "strict": strict,
                "pdf_text": pdf_text, "id_column": id_column, "text_column": text_column,
            },
            counts={
                "added": len(report.added), "duplicates": len(report.duplicates),
                "failures": len(report.failures), "cases_assigned": cases_assigned,
            },
            started_at=started,
            finished_at=utc_timestamp(),
        )
        return report

    def _ingest_file(self, source, options, unit: Unit | None, state: _IngestState, *, strict: bool) -> None:
        from qualkit.ingest import count_words, extract, file_sha256, read_bytes, text_sha256
        from qualkit.segment import segment_blocks

        try:
            data = read_bytes(source.path)
            existing = self.store.documents_with_source(file_sha256(data))
            if existing:
                state.duplicates.append((str(source.path), tuple(existing)))
                state.names.extend(existing)
                return
            documents, warnings = extract(source, data, options)
            state.warnings.extend(warnings)
            for document in documents:
                other = self.store.document_source(document.name)
                if other is not None:
                    raise IngestError(
                        f"{source.path}: a different document named {document.name!r} is "
                        f"already in the project (from {other}); rename the file or ingest "
                        "it from another folder level"
                    )
            for document in documents:
                doc_unit = unit or document.kind.natural_unit
                segments = segment_blocks(document.text, document.blocks, doc_unit)
                words = count_words(document.text)
                self.store.insert_document(
                    name=document.name, kind=document.kind, unit=doc_unit,
                    source_path=document.source_path, source_sha256=document.source_sha256,
                    sha256=text_sha256(document.text), reader=document.reader,
                    text=document.text, words=words, metadata=document.metadata,
                    attributes=document.attributes, segments=segments,
                )
                state.added.append(
                    IngestedDocument(document.name, document.kind, doc_unit, words, len(segments))
                )
                state.names.append(document.name)
        except IngestError as exc:
            state.failures.append((str(source.path), _reason(exc, source.path)))
            if strict:
                raise _StrictFailure from exc

    def _assign_cases(self, names: list[str], *, case: str | None, cases_file) -> tuple[int, tuple[str, ...]]:
        from qualkit.cases import CasesPlan, read_cases_file

        if cases_file:
            plan = read_cases_file(cases_file, self.store.document_names())
        else:
            plan = CasesPlan(assignments=())
        assignments = list(plan.assignments)
        if case:
            explicit = {document for document, _ in assignments}
            assignments += [(name, case) for name in dict.fromkeys(names) if name not in explicit]
        self.store.assign_cases(assignments, plan.case_attributes, plan.document_attributes)
        return len(assignments), plan.problems

    def assign_cases(self, cases_file: str | os.PathLike) -> tuple[int, tuple[str, ...]]:
        """Apply a cases file to documents already in the project."""
        return self._assign_cases([], case=None, cases_file=cases_file)

    # -- codebooks -----------------------------------------------------------------------

    def load_codebook(self, path: str | os.PathLike):
        """Validate and store a codebook file. Returns (codebook, id, is_new_version, warnings).

        Loading unchanged content again is a no-op; an edited file becomes a new version and
        the old one is kept.
        """
        from qualkit.codebook import load_codebook

        if str(path).lower().endswith(".qdc"):
            from qualkit.interchange import load_qdc

            return load_qdc(self, path)
        codebook, warnings = load_codebook(path)
        codebook_id, created = self.store.save_codebook(codebook)
        return codebook, codebook_id, created, warnings

    def codebook(self, codebook_id: int | None = None):
        """(id, Codebook) of a stored version; the latest loaded when no id is given."""
        from qualkit.codebook import parse_codebook
        from qualkit.errors import CodebookError

        versions = self.store.codebooks()
        if not versions:
            raise CodebookError(
                f"no codebook in {self.path}; load one with `qualkit codebook load FILE` "
                "(e.g. codebooks/niot_coherent_offer.yaml)"
            )
        if codebook_id is None:
            codebook_id = versions[-1]["id"]
        elif codebook_id not in {row["id"] for row in versions}:
            raise NotFoundError(
                f"no codebook version {codebook_id} in {self.path}; "
                f"versions: {', '.join(str(row['id']) for row in versions)}"
            )
        if codebook_id not in self._codebooks:
            source, source_path = self.store.codebook_source(codebook_id)
            self._codebooks[codebook_id], _ = parse_codebook(source, path=source_path, compile_patterns=False)
        return codebook_id, self._codebooks[codebook_id]

    def interviewer_speakers(self) -> tuple[str, ...]:
        stored = self.store.get_setting("interviewer_speakers")
        return tuple(json.loads(stored)) if stored else DEFAULT_INTERVIEWERS

    def set_interviewer_speakers(self, names: Sequence[str]) -> None:
        self.store.set_setting("interviewer_speakers", json.dumps(list(names)))

    # -- coding ----------------------------------------------------------------------------

    def code(self, **options):
        """Propose codes for segments from the codebook's rules and the latest model.

        See :func:`qualkit.coding.run_code` for the options.
        """
        from qualkit.coding import run_code

        return run_code(self, **options)

    def train(self, *, reviewer: str | None = None, consensus: str | None = None, on_progress=None):
        """Train a classifier per code from reviewers' decisions; see :mod:`qualkit.suggest.training`."""
        from qualkit.suggest.training import train_project

        return train_project(self, reviewer=reviewer, consensus=consensus, on_progress=on_progress)

    def suggestions(self, **filters) -> list[dict]:
        """:meth:`iter_suggestions` as a list."""
        return list(self.iter_suggestions(**filters))

    def iter_suggestions(
        self, *, codes: Sequence[str] | None = None, documents: Sequence[str] | None = None,
        consensus: str = "any", reviewer: str | None = None,
    ) -> Iterator[dict]:
        """Suggestions as dicts ready for a table: one per suggestion, in document order,
        streamed from the database so a million of them need not fit in memory.

        ``status`` is the consensus status under ``consensus`` (any, majority, all,
        adjudicator:NAME), or ``reviewer``'s own status when a reviewer is given; each reviewer
        who decided anything gets a ``reviewer:NAME`` column with their status.
        """
        from qualkit.review.actions import statuses, verdicts_by_suggestion
        from qualkit.review.decisions import ConsensusRule

        rule = ConsensusRule.parse(consensus)
        if codes:
            _, codebook = self.codebook()
            for code in codes:
                if code not in codebook.keys:
                    raise NotFoundError(
                        f"no code {code!r} in codebook {codebook.name!r}"
                        f"{did_you_mean(code, codebook.keys)}; `qualkit codebook show` lists them"
                    )
        document_ids = None if documents is None else [self.document_id(name) for name in documents]
        names: dict[str, str] = {}
        if self.store.codebooks():
            _, codebook = self.codebook()
            names = {code.key: code.name for code in codebook.codes}
        verdicts = verdicts_by_suggestion(self.store)
        reviewers = self.store.reviewers()
        for row in self.store.suggestion_rows(codes=codes, document_ids=document_ids):
            yield {
                "id": row["id"], "document": row["document"], "case": row["case_name"],
                "segment": row["segment"], "start": row["start"], "end": row["end"],
                "speaker": row["speaker"], "timestamp": row["timestamp"], "code": row["code"],
                "code_name": names.get(row["code"], ""),
                "source": row["source"], "score": row["score"],
                "status": statuses(verdicts.get(row["id"], {}), rule=rule, reviewer=reviewer).value,
                "reviewers": "; ".join(
                    f"{name}:{verdict.value}" for name, verdict in sorted(verdicts.get(row["id"], {}).items())
                ),
                "evidence": "; ".join(
                    f"{pattern} @{start}-{end}" for start, end, pattern in json.loads(row["evidence"])
                ),
                "codebook_version": row["codebook_id"], "text": row["text"],
                **{
                    f"reviewer:{name}": statuses(verdicts.get(row["id"], {}), reviewer=name).value
                    for name in reviewers
                },
            }

    def export_suggestions(self, path: str | os.PathLike, **filters) -> int:
        """Write suggestions to .csv, .xlsx, .json or .parquet; returns the number of rows."""
        from qualkit.export.tables import write_table

        return write_table(self.iter_suggestions(**filters), path, sheet="suggestions")

    # -- review ----------------------------------------------------------------------------

    @property
    def project_id(self) -> str:
        """A random id minted once per project; review sheets carry it so they go back home."""
        import uuid

        value = self.store.get_setting("project_id")
        if value is None:
            value = str(uuid.uuid4())
            self.store.set_setting("project_id", value)
        return value

    def decide(self, reviewer: str, *, accept: Sequence[int] = (), reject: Sequence[int] = (), note=None):
        from qualkit.review.actions import decide

        return decide(self.store, reviewer, accept=accept, reject=reject, note=note)

    def undo(self, reviewer: str):
        from qualkit.review.actions import undo_last

        return undo_last(self.store, reviewer)

    def add_code(self, reviewer: str, *, document: str, segment: int, code: str, note: str | None = None) -> int:
        """Code a segment by hand (source 'manual'), accepted by ``reviewer``."""
        from qualkit.review.actions import add_manual_code

        segment_id = self.store.segment_id_at(self.document_id(document), segment)
        if segment_id is None:
            raise NotFoundError(f"document {document!r} has no segment {segment}; `qualkit segments` lists them")
        suggestion_id, _ = add_manual_code(self, reviewer, segment_id=segment_id, code=code, note=note)
        return suggestion_id

    def accept_all(self, reviewer: str, *, code: str, min_score: float, documents: Sequence[str] | None = None):
        from qualkit.review.actions import accept_all

        _, codebook = self.codebook()
        if code not in codebook.keys:
            raise NotFoundError(f"no code {code!r} in codebook {codebook.name!r}{did_you_mean(code, codebook.keys)}")
        ids = [self.document_id(n) for n in documents] if documents else None
        return accept_all(self.store, reviewer, code=code, min_score=min_score, document_ids=ids)

    def review_session(self, reviewer: str, **options):
        from qualkit.review.session import ReviewSession

        return ReviewSession(self, reviewer, **options)

    def export_review(self, path: str | os.PathLike, reviewer: str, **filters) -> int:
        from qualkit.review.sheet import export_sheet

        return export_sheet(self, path, reviewer, **filters)

    def import_review(self, path: str | os.PathLike, *, reviewer: str | None = None):
        from qualkit.review.sheet import import_sheet

        return import_sheet(self, path, reviewer=reviewer)

    def review_status(self) -> list[dict]:
        """Per reviewer (and the consensus) and code: pending, accepted, rejected."""
        from qualkit.review.actions import statuses, verdicts_by_suggestion
        from qualkit.review.decisions import DEFAULT_RULE

        verdicts = verdicts_by_suggestion(self.store)
        rows = self.store.suggestion_rows()
        reviewers = self.store.reviewers()
        table: dict[tuple[str, str], dict[str, int]] = {}
        for row in rows:
            theirs = verdicts.get(row["id"], {})
            for who in [*reviewers, None]:
                status = statuses(theirs, rule=DEFAULT_RULE, reviewer=who).value
                key = (who or "(consensus: any)", row["code"])
                counts = table.setdefault(key, {"pending": 0, "accepted": 0, "rejected": 0, "disputed": 0})
                counts[status] += 1
        return [
            {"reviewer": who, "code": code, **counts}
            for (who, code), counts in sorted(table.items())
        ]

    # -- REFI-QDA ----------------------------------------------------------------------------

    def export_qdpx(self, path: str | os.PathLike, *, consensus: str = "any") -> int:
        from qualkit.interchange import export_qdpx

        return export_qdpx(self, path, consensus=consensus)

    def export_qdc(self, path: str | os.PathLike) -> int:
        from qualkit.interchange import export_qdc

        return export_qdc(self, path)

    def import_qdpx(self, path: str | os.PathLike):
        from qualkit.interchange import import_qdpx

        return import_qdpx(self, path)

    # -- looking at it ---------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents()

    def document_id(self, name: str) -> int:
        document_id = self.store.document_id(name)
        if document_id is None:
            names = self.store.document_names()
            raise NotFoundError(
                f"no document named {name!r} in {self.path}{did_you_mean(name, names)}; "
                "`qualkit documents` lists them"
            )
        return document_id

    def segments(self, *, documents: Iterable[str] | None = None) -> Iterator[Segment]:
        ids = None if documents is None else [self.document_id(name) for name in documents]
        return self.store.segments(ids)

    def status(self) -> dict[str, list[tuple[str | None, int, int, int]]]:
        """Counts of (documents, segments, words) by kind, by case and by unit."""
        return {column: self.store.count_by(column) for column in ("kind", "case", "unit")}

    def cases(self):
        return self.store.cases()


def _reason(exc: IngestError, path) -> str:
    """The error message without the leading "path: " (the report prints the path)."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _report(state: _IngestState, **extra) -> IngestReport:
    added = () if extra.get("rolled_back") else tuple(state.added)
    return IngestReport(
        added=added,
        duplicates=tuple(state.duplicates),
        failures=tuple(state.failures),
        warnings=tuple(state.warnings),
        **extra,
    )

