"""Names in the text that the key does not have yet, for the researcher to accept or ignore.

Detectors, each cheap and explainable:

- capitalised runs ("Rachel Hale", "Northern Lights Learning Trust", "St Mary's CE Primary"),
  classed as a school or organisation by their last word, otherwise a person;
- a title before a run ("Mrs Patel", "Mr. O'Neill", "Dr Rachel Hale") makes it a person;
- places from a list (a modest UK list ships with qualkit; pass your own);
- a spaCy pipeline's named entities, when one with an entity recogniser is installed (never
  downloaded): PERSON, ORG, GPE, LOC, FAC.

What is left out: anything the key already replaces or the researcher ignored; a stop list of
capitals that are not names ("Ofsted", "DfE", "NPQ", months, days, languages); single words
that only ever start a sentence, or that the corpus also uses in lower case ("Reading" when
"reading" appears); runs made only of such words ("Key Stage", "Early Career Framework");
acronyms.
"""

from __future__ import annotations

import enum
import importlib.util
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import PseudonymisationError
from qualkit.pseudonymise.key import EntrySource, Kind, PseudonymKey, normalise_form
from qualkit.pseudonymise.matching import KeyMatcher, MatchTarget
from qualkit.pseudonymise.vocabulary import (
    DAYS,
    FUNCTION_WORDS,
    MONTHS,
    ORGANISATION_HEADS,
    ORGANISATION_WORDS,
    REGIONS,
    SCHOOL_HEADS,
    SCHOOL_WORDS,
    STOP_WORDS,
    TITLES,
)

DEFAULT_NER_PIPELINES = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf")
MAX_CONTEXTS = 3
CONTEXT_CHARS = 50
_NER_CHUNK = 100_000  # characters per spaCy call, split at line breaks
_NER_LABELS = {"PERSON": Kind.PERSON, "ORG": Kind.ORGANISATION, "GPE": Kind.PLACE, "LOC": Kind.PLACE,
               "FAC": Kind.PLACE}

# A capitalised word (CE, O'Neill, All-Through, Mary's), then more joined by one space or a
# joining word ("Newcastle upon Tyne", "Church of England"). Runs never cross a line break.
def _upper_class() -> str:
    """A character class of every upper-case letter in the Basic Multilingual Plane (re has no \\p{Lu})."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if chr(code).isupper():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges) + "]"


_CAP = _upper_class() + r"[\w'’]*(?:-[\w'’]+)*"
_JOIN = r"(?:[ \t]+(?:of|upon|on|de|da|di|du|la|le|van|von|der)[ \t]+|[ \t]+)"
_RUN = re.compile(rf"(?<![\w'’-]){_CAP}(?:{_JOIN}{_CAP})*")
_TOKEN = re.compile(_CAP)
_ANY_WORD = re.compile(r"[^\W\d_][\w'’]*(?:-[\w'’]+)*")
_TITLE_BEFORE = re.compile(r"(?<![^\W_])(?:" + "|".join(TITLES) + r")\.?\s+$")
_LOWER_WORD = re.compile(r"(?<![^\W_])[^\W\d_A-Z][^\W\d_]*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CONTRACTION = re.compile(r"['’](?:re|ve|ll|d|m|t)$", re.IGNORECASE)  # We're, You'd, Don't
_ACRONYM = re.compile(r"^[^\W\d_a-z]{2,}s?$")  # NPQ, EHCPs, HLTAs
_TITLE_SET = frozenset(t.casefold() for t in TITLES)
_REGION_SET = frozenset(normalise_form(r) for r in REGIONS)
_LEADING = FUNCTION_WORDS | MONTHS | DAYS  # dropped from the front of a run: "So Millbrook", "Monday Claire"


class Detector(str, enum.Enum):
    """What proposed a candidate."""

    NAME_PATTERN = "name pattern"
    TITLE = "title"
    SCHOOL_PATTERN = "school pattern"
    ORGANISATION_PATTERN = "organisation pattern"
    PLACE_LIST = "place list"
    NER = "ner"


@dataclass(frozen=True)
class CandidateContext:
    """Where a candidate occurs: ``document``'s text ``[start:end]``, and the words around it."""

    document: str
    start: int
    end: int
    snippet: str


@dataclass(frozen=True)
class Candidate:
    """A name the key does not have yet: how often and where it occurs, and what proposed it."""

    text: str
    kind: Kind
    count: int
    documents: tuple[str, ...]
    detectors: tuple[Detector, ...]
    contexts: tuple[CandidateContext, ...]


@dataclass(frozen=True)
class CandidateSearch:
    """Candidates, most frequent first, plus notes on what could not be searched (no NER pipeline)."""

    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...] = ()


@dataclass
class _Found:
    """Occurrences of one candidate while the search runs."""

    surfaces: Counter[str] = field(default_factory=Counter)
    spans: dict[tuple[str, int, int], bool] = field(default_factory=dict)  # (doc, start, end) -> sentence-initial
    detectors: set[Detector] = field(default_factory=set)
    kinds: Counter[tuple[Detector, Kind]] = field(default_factory=Counter)
    tokens: tuple[str, ...] = ()
    from_list_or_ner: bool = False
    contexts: list[CandidateContext] = field(default_factory=list)


def suggest_candidates(
    documents: Iterable[tuple[str, str]],
    key: PseudonymKey,
    *,
    places: Iterable[str] | None = None,
    stop_words: Iterable[str] = (),
    ner_pipeline: str | Path | None = None,
    use_ner: bool = True,
    max_contexts: int = MAX_CONTEXTS,
) -> CandidateSearch:
    """Candidates in ``documents`` ((name, text) pairs) that ``key`` neither replaces nor ignores.

    ``places`` defaults to the bundled UK list (pass ``()`` for none). ``ner_pipeline`` names an
    installed spaCy pipeline or a folder; without one the first installed of
    :data:`DEFAULT_NER_PIPELINES` is used, and when none is, NER is skipped with a note.
    """
    from qualkit.pseudonymise.places import UK_PLACES

    place_list = tuple(UK_PLACES if places is None else places)
    extra_stops = {normalise_form(word) for word in stop_words}
    matcher = KeyMatcher.from_entries(key.entries)
    place_matcher = KeyMatcher([MatchTarget(forms=(p,), case_sensitive=True) for p in place_list if p.strip()])
    nlp, notes = _ner_pipeline(ner_pipeline) if use_ner else (None, ["NER not used (use_ner=False)"])
    found: dict[str, _Found] = {}
    lower_words: Counter[str] = Counter()
    for name, text in documents:
        covered = [(m.start, m.end) for m in matcher.finditer(text)]
        lower_words.update(w.casefold() for w in _LOWER_WORD.findall(text))

        def add(start: int, end: int, kind: Kind, detector: Detector, tokens: Sequence[str], *,
                listed: bool = False, name: str = name, text: str = text,
                covered: list[tuple[int, int]] = covered) -> None:
            if _all_covered(start, end, text, covered):
                return
            surface = " ".join(text[start:end].split())
            item = found.setdefault(normalise_form(surface), _Found(tokens=tuple(tokens)))
            item.surfaces[surface] += 1
            span = (name, start, end)
            if span not in item.spans:
                item.spans[span] = _sentence_initial(text, start)
                if len(item.contexts) < max_contexts:
                    item.contexts.append(CandidateContext(name, start, end, _snippet(text, start, end)))
            item.detectors.add(detector)
            item.kinds[detector, kind] += 1
            item.from_list_or_ner = item.from_list_or_ner or listed

        for run in _RUN.finditer(text):
            _classify_run(text, run.start(), run.group(), add)
        for match in place_matcher.finditer(text):
            add(match.start, match.end, Kind.PLACE, Detector.PLACE_LIST, _words(text[match.start:match.end]),
                listed=True)
        if nlp is not None:
            for start, end, label in _entities(nlp, text):
                add(start, end, label, Detector.NER, _words(text[start:end]), listed=True)

    candidates = []
    for folded, item in found.items():
        if not _keep(folded, item, key, lower_words, extra_stops):
            continue
        documents_seen = sorted({doc for doc, _, _ in item.spans})
        candidates.append(Candidate(
            text=item.surfaces.most_common(1)[0][0],
            kind=_kind(item),
            count=len(item.spans),
            documents=tuple(documents_seen),
            detectors=tuple(d for d in Detector if d in item.detectors),
            contexts=tuple(item.contexts),
        ))
    candidates.sort(key=lambda c: (-c.count, c.text.casefold()))
    return CandidateSearch(candidates=tuple(candidates), notes=tuple(notes))


def _classify_run(text: str, offset: int, run: str, add: Callable[..., None]) -> None:
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(run)]
    titled = bool(_TITLE_BEFORE.search(text, max(0, offset - 16), offset))  # "Mr. O'Neill": the dot ends a run
    # A title inside a run starts the name ("September Mrs Patel" -> "Patel").
    title_at = [i for i, (_, token) in enumerate(tokens) if _folded(token) in _TITLE_SET]
    if title_at:
        tokens, titled = tokens[title_at[-1] + 1:], True
    # Leading titles and function words ("The Harbour Academy", "So Millbrook", "Dr Rachel Hale")
    # and contractions ("We're") go; so do stop words at the end.
    while tokens and (_folded(tokens[0][1]) in _LEADING or _CONTRACTION.search(tokens[0][1])):
        tokens = tokens[1:]
    while len(tokens) > 1 and (_folded(tokens[-1][1]) in STOP_WORDS or _CONTRACTION.search(tokens[-1][1])):
        tokens = tokens[:-1]
    if not tokens:
        return
    start = offset + tokens[0][0]
    last_start, last = tokens[-1]
    last = _POSSESSIVE.sub("", last) if last.endswith(("'s", "’s", "'", "’")) else last
    end = offset + last_start + len(last)
    words = [_folded(t) for _, t in tokens[:-1]] + [_folded(last)]
    distinctive = [w for w in words if w not in SCHOOL_WORDS and w not in ORGANISATION_WORDS and w not in STOP_WORDS]
    if words[-1] in SCHOOL_HEADS and distinctive and len(words) > 1:
        add(start, end, Kind.SCHOOL, Detector.SCHOOL_PATTERN, words)
    elif words[-1] in ORGANISATION_HEADS and distinctive and len(words) > 1:
        add(start, end, Kind.ORGANISATION, Detector.ORGANISATION_PATTERN, words)
    elif titled:
        add(start, end, Kind.PERSON, Detector.TITLE, words)
    elif len(words) == 1 and words[0].endswith("shire"):
        add(start, end, Kind.PLACE, Detector.NAME_PATTERN, words)
    else:
        add(start, end, Kind.PERSON, Detector.NAME_PATTERN, words)


def _words(text: str) -> list[str]:
    return [_folded(token) for token in _ANY_WORD.findall(text)]


def _folded(word: str) -> str:
    return _POSSESSIVE.sub("", word.replace("’", "'")).casefold().rstrip(".")


def _keep(folded: str, item: _Found, key: PseudonymKey, lower_words: Counter[str], extra_stops: set[str]) -> bool:
    if key.covers(folded) or folded in extra_stops or folded in _REGION_SET:
        return False
    words = item.tokens
    if not words or sum(ch.isalpha() for ch in folded) < 2:
        return False
    if Detector.NER in item.detectors and Detector.NAME_PATTERN not in item.detectors and len(words) > 1:
        return not all(w in STOP_WORDS or w in extra_stops for w in words)
    if len(words) == 1:
        word = words[0]
        surface = item.surfaces.most_common(1)[0][0]
        parts = [part for part in word.split("-") if part]
        if word in STOP_WORDS or word in extra_stops or _ACRONYM.match(surface) or \
                any(part in STOP_WORDS for part in parts[:1]):
            return False
        # After a title ("Mr. O'Neill") a capital is a name even where a full stop precedes it.
        mid_sentence = Detector.TITLE in item.detectors or any(not initial for initial in item.spans.values())
        everyday = lower_words[word] > 0  # "Reading" beside "reading"
        if item.from_list_or_ner:
            return mid_sentence or not everyday
        return mid_sentence and not everyday
    if item.detectors & {Detector.TITLE, Detector.SCHOOL_PATTERN, Detector.ORGANISATION_PATTERN}:
        return True
    # A run of everyday words or stop words is not a name ("Key Stage", "Early Career Framework").
    return any(w not in STOP_WORDS and w not in extra_stops and not lower_words[w] and len(w) > 1 for w in words)


def _kind(item: _Found) -> Kind:
    for detector, kind in ((Detector.TITLE, Kind.PERSON), (Detector.SCHOOL_PATTERN, Kind.SCHOOL),
                           (Detector.ORGANISATION_PATTERN, Kind.ORGANISATION), (Detector.PLACE_LIST, Kind.PLACE)):
        if detector in item.detectors:
            return kind
    # A recogniser's label beats the guess that a capitalised word is a person.
    preferred = [Detector.NER] if Detector.NER in item.detectors else list(Detector)
    kinds = Counter({kind: n for (detector, kind), n in item.kinds.items() if detector in preferred})
    return kinds.most_common(1)[0][0]


def _all_covered(start: int, end: int, text: str, covered: list[tuple[int, int]]) -> bool:
    """Whether every word of ``text[start:end]`` lies in a span the key already replaces."""
    for word in re.finditer(r"[^\W_]+", text[start:end]):
        position = start + word.start()
        if not any(a <= position < b for a, b in covered):
            return False
    return True


def _sentence_initial(text: str, start: int) -> bool:
    index = start - 1
    while index >= 0 and text[index] in " \t\"'“‘([":
        index -= 1
    return index < 0 or text[index] in "\n.!?:;…])"


def _snippet(text: str, start: int, end: int) -> str:
    before = " ".join(text[max(0, start - CONTEXT_CHARS):start].split())
    after = " ".join(text[end:end + CONTEXT_CHARS].split())
    left = "…" if start > CONTEXT_CHARS else ""
    right = "…" if end + CONTEXT_CHARS < len(text) else ""
    return f"{left}{before} [{' '.join(text[start:end].split())}] {after}{right}".strip()


def _ner_pipeline(pipeline: str | Path | None) -> tuple[Any, list[str]]:
    """An installed spaCy pipeline with an entity recogniser, or None and a note saying why not."""
    names = [pipeline] if pipeline is not None else list(DEFAULT_NER_PIPELINES)
    for name in names:
        is_path = isinstance(name, Path) or "/" in str(name) or "\\" in str(name)
        if is_path and not Path(name).is_dir():
            raise PseudonymisationError(f"{name}: no spaCy pipeline folder there")
        if not is_path and importlib.util.find_spec(str(name)) is None:
            if pipeline is not None:
                raise PseudonymisationError(
                    f"spaCy pipeline {str(name)!r} is not installed; install it with pip (qualkit never "
                    "downloads models), or leave --ner out")
            continue
        import spacy

        try:
            nlp = spacy.load(name)
        except (OSError, ValueError) as exc:
            raise PseudonymisationError(f"spaCy pipeline {str(name)!r} could not be loaded: {exc}") from None
        if not any(component in nlp.pipe_names for component in ("ner", "entity_ruler")):
            return None, [f"spaCy pipeline {str(name)!r} has no named-entity recogniser (spacy.blank('en') has none); "
                          "NER candidates skipped"]
        return nlp, [f"named entities from spaCy pipeline {nlp.meta.get('name', str(name))!r}"]
    return None, ["no spaCy pipeline with a named-entity recogniser is installed (looked for "
                  f"{', '.join(DEFAULT_NER_PIPELINES)}); NER candidates skipped. qualkit never downloads "
                  "models: install one with pip to add them"]


def _entities(nlp: Any, text: str) -> Iterator[tuple[int, int, Kind]]:
    """(start, end, kind) of the pipeline's entities in ``text``, in chunks at line breaks."""
    chunks: list[tuple[int, str]] = []
    position = 0
    while position < len(text):
        end = min(len(text), position + _NER_CHUNK)
        if end < len(text):
            cut = text.rfind("\n", position, end)
            end = cut + 1 if cut > position else end
        chunks.append((position, text[position:end]))
        position = end
    for (offset, _), doc in zip(chunks, nlp.pipe(chunk for _, chunk in chunks), strict=True):
        for entity in doc.ents:
            kind = _NER_LABELS.get(entity.label_)
            if kind is None:
                continue
            words = [_folded(t) for t in _TOKEN.findall(entity.text)]
            if kind is Kind.ORGANISATION and words and words[-1] in SCHOOL_HEADS:
                kind = Kind.SCHOOL
            yield offset + entity.start_char, offset + entity.end_char, kind


def accept_candidate(
    key: PseudonymKey, candidate: Candidate | str, *, kind: Kind | None = None, pseudonym: str | None = None,
) -> PseudonymKey:
    """``key`` with the candidate added as an entry (source: accepted candidate)."""
    text = candidate.text if isinstance(candidate, Candidate) else candidate
    chosen_kind = kind or (candidate.kind if isinstance(candidate, Candidate) else Kind.PERSON)
    entry = key.new_entry(text, chosen_kind, source=EntrySource.CANDIDATE, pseudonym=pseudonym)
    return key.with_entries([entry])


def ignore_candidates(key: PseudonymKey, candidates: Iterable[Candidate | str]) -> PseudonymKey:
    """``key`` remembering these candidates as reviewed and left as they are."""
    return key.with_ignored(c.text if isinstance(c, Candidate) else c for c in candidates)


def unreviewed(candidates: Iterable[Candidate], key: PseudonymKey) -> tuple[Candidate, ...]:
    """The candidates ``key`` neither replaces nor ignores (what is still to review)."""
    matcher = KeyMatcher.from_entries(key.entries)
    remaining = []
    for candidate in candidates:
        if key.covers(candidate.text):
            continue
        whole = [m for m in matcher.finditer(candidate.text) if m.start == 0 and m.end >= len(candidate.text)]
        if not whole:
            remaining.append(candidate)
    return tuple(remaining)


def candidates_to_data(candidates: Iterable[Candidate]) -> list[dict[str, object]]:
    """Candidates as plain data, to keep a search's results (without the passages around them)."""
    return [{"text": c.text, "kind": c.kind.value, "count": c.count, "documents": list(c.documents),
             "detectors": [d.value for d in c.detectors]} for c in candidates]


def candidates_from_data(data: object) -> tuple[Candidate, ...]:
    """What :func:`candidates_to_data` wrote; anything else is an error naming the problem."""
    if not isinstance(data, list):
        raise PseudonymisationError("the stored candidates are not a list; run the candidate search again")
    found = []
    try:
        for item in data:
            found.append(Candidate(
                text=str(item["text"]), kind=Kind(item["kind"]), count=int(item["count"]),
                documents=tuple(str(d) for d in item.get("documents", ())),
                detectors=tuple(Detector(d) for d in item.get("detectors", ())), contexts=()))
    except (KeyError, TypeError, ValueError) as exc:
        raise PseudonymisationError(f"the stored candidates cannot be read ({exc}); run the candidate search "
                                    "again") from None
    return tuple(found)
