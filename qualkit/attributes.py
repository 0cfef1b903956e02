"""``--where NAME=VALUE``: checked against the project's case and document attributes.

A value matching only in case ("Primary" for "primary") is taken as the stored one; a value no
case or document has is refused with the values there are, and an unknown name with the names
there are. ``case``, ``kind`` and ``document`` filter on a document's case, kind and name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from qualkit.errors import NotFoundError, did_you_mean
from qualkit.records import Case, Coding, DocumentInfo

#: Filters every document has, besides its case's and its own attributes.
FIXED = ("case", "kind", "document")


def known_values(*, attributes: Mapping[str, Sequence[str]], documents: Iterable[DocumentInfo],
                 cases: Iterable[Case]) -> dict[str, list[str]]:
    """Every name ``--where`` accepts, with its values in the order they were first given."""
    documents = list(documents)
    known = {name: list(values) for name, values in attributes.items()}
    known.setdefault("case", [case.name for case in cases])
    known.setdefault("kind", list(dict.fromkeys(document.kind.value for document in documents)))
    known.setdefault("document", [document.name for document in documents])
    return known


def resolve_name(name: str, known: Mapping[str, Sequence[str]]) -> str:
    """An attribute name as the project spells it (matching in all but case); refused when unknown."""
    if name in known:
        return name
    same = [k for k in known if k.casefold() == name.casefold()]
    if len(same) != 1:
        names = [k for k in known if k not in FIXED] + list(FIXED)
        raise NotFoundError(f"no attribute {name!r}{did_you_mean(name, names)}; attributes: {', '.join(names)}")
    return same[0]


def resolve_where(where: Mapping[str, str] | None, known: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """``where`` with each name and value as the project spells them; refused when either is unknown."""
    resolved: dict[str, str] = {}
    for name, value in (where or {}).items():
        name = resolve_name(name, known)
        values = list(known[name])
        if value not in values:
            same = [v for v in values if v.casefold() == value.casefold()]
            if len(same) != 1:
                listed = ", ".join(values[:30]) + (f", ... ({len(values)} values)" if len(values) > 30 else "")
                raise NotFoundError(f"{name} has no value {value!r}: {listed or 'no values yet'}")
            value = same[0]
        resolved[name] = value
    return resolved


def document_attributes(documents: Iterable[DocumentInfo], cases: Iterable[Case],
                        own: Mapping[int, Mapping[str, str]]) -> dict[int, dict[str, str]]:
    """document id → what ``--where`` can test on it: its case's attributes, then its own, then
    case, kind and document."""
    by_case = {case.name: case.attributes for case in cases}
    return {
        document.id: {**(by_case.get(document.case, {}) if document.case else {}), **own.get(document.id, {}),
                      "case": document.case or "", "kind": document.kind.value, "document": document.name}
        for document in documents
    }


def matching_documents(where: Mapping[str, str], attributes: Mapping[int, Mapping[str, str]]) -> set[int]:
    """The documents whose attributes have every value ``where`` names."""
    return {document for document, found in attributes.items()
            if all(found.get(name) == value for name, value in where.items())}


def attribute_of(coding: Coding, name: str) -> str | None:
    """A coding's value for a ``--by`` name: an attribute, or its case, kind or document."""
    if name == "case":
        return coding.case
    if name == "kind":
        return coding.kind.value
    if name == "document":
        return coding.document
    return coding.attributes.get(name)
