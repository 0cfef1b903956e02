"""Pseudonymised copies of what exporters write: table rows, Word report data, REFI-QDA projects."""

from __future__ import annotations

from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    Pseudonymiser,
    PseudonymKey,
    check_file,
    pseudonymise_frame,
    pseudonymise_refi_project,
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


def test_pseudonymise_refi_project_rewrites_the_qualkit_record_spans_speakers_and_guids(tmp_path):
    from qualkit.refi import RefiCode, RefiNote, RefiProject, RefiSource, read_qdpx, write_qdpx
    from qualkit.refi.model import stable_guid
    from qualkit.refi.record import NOTE_NAME, CoderRecord, DocumentRecord, QualkitRecord, dumps, loads

    source = RefiSource.new("brookfield_leader.txt", TEXT)
    turn = TEXT.index("Chloe Rutherford:")
    segments = ((0, turn - 2, "Interviewer", 0.0), (turn, len(TEXT), "Chloe Rutherford", 9.0))
    record = QualkitRecord(
        documents={source.guid: DocumentRecord("transcript", "turn", segments)},
        coders={"Amira": CoderRecord(documents=(source.guid,), segments=((source.guid, turn, len(TEXT)),),
                                     rejections=((source.guid, turn, len(TEXT), "culture.trust"),))},
    )
    project = RefiProject(name="study", codes=(RefiCode.new("culture.trust", "Trust"),), sources=(source,),
                          notes=(RefiNote(stable_guid("qualkit-record", "study"), NOTE_NAME, dumps(record)),))
    shared = pseudonymise_refi_project(project, PSEUDONYMISER)
    path = write_qdpx(shared.project, tmp_path / "shared.qdpx")
    check_file(path, KEY)
    back = read_qdpx(path)
    [new_source] = back.sources
    [note] = [n for n in back.notes if n.name == NOTE_NAME]
    rewritten = loads(note.text, where="test")
    [(guid, document)] = rewritten.documents.items()
    assert guid == new_source.guid != source.guid and note.guid != project.notes[0].guid
    # The turns still cover the same words, in the pseudonymised text, under the pseudonymised speaker.
    assert [(new_source.text[a:b], speaker) for a, b, speaker, _ in document.segments] == [
        ("Interviewer: Tell me.", "Interviewer"),
        ("ECT 1: At School A we trust each other. ECT 1's class too.", "ECT 1")]
    coder = rewritten.coders["Amira"]
    assert coder.documents == (new_source.guid,)
    assert coder.segments == ((new_source.guid, *document.segments[1][:2]),)
    assert coder.rejections == ((new_source.guid, *document.segments[1][:2], "culture.trust"),)


def test_pseudonymise_codings_replaces_names_in_code_names_and_attributes_and_keeps_reviewers():
    import pandas as pd

    from qualkit.pseudonymise import pseudonymise_codings

    start = TEXT.index("Chloe Rutherford:")
    trust = TEXT.index("trust each")
    frame = pd.DataFrame([{
        "document": "brookfield_leader.txt", "case": "Brookfield Primary", "interviewee": "Chloe Rutherford",
        "segment": 2, "start": start, "end": len(TEXT), "text": TEXT[start:], "code": "culture.trust",
        "code_name": "Trust at Brookfield", "reviewers": "Chloe:accept", "evidence": ((trust, trust + 5),)}])
    out = pseudonymise_codings(frame, PSEUDONYMISER, document_texts={"brookfield_leader.txt": TEXT}).iloc[0]
    view = PSEUDONYMISER(TEXT)
    assert (out["case"], out["interviewee"], out["code_name"]) == ("School A", "ECT 1", "Trust at School A")
    assert out["text"] == view.text[out["start"]:out["end"]] == PSEUDONYMISER(TEXT[start:]).text
    assert [view.text[a:b] for a, b in out["evidence"]] == ["trust"]
    assert (out["code"], out["reviewers"]) == ("culture.trust", "Chloe:accept")  # the team's names stay
