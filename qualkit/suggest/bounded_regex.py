"""Codebook regexes in bounded time: RE2 wherever it can say the same thing, else a time budget.

Python's ``re`` backtracks, so ``(a|aa)+$`` takes exponential time on a line of a's ending in
"b". RE2 (``google-re2``) matches in time linear in the text whatever the pattern, but it lacks
lookaround and backreferences, and its ``\\w``, ``\\d``, ``\\s``, ``\\b``, ``$`` and case folding
are not Python's. So a pattern is *translated* from Python's own parse tree into RE2 syntax with
Python's meaning spelled out: ``\\w``/``\\d``/``\\s`` become the exact code-point ranges this
Python's ``re`` uses, the dotted and dotless i fold as ``re`` folds them, and a leading or
trailing ``\\b`` (or a trailing ``$``) becomes a character consumed outside the reported group.
What cannot be translated exactly (lookaround, backreferences, a ``\\b`` in the middle, ...)
runs on the ``regex`` module with a time budget per text: a pathological text then stops with
:class:`~qualkit.errors.PatternTimeoutError` naming the pattern, never a hang. (``regex`` means
what ``re`` means but for rare case-folding corners: under ``(?i)`` it does not fold the Turkish
dotted and dotless i into i.)

RE2 works on UTF-8 bytes; match offsets are turned back into code points (what qualkit stores)
by decoding only the bytes between successive matches, so a text is walked once.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from qualkit.errors import CodebookError, PatternTimeoutError

try:  # Python 3.11+
    _sre_parse: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _sre_parse = importlib.import_module("sre_parse")

#: seconds a fallback (backtracking) pattern may spend on one text before it is stopped
FALLBACK_TIME_BUDGET = 1.0
_RE2_MAX_REPEAT = 1000  # RE2 refuses counted repeats above this
_RE2_MAX_MEM = 64 << 20  # room for patterns that spell out \w's Unicode ranges several times
_TURKISH_I = "iI\u0131\u0130"  # re folds all four together under IGNORECASE; RE2 folds only i/I
_FLAG_LETTERS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}


class RegexEngine(Enum):
    RE2 = "re2"  # linear time
    FALLBACK = "regex"  # backtracking, stopped after FALLBACK_TIME_BUDGET seconds per text


@dataclass(frozen=True)
class BoundedRegex:
    """A compiled codebook regex. ``spans(text)`` yields the (start, end) code-point offsets of
    its non-empty matches in order, exactly as ``re.finditer`` would find them."""

    pattern: str
    engine: RegexEngine
    why_fallback: str | None = None  # what RE2 cannot do, for the codebook check's warning
    time_budget: float = FALLBACK_TIME_BUDGET
    _re2_first: object = field(default=None, repr=False, compare=False)  # searches from offset 0
    _re2_later: object = field(default=None, repr=False, compare=False)  # searches after a match
    _prefix: bool = field(default=False, repr=False, compare=False)  # a char before the group is consumed
    _fallback: object = field(default=None, repr=False, compare=False)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        if self.engine is RegexEngine.RE2:
            try:
                encoded = text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: RE2 needs valid UTF-8
                yield from self._fallback_spans(text)
                return
            yield from self._re2_spans(text, encoded)
        else:
            yield from self._fallback_spans(text)

    def _re2_spans(self, text: str, encoded: bytes) -> Iterator[tuple[int, int]]:
        ascii_only = len(encoded) == len(text)
        last_byte = last_char = 0  # the latest byte offset turned into a code-point offset

        def chars(byte: int) -> int:
            nonlocal last_byte, last_char
            if not ascii_only:
                last_char += len(encoded[last_byte:byte].decode("utf-8"))
                last_byte = byte
                return last_char
            return byte

        position = 0  # byte offset where the next match may start
        end = len(encoded)
        while position < end:
            regex, search_from = self._re2_first, position
            if self._prefix and position > 0:  # the consumed char before the group may be the last one
                regex, search_from = self._re2_later, position - 1
                while encoded[search_from] & 0xC0 == 0x80:
                    search_from -= 1
            found = regex.search(encoded, search_from)  # type: ignore[attr-defined]
            if found is None:
                return
            start, stop = found.span(1)
            yield chars(start), chars(stop)
            position = stop  # the pattern cannot match empty text, so this moves on

    def _fallback_spans(self, text: str) -> Iterator[tuple[int, int]]:
        try:
            for hit in self._fallback.finditer(text, timeout=self.time_budget):  # type: ignore[attr-defined]
                if hit.end() > hit.start():
                    yield hit.start(), hit.end()
        except TimeoutError:
            raise PatternTimeoutError(
                f"regex {self.pattern!r} took longer than {self.time_budget:g} s on a text of "
                f"{len(text):,} characters (it backtracks on it); rewrite it without lookaround or "
                "backreferences so it runs on the linear-time engine, or use a token pattern",
                pattern=self.pattern,
            ) from None


def compile_bounded(pattern: str, *, time_budget: float = FALLBACK_TIME_BUDGET) -> BoundedRegex:
    """Compile a codebook regex (already checked to compile with ``re``) for bounded matching."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error as exc:
        raise CodebookError(f"regex {pattern!r} does not compile: {exc}") from None
    import regex

    try:  # also what a text RE2 cannot take (a lone surrogate) runs on
        fallback = regex.compile(pattern)
    except regex.error as exc:
        raise CodebookError(f"regex {pattern!r} does not compile: {exc}") from None
    try:
        first, later, prefix = _translate(parsed)
        import re2

        options = re2.Options()
        options.log_errors = False  # RE2 would print its own message to stderr
        options.max_mem = _RE2_MAX_MEM
        try:
            compiled_first = re2.compile(first, options)
            compiled_later = re2.compile(later, options) if later != first else compiled_first
        except re2.error as exc:
            raise _Untranslatable(f"more than RE2 can compile ({_text(exc)})") from None
    except _Untranslatable as why:
        return BoundedRegex(pattern, RegexEngine.FALLBACK, why_fallback=str(why), time_budget=time_budget,
                            _fallback=fallback)
    return BoundedRegex(pattern, RegexEngine.RE2, time_budget=time_budget, _re2_first=compiled_first,
                        _re2_later=compiled_later, _prefix=prefix, _fallback=fallback)


def needs_fallback(pattern: str) -> str | None:
    """Why a pattern cannot run on RE2 (it then runs with a time budget), or None."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    try:
        _translate(parsed)
    except _Untranslatable as why:
        return str(why)
    return None


def _text(exc: Exception) -> str:
    message = exc.args[0] if exc.args else exc
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


# --- translation --------------------------------------------------------------------------------


class _Untranslatable(Exception):
    """The pattern needs something RE2 cannot do with Python's meaning; the message says what."""


def _translate(parsed) -> tuple[str, str, bool]:
    """(pattern for a search from offset 0, pattern for later searches, whether a character
    before the reported group is consumed). The reported match is group 1 of both."""
    flags = parsed.state.flags
    if flags & re.ASCII and flags & re.IGNORECASE:
        raise _Untranslatable("(?a) with (?i) (ASCII-only case folding)")
    if parsed.getwidth()[0] == 0:
        raise _Untranslatable("a match that may be empty")
    items = list(parsed)
    writer = _Writer(flags)
    head = ""  # what stands for a leading \b / \B
    later_head = ""
    tail = ""
    if items and _is_at(items[0], "AT_BOUNDARY", "AT_NON_BOUNDARY") and not flags & re.ASCII:
        kind = _edge_kind(items[1:], writer, first=True)
        if kind is None:
            raise _Untranslatable(r"a \b or \B next to text that may or may not be a word character")
        boundary = _is_at(items[0], "AT_BOUNDARY")
        word, nonword = writer.category_class("CATEGORY_WORD"), writer.category_class("CATEGORY_NOT_WORD")
        # \b before a word character: the character before is not one (or there is none)
        if boundary == (kind == "word"):
            head, later_head = rf"(?:\A|{nonword})", nonword
        else:
            head = later_head = word
        items = items[1:]
    if items and _is_at(items[-1], "AT_BOUNDARY", "AT_NON_BOUNDARY") and not flags & re.ASCII:
        kind = _edge_kind(items[:-1], writer, first=False)
        if kind is None:
            raise _Untranslatable(r"a \b or \B next to text that may or may not be a word character")
        boundary = _is_at(items[-1], "AT_BOUNDARY")
        word, nonword = writer.category_class("CATEGORY_WORD"), writer.category_class("CATEGORY_NOT_WORD")
        tail = rf"(?:{nonword}|\z)" if boundary == (kind == "word") else word
        items = items[:-1]
    elif items and _is_at(items[-1], "AT_END") and not flags & re.MULTILINE:
        tail = r"\n?\z"  # Python's $ also matches before a final newline
        items = items[:-1]
    body = writer.sequence(items)
    prefix = "".join(f"(?{_FLAG_LETTERS[flag]})" for flag in _FLAG_LETTERS if flags & flag)
    return f"{prefix}{head}({body}){tail}", f"{prefix}{later_head}({body}){tail}", bool(head)


def _is_at(item, *names: str) -> bool:
    op, value = item
    return str(op) == "AT" and str(value) in names


class _Writer:
    """Writes parsed items as RE2 syntax that means what ``re`` means, tracking scoped flags."""

    def __init__(self, flags: int):
        self.flags = flags

    def sequence(self, items) -> str:
        return "".join(self.item(op, value) for op, value in items)

    def item(self, op, value) -> str:
        name = str(op)
        ignore_case = bool(self.flags & re.IGNORECASE)
        if name == "LITERAL":
            char = chr(value)
            if ignore_case and char in _TURKISH_I:
                return "[" + "".join(_escape(c) for c in _TURKISH_I) + "]"
            return _escape(char)
        if name == "NOT_LITERAL":
            char = chr(value)
            chars = _TURKISH_I if ignore_case and char in _TURKISH_I else char
            return "[^" + "".join(_escape(c) for c in chars) + "]"
        if name == "ANY":
            return "." if not self.flags & re.DOTALL else "(?s:.)"
        if name == "IN":
            return self.char_class(value)
        if name == "BRANCH":
            return "(?:" + "|".join(self.sequence(branch) for branch in value[1]) + ")"
        if name == "SUBPATTERN":
            _group, add, remove, body = value
            if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL):
                raise _Untranslatable("a scoped flag other than i, m or s")
            saved = self.flags
            self.flags = (self.flags | add) & ~remove
            try:
                inner = self.sequence(body)
            finally:
                self.flags = saved
            on = "".join(letter for flag, letter in _FLAG_LETTERS.items() if add & flag)
            off = "".join(letter for flag, letter in _FLAG_LETTERS.items() if remove & flag)
            return f"(?{on}{'-' + off if off else ''}:{inner})" if on or off else f"(?:{inner})"
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, body = value
            unbounded = high is _sre_parse.MAXREPEAT
            if low > _RE2_MAX_REPEAT or (not unbounded and high > _RE2_MAX_REPEAT):
                raise _Untranslatable(f"a counted repeat above {_RE2_MAX_REPEAT}")
            quantifier = {(0, True): "*", (1, True): "+"}.get((low, unbounded))
            if quantifier is None:
                if unbounded:
                    quantifier = f"{{{low},}}"
                elif (low, high) == (0, 1):
                    quantifier = "?"
                else:
                    quantifier = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            lazy = "?" if name == "MIN_REPEAT" else ""
            return f"(?:{self.sequence(body)}){quantifier}{lazy}"
        if name == "AT":
            return self.at(str(value))
        if name in ("ASSERT", "ASSERT_NOT"):
            raise _Untranslatable("lookaround ((?=...), (?!...), (?<=...), (?<!...))")
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            raise _Untranslatable("a backreference")
        if name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):
            raise _Untranslatable("a possessive repeat or atomic group")
        raise _Untranslatable(f"{name.lower().replace('_', ' ')}")

    def at(self, where: str) -> str:
        multiline = bool(self.flags & re.MULTILINE)
        if where == "AT_BEGINNING":
            return "(?m:^)" if multiline else r"\A"
        if where == "AT_BEGINNING_STRING":
            return r"\A"
        if where == "AT_END_STRING":
            return r"\z"
        if where == "AT_END" and multiline:
            return "(?m:$)"
        if where in ("AT_BOUNDARY", "AT_NON_BOUNDARY") and self.flags & re.ASCII:
            return r"\b" if where == "AT_BOUNDARY" else r"\B"  # RE2's are ASCII, as (?a) asks
        if where == "AT_END":
            raise _Untranslatable("a $ before the end of the pattern")
        raise _Untranslatable(r"a \b or \B inside the pattern (only at its start or end)")

    def category_class(self, category: str) -> str:
        ranges = _category_ranges(category, ascii_only=bool(self.flags & re.ASCII))
        return "(?-i:[" + _ranges_text(ranges) + "])"

    def char_class(self, items) -> str:
        negate = bool(items) and str(items[0][0]) == "NEGATE"
        if negate:
            items = items[1:]
        ignore_case = bool(self.flags & re.IGNORECASE)
        category_ranges: list[tuple[int, int]] = []
        letters: list[tuple[int, int]] = []
        for op, value in items:
            name = str(op)
            if name == "LITERAL":
                letters.append((value, value))
            elif name == "RANGE":
                letters.append(value)
            elif name == "CATEGORY":
                category_ranges += _category_ranges(str(value), ascii_only=bool(self.flags & re.ASCII))
            else:
                raise _Untranslatable(f"a character class item {name.lower()}")
        if ignore_case and any(low <= ord(c) <= high for low, high in letters for c in _TURKISH_I):
            letters += [(ord(c), ord(c)) for c in _TURKISH_I]
        letters_text, categories_text = _ranges_text(letters), _ranges_text(category_ranges)
        if not ignore_case or not category_ranges:
            text = letters_text + categories_text
            cls = f"[{'^' if negate else ''}{text}]"
            return cls if not (ignore_case and category_ranges) else f"(?-i:{cls})"
        if not letters:  # categories do not fold under (?i) in re; keep RE2 from folding them
            return f"(?-i:[{'^' if negate else ''}{categories_text}])"
        if negate:
            raise _Untranslatable(r"a negated class mixing \w, \d or \s with letters under (?i)")
        return f"(?:(?-i:[{categories_text}])|[{letters_text}])"


def _escape(char: str) -> str:
    return char if char.isascii() and char.isalnum() else f"\\x{{{ord(char):x}}}"


def _ranges_text(ranges: list[tuple[int, int]]) -> str:
    return "".join(_escape(chr(low)) + ("-" + _escape(chr(high)) if high > low else "") for low, high in ranges)


_ASCII_CATEGORIES = {
    "WORD": [(48, 57), (65, 90), (95, 95), (97, 122)],
    "DIGIT": [(48, 57)],
    "SPACE": [(9, 13), (32, 32)],  # re's ASCII \s includes \v, RE2's \s does not
}


def _category_ranges(category: str, *, ascii_only: bool) -> list[tuple[int, int]]:
    name = category.removeprefix("CATEGORY_")
    negated = name.startswith("NOT_")
    base = name.removeprefix("NOT_")
    if base not in _ASCII_CATEGORIES:
        raise _Untranslatable(f"the class {category.lower()}")
    ranges = _ASCII_CATEGORIES[base] if ascii_only else _unicode_ranges(base)
    return _complement(ranges) if negated else list(ranges)


def _unicode_ranges(base: str) -> tuple[tuple[int, int], ...]:
    return _all_unicode_ranges()[base]


@functools.cache
def _all_unicode_ranges() -> dict[str, tuple[tuple[int, int], ...]]:
    """The code points ``re`` counts as \\w, \\d and \\s, asked of ``re`` itself (about 0.3 s,
    once per process), so both engines agree whatever Unicode version this Python has."""
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    return {
        base: tuple((ord(hit.group()[0]), ord(hit.group()[-1])) for hit in re.finditer(pattern, every))
        for base, pattern in (("WORD", r"\w+"), ("DIGIT", r"\d+"), ("SPACE", r"\s+"))
    }


def _complement(ranges) -> list[tuple[int, int]]:
    result, next_free = [], 0
    for low, high in sorted(ranges):
        if low > next_free:
            result.append((next_free, low - 1))
        next_free = max(next_free, high + 1)
    if next_free <= 0x10FFFF:
        result.append((next_free, 0x10FFFF))
    # RE2 matches UTF-8, which has no surrogates: leave them out
    return [(low, high) for low, high in _cut(result, 0xD800, 0xDFFF) if low <= high]


def _cut(ranges, low_cut: int, high_cut: int):
    for low, high in ranges:
        if high < low_cut or low > high_cut:
            yield low, high
        else:
            yield low, low_cut - 1
            yield high_cut + 1, high


# --- which side of a \b a pattern starts or ends on ----------------------------------------------


def _edge_kind(items, writer: _Writer, *, first: bool) -> str | None:
    """'word' if every match of ``items`` starts (first) / ends (not first) with a word
    character, 'nonword' if never, None if it may do either or be empty there."""
    sequence = list(items) if first else list(reversed(items))
    for index, (op, value) in enumerate(sequence):
        name = str(op)
        if name == "BRANCH" and not any(value[1]):  # what re makes of (?:a|a): a, then empty branches
            continue
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, _high, body = value
            kind = _edge_kind(list(body), writer, first=first)
            if low >= 1:
                return kind
            rest = sequence[index + 1:]
            rest_kind = _edge_kind(rest if first else list(reversed(rest)), writer, first=first)
            return kind if kind == rest_kind else None
        if name == "SUBPATTERN":
            return _edge_kind(list(value[-1]), writer, first=first) if _min_width(value[-1]) else None
        if name == "BRANCH":
            kinds = {_edge_kind(list(branch), writer, first=first) for branch in value[1]}
            return kinds.pop() if len(kinds) == 1 and all(_min_width(b) for b in value[1]) else None
        return _char_kind(name, value, writer)
    return None


def _min_width(items) -> int:
    try:
        return _sre_parse.SubPattern(_sre_parse.State(), list(items)).getwidth()[0]
    except Exception:  # noqa: BLE001 - an unusual tree: say it may be empty
        return 0


def _char_kind(name: str, value, writer: _Writer) -> str | None:
    ascii_only = bool(writer.flags & re.ASCII)

    def word(code: int) -> bool:
        char = chr(code)
        return char == "_" or (char.isalnum() and (char.isascii() or not ascii_only))

    if name == "LITERAL":
        return "word" if word(value) else "nonword"
    if name != "IN" or not value or str(value[0][0]) == "NEGATE":
        return None
    kinds = set()
    for op, item in value:
        kind = str(op)
        if kind == "LITERAL":
            kinds.add(word(item))
        elif kind == "RANGE":
            low, high = item
            if high - low > 5000:
                return None
            kinds |= {word(code) for code in range(low, high + 1)}
        elif kind == "CATEGORY":
            category = str(item).removeprefix("CATEGORY_")
            known = {"WORD": True, "DIGIT": True, "NOT_WORD": False, "SPACE": False}
            if category not in known:
                return None
            kinds.add(known[category])
        else:
            return None
    if len(kinds) != 1:
        return None
    return "word" if kinds.pop() else "nonword"
