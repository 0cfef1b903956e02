"""REFI-QDA (QDA-XML 1.0) exchange: read and write .qdpx projects and .qdc codebooks.

Storage-independent: records in :mod:`qualkit.refi.model` are what flows in and out; turning
them into a qualkit project is the caller's business. Readers accept what real programs export
(NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette) and say in ``warnings`` what they repaired or
skipped; writers produce files that validate against the published schemas.
"""

from qualkit.errors import RefiError, RefiSafetyError, RefiWarning
from qualkit.refi.model import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSet,
    RefiSource,
    RefiUser,
    canonical_guid,
    stable_guid,
    walk_codes,
)
from qualkit.refi.read import read_qdc, read_qdpx, slug
from qualkit.refi.safety import RefiLimits
from qualkit.refi.write import write_qdc, write_qdpx

__all__ = [
    "RefiCase",
    "RefiCode",
    "RefiCoding",
    "RefiError",
    "RefiLimits",
    "RefiNote",
    "RefiProject",
    "RefiSafetyError",
    "RefiSet",
    "RefiSource",
    "RefiUser",
    "RefiWarning",
    "canonical_guid",
    "read_qdc",
    "read_qdpx",
    "slug",
    "stable_guid",
    "walk_codes",
    "write_qdc",
    "write_qdpx",
]
