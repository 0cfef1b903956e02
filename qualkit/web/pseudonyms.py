"""Serving pseudonymised (`qualkit serve --pseudonymise`): every page shows participants' text and
names as the project's pseudonym key makes them, like the exports do.

Nothing stored changes and nothing a form posts names a participant: decisions name suggestions
and segments by id, and the filters' document and case names are the shown (pseudonymised) ones,
turned back into the project's names here, through a table of the names the project has (never by
reversing the key on what a browser sends). Reviewers' names and code keys stay as they are, as in
the exports. When the key cannot be read any more, pages fail closed: an error that shows nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import NotFoundError

if TYPE_CHECKING:
    from qualkit.project import Project
    from qualkit.pseudonymise import Pseudonymisation

BANNER = "Names pseudonymised with the project's key"


@dataclass(frozen=True)
class Pseudonyms:
    """How the server shows participants: pseudonymised with the key (``key_file``: the one kept
    apart; None: the project's, or $QUALKIT_PSEUDONYM_KEY) when ``on``, else as stored."""

    on: bool = False
    key_file: Path | None = None

    @classmethod
    def asked(cls, pseudonymise: bool, key_file: str | os.PathLike | None) -> Pseudonyms:
        """From ``--pseudonymise`` and ``--key FILE`` (which implies it), as the exports read them."""
        if not pseudonymise and key_file is None:
            return cls()
        return cls(True, Path(key_file).resolve() if key_file is not None else None)

    def of(self, project: Project) -> Pseudonymisation | None:
        """The compiled key for this request's views (None: names are shown as stored)."""
        return project.pseudonymised_view(key_file=self.key_file) if self.on else None

    def value(self, project: Project, text: str) -> str:
        """A message or name as a page may show it."""
        shown = self.of(project)
        return text if shown is None else shown.text(text)

    def export(self, project: Project) -> Pseudonymisation | None:
        """A fresh Pseudonymisation for one download (its own leak-check summary)."""
        return project.pseudonymisation(key_file=self.key_file) if self.on else None


@dataclass(frozen=True)
class ShownNames:
    """The project's document and case names as pages show them, and back. Two names that
    pseudonymise alike are told apart by a number, so every shown name means one project name."""

    documents: dict[str, str] = field(default_factory=dict)  # shown → the project's
    cases: dict[str, str] = field(default_factory=dict)
    pseudonymised: bool = False

    @classmethod
    def of(cls, documents: Iterable[str], cases: Iterable[str], shown: Pseudonymisation | None) -> ShownNames:
        if shown is None:
            return cls({name: name for name in documents}, {name: name for name in cases})
        return cls(_unique(documents, shown), _unique(cases, shown), pseudonymised=True)

    def document(self, shown: str) -> str:
        return self._original(self.documents, shown, "document")

    def case(self, shown: str) -> str:
        return self._original(self.cases, shown, "case")

    def _original(self, names: dict[str, str], shown: str, what: str) -> str:
        if not self.pseudonymised:
            return shown  # the library says what is wrong with an unknown name (and what was meant)
        found = names.get(shown)
        if found is None:  # never the library's "did you mean": it would name the project's names
            raise NotFoundError(f"no {what} {shown!r} here: choose one from the list on the page")
        return found


#: The server's default: names shown as stored.
AS_STORED = Pseudonyms()


def _unique(names: Iterable[str], shown: Pseudonymisation) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names:
        value = shown.text(name)
        label, number = value, 1
        while label in found:
            number += 1
            label = f"{value} ({number})"
        found[label] = name
    return found


__all__ = ["AS_STORED", "BANNER", "Pseudonyms", "ShownNames"]
