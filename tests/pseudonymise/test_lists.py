"""Lists a researcher supplies: a names file (CSV or plain text) and a places file."""

from __future__ import annotations

import pytest

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise import EntrySource, Kind, NameInput, read_names_file, read_places_file


def test_read_names_file_csv_gives_kinds_and_pseudonyms(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("Name,Kind,Pseudonym\nChloe Rutherford,person,ECT 1\n\"Castleton, upper\",place,\n"
                    "Northern Lights Learning Trust,Organisation,\n,,\nKemi,,\n", encoding="utf-8")
    assert read_names_file(path) == [
        NameInput("Chloe Rutherford", Kind.PERSON, EntrySource.RESEARCHER, "ECT 1"),
        NameInput("Castleton, upper", Kind.PLACE, EntrySource.RESEARCHER, None),
        NameInput("Northern Lights Learning Trust", Kind.ORGANISATION, EntrySource.RESEARCHER, None),
        NameInput("Kemi", Kind.PERSON, EntrySource.RESEARCHER, None),
    ]


def test_read_names_file_text_is_one_name_a_line_of_the_kind_given(tmp_path):
    path = tmp_path / "villages.txt"
    path.write_text("# villages near our schools\nCastleton\n\n  Little   Snoring \n", encoding="utf-8")
    assert read_names_file(path, kind=Kind.PLACE) == [
        NameInput("Castleton", Kind.PLACE, EntrySource.RESEARCHER), NameInput("Little Snoring", Kind.PLACE,
                                                                               EntrySource.RESEARCHER)]


@pytest.mark.parametrize(
    ("content", "message"),
    [("who,kind\nChloe,person\n", "names.csv:1: a names CSV needs a 'name' column (and may have 'kind' and "
                                  "'pseudonym'); its columns are who, kind"),
     ("name,knd\nChloe,person\n", "names.csv:1: unknown column 'knd' (did you mean 'kind'?); a names CSV has name, "
                                  "kind and pseudonym"),
     ("name,kind\nChloe,persn\n", "names.csv:2: kind 'persn' is not one of person, school, place, organisation, "
                                  "other (did you mean 'person'?)"),
     ("name,kind\nChloe,person,extra\n", "names.csv:2: 3 fields where the header has 2 (quote a name that has a "
                                         "comma in it)"),
     ("name,kind\n,person\n", "names.csv:2: no name on this line")],
    ids=["no-name-column", "unknown-column", "unknown-kind", "extra-field", "empty-name"],
)
def test_read_names_file_names_the_line_of_a_problem(tmp_path, content, message):
    path = tmp_path / "names.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PseudonymisationError) as caught:
        read_names_file(path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_read_places_file_and_a_missing_file(tmp_path):
    path = tmp_path / "places.txt"
    path.write_text("Castleton\n# a comment\nUpper Fell\n", encoding="utf-8")
    assert read_places_file(path) == ["Castleton", "Upper Fell"]
    with pytest.raises(PseudonymisationError, match=r"nowhere\.txt: no such places file"):
        read_places_file(tmp_path / "nowhere.txt")
