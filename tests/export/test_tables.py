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
    pd.DataFrame(ROWS).to_csv(whole, index=False, lineterminator="\r\n")
    assert path.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("chunk_size", [1, 4, 100])
def test_json_in_chunks_is_one_array(tmp_path, chunk_size):
    path = tmp_path / "rows.json"
    write_table(iter(ROWS), path, chunk_size=chunk_size)
    assert json.loads(path.read_text(encoding="utf-8")) == ROWS


def test_empty_tables(tmp_path):
    assert write_table([], tmp_path / "none.csv", columns=["id", "text"]) == 0
    assert (tmp_path / "none.csv").read_bytes() == b"id,text\r\n"
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


HOSTILE = ['=HYPERLINK("http://example.test/x","click")', "+1 dial me", "-5 points", "@SUM(A1:A9)",
           "\tindented", "\rreturn", "=1+1", "plain words", "naïve – café 😀", "a - b = c"]


def test_csv_neutralises_formula_cells_and_keeps_numbers(tmp_path):
    import csv

    from qualkit.export.tables import restore_cell

    rows = [{"id": n, "text": text, "score": -0.5 * n} for n, text in enumerate(HOSTILE)]
    path = tmp_path / "rows.csv"
    write_table(rows, path, columns=["id", "text", "score"], chunk_size=3)
    with open(path, encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    dangerous = {"=", "+", "-", "@", "\t", "\r"}
    for row, text in zip(read, HOSTILE, strict=True):
        expected = "'" + text if text[0] in dangerous else text
        assert row["text"] == expected
        assert restore_cell(row["text"]) == text  # what a reader of qualkit's CSV gets back
    assert [float(row["score"]) for row in read] == [-0.5 * n for n in range(len(HOSTILE))]  # not quoted
    assert not any(row["text"].startswith(tuple(dangerous)) for row in read)


def test_csv_neutralises_a_formula_in_a_header(tmp_path):
    path = tmp_path / "rows.csv"
    write_table([{"=cmd": "x"}], path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "'=cmd"


def test_xlsx_writes_text_cells_as_text_and_numbers_as_numbers(tmp_path):
    import openpyxl

    rows = [{"id": n, "text": text, "score": n / 4} for n, text in enumerate(HOSTILE)]
    rows.append({"id": 99, "text": "page one\x0cpage two\x01", "score": None})
    path = tmp_path / "rows.xlsx"
    write_table(rows, path)
    sheet = openpyxl.load_workbook(path).active
    cells = list(sheet.iter_rows(min_row=2))
    for (identifier, text, score), written in zip(cells, HOSTILE, strict=False):
        assert text.data_type == "s" and text.value == written  # the participant's words, as text
        assert identifier.data_type == "n" and score.data_type == "n"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert cells[-1][1].value == "page one page two\ufffd"  # characters XLSX cannot hold
