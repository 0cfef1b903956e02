"""The bundled interviews parse exactly as they did before the layout registry (turns, speakers)."""

import pytest

from qualkit.ingest import ReadOptions, SourceFile, discover, extract, read_bytes
from qualkit.records import DocumentKind
from qualkit.segment import segment_blocks
from tests.conftest import CORPUS

# Recorded from the reader before the layout registry (commit 3311736): turns, speakers.
BEFORE = {
    "brookfield_leader.txt": (26, {"Headteacher", "Interviewer"}),
    "brookfield_participant.vtt": (24, {"Chloe Rutherford", "Interviewer"}),
    "brookfield_pd_lead.docx": (28, {"CPD Lead", "Interviewer"}),
    "fellside_leader.docx": (26, {"Headteacher", "Interviewer"}),
    "fellside_participant.txt": (26, {"Interviewer", "Kirsty"}),
    "fellside_pd_lead.vtt": (28, {"Interviewer", "Rachel Thwaite"}),
    "harbour_leader.vtt": (26, {"Interviewer", "Jenna Trevithick"}),
    "harbour_participant.docx": (26, {"Interviewer", "Mentor"}),
    "harbour_pd_lead.txt": (26, {"Assistant Principal", "Interviewer"}),
    "millbrook_leader.vtt": (26, {"Gareth Pryce", "Interviewer"}),
    "millbrook_participant.docx": (26, {"Interviewer", "NPQ Participant"}),
    "millbrook_pd_lead.txt": (26, {"CPD Lead", "Interviewer"}),
    "oakmere_leader.txt": (28, {"Headteacher", "Interviewer"}),
    "oakmere_participant.vtt": (28, {"Helen Ashby", "Interviewer"}),
    "oakmere_pd_lead.docx": (24, {"Assistant Head", "Interviewer"}),
    "riverside_leader.docx": (24, {"Executive Head", "Interviewer"}),
    "riverside_participant.txt": (30, {"Interviewer", "Kemi"}),
    "riverside_pd_lead.vtt": (28, {"Interviewer", "Priya Raman"}),
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_niot_interview_turns_and_speakers_unchanged(name):
    path = CORPUS / "interviews" / name
    [document], warnings = extract(SourceFile(path, name), read_bytes(path), ReadOptions())
    turns = segment_blocks(document.text, document.blocks, document.kind.natural_unit)
    assert document.kind is DocumentKind.TRANSCRIPT
    assert (len(turns), {turn.speaker for turn in turns}) == BEFORE[name]
    assert warnings == []


def test_niot_interview_docx_header_table_becomes_attributes():
    path = CORPUS / "interviews" / "brookfield_pd_lead.docx"
    [document], _ = extract(SourceFile(path, path.name), read_bytes(path), ReadOptions())
    assert document.attributes["Interviewee role"] == "Assistant headteacher, CPD lead and induction tutor"
    assert document.attributes["Date"] == "13 May 2025"


def test_niot_corpus_folder_discovery():
    found = discover([CORPUS])
    assert sorted(f.name for f in found.files) == sorted(
        [f"interviews/{name}" for name in BEFORE]
        + ["documents/policy_la_cpd_framework.pdf", "documents/policy_trust_pd_entitlement.docx"]
    )
    assert [f.path.name for f in found.cases_files] == ["cases.csv"]
    assert [f.path.name for f in found.review_files] == ["decisions.csv"]
    assert [(s.path, s.reason) for s in found.skipped] == [(str(CORPUS / "README.md"), "a README")]
