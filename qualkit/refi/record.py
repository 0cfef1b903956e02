"""What REFI-QDA cannot say, kept in one note qualkit writes and reads back: the qualkit record.

A .qdpx carries codings, but not how a project was segmented, which documents or segments each
coder coded fully (so that "not coded" means "no"), or what they rejected. Without those, a
round trip through another program or qualkit's own .qdpx would change agreement figures. Nor
can it say that a note is a memo on a case (a case has no notes in REFI-QDA), or every earlier
text of a memo; the record keeps, for each memo's note, what it is about and its revisions. The
record is one note named :data:`NOTE_NAME` holding a short explanation and then JSON; other
programs show it as an ordinary memo, qualkit rebuilds segments and coverage from it. Positions
are code points of the source text, as everywhere in REFI-QDA.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qualkit.errors import RefiError

NOTE_NAME = "qualkit record"
FORMAT = "qualkit-record"
VERSION = 1
_PREFACE = (
    "Written by qualkit for qualkit: how each document was segmented and what each coder coded fully "
    "or rejected, so that agreement is the same after a round trip. Other programs may ignore it.\n"
)

Span = tuple[int, int]


@dataclass(frozen=True)
class DocumentRecord:
    kind: str
    unit: str
    segments: tuple[tuple[int, int, str | None, float | None], ...]  # start, end, speaker, timestamp


@dataclass(frozen=True)
class CoderRecord:
    documents: tuple[str, ...] = ()  # source guids coded fully
    segments: tuple[tuple[str, int, int], ...] = ()  # (source guid, start, end) coded fully
    rejections: tuple[tuple[str, int, int, str], ...] = ()  # (source guid, start, end, code key)


@dataclass(frozen=True)
class MemoRecord:
    """A memo's note: what it is about (a case by name, a code by key: the note's own anchors say
    which document or segment), its title and every text it has had, oldest first."""

    about: str  # project, document, case, code or segment
    created_at: str
    revisions: tuple[tuple[str, str, str], ...]  # (text, author, written_at)
    title: str | None = None
    case: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class QualkitRecord:
    documents: Mapping[str, DocumentRecord] = field(default_factory=dict)  # by source guid
    coders: Mapping[str, CoderRecord] = field(default_factory=dict)  # by reviewer name
    memos: Mapping[str, MemoRecord] = field(default_factory=dict)  # by note guid
    # notes left on rejections still in force: note guid -> (reviewer, code). A rejection in a segment the
    # reviewer coded fully is implied by coverage and not listed above; its note brings it back.
    rejection_notes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    decision_notes: tuple[str, ...] = ()  # guids of every note qualkit wrote from a decision's note


def dumps(record: QualkitRecord) -> str:
    data = {
        "format": FORMAT, "version": VERSION,
        "documents": {
            guid: {"kind": d.kind, "unit": d.unit, "segments": [list(s) for s in d.segments]}
            for guid, d in record.documents.items()
        },
        "coders": {
            name: {"documents": list(c.documents), "segments": [list(s) for s in c.segments],
                   "rejections": [list(r) for r in c.rejections]}
            for name, c in record.coders.items()
        },
    }
    if record.decision_notes:  # older readers ignore these keys
        data["decision_notes"] = list(record.decision_notes)
    if record.rejection_notes:
        data["rejection_notes"] = {guid: list(pair) for guid, pair in record.rejection_notes.items()}
    if record.memos:
        data["memos"] = {
            guid: {"about": m.about, "created_at": m.created_at, "title": m.title, "case": m.case, "code": m.code,
                   "revisions": [list(r) for r in m.revisions]}
            for guid, m in record.memos.items()
        }
    return _PREFACE + json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def loads(text: str, *, where: str) -> QualkitRecord:
    """The record in a note's text; RefiError naming ``where`` when it is not one qualkit can read."""
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError as exc:
        raise RefiError(f"{where}: the {NOTE_NAME!r} note is not valid JSON ({exc}); remove the note and import "
                        "again (segments and coverage are then worked out as for other programs)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RefiError(f"{where}: the {NOTE_NAME!r} note is not a qualkit record")
    if data.get("version") != VERSION:
        raise RefiError(f"{where}: the {NOTE_NAME!r} note has version {data.get('version')!r}; this qualkit reads "
                        f"version {VERSION}")
    try:
        documents = {
            str(guid): DocumentRecord(
                kind=str(d["kind"]), unit=str(d["unit"]),
                segments=tuple((int(s[0]), int(s[1]), _text(s[2]), _number(s[3])) for s in d["segments"]),
            )
            for guid, d in _mapping(data.get("documents")).items()
        }
        coders = {
            str(name): CoderRecord(
                documents=tuple(str(g) for g in c.get("documents", ())),
                segments=tuple((str(s[0]), int(s[1]), int(s[2])) for s in c.get("segments", ())),
                rejections=tuple((str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in c.get("rejections", ())),
            )
            for name, c in _mapping(data.get("coders")).items()
        }
        memos = {
            str(guid): MemoRecord(
                about=str(m["about"]), created_at=str(m["created_at"]), title=_text(m.get("title")),
                case=_text(m.get("case")), code=_text(m.get("code")),
                revisions=tuple((str(r[0]), str(r[1]), str(r[2])) for r in m["revisions"]),
            )
            for guid, m in _mapping(data.get("memos", {})).items()
        }
        rejection_notes = {str(guid): (str(pair[0]), str(pair[1]))
                           for guid, pair in _mapping(data.get("rejection_notes", {})).items()}
        decision_notes = tuple(str(guid) for guid in data.get("decision_notes", ()))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise RefiError(f"{where}: the {NOTE_NAME!r} note is damaged ({exc!r}); remove it and import again") from None
    return QualkitRecord(documents=documents, coders=coders, memos=memos, rejection_notes=rejection_notes,
                         decision_notes=decision_notes)


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected a mapping")
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
