"""One pseudonymised export: views, records an exporter builds, files staged and checked, the summary."""

from __future__ import annotations

import pytest

from qualkit.errors import ExportError, NotFoundError, PseudonymLeakError
from qualkit.pseudonymise import (
    Candidate,
    Detector,
    EntrySource,
    KeyEntry,
    Kind,
    Pseudonymisation,
    PseudonymKey,
)
from qualkit.records import NO_DECISIONS, Context, Evidence, QueueItem, ReviewedSuggestion, Source, Status

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Chloe Rutherford", "Participant 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
    KeyEntry("Castleton", "Place A", Kind.PLACE, EntrySource.RESEARCHER),
))
TEXT = ("Interviewer: How is the NPQ going?\n\n"
        "Chloe Rutherford: At Brookfield the NPQ helped. Chloe's mentor in Castleton trusts me.\n")
DOCUMENTS = {"brookfield_participant.txt": TEXT}


def shared(**options) -> Pseudonymisation:
    return Pseudonymisation(KEY, DOCUMENTS, **options)


def test_passage_maps_the_span_and_its_highlights():
    start = TEXT.index("At Brookfield")
    end = len(TEXT) - 1
    trusts = TEXT.index("trusts")
    npq = TEXT.index("NPQ helped")
    passage = shared().passage("brookfield_participant.txt", start, end,
                               highlights=[(npq, npq + 3), (trusts, trusts + 6), (0, 5)])
    assert passage.text == "At School A the NPQ helped. Participant 1's mentor in Place A trusts me."
    assert [passage.text[a:b] for a, b in passage.highlights] == ["NPQ", "trusts"]  # (0, 5) is outside the span


def test_passage_refuses_an_unknown_document_or_a_span_outside_it():
    with pytest.raises(NotFoundError, match="no document 'other.txt' to pseudonymise"):
        shared().passage("other.txt", 0, 1)
    with pytest.raises(ValueError, match="outside"):
        shared().passage("brookfield_participant.txt", 0, len(TEXT) + 1)


def test_passage_item_maps_evidence_within_the_segment_and_keeps_a_models_weight():
    from qualkit.review.passage import Evidence as Shown
    from qualkit.review.passage import PassageItem, Proposal

    text = "At Brookfield the NPQ helped. Chloe's mentor trusts me."
    npq, trusts = text.index("NPQ"), text.index("trusts")
    item = PassageItem(
        segment_id=7, document_id=1, document="brookfield_participant.txt", case="Brookfield Primary", ordinal=2,
        speaker="Chloe Rutherford", timestamp=None, text=text,
        before=(Context(1, "Interviewer", "How is Chloe's NPQ going?"),), after=(),
        proposals=(
            Proposal(1, "offer.npq", "NPQs", "Brookfield's NPQ offer.", ("NPQ at Brookfield",), (), Source.RULE, 1.0,
                     (Shown(npq, npq + 3, "NPQ"),), None),
            Proposal(2, "culture.trust", "Trust", "Trust.", (), (), Source.MODEL, 0.7,
                     (Shown(trusts, trusts + 6, "trusts (+0.41)"),), None),
        ),
        fully_coded=False,
    )
    shown = shared().passage_item(item)
    assert shown.text == "At School A the NPQ helped. Participant 1's mentor trusts me."
    assert (shown.document, shown.case, shown.speaker) == ("School A_participant.txt", "School A", "Participant 1")
    assert shown.before[0].text == "How is Participant 1's NPQ going?"
    rule, model = shown.proposals
    assert [shown.text[e.start:e.end] for e in rule.evidence] == ["NPQ"] and rule.evidence[0].words == "NPQ"
    assert [shown.text[e.start:e.end] for e in model.evidence] == ["trusts"]
    assert model.evidence[0].words == "trusts (+0.41)"
    assert (rule.definition, rule.include) == ("School A's NPQ offer.", ("NPQ at School A",))
    assert item.text.startswith("At Brookfield")  # the item given is left as it was


def test_suggestion_and_queue_item_take_the_pseudonymised_documents_span_text_and_evidence():
    from qualkit.records import SuggestionView

    start, end = TEXT.index("Chloe Rutherford:"), len(TEXT) - 1
    mentor = TEXT.index("mentor")
    view = SuggestionView(
        id=3, segment_id=2, document="brookfield_participant.txt", case="Brookfield Primary", segment=2,
        start=start, end=end, speaker="Chloe Rutherford", timestamp=None, code="offer.ecte", source=Source.RULE,
        score=1.0, evidence=(Evidence(mentor, mentor + 6, "mentor*"),), codebook_id=1, created_at="now",
        text=TEXT[start:end])
    p = shared()
    out = p.suggestion(ReviewedSuggestion(view, NO_DECISIONS, Status.PENDING)).suggestion
    document = p.documents.get("brookfield_participant.txt")[1].text
    assert out.text == document[out.start:out.end] == ("Participant 1: At School A the NPQ helped. Participant 1's "
                                                       "mentor in Place A trusts me.")
    assert [document[e.start:e.end] for e in out.evidence] == ["mentor"] and out.evidence[0].pattern == "mentor*"
    assert (out.document, out.case, out.speaker) == ("School A_participant.txt", "School A", "Participant 1")
    queued = QueueItem(id=3, segment_id=2, document_id=1, document=view.document, case=view.case, ordinal=2,
                       start=start, end=end, speaker=view.speaker, timestamp=None, code=view.code,
                       source=Source.RULE, score=1.0, evidence=view.evidence, codebook_id=1, model_version=None,
                       text=view.text)
    assert p.queue_item(queued).text == out.text and p.queue_item(queued).evidence == out.evidence


def test_codebook_texts_are_pseudonymised_and_keys_patterns_and_hash_kept():
    from qualkit.codebook import parse_codebook

    codebook, _ = parse_codebook(
        "name: Brookfield study\nversion: 1\ncodes:\n  - key: offer\n    name: Offer at Brookfield\n"
        "    definition: What Chloe was offered.\n    examples: [\"Chloe's NPQ\"]\n    patterns: [Brookfield]\n")
    out = shared().codebook(codebook)
    code = out.codes[0]
    assert (out.name, code.name, code.definition, code.examples) == (
        "School A study", "Offer at School A", "What Participant 1 was offered.", ("Participant 1's NPQ",))
    assert (code.key, code.patterns, out.sha256) == ("offer", codebook.codes[0].patterns, codebook.sha256)


def test_staged_moves_clean_files_into_place_and_records_the_check(tmp_path):
    p = shared()
    destination = tmp_path / "shared.txt"
    with p.staged() as stage:
        hidden = stage(destination)
        assert hidden.parent == tmp_path and hidden.name == ".shared.unchecked.txt"
        hidden.write_text(p.text(TEXT), encoding="utf-8")
    assert destination.read_text(encoding="utf-8") == p.text(TEXT)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["shared.txt"]
    assert [(c.path, c.texts) for c in p.checked] == [(str(destination), 1)]


def test_staged_writes_nothing_when_any_file_still_names_someone(tmp_path):
    p = shared()
    clean, leaking = tmp_path / "clean.txt", tmp_path / "report.txt"
    leaking.write_text("an older report", encoding="utf-8")
    with pytest.raises(PseudonymLeakError) as caught, p.staged() as stage:
        stage(clean).write_text("School A", encoding="utf-8")
        stage(leaking).write_text("Thanks to Chloe and\nRUTHERFORD", encoding="utf-8")
    message = str(caught.value)
    assert message.startswith(f"{leaking} still names 1 pseudonym key entry ('Chloe Rutherford'), 2 time(s): "
                              f"'Chloe Rutherford' as 'Chloe' at {leaking}:1")
    assert f"Nothing was written ({clean}, {leaking})" in message
    assert not clean.exists() and leaking.read_text(encoding="utf-8") == "an older report"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["report.txt"] and not p.checked


def test_staged_names_the_file_asked_for_in_a_writers_error_and_refuses_a_missing_folder(tmp_path):
    from qualkit.export.tables import write_table

    p = shared()
    with pytest.raises(ExportError) as caught, p.staged() as stage:
        write_table([{"a": 1}], stage(tmp_path / "out.txt"))
    assert str(caught.value) == f"{tmp_path / 'out.txt'}: cannot write .txt; use .csv, .xlsx, .parquet, .json"
    with pytest.raises(ExportError, match="folder .*missing does not exist"), p.staged() as stage:
        stage(tmp_path / "missing" / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_summary_says_what_was_replaced_checked_and_left_to_review(tmp_path):
    unreviewed = Candidate("Mrs Patel", Kind.PERSON, 2, ("a.txt",), (Detector.TITLE,), ())
    reviewed = Candidate("Castleton", Kind.PLACE, 1, ("a.txt",), (Detector.PLACE_LIST,), ())
    p = shared(candidates=[unreviewed, reviewed], where="the project")
    p.documents.get("brookfield_participant.txt")
    with p.staged() as stage:
        stage(tmp_path / "a.csv").write_text("School A\n", encoding="utf-8")
    assert p.summary() == (
        "Pseudonymised with the key in the project (3 entries): 4 names of 3 entries replaced in the 1 document "
        f"drawn on; no key entry found in {tmp_path / 'a.csv'} (1 text); 1 candidate(s) not yet reviewed "
        "(`qualkit pseudonymise report`).")
    assert shared(where="key.yaml").summary() == (
        "Pseudonymised with the key in key file key.yaml (3 entries); no candidate search yet (`qualkit "
        "pseudonymise suggest` looks for names the key lacks).")
