"""Helpers for the REFI-QDA tests: where the shared samples live, and a builder for crafted archives."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("QUALKIT_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
REFI = SHARED / "refi"
SAMPLES = REFI / "samples"


def require_refi() -> Path:
    """The shared REFI-QDA folder (schemas and samples), or skip the test."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared REFI-QDA samples not found at {SAMPLES} (set QUALKIT_SHARED)")
    return REFI


def make_qdpx(
    path: Path, qde: str | bytes, files: dict[str, str | bytes] | None = None, *, qde_name: str = "project.qde"
):
    """A .qdpx zip with ``qde`` as the project file and ``files`` as further members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, qde.encode("utf-8") if isinstance(qde, str) else qde)
        for name, data in (files or {}).items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def utf16_units(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (what NVivo for Windows counts)."""
    return len(text.encode("utf-16-le")) // 2


def validate(document: bytes, schema: str) -> list[str]:
    """Schema errors of ``document`` against the shared ``schema`` (Project.xsd/Codebook.xsd); [] when valid."""
    from lxml import etree

    xsd = etree.XMLSchema(etree.parse(str(require_refi() / schema)))
    ok = xsd.validate(etree.fromstring(document))
    return [] if ok else [f"line {error.line}: {error.message}" for error in xsd.error_log]


def demo_project():
    """A small qualkit-shaped project touching every record type, with an emoji before a coding."""
    from datetime import datetime, timezone

    from qualkit.refi import (
        RefiCase,
        RefiCode,
        RefiCoding,
        RefiNote,
        RefiProject,
        RefiSet,
        RefiSource,
        RefiUser,
        stable_guid,
    )

    trust = RefiCode.new("culture.trust", "Trust", color="#2a9d8f", description="Staff feel trusted & <autonomous>.")
    culture = RefiCode.new("culture", "Culture", children=(trust,), codable=False)
    npq = RefiCode.new("offer.npq", "NPQs", description="National professional qualifications.")
    offer = RefiCode.new("offer", "Offer", color="#E76F51", children=(npq,))
    ana, ben = RefiUser.new("ana"), RefiUser.new("ben")
    interview = RefiSource.new(
        "interview_head", "Thanks 😀 for coming.\nWe trust our staff, and the NPQ 🎉 helped.\n",
        attributes={"role": "head"},
    )
    survey = RefiSource.new("survey_row_1", "Mentors meet weekly.", attributes={"role": "teacher", "year": "2024"})
    text = interview.text

    def span(word: str) -> tuple[int, int]:
        return text.index(word), text.index(word) + len(word)

    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    codings = (
        RefiCoding(interview.guid, *span("trust our staff"), trust.guid, ana.guid, when),
        RefiCoding(interview.guid, *span("NPQ"), npq.guid, ben.guid, None),
        RefiCoding(interview.guid, *span("NPQ"), trust.guid, None, None),
        RefiCoding(survey.guid, 0, 7, npq.guid, ana.guid, None),
    )
    notes = (
        RefiNote(guid=stable_guid("note", "trust"), name="On trust", text="Ask about workload.", targets=(trust.guid,)),
        RefiNote(guid=stable_guid("note", "project"), name="Project memo", text="Pilot round."),
        RefiNote(guid=stable_guid("note", "span"), name="Emoji", text="Smiles.", source_guid=interview.guid,
                 start=text.index("😀"), end=text.index("😀") + 1),
    )
    return RefiProject(
        name="NIoT case study",
        codes=(offer, culture),
        sources=(interview, survey),
        codings=codings,
        users=(ana, ben),
        cases=(RefiCase.new("School A", attributes={"phase": "primary"}, source_guids=(interview.guid, survey.guid)),),
        notes=notes,
        sets=(RefiSet(stable_guid("set", "s"), "Heads", code_guids=(trust.guid,), source_guids=(interview.guid,)),),
    )
