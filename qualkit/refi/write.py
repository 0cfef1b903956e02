"""Write REFI-QDA projects (.qdpx) and codebooks (.qdc) that validate against the QDA-XML 1.0 schemas.

Output is deterministic (fixed zip timestamps, stable order, GUIDs taken from the records, which
:func:`~qualkit.refi.model.stable_guid` derives from keys and names), so exporting the same project
twice gives identical bytes. Files are written to a temporary name and renamed into place, so a
crash never leaves half an export. qualkit code keys travel in ``<?qualkit key="..."?>`` processing
instructions, which schema validation and other programs ignore.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from qualkit.errors import RefiError
from qualkit.refi.model import RefiCode, RefiProject, RefiSet, canonical_guid, stable_guid

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_KEY = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
_RGB = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _origin() -> str:
    from qualkit import __version__

    return f"qualkit {__version__}"


def write_qdpx(project: RefiProject, path: str | Path) -> Path:
    """Write ``project`` as a .qdpx archive: ``project.qde`` plus ``sources/<guid>.txt`` in UTF-8."""
    path = Path(path)
    document, members = _ProjectWriter(project).build()
    _atomic_write(path, lambda stream: _write_zip(stream, [("project.qde", document), *members]))
    return path


def write_qdc(
    codes: tuple[RefiCode, ...] | list[RefiCode], path: str | Path, name: str | None = None, *, sets=()
) -> Path:
    """Write a code tree as a .qdc codebook; ``name`` goes into a comment (the schema has no name)."""
    import xml.etree.ElementTree as ET

    path = Path(path)
    codes = tuple(codes)
    if not codes:
        raise RefiError(f"{path}: a REFI-QDA codebook needs at least one code; nothing to write")
    registry = _Registry()
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": _origin()})
    if name:
        root.append(ET.Comment(f" codebook: {_xml(name).replace('--', '- -')} "))
    codes_el = ET.SubElement(root, "Codes")
    for code in codes:
        _code_element(codes_el, code, registry, note_refs={}, depth=1)
    if sets:
        sets_el = ET.SubElement(root, "Sets")
        for group in sets:
            set_el = _set_element(sets_el, group, registry)
            for member in set_el.findall("MemberCode"):  # the codebook schema names it guid, not targetGUID
                member.set("guid", member.attrib.pop("targetGUID"))
    _atomic_write(path, lambda stream: stream.write(_serialise(root)))
    return path


# --- helpers -------------------------------------------------------------------------------------


def _xml(text: str) -> str:
    """``text`` without characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _NOT_XML.sub("\ufffd", text)


def _xml_content(text: str) -> str:
    """Element content: XML parsers turn CR into LF, so write LF."""
    return _xml(text.replace("\r\n", "\n").replace("\r", "\n"))


def _datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def _serialise(root) -> bytes:
    import xml.etree.ElementTree as ET

    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _write_zip(stream, members: list[tuple[str, bytes]]) -> None:
    import zipfile

    with zipfile.ZipFile(stream, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def _atomic_write(path: Path, write) -> None:
    """Write through a unique temporary in the same folder, renamed over ``path``; the file gets the
    mode every other export gets (0o666 less the umask)."""
    from qualkit.atomicfile import write_stream

    write_stream(path, write, error=RefiError)


class _Registry:
    """Checks that every GUID is a real, unique GUID and remembers what each one is."""

    def __init__(self):
        self.kinds: dict[str, str] = {}
        self.codes: dict[str, RefiCode] = {}
        self.keys: set[str] = set()

    def own(self, guid: str, what: str) -> str:
        canonical = canonical_guid(guid or "")
        if canonical is None:
            raise RefiError(f"{what} has id {guid!r}, which is not a GUID; derive one with qualkit.refi.stable_guid()")
        if canonical in self.kinds:
            raise RefiError(f"{what} reuses GUID {guid} of a {self.kinds[canonical]}; GUIDs must be unique")
        self.kinds[canonical] = what.split(" ", 1)[0]
        return canonical

    def ref(self, guid: str | None, kinds: set[str], what: str) -> str:
        canonical = canonical_guid(guid or "")
        if canonical is None or self.kinds.get(canonical) not in kinds:
            wanted = " or ".join(sorted(kinds))
            raise RefiError(f"{what} refers to {guid!r}, which is not a {wanted} of the project")
        return canonical


def _code_element(parent, code: RefiCode, registry: _Registry, *, note_refs: dict[str, list[str]], depth: int):
    import xml.etree.ElementTree as ET

    if depth > 100:
        raise RefiError(f"code {code.name!r}: codes nest more than 100 deep")
    guid = registry.own(code.guid, f"code {code.name!r}")
    registry.codes[guid] = code
    attributes = {"guid": guid, "name": _xml(code.name), "isCodable": "true" if code.codable else "false"}
    if code.color:
        if not _RGB.match(code.color):
            raise RefiError(f"code {code.name!r}: colour {code.color!r} is not #rrggbb")
        attributes["color"] = code.color
    element = ET.SubElement(parent, "Code", attributes)
    if code.key in registry.keys:
        raise RefiError(f"code {code.name!r}: key {code.key!r} is used by another code; keys must be unique")
    if code.key:
        registry.keys.add(code.key)
    if code.key and _KEY.match(code.key):
        element.append(ET.ProcessingInstruction("qualkit", f'key="{code.key}"'))
    if code.description:
        ET.SubElement(element, "Description").text = _xml_content(code.description)
    for note in note_refs.get(guid, ()):
        ET.SubElement(element, "NoteRef", {"targetGUID": note})
    for child in code.children:
        _code_element(element, child, registry, note_refs=note_refs, depth=depth + 1)
    return element


def _set_element(parent, group: RefiSet, registry: _Registry):
    import xml.etree.ElementTree as ET

    guid = registry.own(group.guid, f"set {group.name!r}")
    element = ET.SubElement(parent, "Set", {"guid": guid, "name": _xml(group.name)})
    if group.description:
        ET.SubElement(element, "Description").text = _xml_content(group.description)
    for code in group.code_guids:
        ET.SubElement(element, "MemberCode", {"targetGUID": registry.ref(code, {"code"}, f"set {group.name!r}")})
    for source in group.source_guids:
        ET.SubElement(element, "MemberSource", {"targetGUID": registry.ref(source, {"source"}, f"set {group.name!r}")})
    return element


class _LineBreaks:
    """Maps code-point offsets of a text with CR/CRLF line breaks onto the same text with LF only."""

    def __init__(self, text: str):
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._gone = [match.start() + 1 for match in re.finditer("\r\n", text)]  # raw index of each dropped \n

    def map(self, offset: int) -> int:
        return offset - bisect_left(self._gone, offset) if self._gone else offset


class _ProjectWriter:
    def __init__(self, project: RefiProject):
        self.project = project
        self.registry = _Registry()

    def build(self) -> tuple[bytes, list[tuple[str, bytes]]]:
        import xml.etree.ElementTree as ET

        project = self.project
        registry = self.registry
        root = ET.Element("Project", {"xmlns": PROJECT_NS, "name": _xml(project.name or "qualkit project")})
        root.set("origin", _origin())

        # Register everything first: notes and codings may point at any of it.
        users = [(registry.own(user.guid, f"user {user.name!r}"), user) for user in project.users]
        sources = [(registry.own(source.guid, f"source {source.name!r}"), source) for source in project.sources]
        notes = [(registry.own(note.guid, f"note {note.name!r}"), note) for note in project.notes]
        note_refs, project_notes, span_notes = self._note_targets(notes)

        if users:
            users_el = ET.SubElement(root, "Users")
            for guid, user in users:
                ET.SubElement(users_el, "User", {"guid": guid, "name": _xml(user.name)})
        if project.codes:
            codes_el = ET.SubElement(ET.SubElement(root, "CodeBook"), "Codes")
            for code in project.codes:
                _code_element(codes_el, code, registry, note_refs=note_refs, depth=1)
        self._check_note_targets(note_refs)

        variables = list(dict.fromkeys(
            [name for _, source in sources for name in source.attributes]
            + [name for case in project.cases for name in case.attributes]
        ))
        variable_guids = {name: stable_guid("variable", name) for name in variables}
        if variables:
            variables_el = ET.SubElement(root, "Variables")
            for name in variables:
                guid = registry.own(variable_guids[name], f"variable {name!r}")
                ET.SubElement(variables_el, "Variable", {"guid": guid, "name": _xml(name), "typeOfVariable": "Text"})

        if project.cases:
            cases_el = ET.SubElement(root, "Cases")
            for case in project.cases:
                guid = registry.own(case.guid, f"case {case.name!r}")
                case_el = ET.SubElement(cases_el, "Case", {"guid": guid, "name": _xml(case.name)})
                if case.description:
                    ET.SubElement(case_el, "Description").text = _xml_content(case.description)
                self._values(case_el, case.attributes, variable_guids)
                for source_guid in case.source_guids:
                    target = registry.ref(source_guid, {"source"}, f"case {case.name!r}")
                    ET.SubElement(case_el, "SourceRef", {"targetGUID": target})

        members: list[tuple[str, bytes]] = []
        if sources:
            sources_el = ET.SubElement(root, "Sources")
            selections = self._selections(dict(sources), span_notes)
            for guid, source in sources:
                source_el = ET.SubElement(
                    sources_el,
                    "TextSource",
                    {"guid": guid, "name": _xml(source.name), "plainTextPath": f"internal://{guid}.txt"},
                )
                if source.description:
                    ET.SubElement(source_el, "Description").text = _xml_content(source.description)
                for selection in selections.get(guid, ()):
                    source_el.append(selection)
                for note in note_refs.get(guid, ()):
                    ET.SubElement(source_el, "NoteRef", {"targetGUID": note})
                self._values(source_el, source.attributes, variable_guids)
                members.append((f"sources/{guid}.txt", self._text_bytes(source)))

        if notes:
            notes_el = ET.SubElement(root, "Notes")
            for guid, note in notes:
                note_el = ET.SubElement(notes_el, "Note", self._note_attributes(guid, note))
                ET.SubElement(note_el, "PlainTextContent").text = _xml_content(note.text)
        if project.sets:
            sets_el = ET.SubElement(root, "Sets")
            for group in project.sets:
                _set_element(sets_el, group, registry)
        for note in project_notes:
            ET.SubElement(root, "NoteRef", {"targetGUID": note})
        return _serialise(root), members

    def _note_attributes(self, guid: str, note) -> dict[str, str]:
        """A Note's attributes: its name, and who wrote it and its present text, when."""
        attributes = {"guid": guid, "name": _xml(note.name)}
        what = f"note {note.name!r}"
        if note.creating_user:
            attributes["creatingUser"] = self.registry.ref(note.creating_user, {"user"}, what)
        if note.created is not None:
            attributes["creationDateTime"] = _datetime(note.created)
        if note.modifying_user:
            attributes["modifyingUser"] = self.registry.ref(note.modifying_user, {"user"}, what)
        if note.modified is not None:
            attributes["modifiedDateTime"] = _datetime(note.modified)
        return attributes

    def _note_targets(self, notes):
        """Which element carries a NoteRef to which note: by target GUID, the project, or a span."""
        note_refs: dict[str, list[str]] = defaultdict(list)
        project_notes: list[str] = []
        span_notes: list[tuple[str, str, int, int]] = []
        for guid, note in notes:
            if note.source_guid is not None:
                if note.start is None or note.end is None:
                    raise RefiError(f"note {note.name!r} is anchored to a source but has no start/end")
                span_notes.append((guid, note.source_guid, note.start, note.end))
            for target in note.targets:
                canonical = canonical_guid(target)
                if canonical is None:
                    raise RefiError(f"note {note.name!r} refers to {target!r}, which is not a GUID")
                note_refs[canonical].append(guid)
            if note.source_guid is None and not note.targets:
                project_notes.append(guid)
        return note_refs, project_notes, span_notes

    def _check_note_targets(self, note_refs: dict[str, list[str]]) -> None:
        for target, notes in note_refs.items():
            if self.registry.kinds.get(target) not in ("code", "source"):
                raise RefiError(
                    f"note {notes[0]} is attached to {target!r}, which is not a code or source of the project"
                )

    def _values(self, parent, attributes: dict[str, str], variable_guids: dict[str, str]) -> None:
        import xml.etree.ElementTree as ET

        for name, value in attributes.items():
            value_el = ET.SubElement(parent, "VariableValue")
            ET.SubElement(value_el, "VariableRef", {"targetGUID": variable_guids[name]})
            ET.SubElement(value_el, "TextValue").text = _xml_content(str(value))

    def _text_bytes(self, source) -> bytes:
        text = _LineBreaks(source.text).text
        if text.startswith("\ufeff"):  # readers drop one BOM; keep the text's own U+FEFF
            text = "\ufeff" + text
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise RefiError(
                f"source {source.name!r}: character {error.start} is an unpaired surrogate, which UTF-8 cannot hold"
            ) from None

    def _selections(self, sources: dict, span_notes) -> dict[str, list]:
        """PlainTextSelection elements per source: one per distinct span, holding its codings and notes."""
        import xml.etree.ElementTree as ET

        registry = self.registry
        breaks = {guid: _LineBreaks(source.text) for guid, source in sources.items()}
        spans: dict[tuple[str, int, int], dict[str, list]] = defaultdict(lambda: {"codings": [], "notes": []})

        def span(source_guid: str, start: int, end: int, what: str) -> tuple[str, int, int]:
            guid = registry.ref(source_guid, {"source"}, what)
            length = len(sources[guid].text)
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length):
                raise RefiError(
                    f"{what}: span {start}-{end} does not fit source {sources[guid].name!r} "
                    f"({length} characters); start must be < end, both within the text"
                )
            return guid, breaks[guid].map(start), breaks[guid].map(end)

        for coding in self.project.codings:
            what = f"coding of {coding.code_guid} at {coding.start}-{coding.end}"
            code = registry.ref(coding.code_guid, {"code"}, what)
            user = registry.ref(coding.user, {"user"}, what) if coding.user else None
            spans[span(coding.source_guid, coding.start, coding.end, what)]["codings"].append((code, user, coding))
        for note_guid, source_guid, start, end in span_notes:
            spans[span(source_guid, start, end, f"note {note_guid}")]["notes"].append(note_guid)

        result: dict[str, list] = defaultdict(list)
        seen: Counter[tuple] = Counter()
        order = {guid: number for number, guid in enumerate(sources)}
        for source_guid, start, end in sorted(spans, key=lambda span: (order[span[0]], span[1], span[2])):
            content = spans[(source_guid, start, end)]
            selection = ET.Element(
                "PlainTextSelection",
                {
                    "guid": stable_guid("selection", source_guid, str(start), str(end)),
                    "startPosition": str(start),
                    "endPosition": str(end),
                },
            )
            for code, user, coding in content["codings"]:
                identity = (source_guid, start, end, code, user or "")
                seen[identity] += 1
                attributes = {"guid": stable_guid("coding", *identity, str(seen[identity]))}
                if user:
                    attributes["creatingUser"] = user
                if coding.created is not None:
                    attributes["creationDateTime"] = _datetime(coding.created)
                coding_el = ET.SubElement(selection, "Coding", attributes)
                ET.SubElement(coding_el, "CodeRef", {"targetGUID": code})
            for note in content["notes"]:
                ET.SubElement(selection, "NoteRef", {"targetGUID": note})
            result[source_guid].append(selection)
        return result
