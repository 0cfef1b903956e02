"""Codes that change and keep their work: rename, merge, move and split, from commands or a file.

A change makes a new codebook version, and what was done under the old keys follows the new ones:

* **suggestions** (and so codings) get the new key; the **decisions** on them follow, untouched;
* when two suggestions become the same (segment, code, source) — a merge of codes both proposed
  for one segment — the older one (or the one already under the new key) stays and the other is
  *absorbed*: it leaves every view and queue but is kept, with its decisions, pointing at the one it
  joined. Decisions are never changed, so where a reviewer's verdict on the survivor differs from
  what they said across the merged suggestions (accepting any of them accepts the merged code,
  rejecting all rejects it), a decision is **appended** for them, its ``via`` naming the code change
  and the decisions it was derived from;
* **memos** on the old codes move to the new one;
* **models** trained before follow renames and moves (the old key's classifier proposes the new key);
  codes merged away are not proposed by an older model until it is retrained.

Every change is recorded with the version it made and these counts (:class:`CodeChange`), and
`qualkit codebook versions` shows them. In a codebook file the same changes are written on the
code: ``renamed_from: OLD``, ``merged_from: [A, B]``, ``split_from: OLD`` (a new code that starts
empty; the old one keeps its codings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qualkit.codebook import KEY_PATTERN, Codebook, parse_codebook
from qualkit.errors import CodeChangeError, did_you_mean
from qualkit.records import ChangeKind, CodeChange, Decision, ModelInfo, Verdict
from qualkit.review.decisions import current_verdicts
from qualkit.store.decisions import DERIVED_VIA

if TYPE_CHECKING:
    from qualkit.store import Store
    from qualkit.suggest.scorer import Scorer

#: Kinds of change whose code's work follows it to a new key.
CARRYING = (ChangeKind.RENAME, ChangeKind.MOVE, ChangeKind.MERGE)


@dataclass(frozen=True)
class PlannedChange:
    """A change to make: the old keys and the key they become."""

    kind: ChangeKind
    old_keys: tuple[str, ...]
    new_key: str | None


@dataclass(frozen=True)
class ChangeReport:
    """What a change of codes did: the version it made and each change with what followed it."""

    codebook_id: int
    codebook: Codebook
    created: bool
    changes: tuple[CodeChange, ...] = ()
    warnings: tuple[str, ...] = ()


# -- planning a change asked for by a command -----------------------------------------------------------


def _known(codebook: Codebook, key: str, what: str = "code") -> None:
    if key not in codebook.keys:
        raise CodeChangeError(
            f"no {what} {key!r} in codebook {codebook.name!r}{did_you_mean(key, codebook.keys)}; "
            "`qualkit codebook show` lists them"
        )


def _subtree(codebook: Codebook, key: str) -> list[str]:
    """The code and everything under it (by parent), parents first."""
    found = [key]
    for code in codebook.codes:
        if code.parent in found and code.key not in found:
            found.append(code.key)
    return found


def _rekeyed(codebook: Codebook, key: str, new_key: str) -> dict[str, str]:
    """New keys for a code and its descendants: a descendant keyed under the old key ("culture.x")
    is keyed under the new one; one keyed otherwise keeps its key."""
    mapping = {key: new_key}
    for descendant in _subtree(codebook, key)[1:]:
        if descendant.startswith(key + "."):
            mapping[descendant] = new_key + descendant[len(key):]
    moving = set(_subtree(codebook, key))
    taken = [new for new in mapping.values() if new in codebook.keys and new not in moving]
    if taken:
        raise CodeChangeError(
            f"{', '.join(repr(t) for t in taken)} {'is' if len(taken) == 1 else 'are'} already in codebook "
            f"{codebook.name!r}; to combine codes use `qualkit codebook merge`"
        )
    return mapping


def plan_rename(codebook: Codebook, old: str, new: str) -> tuple[dict[str, Any], list[PlannedChange]]:
    """(the new version's data, the changes) for renaming ``old`` (and the codes keyed under it)."""
    from qualkit.codebook_edits import rename

    _known(codebook, old)
    if not KEY_PATTERN.match(new):
        raise CodeChangeError(
            f"{new!r} is not a code key; use lower-case letters, digits and _ in dot-separated parts "
            "(e.g. 'culture.relational_trust')"
        )
    if new == old:
        raise CodeChangeError(f"{old!r} already has that key")
    if new in codebook.keys:
        raise CodeChangeError(
            f"{new!r} is already a code in codebook {codebook.name!r}; to combine the two, use "
            f"`qualkit codebook merge {old} {new} into {new}`"
        )
    mapping = _rekeyed(codebook, old, new)
    return rename(_data(codebook), mapping), [PlannedChange(ChangeKind.RENAME, (k,), v) for k, v in mapping.items()]


def plan_merge(codebook: Codebook, sources: Sequence[str], into: str) -> tuple[dict[str, Any], list[PlannedChange]]:
    """(the new version's data, the change) for folding ``sources`` into ``into`` (an existing code)."""
    from qualkit.codebook_edits import merge

    merged = list(dict.fromkeys(key for key in sources if key != into))
    if not merged:
        raise CodeChangeError("name the codes to merge and the one they go into: CODE... INTO (e.g. a.x a.y a.x)")
    for key in [*merged, into]:
        _known(codebook, key)
    for key in merged:
        children = [code.key for code in codebook.children(key)]
        if children:
            raise CodeChangeError(
                f"{key!r} has codes under it ({', '.join(children)}); move or merge them first "
                f"(`qualkit codebook move {children[0]} --under {into}`)"
            )
    target = codebook.code(into)
    codable = [key for key in merged if codebook.code(key).codable]
    if codable and not target.codable:
        raise CodeChangeError(
            f"{into!r} is a theme that is not applied to text, and {', '.join(codable)} are codes; merge into a "
            "codable code"
        )
    return merge(_data(codebook), merged, into), [PlannedChange(ChangeKind.MERGE, tuple(merged), into)]


def plan_move(codebook: Codebook, key: str, parent: str | None) -> tuple[dict[str, Any], list[PlannedChange]]:
    """(the new version's data, the changes) for putting ``key`` (and what is under it) under
    ``parent`` (None: the top level); its key becomes PARENT.LAST ("culture.trust" under
    "teaching": "teaching.trust")."""
    from qualkit.codebook_edits import move

    _known(codebook, key)
    if parent is not None:
        _known(codebook, parent, "parent code")
        if parent in _subtree(codebook, key):
            raise CodeChangeError(f"cannot move {key!r} under {parent!r}: {parent!r} is {key!r} or under it")
    if codebook.code(key).parent == parent:
        where = f"under {parent!r}" if parent else "at the top level"
        raise CodeChangeError(f"{key!r} is already {where}")
    last = key.rsplit(".", 1)[-1]
    mapping = _rekeyed(codebook, key, f"{parent}.{last}" if parent else last)
    return move(_data(codebook), key, parent, mapping), [PlannedChange(ChangeKind.MOVE, (k,), v)
                                                          for k, v in mapping.items()]


def _data(codebook: Codebook) -> dict[str, Any]:
    from qualkit.yamlsource import load_yaml

    data = load_yaml(codebook.source).data
    assert isinstance(data, dict)  # a stored codebook parsed once already
    return data


def mentions(codebook: Codebook, keys: Iterable[str]) -> list[str]:
    """Warnings for codes whose wording names a key a change takes away ("(use culture.trust)"): the
    text is the researcher's, so it is pointed out, not rewritten."""
    import re

    found = []
    for key in keys:
        pattern = re.compile(rf"(?<![\w.]){re.escape(key)}(?![\w])")
        for code in codebook.codes:
            fields = [name for name, texts in (("definition", [code.definition]), ("include", code.include),
                                               ("exclude", code.exclude), ("examples", code.examples))
                      if any(pattern.search(text) for text in texts)]
            if fields:
                found.append(f"code {code.key!r} mentions {key!r} in its {' and '.join(fields)}; update the wording")
    return found


def edited_codebook(data: Mapping[str, Any], *, version: int, path: str, what: str) -> Codebook:
    """The new version's codebook from edited data: written as YAML (declaring ``version``) and parsed
    again, so it is checked like any codebook file."""
    from qualkit.codebook_edits import dump, with_version

    text = dump(with_version(data, version), header=f"Written by `qualkit {what}` (version {version}); the "
                                                     "comments of the file it came from are not kept.")
    codebook, _ = parse_codebook(text, path=path, compile_patterns=False)
    return codebook


# -- planning the changes an edited codebook file states ------------------------------------------------


def plan_from_file(previous: Codebook | None, new: Codebook, *, history: Sequence[CodeChange],
                   live_codes: Iterable[str], suggestion_counts: Mapping[str, int]
                   ) -> tuple[list[PlannedChange], list[str]]:
    """The changes a codebook file states against the project's current version (``previous``):
    renamed_from / merged_from carry work over, split_from records a split, and codes that appeared
    or went are recorded as added or removed. Returns (changes, warnings).

    A file that still has a code an earlier change renamed or merged away, but not the code it went
    to, is an older copy: refused, because loading it would hide that code's work.
    """
    if previous is None:
        return [], []
    before = set(previous.keys)
    known = before | set(live_codes)
    after = set(new.keys)
    _refuse_stale(previous, new, history)
    applied = {old for change in history if change.kind in CARRYING for old in change.old_keys}
    renames: list[PlannedChange] = []
    merges: list[PlannedChange] = []
    warnings: list[str] = []
    consumed: set[str] = set()
    targets: set[str] = set()
    parent_map = {code.renamed_from: code.key for code in new.codes if code.renamed_from}

    def gone(code_key: str, old: str, field: str) -> None:
        if old not in applied:
            warnings.append(
                f"{new.path}:{new.code(code_key).line}: code {code_key!r}: {field} {old!r} names no code the "
                f"project has{did_you_mean(old, sorted(before))}; nothing was carried over"
            )

    for code in new.codes:
        if code.renamed_from:
            old = code.renamed_from
            if old in known:
                old_parent = previous.code(old).parent if old in before else code.parent
                moved = (parent_map.get(old_parent, old_parent) if old_parent else None) != code.parent
                kind = ChangeKind.MERGE if code.key in before else ChangeKind.MOVE if moved else ChangeKind.RENAME
                (merges if kind is ChangeKind.MERGE else renames).append(PlannedChange(kind, (old,), code.key))
                consumed.add(old)
                targets.add(code.key)
            else:
                gone(code.key, old, "renamed_from")
        olds = tuple(old for old in code.merged_from if old in known)
        for old in code.merged_from:
            if old not in known:
                gone(code.key, old, "merged_from")
        if olds:
            merges.append(PlannedChange(ChangeKind.MERGE, olds, code.key))
            consumed.update(olds)
            targets.add(code.key)
    others: list[PlannedChange] = []
    for code in new.codes:
        if code.key in before or code.key in targets:
            continue
        if code.split_from:
            others.append(PlannedChange(ChangeKind.SPLIT, (code.split_from,), code.key))
        else:
            others.append(PlannedChange(ChangeKind.ADD, (), code.key))
    for key in previous.keys:
        if key in after or key in consumed:
            continue
        others.append(PlannedChange(ChangeKind.REMOVE, (key,), None))
        count = suggestion_counts.get(key, 0)
        if count:
            warnings.append(
                f"{new.path}: code {key!r} is not in this version: its {count} suggestion(s) and their decisions "
                f"are kept, and shown again if it comes back; to carry them to another code, give that code "
                f"`renamed_from: {key}` or `merged_from: [{key}]`"
            )
    return renames + merges + others, warnings


def _successor(key: str, history: Sequence[CodeChange]) -> tuple[str, CodeChange] | None:
    """Where a key's work went, following later changes, with the change that first took it away."""
    first: CodeChange | None = None
    current = key
    for change in history:
        if change.kind in CARRYING and current in change.old_keys and change.new_key:
            first = first or change
            current = change.new_key
    return (current, first) if first else None


def _refuse_stale(previous: Codebook, new: Codebook, history: Sequence[CodeChange]) -> None:
    brought_back = {code.renamed_from for code in new.codes if code.renamed_from}
    brought_back |= {old for code in new.codes for old in code.merged_from}
    problems = []
    for code in new.codes:
        if code.key in previous.keys:
            continue
        found = _successor(code.key, history)
        if found is None:
            continue
        successor, change = found
        if successor in previous.keys and successor not in new.keys and successor not in brought_back:
            done = "merged into" if change.kind is ChangeKind.MERGE else "renamed to"
            problems.append(
                f"{new.path}:{code.line}: code {code.key!r} was {done} {successor!r} (codebook version "
                f"{change.codebook_id}), and this file has {code.key!r} but not {successor!r}: it looks like a copy "
                f"from before that change. Write the current codebook with `qualkit codebook export FILE.yaml` and "
                f"edit that; or, to change it back, give {code.key!r} `renamed_from: {successor}`"
            )
    if problems:
        raise CodeChangeError("\n".join(problems))


# -- applying changes ------------------------------------------------------------------------------------


def apply_changes(store: Store, codebook: Codebook, changes: Sequence[PlannedChange], *, via: str,
                  warnings: Sequence[str] = ()) -> ChangeReport:
    """Store ``codebook`` as a new version and make ``changes`` against it, all in one transaction:
    suggestions, decisions and memos follow, and each change is recorded with what followed it."""
    with store.transaction():
        codebook_id, created = store.codebooks.save(codebook)
        if not created:
            return ChangeReport(codebook_id, codebook, False, (), tuple(warnings))
        for change in changes:
            if change.kind in CARRYING and change.new_key is not None:
                _carry(store, change, codebook_id=codebook_id, via=via)
            else:
                _record(store, change, codebook_id=codebook_id, counts={}, via=via)
        recorded = store.code_changes.log(codebook_id=codebook_id)
    return ChangeReport(codebook_id, codebook, True, tuple(recorded), tuple(warnings))


def _record(store: Store, change: PlannedChange, *, codebook_id: int, counts: Mapping[str, int], via: str) -> int:
    return store.code_changes.record(codebook_id=codebook_id, kind=change.kind, old_keys=change.old_keys,
                                     new_key=change.new_key, counts=counts, via=via)


def _carry(store: Store, change: PlannedChange, *, codebook_id: int, via: str) -> None:
    """Move one change's work to its new key, and record the change with what followed it."""
    assert change.new_key is not None
    new_key = change.new_key
    # the same (segment, source, span) under the new key is one coding; codings of other spans stay apart
    groups: dict[tuple[int, str, tuple[int, int] | None], list[tuple[int, str]]] = {}
    for suggestion_id, segment_id, code, source, span in store.suggestions.live_of_codes([*change.old_keys, new_key]):
        groups.setdefault((segment_id, source, span), []).append((suggestion_id, code))
    rekey: list[int] = []
    absorbed: list[tuple[int, int]] = []
    merged_groups: list[tuple[int, list[int]]] = []  # (survivor, every member)
    for members in groups.values():
        already = [suggestion_id for suggestion_id, code in members if code == new_key]
        survivor = already[0] if already else members[0][0]
        for suggestion_id, code in members:
            if suggestion_id == survivor:
                if code != new_key:
                    rekey.append(suggestion_id)
            else:
                absorbed.append((suggestion_id, survivor))
        if len(members) > 1:
            merged_groups.append((survivor, [suggestion_id for suggestion_id, _ in members]))
    derived = _derived_decisions(store, merged_groups)
    following = len(store.decisions.log(suggestion_ids=rekey)) if rekey else 0
    counts = {
        "suggestions": len(rekey), "merged": len(absorbed), "decisions": following, "derived": len(derived),
        "memos": store.memos.count_on_codes(change.old_keys),
    }
    change_id = _record(store, change, codebook_id=codebook_id, counts=counts, via=via)
    store.suggestions.absorb(absorbed)  # first: out of the live index before the survivors take the key
    store.suggestions.rekey(rekey, new_key)
    described = f"{', '.join(change.old_keys)} into {new_key}"
    for survivor, reviewer, verdict, sources in derived:
        store.decisions.insert(
            suggestion_id=survivor, reviewer=reviewer, verdict=verdict,
            via=f"{DERIVED_VIA} {change_id}: merged {described} (from decisions {', '.join(map(str, sources))})",
        )
    store.memos.move_code(change.old_keys, new_key)


def _derived_decisions(store: Store, groups: Sequence[tuple[int, list[int]]]
                       ) -> list[tuple[int, str, Verdict, tuple[int, ...]]]:
    """(survivor, reviewer, verdict, decisions it follows from) for each reviewer whose verdict on a
    merged group differs from their verdict in force on the survivor: accepting any member accepts
    the merged code there; rejecting every member they decided rejects it."""
    if not groups:
        return []
    members = [suggestion_id for _, ids in groups for suggestion_id in ids]
    current = current_verdicts(store.decisions.log(suggestion_ids=members))
    on_suggestion: dict[int, list[Decision]] = {}
    for (suggestion_id, _), decision in current.items():
        on_suggestion.setdefault(suggestion_id, []).append(decision)
    derived = []
    for survivor, ids in groups:
        by_reviewer: dict[str, list[Decision]] = {}
        for suggestion_id in ids:
            for decision in on_suggestion.get(suggestion_id, []):
                by_reviewer.setdefault(decision.reviewer, []).append(decision)
        for reviewer, decisions in sorted(by_reviewer.items()):
            verdict = Verdict.ACCEPT if any(d.verdict is Verdict.ACCEPT for d in decisions) else Verdict.REJECT
            on_survivor = current.get((survivor, reviewer))
            if on_survivor is None or on_survivor.verdict is not verdict:
                derived.append((survivor, reviewer, verdict, tuple(sorted(d.id for d in decisions))))
    return derived


def where_it_went(key: str, history: Sequence[CodeChange]) -> str:
    """" (it was renamed to 'x' in codebook version 3)" for a key a change took away, else ''."""
    found = _successor(key, history)
    if found is None:
        return ""
    successor, change = found
    done = "merged into" if change.kind is ChangeKind.MERGE else "moved to" if change.kind is ChangeKind.MOVE \
        else "renamed to"
    later = f", now {successor!r}" if successor != change.new_key else ""
    return f" (it was {done} {change.new_key!r} in codebook version {change.codebook_id}{later})"


# -- models follow -----------------------------------------------------------------------------------


def followed_keys(changes: Sequence[CodeChange]) -> dict[str, str]:
    """old key → current key through renames and moves, in order; a key merged into another is left
    out (a classifier of one part of a merged code is not a classifier of the whole)."""
    mapping: dict[str, str] = {}
    for change in changes:
        if change.kind not in CARRYING or change.new_key is None:
            continue
        olds = set(change.old_keys)
        for original, current in list(mapping.items()):
            if current in olds:
                if change.kind is ChangeKind.MERGE:
                    del mapping[original]
                else:
                    mapping[original] = change.new_key
        if change.kind is not ChangeKind.MERGE:
            for old in change.old_keys:
                mapping.setdefault(old, change.new_key)
    return {old: new for old, new in mapping.items() if old != new}


def follow_model(model: tuple[ModelInfo, Scorer], mapping: Mapping[str, str]) -> tuple[ModelInfo, Scorer]:
    """A trained scorer whose codes were renamed or moved since it was trained, proposing under the new
    keys (its stored bytes are not changed)."""
    info, trained = model
    moved = {old: new for old, new in mapping.items() if old in trained.codes or old in trained.models}
    if not moved:
        return model
    codes = tuple(moved.get(key, key) for key in trained.codes)
    models = {moved.get(key, key): value for key, value in trained.models.items()}
    choices = {moved.get(key, key): replace(value, code=moved.get(key, key)) for key, value in trained.choices.items()}
    return info, replace(trained, codes=codes, models=models, choices=choices)
