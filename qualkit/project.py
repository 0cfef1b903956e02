"""Project: the facade a user scripts against, and the only thing the CLI (and web server) calls.

    from qualkit.project import Project
    with Project.open("qualkit.db") as project:
        report = project.ingest(["interviews/"], cases_file="cases.csv")
        for segment in project.segments(documents=["brookfield_leader.txt"]):
            print(segment.speaker, segment.text)

Each method turns names into ids and records, then calls one stage function with the store's
repositories and those records. Stage modules never import this one.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from qualkit.errors import AnalysisError, CodebookError, IngestError, NotFoundError, did_you_mean
from qualkit.interviewers import DEFAULT_INTERVIEWERS, Interviewers
from qualkit.records import (
    NO_DECISIONS,
    Case,
    CodebookVersion,
    CodeChange,
    CorpusCount,
    Decision,
    DocumentInfo,
    InterviewerSetup,
    Memo,
    MemoAbout,
    MemoRevision,
    ModelUsage,
    ProjectSize,
    QueryHit,
    QueueFilter,
    RemovedDocument,
    ReviewedSuggestion,
    Run,
    SearchHit,
    Segment,
    Source,
    Status,
    Unit,
)
from qualkit.review.coverage import Judgements
from qualkit.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.agreement import AgreementReport
    from qualkit.codebook import Codebook
    from qualkit.codechanges import ChangeReport, PlannedChange
    from qualkit.coding import CodeReport
    from qualkit.evaluation import Evaluation
    from qualkit.export.report_data import ReportData
    from qualkit.ingest.run import IngestReport
    from qualkit.interchange import ImportReport as QdpxImportReport
    from qualkit.interchange import QdpxWritten
    from qualkit.memos import MemoIndex
    from qualkit.progress import Progress
    from qualkit.pseudonymise import (  # issue #22
        CandidateSearch,
        CheckedOutput,
        Kind,
        PassageText,
        Pseudonymisation,
        PseudonymisationReport,
        PseudonymKey,
    )
    from qualkit.pseudonymise.keeping import KeyUpdate, StoredCandidates
    from qualkit.records import Account, Dispute, Invitation, ModelInfo, Role, WebSession
    from qualkit.review.actions import DecideReport
    from qualkit.review.decisions import Consensus
    from qualkit.review.passage import PassageItem, PassageSession
    from qualkit.review.session import ReviewSession
    from qualkit.review.sheet import ImportReport as SheetImportReport
    from qualkit.review.sheetcheck import SheetView
    from qualkit.search import CodeNewReport
    from qualkit.sinks import ProjectIdentity
    from qualkit.staged import ImportReport as StagedImportReport
    from qualkit.suggest.scorer import ScorerOptions
    from qualkit.suggest.stopping import Unfound
    from qualkit.suggest.training import TrainReport
    from qualkit.tidy import TidyReport

DEFAULT_PROJECT = "qualkit.db"


ANALYSES = ("frequency", "cooccurrence", "framework", "compare", "toc")


def default_project_path() -> Path:
    return Path(os.environ.get("QUALKIT_PROJECT") or DEFAULT_PROJECT)


@dataclass(frozen=True)
class WithdrawReport:
    """What withdrawing a run removed: its undecided suggestions; decided ones are kept."""

    run: Run
    withdrawn: int
    kept: int  # suggestions of the run someone had decided: they stay, with their decisions


@dataclass(frozen=True)
class CodebookLoad:
    """What loading a codebook file did: the version it is stored as, and whether that is new."""

    codebook: Codebook
    id: int
    created: bool
    warnings: tuple[str, ...]
    changes: tuple[CodeChange, ...] = ()  # what the file renamed, merged, split, added or removed (issue #20)


@dataclass(frozen=True)
class Analysis:
    """An analysis table and what to tell the reader about it."""

    name: str
    table: pd.DataFrame
    pending: int = 0  # pending (unreviewed) suggestions included, when asked for
    unevidenced: tuple[str, ...] = ()  # theory-of-change nodes with no evidence


@dataclass(frozen=True)
class Disagreement:
    """A segment × code on which coders differ, with where it is and what it says."""

    document: str
    segment: int
    code: str
    values: Mapping[str, int | None]
    text: str


@dataclass(frozen=True)
class ReviewerInfo:
    """A reviewer as the team knows them now."""

    name: str
    decisions: int  # accepts and rejects recorded under any of their names
    coverage_marks: int  # documents and segments marked as coded fully
    other_names: tuple[str, ...]  # names their decisions were also made under (renamed, merged)
    retired: bool


@dataclass(frozen=True)
class AgreementResult:
    """Agreement between reviewers (see :class:`qualkit.agreement.AgreementReport`), over everyone's
    units, and per document or case with ``by``; the disagreements with where they are."""

    report: AgreementReport
    by: str | None
    groups: Mapping[str, AgreementReport]
    disagreements: tuple[Disagreement, ...]


class Project:
    """An open qualkit project (one SQLite file)."""

    def __init__(self, store: Store):
        self.store = store
        self._codebooks: dict[int, Codebook] = {}  # stored versions never change: parse each once
        self._pseudonymisation: Pseudonymisation | None = None  # the key compiled, for passages shown one by one

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def schema_version(self) -> int:
        return self.store.schema_version

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

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def project_id(self) -> str:
        """A random id minted once per project; review sheets and staged runs carry it so they go back home."""
        import uuid

        value = self.store.settings.get("project_id")
        if value is None:  # two processes minting it at once keep the first one written (#17)
            value = self.store.settings.set_once("project_id", str(uuid.uuid4()))
        return value

    def identity(self) -> ProjectIdentity:
        """Which project this is, in which state (for staged Parquet runs)."""
        from qualkit.sinks import ProjectIdentity

        return ProjectIdentity.of(project_id=self.project_id, path=self.path, documents=self.store.documents.infos())

    # -- names to records ------------------------------------------------------------------

    def document_id(self, name: str) -> int:
        document_id = self.store.documents.id_of(name)
        if document_id is None:
            names = self.store.documents.names()
            raise NotFoundError(
                f"no document named {name!r} in {self.path}{did_you_mean(name, names)}; "
                "`qualkit documents` lists them"
            )
        return document_id

    def _document_ids(self, names: Sequence[str] | None) -> tuple[int, ...] | None:
        return None if not names else tuple(self.document_id(name) for name in names)

    def _check_codes(self, codes: Sequence[str] | None) -> tuple[str, ...] | None:
        if not codes:
            return None
        _, codebook = self.codebook()
        for code in codes:
            if code not in codebook.keys:
                from qualkit.codechanges import where_it_went

                hint = where_it_went(code, self.store.code_changes.log()) or did_you_mean(code, codebook.keys)
                raise NotFoundError(
                    f"no code {code!r} in codebook {codebook.name!r}{hint}; `qualkit codebook show` lists them"
                )
        return tuple(codes)

    def _queue_filter(self, *, codes: Sequence[str] | None = None, documents: Sequence[str] | None = None,
                      case: str | None = None) -> QueueFilter:
        return QueueFilter(codes=self._check_codes(codes), document_ids=self._document_ids(documents), case=case)

    def _consensus(self, consensus: str | None = None, reviewers: Sequence[str] | None = None) -> Consensus:
        """Whose decisions count and how they combine: the reviewers named (by their current names),
        else every reviewer not retired."""
        from qualkit.review.decisions import Consensus
        from qualkit.review.reviewers import directory, known

        names = directory(self.store)
        if reviewers:
            return Consensus.parse(consensus, [names.current(" ".join(name.split())) for name in reviewers])
        if names.retired:
            return Consensus.parse(consensus, [name for name in known(self.store, names) if name not in names.retired])
        return Consensus.parse(consensus)

    # -- corpus ----------------------------------------------------------------------------

    def ingest(
        self, paths: Sequence[str | os.PathLike], *, kind: str = "auto", unit: Unit | str | None = None,
        case: str | None = None, cases_file: str | os.PathLike | None = None, strict: bool = False,
        pdf_text: bool = False, id_column: str | None = None, text_columns: Sequence[str] = (),
        text_column: str | None = None, case_column: str | None = None, replace: bool = False,
        force: bool = False, on_progress: Progress | None = None,
    ) -> IngestReport:
        """Read files and folders into documents and segments (see :mod:`qualkit.ingest.run`).
        ``replace``: a file ingested before (or changed since) replaces the documents it gave;
        ``force``: even documents people worked on (see :mod:`qualkit.removal`)."""
        from qualkit.ingest import KINDS, ReadOptions
        from qualkit.ingest.run import ingest

        if kind not in KINDS:
            raise IngestError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
        options = ReadOptions(kind=kind, pdf_text=pdf_text, id_column=id_column,
                              text_columns=(*text_columns, *((text_column,) if text_column else ())),
                              case_column=case_column)
        return ingest(self.store, paths, options=options, unit=Unit(unit) if unit else None, case=case,
                      cases_file=cases_file, strict=strict, replace=replace, force=force, on_progress=on_progress)

    def assign_cases(self, cases_file: str | os.PathLike) -> tuple[int, tuple[str, ...]]:
        """Apply a cases file to documents already in the project."""
        from qualkit.ingest.run import assign_cases

        return assign_cases(self.store, [], cases_file=cases_file)

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents.infos()

    def segments(self, *, documents: Iterable[str] | None = None) -> Iterator[Segment]:
        ids = None if documents is None else [self.document_id(name) for name in documents]
        return self.store.documents.segments(ids)

    def status(self) -> dict[str, list[CorpusCount]]:
        """Counts of (documents, segments, words) by kind, by case and by unit."""
        return {column: self.store.documents.count_by(column) for column in ("kind", "case", "unit")}

    def cases(self) -> list[Case]:
        return self.store.documents.cases()

    def interviewer_speakers(self) -> tuple[str, ...]:
        stored = self.store.settings.get("interviewer_speakers")
        return tuple(json.loads(stored)) if stored else DEFAULT_INTERVIEWERS

    def _interviewers(self) -> Interviewers:
        """The project's interviewer names, and those documents name themselves (issue #18)."""
        return Interviewers.of(self.interviewer_speakers(), self._own_interviewers())

    def set_interviewer_speakers(self, names: Sequence[str]) -> None:
        self.store.settings.set("interviewer_speakers", json.dumps(list(names)))

    # -- codebooks -----------------------------------------------------------------------

    @staticmethod
    def check_codebook(path: str | os.PathLike) -> tuple[Codebook, list[str]]:
        """Validate a codebook file (patterns compiled); no project is needed."""
        from qualkit.codebook import load_codebook

        return load_codebook(Path(path))

    def load_codebook(self, path: str | os.PathLike) -> CodebookLoad:
        """Validate and store a codebook file (.yaml, or a REFI-QDA .qdc).

        Loading unchanged content again is a no-op; an edited file becomes a new version and
        the old one is kept. What the file says changed (``renamed_from``, ``merged_from``,
        ``split_from``, codes added or gone) is made against the current version, and the work
        under renamed and merged codes follows them (:mod:`qualkit.codechanges`).
        """
        from dataclasses import replace

        from qualkit.codechanges import apply_changes, plan_from_file

        if str(path).lower().endswith(".qdc"):
            from qualkit.interchange import qdc_codebook

            codebook, warnings = qdc_codebook(path)
        else:
            from qualkit.codebook import load_codebook

            codebook, warnings = load_codebook(Path(path))
        stored = {version.sha256: version.id for version in self.store.codebooks.versions()}
        if codebook.sha256 in stored:
            return CodebookLoad(replace(codebook, version=stored[codebook.sha256]), stored[codebook.sha256], False,
                                tuple(warnings))
        previous = self.codebook()[1] if stored else None
        gone = [key for key in (previous.keys if previous else ()) if key not in codebook.keys]
        changes, more = plan_from_file(
            previous, codebook, history=self.store.code_changes.log(), live_codes=self.store.suggestions.live_codes(),
            suggestion_counts={key: self.store.suggestions.count_live(key) for key in gone},
        )
        report = apply_changes(self.store, codebook, changes, via=os.fspath(path))
        return CodebookLoad(replace(codebook, version=report.codebook_id), report.codebook_id, report.created,
                            (*warnings, *more), report.changes)

    def codebook(self, codebook_id: int | None = None) -> tuple[int, Codebook]:
        """(id, Codebook) of a stored version; the latest loaded when no id is given."""
        from qualkit.codebook import parse_codebook

        versions = self.store.codebooks.ids()  # not versions(): its counts cost a scan of every suggestion
        if not versions:
            raise CodebookError(
                f"no codebook in {self.path}; load one with `qualkit codebook load FILE` "
                "(e.g. codebooks/niot_coherent_offer.yaml)"
            )
        if codebook_id is None:
            codebook_id = versions[-1]
        elif codebook_id not in versions:
            raise NotFoundError(
                f"no codebook version {codebook_id} in {self.path}; versions: {', '.join(map(str, versions))}"
            )
        if codebook_id not in self._codebooks:
            from dataclasses import replace

            source, source_path = self.store.codebooks.source(codebook_id)
            parsed, _ = parse_codebook(source, path=source_path, compile_patterns=False)
            # one numbering everywhere: a codebook's version is its stored version number, whatever
            # `version:` the file declared (that stays in the store, as the file's own label)
            self._codebooks[codebook_id] = replace(parsed, version=codebook_id)
        return codebook_id, self._codebooks[codebook_id]

    def codebook_versions(self) -> list[CodebookVersion]:
        return self.store.codebooks.versions()

    def export_codebook(self, path: str | os.PathLike, *, fmt: str | None = None) -> str:
        """The current codebook as .docx (for sign-off), .yaml or .csv; returns the format written."""
        from qualkit.report import write_codebook

        _, codebook = self.codebook()
        return write_codebook(codebook, path, fmt=fmt)

    # -- proposing -------------------------------------------------------------------------

    def code(
        self, *, codebook_path: str | os.PathLike | None = None, documents: Sequence[str] | None = None,
        include_interviewer: bool = False, use_rules: bool = True, use_model: bool = True,
        threshold: float | None = None, thresholds: Mapping[str, float] | None = None, batch_size: int = 512,
        workers: int | None = None, page_size: int = 2000, engine: str = "local", scheduler: str | None = None,
        parquet: str | os.PathLike | None = None, on_progress: Progress | None = None,
    ) -> CodeReport:
        """Propose codes for segments from the codebook's rules and the latest model (see
        :func:`qualkit.coding.run_code`); with ``codebook_path``, load that codebook first."""
        from qualkit.coding import CodeOptions, run_code

        if codebook_path:
            codebook_id, codebook = self.codebook(self.load_codebook(codebook_path).id)
        else:
            codebook_id, codebook = self.codebook()
        options = CodeOptions(
            include_interviewer=include_interviewer, use_rules=use_rules, use_model=use_model, threshold=threshold,
            thresholds=dict(thresholds or {}), batch_size=batch_size, page_size=page_size, workers=workers,
            engine=engine, scheduler=scheduler, parquet=os.fspath(parquet) if parquet is not None else None,
        )
        model = None
        if use_model:
            from qualkit.suggest.training import load_latest_model

            model = load_latest_model(self.store)
            if model is not None:  # codes renamed or moved since it was trained: it proposes the new keys
                from qualkit.codechanges import follow_model, followed_keys

                since = self.store.code_changes.log(after_codebook=model[0].codebook_id)
                model = follow_model(model, followed_keys(since))
        from qualkit.runlock import run_lock

        with run_lock(self.path, "code"):  # one run at a time: a running run is never "resumed" (#17)
            return run_code(
                self.store, codebook_id=codebook_id, codebook=codebook, document_ids=self._document_ids(documents),
                documents=list(documents or []), model=model, interviewers=self._interviewers(),
                identity=self.identity() if parquet is not None else None, options=options, on_progress=on_progress,
            )

    def runs(self, *, command: str | None = None) -> list[Run]:
        """The run log, oldest first (of one command, if given)."""
        return [run for run in self.store.runs.log() if command is None or run.command == command]

    def withdraw_run(self, run_id: int) -> WithdrawReport:
        """Remove the undecided suggestions a run added (a `code` run, an import of staged suggestions,
        a search coded into suggestions); those someone decided stay, with their decisions. The
        withdrawal is logged as a run of its own."""
        from qualkit.store import utc_timestamp

        run = next((run for run in self.store.runs.log() if run.id == run_id), None)
        if run is None:
            runs = [str(run.id) for run in self.store.runs.log()]
            raise NotFoundError(f"no run {run_id}; runs: {', '.join(runs[-20:]) or 'none yet'} (`qualkit runs`)")
        started = utc_timestamp()
        with self.store.transaction():  # the suggestions go and the log says so, or neither
            withdrawn, kept = self.store.suggestions.withdraw_run(run_id)
            self.store.runs.record(command="withdraw", parameters={"run": run_id, "command": run.command},
                                   counts={"withdrawn": withdrawn, "kept_decided": kept}, started_at=started,
                                   finished_at=utc_timestamp())
        return WithdrawReport(run=run, withdrawn=withdrawn, kept=kept)

    def import_suggestions(self, folder: str | os.PathLike, *,
                           on_progress: Progress | None = None) -> StagedImportReport:
        """Load the suggestions `code --to-parquet` staged in ``folder``."""
        from qualkit.staged import import_suggestions

        return import_suggestions(self.store, folder, identity=self.identity(), on_progress=on_progress)

    def train(self, *, reviewers: Sequence[str] | None = None, consensus: str | None = None,
              options: ScorerOptions | None = None, on_progress: Progress | None = None) -> TrainReport:
        """Fit the scorer from the decisions of ``reviewers`` (all) under ``consensus``: per code, the
        model proposes only where it beat the rules out of fold (see :mod:`qualkit.suggest.scorer`)."""
        from qualkit.suggest.training import train_model

        self._check_reviewers(reviewers)
        codebook_id, codebook = self.codebook()
        return train_model(self.store, codebook_id=codebook_id, codebook=codebook,
                           consensus=self._consensus(consensus, reviewers), interviewers=self._interviewers(),
                           options=options, on_progress=on_progress)

    def proposers(self) -> tuple[ModelInfo | None, dict[str, str]]:
        """The model `code` proposes with (None: rules only) and, for each code it decides, who
        proposes it: "model" or "rules" (codes renamed since training under their new keys). Read
        from the model's record; its weights are not loaded."""
        usable = [info for info in self.store.models.all() if info.weights_deleted_at is None]
        if not usable:
            return None, {}
        info = usable[-1]
        from qualkit.codechanges import followed_keys

        moved = followed_keys(self.store.code_changes.log(after_codebook=info.codebook_id))
        return info, {moved.get(choice["code"], choice["code"]): choice["source"]
                      for choice in info.metrics.get("choices", ())}

    def evaluate(self, *, reviewers: Sequence[str] | None = None, consensus: str | None = None,
                 curve: bool = True) -> Evaluation:
        """Rules, the model and what `code` would propose, scored against reviewers' decisions on
        held-out documents (everything `train` does is redone on the training folds)."""
        from qualkit.evaluation import evaluate

        self._check_reviewers(reviewers)
        _, codebook = self.codebook()
        return evaluate(self.store, codebook, consensus=self._consensus(consensus, reviewers), curve=curve,
                        interviewers=self._interviewers())

    # -- suggestions -----------------------------------------------------------------------

    def iter_suggestions(
        self, *, codes: Sequence[str] | None = None, documents: Sequence[str] | None = None,
        consensus: str | None = None, reviewers: Sequence[str] | None = None,
        statuses: Sequence[Status | str] | None = None, sources: Sequence[Source | str] | None = None,
    ) -> Iterator[ReviewedSuggestion]:
        """Suggestions with their review state and status, in document order, streamed from the
        database so a million of them need not fit in memory. ``status`` follows ``consensus``
        over ``reviewers`` (one reviewer: their own status); ``statuses`` and ``sources`` keep
        only suggestions with one of them."""
        from qualkit.review.actions import states

        self._check_reviewers(reviewers)
        chosen = self._consensus(consensus, reviewers)
        wanted = self._check_codes(codes)
        document_ids = self._document_ids(documents)
        kept_statuses = {_choice(Status, value, "status") for value in statuses or ()}
        kept_sources = [_choice(Source, value, "source") for value in sources or ()]
        found = states(self.store)
        for view in self.store.suggestions.views(codes=wanted, document_ids=document_ids,
                                                 sources=kept_sources or None):
            state = found.get(view.id, NO_DECISIONS)
            status = chosen.status(state)
            if kept_statuses and status not in kept_statuses:
                continue
            yield ReviewedSuggestion(view, state, status)

    def suggestion_rows(self, *, pseudonymise: Pseudonymisation | None = None,
                        **filters: Any) -> Iterator[dict[str, Any]]:
        """:meth:`iter_suggestions` as table rows (a ``reviewer:NAME`` status column per reviewer);
        with ``pseudonymise``, names replaced and spans, texts and evidence in the pseudonymised documents."""
        from qualkit.export.suggestions import suggestion_rows

        names: dict[str, str] = {}
        if self.store.codebooks.latest_id() is not None:
            _, codebook = self.codebook()
            if pseudonymise is not None:
                codebook = pseudonymise.codebook(codebook)
            names = {code.key: code.name for code in codebook.codes}
        items = self.iter_suggestions(**filters)
        if pseudonymise is not None:
            items = map(pseudonymise.suggestion, items)
        return suggestion_rows(items, code_names=names, reviewers=self.store.decisions.reviewers())

    def suggestions(self, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`suggestion_rows` as a list."""
        return list(self.suggestion_rows(**filters))

    def export_suggestions(self, path: str | os.PathLike, *, pseudonymise: Pseudonymisation | None = None,
                           **filters: Any) -> int:
        """Write suggestions to .csv, .xlsx, .json or .parquet; returns the number of rows. With
        ``pseudonymise`` (:meth:`pseudonymisation`) names are replaced and the file checked."""
        from qualkit.export.tables import write_table
        from qualkit.pseudonymise.sharing import staged_outputs

        with staged_outputs(pseudonymise) as stage:
            return write_table(self.suggestion_rows(pseudonymise=pseudonymise, **filters), stage(path),
                               sheet="suggestions")

    # -- review ----------------------------------------------------------------------------

    def decide(self, reviewer: str, *, accept: Sequence[int] = (), reject: Sequence[int] = (),
               note: str | None = None) -> DecideReport:
        from qualkit.review.actions import decide

        return decide(self.store, reviewer, accept=accept, reject=reject, note=note)

    def undo(self, reviewer: str) -> Decision | None:
        from qualkit.review.actions import undo_last

        return undo_last(self.store, reviewer)

    def add_code(self, reviewer: str, *, document: str, segment: int, code: str, note: str | None = None) -> int:
        """Code a segment by hand (source 'manual'), accepted by ``reviewer``; returns the suggestion id."""
        from qualkit.review.actions import add_manual_code

        segment_id = self.store.documents.segment_id_at(self.document_id(document), segment)
        if segment_id is None:
            raise NotFoundError(f"document {document!r} has no segment {segment}; `qualkit segments` lists them")
        codebook_id, codebook = self.codebook()
        suggestion_id, _ = add_manual_code(self.store, codebook_id=codebook_id, codebook=codebook, reviewer=reviewer,
                                           segment_id=segment_id, code=code, note=note)
        return suggestion_id

    def accept_all(self, reviewer: str, *, code: str, min_score: float,
                   documents: Sequence[str] | None = None) -> DecideReport:
        from qualkit.review.actions import accept_all

        self._check_codes([code])
        return accept_all(self.store, reviewer, code=code, min_score=min_score,
                          document_ids=self._document_ids(documents))

    def review_session(self, reviewer: str, *, codes: Sequence[str] | None = None,
                       documents: Sequence[str] | None = None, case: str | None = None, order: str = "document",
                       show_others: bool = False) -> ReviewSession:
        from qualkit.review.session import ReviewSession

        codebook_id, codebook = self.codebook()
        return ReviewSession(self.store, codebook_id=codebook_id, codebook=codebook, reviewer=reviewer,
                             where=self._queue_filter(codes=codes, documents=documents, case=case), order=order,
                             show_others=show_others)

    def passage_session(self, reviewer: str, *, codes: Sequence[str] | None = None,
                        documents: Sequence[str] | None = None, case: str | None = None, order: str = "document",
                        every_segment: bool = False, known_total: int | None = None) -> PassageSession:
        """Passage review: one segment at a time with every proposal on it (see :mod:`qualkit.review.passage`);
        ``known_total``: the filter's segments with a proposal, when another session has counted them."""
        from qualkit.review.passage import PassageSession

        codebook_id, codebook = self.codebook()
        return PassageSession(self.store, codebook_id=codebook_id, codebook=codebook, reviewer=reviewer,
                              where=self._queue_filter(codes=codes, documents=documents, case=case), order=order,
                              interviewers=self._interviewers(), every_segment=every_segment, known_total=known_total)

    def export_review(self, path: str | os.PathLike, reviewer: str, *, codes: Sequence[str] | None = None,
                      documents: Sequence[str] | None = None, case: str | None = None,
                      passages: bool = False, pseudonymise: Pseudonymisation | None = None) -> int:
        """A sheet of the reviewer's pending suggestions to fill in (returns how many rows), or with
        ``passages`` one segment at a time with every proposal, rows to add codes and a fully_coded
        column (returns how many segments). With ``pseudonymise`` names are replaced and the file checked."""
        from qualkit.review.sheet import export_passage_sheet, export_sheet

        _, codebook = self.codebook()
        where = self._queue_filter(codes=codes, documents=documents, case=case)
        if passages:
            return export_passage_sheet(self.store, path, codebook=codebook, reviewer=reviewer, where=where,
                                        interviewers=self._interviewers(), pseudonymise=pseudonymise)
        return export_sheet(self.store, path, codebook=codebook, project_id=self.project_id, reviewer=reviewer,
                            where=where, pseudonymise=pseudonymise)

    def import_review(self, path: str | os.PathLike, *, reviewer: str | None = None,
                      covers: str = "documents") -> SheetImportReport:
        """Record a review sheet's or a portable decisions file's decisions; a portable file covers
        the documents (or only the segments, or nothing) its rows name, per reviewer. A sheet
        exported with pseudonymised document names reads back when the key is at hand."""
        from qualkit.review.sheet import import_sheet

        codebook_id, codebook = self.codebook()
        return import_sheet(self.store, path, codebook_id=codebook_id, codebook=codebook,
                            project_id=self.project_id, reviewer=reviewer, covers=covers,
                            view=self._sheet_view())

    def mark_coded(self, reviewer: str, *, document: str, segment: int | None = None, undo: bool = False) -> None:
        """Record that ``reviewer`` coded a whole document (or one segment of it) fully: a code they
        did not apply there does not apply. ``undo`` withdraws the mark (appended, like a decision)."""
        from qualkit.review.actions import check_reviewer
        from qualkit.review.reviewers import directory

        name = directory(self.store).current(check_reviewer(reviewer))
        document_id = self.document_id(document)
        segment_id = None
        if segment is not None:
            segment_id = self.store.documents.segment_id_at(document_id, segment)
            if segment_id is None:
                raise NotFoundError(f"document {document!r} has no segment {segment}; `qualkit segments` lists them")
        self.store.coverage.mark(name, [(document_id, segment_id)], via="mark-coded", covered=not undo)

    def reviewers(self) -> list[ReviewerInfo]:
        """Every reviewer by their current name: their decisions, coverage, old names, retirement."""
        from qualkit.review.reviewers import directory, known

        names = directory(self.store)
        decisions: dict[str, int] = {}
        for decision in self.store.decisions.log():
            current = names.current(decision.reviewer)
            decisions[current] = decisions.get(current, 0) + (decision.verdict.value != "undo")
        coverage: dict[str, int] = {}
        for mark in self.store.coverage.log():
            current = names.current(mark.reviewer)
            coverage[current] = coverage.get(current, 0) + 1
        return [
            ReviewerInfo(name=name, decisions=decisions.get(name, 0), coverage_marks=coverage.get(name, 0),
                         other_names=names.names_of(name)[1:], retired=name in names.retired)
            for name in known(self.store, names)
        ]

    def rename_reviewer(self, old: str, new: str, *, note: str | None = None) -> None:
        """Rename a reviewer (onto an existing reviewer's name: merge them); decisions keep the name
        they were made under, and every read follows the reviewer log."""
        from qualkit.review.reviewers import rename

        rename(self.store, old, new, note=note)

    def retire_reviewer(self, name: str, *, note: str | None = None, reinstate: bool = False) -> None:
        """Leave a reviewer out of agreement and the consensus (or bring them back)."""
        from qualkit.review.reviewers import retire

        retire(self.store, name, note=note, reinstate=reinstate)

    def _check_reviewers(self, reviewers: Sequence[str] | None) -> None:
        if not reviewers:
            return
        from qualkit.review.reviewers import directory, known

        names = directory(self.store)
        everyone = known(self.store, names)
        for name in reviewers:
            if names.current(" ".join(name.split())) not in everyone:
                raise NotFoundError(
                    f"no reviewer {name!r} has decided anything{did_you_mean(name, everyone)}; "
                    f"reviewers: {', '.join(everyone) or 'none'}"
                )

    def review_status(self) -> list[dict[str, Any]]:
        """Per reviewer (and the consensus under 'any') and code: pending, accepted, rejected, disputed."""
        from qualkit.review.actions import states
        from qualkit.review.decisions import DEFAULT_RULE

        found = states(self.store)
        reviewers = self.store.decisions.reviewers()
        table: dict[tuple[str, str], dict[str, int]] = {}
        for unit in self.store.suggestions.units():
            state = found.get(unit.suggestion_id, NO_DECISIONS)
            for who in [*reviewers, None]:
                status = state.of(who) if who is not None else DEFAULT_RULE.status(state)
                key = (who or "(consensus: any)", unit.code)
                counts = table.setdefault(key, {"pending": 0, "accepted": 0, "rejected": 0, "disputed": 0})
                counts[status.value] += 1
        return [{"reviewer": who, "code": code, **counts} for (who, code), counts in sorted(table.items())]

    def unfound_codings(self, *, consensus: str | None = None,
                        reviewers: Sequence[str] | None = None) -> list[Unfound | None]:
        """Per codable code, how many codings are probably still unfound among the segments nobody
        judged (a 90% interval), from how often reviewed segments at each score were codings."""
        from qualkit.review.unfound import unfound_codings

        self._check_reviewers(reviewers)
        _, codebook = self.codebook()
        return unfound_codings(self.store, codebook, consensus=self._consensus(consensus, reviewers),
                               interviewers=self._interviewers())

    # -- analyses and reports --------------------------------------------------------------

    def codings(self, *, consensus: str | None = None, reviewers: Sequence[str] | None = None,
                include_pending: bool = False, where: Mapping[str, str] | None = None) -> pd.DataFrame:
        """One row per coded segment × code, with case and document attributes as columns."""
        from qualkit.analysis import codings

        self._check_reviewers(reviewers)
        _, codebook = self.codebook()
        return codings(self.store, codebook, consensus=self._consensus(consensus, reviewers),
                       include_pending=include_pending, where=self.check_where(where))

    def export_codings(self, path: str | os.PathLike, *, pseudonymise: Pseudonymisation | None = None,
                       **options: Any) -> pd.DataFrame:
        """Write :meth:`codings` to .csv/.xlsx/.json/.parquet; returns what was written. With
        ``pseudonymise`` names are replaced, offsets and evidence are those of the pseudonymised
        documents, and the file is checked."""
        from qualkit.export.tables import write_table
        from qualkit.pseudonymise.sharing import staged_outputs

        frame = self.codings(**options)
        if pseudonymise is not None:
            frame = pseudonymise.codings(frame)
        table = frame.assign(evidence=[  # the matched words' offsets, as one cell
            "; ".join(f"{start}-{end}" for start, end in spans) for spans in frame["evidence"]
        ])
        with staged_outputs(pseudonymise) as stage:
            write_table(table.to_dict("records"), stage(path), sheet="codings", columns=list(table.columns))
        return frame

    def analyse(
        self, name: str, *, by: str | None = None, window: int | None = None, diagram: str | os.PathLike | None = None,
        plot: str | os.PathLike | None = None, consensus: str | None = None, reviewers: Sequence[str] | None = None,
        include_pending: bool = False, where: Mapping[str, str] | None = None,
        pseudonymise: Pseudonymisation | None = None,
    ) -> Analysis:
        """One of :data:`ANALYSES` over the codings; ``diagram`` also draws the theory of change,
        ``plot`` the analysis's own figure (see :func:`qualkit.export.figures.plot`). With
        ``pseudonymise`` the codings are pseudonymised first, so the table (case names, quotes) and
        the figures drawn from it name nobody in the key."""
        from qualkit import analysis as A

        if name not in ANALYSES:
            raise AnalysisError(f"unknown analysis {name!r}; use one of {', '.join(ANALYSES)}")
        _, codebook = self.codebook()
        frame = self.codings(consensus=consensus, reviewers=reviewers, include_pending=include_pending, where=where)
        if pseudonymise is not None:
            frame, codebook = pseudonymise.codings(frame), pseudonymise.codebook(codebook)
        if frame.empty and where:
            everywhere = len(self.codings(consensus=consensus, reviewers=reviewers, include_pending=include_pending))
            if everywhere:
                condition = " and ".join(f"{k}={v}" for k, v in self.check_where(where).items())
                raise AnalysisError(f"no {'' if include_pending else 'accepted '}codings with {condition} "
                                    f"({everywhere} without --where)")
        pending = int((frame["status"] == "pending").sum()) if include_pending else 0
        unevidenced: tuple[str, ...] = ()
        if name == "frequency":
            table = A.frequency(frame, codebook, by=by)
        elif name == "cooccurrence":
            table = A.cooccurrence(frame, window=window or 0)
        elif name == "framework":
            counts, quotes = A.framework(frame, codebook)
            table = counts.reset_index(names="case")
            for theme in counts.columns:
                table[f"{theme} quotes"] = [" | ".join(quotes.get((case, theme), ())) for case in counts.index]
        elif name == "compare":
            table = A.compare(frame, codebook, by=by or "kind")
        else:
            evidence, missing = A.toc_evidence(frame, codebook, window=1 if window is None else window, by=by)
            unevidenced = tuple(missing)
            if diagram:
                A.toc_diagram(codebook, evidence, frame, diagram, fmt=os.fspath(diagram).rsplit(".", 1)[-1].lower())
            table = evidence.assign(quotes=[" | ".join(f"{c}: {q}" for c, _, q in qs) for qs in evidence["quotes"]])
        if plot:
            from qualkit.export.figures import plot as draw

            draw(name, frame, codebook, path=plot, by=by, window=window)
        return Analysis(name=name, table=table, pending=pending, unevidenced=unevidenced)

    def judgements(self) -> Judgements:
        """Every reviewer's judgements of segment × code units (see :mod:`qualkit.review.coverage`)."""
        from qualkit.review.coverage import project_judgements

        _, codebook = self.codebook()
        return project_judgements(self.store, codes=[code.key for code in codebook.codable],
                                  interviewers=self._interviewers())

    def agreement(self, *, reviewers: Sequence[str] | None = None, codes: Sequence[str] | None = None,
                  by: str | None = None, machine: bool = False) -> AgreementResult:
        """Agreement between ``reviewers`` (default: every reviewer not retired) per code and overall,
        over the segment × code units each pair both judged; with ``by`` (document or case) also per
        group; with ``machine`` the rules and the model join as coders on the units people judged."""
        from qualkit.agreement import agreement
        from qualkit.codebook import is_under
        from qualkit.errors import AnalysisError
        from qualkit.review.coverage import machine_records
        from qualkit.review.reviewers import directory

        if by not in (None, "document", "case"):
            raise AnalysisError(f"--by {by!r}: use document or case")
        wanted = self._check_codes(codes)
        names = directory(self.store)
        # reviewers' own judgements: an adjudicator settling disputes is not another coder
        judged = self._reviewers_judgements() or self.judgements()
        if reviewers:
            self._check_reviewers(reviewers)
            coders = list(dict.fromkeys(names.current(" ".join(name.split())) for name in reviewers))
        else:
            coders = [name for name in judged.reviewers if name not in names.retired]
        records = [r for r in judged.records() if r[2] in coders and (not wanted or is_under(r[1], wanted))]
        if machine:
            proposed = {
                source.value: {(unit.segment_id, unit.code) for unit in self.store.suggestions.units(source)}
                for source in (Source.RULE, Source.MODEL)
            }
            mine = Judgements({c: judged.by_reviewer.get(c, {}) for c in coders}, judged.documents, judged.covered)
            records += [r for r in machine_records(mine, proposed) if not wanted or is_under(r[1], wanted)]
            coders += [source for source, found in proposed.items() if found]
        report = agreement(records, coders=coders)
        groups: dict[str, AgreementReport] = {}
        if by:
            infos = self.store.documents.infos()
            group_of = {d.id: d.name if by == "document" else (d.case or "(no case)") for d in infos}
            for value in sorted(set(group_of.values())):
                mine_records = [r for r in records if group_of.get(r[0][1]) == value]
                if mine_records:
                    groups[value] = agreement(mine_records, coders=coders)
        names_of = {d.id: d.name for d in self.store.documents.infos()}
        where = [(cast(tuple[int, int], d.unit)[0], d) for d in report.disagreements]  # units are (segment, document)
        segments = self.store.documents.segments_by_id([segment_id for segment_id, _ in where])
        listed = tuple(
            Disagreement(document=names_of[segments[segment_id].document_id], segment=segments[segment_id].ordinal,
                         code=d.code, values=dict(d.values), text=segments[segment_id].text)
            for segment_id, d in where
        )
        return AgreementResult(report=report, by=by, groups=groups, disagreements=listed)

    def report(self, path: str | os.PathLike, *, title: str | None = None, codes: Sequence[str] | None = None,
               by: str | None = None, consensus: str | None = None, reviewers: Sequence[str] | None = None,
               where: Mapping[str, str] | None = None, include_pending: bool = False, quotes: int | None = None,
               figures: bool = True, listing: str = "segments", companion: str | os.PathLike | None = None,
               pseudonymise: Pseudonymisation | None = None) -> ReportData:
        """Write the Word report; returns what it shows. ``quotes`` per code in the body (default 3);
        ``listing`` where every coded segment is listed (segments, codes or none, see
        :func:`qualkit.export.word.write_report`); ``companion`` a table file of every coding. With
        ``pseudonymise`` (:meth:`pseudonymisation`) the report and companion are pseudonymised and
        checked, and written only when no name of the key is in either."""
        from qualkit.errors import ExportError
        from qualkit.export.word import check_report_path, write_report
        from qualkit.pseudonymise.sharing import staged_outputs
        from qualkit.report import CODE_QUOTES, build_report_data, write_report_listing

        check_report_path(path)  # a wrong suffix or missing folder is refused before the work is done
        if companion is not None and not Path(companion).parent.exists():
            raise ExportError(f"{companion}: folder {Path(companion).parent} does not exist; create it or choose "
                              "another path")
        self._check_reviewers(reviewers)
        _, codebook = self.codebook()
        agreement = self.agreement(reviewers=reviewers, codes=codes).report
        data = build_report_data(self.store, codebook, title=title, codes=self._check_codes(codes), by=by,
                                 consensus=self._consensus(consensus, reviewers), where=where,
                                 include_pending=include_pending, quotes=CODE_QUOTES if quotes is None else quotes,
                                 figures=figures, agreement=agreement.pairs if len(agreement.coders) >= 2 else None,
                                 pseudonymise=pseudonymise)
        with staged_outputs(pseudonymise) as stage:
            write_report(data, stage(path), listing=listing)
            if companion is not None:
                write_report_listing(data, stage(companion))
        return data

    # -- REFI-QDA ----------------------------------------------------------------------------

    def export_qdpx(self, path: str | os.PathLike, *, consensus: str | None = None,
                    reviewers: Sequence[str] | None = None, pseudonymise: Pseudonymisation | None = None
                    ) -> QdpxWritten:
        """Write a REFI-QDA project; returns what it holds of the codings. With ``pseudonymise``
        sources, cases and notes are pseudonymised, every coding's position mapped to the same
        words, and the file checked."""
        from qualkit.interchange import export_qdpx

        self._check_reviewers(reviewers)
        _, codebook = self.codebook()
        return export_qdpx(self.store, codebook, path, name=self.path.stem,
                           consensus=self._consensus(consensus, reviewers), judged=self.judgements(),
                           pseudonymise=pseudonymise)

    def export_qdc(self, path: str | os.PathLike, *, pseudonymise: Pseudonymisation | None = None) -> int:
        """Write the current codebook as a REFI-QDA codebook; returns the number of codes."""
        from qualkit.interchange import export_qdc

        _, codebook = self.codebook()
        return export_qdc(codebook, path, pseudonymise=pseudonymise)

    def import_qdpx(self, path: str | os.PathLike) -> QdpxImportReport:
        from qualkit.interchange import import_qdpx

        return import_qdpx(self.store, path)

    # -- accounts and the web server (`qualkit serve`, issue #21) -----------------------------

    def add_user(self, name: str, *, role: Role | str = "reviewer") -> Invitation:
        """Invite someone to the web server: an account with a one-time password (shown once)."""
        from qualkit.accounts import add_account

        return add_account(self.store, name, role=_role(role))

    def users(self) -> list[Account]:
        return self.store.accounts.all()

    def remove_user(self, name: str) -> Account:
        """Delete an account and sign it out everywhere; its decisions stay."""
        from qualkit.accounts import remove_account

        return remove_account(self.store, name)

    def reset_password(self, name: str) -> Invitation:
        """A new one-time password for an account (its sessions are closed)."""
        from qualkit.accounts import reset_password

        return reset_password(self.store, name)

    def sign_in(self, name: str, password: str, *, client: str) -> Account:
        """The account for this name and password; SignInError when wrong or throttled."""
        from qualkit.accounts import sign_in

        return sign_in(self.store, name, password, client=client)

    def change_password(self, account: Account, *, current: str, new: str, keep_session: str | None = None) -> Account:
        from qualkit.accounts import change_password

        return change_password(self.store, account.id, current=current, new=new, keep_session=keep_session)

    def open_web_session(self, account: Account) -> str:
        """A new session token for a signed-in account."""
        from qualkit.accounts import open_session

        return open_session(self.store, account)

    def web_session(self, token: str) -> WebSession | None:
        """The open session of this token (None when signed out, expired or its account removed)."""
        from qualkit.accounts import session

        return session(self.store, token)

    def close_web_session(self, token: str) -> None:
        from qualkit.accounts import close_session

        close_session(self.store, token)

    def signing_secret(self) -> str:
        """The project's secret for signing session cookies and CSRF tokens."""
        from qualkit.accounts import signing_secret

        return signing_secret(self.store)

    def rotate_signing_secret(self) -> int:
        """Replace the signing secret; everyone is signed out. Returns how many sessions were closed."""
        from qualkit.accounts import rotate_signing_secret

        return rotate_signing_secret(self.store)

    def disputes(self, *, codes: Sequence[str] | None = None, documents: Sequence[str] | None = None,
                 case: str | None = None, settled: bool | None = None) -> list[Dispute]:
        """Suggestions reviewers disagree on, with every verdict and note (for adjudicators only): someone
        accepted and someone rejected, or someone accepted and another coded the passage fully without it."""
        from qualkit.review.adjudication import disputes

        return disputes(self.store, self._queue_filter(codes=codes, documents=documents, case=case), settled=settled,
                        judged=self._reviewers_judgements())

    def adjudicate(self, adjudicator: str, suggestion_id: int, *, accept: bool,
                   note: str | None = None) -> DecideReport:
        """An adjudicator's decision on a disputed suggestion, recorded as an adjudication."""
        from qualkit.review.adjudication import adjudicate

        segment = self.store.suggestions.get(suggestion_id)
        judged = self._reviewers_judgements([segment.segment_id]) if segment is not None else None
        return adjudicate(self.store, adjudicator, suggestion_id, accept=accept, note=note, judged=judged)

    def _reviewers_judgements(self, segment_ids: Sequence[int] | None = None) -> Judgements | None:
        """The reviewers' own judgements (adjudications left out), of these segments or all; None
        without a codebook (then only explicit accept/reject disagreements can be found)."""
        from qualkit.review.coverage import project_judgements

        if self.store.codebooks.latest_id() is None:
            return None
        _, codebook = self.codebook()
        return project_judgements(self.store, codes=[code.key for code in codebook.codable],
                                  interviewers=self._interviewers(), segment_ids=segment_ids, adjudications=False)


    # -- issue #20: codebooks that evolve, memos, search and queries, a tidy project ---------------------------
    # (a self-contained section: the methods above only gained --where checks, status/source filters,
    # stored version numbers and models that follow renamed codes)

    def code_changes(self, *, codebook_id: int | None = None) -> list[CodeChange]:
        """The codebook's history of code changes (those that made one version), oldest first."""
        return self.store.code_changes.log(codebook_id=codebook_id)

    def rename_code(self, old: str, new: str) -> ChangeReport:
        """Rename a code (and the codes keyed under it) in a new codebook version; its suggestions,
        decisions, memos and models follow."""
        from qualkit.codechanges import plan_rename

        self._check_codes([old])
        return self._change_codes(f"codebook rename {old} {new}", lambda codebook: plan_rename(codebook, old, new))

    def merge_codes(self, codes: Sequence[str], into: str) -> ChangeReport:
        """Fold ``codes`` into ``into`` (an existing code) in a new codebook version; their work follows,
        suggestions that become the same are merged and every decision kept."""
        from qualkit.codechanges import plan_merge

        self._check_codes([*codes, into])
        return self._change_codes(f"codebook merge {' '.join(codes)} into {into}",
                                  lambda codebook: plan_merge(codebook, codes, into))

    def move_code(self, code: str, *, under: str | None) -> ChangeReport:
        """Put a code (and what is under it) under another parent (None: the top level) in a new codebook
        version; its key becomes PARENT.LAST and its work follows."""
        from qualkit.codechanges import plan_move

        self._check_codes([code, *([under] if under else [])])
        where = f"--under {under}" if under else "--top"
        return self._change_codes(f"codebook move {code} {where}", lambda codebook: plan_move(codebook, code, under))

    def _change_codes(self, what: str,
                      plan: Callable[[Codebook], tuple[dict[str, Any], list[PlannedChange]]]) -> ChangeReport:
        from dataclasses import replace

        from qualkit.codechanges import apply_changes, edited_codebook, mentions

        _, codebook = self.codebook()
        data, changes = plan(codebook)
        version = (self.store.codebooks.latest_id() or 0) + 1
        new = edited_codebook(data, version=version, path=f"qualkit {what}", what=what)
        gone = [old for change in changes for old in change.old_keys if old not in new.keys]
        report = apply_changes(self.store, new, changes, via="command", warnings=mentions(new, gone))
        return replace(report, codebook=replace(report.codebook, version=report.codebook_id))

    # memos

    def add_memo(self, *, text: str | None = None, file: str | os.PathLike | None = None, author: str,
                 title: str | None = None, project: bool = False, document: str | None = None,
                 case: str | None = None, code: str | None = None, segment: int | None = None) -> Memo:
        """Write a memo on the project, a document, a case, a code, or a segment (``document`` and
        ``segment``, its number); exactly one of them."""
        from qualkit.memos import memo_author, memo_text, memo_title

        body, name, heading = memo_text(text=text, file=file), memo_author(author), memo_title(title)
        about, ids = self._memo_target(project=project, document=document, case=case, code=code, segment=segment)
        memo_id = self.store.memos.add(about=about, author=name, text=body, title=heading, **ids)
        found = self.store.memos.get(memo_id)
        assert found is not None
        return found

    def _memo_target(self, *, project: bool, document: str | None, case: str | None, code: str | None,
                     segment: int | None) -> tuple[MemoAbout, dict[str, Any]]:
        from qualkit.errors import MemoError

        chosen = [name for name, given in (("--project", project), ("--document", document and segment is None),
                                           ("--case", case), ("--code", code), ("--segment", segment is not None))
                  if given]
        if len(chosen) != 1:
            raise MemoError(
                "say what the memo is about, once: --project, --document NAME, --case NAME, --code KEY, or "
                f"--document NAME --segment N{f' (got {chr(32).join(chosen)})' if chosen else ''}"
            )
        if project:
            return MemoAbout.PROJECT, {}
        if segment is not None:
            if document is None:
                raise MemoError("--segment N needs --document NAME: segments are numbered within their document")
            segment_id = self.store.documents.segment_id_at(self.document_id(document), segment)
            if segment_id is None:
                raise NotFoundError(f"document {document!r} has no segment {segment}; `qualkit segments` lists them")
            return MemoAbout.SEGMENT, {"segment_id": segment_id}
        if document is not None:
            return MemoAbout.DOCUMENT, {"document_id": self.document_id(document)}
        if case is not None:
            return MemoAbout.CASE, {"case_id": self._case_id(case)}
        assert code is not None
        self._check_codes([code])
        return MemoAbout.CODE, {"code": code}

    def _case_id(self, name: str) -> int:
        case_id = self.store.documents.case_id_of(name)
        if case_id is None:
            names = [case.name for case in self.store.documents.cases()]
            raise NotFoundError(f"no case named {name!r}{did_you_mean(name, names)}; `qualkit cases` lists them")
        return case_id

    def edit_memo(self, memo_id: int, *, text: str | None = None, file: str | os.PathLike | None = None,
                  author: str) -> Memo:
        """Give a memo a new text; the old one is kept as a revision."""
        from qualkit.memos import memo_author, memo_text

        memo = self.memo(memo_id)
        body, name = memo_text(text=text, file=file), memo_author(author)
        if body != memo.text:
            self.store.memos.revise(memo_id, text=body, author=name)
        return self.memo(memo_id)

    def memo(self, memo_id: int) -> Memo:
        memo = self.store.memos.get(memo_id)
        if memo is None:
            ids = self.store.memos.ids()
            raise NotFoundError(f"no memo {memo_id}; memos: {', '.join(map(str, ids[-20:])) or 'none yet'} "
                                "(`qualkit memo list`)")
        return memo

    def memo_revisions(self, memo_id: int) -> list[MemoRevision]:
        """Every text a memo has had, oldest first."""
        self.memo(memo_id)
        return self.store.memos.revisions(memo_id)

    def memos(self, *, about: Sequence[MemoAbout | str] | None = None, documents: Sequence[str] | None = None,
              cases: Sequence[str] | None = None, codes: Sequence[str] | None = None) -> list[Memo]:
        """Memos, oldest first: of these kinds; attached to these documents (or their segments), cases or
        codes (a theme: and the codes under it)."""
        kinds = [_choice(MemoAbout, value, "memo kind") for value in about or ()]
        keys = None
        if codes:
            self._check_codes(codes)
            _, codebook = self.codebook()
            from qualkit.codebook import is_under

            keys = [key for key in codebook.keys if is_under(key, codes)]
        return self.store.memos.find(
            about=kinds or None, document_ids=self._document_ids(documents),
            case_ids=[self._case_id(name) for name in cases] if cases else None, codes=keys,
        )

    def memo_index(self) -> MemoIndex:
        """Every memo by what it is about, for the Word report (per code and per case) and REFI-QDA export."""
        from qualkit.memos import memo_index

        return memo_index(self.store)

    def memos_about(self, *, segment_id: int | None = None, document: str | None = None, case: str | None = None,
                    code: str | None = None) -> tuple[Memo, ...]:
        """The memos a reviewer should see with a review item: on its segment, document, case, and its code
        and the themes above it. (Call with a ReviewItem's segment_id, document, case and code.)"""
        from qualkit.memos import memos_about, with_themes

        codebook = self.codebook()[1] if self.store.codebooks.latest_id() is not None else None
        codes = with_themes(codebook, [code]) if code is not None else []
        return memos_about(
            self.store, segment_id=segment_id,
            document_id=self.store.documents.id_of(document) if document else None,
            case_id=self.store.documents.case_id_of(case) if case else None, codes=codes,
        )

    # search and queries

    def check_where(self, where: Mapping[str, str] | None) -> dict[str, str]:
        """``--where`` as the project spells it (a value matching in all but case is taken); unknown names
        and values refused with the ones there are."""
        if not where:
            return {}
        from qualkit.attributes import resolve_where

        return resolve_where(where, self._attribute_values())

    def check_attribute(self, name: str) -> str:
        """An attribute name (for --by) as the project spells it; refused with the names there are."""
        from qualkit.attributes import resolve_name

        return resolve_name(name, self._attribute_values())

    def _attribute_values(self) -> dict[str, list[str]]:
        from qualkit.attributes import known_values

        return known_values(attributes=self.store.documents.attribute_values(), documents=self.store.documents.infos(),
                            cases=self.store.documents.cases())

    def search(self, query: str, *, codes: Sequence[str] | None = None, statuses: Sequence[Status | str] | None = None,
               where: Mapping[str, str] | None = None, documents: Sequence[str] | None = None,
               consensus: str | None = None, reviewers: Sequence[str] | None = None,
               limit: int | None = None) -> list[SearchHit]:
        """Segments whose text matches ``query`` (see :mod:`qualkit.search`), in document order; only those
        with a suggestion of ``codes`` whose status (under ``consensus``) is one of ``statuses``; only
        documents whose case or own attributes match ``where``."""
        from qualkit.attributes import document_attributes, matching_documents
        from qualkit.search import coded_segments, parse_query, search

        parsed = parse_query(query)
        self._check_reviewers(reviewers)
        wanted = self._check_codes(codes)
        kept = [_choice(Status, value, "status") for value in statuses or ()]
        document_ids: set[int] | None = set(self._document_ids(documents) or ()) or None
        resolved = self.check_where(where)
        if resolved:
            attributes = document_attributes(self.store.documents.infos(), self.store.documents.cases(),
                                             self.store.documents.attributes())
            matching = matching_documents(resolved, attributes)
            document_ids = matching if document_ids is None else document_ids & matching
        segment_ids = None
        if wanted or kept:
            segment_ids = coded_segments(self.store, codes=wanted, statuses=kept or None,
                                         consensus=self._consensus(consensus, reviewers))
        return search(self.store, parsed, document_ids=document_ids, segment_ids=segment_ids, limit=limit)

    def code_search_hits(self, query: str, code: str, *, include_interviewer: bool = False,
                         **filters: Any) -> tuple[list[SearchHit], CodeNewReport]:
        """Search, and turn the hits into suggestions of ``code`` (source 'search') for review."""
        from qualkit.search import parse_query, suggest_hits

        _, codebook = self.codebook()
        codable = [c.key for c in codebook.codable]
        if code not in codable:
            raise NotFoundError(
                f"no codable code {code!r} in codebook {codebook.name!r}{did_you_mean(code, codable)}; "
                "`qualkit codebook show` lists them"
            )
        hits = self.search(query, **filters)
        codebook_id, _ = self.codebook()
        report = suggest_hits(self.store, hits, code=code, codebook_id=codebook_id, query=parse_query(query),
                              interviewers=self._interviewers(), include_interviewer=include_interviewer)
        return hits, report

    def query_codings(self, code: str, *, all_of: Sequence[str] = (), none_of: Sequence[str] = (), within: int = 0,
                      consensus: str | None = None, reviewers: Sequence[str] | None = None,
                      include_pending: bool = False, where: Mapping[str, str] | None = None) -> list[QueryHit]:
        """Codings of ``code`` with codings of every ``all_of`` code and none of ``none_of`` within ``within``
        segments (see :mod:`qualkit.queries`), among the codings ``consensus`` counts, in documents whose
        attributes match ``where``. Exports and the report can take the hits as they are."""
        from qualkit.analysis import coding_records
        from qualkit.attributes import matching_documents
        from qualkit.queries import CodingQuery, run_query

        self._check_codes([code, *all_of, *none_of])
        self._check_reviewers(reviewers)
        spec = CodingQuery(code=code, all_of=tuple(all_of), none_of=tuple(none_of), within=within)
        _, codebook = self.codebook()
        records = coding_records(self.store, codebook, consensus=self._consensus(consensus, reviewers),
                                 include_pending=include_pending)
        resolved = self.check_where(where)
        if resolved:
            from qualkit.attributes import document_attributes

            attributes = document_attributes(self.store.documents.infos(), self.store.documents.cases(),
                                             self.store.documents.attributes())
            names = {d.id: d.name for d in self.store.documents.infos()}
            kept = {names[i] for i in matching_documents(resolved, attributes)}
            records = [coding for coding in records if coding.document in kept]
        return run_query(records, spec)

    # a tidy project

    def models(self) -> list[ModelUsage]:
        """Every stored model with its size, codebook version, training size and what names it."""
        from qualkit.tidy import model_usage

        return model_usage(self.store)

    def delete_models(self, model_ids: Sequence[int], *, keep_record: bool = False) -> TidyReport:
        """Delete models: outright when nothing names them; with ``keep_record``, a named model's weights
        go and its record stays (see :mod:`qualkit.tidy`); refused otherwise."""
        from qualkit.store import utc_timestamp
        from qualkit.tidy import delete_models

        return delete_models(self.store, model_ids, keep_record=keep_record, deleted_at=utc_timestamp())

    def keep_models(self, keep: int, *, keep_record: bool = False) -> TidyReport:
        """Delete every model but the newest ``keep`` (as :meth:`delete_models` does)."""
        from qualkit.store import utc_timestamp
        from qualkit.tidy import keep_latest

        return keep_latest(self.store, keep, keep_record=keep_record, deleted_at=utc_timestamp())

    def backup(self, path: str | os.PathLike, *, overwrite: bool = False) -> int:
        """Copy the project with SQLite's online backup (safe while it is in use) and check the copy;
        returns its size in bytes."""
        return self.store.maintenance.backup(path, overwrite=overwrite)

    def vacuum(self) -> tuple[int, int]:
        """Give free pages back to the disk; (bytes before, bytes after)."""
        return self.store.maintenance.vacuum()

    def size(self, *, measure: bool = True) -> ProjectSize:
        """The project file's size by part (measured with SQLite's dbstat when available, else estimated)."""
        return self.store.maintenance.size(use_dbstat=measure)

    # -- corpus management: removing and replacing documents, interviewers (issue #18) -----------------------

    def remove_documents(self, names: Sequence[str], *, force: bool = False) -> tuple[RemovedDocument, ...]:
        """Take documents out of the corpus, all or none (see :mod:`qualkit.removal`): one people
        worked on (decisions, coverage marks, memos) only with ``force``, and then kept, marked
        removed, its decisions orphaned in the log; others are deleted."""
        from qualkit.removal import remove_documents

        if not names:
            raise NotFoundError("name the documents to remove (`qualkit documents` lists them)")
        return remove_documents(self.store, [self.document_id(name) for name in dict.fromkeys(names)], force=force)

    def removed_documents(self) -> list[RemovedDocument]:
        """Documents removed (or replaced) but kept for the work about them, with that work."""
        return self.store.documents.removed()

    def interviewers(self, *, documents: Sequence[str] | None = None) -> InterviewerSetup:
        """Who counts as the interviewer (the project's names and those documents set in the cases
        file's ``interviewer`` column), and what that makes of the transcripts' speakers (of these
        documents): see :mod:`qualkit.interviewers`."""
        from qualkit.interviewers import setup

        ids = self._document_ids(documents)
        return setup(
            self.interviewer_speakers(), default=self.interviewer_speakers() == DEFAULT_INTERVIEWERS,
            interviewers=self._interviewers(), turns=self.store.documents.speaker_turns(ids),
            document_names={d.id: d.name for d in self.store.documents.infos()}, own_names=self._own_interviewers(),
        )

    def change_interviewers(self, how: str, names: Sequence[str] = ()) -> InterviewerSetup:
        """``how``: 'set' (these names replace the list), 'add', 'remove' (names on the list), 'reset'
        (the built-in names) or 'clear' (none: only documents that name their own have interviewers)."""
        from qualkit.interviewers import fold

        names = [" ".join(name.split()) for name in names if name.strip()]
        current = list(self.interviewer_speakers())
        known = {fold(name) for name in current}
        if how in ("set", "add", "remove") and not names:
            raise NotFoundError(f"`interviewers {how}` needs at least one name")
        if how == "set":
            chosen = list(dict.fromkeys(names))
        elif how == "add":
            chosen = current + [name for name in dict.fromkeys(names) if fold(name) not in known]
        elif how == "remove":
            missing = [name for name in names if fold(name) not in known]
            if missing:
                raise NotFoundError(f"{missing[0]!r} is not an interviewer name{did_you_mean(missing[0], current)}; "
                                    f"the names are: {', '.join(current) or '(none)'}")
            chosen = [name for name in current if fold(name) not in {fold(n) for n in names}]
        elif how == "reset":
            chosen = list(DEFAULT_INTERVIEWERS)
        elif how == "clear":
            chosen = []
        else:
            raise NotFoundError(f"unknown change {how!r}; use set, add, remove, reset or clear")
        self.set_interviewer_speakers(chosen)
        return self.interviewers()

    def _own_interviewers(self) -> dict[int, tuple[str, ...]]:
        """document id -> the interviewers it names (its cases-file ``interviewer`` column, or its case's)."""
        from qualkit.interviewers import ATTRIBUTES, split_names

        cells = self.store.documents.attribute_of_each(ATTRIBUTES)
        return {document: split_names(cell) for document, cell in cells.items()}

    # -- reliability: decisions under concurrency (issue #17) ----------------------------------

    def verdict_in_force(self, reviewer: str, suggestion_id: int) -> Decision | None:
        """What ``reviewer`` says of a suggestion now: their decision in force, or None (pending)."""
        from qualkit.review.actions import verdict_in_force

        return verdict_in_force(self.store, reviewer, suggestion_id)

    # -- pseudonymisation (issue #22) ---------------------------------------------------------------------------
    # The key is kept in the project, or in a key file the researcher keeps apart (``key_file``,
    # or $QUALKIT_PSEUDONYM_KEY). Exports take ``pseudonymise=project.pseudonymisation()``.

    def pseudonym_key(self, *, key_file: str | os.PathLike | None = None) -> tuple[PseudonymKey, str]:
        """The pseudonym key and where it is kept ("the project" or the key file's path)."""
        from qualkit.pseudonymise.keeping import load_project_key

        return load_project_key(self.store, key_file)

    def build_pseudonym_key(
        self, *, key_file: str | os.PathLike | None = None, cases_file: str | os.PathLike | None = None,
        names_file: str | os.PathLike | None = None, names_kind: Kind | str = "person", seed: str | None = None,
        in_order: bool = False,
    ) -> KeyUpdate:
        """Add what the project knows (case names, identifying case and document attributes such as
        interviewee, school or town, speaker labels), ``cases_file``'s and ``names_file``'s names to
        the key; entries already there keep their pseudonyms (see
        :func:`qualkit.pseudonymise.keeping.build_project_key`)."""
        from qualkit.pseudonymise import Kind, read_names_file
        from qualkit.pseudonymise.keeping import build_project_key

        kind = _choice(Kind, names_kind, "kind")
        names = read_names_file(names_file, kind=kind) if names_file is not None else []
        return build_project_key(self.store, key_file=key_file, cases_file=cases_file, names=names, seed=seed,
                                 in_order=in_order)

    def add_pseudonym(self, original: str, pseudonym: str | None = None, *, kind: Kind | str | None = None,
                      aliases: Sequence[str] = (), case_sensitive: bool | None = None,
                      key_file: str | os.PathLike | None = None) -> KeyUpdate:
        """Add a name to the key (the next default pseudonym of its kind unless ``pseudonym``), or
        change the entry of a name already in it."""
        from qualkit.pseudonymise import Kind
        from qualkit.pseudonymise.keeping import add_entry

        chosen = None if kind is None else _choice(Kind, kind, "kind")
        return add_entry(self.store, original, pseudonym, kind=chosen, aliases=aliases, case_sensitive=case_sensitive,
                         key_file=key_file)

    def remove_pseudonyms(self, originals: Sequence[str], *, key_file: str | os.PathLike | None = None) -> KeyUpdate:
        """Remove entries from the key, named by their original or any alias."""
        from qualkit.pseudonymise.keeping import remove_entries

        return remove_entries(self.store, originals, key_file=key_file)

    def move_pseudonym_key(self, path: str | os.PathLike, *, overwrite: bool = False) -> KeyUpdate:
        """Write the project's key to a key file to keep apart, and remove it from the project."""
        from qualkit.pseudonymise.keeping import move_key_out

        return move_key_out(self.store, path, overwrite=overwrite)

    def find_pseudonym_candidates(
        self, *, key_file: str | os.PathLike | None = None, places_file: str | os.PathLike | None = None,
        bundled_places: bool = True, ner: bool = True, ner_pipeline: str | None = None,
    ) -> CandidateSearch:
        """Names in the documents the key lacks, for review; kept in the project to accept or ignore."""
        from qualkit.pseudonymise import read_places_file
        from qualkit.pseudonymise.keeping import find_candidates

        extra = read_places_file(places_file) if places_file is not None else []
        return find_candidates(self.store, key_file=key_file, places=None if bundled_places else (),
                               extra_places=extra, ner=ner, ner_pipeline=ner_pipeline)

    def pseudonym_candidates(self) -> StoredCandidates | None:
        """The last candidate search's results (None: none has run)."""
        from qualkit.pseudonymise.keeping import stored_candidates

        return stored_candidates(self.store)

    def accept_pseudonym_candidates(self, names: Sequence[str], *, kind: Kind | str | None = None,
                                    pseudonym: str | None = None,
                                    key_file: str | os.PathLike | None = None) -> KeyUpdate:
        """Add candidates of the last search to the key."""
        from qualkit.pseudonymise import Kind
        from qualkit.pseudonymise.keeping import accept

        chosen = None if kind is None else _choice(Kind, kind, "kind")
        return accept(self.store, names, kind=chosen, pseudonym=pseudonym, key_file=key_file)

    def ignore_pseudonym_candidates(self, names: Sequence[str], *,
                                    key_file: str | os.PathLike | None = None) -> KeyUpdate:
        """Remember names as reviewed and left as they are."""
        from qualkit.pseudonymise.keeping import ignore

        return ignore(self.store, names, key_file=key_file)

    def pseudonymisation_report(self, *, key_file: str | os.PathLike | None = None
                                ) -> tuple[PseudonymisationReport, str, StoredCandidates | None]:
        """What the key replaces in every document (counts per entry), where the key is kept, and
        the last candidate search (its unreviewed candidates are in the report)."""
        from qualkit.pseudonymise.keeping import corpus_report

        return corpus_report(self.store, key_file)

    def pseudonymisation(self, *, key_file: str | os.PathLike | None = None) -> Pseudonymisation:
        """The key, ready for exports: pass it as ``pseudonymise=`` to report, export_codings,
        export_suggestions, export_qdpx, export_qdc and export_review (one for several exports
        keeps one summary); its :meth:`~qualkit.pseudonymise.Pseudonymisation.summary` says what
        was replaced and checked."""
        from qualkit.pseudonymise.keeping import pseudonymisation

        return pseudonymisation(self.store, key_file)

    def pseudonymised_passage(self, item: PassageItem, *, key_file: str | os.PathLike | None = None,
                              pseudonymise: Pseudonymisation | None = None) -> PassageItem:
        """A passage-review item as a pseudonymised view shows it (for the web review): text,
        neighbours, speaker, document and case pseudonymised, every proposal's evidence offsets
        mapped into the pseudonymised text. The stored text is not touched."""
        return (pseudonymise or self.pseudonymised_view(key_file=key_file)).passage_item(item)

    def pseudonymised_text(self, document: str, start: int, end: int, *,
                           highlights: Sequence[tuple[int, int]] = (), key_file: str | os.PathLike | None = None,
                           pseudonymise: Pseudonymisation | None = None) -> PassageText:
        """``document``'s text ``[start:end]`` pseudonymised (the whole document's view, cut at the
        mapped span), with ``highlights`` (document offsets) mapped to offsets into the result."""
        self.document_id(document)  # an unknown name is refused with a suggestion
        return (pseudonymise or self.pseudonymised_view(key_file=key_file)).passage(document, start, end,
                                                                                highlights=highlights)

    def check_pseudonymised(self, paths: Sequence[str | os.PathLike], *,
                            key_file: str | os.PathLike | None = None) -> list[CheckedOutput]:
        """The leak check on files about to be shared: PseudonymLeakError naming every place a name
        of the key was found in any of them."""
        from qualkit.pseudonymise import CheckedOutput, LeakChecker
        from qualkit.pseudonymise.check import leak_error
        from qualkit.pseudonymise.keeping import load_project_key

        key, _ = load_project_key(self.store, key_file)
        checker = LeakChecker(key)
        leaks, checked = [], []
        for path in paths:
            found, count = checker.leaks_in_file(path)
            leaks.extend(found)
            checked.append(CheckedOutput(os.fspath(path), count))
        if leaks:
            raise leak_error(leaks, " and ".join(os.fspath(p) for p in paths))
        return checked

    def _sheet_view(self) -> SheetView:
        """How a sheet exported pseudonymised shows this project, when its key is at hand: its
        document names mapped back to ours and its text as the key makes it (else as it is)."""
        from qualkit.errors import PseudonymisationError
        from qualkit.review.sheetcheck import AS_IS, SheetView

        try:
            pseudonymiser = self.pseudonymised_view().pseudonymiser
        except PseudonymisationError:
            return AS_IS
        names: dict[str, list[str]] = {}
        for name in self.store.documents.names():
            names.setdefault(pseudonymiser.value(name), []).append(name)
        return SheetView(document_names={shown: found[0] for shown, found in names.items()
                                         if len(found) == 1 and shown != found[0]},
                         text=pseudonymiser.value)

    # -- pseudonymised web review (issue #22: `qualkit serve --pseudonymise`) -----------------------------------

    def pseudonymised_view(self, *, key_file: str | os.PathLike | None = None) -> Pseudonymisation:
        """The key compiled for views shown one at a time (the web server's pages ask for names,
        passages and the codebook on every request): the same object until the key changes, so each
        document is pseudonymised once. Exports take a fresh :meth:`pseudonymisation` instead."""
        from qualkit.pseudonymise.keeping import load_project_key

        key, _ = load_project_key(self.store, key_file)
        if self._pseudonymisation is None or self._pseudonymisation.key != key:
            self._pseudonymisation = self.pseudonymisation(key_file=key_file)
        return self._pseudonymisation


def _role(role: Role | str) -> Role:
    from qualkit.errors import AccountError
    from qualkit.records import Role

    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}") from None

E = TypeVar("E", bound=enum.Enum)


def _choice(kind: type[E], value: E | str, what: str) -> E:
    """An enum member from itself or its value, refused with the valid values."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        raise NotFoundError(f"unknown {what} {value!r}; use one of: {', '.join(m.value for m in kind)}") from None
