"""Memos as REFI-QDA notes, both ways (used by :mod:`qualkit.interchange`).

Out: a project memo is a note the project refers to; a document memo a note its text source
refers to; a code memo a note its code refers to (``NoteRef``); a segment memo a note on a
selection spanning the segment. REFI-QDA has no notes on cases, so a case memo is a project note
named after its case. Each note carries who wrote the memo and when (``creatingUser``,
``creationDateTime``) and who wrote its present text (``modifyingUser``, ``modifiedDateTime``);
the qualkit record (:mod:`qualkit.refi.record`) adds what REFI-QDA cannot say: the case, the
title, and every earlier text.

In: a note the qualkit record describes becomes that memo again, every revision kept. Any other
note that no coding took as its decision note becomes a memo on what it is attached to: a span
of a source (the segment that holds it most), a source (its document), a code, or nothing (the
project).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from qualkit.errors import MemoError
from qualkit.records import Memo, MemoAbout

if TYPE_CHECKING:
    from qualkit.refi import RefiNote
    from qualkit.refi.record import MemoRecord
    from qualkit.store import Store


def note_name(memo: Memo) -> str:
    """What other programs list the memo as: its title, else what it is about."""
    if memo.title:
        return memo.title if memo.target.about is not MemoAbout.CASE else f"{memo.title} (case {memo.target.case})"
    return f"Memo on {memo.target}"


def memos_as_notes(store: Store, *, source_guid: Mapping[str, str], code_guid: Mapping[str, str],
                   user_guid: Callable[[str], str]) -> tuple[list[RefiNote], dict[str, MemoRecord]]:
    """Every memo as a note, and the record of each (by note GUID). ``source_guid`` maps document
    names, ``code_guid`` code keys to GUIDs; ``user_guid`` gives (and registers) a user's GUID."""
    from qualkit.refi import RefiNote, stable_guid
    from qualkit.refi.record import MemoRecord

    memos = store.memos.find()
    spans = store.documents.segments_by_id([m.segment_id for m in memos if m.segment_id is not None])
    notes: list[RefiNote] = []
    records: dict[str, MemoRecord] = {}
    for memo in memos:
        guid = stable_guid("memo", memo.id)
        target = memo.target
        targets: tuple[str, ...] = ()
        anchor: tuple[str | None, int | None, int | None] = (None, None, None)
        document, code = target.document or "", target.code or ""
        if target.about is MemoAbout.DOCUMENT and document in source_guid:
            targets = (source_guid[document],)
        elif target.about is MemoAbout.CODE and code in code_guid:
            targets = (code_guid[code],)
        elif target.about is MemoAbout.SEGMENT and memo.segment_id in spans and document in source_guid:
            segment = spans[memo.segment_id]
            anchor = (source_guid[document], segment.start, segment.end)
        revisions = store.memos.revisions(memo.id)
        notes.append(RefiNote(
            guid=guid, name=note_name(memo), text=memo.text, targets=targets,
            source_guid=anchor[0], start=anchor[1], end=anchor[2],
            creating_user=user_guid(memo.author), created=_moment(memo.created_at),
            modifying_user=user_guid(memo.edited_by), modified=_moment(memo.edited_at),
        ))
        records[guid] = MemoRecord(
            about=target.about.value, created_at=memo.created_at, title=memo.title,
            case=target.case if target.about is MemoAbout.CASE else None,
            code=target.code if target.about is MemoAbout.CODE else None,
            revisions=tuple((r.text, r.author, r.written_at) for r in revisions),
        )
    return notes, records


@dataclass
class MemoImport:
    """What became of the notes that were not decision notes."""

    written: dict[MemoAbout, int] = field(default_factory=lambda: dict.fromkeys(MemoAbout, 0))
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.written.values())


def import_notes(store: Store, notes: Sequence[RefiNote], *, records: Mapping[str, MemoRecord],
                 document_ids: Mapping[str, int], code_keys: Mapping[str, str], users: Mapping[str, str],
                 fallback_author: str) -> MemoImport:
    """Write ``notes`` as memos (inside the caller's transaction): as the qualkit ``records`` describe
    them, else on what each is attached to. ``document_ids`` maps source GUIDs, ``code_keys`` code
    GUIDs and ``users`` user GUIDs to what the project knows them as."""
    from qualkit.memos import memo_text

    result = MemoImport()
    for note in notes:
        try:
            text = memo_text(text=note.text)
        except MemoError as why:
            result.warnings.append(f"note {note.name!r} not imported: {why}")
            continue
        author = users.get(note.creating_user or "") or fallback_author
        created = _stored(note.created)
        record = records.get(note.guid)
        places = _record_places(store, record) if record else None
        if places is None:
            places = _attached_to(store, note, document_ids, code_keys)
            if record is not None and record.about == MemoAbout.CASE.value:
                result.warnings.append(f"memo {note.name!r} was on case {record.case!r}, which this project does not "
                                       "have; imported it as a project memo")
        title = None if record is None else record.title
        if record is None and note.name.strip():
            title = " ".join(note.name.split())[:200]
        revisions = list(record.revisions) if record and record.revisions else [(text, author, created or "")]
        if revisions[-1][0] != text:  # edited in another program since qualkit wrote it
            editor = users.get(note.modifying_user or "") or fallback_author
            revisions.append((text, editor, _stored(note.modified) or ""))
        for about, ids in places:
            first_text, first_author, first_time = revisions[0]
            memo_id = store.memos.add(about=about, author=first_author, text=first_text, title=title,
                                      created_at=(record.created_at if record else created) or first_time or None,
                                      written_at=first_time or None, **ids)
            for later_text, later_author, written_at in revisions[1:]:
                store.memos.revise(memo_id, text=later_text, author=later_author, written_at=written_at or None)
            result.written[about] += 1
    return result


def _record_places(store: Store, record: MemoRecord) -> list[tuple[MemoAbout, dict]] | None:
    """Where the record says the memo belongs; None when that is not in this project (then the note's
    own attachments decide)."""
    try:
        about = MemoAbout(record.about)
    except ValueError:
        return None
    if about is MemoAbout.PROJECT:
        return [(about, {})]
    if about is MemoAbout.CASE and record.case:
        case_id = store.documents.case_id_of(record.case)
        return [(about, {"case_id": case_id})] if case_id is not None else None
    if about is MemoAbout.CODE and record.code:
        return [(about, {"code": record.code})]
    return None  # documents and segments: the note's source and span say which


def _attached_to(store: Store, note: RefiNote, document_ids: Mapping[str, int],
                 code_keys: Mapping[str, str]) -> list[tuple[MemoAbout, dict]]:
    """A memo for each thing the note is attached to (the project when nothing)."""
    if note.source_guid is not None and note.start is not None and note.end is not None:
        document_id = document_ids.get(note.source_guid)
        if document_id is not None:
            segment_id = store.documents.segment_covering(document_id, note.start, note.end)
            if segment_id is not None:
                return [(MemoAbout.SEGMENT, {"segment_id": segment_id})]
            return [(MemoAbout.DOCUMENT, {"document_id": document_id})]
    places: list[tuple[MemoAbout, dict]] = []
    for target in note.targets:
        if target in code_keys:
            places.append((MemoAbout.CODE, {"code": code_keys[target]}))
        elif target in document_ids:
            places.append((MemoAbout.DOCUMENT, {"document_id": document_ids[target]}))
    return places or [(MemoAbout.PROJECT, {})]


def _moment(stored: str) -> datetime | None:
    """A stored UTC time ("2025-05-03T10:11:12.123Z") as a datetime."""
    try:
        return datetime.fromisoformat(stored.replace("Z", "+00:00"))
    except ValueError:
        return None


def _stored(moment: datetime | None) -> str | None:
    """A datetime in the form the project stores times (UTC, milliseconds, Z); naive means UTC."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
