"""The pseudonym key as a YAML file the researcher keeps apart, and as plain data for a project.

The file looks like this (``aliases``, ``case_sensitive`` and ``ignored`` may be left out)::

    # qualkit pseudonym key: it maps pseudonyms back to real names. Keep it apart from
    # anything you share.
    version: 1
    entries:
      - original: Brookfield Primary
        pseudonym: School A
        kind: school
        source: case
        aliases: [Brookfield]
      - original: Chloe Rutherford
        pseudonym: ECT 1
        kind: person
        source: speaker
        aliases: [Chloe, Rutherford]
    ignored: [Rosenshine]

Errors name the file and line: ``pseudonym-key.yaml:9: entry 2: kind 'persn' is not one of
person, school, place, organisation, other (did you mean 'person'?)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from qualkit.errors import PseudonymisationError, YamlSourceError, did_you_mean
from qualkit.pseudonymise.key import EntrySource, KeyEntry, Kind, PseudonymKey, key_problems

E = TypeVar("E", Kind, EntrySource)
FORMAT_VERSION = 1
MAX_KEY_BYTES = 16 * 1024 * 1024
ENTRY_FIELDS = ("original", "pseudonym", "kind", "source", "aliases", "case_sensitive")
HEADER = (
    "# qualkit pseudonym key: it maps pseudonyms back to real names. Keep it apart from anything\n"
    "# you share. Edit pseudonyms, kinds and aliases freely; `qualkit pseudonymise key show` checks it.\n"
)


def key_to_data(key: PseudonymKey) -> dict[str, object]:
    """Plain data (dicts, lists, strings) for a project's settings, JSON or YAML."""
    entries: list[dict[str, object]] = []
    for entry in key.entries:
        item: dict[str, object] = {
            "original": entry.original,
            "pseudonym": entry.pseudonym,
            "kind": entry.kind.value,
            "source": entry.source.value,
        }
        if entry.aliases:
            item["aliases"] = list(entry.aliases)
        if entry.case_sensitive:
            item["case_sensitive"] = True
        entries.append(item)
    data: dict[str, object] = {"version": FORMAT_VERSION, "entries": entries}
    if key.ignored:
        data["ignored"] = list(key.ignored)
    return data


def key_from_data(
    data: object, *, where: str = "pseudonym key", lines: Mapping[tuple, int] | None = None,
) -> PseudonymKey:
    """A key from :func:`key_to_data`'s shape; every problem is reported at once, with its line
    when ``lines`` (from :mod:`qualkit.yamlsource`) says where each value was."""
    problems: list[str] = []

    def at(path: tuple) -> str:
        if lines is not None:
            while path and path not in lines:
                path = path[:-1]
            if path in lines:
                return f"{where}:{lines[path]}"
        return where

    if not isinstance(data, dict):
        raise PseudonymisationError(f"{at(())}: a pseudonym key is a mapping with 'version' and 'entries'")
    unknown = sorted(set(data) - {"version", "entries", "ignored"}, key=str)
    for name in unknown:
        hint = did_you_mean(str(name), ["version", "entries", "ignored"])
        problems.append(f"{at((name,))}: unknown field {name!r}{hint}")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        problems.append(f"{at(('version',))}: version {version!r} is not one qualkit reads (it reads {FORMAT_VERSION})")
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        raise PseudonymisationError(f"{at(('entries',))}: 'entries' must be a list of entries")
    entries: list[KeyEntry] = []
    entry_paths: list[tuple] = []
    for index, raw in enumerate(raw_entries):
        path = ("entries", index)
        label = f"entry {index + 1}"
        if not isinstance(raw, dict):
            problems.append(f"{at(path)}: {label}: must be a mapping with 'original', 'pseudonym' and 'kind'")
            continue
        for name in sorted(set(raw) - set(ENTRY_FIELDS), key=str):
            problems.append(f"{at((*path, name))}: {label}: unknown field {name!r}"
                            f"{did_you_mean(str(name), ENTRY_FIELDS)}")
        fields_ok = True
        for name in ("original", "pseudonym", "kind"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                problems.append(f"{at((*path, name))}: {label}: {name!r} must be given as text")
                fields_ok = False
        kind = _enum(Kind, raw.get("kind"), problems, at((*path, "kind")), label, "kind") if fields_ok else None
        source = _enum(EntrySource, raw.get("source", EntrySource.RESEARCHER.value), problems,
                       at((*path, "source")), label, "source")
        aliases = raw.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(f"{at((*path, 'aliases'))}: {label}: 'aliases' must be a list of names")
            aliases = []
        case_sensitive = raw.get("case_sensitive", False)
        if not isinstance(case_sensitive, bool):
            problems.append(f"{at((*path, 'case_sensitive'))}: {label}: 'case_sensitive' must be true or false")
            case_sensitive = False
        if kind is None or source is None:
            continue
        entries.append(KeyEntry(
            original=str(raw["original"]).strip(), pseudonym=str(raw["pseudonym"]).strip(), kind=kind,
            source=source, aliases=tuple(dict.fromkeys(a.strip() for a in aliases if a.strip())),
            case_sensitive=case_sensitive,
        ))
        entry_paths.append(path)
    ignored = data.get("ignored") or []
    if not isinstance(ignored, list) or not all(isinstance(i, str) for i in ignored):
        problems.append(f"{at(('ignored',))}: 'ignored' must be a list of names")
        ignored = []
    if not problems:
        for problem in key_problems(tuple(entries)):
            if problem.index is None:
                problems.append(f"{where}: {problem.message}")
            else:
                problems.append(f"{at(entry_paths[problem.index])}: entry {entry_paths[problem.index][1] + 1} "
                                f"({entries[problem.index].original!r}): {problem.message}")
    if problems:
        raise PseudonymisationError("\n".join(problems))
    return PseudonymKey(entries=tuple(entries), ignored=tuple(i.strip() for i in ignored if i.strip()))


def _enum(cls: type[E], value: object, problems: list[str], where: str, label: str, name: str) -> E | None:
    choices = [member.value for member in cls]
    if isinstance(value, str) and value.strip().casefold() in choices:
        return cls(value.strip().casefold())
    problems.append(f"{where}: {label}: {name} {value!r} is not one of {', '.join(choices)}"
                    f"{did_you_mean(str(value), choices)}")
    return None


def load_key(path: str | os.PathLike) -> PseudonymKey:
    """Read a key file; every problem is reported with the file and line."""
    from qualkit.yamlsource import load_yaml

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_KEY_BYTES:
            raise PseudonymisationError(f"{path}: {size:,} bytes is too large for a pseudonym key")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise PseudonymisationError(
            f"{path}: no such key file; make one with `qualkit pseudonymise key build`") from None
    except IsADirectoryError:
        raise PseudonymisationError(f"{path}: is a folder, not a key file") from None
    except UnicodeDecodeError as exc:
        raise PseudonymisationError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise PseudonymisationError(f"{path}: cannot read the key file ({exc.strerror})") from None
    try:
        source = load_yaml(text)
    except YamlSourceError as exc:
        location = f"{path}:{exc.line}" if exc.line else str(path)
        raise PseudonymisationError(f"{location}: {exc}") from None
    if source.data is None:
        return PseudonymKey()
    return key_from_data(source.data, where=str(path), lines=source.lines)


def dump_key(key: PseudonymKey) -> str:
    """The key file's text."""
    import yaml

    body = yaml.safe_dump(key_to_data(key), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return HEADER + body


def save_key(key: PseudonymKey, path: str | os.PathLike) -> Path:
    """Write the key file atomically, readable by its owner only (it names participants)."""
    from qualkit.atomicfile import write_text

    path = Path(path)
    return write_text(path, dump_key(key), mode=0o600, error=PseudonymisationError)
