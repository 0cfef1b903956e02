"""Where a `code` run's suggestions go, page by page: the project, or partitioned Parquet.

Both sinks take one page's results at a time and make each page durable on its own, so a killed
run keeps the pages it finished and a rerun resumes after them.

* :class:`ProjectSink` writes a page's rows into the project in one transaction, together with
  the run's progress; ``qualkit import suggestions`` loads staged partitions through it too, so
  there is one write of a page of suggestions.
* :class:`ParquetSink` writes one partition per page, ``part-<first segment id>-<last segment
  id>.parquet`` (under a temporary name, then renamed, so a killed run never leaves half a
  partition), next to a ``_run.json`` manifest saying what ran (codebook, model, sources,
  parameters), on which project and when. A rerun into the same folder skips the partitions
  already there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.atomicfile import atomic_output, remove_stale_temporaries, write_text
from qualkit.errors import StagedSuggestionsError
from qualkit.faults import fault_point
from qualkit.records import DocumentInfo, Segment, Source

if TYPE_CHECKING:
    from qualkit.store import Store, SuggestionRow

FORMAT = "qualkit-suggestions"
FORMAT_VERSION = 1
MANIFEST = "_run.json"
COLUMNS = ("segment_id", "code", "source", "score", "evidence", "model_version")
PARTITION = re.compile(r"^part-(\d{12})-(\d{12})\.parquet$")


def by_code(rows: Iterable[SuggestionRow]) -> dict[str, list[SuggestionRow]]:
    """Suggestion rows grouped by code, so new suggestions can be counted per code."""
    grouped: dict[str, list[SuggestionRow]] = {}
    for row in rows:
        grouped.setdefault(row[1], []).append(row)
    return grouped


@dataclass(frozen=True)
class Ownership:
    """Which codes a trained scorer proposes itself and which it leaves to the rules: a page coded
    with it replaces the undecided machine suggestions on its segments that the scorer's one
    decision per segment and code no longer makes (decided ones always stay)."""

    model_codes: frozenset[str]
    rule_codes: frozenset[str]

    @classmethod
    def of(cls, stored: Mapping[str, Sequence[str]] | None) -> Ownership | None:
        """From a run's parameters (``{"model": [...], "rules": [...]}``); None for a run without a scorer."""
        return cls(frozenset(stored["model"]), frozenset(stored["rules"])) if stored else None

    def replaced(self) -> list[tuple[str, str]]:
        """(code, source) pairs whose undecided suggestions a page's own proposals replace."""
        return ([(code, source) for code in self.model_codes for source in ("rule", "model")]
                + [(code, "model") for code in self.rule_codes])


class ProjectSink:
    """Pages of suggestion rows into the project, each page in one transaction with the run's progress."""

    def __init__(self, store: Store, *, codebook_id: int, run_id: int, ownership: Ownership | None = None):
        self.store, self.codebook_id, self.run_id = store, codebook_id, run_id
        self.ownership = ownership
        self.withdrawn = 0  # undecided suggestions the scorer's decisions replaced, over every page

    def write(self, rule_rows: Sequence[SuggestionRow], model_rows: Mapping[str, Sequence[SuggestionRow]], *,
              progress: Mapping[str, Any], segment_ids: Sequence[int] = ()) -> dict[str, int]:
        """Rules first, then each model version's rows (a model never re-proposes a code rules or a
        person already gave a segment); returns how many suggestions were new, per code. With
        ``ownership``, undecided machine suggestions on ``segment_ids`` that this page's proposals
        no longer make are withdrawn first, in the same transaction."""
        new: dict[str, int] = {}
        store = self.store
        with store.transaction():
            if self.ownership is not None and segment_ids:
                keep = [(row[0], row[1], row[2]) for row in rule_rows]
                keep += [(row[0], row[1], row[2]) for batch in model_rows.values() for row in batch]
                self.withdrawn += store.suggestions.withdraw_undecided(
                    segment_ids, code_sources=self.ownership.replaced(), keep=keep)
            for code, rows in by_code(rule_rows).items():
                added = store.suggestions.insert_rows(rows, codebook_id=self.codebook_id, run_id=self.run_id)
                new[code] = new.get(code, 0) + added
            for version, batch in model_rows.items():
                for code, rows in by_code(batch).items():
                    added = store.suggestions.upsert_model_rows(
                        rows, codebook_id=self.codebook_id, run_id=self.run_id, model_version=version
                    )
                    new[code] = new.get(code, 0) + added
            store.runs.update_counts(self.run_id, progress)
            fault_point("code.page.writing")  # tests/reliability: a kill before the page commits
        fault_point("code.page")  # ... and after it did
        return new


@dataclass(frozen=True)
class ProjectIdentity:
    """Which project, in which state: its id, its path and a fingerprint of its documents, so a rerun
    or an import can tell whether the segment ids a folder names still mean the same segments."""

    id: str
    path: str
    documents: int
    max_document_id: int
    segments: int
    fingerprint: str

    @classmethod
    def of(cls, *, project_id: str, path: str | os.PathLike, documents: Iterable[DocumentInfo],
           up_to_document: int | None = None) -> ProjectIdentity:
        """Of the documents with id up to ``up_to_document`` (all, for None)."""
        kept = sorted(
            (d.id, d.sha256, d.segments) for d in documents if up_to_document is None or d.id <= up_to_document
        )
        return cls(
            id=project_id, path=str(Path(path).resolve()), documents=len(kept),
            max_document_id=kept[-1][0] if kept else 0, segments=sum(segments for _, _, segments in kept),
            fingerprint=hashlib.sha256(json.dumps(kept).encode()).hexdigest(),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "documents": self.documents,
                "max_document_id": self.max_document_id, "segments": self.segments, "fingerprint": self.fingerprint}


def partition_name(page: Sequence[Segment]) -> str:
    """The file a page's suggestions go to: zero-padded ids, so names sort in page order."""
    return f"part-{page[0].id:012d}-{page[-1].id:012d}.parquet"


class ParquetSink:
    """Writes a run's page results as partitions of ``folder``, and knows which pages an earlier,
    interrupted run with the same parameters already wrote there."""

    def __init__(self, folder: str | os.PathLike, *, parameters: Mapping[str, Any], project: ProjectIdentity,
                 started_at: str):
        need_pyarrow()
        self.folder = Path(folder)
        parameters, identity = _plain(parameters), _plain(project.as_dict())
        if (self.folder / MANIFEST).exists():
            self.manifest = read_manifest(self.folder)
            _check_same_run(self.folder, self.manifest, parameters=parameters, project=identity)
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise StagedSuggestionsError(
                f"{self.folder} is not empty and holds no {MANIFEST}: give --to-parquet a new or empty folder"
            )
        else:
            from qualkit import __version__

            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StagedSuggestionsError(f"cannot create {self.folder}: {exc.strerror}") from None
            self.manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "qualkit_version": __version__,
                "parameters": parameters, "project": identity, "started_at": started_at, "finished_at": None,
            }
            self._write_manifest()
        remove_stale_temporaries(self.folder)  # a killed write's leftovers
        self.existing = {path.name for path in self.folder.iterdir() if PARTITION.match(path.name)}
        self.written = self.rows = self.skipped = self.skipped_segments = 0

    def has(self, page: Sequence[Segment]) -> bool:
        return partition_name(page) in self.existing

    def skip(self, page: Sequence[Segment]) -> None:
        """Count a page an earlier run into this folder already wrote."""
        self.skipped += 1
        self.skipped_segments += len(page)

    def write(self, page: Sequence[Segment], rows: Sequence[SuggestionRow], *, model_version: str | None,
              looked: Sequence[int] = ()) -> None:
        """One page's suggestions, rules' and model's, as one partition. ``rows`` are the store's
        :func:`~qualkit.store.suggestion_row` tuples; ``looked``, the segments that were coded (kept in
        the file's metadata, so an import can withdraw what a trained scorer no longer proposes there).
        An empty page still gets its (empty) partition: the file is what says the page is done."""
        import pandas as pd

        name = partition_name(page)
        frame = pd.DataFrame.from_records(
            [(*row, model_version if row[2] == Source.MODEL.value else None) for row in rows], columns=list(COLUMNS)
        )
        with atomic_output(self.folder / name, error=StagedSuggestionsError) as temporary:
            frame.to_parquet(temporary, engine="pyarrow", index=False, schema=_schema(looked=looked))
        self.written += 1
        self.rows += len(frame)

    def finish(self, *, finished_at: str, counts: Mapping[str, Any]) -> None:
        """Mark the run finished in the manifest, with its counts."""
        partitions = sorted(path.name for path in self.folder.iterdir() if PARTITION.match(path.name))
        self.manifest.update(finished_at=finished_at, partitions=len(partitions), counts=counts)
        self._write_manifest()

    def _write_manifest(self) -> None:
        write_text(self.folder / MANIFEST, json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False),
                   error=StagedSuggestionsError)


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise StagedSuggestionsError(f"no folder {folder}; write one with `qualkit code --to-parquet {folder}`")
    if not path.exists():
        raise StagedSuggestionsError(
            f"{folder} holds no {MANIFEST}, so it is not a folder `qualkit code --to-parquet` wrote"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StagedSuggestionsError(
            f"{path} cannot be read ({exc}); rerun `qualkit code --to-parquet` into a new folder"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StagedSuggestionsError(f"{path} is not a qualkit suggestions manifest (format {FORMAT!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StagedSuggestionsError(
            f"{path} has format version {manifest.get('format_version')!r}; this qualkit reads version "
            f"{FORMAT_VERSION}: use the qualkit that wrote it, or code again with this one"
        )
    return manifest


def _check_same_run(folder: Path, manifest: Mapping[str, Any], *, parameters: Mapping[str, Any],
                    project: Mapping[str, Any]) -> None:
    """A rerun into a folder must be the same run on the same project, or its pages would not line up."""
    differences = [
        f"{key} {manifest['parameters'].get(key)!r} there, {parameters.get(key)!r} now"
        for key in sorted(set(parameters) | set(manifest["parameters"]))
        if manifest["parameters"].get(key) != parameters.get(key)
    ]
    differences += [
        f"project {key} {manifest['project'].get(key)!r} there, {project.get(key)!r} now"
        for key in ("id", "documents", "max_document_id", "segments", "fingerprint")
        if manifest["project"].get(key) != project.get(key)
    ]
    if differences:
        raise StagedSuggestionsError(
            f"{folder} holds suggestions from a different run ({'; '.join(differences)}): write to a new "
            f"folder, or delete {folder} to start over"
        )


def need_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise StagedSuggestionsError("Parquet suggestions need pyarrow: pip install 'qualkit[dask]'") from None


LOOKED = b"qualkit.looked"  # a partition's metadata key: the segments coded, as [[first, last], ...] runs


def _schema(*, looked: Sequence[int] = ()) -> Any:
    import pyarrow as pa

    return pa.schema([
        ("segment_id", pa.int64()), ("code", pa.string()), ("source", pa.string()), ("score", pa.float64()),
        ("evidence", pa.string()), ("model_version", pa.string()),
    ], metadata={LOOKED: json.dumps(id_runs(looked)).encode()})


def id_runs(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs of consecutive ids: a page's coded segments in a few numbers."""
    runs: list[list[int]] = []
    for value in sorted(ids):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs


def looked_segments(path: str | os.PathLike) -> list[int]:
    """The segments a partition says were coded (none for a partition written before it said so)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    runs = json.loads(metadata.get(LOOKED, b"[]"))
    return [value for first, last in runs for value in range(first, last + 1)]


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    """JSON's view of a dict (tuples become lists), so a manifest read back compares equal."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))
