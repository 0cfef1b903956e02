"""Interviewer turns are context, not data: who counts as the interviewer.

By default a speaker labelled Interviewer, INT, I, Researcher, Facilitator or Moderator. A
project names its own (`qualkit interviewers set "Sarah Okafor" SO`), and a document can name
more in the cases file's ``interviewer`` column (names separated by ``;`` or ``,``), for the
transcripts one colleague ran.

A speaker label matches a name when they are the same after folding case, spacing and full
stops ("s.o." is "SO", "sarah  okafor" is "Sarah Okafor"), or when the label is the name with
a number after it ("Interviewer 2", "INT1"). A participant code such as "P07" matches only
itself. Initials are never guessed from a full name: "SO" is an interviewer only when named
(`qualkit interviewers` points out labels that look like the initials of one).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualkit.records import InterviewerSetup

DEFAULT_INTERVIEWERS = ("Interviewer", "INT", "I", "Researcher", "Facilitator", "Moderator")

#: Cases-file columns (and so attributes) that name a document's own interviewers.
ATTRIBUTES = ("interviewer", "interviewers")

_SEPARATORS = re.compile(r"[;,]")


@functools.lru_cache(maxsize=4096)  # a corpus has few speaker labels, each seen on many turns
def fold(name: str) -> str:
    """A speaker label or name as matching compares it: case, spacing and full stops folded, and
    initials written with stops or spaces ("S.O.", "S O") run together ("so")."""
    parts = name.replace(".", " ").split()
    initials_only = len(parts) > 1 and all(len(part) == 1 for part in parts)
    return ("" if initials_only else " ").join(parts).casefold()


def split_names(cell: str) -> tuple[str, ...]:
    """The names in a cases-file cell: 'Sarah Okafor; SO' -> ('Sarah Okafor', 'SO')."""
    return tuple(part.strip() for part in _SEPARATORS.split(cell) if part.strip())


def initials(name: str) -> str | None:
    """'Sarah Okafor' -> 'SO' (None for a one-word name: its initial would match too much)."""
    words = [word for word in re.split(r"[\s.\-]+", name) if word]
    return "".join(word[0] for word in words).upper() if len(words) > 1 else None


def _matches(label: str, names: Collection[str]) -> bool:
    return label in names or label.rstrip("0123456789 ") in names


@dataclass(frozen=True)
class Interviewers(Collection[str]):
    """Who the interviewer is: ``names`` for every document (folded), and more names for some
    documents (document id -> folded names). Iterating gives the project-wide names."""

    names: frozenset[str] = frozenset(fold(name) for name in DEFAULT_INTERVIEWERS)
    by_document: Mapping[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, names: Collection[str], by_document: Mapping[int, Collection[str]] | None = None) -> Interviewers:
        return cls(names=frozenset(fold(name) for name in names),
                   by_document={document: frozenset(fold(name) for name in found)
                                for document, found in (by_document or {}).items() if found})

    def matches(self, speaker: str | None, document_id: int | None = None) -> bool:
        if not speaker:
            return False
        label = fold(speaker)
        if _matches(label, self.names):
            return True
        extra = self.by_document.get(document_id) if document_id is not None else None
        return bool(extra) and _matches(label, extra)  # type: ignore[arg-type]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.names))

    def __len__(self) -> int:
        return len(self.names)


def as_interviewers(names: Collection[str] | Interviewers) -> Interviewers:
    """``names`` as :class:`Interviewers` (a plain collection of names applies to every document)."""
    return names if isinstance(names, Interviewers) else Interviewers.of(names)


def is_interviewer(speaker: str | None, names: Collection[str] | Interviewers, document_id: int | None = None) -> bool:
    """Whether a turn by ``speaker`` (in document ``document_id``) is the interviewer's. 'Interviewer',
    'interviewer 2' and 'INT1' are interviewers when 'Interviewer'/'INT' are (see the module doc)."""
    if not speaker:
        return False
    if isinstance(names, Interviewers):
        return names.matches(speaker, document_id)
    return _matches(fold(speaker), {fold(name) for name in names})


def setup(names: Collection[str], *, default: bool, interviewers: Interviewers,
          turns: Iterable[tuple[int, str, int]], document_names: Mapping[int, str],
          own_names: Mapping[int, Collection[str]]) -> InterviewerSetup:
    """Who counts as the interviewer and what that makes of the corpus: ``turns`` are (document id,
    speaker label, turns) of the transcripts; ``own_names`` the names documents set themselves."""
    from qualkit.records import InterviewerSetup, SpeakerTurns

    documents: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    as_interviewer: dict[str, int] = {}  # a label's turns in documents where it is the interviewer's
    named: dict[str, str] = {}
    interviewer_documents: set[int] = set()
    turns_seen = list(turns)
    for document_id, speaker, n in turns_seen:
        documents.setdefault(speaker, set()).add(document_id)
        counts[speaker] = counts.get(speaker, 0) + n
        if interviewers.matches(speaker):
            named[speaker] = "project"
        elif interviewers.matches(speaker, document_id):
            named.setdefault(speaker, "document")
        else:
            continue
        as_interviewer[speaker] = as_interviewer.get(speaker, 0) + n
        interviewer_documents.add(document_id)
    speakers = tuple(sorted(
        (SpeakerTurns(speaker, len(documents[speaker]), counts[speaker], speaker in named, named.get(speaker, ""),
                      as_interviewer.get(speaker, 0))
         for speaker in counts),
        key=lambda s: (-s.turns, s.speaker.casefold()),
    ))
    # A name set for the project that no turn has is probably misspelt. A document's own names
    # (the cases file often just records who interviewed) matter only where none of its turns is
    # the interviewer's.
    labels = {fold(label) for label in counts}
    by_document: dict[int, set[str]] = {}
    for document_id, speaker, _ in turns_seen:
        by_document.setdefault(document_id, set()).add(speaker)
    built_in = {fold(name) for name in DEFAULT_INTERVIEWERS}  # kept on the list whether used or not
    unmatched = [(name, "", _close(name, counts)) for name in names
                 if fold(name) not in built_in and not any(_matches(label, {fold(name)}) for label in labels)]
    unmatched += [(name, document_names[document_id], _close(name, by_document.get(document_id, ())))
                  for document_id, found in own_names.items()
                  if document_id in document_names and document_id not in interviewer_documents
                  and document_id in by_document
                  for name in found]
    # A label that is a named interviewer's initials (or whose initials are a named interviewer),
    # in a document where that name applies, is probably the same person under another label.
    project_given = [name for name in names if fold(name) not in built_in]
    lookalikes: dict[tuple[str, str], None] = {}
    for document_id, label, _ in turns_seen:
        if interviewers.matches(label, document_id):
            continue
        for name in [*project_given, *own_names.get(document_id, ())]:
            short, mine = initials(name), initials(label)
            if (short and fold(short) == fold(label)) or (mine and fold(mine) == fold(name)):
                lookalikes[(label, name)] = None
    return InterviewerSetup(
        names=tuple(names), default=default,
        by_document=tuple(sorted((document_names[d], tuple(found)) for d, found in own_names.items()
                                 if d in document_names)),
        speakers=speakers, interviewer_documents=len(interviewer_documents), unmatched=tuple(unmatched),
        lookalikes=tuple(lookalikes),
    )


def _close(name: str, labels: Iterable[str]) -> str:
    import difflib

    return next(iter(difflib.get_close_matches(name, list(labels), n=1, cutoff=0.6)), "")
