"""What a Word report shows: plain frozen records that the project fills and the writer reads.

The writer (:mod:`qualkit.export.word`) never touches the project database; everything it
prints is in a :class:`ReportData`, so a report can be rebuilt, tested or produced from another
tool's data. Keys (``code``, ``theme``, ``source``...) are codebook keys; the writer looks their
names up in ``codes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CodeInfo:
    """One codebook entry; themes are entries with ``codable=False`` and ``parent=None``."""

    key: str
    name: str
    theme: str | None
    stage: str | None
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    examples: tuple[str, ...]
    codable: bool
    parent: str | None


@dataclass(frozen=True)
class CodedSegment:
    """One coding: a passage of a document with one code applied to it.

    ``status`` is ``"accepted"`` or ``"pending"`` (a suggestion no reviewer has accepted yet);
    ``timestamp`` is seconds from the start of a recording; ``source`` says what proposed the
    coding (e.g. ``"patterns"``, ``"model"``, ``"manual"``) and ``score`` its confidence.
    """

    code: str
    document: str
    case: str | None
    speaker: str | None
    timestamp: float | None
    text: str
    reviewers: tuple[str, ...]
    status: str
    source: str
    score: float | None

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class LinkEvidence:
    """A theory-of-change link and the codings that support it.

    ``moderates`` is the (source, target) link that this one moderates, if it is a moderator
    link. ``quotes`` are exemplar (case, document, quote) triples.
    """

    source: str
    target: str
    label: str
    moderates: tuple[str, str] | None
    segments: int
    cases: int
    case_names: tuple[str, ...]
    quotes: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ReportData:
    """Everything a coding report shows, in the order the codebook gives it.

    ``corpus`` holds ``documents``, ``cases``, ``words``, ``segments`` (ints) and ``kinds``
    (document kind -> count). ``agreement`` has columns ``code``, ``n_units``, ``percent``
    (0-100), ``kappa``, ``alpha`` and optionally raw counts; ``None`` when not computed.
    ``frequency`` has one row per code with ``code``, ``name``, ``theme``, ``segments``,
    ``documents``, ``cases`` and ``share`` (a fraction, 0-1), and optionally columns split by
    ``by_attribute`` named like ``segments[phase=primary]``. ``framework`` has case names as
    index and theme keys as columns, cells are counts; ``framework_quotes`` maps (case, theme)
    to up to two representative quotes. ``codebook_description`` (shown under Method) and
    ``author`` (title page and file properties) are optional.
    """

    title: str
    subtitle: str
    generated_at: str
    qualkit_version: str
    corpus: dict[str, object]
    codebook_name: str
    codebook_version: str
    codebook_hash: str
    reviewers: tuple[str, ...]
    consensus_rule: str
    agreement: pd.DataFrame | None
    include_pending: bool
    codes: tuple[CodeInfo, ...]
    segments: tuple[CodedSegment, ...]
    frequency: pd.DataFrame
    by_attribute: str | None
    framework: pd.DataFrame
    framework_quotes: dict[tuple[str, str], tuple[str, ...]]
    toc_stages: tuple[str, ...]
    toc_links: tuple[LinkEvidence, ...]
    toc_unevidenced: tuple[str, ...]
    toc_diagram_png: bytes | None
    codebook_yaml: str
    codebook_description: str = ""
    author: str | None = None
