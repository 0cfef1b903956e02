"""Between qualkit projects and REFI-QDA (:mod:`qualkit.refi`): export and import.

Export: documents as text sources, the codebook (nested codes, colours, definitions as
descriptions), consensus codings as selections — one per accepting reviewer, who is the
creating user, so another program sees who coded what — cases with their attributes, decision
notes as notes anchored to the coded text, and memos as notes on the project, a source, a code
or a segment's span (:mod:`qualkit.memo_notes`).

Import: sources become documents (segmented as transcripts or documents), codes a new codebook
version, each coding an accepted decision of the user who made it, so agreement between the
other program's coders can be computed, and every other note a memo. All of it happens in one
transaction: a file that fails half-way leaves the project as it was.
"""

from __future__ import annotations

import os
import warnings as py_warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import RefiError
from qualkit.faults import fault_point
from qualkit.refi.record import NOTE_NAME, QualkitRecord, dumps
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.pseudonymise import Pseudonymisation
    from qualkit.refi import RefiCode, RefiNote, RefiProject
    from qualkit.review.coverage import Judgements
    from qualkit.store import Store


@dataclass(frozen=True)
class ImportReport:
    documents: int
    codes: int
    codings: int
    merged: int  # the same code on the same span by the same user, kept once
    users: tuple[str, ...]
    cases: int
    warnings: tuple[str, ...]
    notes: int = 0  # notes kept as the note of a decision (on the coding they are anchored to, or a rejection)
    from_record: bool = False  # segments and coverage came from the qualkit record qualkit wrote
    memos: Mapping[str, int] = field(default_factory=dict)  # notes that became memos, by what they are about


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


def project_to_refi(store: Store, codebook: Codebook, *, name: str, consensus: Consensus = DEFAULT_CONSENSUS,
                    judged: Judgements | None = None) -> RefiProject:
    """The project as REFI-QDA records: sources, codes, codings (one per accepting reviewer, with
    its own span), cases, decision notes, a coverage set per reviewer, and the qualkit record
    (segments, coverage and rejections; see :mod:`qualkit.refi.record`) from ``judged``."""
    from qualkit.memo_notes import memos_as_notes
    from qualkit.records import NO_DECISIONS, Status, Verdict
    from qualkit.refi import RefiCase, RefiCoding, RefiNote, RefiProject, RefiSet, RefiSource, RefiUser, stable_guid
    from qualkit.review.actions import states

    codes = codebook_codes(codebook)
    code_guid = {code.key: stable_guid("code", code.key) for code in codebook.codes}
    documents = store.documents.infos()
    attributes = store.documents.attributes()
    sources = [
        RefiSource.new(d.name, store.documents.text(d.id), attributes=attributes.get(d.id, {}))
        for d in documents
    ]
    source_guid = {s.name: s.guid for s in sources}
    guid_of_document = {d.id: source_guid[d.name] for d in documents}
    users: dict[str, RefiUser] = {}
    refi_codings: dict[tuple[str, int, int, str, str | None], RefiCoding] = {}
    found = states(store)
    for view in store.suggestions.views():
        state = found.get(view.id, NO_DECISIONS)
        if view.code not in code_guid or consensus.status(state) is not Status.ACCEPTED:
            continue
        for reviewer in state.only(consensus.reviewers).accepted_by or (None,):
            if reviewer and reviewer not in users:
                users[reviewer] = RefiUser.new(reviewer)
            key = (source_guid[view.document], view.start, view.end, view.code, reviewer)
            refi_codings.setdefault(key, RefiCoding(
                key[0], view.start, view.end, code_guid[view.code], user=users[reviewer].guid if reviewer else None,
            ))
    cases = [
        RefiCase.new(
            case.name, attributes=dict(case.attributes),
            source_guids=tuple(source_guid[d.name] for d in documents if d.case == case.name),
        )
        for case in store.documents.cases()
    ]
    decision_notes = store.decisions.notes()
    notes = [
        RefiNote(
            guid=stable_guid("note", note.id), name=f"{note.reviewer} on {note.code}", text=note.note,
            targets=(code_guid[note.code],) if note.code in code_guid else (),
            source_guid=source_guid[note.document], start=note.start, end=note.end,
        )
        for note in decision_notes
    ]
    rejection_notes = {  # on rejections still in force: another program has no rejections to hang them on
        stable_guid("note", note.id): (note.reviewer, note.code) for note in decision_notes
        if note.verdict is Verdict.REJECT and note.suggestion_id is not None
        and found.get(note.suggestion_id, NO_DECISIONS).verdicts.get(note.reviewer) is Verdict.REJECT
    }

    def user_guid(name: str) -> str:
        return users.setdefault(name, RefiUser.new(name)).guid

    memo_notes, memo_records = memos_as_notes(store, source_guid=source_guid, code_guid=code_guid,
                                              user_guid=user_guid)
    notes += memo_notes
    sets: list[RefiSet] = []
    if judged is not None:
        record = replace(_record(store, judged, guid_of_document), memos=memo_records,
                         rejection_notes=rejection_notes, decision_notes=tuple(note.guid for note in notes
                                                                               if note.guid not in memo_records))
        notes.append(RefiNote(guid=stable_guid("qualkit-record", name), name=NOTE_NAME, text=dumps(record)))
        sets = [
            RefiSet(guid=stable_guid("coverage", reviewer), name=f"{COVERAGE_SET}{reviewer}",
                    description="documents this coder coded fully (a code not applied there does not apply)",
                    source_guids=coder.documents)
            for reviewer, coder in sorted(record.coders.items()) if coder.documents
        ]
    return RefiProject(
        name=name, codes=codes, sources=tuple(sources), codings=tuple(refi_codings.values()),
        users=tuple(users.values()), cases=tuple(cases), notes=tuple(notes), sets=tuple(sets), origin="qualkit",
    )


COVERAGE_SET = "qualkit coverage: "


def _record(store: Store, judged: Judgements, guid_of_document: Mapping[int, str]) -> QualkitRecord:
    """How the project is segmented, and what each reviewer coded fully or rejected."""
    from qualkit.refi.record import CoderRecord, DocumentRecord, QualkitRecord

    spans: dict[int, tuple[int, int]] = {}
    per_document: dict[int, list[tuple[int, int, str | None, float | None]]] = {}
    for segment in store.documents.segments():
        spans[segment.id] = (segment.start, segment.end)
        per_document.setdefault(segment.document_id, []).append(
            (segment.start, segment.end, segment.speaker, segment.timestamp))
    infos = {d.id: d for d in store.documents.infos()}
    documents = {
        guid_of_document[document_id]: DocumentRecord(kind=infos[document_id].kind.value,
                                                      unit=infos[document_id].unit.value, segments=tuple(found))
        for document_id, found in per_document.items()
    }
    coders: dict[str, CoderRecord] = {}
    for reviewer, units in judged.by_reviewer.items():
        covered = judged.covered.get(reviewer, frozenset())
        whole = [d for d, segments in judged.coverable.items() if segments and segments <= covered]
        in_whole = {s for d in whole for s in judged.coverable[d]}
        coders[reviewer] = CoderRecord(
            documents=tuple(guid_of_document[d] for d in sorted(whole)),
            segments=tuple((guid_of_document[judged.documents[s]], *spans[s]) for s in sorted(covered - in_whole)),
            rejections=tuple(
                (guid_of_document[judged.documents[s]], *spans[s], code)
                for (s, code), value in sorted(units.items()) if value == 0 and s not in covered
            ),
        )
    return QualkitRecord(documents=documents, coders=coders)


@dataclass(frozen=True)
class QdpxWritten:
    """What a .qdpx holds of the codings: REFI-QDA has one coding per coder, so a passage two
    reviewers accepted is written twice; ``passages`` counts each coded span × code once."""

    codings: int  # REFI codings written: one per reviewer who accepted the passage's code
    passages: int  # distinct coded span × code (what the report and `export codings` count)
    coders: int  # reviewers who own at least one coding


def export_qdpx(store: Store, codebook: Codebook, path: str | os.PathLike, *, name: str,
                consensus: Consensus = DEFAULT_CONSENSUS, judged: Judgements | None = None,
                pseudonymise: Pseudonymisation | None = None) -> QdpxWritten:
    """Write a .qdpx; returns what it holds of the codings. With ``pseudonymise`` the sources,
    codes, cases, notes and the qualkit record are pseudonymised with every position mapped, and
    the file is checked for names before it takes its place."""
    from qualkit.pseudonymise.sharing import staged_outputs
    from qualkit.refi import write_qdpx

    refi = project_to_refi(store, codebook, name=name, consensus=consensus, judged=judged)
    if pseudonymise is not None:
        refi = pseudonymise.refi(refi)
    with staged_outputs(pseudonymise) as stage:
        write_qdpx(refi, stage(path))
    return QdpxWritten(
        codings=len(refi.codings),
        passages=len({(c.source_guid, c.start, c.end, c.code_guid) for c in refi.codings}),
        coders=len({c.user for c in refi.codings if c.user}),
    )


def export_qdc(codebook: Codebook, path: str | os.PathLike, *, pseudonymise: Pseudonymisation | None = None) -> int:
    """Write a codebook as .qdc; returns the number of codes written."""
    from qualkit.pseudonymise.sharing import staged_outputs
    from qualkit.refi import walk_codes, write_qdc

    if pseudonymise is not None:
        codebook = pseudonymise.codebook(codebook)
    codes = codebook_codes(codebook)
    with staged_outputs(pseudonymise) as stage:
        write_qdc(codes, stage(path), name=f"{codebook.name} (version {codebook.version})")
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
        entry = {"key": key, "name": code.name, "definition": code.description or ""}
        if code.color:
            entry["color"] = code.color
        if code.children:
            entry["codable"] = bool(code.codable)
            entry["children"] = [convert(child, key) for child in code.children]
        return entry

    data = {"name": name, "version": 1, "description": f"Imported from {origin or 'a REFI-QDA file'}",
            "origin": origin or "a REFI-QDA file", "codes": [convert(code) for code in codes]}
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
    """Build a project's documents, codebook, codings (as decisions), cases, users and coverage from a
    .qdpx, in one transaction.

    Every selection becomes its own coding (its own span), accepted by the user who made it. A note
    anchored to a coding's span becomes that decision's note. Which documents each user coded fully
    comes from the qualkit record when qualkit wrote the file; otherwise each user is taken to have
    coded fully the documents they made codings in (REFI-QDA does not say), which the report says.
    """
    import hashlib

    from qualkit.codebook import parse_codebook
    from qualkit.ingest import count_words
    from qualkit.ingest.layout import find_structure
    from qualkit.memo_notes import import_notes
    from qualkit.records import Block, DocumentKind, Unit
    from qualkit.refi import read_qdpx
    from qualkit.refi.record import loads
    from qualkit.review.actions import decide
    from qualkit.review.reviewers import add
    from qualkit.segment import segment_blocks

    refi = read_qdpx(Path(path))
    filename = os.path.basename(os.fspath(path))
    via = f"import {filename}"
    text, guid_to_key = codes_to_yaml(refi.codes, name=refi.name, origin=refi.origin)
    codebook, codebook_warnings = parse_codebook(text, path=f"{path} (codes)")
    keys = [code.key for code in codebook.codes]
    users = {user.guid: user.name for user in refi.users}
    report_warnings = list(refi.warnings)
    missing_definitions = sum(1 for code in codebook.codable if not code.definition)
    if missing_definitions:
        report_warnings.append(f"{missing_definitions} code(s) came without a definition; write them before a "
                               "second coder applies those codes (`qualkit codebook export` lists them)")
    if not refi.sources:
        report_warnings.append(f"{path}: no text sources in the project; imported its codes only")
    records = [note for note in refi.notes if note.name == NOTE_NAME and not note.source_guid]
    record = loads(records[0].text, where=str(path)) if records else None
    notes = [note for note in refi.notes if note not in records]
    memo_records = record.memos if record else {}
    coverage_sets = [group for group in refi.sets if group.name.startswith(COVERAGE_SET)]
    other_sets = [group for group in refi.sets if group not in coverage_sets]
    if other_sets:
        report_warnings.append(f"{len(other_sets)} set(s) not imported (qualkit has no sets): "
                               + ", ".join(repr(group.name) for group in other_sets))
    anchored: dict[tuple[str, int, int], list[RefiNote]] = {}  # span -> notes anchored there
    for note in notes:
        if note.guid not in memo_records and note.source_guid is not None and note.start is not None \
                and note.end is not None:
            anchored.setdefault((note.source_guid, note.start, note.end), []).append(note)
    decision_notes: set[str] = set()  # guids of the notes that became a decision's note
    merged = codings = 0
    with store.transaction():
        codebook_id, _ = store.codebooks.save(codebook)
        document_ids = {}
        for source in refi.sources:
            if store.documents.id_of(source.name) is not None:
                raise RefiError(
                    f"{path}: a document named {source.name!r} is already in the project; import into a new project"
                )
            known = record.documents.get(source.guid) if record else None
            if known is not None:  # segmented exactly as the project that wrote it was
                kind, unit = DocumentKind(known.kind), Unit(known.unit)
                segments: tuple[Block, ...] = tuple(Block(start, end, speaker, timestamp)
                                                    for start, end, speaker, timestamp in known.segments)
            else:
                kind, blocks = find_structure(source.text, "auto")
                unit = kind.natural_unit
                segments = segment_blocks(source.text, blocks, unit)
            digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
            document_ids[source.guid] = store.documents.insert(
                name=source.name, kind=kind, unit=unit, source_path=str(path),
                source_sha256=hashlib.sha256(f"{path}:{source.guid}".encode()).hexdigest(), sha256=digest,
                reader="qdpx", text=source.text, words=count_words(source.text),
                metadata={"refi_guid": source.guid, "origin": refi.origin}, attributes=dict(source.attributes),
                segments=segments,
            )
        for user in users.values():
            add(store, user, note=f"a user of {filename}")
        coded: dict[str, set[int]] = {}  # reviewer -> documents they made codings in
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
            taken = _note_for(anchored, coding.source_guid, coding.start, coding.end, reviewer, key,
                              taken=decision_notes, users=users.values())
            result = decide(store, reviewer, accept=[suggestion_id], note=taken.text if taken else None, via=via)
            fault_point("qdpx.import.coding")  # tests/reliability: a kill half-way through the transaction
            codings += len(result.recorded)
            merged += len(result.unchanged)
            if taken is not None and result.recorded:
                decision_notes.add(taken.guid)
            coded.setdefault(reviewer, set()).add(document_id)
        if record is not None:
            _apply_record(store, record, document_ids, codebook_id=codebook_id, via=via, anchored=anchored,
                          taken=decision_notes)
        else:
            for reviewer, documents in sorted(coded.items()):
                store.coverage.mark(reviewer, [(document_id, None) for document_id in sorted(documents)], via=via)
            if coded:
                report_warnings.append(
                    "each user is taken to have coded fully the documents they made codings in (REFI-QDA does not "
                    "say which documents a coder read); correct it with `qualkit review mark-coded`"
                )
        case_attributes = {case.name: dict(case.attributes) for case in refi.cases}
        names = {guid: source.name for guid, source in ((s.guid, s) for s in refi.sources)}
        assignments = [(names[g], case.name) for case in refi.cases for g in case.source_guids if g in names]
        if case_attributes:
            store.documents.assign_cases(assignments, case_attributes, {})
        if record is not None:
            _restore_rejections(store, record, notes, document_ids, codebook_id=codebook_id, via=via,
                                taken=decision_notes)
        left = [note for note in notes if note.guid not in decision_notes]
        if record is not None:  # a decision's note qualkit wrote is never taken for a memo
            written = set(record.decision_notes)
            orphans = [note for note in left if note.guid in written]
            left = [note for note in left if note.guid not in written]
            if orphans:
                report_warnings.append(
                    f"{len(orphans)} note(s) on decisions the file carries no coding or rejection for (undone, or "
                    "left out by the consensus it was exported with) were not imported"
                )
        memos = import_notes(store, left, records=memo_records, document_ids=document_ids, code_keys=guid_to_key,
                             users=users, fallback_author=refi.origin or "imported")
        report_warnings += memos.warnings
    return ImportReport(
        documents=len(document_ids), codes=len(keys), codings=codings, merged=merged,
        users=tuple(sorted(set(users.values()))), cases=len(refi.cases), warnings=tuple(report_warnings),
        notes=len(decision_notes), from_record=record is not None,
        memos={about.value: n for about, n in memos.written.items() if n},
    )


def _note_for(anchored: Mapping[tuple[str, int, int], list[RefiNote]], source_guid: str, start: int, end: int,
              reviewer: str, code: str, *, taken: set[str], users: Collection[str] = ()) -> RefiNote | None:
    """The note anchored to exactly this span that no other decision took: the reviewer's own on this code
    (qualkit names decision notes "REVIEWER on CODE"), else the only one there not named for a user."""
    found = [note for note in anchored.get((source_guid, start, end), []) if note.guid not in taken]
    mine = [note for note in found if note.name == f"{reviewer} on {code}"]
    if mine:
        return mine[0]
    free = [note for note in found if not any(note.name.startswith(f"{user} on ") for user in {*users, reviewer})]
    return free[0] if len(free) == 1 else None


def _restore_rejections(store: Store, record: QualkitRecord, notes: list[RefiNote], document_ids: Mapping[str, int],
                        *, codebook_id: int, via: str, taken: set[str]) -> None:
    """The rejections (with their notes) that coverage implied, so the note is kept on its decision."""
    from qualkit.review.actions import decide

    for note in notes:
        owner = record.rejection_notes.get(note.guid)
        document_id = document_ids.get(note.source_guid or "")
        if owner is None or note.guid in taken or document_id is None or note.start is None or note.end is None:
            continue
        reviewer, code = owner
        segment_id = store.documents.segment_covering(document_id, note.start, note.end)
        if segment_id is None:
            continue
        suggestion_id = store.suggestions.add_manual(segment_id, code, codebook_id, span=(note.start, note.end))
        if decide(store, reviewer, reject=[suggestion_id], note=note.text, via=via).recorded:
            taken.add(note.guid)


def _apply_record(store: Store, record: QualkitRecord, document_ids: Mapping[str, int], *, codebook_id: int,
                  via: str, anchored: Mapping[tuple[str, int, int], list[RefiNote]], taken: set[str]) -> None:
    """Coverage and rejections (with their notes) from the qualkit record, as the project that wrote it had
    them; the guids of the notes used go into ``taken``."""
    from qualkit.review.actions import decide

    for reviewer, coder in sorted(record.coders.items()):
        marks: list[tuple[int, int | None]] = [(document_ids[g], None) for g in coder.documents if g in document_ids]
        for guid, start, end in coder.segments:
            if guid in document_ids:
                segment_id = store.documents.segment_covering(document_ids[guid], start, end)
                if segment_id is not None:
                    marks.append((document_ids[guid], segment_id))
        store.coverage.mark(reviewer, marks, via=via)
        for guid, start, end, code in coder.rejections:
            if guid not in document_ids:
                continue
            segment_id = store.documents.segment_covering(document_ids[guid], start, end)
            if segment_id is not None:
                suggestion_id = store.suggestions.add_manual(segment_id, code, codebook_id, span=(start, end))
                note = _note_for(anchored, guid, start, end, reviewer, code, taken=taken, users=record.coders)
                if note is not None and note.name != f"{reviewer} on {code}":
                    note = None  # only the rejection's own note
                result = decide(store, reviewer, reject=[suggestion_id], note=note.text if note else None, via=via)
                if note is not None and result.recorded:
                    taken.add(note.guid)
