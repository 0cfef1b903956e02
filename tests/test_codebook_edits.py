"""Renaming, merging and moving codes in a codebook's YAML data, and writing it back."""

from __future__ import annotations

from qualkit.codebook import parse_codebook
from qualkit.codebook_edits import dump, entries, merge, move, rename, with_version
from qualkit.yamlsource import load_yaml

SOURCE = """\
name: Edits
version: 7
codes:
  - key: a
    name: A
    codable: false
    children:
      - key: a.x
        name: X
        definition: x things.
        patterns: [alpha, {tokens: [{LOWER: beta}]}]
        examples: ["an alpha example"]
      - key: a.y
        name: Y
        definition: y things.
        patterns: [gamma, alpha]
        exclude_patterns: [gamma ray]
  - key: b
    name: B
    definition: b things.
toc:
  stages: []
  links:
    - {from: a.x, to: b}
    - {from: a.y, to: b}
    - {from: a.x, to: a.y}
"""


def data() -> dict:
    loaded = load_yaml(SOURCE).data
    assert isinstance(loaded, dict)
    return loaded


def keys(edited: dict) -> list[tuple[str, str | None]]:
    return [(entry["key"], parent) for entry, _, parent in entries(edited)]


def test_codebook_edits_rename_updates_entries_parents_and_links():
    edited = rename(data(), {"a.x": "a.z"})
    assert keys(edited) == [("a", None), ("a.z", "a"), ("a.y", "a"), ("b", None)]
    assert next(e for e, _, _ in entries(edited) if e["key"] == "a.z")["renamed_from"] == "a.x"
    assert edited["toc"]["links"][0] == {"from": "a.z", "to": "b"}
    assert data()["codes"][0]["children"][0]["key"] == "a.x"  # the input is not changed


def test_codebook_edits_merge_unions_patterns_and_drops_links_that_became_loops():
    edited = merge(data(), ["a.x"], "a.y")
    target = next(e for e, _, _ in entries(edited) if e["key"] == "a.y")
    assert target["patterns"] == ["gamma", "alpha", {"tokens": [{"LOWER": "beta"}]}]  # alpha not twice
    assert target["exclude_patterns"] == ["gamma ray"] and target["examples"] == ["an alpha example"]
    assert target["merged_from"] == ["a.x"]
    assert [(link["from"], link["to"]) for link in edited["toc"]["links"]] == [("a.y", "b")]


def test_codebook_edits_move_nests_the_entry_and_pins_codable():
    edited = move(data(), "a.y", "b", {"a.y": "b.y"})
    assert keys(edited) == [("a", None), ("a.x", "a"), ("b", None), ("b.y", "b")]
    new_parent = next(e for e, _, _ in entries(edited) if e["key"] == "b")
    assert new_parent["codable"] is True  # it was a leaf: gaining a child must not make it a theme
    old_parent = next(e for e, _, _ in entries(edited) if e["key"] == "a")
    assert old_parent["codable"] is False


def test_codebook_edits_dump_parses_back_to_the_same_codes():
    edited = with_version(rename(data(), {"a.x": "a.z"}), 3)
    text = dump(edited, header="Written by a test.")
    assert text.startswith("# Written by a test.\nname: Edits\nversion: 3\n")
    codebook, warnings = parse_codebook(text, compile_patterns=False)
    assert codebook.keys == ("a", "a.z", "a.y", "b")
    assert codebook.code("a.z").patterns[1].value == [{"LOWER": "beta"}]
    assert codebook.code("a.z").renamed_from == "a.x"
    original, _ = parse_codebook(SOURCE, compile_patterns=False)
    assert [c.definition for c in codebook.codes] == [c.definition for c in original.codes]
