"""Memos: a researcher's notes on the project, a document, a case, a code or a segment.

A memo keeps every text it has had: an edit appends a revision (the store refuses to change or
delete one), and a memo shows its latest. A code memo follows its code through renames, moves and
merges (:mod:`qualkit.codechanges`).

:func:`memo_index` gathers every memo by what it is about, for the Word report (per code and
per case) and REFI-QDA export (as notes); :func:`memos_about` finds those on one review item and
:func:`memos_for_review` orders them for a reviewer; :func:`write_memo` writes one from a review.
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
    from qualkit.codebook import Codebook
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


def with_themes(codebook: Codebook | None, codes: Sequence[str]) -> list[str]:
    """Each code followed by the themes above it, once each (a key the codebook lacks stands alone)."""
    keys: list[str] = []
    for code in codes:
        current: str | None = code
        while current is not None and current not in keys:
            keys.append(current)
            current = codebook.code(current).parent if codebook is not None and current in codebook.keys else None
    return keys


def memos_for_review(store: Store, codebook: Codebook | None, *, segment_id: int, document_id: int,
                     case: str | None, codes: Sequence[str]) -> tuple[Memo, ...]:
    """The memos a reviewer sees with a segment: on the segment, its codes (and the themes above them),
    its document and its case; the most specific first (segment, codes, document, case)."""
    keys = with_themes(codebook, codes)
    case_id = store.documents.case_id_of(case) if case else None
    found = memos_about(store, segment_id=segment_id, document_id=document_id, case_id=case_id, codes=keys)
    rank = {MemoAbout.SEGMENT: 0, MemoAbout.CODE: 1, MemoAbout.DOCUMENT: 2, MemoAbout.CASE: 3, MemoAbout.PROJECT: 4}

    def order(memo: Memo) -> tuple[int, int, int]:
        depth = keys.index(memo.target.code) if memo.target.code in keys else 0
        return rank[memo.target.about], depth, memo.id

    return tuple(sorted(found, key=order))


def write_memo(store: Store, about: MemoAbout, *, author: str, text: str, title: str | None = None,
               document_id: int | None = None, case_id: int | None = None, code: str | None = None,
               segment_id: int | None = None) -> Memo:
    """Write a memo (text, author and title checked as `qualkit memo add` checks them) and return it."""
    memo_id = store.memos.add(about=about, author=memo_author(author), text=memo_text(text=text),
                              title=memo_title(title), document_id=document_id, case_id=case_id, code=code,
                              segment_id=segment_id)
    found = store.memos.get(memo_id)
    assert found is not None
    return found


def memo_on(store: Store, author: str, text: str, *, on: MemoAbout | str, segment_id: int, document_id: int | None,
            case: str | None, code: str | None, codebook: Codebook | None = None) -> Memo:
    """A memo written during review on what is shown: the segment, its document, its case, a code
    (checked against ``codebook`` when given) or the project."""
    from qualkit.errors import NotFoundError, did_you_mean

    try:
        about = MemoAbout(on)
    except ValueError:
        raise MemoError(f"a memo is on one of: {', '.join(a.value for a in MemoAbout)} (not {on!r})") from None
    case_id = store.documents.case_id_of(case) if case else None
    if about is MemoAbout.DOCUMENT and document_id is None:
        raise MemoError("this item does not say its document; write the memo on its segment instead")
    if about is MemoAbout.CASE and case_id is None:
        raise MemoError("this document belongs to no case; write the memo on its document instead")
    if about is MemoAbout.CODE:
        if not code:
            raise MemoError("say which code the memo is on")
        if codebook is not None and code not in codebook.keys:
            raise NotFoundError(f"no code {code!r} in codebook {codebook.name!r}{did_you_mean(code, codebook.keys)}")
    return write_memo(
        store, about, author=author, text=text,
        segment_id=segment_id if about is MemoAbout.SEGMENT else None,
        document_id=document_id if about is MemoAbout.DOCUMENT else None,
        case_id=case_id if about is MemoAbout.CASE else None,
        code=code if about is MemoAbout.CODE else None,
    )
