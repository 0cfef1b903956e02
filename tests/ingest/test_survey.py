import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.survey import read_survey

CSV = (
    "id,school,role,answer\n"
    "R1,Brookfield,ECT,\"My mentor helped me plan, every week.\"\n"
    "R2,Fellside,Mentor,\n"
    "R3,Harbour,NPQ,The NPQ gave me language for leading change.\n"
)


def test_read_survey_csv_rows_become_documents(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV, encoding="utf-8")
    raws, warnings = read_survey(
        path, path.read_bytes(), ReadOptions(id_column="id", text_column="answer")
    )
    respondent = {"question": "answer"}
    assert [(r.name_suffix, r.text, r.attributes) for r in raws] == [
        ("R1", "My mentor helped me plan, every week.", {"school": "Brookfield", "role": "ECT", **respondent}),
        ("R3", "The NPQ gave me language for leading change.", {"school": "Harbour", "role": "NPQ", **respondent}),
    ]
    assert "1 row(s) with an empty 'answer' skipped" in warnings[0]


def test_read_survey_xlsx(tmp_path):
    import pandas as pd

    path = tmp_path / "responses.xlsx"
    pd.DataFrame({"id": [1, 2], "answer": ["Coaching works.", "More time please."]}).to_excel(
        path, index=False
    )
    raws, _ = read_survey(path, path.read_bytes(), ReadOptions(id_column="id", text_column="answer"))
    assert [(r.name_suffix, r.text) for r in raws] == [("1", "Coaching works."), ("2", "More time please.")]


def test_read_survey_missing_column_suggests(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(IngestError, match=r"no column 'answr' for --text-column \(did you mean 'answer'\?\)"):
        read_survey(path, path.read_bytes(), ReadOptions(text_column="answr"))


def test_read_survey_needs_text_column(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(IngestError, match=r"needs --text-column .*columns: id, school, role, answer"):
        read_survey(path, path.read_bytes(), ReadOptions())


def test_read_survey_duplicate_ids_name_the_line(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,answer\nA,one\nB,two\nA,three\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"dup\.csv:4: id 'A' repeats line 2"):
        read_survey(path, path.read_bytes(), ReadOptions(id_column="id", text_column="answer"))
