"""Pseudonymisation on the bundled corpus: key from cases.csv and speaker labels, every document."""

from __future__ import annotations

import csv
import re

import pytest

from qualkit.pseudonymise import (
    EntrySource,
    Kind,
    Pseudonymiser,
    accept_candidate,
    build_key,
    build_report,
    check_file,
    check_texts,
    looks_like_role,
    read_cases_values,
    reveal,
    suggest_candidates,
)
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def documents():
    from qualkit.ingest import ReadOptions, discover, extract, read_bytes

    discovery = discover([CORPUS / "interviews", CORPUS / "documents"])
    assert not discovery.problems and not discovery.skipped
    found = []
    for source in discovery.files:
        extracted, _ = extract(source, read_bytes(source.path), ReadOptions())
        found.extend(extracted)
    assert len(found) == 20
    return found


@pytest.fixture(scope="module")
def built(documents):
    cases, attributes = read_cases_values(CORPUS / "cases.csv")
    speakers = [block.speaker for document in documents for block in document.blocks if block.speaker]
    return build_key(case_names=cases, attributes=attributes, speaker_labels=speakers)


def _cases_rows():
    with open(CORPUS / "cases.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _name_words(key):
    """Every word of every name in the key, for a search that does not use qualkit's matcher."""
    return {word.casefold() for entry in key.entries for form in entry.forms for word in re.findall(r"\w+", form)
            if len(word) > 2 and word.casefold() not in {"primary", "school", "academy", "all", "through"}}


def test_corpus_key_has_every_case_and_every_named_speaker(built):
    key = built.key
    assert [(e.original, e.pseudonym) for e in key.entries if e.kind is Kind.SCHOOL] == [
        ("Brookfield Primary", "School A"), ("Fellside CE Primary", "School B"), ("Harbour Academy", "School C"),
        ("Oakmere School", "School D"), ("Riverside All-Through Academy", "School E"), ("Millbrook School", "School F")]
    people = {e.original for e in key.entries if e.source is EntrySource.SPEAKER}
    assert people == {"Chloe Rutherford", "Kirsty", "Rachel Thwaite", "Jenna Trevithick", "Gareth Pryce",
                      "Helen Ashby", "Kemi", "Priya Raman"}
    # The corpus's interviewee column holds roles, not names: each is reported, none becomes an entry.
    interviewees = {row["interviewee"] for row in _cases_rows()}
    skipped = {s.value for s in built.skipped if s.source is EntrySource.CASES_FILE}
    assert interviewees == skipped and all(looks_like_role(value) for value in interviewees)


def test_corpus_no_case_speaker_or_named_interviewee_survives(documents, built, tmp_path):
    pseudonymiser = Pseudonymiser(built.key)
    views = {document.name: pseudonymiser(document.text) for document in documents}
    check_texts(((name, view.text) for name, view in views.items()), built.key, what="the corpus")
    words = _name_words(built.key)
    for name, view in views.items():
        found = words & {w.casefold() for w in re.findall(r"\w+", view.text)}
        assert not found, (name, found)
    for row in _cases_rows():
        for value in (row["case"], row["interviewee"]):
            if not looks_like_role(value):
                assert all(value.casefold() not in view.text.casefold() for view in views.values())
    report = build_report(built.key, views)
    assert not report.unused
    assert all(entry.replaced > 0 for entry in report.entries)
    path = tmp_path / "all.txt"
    path.write_text("\n\n".join(view.text for view in views.values()), encoding="utf-8")
    assert check_file(path, built.key).texts == 1


def test_corpus_named_interviewees_in_a_cases_file_become_entries_and_vanish(documents, tmp_path):
    rows = _cases_rows()
    speaker_of = {document.name: next((b.speaker for b in document.blocks if b.speaker != "Interviewer"), None)
                  for document in documents}
    path = tmp_path / "cases.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            label = speaker_of[row["document"]]
            writer.writerow({**row, "interviewee": label if label and not looks_like_role(label) else "Sam Okafor"})
    cases, attributes = read_cases_values(path)
    built = build_key(case_names=cases, attributes=attributes)
    named = {e.original for e in built.key.entries if e.source is EntrySource.CASES_FILE}
    assert named == {"Chloe Rutherford", "Kirsty", "Rachel Thwaite", "Jenna Trevithick", "Gareth Pryce",
                     "Helen Ashby", "Kemi", "Priya Raman", "Sam Okafor"}
    pseudonymiser = Pseudonymiser(built.key)
    for document in documents:
        text = pseudonymiser(document.text).text.casefold()
        for value in named:
            assert value.casefold() not in text, (document.name, value)
            for word in value.split():
                assert not re.search(rf"\b{word.casefold()}\b", text), (document.name, word)


def test_corpus_segments_map_to_the_same_words(documents, built):
    from qualkit.segment import segment_blocks

    pseudonymiser = Pseudonymiser(built.key)
    mapped = 0
    for document in documents:
        view = pseudonymiser(document.text)
        for segment in segment_blocks(document.text, document.blocks, document.kind.natural_unit):
            start, end = view.offsets.span_to_pseudonymised(segment.start, segment.end)
            original = document.text[segment.start:segment.end]
            assert view.text[start:end] == pseudonymiser(original).text
            assert view.offsets.span_to_original(start, end) == (segment.start, segment.end)
            # Outside the names, the same words in the same order.
            inside = [(r.original_start, r.original_end) for r in view.replacements
                      if segment.start <= r.original_start < segment.end]
            kept = re.sub(r"\s+", " ", "".join(
                document.text[a:b] for a, b in zip([segment.start] + [e for _, e in inside],
                                                   [s for s, _ in inside] + [segment.end], strict=True)))
            shown = re.sub(r"\s+", " ", "".join(
                view.text[a:b] for a, b in zip(
                    [start] + [r.pseudonymised_end for r in view.replacements
                               if segment.start <= r.original_start < segment.end],
                    [r.pseudonymised_start for r in view.replacements
                     if segment.start <= r.original_start < segment.end] + [end], strict=True)))
            assert kept == shown
            if segment.speaker:
                assert pseudonymiser.value(segment.speaker) in {segment.speaker} | {
                    e.pseudonym for e in built.key.entries}
            mapped += 1
    assert mapped > 500


def test_corpus_reveal_needs_the_key_and_restores_the_names(documents, built):
    pseudonymiser = Pseudonymiser(built.key)
    document = next(d for d in documents if d.name == "brookfield_participant.vtt")
    view = pseudonymiser(document.text)
    assert "Chloe" not in view.text
    revealed = reveal(view.text, built.key)
    assert "Chloe Rutherford" in revealed.text
    assert pseudonymiser(revealed.text).text == view.text


def test_corpus_candidates_then_accepting_them_separates_people_sharing_a_first_name(documents, built):
    search = suggest_candidates(((d.name, d.text) for d in documents), built.key, use_ner=False)
    found = {c.text: c for c in search.candidates}
    for expected in ("Claire", "Sophie", "Tom", "Rachel Hale", "Sam Oduya", "Northern Lights Learning Trust",
                     "Westward Horizons Trust", "Eastshire County Council", "Kent", "Cumbria"):
        assert expected in found, expected
    for common in ("Ofsted", "DfE", "NPQ", "NPQs", "September", "Tuesday", "Year", "Interviewer", "Headteacher",
                   "Brookfield", "Harbour", "The", "We're", "London", "North East"):
        assert common not in found, common
    millbrook = next(d for d in documents if d.name == "millbrook_participant.docx")
    before = Pseudonymiser(built.key)(millbrook.text).text
    assert "Hale" in before  # "Rachel" alone was the key's Rachel Thwaite, so "Dr Rachel Hale" was half replaced
    key = accept_candidate(built.key, found["Rachel Hale"])
    key = accept_candidate(key, found["Northern Lights Learning Trust"])
    after = Pseudonymiser(key)(millbrook.text).text
    assert "Hale" not in after and key.entry("Rachel Hale").pseudonym in after
    assert key.entry("Northern Lights").pseudonym == "Organisation A"
