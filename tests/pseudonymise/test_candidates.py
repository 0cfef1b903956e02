"""Candidates from text: names the key does not have yet, with counts and contexts."""

from __future__ import annotations

import pytest

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise import (
    Detector,
    EntrySource,
    KeyEntry,
    Kind,
    PseudonymKey,
    accept_candidate,
    ignore_candidates,
    suggest_candidates,
    unreviewed,
)
from qualkit.pseudonymise import candidates as candidates_module

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
))

DOCUMENTS = [
    ("one.txt",
     "Interviewer: How did Brookfield Primary School find it?\n"
     "Head: Then in September Mrs Patel took over, and Mr. O'Neill moved to St Mary's CE Primary. "
     "Ofsted came in March. We joined Oakmere Learning Trust, and the DfE NPQ helped. "
     "Reading is a priority and reading matters. Claire and I planned it; "
     "Chloe's mentor was Claire. Dr Rachel Hale visited from Whitby.\n"),
    ("two.txt",
     "Head: Claire said the Harbour Academy staff came too. Then we met. "
     "Year 3 did Key Stage work with the Early Career Framework in Kent, near Whitby. "
     "Frayer models were used, and Frayer came up again.\n"),
]


def search(**options):
    options.setdefault("use_ner", False)
    return suggest_candidates(DOCUMENTS, KEY, **options)


def by_text(result):
    return {c.text: c for c in result.candidates}


def test_suggest_candidates_finds_titles_schools_trusts_names_and_places():
    found = by_text(search())
    assert {text: (c.kind, c.count) for text, c in found.items()} == {
        "Claire": (Kind.PERSON, 3),
        "Whitby": (Kind.PLACE, 2),
        "Patel": (Kind.PERSON, 1),
        "O'Neill": (Kind.PERSON, 1),
        "St Mary's CE Primary": (Kind.SCHOOL, 1),
        "Oakmere Learning Trust": (Kind.ORGANISATION, 1),
        "Rachel Hale": (Kind.PERSON, 1),
        "Harbour Academy": (Kind.SCHOOL, 1),
        "Kent": (Kind.PLACE, 1),
        "Frayer": (Kind.PERSON, 2),
    }
    assert found["Patel"].detectors == (Detector.TITLE,)
    assert found["St Mary's CE Primary"].detectors == (Detector.SCHOOL_PATTERN,)
    assert found["Oakmere Learning Trust"].detectors == (Detector.ORGANISATION_PATTERN,)
    assert Detector.PLACE_LIST in found["Whitby"].detectors


def test_suggest_candidates_orders_by_count_and_keeps_contexts():
    result = search()
    assert result.candidates[0].text == "Claire"
    claire = result.candidates[0]
    assert claire.documents == ("one.txt", "two.txt")
    first = claire.contexts[0]
    assert first.document == "one.txt"
    assert DOCUMENTS[0][1][first.start:first.end] == "Claire"
    assert "[Claire] and I planned it" in first.snippet


def test_suggest_candidates_leaves_out_what_the_key_has_and_common_capitals():
    found = by_text(search())
    for text in ("Brookfield", "Brookfield Primary School", "Chloe", "Then", "September", "March", "Ofsted", "DfE",
                 "NPQ", "Reading", "Year", "Key Stage", "Early Career Framework", "Interviewer", "Head", "We"):
        assert text not in found, text


def test_suggest_candidates_uses_the_researchers_places_and_stop_words():
    found = by_text(search(places=["Kent"], stop_words=["claire"]))
    assert "Claire" not in found
    assert found["Kent"].kind is Kind.PLACE
    assert found["Whitby"].detectors == (Detector.NAME_PATTERN,)  # only a capitalised word now


def test_accept_ignore_and_unreviewed():
    result = search()
    key = accept_candidate(KEY, by_text(result)["Rachel Hale"])
    key = accept_candidate(key, "Claire", pseudonym="Mentor 1")
    key = ignore_candidates(key, [by_text(result)["Frayer"]])
    assert key.entries[-2:] == (
        KeyEntry("Rachel Hale", "Participant 1", Kind.PERSON, EntrySource.CANDIDATE, ("Rachel", "Hale")),
        KeyEntry("Claire", "Mentor 1", Kind.PERSON, EntrySource.CANDIDATE),
    )
    remaining = {c.text for c in unreviewed(result.candidates, key)}
    assert remaining == {"Whitby", "Patel", "O'Neill", "St Mary's CE Primary", "Oakmere Learning Trust",
                         "Harbour Academy", "Kent"}
    assert {c.text for c in suggest_candidates(DOCUMENTS, key, use_ner=False).candidates} == remaining


def test_suggest_candidates_notes_when_no_ner_pipeline_is_installed(monkeypatch):
    monkeypatch.setattr(candidates_module, "DEFAULT_NER_PIPELINES", ("qualkit_no_such_pipeline_xyz",))
    result = suggest_candidates(DOCUMENTS, KEY)
    assert len(result.notes) == 1
    assert "no spaCy pipeline with a named-entity recogniser is installed" in result.notes[0]
    assert "qualkit never downloads models" in result.notes[0]


def test_suggest_candidates_refuses_a_named_pipeline_that_is_not_installed():
    with pytest.raises(PseudonymisationError, match="'qualkit_no_such_pipeline_xyz' is not installed"):
        suggest_candidates(DOCUMENTS, KEY, ner_pipeline="qualkit_no_such_pipeline_xyz")


def test_suggest_candidates_skips_a_pipeline_without_entities(tmp_path, nlp):
    nlp.to_disk(tmp_path / "blank")
    result = suggest_candidates(DOCUMENTS, KEY, ner_pipeline=tmp_path / "blank")
    assert "has no named-entity recogniser" in result.notes[0]
    assert {c.text for c in result.candidates} == {c.text for c in search().candidates}


def test_suggest_candidates_adds_entities_from_an_installed_pipeline(tmp_path, nlp):
    # A real spaCy pipeline loaded from disk; its entity ruler stands in for a trained recogniser.
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": [{"LOWER": "sam"}, {"LOWER": "okafor"}]},
        {"label": "GPE", "pattern": "Fellbeck"},
        {"label": "DATE", "pattern": "September"},
    ])
    nlp.to_disk(tmp_path / "ner")
    documents = DOCUMENTS + [("three.txt", "then sam okafor came from Fellbeck in September.\n")]
    result = suggest_candidates(documents, KEY, ner_pipeline=tmp_path / "ner")
    found = by_text(result)
    assert (found["sam okafor"].kind, found["sam okafor"].detectors) == (Kind.PERSON, (Detector.NER,))
    assert found["Fellbeck"].kind is Kind.PLACE
    assert Detector.NER in found["Fellbeck"].detectors
    assert "September" not in found
    assert result.notes and "named entities from spaCy pipeline" in result.notes[0]
