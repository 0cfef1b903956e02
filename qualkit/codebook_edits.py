"""Rename, merge and move codes in a codebook's YAML data, and write the result as YAML.

`qualkit codebook rename/merge/move` make a new codebook version from the current one: its data
(as the YAML file held it) is edited here and written back, with ``renamed_from:`` /
``merged_from:`` on the codes that changed, so the new version says where its codes came from and
loads into another project as the same codes. The output is written by qualkit: the original
file's comments are not kept (the file on disk is not touched).

These functions take and return plain data (dicts and lists from the YAML); they check nothing
that :mod:`qualkit.codechanges` has not already checked against the parsed codebook.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Entry = dict[str, Any]


def entries(data: Mapping[str, Any]) -> Iterator[tuple[Entry, list[Entry], str | None]]:
    """Every code entry with the list that holds it and its parent's key, parents first."""

    def walk(items: list[Entry], parent: str | None) -> Iterator[tuple[Entry, list[Entry], str | None]]:
        for item in items:
            if not isinstance(item, dict):
                continue
            yield item, items, item.get("parent", parent)
            walk_children = item.get("children")
            if isinstance(walk_children, list):
                yield from walk(walk_children, item.get("key"))

    codes = data.get("codes")
    if isinstance(codes, list):
        yield from walk(codes, None)


def _entry(data: Mapping[str, Any], key: str) -> tuple[Entry, list[Entry], str | None]:
    for found in entries(data):
        if found[0].get("key") == key:
            return found
    raise KeyError(key)


def _children(entry: Entry) -> list[Entry]:
    children = entry.get("children")
    return [c for c in children if isinstance(c, dict)] if isinstance(children, list) else []


def _pin_codable(entry: Entry) -> None:
    """Write down whether a code is codable before its children change: left out, it follows from
    whether the code has children, and a move or merge must not change it behind the user's back."""
    if "codable" not in entry:
        entry["codable"] = not _children(entry)


def _rename_links(data: dict[str, Any], mapping: Mapping[str, str]) -> None:
    toc = data.get("toc")
    if not isinstance(toc, dict) or not isinstance(toc.get("links"), list):
        return
    kept: list[Any] = []
    seen: set[str] = set()
    for link in toc["links"]:
        if isinstance(link, dict):
            for end in ("from", "to"):
                if link.get(end) in mapping:
                    link[end] = mapping[link[end]]
            if isinstance(link.get("moderates"), list):
                link["moderates"] = [mapping.get(key, key) for key in link["moderates"]]
            if link.get("to") is not None and link.get("from") == link.get("to"):
                continue  # a merge made both ends one code: the link says nothing any more
            signature = repr(sorted((k, repr(v)) for k, v in link.items()))
            if signature in seen:
                continue
            seen.add(signature)
        kept.append(link)
    toc["links"] = kept


def rename(data: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A copy with keys renamed (old → new, in entries, ``parent:`` fields and theory-of-change links);
    each renamed code gets ``renamed_from: OLD``."""
    edited = copy.deepcopy(dict(data))
    for entry, _, _ in list(entries(edited)):
        old = entry.get("key")
        if isinstance(old, str) and old in mapping:
            _set_key(entry, mapping[old], renamed_from=old)
        if entry.get("parent") in mapping:
            entry["parent"] = mapping[entry["parent"]]
    _rename_links(edited, mapping)
    return edited


def _set_key(entry: Entry, key: str, *, renamed_from: str) -> None:
    """Give an entry a new key, keeping the field order readable (renamed_from right after key)."""
    items = [(k, v) for k, v in entry.items() if k != "renamed_from"]
    entry.clear()
    for name, value in items:
        entry[name] = key if name == "key" else value
        if name == "key":
            entry["renamed_from"] = renamed_from


_LISTS = ("include", "exclude", "examples", "patterns", "exclude_patterns")


def merge(data: Mapping[str, Any], sources: Sequence[str], into: str) -> dict[str, Any]:
    """A copy where ``sources`` are folded into ``into``: their entries go, their criteria, examples
    and patterns (and exclusions) are added to ``into``'s, and ``into`` gets ``merged_from``."""
    edited = copy.deepcopy(dict(data))
    target, _, _ = _entry(edited, into)
    for key in sources:
        entry, holder, _ = _entry(edited, key)
        for field in _LISTS:
            values = entry.get(field)
            if not values:
                continue
            values = values if isinstance(values, list) else [values]
            mine = target.get(field) or []
            mine = mine if isinstance(mine, list) else [mine]
            target[field] = mine + [value for value in values if value not in mine]
        holder.remove(entry)
    earlier = target.get("merged_from") or []
    earlier = earlier if isinstance(earlier, list) else [earlier]
    target["merged_from"] = list(dict.fromkeys([*earlier, *sources]))
    _rename_links(edited, dict.fromkeys(sources, into))
    for entry, _, _ in entries(edited):  # no parent can name a merged code: checked before
        if entry.get("parent") in sources:
            entry["parent"] = into
    return edited


def move(data: Mapping[str, Any], key: str, parent: str | None, mapping: Mapping[str, str]) -> dict[str, Any]:
    """A copy with ``key`` (and its children) under ``parent`` (None: top level), keys renamed by
    ``mapping`` (the code and its descendants' new keys)."""
    edited = copy.deepcopy(dict(data))
    entry, holder, old_parent = _entry(edited, key)
    if old_parent is not None:
        _pin_codable(_entry(edited, old_parent)[0])
    if parent is not None:
        _pin_codable(_entry(edited, parent)[0])
    if "parent" in entry:  # a flat codebook names parents: the entry stays where it is
        if parent is None:
            del entry["parent"]
        else:
            entry["parent"] = parent
    else:
        holder.remove(entry)
        if parent is None:
            edited["codes"].append(entry)
        else:
            new_parent = _entry(edited, parent)[0]
            if not isinstance(new_parent.get("children"), list):
                new_parent["children"] = []
            new_parent["children"].append(entry)
    return rename(edited, mapping)


def with_version(data: Mapping[str, Any], version: int) -> dict[str, Any]:
    """A copy declaring ``version`` (the stored version number it will have), placed after the name."""
    items = [(k, v) for k, v in data.items() if k != "version"]
    out: dict[str, Any] = {}
    for name, value in items:
        out[name] = value
        if name == "name":
            out["version"] = version
    if "version" not in out:
        out = {"version": version, **out}
    return out


def dump(data: Mapping[str, Any], *, header: str) -> str:
    """The data as YAML text, with a comment header saying what made it."""
    import yaml

    body = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + body
