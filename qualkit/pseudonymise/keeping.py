"""Where a project's pseudonym key is kept, how it is built from what the project knows, and the
candidate search's results.

The key lives in the project file (a setting) unless the researcher keeps it apart in a key file
(``--key FILE``): then the project holds none of it, only the path last used, so that a later
command can say where to look. Candidates from the last search are kept in the project (they are
words of its own text) so they can be accepted or ignored by name, and counted as unreviewed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise.candidates import (
    Candidate,
    CandidateSearch,
    accept_candidate,
    candidates_from_data,
    candidates_to_data,
    suggest_candidates,
)
from qualkit.pseudonymise.key import KeyEntry, Kind, NameInput, PseudonymKey, SkippedValue, build_key, normalise_form
from qualkit.pseudonymise.keyfile import key_from_data, key_to_data, load_key, save_key
from qualkit.pseudonymise.report import PseudonymisationReport, build_report
from qualkit.pseudonymise.sharing import Pseudonymisation

if TYPE_CHECKING:
    from qualkit.store import Store

KEY_SETTING = "pseudonym_key"
KEY_FILE_SETTING = "pseudonym_key_file"  # the path of the key file last used (the key itself is not here)
CANDIDATES_SETTING = "pseudonym_candidates"
KEY_FILE_ENV = "QUALKIT_PSEUDONYM_KEY"
NO_KEY = ("this project has no pseudonym key: build one with `qualkit pseudonymise key build` "
          "(or give the key file you keep apart with --key FILE)")


@dataclass(frozen=True)
class KeyUpdate:
    """A key as saved, where (``"the project"`` or a key file's path), and what changed."""

    key: PseudonymKey
    where: str
    added: tuple[KeyEntry, ...] = ()
    changed: tuple[KeyEntry, ...] = ()
    removed: tuple[KeyEntry, ...] = ()
    skipped: tuple[SkippedValue, ...] = ()
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredCandidates:
    """The last candidate search: its candidates, when it ran, over how many documents, and its notes."""

    candidates: tuple[Candidate, ...]
    searched_at: str
    documents: int
    notes: tuple[str, ...] = ()


# -- the key ---------------------------------------------------------------------------------------------------


def key_file_path(key_file: str | os.PathLike | None) -> Path | None:
    """The key file asked for: ``key_file``, else $QUALKIT_PSEUDONYM_KEY, else None (the project's key)."""
    if key_file is not None:
        return Path(key_file)
    from_env = os.environ.get(KEY_FILE_ENV, "").strip()
    return Path(from_env) if from_env else None


def load_project_key(store: Store, key_file: str | os.PathLike | None = None) -> tuple[PseudonymKey, str]:
    """The key and where it is kept; a clear error when there is none."""
    path = key_file_path(key_file)
    if path is not None:
        return load_key(path), str(path)
    stored = store.settings.get(KEY_SETTING)
    if stored is not None:
        try:
            data = json.loads(stored)
        except json.JSONDecodeError:
            raise PseudonymisationError("the pseudonym key stored in the project cannot be read; rebuild it with "
                                        "`qualkit pseudonymise key build`") from None
        return key_from_data(data, where="the project's pseudonym key"), "the project"
    remembered = store.settings.get(KEY_FILE_SETTING)
    if remembered:
        if Path(remembered).is_file():
            return load_key(remembered), remembered
        raise PseudonymisationError(f"this project's pseudonym key is kept apart (last in {remembered}, which is "
                                    "not there now); give it with --key FILE")
    raise PseudonymisationError(NO_KEY)


def _current(store: Store, key_file: str | os.PathLike | None) -> PseudonymKey:
    """The key to change: the one kept where asked, or an empty one when none exists yet."""
    path = key_file_path(key_file)
    if path is not None:
        return load_key(path) if path.exists() else PseudonymKey()
    try:
        return load_project_key(store)[0]
    except PseudonymisationError:
        if store.settings.get(KEY_SETTING) is not None or store.settings.get(KEY_FILE_SETTING):
            raise  # a key exists but cannot be read (or is kept apart): never overwrite it silently
        return PseudonymKey()


def save_project_key(store: Store, key: PseudonymKey, key_file: str | os.PathLike | None = None) -> str:
    """Keep ``key`` in the key file (remembering its path) or in the project; returns where."""
    path = key_file_path(key_file)
    if path is not None:
        save_key(key, path)
        store.settings.set(KEY_FILE_SETTING, str(path.resolve()))
        return str(path)
    store.settings.set(KEY_SETTING, json.dumps(key_to_data(key), ensure_ascii=False))
    return "the project"


def move_key_out(store: Store, path: str | os.PathLike, *, overwrite: bool = False) -> KeyUpdate:
    """Write the project's key to a key file and remove it from the project."""
    path = Path(path)
    stored = store.settings.get(KEY_SETTING)
    if stored is None:
        raise PseudonymisationError("this project holds no pseudonym key to move (it may be kept apart already)")
    if path.exists() and not overwrite:
        raise PseudonymisationError(f"{path}: already exists; choose another name or give --force")
    key, _ = load_project_key(store)
    save_key(key, path)
    with store.transaction():
        store.settings.set(KEY_FILE_SETTING, str(path.resolve()))
        store.settings.delete(KEY_SETTING)
    return KeyUpdate(key=key, where=str(path))


def known_names(store: Store) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """What the project knows that names someone or somewhere: case names, (attribute, value) pairs
    of cases and documents, and speaker labels."""
    cases = store.documents.cases()
    attributes = [(name, value) for case in cases for name, value in case.attributes.items()]
    for found in store.documents.attributes().values():
        attributes.extend(found.items())
    return [case.name for case in cases], attributes, store.documents.speakers()


def build_project_key(
    store: Store, *, key_file: str | os.PathLike | None = None, cases_file: str | os.PathLike | None = None,
    names: Sequence[NameInput] = (), seed: str | None = None, in_order: bool = False,
) -> KeyUpdate:
    """Add to the key every name the project knows (and ``cases_file``'s, and the researcher's
    ``names``) that it lacks; entries already there keep their pseudonyms. Default pseudonyms are
    numbered in an order drawn from ``seed`` (random when None), so School A is not simply the
    first case in the alphabet; ``in_order`` numbers them in the order they are met."""
    from qualkit.pseudonymise.key import read_cases_values

    existing = _current(store, key_file)
    case_names, attributes, speakers = known_names(store)
    if cases_file is not None:
        more_cases, more_attributes = read_cases_values(Path(cases_file))
        case_names = list(dict.fromkeys([*more_cases, *case_names]))
        attributes = [*more_attributes, *attributes]
    built = build_key(case_names=case_names, attributes=attributes, speaker_labels=speakers,
                      researcher_names=names, existing=existing,
                      shuffle_seed=None if in_order else (seed or secrets.token_hex(8)))
    added = built.key.entries[len(existing.entries):]
    where = save_project_key(store, built.key, key_file)
    return KeyUpdate(key=built.key, where=where, added=added, skipped=built.skipped)


def add_entry(store: Store, original: str, pseudonym: str | None = None, *, kind: Kind | None = None,
              aliases: Sequence[str] = (), case_sensitive: bool | None = None,
              key_file: str | os.PathLike | None = None) -> KeyUpdate:
    """Add ``original`` to the key, or change its entry (pseudonym, kind, more aliases) when it is there."""
    key = _current(store, key_file)
    original = " ".join(original.split())
    if not original:
        raise PseudonymisationError("give the name to add")
    folded = normalise_form(original)
    target = next((e for e in key.entries if any(normalise_form(f) == folded for f in e.forms)), None)
    if target is None:
        entry = key.new_entry(original, kind or Kind.PERSON, pseudonym=pseudonym,
                              aliases=list(aliases) if aliases else None, case_sensitive=bool(case_sensitive))
        key = key.with_entries([entry])
        where = save_project_key(store, key, key_file)
        return KeyUpdate(key=key, where=where, added=(entry,))
    if pseudonym is None and kind is None and not aliases and case_sensitive is None:
        raise PseudonymisationError(
            f"{original!r} is already in the key ({target.original} -> {target.pseudonym}); give a new pseudonym, "
            "--kind, --alias or --case-sensitive to change its entry")
    more = tuple(a for a in (" ".join(a.split()) for a in aliases)
                 if a and normalise_form(a) not in {normalise_form(f) for f in target.forms})
    changed = replace(target, pseudonym=(pseudonym or target.pseudonym).strip(), kind=kind or target.kind,
                      aliases=target.aliases + more,
                      case_sensitive=target.case_sensitive if case_sensitive is None else case_sensitive)
    added_forms = {normalise_form(a) for a in more}
    key = PseudonymKey(entries=tuple(changed if e is target else e for e in key.entries),
                       ignored=tuple(i for i in key.ignored if normalise_form(i) not in added_forms))
    where = save_project_key(store, key, key_file)
    return KeyUpdate(key=key, where=where, changed=(changed,))


def remove_entries(store: Store, originals: Iterable[str], *, key_file: str | os.PathLike | None = None) -> KeyUpdate:
    """The key without these entries (named by their original or any alias)."""
    key, _ = load_project_key(store, key_file)
    removed = []
    for original in originals:
        entry = key.entry(original)
        removed.append(entry)
        key = key.without(entry.original)
    where = save_project_key(store, key, key_file)
    return KeyUpdate(key=key, where=where, removed=tuple(removed))


# -- candidates ----------------------------------------------------------------------------------------------


def document_texts(store: Store) -> Callable[[str], str | None]:
    """A document's stored text by name (None for a name the project does not have)."""
    def text(name: str) -> str | None:
        document_id = store.documents.id_of(name)
        return None if document_id is None else store.documents.text(document_id)

    return text


def find_candidates(
    store: Store, *, key_file: str | os.PathLike | None = None, places: Sequence[str] | None = None,
    extra_places: Sequence[str] = (), ner: bool = True, ner_pipeline: str | None = None,
) -> CandidateSearch:
    """Names in the project's documents the key neither replaces nor ignores; the results are kept
    in the project for :func:`accept` and :func:`ignore`. ``places`` replaces the bundled list
    (``()``: none), ``extra_places`` adds to it."""
    from qualkit.pseudonymise.places import UK_PLACES
    from qualkit.store import utc_timestamp

    key, _ = load_project_key(store, key_file)
    infos = store.documents.infos()
    chosen_places = [*(UK_PLACES if places is None else places), *extra_places]
    search = suggest_candidates(((info.name, store.documents.text(info.id)) for info in infos), key,
                                places=chosen_places, ner_pipeline=ner_pipeline, use_ner=ner)
    store.settings.set(CANDIDATES_SETTING, json.dumps({
        "searched_at": utc_timestamp(), "documents": len(infos), "notes": list(search.notes),
        "candidates": candidates_to_data(search.candidates),
    }, ensure_ascii=False))
    return search


def stored_candidates(store: Store) -> StoredCandidates | None:
    """The last search's candidates, or None when no search has run."""
    stored = store.settings.get(CANDIDATES_SETTING)
    if stored is None:
        return None
    try:
        data = json.loads(stored)
    except json.JSONDecodeError:
        raise PseudonymisationError("the stored candidates cannot be read; run `qualkit pseudonymise suggest` "
                                    "again") from None
    if not isinstance(data, dict):
        raise PseudonymisationError("the stored candidates cannot be read; run `qualkit pseudonymise suggest` again")
    return StoredCandidates(candidates=candidates_from_data(data.get("candidates")),
                            searched_at=str(data.get("searched_at", "")), documents=int(data.get("documents", 0)),
                            notes=tuple(str(n) for n in data.get("notes", ())))


def _candidate(stored: StoredCandidates | None, name: str) -> Candidate:
    from qualkit.errors import did_you_mean

    if stored is None:
        raise PseudonymisationError("no candidates yet: run `qualkit pseudonymise suggest` first (or add any name "
                                    "with `qualkit pseudonymise key add NAME`)")
    wanted = normalise_form(name)
    for candidate in stored.candidates:
        if normalise_form(candidate.text) == wanted:
            return candidate
    hint = did_you_mean(name, [c.text for c in stored.candidates])
    raise PseudonymisationError(f"{name!r} is not among the candidates of the last search{hint}; add any name with "
                                f"`qualkit pseudonymise key add {name!r}`")


def accept(store: Store, names: Sequence[str], *, kind: Kind | None = None, pseudonym: str | None = None,
           key_file: str | os.PathLike | None = None) -> KeyUpdate:
    """Candidates of the last search added to the key (their kind as found unless ``kind``)."""
    if pseudonym is not None and len(names) != 1:
        raise PseudonymisationError("--pseudonym gives one candidate's pseudonym: accept one name at a time with it")
    key = _current(store, key_file)
    stored = stored_candidates(store)
    before = len(key.entries)
    for name in names:
        candidate = _candidate(stored, name)
        if any(normalise_form(f) == normalise_form(candidate.text) for e in key.entries for f in e.forms):
            entry = key.entry(candidate.text)
            raise PseudonymisationError(f"{candidate.text!r} is already in the key ({entry.original} -> "
                                        f"{entry.pseudonym})")
        key = accept_candidate(key, candidate, kind=kind, pseudonym=pseudonym)
    where = save_project_key(store, key, key_file)
    return KeyUpdate(key=key, where=where, added=key.entries[before:])


def ignore(store: Store, names: Sequence[str], *, key_file: str | os.PathLike | None = None) -> KeyUpdate:
    """Names (candidates or not) the researcher reviewed and leaves as they are."""
    key = _current(store, key_file)
    for name in names:
        if any(normalise_form(f) == normalise_form(name) for e in key.entries for f in e.forms):
            entry = key.entry(name)
            raise PseudonymisationError(f"{name!r} is in the key ({entry.original} -> {entry.pseudonym}); remove it "
                                        "with `qualkit pseudonymise key remove` to leave it as it is")
    known = {normalise_form(i) for i in key.ignored}
    key = key.with_ignored(names)
    where = save_project_key(store, key, key_file)
    return KeyUpdate(key=key, where=where, ignored=tuple(i for i in key.ignored if normalise_form(i) not in known))


# -- using the key ---------------------------------------------------------------------------------------------


def pseudonymisation(store: Store, key_file: str | os.PathLike | None = None) -> Pseudonymisation:
    """What an export is given: the key compiled, the project's texts, the last search's candidates."""
    key, where = load_project_key(store, key_file)
    if not key.entries:
        raise PseudonymisationError(f"the pseudonym key in {where} has no entries: nothing would be replaced; "
                                    "build it with `qualkit pseudonymise key build`")
    stored = stored_candidates(store)
    return Pseudonymisation(key, document_texts(store), candidates=stored.candidates if stored else None,
                            where=where)


def corpus_report(store: Store, key_file: str | os.PathLike | None = None) -> tuple[PseudonymisationReport, str,
                                                                                     StoredCandidates | None]:
    """What the key replaces in every document of the project, the unreviewed candidates, and where the key is."""
    from qualkit.pseudonymise.views import Pseudonymiser

    key, where = load_project_key(store, key_file)
    pseudonymiser = Pseudonymiser(key)
    views = (pseudonymiser(store.documents.text(info.id)) for info in store.documents.infos())
    stored = stored_candidates(store)
    return build_report(key, views, stored.candidates if stored else ()), where, stored
