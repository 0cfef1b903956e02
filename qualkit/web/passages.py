"""How passages and codes are shown: evidence highlighting, code details, and the filters pages share."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request

from qualkit.web.pages import fragment, macro, queries, query
from qualkit.web.pseudonyms import AS_STORED, Pseudonyms, ShownNames

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.project import Project
    from qualkit.pseudonymise import Pseudonymisation

#: How long the codebook and corpus lists pages show are kept before being read again (seconds): they
#: change only when someone loads a codebook or ingests, and reading them costs more than a whole
#: review request otherwise would.
FURNITURE_TTL = 15.0

ORDERS = (("document", "document order"), ("score", "highest score first"), ("uncertainty", "least certain first"))


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_evidence) pieces; overlapping spans merge, spans outside are clipped.
    The template escapes every piece: highlighting never builds HTML from participant text."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in merged:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text) or not pieces:
        pieces.append((text[position:], False))
    return pieces


def highlight_by(text: str, spans: Iterable[tuple[int, int, int]]) -> list[tuple[str, tuple[int, ...]]]:
    """``text`` cut into (piece, labels) pieces, ``labels`` being those of the (start, end, label) spans
    that cover the piece (empty: no evidence there); spans outside the text are clipped. Lets a page
    show which proposal's evidence is where. The template escapes every piece."""
    clipped = [(max(0, s), min(len(text), e), label) for s, e, label in spans]
    clipped = [(s, e, label) for s, e, label in clipped if s < e]
    cuts = sorted({0, len(text), *(s for s, _, _ in clipped), *(e for _, e, _ in clipped)})
    pieces: list[tuple[str, tuple[int, ...]]] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        labels = tuple(sorted({label for s, e, label in clipped if s <= start and end <= e}))
        if pieces and pieces[-1][1] == labels:
            pieces[-1] = (pieces[-1][0] + text[start:end], labels)
        else:
            pieces.append((text[start:end], labels))
    return pieces or [(text, ())]


@dataclass(frozen=True)
class CodeInfo:
    """What a reviewer needs to know about a code to decide it."""

    key: str
    name: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    theme: str  # the names of the codes it sits under, theme first

    @classmethod
    def unknown(cls, key: str) -> CodeInfo:
        return cls(key, key, "(not in the current codebook)", (), (), "")


@dataclass(frozen=True)
class Filters:
    """Which passages a page is about: codes (and what is under them), documents, a case, an order."""

    codes: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    case: str | None = None
    order: str = "document"
    every: bool = False  # review: after the proposals, every other segment too (independent coding)

    @classmethod
    def of(cls, request: Request) -> Filters:
        return cls.parse(codes=queries(request, "code"), documents=queries(request, "document"),
                         case=query(request, "case"), order=query(request, "order"), every=query(request, "every"))

    @classmethod
    def parse(cls, *, codes: Iterable[str], documents: Iterable[str], case: str | None, order: str | None,
              every: str | None) -> Filters:
        """Filters from a query string's or a form's values (unknown orders read as document order)."""
        return cls(
            codes=tuple(code for code in codes if code), documents=tuple(name for name in documents if name),
            case=case or None, order=order if order in dict(ORDERS) else "document", every=every == "1",
        )

    def pairs(self, *, order: bool = True) -> list[tuple[str, str]]:
        found = [("code", code) for code in self.codes] + [("document", name) for name in self.documents]
        if self.case:
            found.append(("case", self.case))
        if order and self.order != "document":
            found.append(("order", self.order))
        if self.every:
            found.append(("every", "1"))
        return found

    @property
    def query(self) -> str:
        """The filters as a query string (for links and forms that keep them)."""
        return urlencode(self.pairs())

    @property
    def active(self) -> bool:
        return bool(self.codes or self.documents or self.case or self.every)

    def in_project(self, names: ShownNames) -> Filters:
        """These filters with the project's document and case names (pages show and post the shown
        ones: pseudonymised when the server is)."""
        return dataclasses.replace(self, documents=tuple(names.document(name) for name in self.documents),
                                   case=names.case(self.case) if self.case else None)


@dataclass(frozen=True)
class Furniture:
    """What every page about passages shows besides the passage: codes and the filters' choices."""

    infos: dict[str, CodeInfo]
    codable: list[tuple[str, str]]  # (key, name) of every codable code
    options: dict[str, Any]
    read_at: float
    reviewers: frozenset[str] = frozenset()  # names of the accounts with the reviewer role
    memos: int = 0  # how many memos the project has (none: review pages need not look for them)
    names: ShownNames = ShownNames()  # document and case names as pages show them, and back
    # the compiled key it was made with, current for this request (None: names as stored); pages
    # pseudonymise their passages with it rather than loading the key again
    pseudonymised: Pseudonymisation | None = None


def furniture(project: Project, state: dict[str, Any], *, pseudonyms: Pseudonyms = AS_STORED,
              now: float | None = None) -> Furniture:
    """The page furniture of a worker's project, read at most every FURNITURE_TTL seconds; with
    ``pseudonyms`` on, codes and names as the key shows them, read again at once when the key
    changes (a name just added to it must not stay in the filter lists until the next reading)."""
    now = time.monotonic() if now is None else now
    kept = state.get("furniture")
    shown = pseudonyms.of(project)  # the same object until the key changes (Project.pseudonymised_view)
    if isinstance(kept, Furniture) and now - kept.read_at < FURNITURE_TTL and kept.pseudonymised is shown:
        return kept
    _, codebook = project.codebook()
    if shown is not None:  # code names, definitions and criteria may name a school or a town too
        codebook = shown.codebook(codebook)
    names = ShownNames.of([document.name for document in project.documents()],
                          [case.name for case in project.cases()], shown)
    made = Furniture(
        infos={code.key: CodeInfo(code.key, code.name, code.definition, code.include, code.exclude,
                                  _ancestry(codebook, code.key)) for code in codebook.codes},
        codable=[(code.key, code.name) for code in codebook.codable],
        options={
            "codes": [(code.key, code.name) for code in codebook.codes],
            "documents": list(names.documents),
            "cases": list(names.cases),
            "orders": ORDERS,
        },
        read_at=now,
        reviewers=frozenset(account.name for account in project.users() if not account.role.can_adjudicate),
        memos=len(project.memo_index()),
        names=names,
        pseudonymised=shown,
    )
    state["furniture"] = made
    return made


def _ancestry(codebook: Codebook, key: str) -> str:
    """The names of the codes a code sits under, theme first ("" for a theme)."""
    names: list[str] = []
    parent = codebook.code(key).parent
    while parent:
        code = codebook.code(parent)
        names.append(code.name)
        parent = code.parent
    return " › ".join(reversed(names))


def filter_form(request: Request, action: str, filters: Filters, shown: Furniture, *,
                extra: dict[str, str] | None = None, with_order: bool = False) -> Any:
    """The filter form of a page, rendered once per furniture reading and choice of filters."""
    key = ("filters", action, shown.read_at, tuple(filters.pairs()), tuple(sorted((extra or {}).items())), with_order)
    return fragment(request, key, lambda: macro(request, "filter_form")(
        action, filters, shown.options, extra=extra or {}, with_order=with_order))
