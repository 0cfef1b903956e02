"""The key file (YAML the researcher keeps apart) and the plain-data form for a project."""

from __future__ import annotations

import json
import stat

import pytest

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    PseudonymKey,
    key_from_data,
    key_to_data,
    load_key,
    save_key,
)

KEY = PseudonymKey(
    entries=(
        KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
        KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
        KeyEntry("Harbour Academy", "School B", Kind.SCHOOL, EntrySource.CASE, ("Harbour",), case_sensitive=True),
        KeyEntry("Zoë O’Neill", "Participant 2", Kind.PERSON, EntrySource.CANDIDATE),
    ),
    ignored=("Rosenshine",),
)


def test_save_key_then_load_key_round_trips_and_is_private(tmp_path):
    path = save_key(KEY, tmp_path / "pseudonym-key.yaml")
    assert load_key(path) == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# qualkit pseudonym key")
    assert "Zoë O’Neill" in text  # readable as written, not escaped


def test_key_to_data_is_plain_json_and_comes_back():
    data = json.loads(json.dumps(key_to_data(KEY)))
    assert data["entries"][0] == {"original": "Brookfield Primary", "pseudonym": "School A", "kind": "school",
                                  "source": "case", "aliases": ["Brookfield"]}
    assert key_from_data(data) == KEY


def test_load_key_of_an_empty_file_is_an_empty_key(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text("# nothing yet\n")
    assert load_key(path) == PseudonymKey()


def test_load_key_reports_every_problem_with_file_and_line(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text(
        "version: 1\n"
        "entries:\n"
        "  - original: Brookfield Primary\n"
        "    pseudonym: School A\n"
        "    kind: scool\n"
        "  - original: Chloe\n"
        "    pseudonym: ECT 1\n"
        "    kind: person\n"
        "    alias: [Chlo]\n"
        "  - original: Kemi\n"
        "    kind: person\n"
    )
    with pytest.raises(PseudonymisationError) as error:
        load_key(path)
    assert str(error.value).splitlines() == [
        f"{path}:5: entry 1: kind 'scool' is not one of person, school, place, organisation, other "
        "(did you mean 'school'?)",
        f"{path}:9: entry 2: unknown field 'alias' (did you mean 'aliases'?)",
        f"{path}:10: entry 3: 'pseudonym' must be given as text",
    ]


def test_load_key_reports_clashing_entries_at_their_line(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text(
        "entries:\n"
        "  - {original: Brookfield Primary, pseudonym: School A, kind: school, aliases: [Brookfield]}\n"
        "  - {original: Chloe, pseudonym: School A, kind: person}\n"
    )
    with pytest.raises(PseudonymisationError, match=r"key.yaml:3: entry 2 \('Chloe'\): pseudonym 'School A' is also"):
        load_key(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("entries: [a\n", r"key.yaml:2: not valid YAML"),
     ("- just a list\n", r"key.yaml:1: a pseudonym key is a mapping"),
     ("version: 2\nentries: []\n", r"key.yaml:1: version 2 is not one qualkit reads"),
     ("entries:\n\t- x\n", r"key.yaml:2: a tab in the indentation")],
    ids=["bad yaml", "not a mapping", "version", "tab"],
)
def test_load_key_refuses_malformed_files_in_one_line(tmp_path, content, message):
    path = tmp_path / "key.yaml"
    path.write_text(content)
    with pytest.raises(PseudonymisationError, match=message):
        load_key(path)


def test_load_key_of_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(PseudonymisationError, match="no such key file; make one with `qualkit pseudonymise key build`"):
        load_key(tmp_path / "absent.yaml")
