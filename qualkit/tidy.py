"""Keeping a project tidy: old models, and what may be deleted without losing provenance.

Every `qualkit train` stores a model (tens of MB); old ones are never used again by `qualkit code`
but are named by what they did: a suggestion's ``model_version`` ("model-3"), a decision's
``seen_model_version`` (what the reviewer saw), the run log. A methodologist must be able to say,
for any decision, which model proposed what the reviewer saw, how it was trained (on whose
decisions, how many examples, under which codebook version) and how well it scored. So:

* a model nothing names is deleted outright;
* a model something names is deleted only when asked to keep its record (``keep_record``): its
  weights go (that is where the space is), its record stays — trained on, training size,
  codebook version, cross-validated metrics, library — so every name still leads somewhere.
  Without ``keep_record`` the deletion is refused, saying what names the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import ModelError, NotFoundError
from qualkit.records import ModelUsage

if TYPE_CHECKING:
    from qualkit.store import Store


def model_usage(store: Store) -> list[ModelUsage]:
    """Every stored model, oldest first, with what names it and whether `code` uses it."""
    models = store.models.all()
    usage = store.models.usage()
    latest = max((m.id for m in models if m.weights_deleted_at is None), default=None)
    return [ModelUsage(model=m, suggestions=usage.get(m.version, (0, 0, 0))[0],
                       decisions=usage.get(m.version, (0, 0, 0))[1], runs=usage.get(m.version, (0, 0, 0))[2],
                       latest=m.id == latest)
            for m in models]


@dataclass(frozen=True)
class TidyReport:
    """What deleting models did: models deleted outright, models whose weights went (record kept),
    bytes freed inside the file (`qualkit vacuum` gives them back to the disk)."""

    deleted: tuple[int, ...] = ()
    weights_deleted: tuple[int, ...] = ()
    freed: int = 0
    now_latest: int | None = None  # the model `qualkit code` uses after this (None: rules only)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _named_by(usage: ModelUsage) -> str:
    parts = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in
             ((usage.suggestions, "suggestion"), (usage.decisions, "decision"), (usage.runs, "run")) if n]
    return " and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}"


def delete_models(store: Store, model_ids: Sequence[int], *, keep_record: bool = False,
                  deleted_at: str) -> TidyReport:
    """Delete these models as the module says; refused (nothing deleted) if one is named and
    ``keep_record`` is not given."""
    usages = {usage.model.id: usage for usage in model_usage(store)}
    missing = [model_id for model_id in model_ids if model_id not in usages]
    if missing:
        listed = ", ".join(f"model-{i}" for i in usages) or "none"
        raise NotFoundError(f"no model-{missing[0]} in the project; models: {listed} (`qualkit models` lists them)")
    chosen = [usages[model_id] for model_id in dict.fromkeys(model_ids)]
    named = [usage for usage in chosen if usage.named and usage.model.weights_deleted_at is None]
    if named and not keep_record:
        first = named[0]
        more = f" (and {len(named) - 1} more model(s) likewise)" if len(named) > 1 else ""
        raise ModelError(
            f"{first.model.version} is named by {_named_by(first)}{more}: deleting it would leave them naming a "
            f"model that is gone. Add --keep-record to delete its weights ({_megabytes(first.model.size)}) and keep "
            "its record (trained on, size, codebook version, metrics), so they still say which model it was"
        )
    outright = [usage.model.id for usage in chosen if not usage.named]
    weights = [usage.model.id for usage in chosen if usage.named and usage.model.weights_deleted_at is None]
    with store.transaction():
        freed = store.models.delete(outright) + store.models.drop_weights(weights, deleted_at=deleted_at)
    latest = next((usage.model.id for usage in reversed(model_usage(store)) if usage.model.weights_deleted_at is None),
                  None)
    return TidyReport(tuple(outright), tuple(weights), freed, latest)


def keep_latest(store: Store, keep: int, *, keep_record: bool = False, deleted_at: str) -> TidyReport:
    """Delete every model but the newest ``keep`` that still have their weights."""
    if keep < 0:
        raise ModelError(f"--keep {keep}: keep 0 or more models")
    live = [usage.model.id for usage in model_usage(store) if usage.model.weights_deleted_at is None]
    doomed = live[:max(0, len(live) - keep)]
    if not doomed:
        latest = live[-1] if live else None
        return TidyReport(now_latest=latest)
    return delete_models(store, doomed, keep_record=keep_record, deleted_at=deleted_at)
