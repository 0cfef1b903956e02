"""What a pseudonymisation run replaced, and which candidates are still to be reviewed.

The report names the originals: it is for the research team (the terminal, the key's folder),
never for the shared output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qualkit.pseudonymise.candidates import Candidate, unreviewed
from qualkit.pseudonymise.key import Kind, PseudonymKey
from qualkit.pseudonymise.views import PseudonymisedText


@dataclass(frozen=True)
class EntryCount:
    """How often one key entry was replaced, and in how many texts."""

    original: str
    pseudonym: str
    kind: Kind
    replaced: int
    texts: int


@dataclass(frozen=True)
class PseudonymisationReport:
    """Counts per key entry (every entry, zero included), texts seen, and unreviewed candidates."""

    entries: tuple[EntryCount, ...]
    texts: int
    unreviewed: tuple[Candidate, ...]

    @property
    def replaced(self) -> int:
        return sum(entry.replaced for entry in self.entries)

    @property
    def unused(self) -> tuple[EntryCount, ...]:
        """Entries that never occurred (a misspelt key entry shows up here)."""
        return tuple(entry for entry in self.entries if entry.replaced == 0)

    def lines(self) -> list[str]:
        """A plain summary for the terminal."""
        lines = [f"Replaced {self.replaced} name(s) in {self.texts} text(s) with {len(self.entries)} key entries."]
        for entry in sorted(self.entries, key=lambda e: (-e.replaced, e.pseudonym)):
            lines.append(f"  {entry.pseudonym:<20} {entry.replaced:>6}  in {entry.texts:>4} text(s)  "
                         f"({entry.kind.value}: {entry.original})")
        if self.unreviewed:
            shown = ", ".join(f"{c.text} ({c.count})" for c in self.unreviewed[:10])
            more = f", and {len(self.unreviewed) - 10} more" if len(self.unreviewed) > 10 else ""
            lines.append(f"{len(self.unreviewed)} candidate(s) not yet reviewed: {shown}{more}. "
                         "Accept them into the key or ignore them.")
        else:
            lines.append("No candidates left to review.")
        return lines


def build_report(
    key: PseudonymKey,
    views: Iterable[PseudonymisedText] | Mapping[str, PseudonymisedText],
    candidates: Iterable[Candidate] = (),
) -> PseudonymisationReport:
    """The report for ``views`` (pseudonymised with ``key``) and a candidate search's results."""
    replaced: Counter[str] = Counter()
    texts_with: Counter[str] = Counter()
    texts = 0
    for view in (views.values() if isinstance(views, Mapping) else views):
        texts += 1
        counts = view.counts()
        replaced.update(counts)
        texts_with.update(counts.keys())
    entries = tuple(
        EntryCount(e.original, e.pseudonym, e.kind, replaced[e.original], texts_with[e.original])
        for e in key.entries
    )
    return PseudonymisationReport(entries=entries, texts=texts, unreviewed=unreviewed(candidates, key))
