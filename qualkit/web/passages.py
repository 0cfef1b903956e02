"""How passages and codes are shown: evidence highlighting, code details, and the filters pages share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request

from qualkit.web.pages import queries, query

if TYPE_CHECKING:
    from qualkit.project import Project

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


@dataclass(frozen=True)
class CodeInfo:
    """What a reviewer needs to know about a code to decide it."""

    key: str
    name: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    theme: str

    @classmethod
    def unknown(cls, key: str) -> CodeInfo:
        return cls(key, key, "(not in the current codebook)", (), (), "")


def code_infos(project: Project) -> dict[str, CodeInfo]:
    """Every code of the current codebook by key."""
    _, codebook = project.codebook()
    return {
        code.key: CodeInfo(code.key, code.name, code.definition, code.include, code.exclude, codebook.theme(code.key))
        for code in codebook.codes
    }


@dataclass(frozen=True)
class Filters:
    """Which passages a page is about: codes (and what is under them), documents, a case, an order."""

    codes: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    case: str | None = None
    order: str = "document"

    @classmethod
    def of(cls, request: Request) -> Filters:
        order = query(request, "order") or "document"
        return cls(
            codes=tuple(queries(request, "code")), documents=tuple(queries(request, "document")),
            case=query(request, "case"), order=order if order in dict(ORDERS) else "document",
        )

    def pairs(self, *, order: bool = True) -> list[tuple[str, str]]:
        found = [("code", code) for code in self.codes] + [("document", name) for name in self.documents]
        if self.case:
            found.append(("case", self.case))
        if order and self.order != "document":
            found.append(("order", self.order))
        return found

    @property
    def query(self) -> str:
        """The filters as a query string (for links and forms that keep them)."""
        return urlencode(self.pairs())

    @property
    def active(self) -> bool:
        return bool(self.codes or self.documents or self.case)

    def options(self, project: Project) -> dict[str, Any]:
        """What the filter form offers: codable codes with names, documents, cases, orders."""
        _, codebook = project.codebook()
        return {
            "codes": [(code.key, code.name) for code in codebook.codes],
            "documents": [document.name for document in project.documents()],
            "cases": [case.name for case in project.cases()],
            "orders": ORDERS,
        }
