"""Storage-independent records of a REFI-QDA exchange project.

Offsets are Unicode code points into the source text (qualkit's convention); the readers convert
whatever convention an exporter used. GUIDs are canonical lower-case UUID strings: the readers
normalise what they find and :func:`stable_guid` derives them for new records, so exporting the
same project twice gives identical files.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

# Fixed namespace for uuid5: the same kind and value always give the same GUID.
QUALKIT_NAMESPACE = uuid.UUID("6f1c1f8e-3f0a-5b8e-9a61-2b1d0f6c9e47")


def stable_guid(kind: str, *parts: object) -> str:
    """A GUID derived from ``kind`` and ``parts`` (uuid5), identical on every run."""
    return str(uuid.uuid5(QUALKIT_NAMESPACE, "\x1f".join((kind, *map(str, parts)))))


def canonical_guid(value: str) -> str | None:
    """``value`` as a lower-case GUID without braces, or None when it is not a GUID."""
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if len(text) != 36 or text.count("-") != 4:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class RefiCode:
    """A code of the codebook; ``key`` is qualkit's dotted code key (``culture.trust``)."""

    guid: str
    name: str
    color: str | None = None  # "#rrggbb"
    description: str | None = None
    children: tuple[RefiCode, ...] = ()
    key: str = ""
    codable: bool = True

    @classmethod
    def new(cls, key: str, name: str, **options) -> RefiCode:
        """A code whose GUID is derived from its key."""
        return cls(guid=stable_guid("code", key), name=name, key=key, **options)

    def walk(self) -> Iterator[RefiCode]:
        """This code, then its descendants depth-first."""
        yield self
        for child in self.children:
            yield from child.walk()


def walk_codes(codes: tuple[RefiCode, ...]) -> Iterator[RefiCode]:
    """Every code of a code tree, parents before children."""
    for code in codes:
        yield from code.walk()


@dataclass(frozen=True)
class RefiSource:
    """A plain-text source: ``text`` is the whole document with ``\\n`` line breaks."""

    guid: str
    name: str
    text: str
    attributes: dict[str, str] = field(default_factory=dict, hash=False)
    description: str | None = None

    @classmethod
    def new(cls, name: str, text: str, **options) -> RefiSource:
        """A source whose GUID is derived from its name."""
        return cls(guid=stable_guid("source", name), name=name, text=text, **options)


@dataclass(frozen=True)
class RefiCoding:
    """``code_guid`` applied to ``text[start:end]`` of a source (code points, end exclusive)."""

    source_guid: str
    start: int
    end: int
    code_guid: str
    user: str | None = None  # the GUID of a RefiUser
    created: datetime | None = None


@dataclass(frozen=True)
class RefiUser:
    """A coder."""

    guid: str
    name: str

    @classmethod
    def new(cls, name: str) -> RefiUser:
        return cls(guid=stable_guid("user", name), name=name)


@dataclass(frozen=True)
class RefiCase:
    """A case (a school, a participant) with attributes and the sources that belong to it."""

    guid: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict, hash=False)
    source_guids: tuple[str, ...] = ()
    description: str | None = None

    @classmethod
    def new(cls, name: str, **options) -> RefiCase:
        return cls(guid=stable_guid("case", name), name=name, **options)


@dataclass(frozen=True)
class RefiNote:
    """A memo. ``targets`` are GUIDs of the codes/sources it annotates (none: the project);
    ``source_guid``/``start``/``end`` anchor it to a span of a source's text. ``creating_user`` and
    ``modifying_user`` are GUIDs of RefiUsers (who wrote it, who wrote its present text)."""

    guid: str
    name: str
    text: str
    targets: tuple[str, ...] = ()
    source_guid: str | None = None
    start: int | None = None
    end: int | None = None
    creating_user: str | None = None
    created: datetime | None = None
    modifying_user: str | None = None
    modified: datetime | None = None


@dataclass(frozen=True)
class RefiSet:
    """A named group of codes and/or sources (MAXQDA document sets, ATLAS.ti code groups)."""

    guid: str
    name: str
    description: str | None = None
    code_guids: tuple[str, ...] = ()
    source_guids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiProject:
    """Everything one .qdpx carries that qualkit can use; ``warnings`` lists what could not be mapped."""

    name: str
    codes: tuple[RefiCode, ...] = ()  # roots of the code tree
    sources: tuple[RefiSource, ...] = ()
    codings: tuple[RefiCoding, ...] = ()
    users: tuple[RefiUser, ...] = ()
    cases: tuple[RefiCase, ...] = ()
    notes: tuple[RefiNote, ...] = ()
    sets: tuple[RefiSet, ...] = ()
    warnings: tuple[str, ...] = ()
    origin: str | None = None  # the program that wrote the file

    def all_codes(self) -> tuple[RefiCode, ...]:
        """Every code, parents before children."""
        return tuple(walk_codes(self.codes))

    def code_by_guid(self) -> dict[str, RefiCode]:
        return {code.guid: code for code in walk_codes(self.codes)}

    def source_by_guid(self) -> dict[str, RefiSource]:
        return {source.guid: source for source in self.sources}
