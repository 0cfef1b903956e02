"""Between qualkit projects and REFI-QDA (:mod:`qualkit.refi`): export and import.

Export: documents as text sources, the codebook (nested codes, colours, definitions as
descriptions), consensus codings as selections — one per accepting reviewer, who is the
creating user, so another program sees who coded what — cases with their attributes, and
decision notes as notes anchored to the coded text.

Import: sources become documents (segmented as transcripts or documents), codes a new codebook
version, and each coding an accepted decision of the user who made it, so agreement between
the other program's coders can be computed. All of it happens in one transaction: a file that
fails half-way leaves the project as it was.
"""

from __future__ import annotations

import os
import warnings as py_warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import RefiError
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.refi import RefiCode, RefiProject
    from qualkit.store import Store


@dataclass(frozen=True)
class ImportReport:
    documents: int
    codes: int
    codings: int
    merged: int  # codings of the same code in the same segment by the same user, kept once
    users: tuple[str, ...]
    cases: int
    warnings: tuple[str, ...]


def codebook_codes(codebook: Codebook) -> tuple[RefiCode, ...]:
    from qualkit.refi import RefiCode

    def build(parent: str | None) -> tuple[RefiCode, ...]:
        return tuple(
            RefiCode.new(
                code.key, code.name, color=code.color, description=code.definition or None,
                children=build(code.key), codable=code.codable,
            )
            for code in codebook.children(parent)
        )

    return build(None)


def project_to_refi(store: Store, codebook: Codebook, *, name: str,
                    consensus: Consensus = DEFAULT_CONSENSUS) -> RefiProject:
    """The project as REFI-QDA records: sources, codes, codings (one per accepting reviewer), cases, notes."""
    from qualkit.analysis import coding_records
    from qualkit.refi import RefiCase, RefiCoding, RefiNote, RefiProject, RefiSource, RefiUser, stable_guid

    codes = codebook_codes(codebook)
    code_guid = {code.key: stable_guid("code", code.key) for code in codebook.codes}
    documents = store.documents.infos()
    attributes = store.documents.attributes()
    sources = [
        RefiSource.new(d.name, store.documents.text(d.id), attributes=attributes.get(d.id, {}))
        for d in documents
    ]
    source_guid = {s.name: s.guid for s in sources}
    users: dict[str, RefiUser] = {}
    refi_codings = []
    for coding in coding_records(store, codebook, consensus=consensus):
        for reviewer in coding.accepted_by or (None,):
            if reviewer and reviewer not in users:
                users[reviewer] = RefiUser.new(reviewer)
            refi_codings.append(RefiCoding(
                source_guid[coding.document], coding.start, coding.end, code_guid[coding.code],
                user=users[reviewer].guid if reviewer else None,
            ))
    cases = [
        RefiCase.new(
            case.name, attributes=dict(case.attributes),
            source_guids=tuple(source_guid[d.name] for d in documents if d.case == case.name),
        )
        for case in store.documents.cases()
    ]
    notes = [
        RefiNote(
            guid=stable_guid("note", note.id), name=f"{note.reviewer} on {note.code}", text=note.note,
            targets=(code_guid[note.code],) if note.code in code_guid else (),
            source_guid=source_guid[note.document], start=note.start, end=note.end,
        )
        for note in store.decisions.notes()
    ]
    return RefiProject(
        name=name, codes=codes, sources=tuple(sources), codings=tuple(refi_codings),
        users=tuple(users.values()), cases=tuple(cases), notes=tuple(notes), origin="qualkit",
    )


def export_qdpx(store: Store, codebook: Codebook, path: str | os.PathLike, *, name: str,
                consensus: Consensus = DEFAULT_CONSENSUS) -> int:
    """Write a .qdpx; returns the number of codings written."""
    from qualkit.refi import write_qdpx

    refi = project_to_refi(store, codebook, name=name, consensus=consensus)
    write_qdpx(refi, Path(path))
    return len(refi.codings)


def export_qdc(codebook: Codebook, path: str | os.PathLike) -> int:
    """Write a codebook as .qdc; returns the number of codes written."""
    from qualkit.refi import walk_codes, write_qdc

    codes = codebook_codes(codebook)
    write_qdc(codes, Path(path), name=f"{codebook.name} (version {codebook.version})")
    return sum(1 for _ in walk_codes(codes))


def codes_to_yaml(codes, *, name: str, origin: str | None) -> tuple[str, dict[str, str]]:
    """A qualkit codebook (YAML) from a REFI code tree, and REFI code guid → key.

    Keys are kept (or derived from names) stable, valid and unique."""
    import re

    import yaml

    used: set[str] = set()
    guid_to_key: dict[str, str] = {}

    def key_for(code, parent_key):
        base = code.key.rsplit(".", 1)[-1] if code.key else ""
        base = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_") or "code"
        if not base[0].isalpha():
            base = "c_" + base
        key = f"{parent_key}.{base}" if parent_key else base
        candidate, n = key, 2
        while candidate in used:
            candidate, n = f"{key}_{n}", n + 1
        used.add(candidate)
        return candidate

    def convert(code, parent_key=None):
        key = key_for(code, parent_key)
        guid_to_key[code.guid] = key
        entry = {
            "key": key, "name": code.name,
            "definition": code.description or f"(imported from {origin or 'another program'} without a definition)",
        }
        if code.color:
            entry["color"] = code.color
        if code.children:
            entry["codable"] = bool(code.codable)
            entry["children"] = [convert(child, key) for child in code.children]
        return entry

    data = {"name": name, "version": 1, "description": f"Imported from {origin or 'a REFI-QDA file'}",
            "codes": [convert(code) for code in codes]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), guid_to_key


def qdc_codebook(path: str | os.PathLike) -> tuple[Codebook, list[str]]:
    """A REFI codebook (.qdc) as a qualkit codebook, with what could not be mapped."""
    from qualkit.codebook import parse_codebook
    from qualkit.refi import read_qdc

    with py_warnings.catch_warnings(record=True) as caught:
        py_warnings.simplefilter("always")
        codes = read_qdc(Path(path))
    text, _ = codes_to_yaml(codes, name=os.path.basename(os.fspath(path)), origin="REFI-QDA codebook")
    codebook, warnings = parse_codebook(text, path=os.fspath(path))
    return codebook, [*(str(w.message) for w in caught), *warnings]


def import_qdpx(store: Store, path: str | os.PathLike) -> ImportReport:
    """Build a project's documents, codebook, codings (as decisions) and cases from a .qdpx."""
    import hashlib

    from qualkit.codebook import parse_codebook
    from qualkit.ingest import count_words
    from qualkit.ingest.layout import find_structure
    from qualkit.refi import read_qdpx
    from qualkit.review.actions import decide
    from qualkit.segment import segment_blocks

    refi = read_qdpx(Path(path))
    text, guid_to_key = codes_to_yaml(refi.codes, name=refi.name, origin=refi.origin)
    codebook, _ = parse_codebook(text, path=f"{path} (codes)")
    keys = [code.key for code in codebook.codes]
    users = {user.guid: user.name for user in refi.users}
    report_warnings = list(refi.warnings)
    if not refi.sources:
        report_warnings.append(f"{path}: no text sources in the project; imported its codes only")
    merged = codings = 0
    with store.transaction():
        codebook_id, _ = store.codebooks.save(codebook)
        document_ids = {}
        for source in refi.sources:
            if store.documents.id_of(source.name) is not None:
                raise RefiError(
                    f"{path}: a document named {source.name!r} is already in the project; import into a new project"
                )
            kind, blocks = find_structure(source.text, "auto")
            segments = segment_blocks(source.text, blocks, kind.natural_unit)
            digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()

            document_ids[source.guid] = store.documents.insert(
                name=source.name, kind=kind, unit=kind.natural_unit, source_path=str(path),
                source_sha256=hashlib.sha256(f"{path}:{source.guid}".encode()).hexdigest(), sha256=digest,
                reader="qdpx", text=source.text, words=count_words(source.text),
                metadata={"refi_guid": source.guid, "origin": refi.origin}, attributes=dict(source.attributes),
                segments=segments,
            )
        for coding in refi.codings:
            key = guid_to_key.get(coding.code_guid)
            document_id = document_ids.get(coding.source_guid)
            if key is None or document_id is None:
                report_warnings.append(
                    f"coding {coding.start}-{coding.end} refers to an unknown code or source; skipped"
                )
                continue
            segment_id = store.documents.segment_covering(document_id, coding.start, coding.end)
            if segment_id is None:
                report_warnings.append(
                    f"coding {coding.start}-{coding.end} in {coding.source_guid} covers no segment text; skipped"
                )
                continue
            suggestion_id = store.suggestions.add_manual(segment_id, key, codebook_id, span=(coding.start, coding.end))
            reviewer = (users.get(coding.user) if coding.user else None) or refi.origin or "imported"
            result = decide(store, reviewer, accept=[suggestion_id], via=f"import {os.path.basename(os.fspath(path))}")
            codings += len(result.recorded)
            merged += len(result.unchanged)
        case_attributes = {case.name: dict(case.attributes) for case in refi.cases}
        names = {guid: source.name for guid, source in ((s.guid, s) for s in refi.sources)}
        assignments = [(names[g], case.name) for case in refi.cases for g in case.source_guids if g in names]
        if case_attributes:
            store.documents.assign_cases(assignments, case_attributes, {})
    return ImportReport(
        documents=len(document_ids), codes=len(keys), codings=codings, merged=merged,
        users=tuple(sorted(set(users.values()))), cases=len(refi.cases), warnings=tuple(report_warnings),
    )
