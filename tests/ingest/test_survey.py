import pytest

from qualkit.errors import IngestError
from qualkit.ingest.base import ReadOptions
from qualkit.ingest.survey import read_survey
from tests.conftest import DATA

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


LONG_Q1 = "How has the early career framework changed the way you plan lessons? " + "Please say more. " * 8
LONG_Q2 = "How has your mentor supported you this year?"
MULTI = (
    f'id,role,school,Q1 closed,"{LONG_Q1}","{LONG_Q2}",Q3 other\n'
    "R1,ECT,Brookfield,yes,Planning is tighter.,Weekly meetings.,\n"
    "R2,Mentor,Harbour,no,,Not applicable.,More time.\n"
)


def _multi(tmp_path, **options):
    path = tmp_path / "ect_survey.csv"
    path.write_text(MULTI, encoding="utf-8")
    return path, read_survey(path, path.read_bytes(), ReadOptions(id_column="id", **options))


def test_read_survey_several_questions_one_document_per_answer(tmp_path):
    _, (raws, warnings) = _multi(tmp_path, text_columns=("How has the early", "6", "Q3"))
    assert [(r.name_suffix, r.text) for r in raws] == [
        ("R1/how-has-the-early-career", "Planning is tighter."),
        ("R1/how-has-your-mentor", "Weekly meetings."),
        ("R2/how-has-your-mentor", "Not applicable."),
        ("R2/Q3 other", "More time."),
    ]
    assert raws[0].attributes == {"role": "ECT", "school": "Brookfield", "Q1 closed": "yes", "question": LONG_Q1}
    assert raws[3].attributes["question"] == "Q3 other"
    assert [r.metadata for r in raws] == [
        {"line": 2, "column": 5}, {"line": 2, "column": 6}, {"line": 3, "column": 6}, {"line": 3, "column": 7}
    ]
    assert warnings == [
        f"{tmp_path / 'ect_survey.csv'}: 2 empty answer(s) skipped "
        "('How has the early career framework chan…': 1, 'Q3 other': 1)"
    ]


def test_read_survey_pattern_and_old_text_column_together(tmp_path):
    _, (raws, _) = _multi(tmp_path, text_columns=("Q3*",), text_column="How has your")
    assert [r.name_suffix for r in raws] == ["R1/how-has-your-mentor", "R2/how-has-your-mentor", "R2/Q3 other"]


def test_read_survey_one_column_keeps_old_names(tmp_path):
    _, (raws, _) = _multi(tmp_path, text_columns=("how HAS  your",))
    assert [r.name_suffix for r in raws] == ["R1", "R2"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("How has", r"--text-column 'How has' could be 2 columns: 5 'How has the early career framework chan…', "
                    r"6 'How has your mentor supported you this …'; give more of the name, or the column's number"),
        ("Q9*", r"no column matches the pattern 'Q9\*' for --text-column; columns are: id, role, school, Q1 closed"),
        ("12", r"no column '12' for --text-column; columns are: .* \(or give a column's number, 1-7\)"),
    ],
    ids=["ambiguous-prefix", "pattern-matches-nothing", "number-out-of-range"],
)
def test_read_survey_column_errors_list_candidates(tmp_path, spec, message):
    path = tmp_path / "ect_survey.csv"
    path.write_text(MULTI, encoding="utf-8")
    with pytest.raises(IngestError, match=rf"ect_survey\.csv: {message}"):
        read_survey(path, path.read_bytes(), ReadOptions(text_columns=(spec,)))


def test_read_survey_id_column_by_prefix_is_not_a_question(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Respondent ID,Q1,Q2\nA,yes,\nB,,no\n", encoding="utf-8")
    raws, _ = read_survey(path, path.read_bytes(), ReadOptions(id_column="resp", text_columns=("*",)))
    assert [(r.name_suffix, r.text) for r in raws] == [("A/Q1", "yes"), ("B/Q2", "no")]


def test_question_names_are_unique_and_slash_free():
    from qualkit.ingest.survey import question_names

    columns = ["a/b", "What did the NPQ give you?", "What did the NPQ give your team?", "?" * 30, "Q5"]
    assert question_names(columns, columns) == {
        "a/b": "a-b",
        "What did the NPQ give you?": "what-did-the-npq-give-2",
        "What did the NPQ give your team?": "what-did-the-npq-give-3",
        "?" * 30: "q4",
        "Q5": "Q5",
    }


def test_read_survey_respondent_is_each_answers_speaker_and_case_column_its_case(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV, encoding="utf-8")
    raws, _ = read_survey(path, path.read_bytes(), ReadOptions(id_column="id", text_column="answer",
                                                                case_column="scho"))  # a unique prefix
    assert [(r.name_suffix, r.case, r.blocks[0].speaker, r.attributes) for r in raws] == [
        ("R1", "Brookfield", "R1", {"role": "ECT", "question": "answer"}),  # the case column is the case only
        ("R3", "Harbour", "R3", {"role": "NPQ", "question": "answer"}),
    ]


def test_read_survey_case_column_unknown_or_the_answers_is_refused(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(IngestError, match=r"no column 'schol' for --case-column \(did you mean 'school'\?\)"):
        read_survey(path, path.read_bytes(), ReadOptions(text_column="answer", case_column="schol"))
    with pytest.raises(IngestError, match="--text-column names only the --id-column or --case-column"):
        read_survey(path, path.read_bytes(), ReadOptions(text_column="answer", case_column="answer"))


def test_ingest_survey_case_column_assigns_cases_and_exports_carry_the_respondent(project, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(CSV.replace("R2,Fellside,Mentor,", "R2,,Mentor,Mentoring every week."), encoding="utf-8")
    report = project.ingest([path], id_column="id", text_columns=["answer"], case_column="school")
    assert len(report.added) == 3
    assert [(c.name, c.documents) for c in project.cases()] == [("Brookfield", 1), ("Harbour", 1)]
    assert [(d.name, d.case) for d in project.documents()] == [
        ("responses/R1", "Brookfield"), ("responses/R2", None), ("responses/R3", "Harbour")]  # an empty cell: none
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    project.decide("alice", accept=[row["id"] for row in project.suggestions()])
    codings = project.codings()
    assert codings[["document", "case", "speaker", "role"]].fillna("-").drop_duplicates().values.tolist() == [
        ["responses/R1", "Brookfield", "R1", "ECT"], ["responses/R2", "-", "R2", "Mentor"],
        ["responses/R3", "Harbour", "R3", "NPQ"]]


@pytest.mark.parametrize("width", [10_000, 10_001, 1_000_000], ids=["at-the-limit", "one-over", "a-million"])
def test_read_survey_too_many_columns_is_refused_before_parsing(tmp_path, width):
    """A million columns took 7 minutes and 5 GB; now the header is counted first."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(width)) + "\n" + ",".join(["x"] * width) + "\n", encoding="utf-8")
    options = ReadOptions(text_column="c1")
    if width <= 10_000:
        raws, _ = read_survey(path, path.read_bytes(), options)
        assert len(raws) == 1 and len(raws[0].attributes) == width  # every other column, and the question
        return
    with pytest.raises(IngestError) as refused:
        read_survey(path, path.read_bytes(), options)
    assert str(refused.value) == (
        f"{path}: {width:,} columns is over the 10,000-column limit for a survey; save a copy with only the id, "
        "answer and respondent columns you need")


def test_read_survey_xlsx_too_many_columns_is_refused(tmp_path, monkeypatch):
    import pandas as pd

    import qualkit.ingest.survey as survey

    monkeypatch.setattr(survey, "MAX_COLUMNS", 3)
    path = tmp_path / "wide.xlsx"
    pd.DataFrame({"id": [1], "a": ["x"], "b": ["y"], "answer": ["Coaching works."]}).to_excel(path, index=False)
    with pytest.raises(IngestError, match=r"wide\.xlsx: 4 columns is over the 3-column limit for a survey"):
        read_survey(path, path.read_bytes(), ReadOptions(text_column="answer"))
