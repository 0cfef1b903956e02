"""Find the names of a key in a text: whole words only, longest first, any case, any line break.

One matcher serves pseudonymising, the leak check and the candidate search, so what the leak
check calls a leak is exactly what pseudonymising would have replaced.

The rules, for every form (an entry's original or alias):

- whole words: a form never matches inside another word ("Cole" is not in "Coleridge"), where
  words are letters and digits, so ``brookfield_leader.txt`` still has "brookfield" in it;
- a trailing "s" stays outside the match ("Coles" -> "Participant 1s") and so does a possessive
  ("Chloe's" -> "Participant 1's");
- any case ("BROOKFIELD", "brookfield"), unless the entry is case-sensitive: then only as
  written or in capitals;
- the words of a form may be separated by any run of spaces or line breaks, or a hyphen
  ("All-Through" = "All Through"); apostrophes may be straight or curly; accented letters may be
  composed or decomposed;
- a person's title belongs to the match ("Mrs Patel" -> "Participant 1"), as do capitalised
  generic words after a school's or organisation's name ("Brookfield Primary School");
- at each position the longest match wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.pseudonymise.vocabulary import ORGANISATION_TRAILING, SCHOOL_TRAILING, TITLES

if TYPE_CHECKING:
    from qualkit.pseudonymise.key import KeyEntry

_MARKS = "\u0300-\u036f"  # combining accents: part of the word they follow ("Zoe\u0308")
_WORD = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
_FORM_PARTS = re.compile(r"\s*[-‐‑–]\s*|\s+")
SEPARATOR = r"(?:\s*[-‐‑–]\s*|\s+)"
_APOSTROPHES = "'’ʼ"
_END = rf"(?=[sS]?(?![^\W_]|[{_MARKS}]))"  # a word ends here, perhaps after a plural "s"
_TITLE_SET = frozenset(t.casefold() for t in TITLES)
# A title as written or in capitals ("Mrs", "MRS", not "miss"), then its dot and spaces.
_TITLE = re.compile("(?:" + "|".join(sorted({*TITLES, *(t.upper() for t in TITLES)}, key=len, reverse=True))
                    + r")\.?\s+")


@dataclass(frozen=True)
class MatchTarget:
    """What to look for: ``forms`` that all stand for one target (an entry, or a pseudonym)."""

    forms: tuple[str, ...]
    case_sensitive: bool = False
    titled: bool = False  # a title before a form belongs to the match (people)
    trailing: tuple[str, ...] = ()  # capitalised generic words after a form belong to it


@dataclass(frozen=True)
class FormMatch:
    """``text[start:end]`` is a form of target number ``target``."""

    start: int
    end: int
    target: int


@dataclass(frozen=True)
class _Compiled:
    pattern: re.Pattern[str]  # the form itself; what may follow it is checked by ``ending``
    ending: re.Pattern[str]  # generic words after the form, then the end of a word
    target: int
    length: int  # of the form, to break ties in favour of the longer form


class KeyMatcher:
    """Finds every target's forms in texts; compile once, use on many texts."""

    def __init__(self, targets: Sequence[MatchTarget]):
        self.targets = tuple(targets)
        self._by_token: dict[str, list[_Compiled]] = {}
        self._titled_by_token: dict[str, list[_Compiled]] = {}
        endings: dict[tuple[str, ...], re.Pattern[str]] = {}  # shared: compiling is the costly part
        for index, target in enumerate(self.targets):
            if target.trailing not in endings:
                endings[target.trailing] = _ending(target.trailing)
            for form in dict.fromkeys(target.forms):
                first = _WORD.search(form)
                if first is None:
                    continue
                compiled = _Compiled(_compile(form, target), endings[target.trailing], index, len(form))
                token = _index_key(first.group())
                self._by_token.setdefault(token, []).append(compiled)
                if target.titled:
                    self._titled_by_token.setdefault(token, []).append(compiled)

    @classmethod
    def from_entries(cls, entries: Iterable[KeyEntry]) -> KeyMatcher:
        """A matcher for the forms of key entries; a match's ``target`` is the entry's index."""
        from qualkit.pseudonymise.key import Kind

        trailing = {Kind.SCHOOL: SCHOOL_TRAILING, Kind.ORGANISATION: ORGANISATION_TRAILING}
        return cls([
            MatchTarget(
                forms=entry.forms,
                case_sensitive=entry.case_sensitive,
                titled=entry.kind is Kind.PERSON,
                trailing=trailing.get(entry.kind, ()),
            )
            for entry in entries
        ])

    @classmethod
    def for_pseudonyms(cls, entries: Iterable[KeyEntry]) -> KeyMatcher:
        """A matcher for pseudonyms as written (or in capitals), to map a text back with the key."""
        return cls([MatchTarget(forms=(entry.pseudonym,), case_sensitive=True) for entry in entries])

    def finditer(self, text: str) -> Iterator[FormMatch]:
        """Non-overlapping matches, left to right, the longest at each position."""
        position = 0
        while True:
            word = _WORD.search(text, position)
            if word is None:
                return
            match = self._longest_at(text, word.start(), word.group())
            if match is None:
                position = word.end()
            else:
                yield match
                position = max(match.end, word.end())

    @staticmethod
    def _lookup(index: dict[str, list[_Compiled]], key: str) -> list[_Compiled]:
        found = list(index.get(key, ()))
        if key.endswith("s"):  # a plural or a possessive without its apostrophe: "Coles", "Brookfields"
            found.extend(index.get(key[:-1], ()))
        return found

    def _longest_at(self, text: str, start: int, word: str) -> FormMatch | None:
        key = _index_key(word)
        # (where the form starts, forms that may start there); after a title, a person's forms
        attempts = [(start, self._lookup(self._by_token, key))]
        title = _TITLE.match(text, start) if key in _TITLE_SET else None
        if title is not None:
            following = _WORD.match(text, title.end())
            if following is not None:
                attempts.append((title.end(), self._lookup(self._titled_by_token, _index_key(following.group()))))
        best: FormMatch | None = None
        best_length = -1
        for at, candidates in attempts:
            for compiled in candidates:
                found = compiled.pattern.match(text, at)
                ending = compiled.ending.match(text, found.end()) if found else None
                if ending is None:
                    continue
                end = ending.end()
                if best is None or end > best.end or (end == best.end and compiled.length > best_length):
                    best, best_length = FormMatch(start, end, compiled.target), compiled.length
        return best


def _index_key(word: str) -> str:
    """How words are looked up: without accents, case-folded ("Zoë", "ZOE\u0308" -> "zoe")."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c)).casefold()


def _compile(form: str, target: MatchTarget) -> re.Pattern[str]:
    body = _form_pattern(form)
    if target.case_sensitive:
        upper = _form_pattern(form.upper())
        body = f"(?-i:{body}|{upper})" if upper != body else f"(?-i:{body})"
    return re.compile(body, re.IGNORECASE)


def _ending(trailing: tuple[str, ...]) -> re.Pattern[str]:
    """Capitalised generic words (any number), then the end of a word, perhaps after a plural "s"."""
    if not trailing:
        return re.compile(_END)
    words = sorted(trailing, key=len, reverse=True)
    variants = dict.fromkeys(
        _form_pattern(variant) for word in words for variant in (_capitalised(word), word.upper(), word.title())
    )
    return re.compile(f"(?:{SEPARATOR}(?:{'|'.join(variants)}))*{_END}")


_ABBREVIATIONS = {"ce": "CE", "rc": "RC", "utc": "UTC", "c": "C", "e": "E", "cofe": "CofE"}


def _capitalised(phrase: str) -> str:
    """How a generic phrase is written in a name: "Church of England", "C of E", "All-Through"."""
    words = []
    for word in phrase.split(" "):
        if word in ("of", "the", "and"):
            words.append(word)
        else:
            words.append(_ABBREVIATIONS.get(word) or "-".join(p[:1].upper() + p[1:] for p in word.split("-")))
    return " ".join(words)


def _form_pattern(form: str) -> str:
    parts = [part for part in _FORM_PARTS.split(form) if part]
    return SEPARATOR.join(_part_pattern(part) for part in parts)


def _part_pattern(part: str) -> str:
    pieces = []
    for char in part:
        if char in _APOSTROPHES:
            pieces.append(f"[{_APOSTROPHES}]")
        elif char == ".":
            pieces.append(r"\.?")
        else:
            decomposed = unicodedata.normalize("NFD", char)
            if decomposed != char:
                pieces.append(f"(?:{re.escape(char)}|{re.escape(decomposed)})")
            else:
                pieces.append(re.escape(char))
    return "".join(pieces)
