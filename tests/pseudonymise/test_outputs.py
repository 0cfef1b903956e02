"""Pseudonymised copies of what exporters write: table rows, Word report data, REFI-QDA projects."""

from __future__ import annotations

import dataclasses

import pytest

from qualkit.errors import PseudonymLeakError
from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    Pseudonymiser,
    PseudonymKey,
    check_file,
    pseudonymise_frame,
    pseudonymise_refi_project,
    pseudonymise_report_data,
    pseudonymise_rows,
)

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Castleton School", "School B", Kind.SCHOOL, EntrySource.CASE, ("Castleton",)),
    KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
))
PSEUDONYMISER = Pseudonymiser(KEY)
TEXT = "Interviewer: Tell me.\n\nChloe Rutherford: At Brookfield we trust each other. Chloe's class too."


def test_pseudonymise_rows_maps_offsets_and_text_and_keeps_ids():
    start = TEXT.index("Chloe Rutherford:")
    rows = [
        {"id": 7, "document": "brookfield_leader.txt", "case": "Brookfield Primary", "speaker": "Chloe Rutherford",
         "start": start, "end": len(TEXT), "text": TEXT[start:], "reviewer:Chloe": "accept", "score": 0.75},
        {"id": 8, "document": "unknown.txt", "case": None, "speaker": None, "start": 0, "end": 5,
         "text": "Brookfield", "reviewer:Chloe": "", "score": None},
    ]
    out = list(pseudonymise_rows(rows, PSEUDONYMISER, document_texts={"brookfield_leader.txt": TEXT},
                                 keep_columns={"id"}))
    view = PSEUDONYMISER(TEXT)
    assert out[0] == {
        "id": 7, "document": "School A_leader.txt", "case": "School A", "speaker": "ECT 1",
        "start": view.text.index("ECT 1:"), "end": len(view.text), "text": "ECT 1: At School A we trust each other. "
        "ECT 1's class too.", "reviewer:ECT 1": "accept", "score": 0.75,
    }
    assert view.text[out[0]["start"]:out[0]["end"]] == out[0]["text"]
    # A document without its text keeps its offsets; its cells are still pseudonymised.
    assert out[1] == {"id": 8, "document": "unknown.txt", "case": None, "speaker": None, "start": 0, "end": 5,
                      "text": "School A", "reviewer:ECT 1": "", "score": None}


def test_pseudonymise_frame_replaces_cells_index_and_columns():
    import pandas as pd

    frame = pd.DataFrame({"offer": [3, 4], "note": ["Chloe's", "none"]}, index=["Brookfield Primary", "Castleton"])
    result = pseudonymise_frame(frame, PSEUDONYMISER)
    assert list(result.index) == ["School A", "School B"]
    assert list(result["note"]) == ["ECT 1's", "none"]
    assert list(result["offer"]) == [3, 4]
    assert list(frame.index) == ["Brookfield Primary", "Castleton"]  # the original is left alone


def test_pseudonymise_report_data_gives_a_word_report_that_passes_the_leak_check(tmp_path):
    from qualkit.export.word import write_report
    from tests.export.test_word import make_data

    data = make_data()
    data = dataclasses.replace(
        data,
        subtitle="Interim report for Brookfield Primary",
        segments=tuple(dataclasses.replace(s, speaker="Chloe Rutherford", text=s.text + " Chloe agreed.")
                       for s in data.segments),
    )
    original = write_report(data, tmp_path / "original.docx")
    with pytest.raises(PseudonymLeakError) as error:
        check_file(original, KEY)
    assert {leak.original for leak in error.value.leaks} == {
        "Brookfield Primary", "Castleton School", "Chloe Rutherford"}
    shared = pseudonymise_report_data(data, PSEUDONYMISER)
    assert check_file(write_report(shared, tmp_path / "shared.docx"), KEY).texts > 50
    assert shared.segments[0].text.endswith("ECT 1 agreed.")
    assert shared.reviewers == data.reviewers and shared.author == data.author


def test_pseudonymise_refi_project_maps_codings_and_renames_guids(tmp_path):
    from qualkit.refi import RefiCase, RefiCode, RefiCoding, RefiNote, RefiProject, RefiSource, read_qdpx, write_qdpx
    from qualkit.refi.model import stable_guid

    source = RefiSource.new("brookfield_leader.txt", TEXT, attributes={"interviewee": "Chloe Rutherford"})
    code = RefiCode.new("culture.trust", "Trust")
    trust = TEXT.index("we trust")
    chloe = TEXT.index("Chloe's")
    project = RefiProject(
        name="Brookfield study", codes=(code,), sources=(source,),
        codings=(RefiCoding(source.guid, trust - 14, trust + 8, code.guid), RefiCoding(source.guid, chloe, chloe + 2,
                                                                                          code.guid)),
        cases=(RefiCase.new("Brookfield Primary", attributes={"phase": "primary"}, source_guids=(source.guid,)),),
        notes=(RefiNote(stable_guid("note", 1), "Chloe on trust", "Ask Chloe again", (code.guid,), source.guid,
                        trust, trust + 8),),
    )
    shared = pseudonymise_refi_project(project, PSEUDONYMISER)
    path = write_qdpx(shared.project, tmp_path / "shared.qdpx")
    check_file(path, KEY)
    back = read_qdpx(path)
    [new_source] = back.sources
    assert new_source.name == "School A_leader.txt"
    assert new_source.guid != source.guid and new_source.guid != stable_guid("source", "brookfield_leader.txt")
    assert [new_source.text[c.start:c.end] for c in back.codings] == ["At School A we trust", "ECT 1"]
    assert back.cases[0].name == "School A" and back.cases[0].source_guids == (new_source.guid,)
    assert (back.notes[0].text, new_source.text[back.notes[0].start:back.notes[0].end]) == ("Ask ECT 1 again",
                                                                                         "we trust")
    assert shared.views["School A_leader.txt"].text == new_source.text
