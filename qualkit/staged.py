"""Loading suggestions that `qualkit code --to-parquet` staged in a folder of partitions.

Everything is checked before anything is written (the folder's project, its codebook version and
every segment it names); then each partition is written through the same
:class:`~qualkit.sinks.ProjectSink` a direct run uses, one partition per transaction, so importing
twice adds nothing twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import StagedSuggestionsError
from qualkit.progress import Progress
from qualkit.records import Source
from qualkit.sinks import (
    COLUMNS,
    PARTITION,
    Ownership,
    ProjectIdentity,
    ProjectSink,
    looked_segments,
    need_pyarrow,
    read_manifest,
)

if TYPE_CHECKING:
    from qualkit.store import Store, SuggestionRow

_SOURCES = {Source.RULE.value, Source.MODEL.value}


@dataclass(frozen=True)
class ImportReport:
    """What `import suggestions` did."""

    folder: str
    run_id: int
    partitions: int
    suggestions: int
    new: int
    complete: bool  # the run that wrote the folder finished; if not, later partitions may follow


def import_suggestions(store: Store, folder: str | os.PathLike, *, identity: ProjectIdentity,
                       on_progress: Progress | None = None) -> ImportReport:
    """Load a folder that `code --to-parquet` wrote into the project ``identity`` names, one
    partition per transaction.

    Everything is checked before anything is written: the folder must come from this project, its
    codebook version must be stored here and every segment it names must exist. Suggestions
    already there are not added again, so importing twice adds nothing twice.
    """
    from qualkit.store import utc_timestamp

    need_pyarrow()
    folder = Path(folder)
    manifest = read_manifest(folder)
    there = manifest["project"]
    if there.get("id") != identity.id:
        raise StagedSuggestionsError(
            f"{folder} was written from project {there.get('path')} (id {there.get('id')}), not from "
            f"{store.path} (id {identity.id}): segment ids differ between projects. Import it into that "
            f"project (qualkit -p {there.get('path')} import suggestions {folder}), or code this one"
        )
    now = ProjectIdentity.of(project_id=identity.id, path=store.path, documents=store.documents.infos(),
                             up_to_document=there.get("max_document_id", 0))
    if now.fingerprint != there.get("fingerprint"):
        raise StagedSuggestionsError(
            f"{folder} was written before a document of {store.path} was removed or replaced, so its "
            "segment ids no longer mean the same segments: code the project again into a new folder"
        )
    parameters = manifest["parameters"]
    codebook_id = {v.sha256: v.id for v in store.codebooks.versions()}.get(parameters["codebook_sha256"])
    if codebook_id is None:
        raise StagedSuggestionsError(
            f"{folder} was coded with codebook version {parameters['codebook_version']} (hash "
            f"{parameters['codebook_sha256'][:12]}), which {store.path} does not hold: load that codebook "
            "file with `qualkit codebook load FILE`, then import again"
        )
    partitions = sorted(path for path in folder.iterdir() if PARTITION.match(path.name))
    for path in partitions:  # all checked first, so a bad partition stops the import before any write
        _partition_rows(path, store=store)
    run_id = store.runs.start(
        command="import suggestions",
        parameters={"folder": str(folder.resolve()), "codebook_sha256": parameters["codebook_sha256"],
                    "model_version": parameters.get("model_version"), "started_at": manifest.get("started_at")},
        started_at=utc_timestamp(),
    )
    ownership = Ownership.of(parameters.get("ownership"))
    sink = ProjectSink(store, codebook_id=codebook_id, run_id=run_id, ownership=ownership)
    suggestions = new = 0
    for done, path in enumerate(partitions, start=1):
        rules, models = _partition_rows(path)
        # counted as `code` counts them: a (segment, code) pair once, though rules and model both propose it
        pairs = len({row[:2] for row in rules} | {row[:2] for batch in models.values() for row in batch})
        progress = {"partitions": done, "last_partition": path.name, "suggestions": suggestions + pairs}
        added = sum(sink.write(rules, models, progress=progress, segment_ids=looked_segments(path)).values())
        suggestions, new = suggestions + pairs, new + added
        if on_progress:
            on_progress(done, len(partitions), path.name)
    store.runs.finish(
        run_id, counts={"partitions": len(partitions), "suggestions": suggestions, "new": new,
                        "withdrawn": sink.withdrawn},
        finished_at=utc_timestamp(),
    )
    return ImportReport(
        folder=str(folder), run_id=run_id, partitions=len(partitions), suggestions=suggestions, new=new,
        complete=manifest.get("finished_at") is not None,
    )


def _read(path: Path) -> Any:
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


def _partition_rows(path: Path, *,
                    store: Store | None = None) -> tuple[list[SuggestionRow], dict[str, list[SuggestionRow]]]:
    """(rule rows, model rows by model version) of a partition, as the store's suggestion rows.
    With ``store``, also check that every segment the partition names is in that project."""
    frame = _read(path)
    rules: list[SuggestionRow] = []
    models: dict[str, list[SuggestionRow]] = {}
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
        missing = sorted(set(ids) - store.documents.existing_segment_ids(ids))
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise StagedSuggestionsError(
                f"{path}: segment {missing[0]}{more} is not in this project, so the folder does not belong "
                "to it: import it into the project that wrote it, or code this project into a new folder"
            )
    return rules, models


def _is_evidence(value: object) -> bool:
    try:
        spans = json.loads(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return isinstance(spans, list) and all(
        isinstance(span, list) and len(span) == 3 and all(isinstance(n, int) for n in span[:2]) for span in spans
    )


