"""The pseudonym key: which names to replace, by what, and where each name came from.

A :class:`PseudonymKey` is a frozen list of :class:`KeyEntry` records. Each entry has the
original text (``Brookfield Primary``), its pseudonym (``School A``), a kind, the source it came
from, and aliases: the shorter forms the same name takes in speech (``Brookfield``; ``Chloe`` and
``Rutherford`` for ``Chloe Rutherford``). :func:`build_key` makes one from what qualkit already
knows (case names, cases-file values, speaker labels) plus the researcher's own list, with
default pseudonyms numbered by kind; the researcher can override any of them.

The key is the only thing that maps pseudonyms back to names. Keep its file apart from
anything shared.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from qualkit.errors import PseudonymisationError, did_you_mean
from qualkit.pseudonymise.vocabulary import (
    COMMON_WORD_NAMES,
    ORGANISATION_WORDS,
    ROLE_WORDS,
    SCHOOL_WORDS,
    TITLES,
)


class Kind(str, enum.Enum):
    """What a name names; decides its default pseudonym and how its aliases are derived."""

    PERSON = "person"
    SCHOOL = "school"
    PLACE = "place"
    ORGANISATION = "organisation"
    OTHER = "other"


class EntrySource(str, enum.Enum):
    """Where an entry came from."""

    SPEAKER = "speaker"  # a transcript's speaker label
    CASE = "case"  # a case name
    CASES_FILE = "cases-file"  # a value in an identifying column of the cases file
    RESEARCHER = "researcher"  # the researcher's own list, or added by hand
    CANDIDATE = "candidate"  # a candidate from the text that the researcher accepted


# Pseudonyms numbered by kind: people and others count 1, 2, 3; the rest letter A, B, ... Z, AA.
PSEUDONYM_STEMS = {
    Kind.PERSON: "Participant",
    Kind.SCHOOL: "School",
    Kind.PLACE: "Place",
    Kind.ORGANISATION: "Organisation",
    Kind.OTHER: "Name",
}
_LETTERED = {Kind.SCHOOL, Kind.PLACE, Kind.ORGANISATION}
MAX_TEXT = 200  # characters in an original, alias or pseudonym
_ROLE_REASON = "looks like a role, not a name; add it by hand if it names someone"

_ALNUM = re.compile(r"[^\W_]")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SEPARATOR = re.compile(r"\s*[-‐‑–]\s*|\s+")


@dataclass(frozen=True)
class KeyEntry:
    """One name to replace. ``forms`` (the original and its aliases) are all replaced by ``pseudonym``.

    Matching is case-insensitive unless ``case_sensitive``: then only the forms as written or in
    capitals match, for names that are also everyday words ("Harbour" but not "the harbour").
    """

    original: str
    pseudonym: str
    kind: Kind
    source: EntrySource
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.original, *self.aliases)


@dataclass(frozen=True)
class KeyProblem:
    """Something wrong with entry number ``index`` (0-based; None: the key as a whole)."""

    index: int | None
    message: str


@dataclass(frozen=True)
class PseudonymKey:
    """The entries, plus ``ignored``: candidates the researcher reviewed and chose to leave as they are.

    Constructing a key validates it; an invalid one raises :class:`PseudonymisationError`.
    """

    entries: tuple[KeyEntry, ...] = ()
    ignored: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = key_problems(self.entries)
        if problems:
            raise PseudonymisationError(
                "invalid pseudonym key: " + "; ".join(_describe(self.entries, p) for p in problems)
            )

    def entry(self, original: str) -> KeyEntry:
        """The entry whose original (or alias) is ``original``, compared case-insensitively."""
        wanted = normalise_form(original)
        for entry in self.entries:
            if any(normalise_form(form) == wanted for form in entry.forms):
                return entry
        raise PseudonymisationError(
            f"{original!r} is not in the pseudonym key"
            + did_you_mean(original, [e.original for e in self.entries])
        )

    def original_of(self, pseudonym: str) -> str:
        """The reverse mapping: the original name behind ``pseudonym``. Needs the key, by design."""
        wanted = normalise_form(pseudonym)
        for entry in self.entries:
            if normalise_form(entry.pseudonym) == wanted:
                return entry.original
        raise PseudonymisationError(
            f"{pseudonym!r} is not a pseudonym in this key"
            + did_you_mean(pseudonym, [e.pseudonym for e in self.entries])
        )

    def covers(self, text: str) -> bool:
        """Whether ``text`` is one of the key's forms or an ignored candidate (case-insensitively)."""
        wanted = normalise_form(text)
        return wanted in {normalise_form(i) for i in self.ignored} or any(
            normalise_form(form) == wanted for entry in self.entries for form in entry.forms
        )

    def with_entries(self, entries: Iterable[KeyEntry]) -> PseudonymKey:
        """A key with ``entries`` added (their forms leave the ignored list)."""
        added = tuple(entries)
        forms = {normalise_form(form) for entry in added for form in entry.forms}
        ignored = tuple(i for i in self.ignored if normalise_form(i) not in forms)
        return PseudonymKey(entries=self.entries + added, ignored=ignored)

    def with_pseudonym(self, original: str, pseudonym: str) -> PseudonymKey:
        """A key where ``original``'s entry is replaced by ``pseudonym`` (the researcher's override)."""
        target = self.entry(original)
        entries = tuple(replace(e, pseudonym=pseudonym.strip()) if e is target else e for e in self.entries)
        return PseudonymKey(entries=entries, ignored=self.ignored)

    def with_ignored(self, texts: Iterable[str]) -> PseudonymKey:
        """A key that remembers ``texts`` as reviewed candidates to leave unchanged."""
        seen = {normalise_form(i) for i in self.ignored}
        added = []
        for text in texts:
            if normalise_form(text) not in seen:
                seen.add(normalise_form(text))
                added.append(text.strip())
        return PseudonymKey(entries=self.entries, ignored=self.ignored + tuple(added))

    def without(self, original: str) -> PseudonymKey:
        """A key without ``original``'s entry."""
        target = self.entry(original)
        return PseudonymKey(entries=tuple(e for e in self.entries if e is not target), ignored=self.ignored)

    def next_pseudonym(self, kind: Kind) -> str:
        """The first default pseudonym of ``kind`` no entry uses yet."""
        return _next_pseudonym(kind, {normalise_form(e.pseudonym) for e in self.entries})

    def new_entry(
        self, original: str, kind: Kind, *, source: EntrySource = EntrySource.RESEARCHER,
        pseudonym: str | None = None, aliases: Iterable[str] | None = None, case_sensitive: bool = False,
    ) -> KeyEntry:
        """An entry for ``original`` that fits this key: the next default pseudonym unless one is
        given, and derived aliases (those no other entry claims) unless ``aliases`` is given."""
        original = " ".join(original.split())
        if aliases is None:
            taken = {normalise_form(form) for entry in self.entries for form in entry.forms}
            aliases = [a for a in derive_aliases(original, kind) if normalise_form(a) not in taken]
        return KeyEntry(
            original=original,
            pseudonym=(pseudonym or self.next_pseudonym(kind)).strip(),
            kind=kind,
            source=source,
            aliases=tuple(aliases),
            case_sensitive=case_sensitive,
        )


def normalise_form(text: str) -> str:
    """How forms are compared: case-folded, one space between words, one kind of apostrophe."""
    return " ".join(text.replace("’", "'").casefold().split())


def key_problems(entries: tuple[KeyEntry, ...]) -> list[KeyProblem]:
    """Every reason the entries cannot make a key: empty or overlong text, a form or pseudonym
    used twice, a pseudonym that is itself a name in the key (it would leak or undo another)."""
    problems: list[KeyProblem] = []
    owner: dict[str, int] = {}
    pseudonyms: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry.kind, Kind) or not isinstance(entry.source, EntrySource):
            problems.append(KeyProblem(index, "kind and source must be a Kind and an EntrySource"))
            continue
        for form in entry.forms:
            why = _bad_text(form)
            if why:
                problems.append(KeyProblem(index, f"{form!r} {why}"))
                continue
            key = normalise_form(form)
            if key in owner and owner[key] != index:
                problems.append(KeyProblem(
                    index, f"{form!r} is already in entry {owner[key] + 1} ({entries[owner[key]].original!r}); "
                           "a name can map to one pseudonym only"))
            owner.setdefault(key, index)
        why = _bad_text(entry.pseudonym, pseudonym=True)
        if why:
            problems.append(KeyProblem(index, f"pseudonym {entry.pseudonym!r} {why}"))
            continue
        key = normalise_form(entry.pseudonym)
        if key in pseudonyms:
            first = pseudonyms[key]
            problems.append(KeyProblem(
                index, f"pseudonym {entry.pseudonym!r} is also the pseudonym of entry {first + 1} "
                       f"({entries[first].original!r}); give each its own, or make one name an alias of the other"))
        pseudonyms.setdefault(key, index)
    # A pseudonym that contains a name of the key would be replaced again, or leak it.
    if not problems:
        from qualkit.pseudonymise.matching import KeyMatcher

        matcher = KeyMatcher.from_entries(entries)
        for index, entry in enumerate(entries):
            for match in matcher.finditer(entry.pseudonym):
                found = entry.pseudonym[match.start:match.end]
                problems.append(KeyProblem(
                    index, f"pseudonym {entry.pseudonym!r} contains {found!r}, a name in entry "
                           f"{match.target + 1} ({entries[match.target].original!r}); choose another pseudonym"))
    return problems


def _bad_text(text: str, *, pseudonym: bool = False) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return "is empty"
    if len(text) > MAX_TEXT:
        return f"is longer than {MAX_TEXT} characters"
    if "\n" in text or "\r" in text:
        return "spans lines; write it on one line"
    if pseudonym:
        return None
    if text != " ".join(text.split()):
        return "has extra spaces at its ends or inside"
    if not (_ALNUM.match(text[0]) and _ALNUM.match(text[-1])):
        return "must start and end with a letter or digit"
    if sum(ch.isalpha() for ch in text) < 2:
        return "needs at least two letters (a shorter form would replace letters inside everyday words)"
    return None


def _describe(entries: tuple[KeyEntry, ...], problem: KeyProblem) -> str:
    if problem.index is None:
        return problem.message
    return f"entry {problem.index + 1} ({entries[problem.index].original!r}): {problem.message}"


def _letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def default_pseudonym(kind: Kind, number: int) -> str:
    """The ``number``-th (1-based) default pseudonym of ``kind``: ``School A``, ``Participant 1``."""
    label = _letters(number) if kind in _LETTERED else str(number)
    return f"{PSEUDONYM_STEMS[kind]} {label}"


def _next_pseudonym(kind: Kind, taken: set[str]) -> str:
    number = 1
    while normalise_form(default_pseudonym(kind, number)) in taken:
        number += 1
    return default_pseudonym(kind, number)


def tokens(text: str) -> list[str]:
    """The words of a name: letters and digits, apostrophes inside (``O'Neill``)."""
    return _TOKEN.findall(text)


def looks_like_role(text: str) -> bool:
    """Whether a speaker label or cases-file value names a role, not a person.

    A name has at least one capitalised word that is not a title or a role word: ``Chloe``,
    ``Dr Rachel Hale``; ``Headteacher``, ``CPD Lead``, ``Researcher B``, ``ECT (year 2)`` and
    ``phase leader on NPQLBC`` are roles.
    """
    titles = {t.casefold() for t in TITLES}
    for word in tokens(text):
        folded = word.casefold()
        if folded in titles or folded in ROLE_WORDS or folded.rstrip("s") in ROLE_WORDS:
            continue
        if word[0].isupper() and any(ch.islower() for ch in word[1:]):
            return False
    return True


def derive_aliases(original: str, kind: Kind) -> tuple[str, ...]:
    """The shorter forms a name takes in speech.

    People: the name without a title, then each name word (``Chloe``, ``Rutherford``) unless it
    is an everyday word (``Will``, ``May``). Schools and organisations: the name without the
    generic words after it (``Brookfield`` for ``Brookfield Primary``, ``Northern Lights`` for
    ``Northern Lights Learning Trust``); the generic words are matched after any form anyway.
    """
    words = original.split()
    aliases: list[str] = []
    if kind is Kind.PERSON:
        titles = {t.casefold() for t in TITLES}
        while words and words[0].rstrip(".").casefold() in titles:
            words = words[1:]
        if words and " ".join(words) != original:
            aliases.append(" ".join(words))
        names = [w for w in words if sum(ch.isalpha() for ch in w) >= 2]
        if len(names) >= 2:
            aliases.extend(
                n for n in names
                if n.casefold() not in COMMON_WORD_NAMES and n.casefold() not in ROLE_WORDS and n[0].isupper()
            )
    elif kind in (Kind.SCHOOL, Kind.ORGANISATION):
        generic = SCHOOL_WORDS if kind is Kind.SCHOOL else ORGANISATION_WORDS | SCHOOL_WORDS
        if words and words[0].casefold() == "the":
            words = words[1:]
        while words and all(part.casefold() in generic for part in _SEPARATOR.split(words[-1]) if part):
            words = words[:-1]
        distinctive = " ".join(words)
        if distinctive and distinctive != original and sum(ch.isalpha() for ch in distinctive) >= 3 \
                and not all(w.casefold() in generic for w in words):
            aliases.append(distinctive)
    return tuple(dict.fromkeys(a for a in aliases if normalise_form(a) != normalise_form(original)))


# Columns of a cases file whose values identify someone or somewhere (names compared after
# lower-casing and turning spaces and hyphens into underscores).
IDENTIFYING_COLUMNS: Mapping[str, Kind] = {
    "interviewee": Kind.PERSON, "participant": Kind.PERSON, "name": Kind.PERSON, "person": Kind.PERSON,
    "staff": Kind.PERSON, "teacher": Kind.PERSON, "interviewee_name": Kind.PERSON,
    "participant_name": Kind.PERSON, "school": Kind.SCHOOL, "school_name": Kind.SCHOOL,
    "trust": Kind.ORGANISATION, "mat": Kind.ORGANISATION, "trust_name": Kind.ORGANISATION,
    "local_authority": Kind.ORGANISATION, "la": Kind.ORGANISATION, "organisation": Kind.ORGANISATION,
    "town": Kind.PLACE, "city": Kind.PLACE, "village": Kind.PLACE, "place": Kind.PLACE,
    "location": Kind.PLACE, "county": Kind.PLACE,
}


_DESCRIPTION = re.compile(r"\s*[([]|\s+[-‐‑–—]\s+|[,;:]\s")


def leading_name(value: str) -> str:
    """The name at the start of a descriptive value: ``Oakmere School (fictional) — secondary 11–18``
    and ``Oakmere School, Kent`` give ``Oakmere School``; a plain name is itself."""
    value = " ".join(value.split())
    cut = _DESCRIPTION.search(value)
    return value[:cut.start()].strip() if cut is not None and cut.start() > 0 else value


def column_kind(column: str, columns: Mapping[str, Kind] = IDENTIFYING_COLUMNS) -> Kind | None:
    """The kind of name a cases-file column holds, or None when it is not identifying."""
    return columns.get(re.sub(r"[\s-]+", "_", column.strip().casefold()))


@dataclass(frozen=True)
class SkippedValue:
    """A value :func:`build_key` did not turn into an entry or alias, and why."""

    value: str
    source: EntrySource
    reason: str


@dataclass(frozen=True)
class KeyBuild:
    """A built key, plus what was left out and why (roles, ambiguous aliases, duplicates)."""

    key: PseudonymKey
    skipped: tuple[SkippedValue, ...] = ()


@dataclass(frozen=True)
class NameInput:
    """A name to put in the key: its text, kind, source and (optionally) the pseudonym to give it."""

    text: str
    kind: Kind
    source: EntrySource = EntrySource.RESEARCHER
    pseudonym: str | None = None


def build_key(
    *,
    case_names: Iterable[str] = (),
    attributes: Iterable[tuple[str, str]] = (),
    speaker_labels: Iterable[str] = (),
    researcher_names: Iterable[NameInput] = (),
    existing: PseudonymKey | None = None,
    columns: Mapping[str, Kind] = IDENTIFYING_COLUMNS,
    shuffle_seed: str | None = None,
) -> KeyBuild:
    """A key from what qualkit knows plus the researcher's list; entries already in ``existing`` stay as they are.

    ``attributes`` are (column, value) pairs from a cases file or the project's case and document
    attributes; only columns in ``columns`` (interviewee, school, trust, town, ...) count.
    Speaker labels and person values that name a role (``Headteacher``, ``Interviewer``) are
    skipped and reported, as are aliases two names would share (``Rachel`` for ``Rachel Thwaite``
    and ``Rachel Hale``). Default pseudonyms are numbered per kind in the order names are first
    given, or, with ``shuffle_seed``, in an order derived from the seed so the numbering does not
    follow the (often alphabetical) order of a cases file.
    """
    from qualkit.pseudonymise.matching import KeyMatcher  # it imports this module

    key = existing or PseudonymKey()
    skipped: list[SkippedValue] = []
    wanted: list[NameInput] = [NameInput(name, Kind.SCHOOL, EntrySource.CASE) for name in case_names]
    for column, value in attributes:
        kind = column_kind(column, columns)
        if kind is not None and value and value.strip():
            wanted.append(NameInput(value, kind, EntrySource.CASES_FILE))
    wanted.extend(NameInput(label, Kind.PERSON, EntrySource.SPEAKER) for label in speaker_labels)
    wanted.extend(researcher_names)

    taken = {normalise_form(form) for entry in key.entries for form in entry.forms}
    # A value the key already replaces whole needs no entry of its own ("Brookfield Primary
    # School" when "Brookfield Primary" is in the key, "Dr Rachel Hale" when "Rachel Hale" is).
    already = KeyMatcher.from_entries(key.entries)
    chosen: dict[str, NameInput] = {}
    for item in wanted:
        text = " ".join(item.text.split())
        if not text:
            continue
        if item.kind is Kind.PERSON and item.source is not EntrySource.RESEARCHER and looks_like_role(text):
            skipped.append(SkippedValue(text, item.source, _ROLE_REASON))
            continue
        if item.source is EntrySource.CASES_FILE:
            text = leading_name(text)  # "Oakmere School (fictional) — secondary 11–18" names Oakmere School
        if normalise_form(text) in taken or any(m.start == 0 and m.end == len(text) for m in already.finditer(text)):
            continue  # already in the key (from an earlier build or by hand)
        why = _bad_text(text)
        if why:
            skipped.append(SkippedValue(text, item.source, why))
            continue
        chosen.setdefault(normalise_form(text), replace(item, text=text))

    # A school or organisation a cases file or a document's details name again with more or fewer
    # generic words ("Brookfield Primary School" for the case "Brookfield Primary") is the same
    # entry: the matcher takes the generic words after a name with it. Two cases are never merged.
    by_core: dict[str, str] = {}
    for folded, item in list(chosen.items()):
        if item.kind not in (Kind.SCHOOL, Kind.ORGANISATION):
            continue
        core = normalise_form((derive_aliases(item.text, item.kind) or (item.text,))[0])
        first = by_core.setdefault(core, folded)
        if first != folded and not (item.source is EntrySource.CASE and chosen[first].source is EntrySource.CASE):
            del chosen[folded]
            why = f"the same {item.kind.value} as {chosen[first].text!r}, whose entry replaces it"
            skipped.append(SkippedValue(item.text, item.source, why))

    # Longer names first, so "Kemi" becomes an alias of "Kemi Adeyemi" rather than a second
    # person: a shorter value claimed by exactly one longer name merges into it.
    claims: dict[str, list[str]] = {}
    entries_order: set[str] = set()
    for item in sorted(chosen.values(), key=lambda n: -len(tokens(n.text))):
        folded = normalise_form(item.text)
        if len(claims.get(folded, [])) == 1:
            continue
        entries_order.add(folded)
        for alias in derive_aliases(item.text, item.kind):
            if normalise_form(alias) not in taken:
                claims.setdefault(normalise_form(alias), []).append(folded)
    for alias_folded, owners in claims.items():
        if len(owners) > 1 and alias_folded not in chosen:
            shown = next(a for a in derive_aliases(chosen[owners[0]].text, chosen[owners[0]].kind)
                         if normalise_form(a) == alias_folded)
            names = " or ".join(repr(chosen[o].text) for o in owners)
            skipped.append(SkippedValue(
                shown, chosen[owners[0]].source, f"could be {names}; add it as an alias of the one it means"))

    order = [normalise_form(n.text) for n in chosen.values() if normalise_form(n.text) in entries_order]
    if shuffle_seed is not None:
        order.sort(key=lambda f: hashlib.sha256(f"{shuffle_seed}\x1f{f}".encode()).hexdigest())
    used = {normalise_form(e.pseudonym) for e in key.entries}
    new_entries: list[KeyEntry] = []
    for folded in order:
        item = chosen[folded]
        aliases = [a for a in derive_aliases(item.text, item.kind)
                   if claims.get(normalise_form(a)) == [folded] and normalise_form(a) not in entries_order]
        pseudonym = (item.pseudonym or _next_pseudonym(item.kind, used)).strip()
        used.add(normalise_form(pseudonym))
        new_entries.append(KeyEntry(item.text, pseudonym, item.kind, item.source, tuple(aliases)))
    return KeyBuild(key=key.with_entries(new_entries), skipped=tuple(dict.fromkeys(skipped)))


def read_cases_values(path: str | Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Case names and (column, value) pairs of a cases file (``document,case,attr1,...``), for :func:`build_key`."""
    import csv
    import io

    from qualkit.errors import IngestError
    from qualkit.ingest.encoding import decode_text

    path = Path(path)
    try:
        text, _ = decode_text(path.read_bytes(), source=str(path))
    except OSError as exc:
        raise PseudonymisationError(f"{path}: cannot read the cases file ({exc.strerror})") from None
    except IngestError as exc:
        raise PseudonymisationError(str(exc)) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "case" not in [c.strip() for c in rows[0]]:
        raise PseudonymisationError(f"{path}:1: a cases file's header must start 'document,case'")
    header = [column.strip() for column in rows[0]]
    cases: list[str] = []
    pairs: list[tuple[str, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise PseudonymisationError(f"{path}:{number}: {len(row)} fields where the header has {len(header)}")
        for column, cell in zip(header, row, strict=True):
            if column == "case" and cell.strip():
                cases.append(cell.strip())
            elif column not in ("document", "case") and cell.strip():
                pairs.append((column, cell.strip()))
    return list(dict.fromkeys(cases)), pairs
