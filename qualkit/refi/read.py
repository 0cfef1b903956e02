"""Tolerant readers for REFI-QDA projects (.qdpx) and codebooks (.qdc) as real programs write them.

What the standard says and what exporters do differ (see the shared README): the project file may
be named after the project, sources may sit in ``Sources/``, texts may carry a BOM and CRLF, ids
may not be GUIDs, positions may count UTF-16 units. Everything that can be repaired is, and said
in ``warnings``; what cannot be mapped (PDF regions, pictures, audio) is skipped and said too.
Safety rules (zip slip, sizes, DTDs) raise :class:`RefiSafetyError` before anything is returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from qualkit.errors import RefiError, RefiSafetyError, RefiWarning
from qualkit.refi.model import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSet,
    RefiSource,
    RefiUser,
    canonical_guid,
    stable_guid,
)
from qualkit.refi.positions import CODE_POINTS, TextIndex, normalise_newlines, reconcile
from qualkit.refi.safety import DEFAULT_LIMITS, RefiLimits, SafeArchive, parse_xml, read_limited_file

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")  # as qualkit.codebook
_KEY_PI = re.compile(r'^qualkit\s+key="([^"]*)"\s*$')
_HEX6 = re.compile(r"^#[0-9a-fA-F]{6}$")
_HEX3 = re.compile(r"^#[0-9a-fA-F]{3}$")
_HEX8 = re.compile(r"^#[0-9a-fA-F]{8}$")
_RGB = re.compile(r"^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)$", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|[\\/]|file:)", re.IGNORECASE)
_SKIPPED_SOURCES = {"PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


def read_qdpx(path: str | Path, *, limits: RefiLimits = DEFAULT_LIMITS) -> RefiProject:
    """Read a .qdpx project: codes, plain-text sources, codings, users, cases, notes and sets."""
    path = Path(path)
    with SafeArchive(path, limits=limits) as archive:
        member, note = _find_qde(archive)
        where = f"{path.name}:{member}"
        root = parse_xml(archive.read(member), where=where)
        reader = _ProjectReader(path, archive, limits, where)
        if note:
            reader.warn(note)
        return reader.read(root)


def read_qdc(path: str | Path, *, limits: RefiLimits = DEFAULT_LIMITS) -> tuple[RefiCode, ...]:
    """Read a .qdc codebook into a code tree; non-conformities are reported as :class:`RefiWarning`."""
    import warnings

    path = Path(path)
    data = read_limited_file(path, limits=limits)
    if data.startswith(b"PK\x03\x04"):
        raise RefiError(
            f"{path}: this is a zip archive (a .qdpx project?), not a .qdc codebook; read it with read_qdpx"
        )
    root = parse_xml(data, where=str(path))
    context = _Context(path.name, limits)
    namespace = _strip_namespaces(root)
    name = root.tag
    if name == "Project":
        raise RefiError(f"{path}: this is a project file (QDA-XML Project), not a codebook; read it with read_qdpx")
    if name != "CodeBook":
        raise RefiError(f"{path}: not a REFI-QDA codebook (root element is <{name}>, expected <CodeBook>)")
    context.check_namespace(namespace, CODEBOOK_NS, "codebook")
    codes_el = _child(root, "Codes")
    codes = context.read_codes(codes_el) if codes_el is not None else ()
    if not codes:
        context.warn("the codebook has no codes")
    sets_el = _child(root, "Sets")
    if sets_el is not None:
        sets = _children(sets_el, "Set")
        if not sets:
            context.warn("empty <Sets/> element (the schema requires at least one Set); ignored it")
        else:
            names = ", ".join(repr(_attr(s, "name") or "?") for s in sets)
            context.warn(f"{len(sets)} code set(s) not imported ({names}); qualkit codebooks have no code groups")
    for message in context.finish():
        warnings.warn(f"{path.name}: {message}", RefiWarning, stacklevel=2)
    return codes


# --- XML helpers ---------------------------------------------------------------------------------


def _strip_namespaces(root) -> str | None:
    """Drop namespaces from element tags (every variant, or none, reads the same); return the root's."""
    namespace = None
    if isinstance(root.tag, str) and root.tag.startswith("{"):
        namespace = root.tag[1:].split("}", 1)[0]
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return namespace


def _elements(element):
    return [child for child in element if isinstance(child.tag, str)]


def _children(element, name: str):
    return [child for child in element if child.tag == name]


def _child(element, name: str):
    for child in element:
        if child.tag == name:
            return child
    return None


def _attr(element, name: str) -> str | None:
    value = element.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, value in element.attrib.items():
        if key.split("}")[-1].lower() == lower:
            return value
    return None


def _text(element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else (child.text or "")


def _key_hint(element) -> str | None:
    """The qualkit code key our writer leaves in a ``<?qualkit key="..."?>`` instruction."""
    for child in element:
        if not isinstance(child.tag, str) and child.text:
            match = _KEY_PI.match(child.text)
            if match:
                return match.group(1)
    return None


def slug(name: str) -> str:
    """A code-key segment: lower-case ASCII letters, digits and ``_``, starting with a letter."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not text:
        return "code"
    return text if text[0].isalpha() else f"c_{text}"


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


def _parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


class _NotText(Exception):
    """A source file's bytes are not text qualkit would ingest; the message says why."""


def _decode(data: bytes) -> tuple[str, str | None]:
    """Text of a source file and, when it was not UTF-8, a note saying what it was read as.

    The rule is ``qualkit ingest``'s (:mod:`qualkit.ingest.encoding`): UTF-8 with or without BOM,
    UTF-16 with a BOM, else Windows-1252 with a note; bytes that are none of these, or hold NUL
    characters (UTF-16 without a BOM, binary files), raise :class:`_NotText`. Line breaks are
    kept as they are: selection positions count them.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, note = data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise _NotText("it is not valid UTF-16 although it starts with a UTF-16 byte-order mark") from None
    elif b"\x00" in data:
        raise _NotText("it holds NUL bytes (UTF-16 without a byte-order mark, or not text at all)")
    else:
        try:
            text, note = data.decode("utf-8"), None
        except UnicodeDecodeError as utf8_error:
            try:
                text, note = data.decode("cp1252"), "Windows-1252 (it is not valid UTF-8)"
            except UnicodeDecodeError:
                raise _NotText(
                    f"it is neither UTF-8 (byte {utf8_error.start}) nor Windows-1252 text"
                ) from None
    if "\x00" in text:
        raise _NotText("it holds NUL characters, which no text has")
    return (text[1:] if text.startswith("\ufeff") else text), note


# --- shared context: GUIDs, codes, warnings ------------------------------------------------------


class _Context:
    """GUID normalisation, code-tree reading and warning collection shared by both readers."""

    def __init__(self, filename: str, limits: RefiLimits):
        self.filename = filename
        self.limits = limits
        self.warnings: list[str] = []
        self.defined: set[str] = set()
        self.not_guids: list[str] = []
        self.codes: dict[str, RefiCode] = {}
        self.code_notes: dict[str, list[str]] = defaultdict(list)  # note guid -> code guids
        self.keys_taken: set[str] = set()
        self.counts: Counter[str] = Counter()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def check_namespace(self, namespace: str | None, expected: str, what: str) -> None:
        if namespace is None:
            self.warn(f"the {what} has no XML namespace (expected {expected!r}); read it anyway")
        elif namespace != expected:
            self.warn(f"the {what} uses namespace {namespace!r} instead of {expected!r}; read it anyway")

    def ref(self, raw: str | None) -> str | None:
        """A referenced id as a canonical GUID (non-GUID ids map to the same derived GUID everywhere)."""
        if raw is None or not raw.strip():
            return None
        guid = canonical_guid(raw)
        if guid is None:
            if raw not in self.not_guids:
                self.not_guids.append(raw)
            guid = stable_guid("refi-id", raw.strip())
        return guid

    def define(self, raw: str | None, what: str, name: str | None) -> str:
        """The GUID of a newly defined element; a missing or repeated id gets a derived one."""
        guid = self.ref(raw)
        if guid is None:
            self.counts["missing guid"] += 1
            guid = stable_guid("refi-missing", what, name or "", str(self.counts["missing guid"]))
        elif guid in self.defined:
            self.warn(f"{what} {name!r} reuses GUID {raw} of another element; gave it a new GUID")
            guid = stable_guid("refi-duplicate", guid, what, name or "", str(len(self.defined)))
        self.defined.add(guid)
        return guid

    def color(self, value: str | None, name: str) -> str | None:
        if value is None or not value.strip():
            return None
        text = value.strip()
        if _HEX6.match(text):
            return text
        if _HEX3.match(text):
            return "#" + "".join(char * 2 for char in text[1:])
        if _HEX8.match(text):
            self.counts["color alpha"] += 1  # #AARRGGBB, as Windows programs write it
            return "#" + text[3:]
        match = _RGB.match(text)
        if match and all(int(part) <= 255 for part in match.groups()):
            self.counts["color rgb"] += 1
            return "#{:02x}{:02x}{:02x}".format(*(int(part) for part in match.groups()))
        self.warn(f"code {name!r} has colour {value!r}, which is not #rrggbb; dropped it")
        return None

    def read_codes(self, codes_el) -> tuple[RefiCode, ...]:
        return tuple(self._code(element, None, 1) for element in _children(codes_el, "Code"))

    def _code(self, element, parent_key: str | None, depth: int) -> RefiCode:
        if depth > self.limits.max_code_depth:
            raise RefiSafetyError(
                f"{self.filename}: codes nested more than {self.limits.max_code_depth} deep; refusing the file"
            )
        name = _attr(element, "name")
        if not name:
            self.counts["code without name"] += 1
            name = "Unnamed code"
        guid = self.define(_attr(element, "guid"), "code", name)
        codable_text = _attr(element, "isCodable")
        if codable_text is None:
            self.counts["code without isCodable"] += 1
        codable = (codable_text or "true").strip().lower() not in ("false", "0")
        key = self._key(name, parent_key, _key_hint(element))
        for note_ref in _children(element, "NoteRef"):
            note = self.ref(_attr(note_ref, "targetGUID"))
            if note:
                self.code_notes[note].append(guid)
        children = tuple(self._code(child, key, depth + 1) for child in _children(element, "Code"))
        code = RefiCode(
            guid=guid,
            name=name,
            color=self.color(_attr(element, "color"), name),
            description=_text(element, "Description") or None,
            children=children,
            key=key,
            codable=codable,
        )
        self.codes[guid] = code
        return code

    def _key(self, name: str, parent_key: str | None, hint: str | None) -> str:
        if hint and KEY_PATTERN.match(hint) and hint not in self.keys_taken:
            self.keys_taken.add(hint)
            return hint
        base = slug(name) if parent_key is None else f"{parent_key}.{slug(name)}"
        key, number = base, 1
        while key in self.keys_taken:
            number += 1
            key = f"{base}_{number}"
        self.keys_taken.add(key)
        return key

    def finish(self) -> list[str]:
        """The collected warnings, with counted repairs summarised once."""
        messages = list(self.warnings)
        if self.not_guids:
            examples = ", ".join(repr(value) for value in self.not_guids[:3])
            messages.append(
                f"{len(self.not_guids)} id(s) are not GUIDs (e.g. {examples}); replaced them with derived GUIDs"
            )
        summaries = {
            "missing guid": "element(s) had no guid; gave them derived GUIDs",
            "code without name": "code(s) had no name; called them 'Unnamed code'",
            "code without isCodable": "code(s) lack the required isCodable attribute; treated them as codable",
            "color rgb": "colour(s) were written as rgb(); converted them to #rrggbb",
            "color alpha": "colour(s) had an alpha channel; dropped it",
        }
        for counter, text in summaries.items():
            if self.counts[counter]:
                messages.append(f"{self.counts[counter]} {text}")
        return messages


# --- project reader ------------------------------------------------------------------------------


def _find_qde(archive: SafeArchive) -> tuple[str, str | None]:
    """The project XML member, and a note when it is not the standard ``project.qde``."""
    names = archive.names()
    exact = archive.find("project.qde")
    if exact:
        return exact, None
    top = [name for name in names if name.lower().endswith(".qde") and "/" not in name]
    anywhere = [name for name in names if name.lower().endswith(".qde")]
    candidates = top or anywhere
    if len(candidates) == 1:
        return candidates[0], f"the project file is {candidates[0]!r} rather than 'project.qde'; read it"
    if not candidates:
        shown = ", ".join(names[:8]) or "nothing"
        hint = " (a codebook? read it with read_qdc)" if any(n.lower().endswith(".qdc") for n in names) else ""
        raise RefiError(
            f"{archive.path}: no project.qde in the archive{hint}; it holds {shown}. Is it a REFI-QDA .qdpx export?"
        )
    raise RefiError(
        f"{archive.path}: several project files ({', '.join(candidates)}) and no project.qde; "
        "export the project again"
    )


@dataclass
class _Selection:
    guid: str
    name: str | None
    start: int
    end: int
    codings: list  # raw Coding elements
    description: str | None
    note_refs: list[str]
    creating_user: str | None = None  # the raw attribute: who made the selection (and its description)
    created: datetime | None = None


@dataclass
class _RawSource:
    guid: str
    name: str
    raw_text: str
    description: str | None
    attributes: dict[str, str]
    selections: list[_Selection] = field(default_factory=list)
    whole_codings: list = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)


class _ProjectReader:
    def __init__(self, path: Path, archive: SafeArchive, limits: RefiLimits, where: str):
        self.path = path
        self.archive = archive
        self.where = where
        self.context = _Context(path.name, limits)
        self.variables: dict[str, str] = {}
        self.selection_source: dict[str, str] = {}
        self.non_internal: list[str] = []
        self.spans: dict[str, tuple[str, int, int]] = {}

    def warn(self, message: str) -> None:
        self.context.warn(message)

    # -- top level

    def read(self, root) -> RefiProject:
        namespace = _strip_namespaces(root)
        if root.tag == "CodeBook":
            raise RefiError(f"{self.where}: this holds a codebook, not a project; read it with read_qdc")
        if root.tag != "Project":
            raise RefiError(f"{self.where}: not a REFI-QDA project (root element is <{root.tag}>, expected <Project>)")
        self.context.check_namespace(namespace, PROJECT_NS, "project")
        origin = _attr(root, "origin")
        name = _attr(root, "name") or self.path.stem
        users = self._users(root)
        self.variables = {
            guid: _attr(variable, "name") or "variable"
            for variable in root.iter("Variable")
            if (guid := self.context.ref(_attr(variable, "guid")))
        }
        codebook = _child(root, "CodeBook")
        codes_el = _child(codebook, "Codes") if codebook is not None else None
        codes = self.context.read_codes(codes_el) if codes_el is not None else ()
        raw_sources = self._sources(_child(root, "Sources"))
        sources, codings, span_notes = self._map_positions(raw_sources, origin, {u.guid for u in users})
        source_guids = {source.guid for source in sources}
        notes = self._notes(root, raw_sources, span_notes, {u.guid for u in users})
        cases = self._cases(root, source_guids)
        sets = self._sets(root, source_guids)
        for what in ("Links", "Graphs"):
            element = _child(root, what)
            if element is not None and _elements(element):
                self.warn(f"{len(_elements(element))} {what.lower()} not imported (qualkit has no {what.lower()})")
        if self.non_internal:
            examples = ", ".join(repr(value) for value in self.non_internal[:3])
            self.warn(
                f"{len(self.non_internal)} source path(s) lack 'internal://' (e.g. {examples}), which the standard "
                "requires for files inside the archive; looked them up in the archive's sources folder"
            )
        return RefiProject(
            name=name,
            codes=codes,
            sources=tuple(sources),
            codings=tuple(codings),
            users=tuple(users),
            cases=tuple(cases),
            notes=tuple(notes),
            sets=tuple(sets),
            warnings=tuple(f"{self.path.name}: {message}" for message in self.context.finish()),
            origin=origin,
        )

    def _users(self, root) -> list[RefiUser]:
        users = []
        for element in root.iter("User"):
            name = _attr(element, "name") or _attr(element, "id") or "unnamed user"
            users.append(RefiUser(guid=self.context.define(_attr(element, "guid"), "user", name), name=name))
        return users

    # -- sources

    def _sources(self, sources_el) -> list[_RawSource]:
        if sources_el is None:
            return []
        result: list[_RawSource] = []
        skipped: Counter[str] = Counter()
        lost_codings = 0
        for element in _elements(sources_el):
            kind = element.tag
            if kind == "TextSource":
                source = self._text_source(element, element)
            elif kind == "PDFSource":
                representation = _child(element, "Representation")
                regions = len(_children(element, "PDFSelection"))
                if representation is None:
                    skipped["PDF"] += 1
                    lost_codings += sum(1 for _ in element.iter("Coding"))
                    continue
                source = self._text_source(representation, element)
                if source is not None:
                    self.warn(
                        f"PDF source {source.name!r} imported as its plain-text representation"
                        + (f"; {regions} PDF region selection(s) not imported" if regions else "")
                    )
            elif kind in _SKIPPED_SOURCES:
                skipped[_SKIPPED_SOURCES[kind]] += 1
                lost_codings += sum(1 for _ in element.iter("Coding"))
                continue
            else:
                skipped[f"unknown <{kind}>"] += 1
                continue
            if source is not None:
                result.append(source)
        for kind, count in skipped.items():
            self.warn(f"{count} {kind} source(s) skipped: qualkit imports plain-text sources only")
        if lost_codings:
            self.warn(f"{lost_codings} coding(s) on skipped non-text sources not imported")
        return result

    def _text_source(self, element, outer) -> _RawSource | None:
        """A TextSource (or the text representation of ``outer``, a PDF source)."""
        name = _attr(outer, "name") or _attr(element, "name")
        path_value = _attr(element, "plainTextPath")
        if not name:
            name = PurePosixPath((path_value or "").replace("\\", "/")).stem or "unnamed source"
        guid = self.context.define(_attr(outer, "guid"), "source", name)
        try:
            text = self._load_text(element, name, path_value)
        except _NotText as why:
            self.warn(f"source {name!r} skipped: {why}")
            return None
        if text is None:
            rich = _attr(element, "richTextPath")
            missing = f"only rich text ({rich!r}), which qualkit does not read" if rich else "no plain text"
            self.warn(f"source {name!r} skipped: it has {missing}")
            return None
        attributes = self._values(outer)  # recursive: a PDF's representation included
        source = _RawSource(
            guid=guid,
            name=name,
            raw_text=text,
            description=_text(element, "Description") or _text(outer, "Description") or None,
            attributes=attributes,
        )
        rich = _attr(element, "richTextPath")
        if not text.strip() and (rich or not text):
            extra = f" (its rich text {rich!r} is not read)" if rich else ""
            self.warn(f"source {name!r} has an empty plain text{extra}; imported it empty")
        for selection_el in _children(element, "PlainTextSelection"):
            sel_guid = self.context.define(_attr(selection_el, "guid"), "selection", _attr(selection_el, "name"))
            self.selection_source[sel_guid] = guid
            start = _parse_int(_attr(selection_el, "startPosition"))
            end = _parse_int(_attr(selection_el, "endPosition"))
            if start is None or end is None:
                self.warn(f"a selection in source {name!r} has no usable start/end positions; skipped it")
                continue
            source.selections.append(
                _Selection(
                    guid=sel_guid,
                    name=_attr(selection_el, "name"),
                    start=start,
                    end=end,
                    codings=_children(selection_el, "Coding"),
                    description=(_text(selection_el, "Description") or "").strip() or None,
                    note_refs=self._note_refs(selection_el),
                    creating_user=_attr(selection_el, "creatingUser"),
                    created=_parse_datetime(_attr(selection_el, "creationDateTime")),
                )
            )
        source.whole_codings = _children(element, "Coding")
        source.note_refs = self._note_refs(element)
        if outer is not element:
            source.whole_codings += _children(outer, "Coding")
            source.note_refs += self._note_refs(outer)
        return source

    def _note_refs(self, element) -> list[str]:
        refs = (self.context.ref(_attr(ref, "targetGUID")) for ref in _children(element, "NoteRef"))
        return [ref for ref in refs if ref]

    def _load_text(self, element, name: str, path_value: str | None) -> str | None:
        """The plain text of a TextSource/Note, read from the archive only (never from disk);
        :class:`_NotText` if its file is not text."""
        if path_value and path_value.strip():
            member = self._locate(path_value.strip(), name)
            if member is not None:
                try:
                    text, encoding = _decode(self.archive.read(member))
                except _NotText as why:
                    raise _NotText(f"its text file {member!r} is not text: {why}; export it again as UTF-8") from None
                if encoding:
                    self.warn(f"source {name!r} ({member}) is not UTF-8; read it as {encoding}")
                return text
        content = _child(element, "PlainTextContent")
        if content is not None:
            return content.text or ""
        return None

    def _locate(self, value: str, name: str) -> str | None:
        archive = self.archive
        if value.lower().startswith("internal://"):
            relative = value[len("internal://"):].replace("\\", "/").lstrip("/")
            if ".." not in relative.split("/"):
                for candidate in (f"sources/{relative}", relative, f"sources/{unquote(relative)}"):
                    if found := archive.find(candidate):
                        return found
            matches = archive.find_basename(PurePosixPath(relative).name)
            if len(matches) == 1:
                return matches[0]
            self.warn(f"source {name!r}: {value!r} is not in the archive")
            return None
        relative = value.replace("\\", "/")
        outside = bool(_ABSOLUTE.match(value)) or ".." in relative.split("/")
        if not outside:
            for candidate in (f"sources/{relative}", relative):
                if found := archive.find(candidate):
                    self.non_internal.append(value)
                    return found
        basename = PurePosixPath(relative).name
        matches = archive.find_basename(basename) if basename else []
        if len(matches) == 1:
            if outside:
                self.warn(
                    f"source {name!r} points outside the archive ({value!r}); used the archive's copy {matches[0]!r}"
                )
            else:
                self.non_internal.append(value)
            return matches[0]
        where = "outside the archive" if outside else "not in the archive"
        self.warn(f"source {name!r}: its text file {value!r} is {where}; files outside the .qdpx are never read")
        return None

    def _values(self, element) -> dict[str, str]:
        """Variable values of a source or case, wherever the exporter nested them."""
        values: dict[str, str] = {}
        for value_el in element.iter("VariableValue"):
            ref = _child(value_el, "VariableRef")
            guid = self.context.ref(_attr(ref, "targetGUID")) if ref is not None else None
            name = self.variables.get(guid) if guid else None
            name = name or _attr(value_el, "name") or (ref is not None and _attr(ref, "name")) or None
            if not name:
                self.warn("a variable value refers to an unknown variable; skipped it")
                continue
            value = ""
            for child in _elements(value_el):
                if child.tag != "VariableRef":
                    value = child.text or ""
                    value = value if child.tag == "TextValue" else value.strip()
                    break
            values[name] = value
        return values

    # -- positions and codings

    def _map_positions(self, raw_sources: list[_RawSource], origin: str | None, user_guids: set[str]):
        indexes = {source.guid: TextIndex(source.raw_text) for source in raw_sources}
        flat = [(source, selection) for source in raw_sources for selection in source.selections]
        convention, mapped = reconcile(
            [(indexes[source.guid], selection.start, selection.end) for source, selection in flat], origin=origin
        )
        if convention is not CODE_POINTS:
            self.warn(
                f"selection positions count {convention.describe()} (origin {origin!r}), not code points as the "
                "standard says; converted them so every selection keeps its text"
            )
        spans: dict[str, tuple[str, int, int]] = {}
        bad: list[str] = []
        for (source, selection), span in zip(flat, mapped, strict=True):
            if span.start is None or span.end is None:
                bad.append(f"{source.name!r} {selection.start}-{selection.end}")
                continue
            spans[selection.guid] = (source.guid, span.start, span.end)
        if bad:
            self.warn(
                f"{len(bad)} selection(s) fall outside their source text or are empty (e.g. {', '.join(bad[:3])}); "
                "skipped them"
            )
        codings: list[RefiCoding] = []
        unknown_codes: list[str] = []
        unknown_users: set[str] = set()
        whole = 0

        def add(coding_el, source_guid: str, start: int, end: int) -> None:
            ref = _child(coding_el, "CodeRef")
            code = self.context.ref(_attr(ref, "targetGUID")) if ref is not None else None
            if code is None or code not in self.context.codes:
                unknown_codes.append((_attr(ref, "targetGUID") or "(no guid)") if ref is not None else "(no CodeRef)")
                return
            user = self.context.ref(_attr(coding_el, "creatingUser"))
            if user is not None and user not in user_guids:
                unknown_users.add(_attr(coding_el, "creatingUser") or "")
                user = None
            codings.append(
                RefiCoding(source_guid, start, end, code, user, _parse_datetime(_attr(coding_el, "creationDateTime")))
            )

        span_notes: list[RefiNote] = []
        for _, selection in flat:
            if selection.guid not in spans:
                continue
            source_guid, start, end = spans[selection.guid]
            for coding_el in selection.codings:
                add(coding_el, source_guid, start, end)
            if selection.description:
                author = self.context.ref(selection.creating_user)
                span_notes.append(
                    RefiNote(
                        guid=stable_guid("selection-description", selection.guid),
                        name=selection.name or "Selection memo",
                        text=selection.description,
                        source_guid=source_guid,
                        start=start,
                        end=end,
                        creating_user=author if author in user_guids else None,
                        created=selection.created,
                    )
                )
        for source in raw_sources:
            length = len(indexes[source.guid].text)
            for coding_el in source.whole_codings if length else ():
                whole += 1
                add(coding_el, source.guid, 0, length)
        if unknown_codes:
            examples = ", ".join(repr(value) for value in unknown_codes[:3])
            self.warn(
                f"{len(unknown_codes)} coding(s) point at codes not in the codebook (e.g. {examples}); skipped them"
            )
        if unknown_users:
            self.warn(f"codings name unknown user(s) {sorted(unknown_users)}; imported them without a user")
        if whole:
            self.warn(f"{whole} coding(s) apply to whole sources; mapped them to the full text")
        self.spans = spans
        sources = [
            RefiSource(
                guid=source.guid,
                name=source.name,
                text=indexes[source.guid].text,
                attributes=source.attributes,
                description=source.description,
            )
            for source in raw_sources
        ]
        return sources, codings, span_notes

    # -- notes, cases, sets

    def _notes(self, root, raw_sources: list[_RawSource], span_notes: list[RefiNote],
               user_guids: set[str]) -> list[RefiNote]:
        notes_el = _child(root, "Notes")
        if notes_el is None:
            return span_notes
        targets: dict[str, list[str]] = defaultdict(list)
        for note, codes in self.context.code_notes.items():
            targets[note].extend(codes)
        anchors: dict[str, tuple[str, int, int]] = {}
        for source in raw_sources:
            for note in source.note_refs:
                targets[note].append(source.guid)
            for selection in source.selections:
                span = self.spans.get(selection.guid)
                for note in selection.note_refs:
                    if span and note not in anchors:
                        anchors[note] = span
                    elif span:
                        targets[note].append(span[0])
        notes: list[RefiNote] = []
        for element in _children(notes_el, "Note"):
            name = _attr(element, "name") or "Note"
            guid = self.context.define(_attr(element, "guid"), "note", name)
            try:
                text = self._load_text(element, name, _attr(element, "plainTextPath"))
            except _NotText as why:
                self.warn(f"note {name!r} skipped: {why}")
                continue
            if text is None:
                self.warn(f"note {name!r} has no plain text; skipped it")
                continue
            anchor = anchors.get(guid)
            creating, modifying = (self.context.ref(_attr(element, name)) for name in ("creatingUser", "modifyingUser"))
            notes.append(
                RefiNote(
                    guid=guid,
                    name=name,
                    text=normalise_newlines(text),
                    targets=tuple(dict.fromkeys(targets.get(guid, ()))),
                    source_guid=anchor[0] if anchor else None,
                    start=anchor[1] if anchor else None,
                    end=anchor[2] if anchor else None,
                    creating_user=creating if creating in user_guids else None,
                    created=_parse_datetime(_attr(element, "creationDateTime")),
                    modifying_user=modifying if modifying in user_guids else None,
                    modified=_parse_datetime(_attr(element, "modifiedDateTime")),
                )
            )
        return notes + span_notes

    def _cases(self, root, source_guids: set[str]) -> list[RefiCase]:
        cases: list[RefiCase] = []
        unknown = 0
        code_refs = 0
        for element in root.iter("Case"):
            name = _attr(element, "name") or "Unnamed case"
            guid = self.context.define(_attr(element, "guid"), "case", name)
            members: list[str] = []
            for ref in _children(element, "SourceRef"):
                target = self.context.ref(_attr(ref, "targetGUID"))
                if target in source_guids:
                    members.append(target)
                else:
                    unknown += 1
            for ref in _children(element, "SelectionRef"):
                source = self.selection_source.get(self.context.ref(_attr(ref, "targetGUID")) or "")
                if source in source_guids:
                    members.append(source)
                else:
                    unknown += 1
            code_refs += len(_children(element, "CodeRef"))
            cases.append(
                RefiCase(
                    guid=guid,
                    name=name,
                    attributes=self._values(element),
                    source_guids=tuple(dict.fromkeys(members)),
                    description=_text(element, "Description") or None,
                )
            )
        if any(_children(element, "SelectionRef") for element in root.iter("Case")):
            self.warn("cases that reference selections were mapped to the sources holding those selections")
        if unknown:
            self.warn(f"{unknown} case member(s) refer to sources that were not imported; left them out")
        if code_refs:
            self.warn(f"{code_refs} code reference(s) on cases not imported")
        return cases

    def _sets(self, root, source_guids: set[str]) -> list[RefiSet]:
        sets_el = _child(root, "Sets")
        if sets_el is None:
            return []
        elements = _children(sets_el, "Set")
        if not elements:
            self.warn("empty <Sets/> element (the schema requires at least one Set); ignored it")
        result = []
        for element in elements:
            name = _attr(element, "name") or "Unnamed set"
            codes, sources = [], []
            for ref in _children(element, "MemberCode"):
                target = self.context.ref(_attr(ref, "targetGUID") or _attr(ref, "guid"))
                if target in self.context.codes:
                    codes.append(target)
            for ref in _children(element, "MemberSource"):
                target = self.context.ref(_attr(ref, "targetGUID") or _attr(ref, "guid"))
                if target in source_guids:
                    sources.append(target)
            result.append(
                RefiSet(
                    guid=self.context.define(_attr(element, "guid"), "set", name),
                    name=name,
                    description=_text(element, "Description") or None,
                    code_guids=tuple(codes),
                    source_guids=tuple(sources),
                )
            )
        return result
