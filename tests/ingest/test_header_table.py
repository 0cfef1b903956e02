import pytest

from qualkit.ingest.header_table import header_attributes


def test_header_attributes_keys_as_written_without_colons():
    rows = [["Participant ID:", " P07 "], ["Role", "ECT"], ["Notes", ""], ["Role", "again"]]
    assert header_attributes(rows) == {"Participant ID": "P07", "Role": "ECT"}


@pytest.mark.parametrize(
    "rows",
    [
        [["Career stage", "Programme", "Time"], ["ECT", "ECF", "10%"]],
        [["", "P07"]],
        [["A question that is far too long to be the name of an attribute of anything", "x"]],
        [["key", "value"]] * 31,
        [],
    ],
    ids=["three-columns", "empty-key", "long-key", "too-many-rows", "no-rows"],
)
def test_header_attributes_refuses_tables_that_are_content(rows):
    assert header_attributes(rows) is None
