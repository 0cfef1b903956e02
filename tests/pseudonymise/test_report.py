"""The report of what was replaced and which candidates are still to be reviewed."""

from __future__ import annotations

from qualkit.pseudonymise import (
    EntrySource,
    KeyEntry,
    Kind,
    Pseudonymiser,
    PseudonymKey,
    build_report,
    ignore_candidates,
    suggest_candidates,
)

KEY = PseudonymKey((
    KeyEntry("Brookfield Primary", "School A", Kind.SCHOOL, EntrySource.CASE, ("Brookfield",)),
    KeyEntry("Chloe Rutherford", "ECT 1", Kind.PERSON, EntrySource.SPEAKER, ("Chloe", "Rutherford")),
    KeyEntry("Oakmere School", "School B", Kind.SCHOOL, EntrySource.CASE, ("Oakmere",)),
))
TEXTS = {"a": "Chloe met Chloe Rutherford at Brookfield; later Tom came.", "b": "Brookfield again, and Tom."}


def test_build_report_counts_per_entry_and_lists_unreviewed_candidates():
    pseudonymiser = Pseudonymiser(KEY)
    views = {name: pseudonymiser(text) for name, text in TEXTS.items()}
    candidates = suggest_candidates(TEXTS.items(), KEY, use_ner=False).candidates
    report = build_report(KEY, views, candidates)
    assert [(e.original, e.replaced, e.texts) for e in report.entries] == [
        ("Brookfield Primary", 2, 2), ("Chloe Rutherford", 2, 1), ("Oakmere School", 0, 0)]
    assert report.replaced == 4 and report.texts == 2
    assert [e.original for e in report.unused] == ["Oakmere School"]
    assert [c.text for c in report.unreviewed] == ["Tom"]
    lines = report.lines()
    assert lines[0] == "Replaced 4 name(s) in 2 text(s) with 3 key entries."
    assert lines[-1] == "1 candidate(s) not yet reviewed: Tom (2). Accept them into the key or ignore them."
    reviewed = ignore_candidates(KEY, ["Tom"])
    assert build_report(reviewed, views, candidates).lines()[-1] == "No candidates left to review."
