"""Taking documents out of the corpus: `qualkit documents remove` and `qualkit ingest --replace` (issue #18).

A document nobody has worked on is deleted with its segments and suggestions. One that people
have worked on — decisions on its suggestions (accepts, rejects, codes added by hand or
imported), coverage marks, memos — is removed only when forced, and is then kept in the file,
marked removed: the decisions log is append-only, so its decisions stay, with the text they
were about, orphaned. No queue, count, agreement, training set, analysis, report or export
uses a removed document; `qualkit status` counts them and the decisions they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qualkit.errors import DocumentInUseError
from qualkit.records import DocumentUsage, Removal, RemovedDocument
from qualkit.store import utc_timestamp

if TYPE_CHECKING:
    from qualkit.store import Store

_NAMED = 5  # documents named in a refusal; the rest are counted


def work_about(usage: DocumentUsage) -> str:
    """'57 decisions, 2 coverage marks and 1 memo by alice and bob' (what removing would orphan)."""
    parts = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in (
        (usage.decisions, "decision"), (usage.coverage_marks, "coverage mark"), (usage.memos, "memo"))
        if n]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    people = list(usage.reviewers)
    by = people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1] if people else ""
    return f"{listed} by {by}" if by else listed


def refusal(usages: Sequence[DocumentUsage], *, replacing: bool) -> str:
    """Why documents people worked on are not removed (or replaced), and how to go ahead anyway."""
    named = "; ".join(f"{u.name!r} has {work_about(u)}" for u in usages[:_NAMED])
    more = f"; and {len(usages) - _NAMED} more documents" if len(usages) > _NAMED else ""
    if replacing:
        return (f"{named}{more}; nothing was replaced. Replace anyway with --replace --force: the old version's "
                "decisions stay in the log, orphaned (not counted or exported)")
    return (f"{named}{more}; nothing was removed. Remove anyway with --force: the decisions stay in the log, "
            "orphaned (not counted or exported)")


def remove_documents(store: Store, document_ids: Sequence[int], *, force: bool = False) -> tuple[RemovedDocument, ...]:
    """Remove documents (by id) from the corpus, all or none: see the module doc. Raises
    DocumentInUseError, removing nothing, if people worked on any of them and ``force`` is False."""
    usages = [store.documents.usage(document_id) for document_id in document_ids]
    busy = [usage for usage in usages if usage.in_use]
    if busy and not force:
        raise DocumentInUseError(refusal(busy, replacing=False))
    started = utc_timestamp()
    removed = []
    with store.transaction():
        for document_id, usage in zip(document_ids, usages, strict=True):
            removed.append(take_out(store, document_id, usage, removal=Removal.REMOVED, when=started))
        store.runs.record(
            command="documents remove", parameters={"documents": [u.name for u in usages], "force": force},
            counts=orphan_counts(removed), started_at=started, finished_at=utc_timestamp(),
        )
    return tuple(removed)


def take_out(store: Store, document_id: int, usage: DocumentUsage, *, removal: Removal, when: str) -> RemovedDocument:
    """Remove one document (kept, marked removed, if people worked on it; else deleted)."""
    store.documents.remove(document_id, removal=removal, keep=usage.in_use, removed_at=when)
    return RemovedDocument(usage=usage, removal=removal, kept=usage.in_use, removed_at=when)


def orphan_counts(removed: Sequence[RemovedDocument]) -> dict[str, int]:
    """Counts for the run log: documents removed and kept, and the work left orphaned."""
    return {
        "documents": len(removed), "kept": sum(r.kept for r in removed),
        "segments": sum(r.usage.segments for r in removed), "suggestions": sum(r.usage.suggestions for r in removed),
        "orphaned_decisions": sum(r.usage.decisions for r in removed),
        "orphaned_coverage_marks": sum(r.usage.coverage_marks for r in removed),
        "orphaned_memos": sum(r.usage.memos for r in removed),
    }
