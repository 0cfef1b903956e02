"""Tables are written a chunk at a time for CSV and JSON: one header, one valid JSON array, the
same rows as writing them whole, and nothing left behind when the rows fail midway."""

import json

import pandas as pd
import pytest

from qualkit.errors import QualkitError
from qualkit.export.tables import write_table

ROWS = [{"id": i, "text": f'say "{i}", then, go' if i % 3 else None, "score": i / 4} for i in range(11)]


@pytest.mark.parametrize("chunk_size", [1, 4, 100])
def test_csv_in_chunks_equals_whole(tmp_path, chunk_size):
    path = tmp_path / "rows.csv"
    assert write_table(iter(ROWS), path, chunk_size=chunk_size) == len(ROWS)
    assert path.read_text(encoding="utf-8").count("id,text,score") == 1
    whole = tmp_path / "whole.csv"
    pd.DataFrame(ROWS).to_csv(whole, index=False)
    assert path.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")


@pytest.mark.parametrize("chunk_size", [1, 4, 100])
def test_json_in_chunks_is_one_array(tmp_path, chunk_size):
    path = tmp_path / "rows.json"
    write_table(iter(ROWS), path, chunk_size=chunk_size)
    assert json.loads(path.read_text(encoding="utf-8")) == ROWS


def test_empty_tables(tmp_path):
    assert write_table([], tmp_path / "none.csv", columns=["id", "text"]) == 0
    assert (tmp_path / "none.csv").read_text() == "id,text\n"
    write_table([], tmp_path / "none.json")
    assert json.loads((tmp_path / "none.json").read_text()) == []


def test_failure_midway_keeps_the_old_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("old\n")

    def rows():
        yield from ROWS[:5]
        raise QualkitError("codebook vanished")

    with pytest.raises(QualkitError, match="vanished"):
        write_table(rows(), path, chunk_size=2)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]
