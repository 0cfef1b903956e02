"""--where checked against the project's attributes: case-insensitive values, clear refusals."""

from __future__ import annotations

import pytest

from qualkit.attributes import matching_documents, resolve_name, resolve_where
from qualkit.errors import NotFoundError

KNOWN = {"phase": ["primary", "secondary", "special", "all-through"], "region": ["North West", "north west"],
         "case": ["Brookfield"], "kind": ["transcript"], "document": ["a.txt"]}


def test_attributes_exact_and_case_insensitive_values():
    assert resolve_where({"phase": "secondary"}, KNOWN) == {"phase": "secondary"}
    assert resolve_where({"phase": "Primary"}, KNOWN) == {"phase": "primary"}
    assert resolve_where({"Phase": "SPECIAL"}, KNOWN) == {"phase": "special"}
    assert resolve_where({"region": "north west"}, KNOWN) == {"region": "north west"}  # exact wins


def test_attributes_unknown_value_lists_the_values_there_are():
    with pytest.raises(NotFoundError) as refused:
        resolve_where({"phase": "Primry"}, KNOWN)
    assert str(refused.value) == "phase has no value 'Primry': primary, secondary, special, all-through"
    with pytest.raises(NotFoundError, match="region has no value 'NORTH WEST'"):  # two spellings: ambiguous
        resolve_where({"region": "NORTH WEST"}, KNOWN)


def test_attributes_unknown_name_lists_the_names_there_are():
    with pytest.raises(NotFoundError) as refused:
        resolve_name("phse", KNOWN)
    assert str(refused.value) == ("no attribute 'phse' (did you mean 'phase'?); attributes: phase, region, case, "
                                  "kind, document")


def test_attributes_matching_documents():
    attributes = {1: {"phase": "primary", "case": "A"}, 2: {"phase": "secondary", "case": "B"}, 3: {"case": ""}}
    assert matching_documents({"phase": "primary"}, attributes) == {1}
    assert matching_documents({"phase": "primary", "case": "B"}, attributes) == set()
    assert matching_documents({}, attributes) == {1, 2, 3}
