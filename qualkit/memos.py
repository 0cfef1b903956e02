"""Memos: a researcher's notes on the project, a document, a case, a code or a segment.

A memo keeps every text it has had: an edit appends a revision (the store refuses to change or
delete one), and a memo shows its latest. A code memo follows its code through renames, moves and
merges (:mod:`qualkit.codechanges`).

:func:`memo_index` gathers every memo by what it is about, for the Word report (per code and
per case) and REFI-QDA export (as notes); :func:`memos_about` finds those on one review item.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import MemoError
from qualkit.records import Memo, MemoAbout

if TYPE_CHECKING:
    from qualkit.store import Store

#: A memo is notes, not a document: longer texts are refused (ingest them instead).
MAX_CHARACTERS = 1_000_000


def memo_text(*, text: str | None = None, file: str | os.PathLike | None = None) -> str:
    """The text of a memo from ``text`` or a UTF-8 ``file`` (exactly one), checked."""
    if (text is None) == (file is None):
        raise MemoError("give the memo's text with --text TEXT or --file FILE (one of them)")
    if file is not None:
        path = Path(file)
        try:
            if path.stat().st_size > 4 * MAX_CHARACTERS:
                raise MemoError(f"{path}: too long for a memo (over {MAX_CHARACTERS:,} characters); ingest it as a "
                                "document instead")
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise MemoError(f"{path}: no such file") from None
        except UnicodeDecodeError as exc:
            raise MemoError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
        except OSError as exc:
            raise MemoError(f"{path}: cannot read it ({exc.strerror})") from None
    assert text is not None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise MemoError("the memo's text is empty")
    if len(text) > MAX_CHARACTERS:
        raise MemoError(f"the memo is {len(text):,} characters; a memo holds up to {MAX_CHARACTERS:,}")
    return text


def memo_author(author: str | None) -> str:
    name = " ".join((author or "").split())
    if not name:
        raise MemoError("a memo needs its author: --author NAME")
    return name


def memo_title(title: str | None) -> str | None:
    cleaned = " ".join((title or "").split())
    if len(cleaned) > 200:
        raise MemoError(f"the title is {len(cleaned)} characters; keep it under 200 (the memo holds the rest)")
    return cleaned or None


@dataclass(frozen=True)
class MemoIndex:
    """Every memo by what it is about, for reports and exports: ``project`` memos, and memos by
    document name, case name, code key and segment id."""

    project: tuple[Memo, ...] = ()
    documents: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    cases: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    codes: Mapping[str, tuple[Memo, ...]] = field(default_factory=dict)
    segments: Mapping[int, tuple[Memo, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.project) + sum(len(group) for index in (self.documents, self.cases, self.codes, self.segments)
                                       for group in index.values())


def memo_index(store: Store) -> MemoIndex:
    """Every memo, grouped by what it is about (oldest first within a group)."""
    project: list[Memo] = []
    groups: dict[MemoAbout, dict] = {about: {} for about in MemoAbout}
    for memo in store.memos.find():
        target = memo.target
        if target.about is MemoAbout.PROJECT:
            project.append(memo)
            continue
        key = {MemoAbout.DOCUMENT: target.document, MemoAbout.CASE: target.case, MemoAbout.CODE: target.code,
               MemoAbout.SEGMENT: memo.segment_id}[target.about]
        groups[target.about].setdefault(key, []).append(memo)

    def frozen(about: MemoAbout) -> dict:
        return {key: tuple(memos) for key, memos in groups[about].items()}

    return MemoIndex(project=tuple(project), documents=frozen(MemoAbout.DOCUMENT), cases=frozen(MemoAbout.CASE),
                     codes=frozen(MemoAbout.CODE), segments=frozen(MemoAbout.SEGMENT))


def memos_about(store: Store, *, segment_id: int | None = None, document_id: int | None = None,
                case_id: int | None = None, codes: Sequence[str] = ()) -> tuple[Memo, ...]:
    """The memos on any of: a segment, a document, a case, these codes (oldest first)."""
    if segment_id is None and document_id is None and case_id is None and not codes:
        return ()
    found = store.memos.find(
        segment_ids=[segment_id] if segment_id is not None else None,
        about=None,
        case_ids=[case_id] if case_id is not None else None,
        codes=list(codes) or None,
    )
    if document_id is not None:
        found += store.memos.find(about=[MemoAbout.DOCUMENT], document_ids=[document_id])
    return tuple(sorted({memo.id: memo for memo in found}.values(), key=lambda memo: memo.id))
