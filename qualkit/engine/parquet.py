"""Suggestions as partitioned Parquet: the sink a very large `code` run writes to, and its loader.

A run writes one partition per page of segments, ``part-<first segment id>-<last segment id>.parquet``
(under a temporary name, then renamed, so a killed run never leaves half a partition), and a
``_run.json`` manifest saying what ran (codebook, model, sources, parameters), on which project and
when. A rerun into the same folder skips the partitions already there. ``qualkit import suggestions``
checks the manifest against the project and loads the partitions through the store's usual inserts,
so importing twice adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import StagedSuggestionsError
from qualkit.records import Source

FORMAT = "qualkit-suggestions"
FORMAT_VERSION = 1
MANIFEST = "_run.json"
COLUMNS = ("segment_id", "code", "source", "score", "evidence", "model_version")
_PARTITION = re.compile(r"^part-(\d{12})-(\d{12})\.parquet$")
_SOURCES = {Source.RULE.value, Source.MODEL.value}


def partition_name(page) -> str:
    """The file a page's suggestions go to: zero-padded ids, so names sort in page order."""
    return f"part-{page[0].id:012d}-{page[-1].id:012d}.parquet"


def project_identity(project, *, up_to_document: int | None = None) -> dict:
    """Which project, in which state: its id, its path and a fingerprint of its documents (of those
    with id up to ``up_to_document``), so a rerun or an import can tell whether the segment ids a
    folder names still mean the same segments."""
    documents = sorted(
        (d.id, d.sha256, d.segments) for d in project.documents() if up_to_document is None or d.id <= up_to_document
    )
    return {
        "id": project.project_id,
        "path": str(Path(project.path).resolve()),
        "documents": len(documents),
        "max_document_id": documents[-1][0] if documents else 0,
        "segments": sum(segments for _, _, segments in documents),
        "fingerprint": hashlib.sha256(json.dumps(documents).encode()).hexdigest(),
    }


class ParquetSink:
    """Writes a run's page results as partitions of ``folder``, and knows which pages an earlier,
    interrupted run with the same parameters already wrote there."""

    def __init__(self, folder: str | os.PathLike, *, parameters: dict, project: dict, started_at: str):
        _need_pyarrow()
        self.folder = Path(folder)
        parameters, project = _plain(parameters), _plain(project)
        if (self.folder / MANIFEST).exists():
            self.manifest = read_manifest(self.folder)
            _check_same_run(self.folder, self.manifest, parameters=parameters, project=project)
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
                "parameters": parameters, "project": project, "started_at": started_at, "finished_at": None,
            }
            self._write_manifest()
        for stale in self.folder.glob(".part-*.tmp"):  # a killed write's leftovers
            stale.unlink()
        self.existing = {path.name for path in self.folder.iterdir() if _PARTITION.match(path.name)}
        self.written = self.rows = self.skipped = self.skipped_segments = 0

    def has(self, page) -> bool:
        return partition_name(page) in self.existing

    def skip(self, page) -> None:
        """Count a page an earlier run into this folder already wrote."""
        self.skipped += 1
        self.skipped_segments += len(page)

    def write(self, page, rows, *, model_version: str | None) -> None:
        """One page's suggestions, rules' and model's, as one partition. ``rows`` are the store's
        :func:`~qualkit.store.suggestion_row` tuples. An empty page still gets its (empty) partition:
        the file is what says the page is done."""
        import pandas as pd

        name = partition_name(page)
        frame = pd.DataFrame.from_records(
            [(*row, model_version if row[2] == Source.MODEL.value else None) for row in rows], columns=list(COLUMNS)
        )
        temporary = self.folder / f".{name}.tmp"
        frame.to_parquet(temporary, engine="pyarrow", index=False, schema=_schema())
        os.replace(temporary, self.folder / name)
        self.written += 1
        self.rows += len(frame)

    def finish(self, *, finished_at: str, counts: dict) -> None:
        """Mark the run finished in the manifest, with its counts."""
        partitions = sorted(path.name for path in self.folder.iterdir() if _PARTITION.match(path.name))
        self.manifest.update(finished_at=finished_at, partitions=len(partitions), counts=counts)
        self._write_manifest()

    def _write_manifest(self) -> None:
        temporary = self.folder / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.folder / MANIFEST)


def read_manifest(folder: str | os.PathLike) -> dict:
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


def _check_same_run(folder: Path, manifest: dict, *, parameters: dict, project: dict) -> None:
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


@dataclass(frozen=True)
class ImportReport:
    """What `import suggestions` did."""

    folder: str
    run_id: int
    partitions: int
    suggestions: int
    new: int
    complete: bool  # the run that wrote the folder finished; if not, later partitions may follow


def import_suggestions(project, folder: str | os.PathLike, *, on_progress=None) -> ImportReport:
    """Load a folder that `code --to-parquet` wrote into ``project``, one partition per transaction.

    Everything is checked before anything is written: the folder must come from this project, its
    codebook version must be stored here and every segment it names must exist. Suggestions
    already there are not added again, so importing twice adds nothing twice.
    """
    from qualkit.store import utc_timestamp

    _need_pyarrow()
    folder = Path(folder)
    manifest = read_manifest(folder)
    store = project.store
    here, there = project.project_id, manifest["project"]
    if there.get("id") != here:
        raise StagedSuggestionsError(
            f"{folder} was written from project {there.get('path')} (id {there.get('id')}), not from "
            f"{project.path} (id {here}): segment ids differ between projects. Import it into that "
            f"project (qualkit -p {there.get('path')} import suggestions {folder}), or code this one"
        )
    now = project_identity(project, up_to_document=there.get("max_document_id", 0))
    if now["fingerprint"] != there.get("fingerprint"):
        raise StagedSuggestionsError(
            f"{folder} was written before a document of {project.path} was removed or replaced, so its "
            "segment ids no longer mean the same segments: code the project again into a new folder"
        )
    parameters = manifest["parameters"]
    codebook_id = {row["sha256"]: row["id"] for row in store.codebooks()}.get(parameters["codebook_sha256"])
    if codebook_id is None:
        raise StagedSuggestionsError(
            f"{folder} was coded with codebook version {parameters['codebook_version']} (hash "
            f"{parameters['codebook_sha256'][:12]}), which {project.path} does not hold: load that codebook "
            "file with `qualkit codebook load FILE`, then import again"
        )
    partitions = sorted(path for path in folder.iterdir() if _PARTITION.match(path.name))
    for path in partitions:  # all checked first, so a bad partition stops the import before any write
        _partition_rows(path, store=store)
    run_id = store.start_run(
        command="import suggestions",
        parameters={"folder": str(folder.resolve()), "codebook_sha256": parameters["codebook_sha256"],
                    "model_version": parameters.get("model_version"), "started_at": manifest.get("started_at")},
        started_at=utc_timestamp(),
    )
    suggestions = new = 0
    for done, path in enumerate(partitions, start=1):
        rules, models = _partition_rows(path)
        with store.transaction():  # rules first, as a direct run writes them: a model never re-proposes a rule's code
            new += store.insert_suggestion_rows(rules, codebook_id=codebook_id, run_id=run_id) if rules else 0
            for version, batch in models.items():
                new += store.upsert_model_rows(batch, codebook_id=codebook_id, run_id=run_id, model_version=version)
            # counted as `code` counts them: a (segment, code) pair once, though rules and model both propose it
            suggestions += len({row[:2] for row in rules} | {row[:2] for batch in models.values() for row in batch})
            store.update_run_counts(
                run_id, {"partitions": done, "last_partition": path.name, "suggestions": suggestions, "new": new}
            )
        if on_progress:
            on_progress(done, len(partitions), path.name)
    store.finish_run(
        run_id, counts={"partitions": len(partitions), "suggestions": suggestions, "new": new},
        finished_at=utc_timestamp(),
    )
    return ImportReport(
        folder=str(folder), run_id=run_id, partitions=len(partitions), suggestions=suggestions, new=new,
        complete=manifest.get("finished_at") is not None,
    )


def _read(path: Path):
    import pandas as pd

    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        raise StagedSuggestionsError(
            f"{path} cannot be read as Parquet ({exc}); delete it and rerun the same `qualkit code --to-parquet` "
            "to write it again"
        ) from None
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise StagedSuggestionsError(f"{path}: no column {missing[0]!r}; it is not a qualkit suggestions partition")
    return frame


def _partition_rows(path: Path, *, store=None) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """(rule rows, model rows by model version) of a partition, as the store's suggestion rows.
    With ``store``, also check that every segment the partition names is in that project."""
    frame = _read(path)
    rules: list[tuple] = []
    models: dict[str, list[tuple]] = {}
    for segment_id, code, source, score, evidence, version in frame[list(COLUMNS)].itertuples(index=False):
        if source not in _SOURCES or (source == Source.MODEL.value and not isinstance(version, str)):
            raise StagedSuggestionsError(
                f"{path}: a {source!r} suggestion{' without a model version' if source in _SOURCES else ''} "
                "is not something qualkit writes: delete the partition and rerun the same "
                "`qualkit code --to-parquet` to write it again"
            )
        if not _is_evidence(evidence):
            raise StagedSuggestionsError(
                f"{path}: evidence {evidence!r} of segment {segment_id} is not [[start, end, pattern], ...]: "
                "delete the partition and rerun the same `qualkit code --to-parquet` to write it again"
            )
        row = (int(segment_id), code, source, float(score), evidence)
        if source == Source.MODEL.value:
            models.setdefault(version, []).append(row)
        else:
            rules.append(row)
    if store is not None:
        ids = sorted({row[0] for row in rules} | {row[0] for batch in models.values() for row in batch})
        missing = sorted(set(ids) - store.existing_segment_ids(ids))
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise StagedSuggestionsError(
                f"{path}: segment {missing[0]}{more} is not in this project, so the folder does not belong "
                "to it: import it into the project that wrote it, or code this project into a new folder"
            )
    return rules, models


def _is_evidence(value) -> bool:
    try:
        spans = json.loads(value)
    except (TypeError, ValueError):
        return False
    return isinstance(spans, list) and all(
        isinstance(span, list) and len(span) == 3 and all(isinstance(n, int) for n in span[:2]) for span in spans
    )


def _need_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise StagedSuggestionsError("Parquet suggestions need pyarrow: pip install 'qualkit[dask]'") from None


def _schema():
    import pyarrow as pa

    return pa.schema([
        ("segment_id", pa.int64()), ("code", pa.string()), ("source", pa.string()), ("score", pa.float64()),
        ("evidence", pa.string()), ("model_version", pa.string()),
    ])


def _plain(value: dict) -> dict:
    """JSON's view of a dict (tuples become lists), so a manifest read back compares equal."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))
