"""Reviewers can be managed without rewriting history: renamed, merged, retired and reinstated.

Decisions keep the name they were made under (they are never rewritten); the reviewer log says
what each name is now, and every read follows it. Renaming onto a name that has decisions of its
own merges the two. A retired reviewer's decisions stay in the log, but agreement and the
consensus leave them out unless they are named explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError, ReviewError, did_you_mean
from qualkit.records import ReviewerChange, ReviewerChangeKind, Reviewers
from qualkit.review.actions import check_reviewer

if TYPE_CHECKING:
    from qualkit.store import Store


def reviewers_from_log(changes: Iterable[ReviewerChange]) -> Reviewers:
    """Who the reviewers are now, from the reviewer log in order."""
    aliases: dict[str, str] = {}
    retired: set[str] = set()
    for change in changes:
        if change.kind is ReviewerChangeKind.RENAME:
            assert change.target is not None
            aliases[change.name] = change.target
            aliases.pop(change.target, None)  # a name can come back into use
            if change.name in retired:
                retired.discard(change.name)
                retired.add(change.target)
        elif change.kind is ReviewerChangeKind.RETIRE:
            retired.add(change.name)
        elif change.kind is ReviewerChangeKind.REINSTATE:
            retired.discard(change.name)
    directory = Reviewers(aliases=aliases)
    return Reviewers(aliases=aliases, retired=frozenset(directory.current(name) for name in retired))


def directory(store: Store) -> Reviewers:
    return reviewers_from_log(store.reviewer_log.log())


def known(store: Store, names: Reviewers | None = None) -> list[str]:
    """Every reviewer by their current name (renamed and merged names followed), sorted."""
    names = names or directory(store)
    added = {change.name for change in store.reviewer_log.log() if change.kind is ReviewerChangeKind.ADD}
    return sorted({names.current(name) for name in store.decisions.reviewers()}
                  | {names.current(mark.reviewer) for mark in store.coverage.log()}
                  | {names.current(name) for name in added})


def add(store: Store, name: str, *, note: str | None = None) -> bool:
    """Make a reviewer known before they decide anything; False if they are known already."""
    name = check_reviewer(name)
    if directory(store).current(name) in known(store):
        return False
    store.reviewer_log.record(ReviewerChangeKind.ADD, name, note=note)
    return True


def _existing(store: Store, name: str, names: Reviewers) -> str:
    name = check_reviewer(name)
    everyone = known(store, names)
    current = names.current(name)
    if current not in everyone:
        raise NotFoundError(
            f"no reviewer {name!r} has decided anything{did_you_mean(name, everyone)}; "
            f"reviewers: {', '.join(everyone) or 'none'}"
        )
    return current


def rename(store: Store, old: str, new: str, *, note: str | None = None) -> ReviewerChange:
    """Rename a reviewer; onto an existing reviewer's name, a merge. Decisions are not rewritten."""
    names = directory(store)
    current = _existing(store, old, names)
    new = check_reviewer(new)
    if names.current(new) == current:
        raise ReviewError(f"{old!r} is already called {new!r}; nothing to change")
    if new in names.aliases:
        raise ReviewError(
            f"{new!r} is an old name of {names.current(new)!r}; rename onto {names.current(new)!r} instead"
        )
    store.reviewer_log.record(ReviewerChangeKind.RENAME, current, target=new, note=note)
    return store.reviewer_log.log()[-1]


def retire(store: Store, name: str, *, note: str | None = None, reinstate: bool = False) -> ReviewerChange:
    """Leave a reviewer out of agreement and the consensus (or bring them back)."""
    names = directory(store)
    current = _existing(store, name, names)
    if reinstate and current not in names.retired:
        raise ReviewError(f"{current!r} is not retired")
    if not reinstate and current in names.retired:
        raise ReviewError(f"{current!r} is already retired; `qualkit reviewers reinstate {current!r}` brings them back")
    kind = ReviewerChangeKind.REINSTATE if reinstate else ReviewerChangeKind.RETIRE
    store.reviewer_log.record(kind, current, note=note)
    return store.reviewer_log.log()[-1]
