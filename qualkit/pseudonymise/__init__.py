"""Pseudonymisation: share transcripts, reports and projects without naming participants or schools.

The stored text is never altered. A :class:`PseudonymKey` (names -> pseudonyms) is built from
what qualkit knows (:func:`build_key`) and from candidates found in the text
(:func:`suggest_candidates`, :func:`accept_candidate`), kept in a YAML file apart from the
project (:func:`load_key`, :func:`save_key`) or as plain data in it (:func:`key_to_data`).
A :class:`Pseudonymiser` makes pseudonymised views with offsets mapped both ways; the
functions in :mod:`.outputs` apply it to what each exporter writes; :func:`check_file` fails
loudly if a name survived; :func:`build_report` says what was replaced and what is left to
review; :func:`reveal` maps pseudonyms back, and only with the key. A :class:`Pseudonymisation`
is what the project hands each exporter: the key's views, and every output file checked before it
takes its place.

Typical use::

    built = build_key(case_names=cases, attributes=pairs, speaker_labels=speakers)
    save_key(built.key, "pseudonym-key.yaml")
    pseudonymiser = Pseudonymiser(load_key("pseudonym-key.yaml"))
    view = pseudonymiser(document_text)
    start, end = view.offsets.span_to_pseudonymised(coding.start, coding.end)
"""

from qualkit.pseudonymise.candidates import (
    Candidate,
    CandidateContext,
    CandidateSearch,
    Detector,
    accept_candidate,
    candidates_from_data,
    candidates_to_data,
    ignore_candidates,
    suggest_candidates,
    unreviewed,
)
from qualkit.pseudonymise.check import CheckedOutput, Leak, LeakChecker, check_file, check_texts
from qualkit.pseudonymise.key import (
    EntrySource,
    KeyBuild,
    KeyEntry,
    Kind,
    NameInput,
    PseudonymKey,
    SkippedValue,
    build_key,
    default_pseudonym,
    derive_aliases,
    looks_like_role,
    read_cases_values,
)
from qualkit.pseudonymise.keyfile import dump_key, key_from_data, key_to_data, load_key, save_key
from qualkit.pseudonymise.lists import read_names_file, read_places_file
from qualkit.pseudonymise.outputs import (
    DocumentViews,
    PseudonymisedRefi,
    pseudonymise_codebook,
    pseudonymise_codings,
    pseudonymise_frame,
    pseudonymise_passage_item,
    pseudonymise_queue_item,
    pseudonymise_refi_project,
    pseudonymise_rows,
    pseudonymise_suggestion,
)
from qualkit.pseudonymise.report import EntryCount, PseudonymisationReport, build_report
from qualkit.pseudonymise.sharing import PassageText, Pseudonymisation
from qualkit.pseudonymise.views import (
    OffsetMap,
    PseudonymisedText,
    Pseudonymiser,
    Replacement,
    Side,
    pseudonymise_text,
    reveal,
)

__all__ = [
    "Candidate", "CandidateContext", "CandidateSearch", "CheckedOutput", "Detector", "DocumentViews", "EntryCount",
    "EntrySource", "KeyBuild", "KeyEntry", "Kind", "Leak", "LeakChecker", "NameInput", "OffsetMap", "PassageText",
    "PseudonymKey", "Pseudonymisation", "PseudonymisationReport", "PseudonymisedRefi", "PseudonymisedText",
    "Pseudonymiser", "Replacement", "Side", "SkippedValue", "accept_candidate", "build_key", "build_report",
    "candidates_from_data", "candidates_to_data", "check_file", "check_texts", "default_pseudonym",
    "derive_aliases", "dump_key", "ignore_candidates", "key_from_data", "key_to_data", "load_key",
    "looks_like_role", "pseudonymise_codebook", "pseudonymise_codings", "pseudonymise_frame",
    "pseudonymise_passage_item", "pseudonymise_queue_item", "pseudonymise_refi_project", "pseudonymise_rows",
    "pseudonymise_suggestion", "pseudonymise_text", "read_cases_values", "read_names_file", "read_places_file",
    "reveal", "save_key", "suggest_candidates", "unreviewed",
]
