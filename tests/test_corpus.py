"""The bundled sample corpus is what its README says it is, and ingests cleanly."""

from collections import Counter

from qualkit.records import DocumentKind
from tests.conftest import CORPUS


def test_bundled_corpus_ingests_with_cases(project):
    report = project.ingest(
        [CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv"
    )
    assert report.ok and not report.warnings
    transcripts = [d for d in report.added if d.kind is DocumentKind.TRANSCRIPT]
    documents = [d for d in report.added if d.kind is DocumentKind.DOCUMENT]
    assert len(transcripts) == 18 and len(documents) == 2
    assert {d.name.rsplit(".", 1)[1] for d in transcripts} == {"txt", "docx", "vtt"}
    assert {d.name.rsplit(".", 1)[1] for d in documents} == {"docx", "pdf"}
    cases = project.cases()
    assert len(cases) == 6 and all(case.documents == 3 for case in cases)
    assert {case.attributes["rurality"] for case in cases} == {"rural", "urban"}
    assert {case.attributes["disadvantage"] for case in cases} == {"high", "low"}
    assert len({case.attributes["phase"] for case in cases}) >= 3
    roles = Counter(a["role"] for a in project.store.documents.attributes().values())
    assert roles == {"school leader": 6, "PD lead": 6, "PD participant": 6}


def test_each_interview_is_1000_to_2500_words_of_speech(project):
    from qualkit.ingest import count_words

    project.ingest([CORPUS / "interviews"])
    words: Counter[str] = Counter()
    speakers: dict[str, set] = {}
    names = {d.id: d.name for d in project.documents()}
    for segment in project.segments():
        words[names[segment.document_id]] += count_words(segment.text)
        speakers.setdefault(names[segment.document_id], set()).add(segment.speaker)
    assert len(words) == 18
    assert all(1000 <= n <= 2500 for n in words.values()), words
    assert all("Interviewer" in s and len(s) == 2 for s in speakers.values()), speakers


def test_bundled_decisions_load_into_a_fresh_project(project):
    from tests.conftest import ROOT

    project.ingest([CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv")
    project.code(codebook_path=ROOT / "codebooks" / "niot_coherent_offer.yaml")
    report = project.import_review(CORPUS / "decisions.csv")
    assert report.refused == [] and report.recorded > 1000 and report.manual > 25
    assert set(project.store.decisions.reviewers()) == {"Amira Khan", "Ben Roberts"}
    rows = project.suggestions()
    both = [r for r in rows if r["reviewer:Amira Khan"] != "pending" and r["reviewer:Ben Roberts"] != "pending"]
    assert len(both) > 200  # enough overlap for agreement to measure
    rule_rows = [r for r in rows if r["source"] == "rule"]
    assert all(r["reviewer:Amira Khan"] != "pending" for r in rule_rows)  # Amira decided every proposal
