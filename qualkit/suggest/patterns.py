"""Compile a codebook's patterns into spaCy matchers, once per run.

Pattern language (see the codebook docs):

* ``"initial teacher training"`` — a phrase, case-insensitive and token-aware
  (``NPQ`` does not fire inside ``NPQH``): one ``PhraseMatcher`` on ``LOWER`` holds them all.
* ``"mentor*"`` / ``"professional develop*"`` — a word ending in ``*`` is a prefix wildcard.
* ``{tokens: [...]}`` — a spaCy ``Matcher`` token pattern, validated by spaCy.
* ``{regex: "..."}`` — a Python regex on the text, only where tokens cannot do it. It runs on
  RE2 (linear time) when RE2 can mean the same thing; lookaround and the like run on a
  backtracking engine with a time budget per segment (see :mod:`qualkit.suggest.bounded_regex`),
  and there a repeat inside a repeat is refused.
* ``{lemma: word}`` — needs a pipeline with a lemmatizer (``nlp:`` in the codebook).

Prefix wildcards are made cheap by giving every word that starts with a wildcard's prefix a
``NORM`` that names the longest such prefix. spaCy computes lexeme attributes once per
distinct word, so a wildcard costs a set lookup per token instead of a regex per token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from qualkit.codebook import Code, PatternSpec
from qualkit.errors import CodebookError, PatternTimeoutError
from qualkit.suggest.bounded_regex import BoundedRegex, RegexEngine, compile_bounded, needs_fallback

_PREFIX_MARK = "\u2063qk-prefix:"  # an invisible separator no real word starts with
_TOKEN_ATTRS_NEEDING = {
    "LEMMA": "lemmatizer", "POS": "tagger", "TAG": "tagger", "MORPH": "morphologizer",
    "DEP": "parser", "ENT_TYPE": "ner", "ENT_IOB": "ner", "SENT_START": "senter",
}
MAX_REGEX_LENGTH = 500
_TOKEN_ATTR = {"LOWER": "lower", "ORTH": "orth", "NORM": "norm"}  # Token's hash of each attribute


class Match(NamedTuple):
    """A pattern that fired: character offsets into the matched text. A named tuple, not a
    frozen dataclass: one is made per hit, and a dataclass costs several times more to build."""

    code: str
    start: int
    end: int
    pattern: str  # the pattern as the researcher wrote it
    exclude: bool


def load_pipeline(name: str | None):
    """``spacy.blank("en")`` by default, or a named installed pipeline."""
    import spacy

    if not name:
        return spacy.blank("en")
    try:
        return spacy.load(name)
    except OSError:
        raise CodebookError(
            f"the codebook asks for spaCy pipeline {name!r}, which is not installed; install it "
            f"with pip (e.g. `pip install {name}` from your package index) or remove 'nlp:' to "
            "use spacy.blank('en')"
        ) from None


def _lemma_message(nlp) -> str:
    which = "this pipeline" if nlp.pipe_names else "spacy.blank('en')"
    return (
        f"lemma patterns need a spaCy pipeline with a lemmatizer, and {which} has none; install "
        "one (e.g. `pip install en_core_web_sm`) and set `nlp: en_core_web_sm` in the codebook, "
        "or use a prefix wildcard such as 'mentor*'"
    )


def check_regex(pattern: str) -> str | None:
    """Why a regex is refused, or None. Refuses what cannot compile, and nested repeats in
    patterns that must run on the backtracking fallback (RE2 runs them in linear time)."""
    if not isinstance(pattern, str) or not pattern:
        return "a regex must be a non-empty string"
    if len(pattern) > MAX_REGEX_LENGTH:
        return f"regex longer than {MAX_REGEX_LENGTH} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"regex {pattern!r} does not compile: {exc}"
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse  # type: ignore[no-redef]
    why = needs_fallback(pattern)
    if why and _nested_repeat(sre_parse.parse(pattern), inside_repeat=False):
        return (
            f"regex {pattern!r} repeats a group that itself repeats (like (a+)+) and needs the "
            f"backtracking engine ({why}), where that can take exponential time; rewrite it "
            "without the nested repeat, or use a token pattern"
        )
    return None


def _nested_repeat(parsed, *, inside_repeat: bool) -> bool:
    for op, value in parsed:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = value
            repeats = high is None or high > 1 or str(high) == "MAXREPEAT"
            if repeats and inside_repeat:
                return True
            if _nested_repeat(body, inside_repeat=inside_repeat or repeats):
                return True
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            body = value[-1]
            if _nested_repeat(body, inside_repeat=inside_repeat):
                return True
        elif name == "BRANCH":
            for branch in value[1]:
                if _nested_repeat(branch, inside_repeat=inside_repeat):
                    return True
    return False


class CompiledPatterns:
    """Every pattern of a set of codes, compiled for speed.

    Token patterns are rewritten, where their meaning allows, into alternatives that spaCy
    tests in C: ``IN`` lists and optional tokens expand into several phrases, and ``REGEX``
    predicates that only say "starts with" (``^(narrow|clos)``) become prefix wildcards.
    Such patterns join the phrase matchers, or the ``Matcher`` as plain equality patterns;
    only what cannot be rewritten keeps spaCy's per-token Python predicates (``slow``).
    """

    MAX_VARIANTS = 2000  # a pattern expanding into more phrases than this stays as written

    def __init__(self, codes: Sequence[Code], *, nlp_name: str | None = None, collect_errors: bool = False):
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = load_pipeline(nlp_name)
        entries = [
            (code.key, spec, exclude)
            for code in codes
            if code.codable
            for exclude, specs in ((False, code.patterns), (True, code.exclude_patterns))
            for spec in specs
        ]
        self._install_prefix_norms({prefix for _, spec, _ in entries for prefix in self._prefixes(spec)})
        # Two passes over each Doc, whatever the codebook holds (each pass costs as much as
        # a few hundred hits): phrases on LOWER, and phrases with wildcards on NORM (which
        # names a word's prefix). Variants whose case matters join the LOWER pass under a
        # second match id, and are checked token by token after a hit, as are NORM hits.
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.norm_phrases = PhraseMatcher(self.nlp.vocab, attr="NORM")
        #: checked match id -> the token sequences a hit must fit one of, by length
        self._variants: dict[int, dict[int, list[tuple[tuple[str, int], ...]]]] = {}
        self._always: set[int] = set()  # checked ids whose every variant is all NORM: a hit fits
        self.matcher = Matcher(self.nlp.vocab, validate=True)
        self.regexes: list[tuple[str, PatternSpec, bool, BoundedRegex]] = []
        #: (code key, pattern, why) for regexes RE2 cannot run: they run with a time budget
        self.fallback: list[tuple[str, PatternSpec, str]] = []
        # per regex: a literal every match contains (casefolded if the regex ignores case), or None
        self._regex_literals: list[tuple[str, bool] | None] = []
        self.labels: dict[int, tuple[str, str, bool]] = {}
        self.slow: list[tuple[str, PatternSpec]] = []  # patterns left with per-token predicates
        #: (code key, pattern, problem) for every pattern that did not compile
        self.errors: list[tuple[str, PatternSpec, str]] = []
        for index, (code, spec, exclude) in enumerate(entries):
            try:
                self._add(index, code, spec, exclude)
            except CodebookError as exc:
                self.errors.append((code, spec, str(exc)))
        if self.errors and not collect_errors:
            raise CodebookError(
                "\n".join(f"line {spec.line}: code {code!r}: {message}" for code, spec, message in self.errors)
            )

    # -- prefixes --------------------------------------------------------------------------

    def _prefixes(self, spec: PatternSpec) -> Iterable[str]:
        if spec.kind == "phrase":
            for word in str(spec.value).split():
                if word.endswith("*") and len(word) > 1:
                    yield self.nlp.make_doc(word[:-1])[-1].lower_
        elif spec.kind == "tokens" and isinstance(spec.value, list):
            for token in spec.value:
                if isinstance(token, dict):
                    prefixes = _regex_prefixes(token.get("LOWER"))
                    if prefixes:
                        yield from prefixes

    def _install_prefix_norms(self, prefixes: set[str]) -> None:
        self.prefixes = sorted(prefixes, key=len, reverse=True)
        if not prefixes:
            return
        from spacy.attrs import NORM

        longest_first = re.compile("|".join(re.escape(p) for p in self.prefixes))
        default = self.nlp.vocab.lex_attr_getters.get(NORM) or str.lower

        def norm(text: str) -> str:
            found = longest_first.match(text.lower())
            return _PREFIX_MARK + found.group(0) if found else default(text)

        self.nlp.vocab.lex_attr_getters[NORM] = norm
        for lexeme in self.nlp.vocab:  # lexemes made before the getter was installed
            lexeme.norm_ = norm(lexeme.orth_)

    def _prefix_alternatives(self, prefix: str) -> list[tuple[str, str]]:
        # NORM is the longest registered prefix a word starts with; a word starts with
        # `prefix` exactly when that longest prefix extends `prefix`.
        return [("NORM", _PREFIX_MARK + p) for p in self.prefixes if p.startswith(prefix)]

    # -- compiling -------------------------------------------------------------------------

    def _phrase_alternatives(self, phrase: str) -> list[list[tuple[str, str]]]:
        """A phrase as one list of equality alternatives per token."""
        tokens: list[list[tuple[str, str]]] = []
        for word in phrase.split():
            wildcard = word.endswith("*")
            pieces = [t.lower_ for t in self.nlp.make_doc(word[:-1] if wildcard else word)]
            tokens += [[("LOWER", piece)] for piece in pieces[:-1]]
            tokens.append(self._prefix_alternatives(pieces[-1]) if wildcard else [("LOWER", pieces[-1])])
        return tokens

    def _token_alternatives(self, pattern: list[dict]) -> list[list[tuple[str, str] | None]] | None:
        """Equality alternatives per token (None = the token may be absent), or None if the
        pattern uses anything but LOWER/TEXT/ORTH values, IN lists, prefix REGEXes and OP '?'."""
        tokens: list[list[tuple[str, str] | None]] = []
        for token in pattern:
            keys = {str(k).upper() for k in token}
            op = token.get("OP")
            if op not in (None, "?") or len(keys - {"OP"}) != 1:
                return None
            [(attr, value)] = [(str(k).upper(), v) for k, v in token.items() if str(k).upper() != "OP"]
            attr = "ORTH" if attr == "TEXT" else attr
            if attr not in ("LOWER", "ORTH"):
                return None
            if isinstance(value, str):
                options = [(attr, value)]
            elif isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
                options = [(attr, str(v)) for v in value["IN"]]
            elif attr == "LOWER" and _regex_prefixes(value):
                options = [alt for prefix in _regex_prefixes(value) for alt in self._prefix_alternatives(prefix)]
            else:
                return None
            options = list(dict.fromkeys(options))
            tokens.append([*options, None] if op == "?" else options)
        return tokens

    def _add_alternatives(self, match_id: str, tokens: list[list]) -> bool:
        """Expand per-token alternatives into phrases / equality patterns; False if too many.

        Any-case variants go to the LOWER pass as they are. The rest are checked after a hit,
        under the match id ``match_id + "?"``: exact-case and mixed variants join the LOWER pass
        lowercased, wildcard variants the NORM pass.
        """
        import itertools
        import math

        from spacy.tokens import Doc

        if not tokens or math.prod(len(options) for options in tokens) > self.MAX_VARIANTS:
            return False
        lower_docs, checked_lower_docs, norm_docs, patterns = [], [], [], []
        checked_id = match_id + "?"
        checked: list[tuple[tuple[str, str], ...]] = []
        for variant in itertools.product(*tokens):
            chosen = tuple(alternative for alternative in variant if alternative is not None)
            if not chosen:
                continue
            attrs = {attr for attr, _ in chosen}
            words = [value for _, value in chosen]
            if attrs == {"LOWER"}:
                lower_docs.append(Doc(self.nlp.vocab, words=words))
            elif "NORM" in attrs and attrs <= {"LOWER", "NORM"}:
                doc = Doc(self.nlp.vocab, words=[f"w{i}" for i in range(len(chosen))])
                for token, (attr, value) in zip(doc, chosen, strict=True):
                    token.norm_ = value if attr == "NORM" else self.nlp.vocab[value].norm_
                norm_docs.append(doc)
                checked.append(chosen)
            elif attrs <= {"LOWER", "ORTH"}:
                checked_lower_docs.append(Doc(self.nlp.vocab, words=[value.lower() for value in words]))
                checked.append(chosen)
            else:  # pragma: no cover - only LOWER, ORTH and NORM alternatives are made
                patterns.append([{attr: value} for attr, value in chosen])
        if lower_docs:
            self.phrases.add(match_id, lower_docs)
        if checked:
            strings = self.nlp.vocab.strings
            key = strings.add(checked_id)
            self.labels[key] = self.labels[strings[match_id]]
            by_length = self._variants.setdefault(key, {})
            for chosen in checked:
                by_length.setdefault(len(chosen), []).append(
                    tuple((_TOKEN_ATTR[attr], strings.add(value)) for attr, value in chosen)
                )
            if all(attr == "NORM" for chosen in checked for attr, _ in chosen):
                self._always.add(key)
        if checked_lower_docs:
            self.phrases.add(checked_id, checked_lower_docs)
        if norm_docs:
            self.norm_phrases.add(checked_id, norm_docs)
        if patterns:
            self.matcher.add(match_id, patterns)
        return True

    def _add(self, index: int, code: str, spec: PatternSpec, exclude: bool) -> None:
        match_id = f"qk{index}"  # matchers report it back as its hash
        self.labels[self.nlp.vocab.strings.add(match_id)] = (code, spec.label, exclude)
        if spec.kind == "phrase":
            phrase = " ".join(str(spec.value).split())
            if any("*" in word[:-1] for word in phrase.split()):
                raise CodebookError(f"pattern {phrase!r}: '*' may only end a word (a prefix wildcard)")
            if "*" in phrase:
                if not self._add_alternatives(match_id, self._phrase_alternatives(phrase)):
                    raise CodebookError(f"pattern {phrase!r} has too many wildcard combinations")
            else:
                self.phrases.add(match_id, [self.nlp.make_doc(phrase)])
        elif spec.kind == "tokens":
            pattern = spec.value
            if not (isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)):
                raise CodebookError("a tokens pattern is a list of token dicts, e.g. [{LOWER: npq}]")
            self._check_components(pattern)
            try:
                # spaCy validates the pattern as written, whichever way it is then compiled
                self.matcher.add("qk-validate", [pattern])
                self.matcher.remove("qk-validate")
            except Exception as exc:  # spaCy raises ValueError/MatchPatternError with details
                raise CodebookError(f"token pattern does not compile: {_first_line(exc)}") from None
            alternatives = self._token_alternatives(pattern)
            if alternatives is None or not self._add_alternatives(match_id, alternatives):
                self.slow.append((code, spec))
                self.matcher.add(match_id, [pattern])
        elif spec.kind == "regex":
            problem = check_regex(spec.value)
            if problem:
                raise CodebookError(problem)
            bounded = compile_bounded(spec.value)
            if bounded.engine is RegexEngine.FALLBACK:
                self.fallback.append((code, spec, bounded.why_fallback or ""))
            self.regexes.append((code, spec, exclude, bounded))
            self._regex_literals.append(required_literal(spec.value))
        elif spec.kind == "lemma":
            if not (self.nlp.has_pipe("lemmatizer") or self.nlp.has_pipe("trainable_lemmatizer")):
                raise CodebookError(_lemma_message(self.nlp))
            self.matcher.add(match_id, [[{"LEMMA": str(spec.value).lower()}]])
        else:  # pragma: no cover - the codebook loader only makes the kinds above
            raise CodebookError(f"unknown pattern kind {spec.kind!r}")

    def _check_components(self, pattern: list[dict]) -> None:
        for token in pattern:
            for attr in token:
                needs = _TOKEN_ATTRS_NEEDING.get(str(attr).upper())
                if needs and not self.nlp.has_pipe(needs) and not (
                    needs == "lemmatizer" and self.nlp.has_pipe("trainable_lemmatizer")
                ):
                    if needs == "lemmatizer":
                        raise CodebookError(_lemma_message(self.nlp))
                    raise CodebookError(
                        f"token attribute {attr} needs a pipeline with a {needs}; "
                        "spacy.blank('en') only tokenizes"
                    )

    def _fits(self, doc, match_id: int, start: int, end: int) -> bool:
        """Whether a hit under a checked id fits one of its pattern's variants token by token.
        A variant that is all NORM fits every NORM hit: the pass compared exactly those values."""
        if match_id in self._always:
            return True
        for variant in self._variants[match_id].get(end - start, ()):
            for offset, (attr, value) in enumerate(variant):
                if getattr(doc[start + offset], attr) != value:
                    break
            else:
                return True
        return False

    # -- matching --------------------------------------------------------------------------

    def matches(self, doc, text: str | None = None, *, segment: str | None = None) -> list[Match]:
        """Every pattern match in a spaCy Doc, as character offsets into ``doc.text``.

        Pass ``text`` when the caller has the string the Doc was made from: rebuilding
        ``doc.text`` token by token cost as much as tokenizing it. ``segment`` names the text
        in the :class:`PatternTimeoutError` a fallback regex raises when it runs out of time.
        """
        text = doc.text if text is None else text
        found = []
        hits = self.phrases(doc)
        if len(self.norm_phrases):
            hits += self.norm_phrases(doc)
        if len(self.matcher):  # spaCy's Matcher costs a pass over the tokens even when idle
            hits += self.matcher(doc)
        labels, variants = self.labels, self._variants
        for match_id, start, end in hits:
            if match_id in variants and not self._fits(doc, match_id, start, end):
                continue
            code, label, exclude = labels[match_id]
            last = doc[end - 1]
            found.append(Match(code, doc[start].idx, last.idx + len(last), label, exclude))
        folded = None
        for (code, spec, exclude, regex), literal in zip(self.regexes, self._regex_literals, strict=True):
            if literal is not None:  # most segments lack the literal: skip the regex scan entirely
                needle, ignore_case = literal
                if ignore_case:
                    folded = text.casefold() if folded is None else folded
                if needle not in (folded if ignore_case else text):
                    continue
            try:
                for start, end in regex.spans(text):
                    found.append(Match(code, start, end, spec.label, exclude))
            except PatternTimeoutError as exc:
                raise exc.naming(code=code, segment=segment) from None
        return found


def required_literal(pattern: str, *, shortest: int = 3) -> tuple[str, bool] | None:
    """(literal, ignores case): the longest run of plain ASCII letters and digits that every
    match of ``pattern`` contains, read from its top level, or None if there is none that long.

    ``(?i)(?<!early[ -])\\bcareers?\\b`` -> ("career", True). Only top-level literals count:
    anything optional, repeated, alternative or in a group could be absent from a match. With
    IGNORECASE the literal is casefolded and the text is casefolded too, which keeps every
    match re finds (casefold maps the Kelvin sign and long s to k and s, as re's case rules do).
    """
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    best, run = "", ""
    for op, value in [*parsed, (None, None)]:
        char = chr(value) if str(op) == "LITERAL" else ""
        if char and char.isascii() and char.isalnum():
            run += char
            continue
        best = max(best, run, key=len)
        run = ""
    if len(best) < shortest:
        return None
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    return (best.casefold() if ignore_case else best), ignore_case


def _regex_prefixes(value) -> list[str] | None:
    """The literal prefixes a ``{REGEX: "^..."}`` token predicate means, if that is all it says.

    ``"^(narrow|clos)"`` → ["narrow", "clos"]; ``"^prioriti[sz]"`` → ["prioritis", "prioritiz"];
    ``"^de-?escal"`` → ["deescal", "de-escal"]. Anything else (no ^, a $, open repeats) → None.
    """
    if not (isinstance(value, dict) and set(value) == {"REGEX"} and isinstance(value["REGEX"], str)):
        return None
    pattern = value["REGEX"]
    if not pattern.startswith("^") or pattern.endswith("$"):
        return None
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern[1:])
    except re.error:
        return None
    strings = _finite_strings(list(parsed), limit=64)
    if not strings or any(not s or s != s.lower() for s in strings):
        return None
    return sorted(set(strings))


def _finite_strings(items, *, limit: int) -> list[str] | None:
    """Every string a regex (as parsed) matches, if it is a small finite set."""
    results = [""]
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            options = [chr(value)]
        elif name == "IN":
            options = []
            for kind, item in value:
                if str(kind) == "LITERAL":
                    options.append(chr(item))
                elif str(kind) == "RANGE" and item[1] - item[0] < 26:
                    options += [chr(c) for c in range(item[0], item[1] + 1)]
                else:
                    return None
        elif name == "SUBPATTERN":
            options = _finite_strings(list(value[-1]), limit=limit)
        elif name == "BRANCH":
            options = []
            for branch in value[1]:
                found = _finite_strings(list(branch), limit=limit)
                if found is None:
                    return None
                options += found
        elif name == "MAX_REPEAT" and value[0] == 0 and value[1] == 1:
            inner = _finite_strings(list(value[2]), limit=limit)
            options = None if inner is None else ["", *inner]
        else:
            return None
        if options is None:
            return None
        results = [head + tail for head in results for tail in options]
        if len(results) > limit:
            return None
    return results


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3])[:300]


class PatternCheck(NamedTuple):
    """What compiling a codebook's patterns found."""

    errors: list[tuple[str, PatternSpec, str]]  # (code, pattern, problem): these do not compile
    slow: list[tuple[str, PatternSpec]]  # left with per-token Python predicates: they work, slowly
    fallback: list[tuple[str, PatternSpec, str]]  # (code, pattern, why) regexes with a time budget


def check_patterns(codes: Sequence[Code], *, nlp_name: str | None = None) -> PatternCheck:
    """Compile every pattern and say which fail, which are slow and which need the fallback."""
    compiled = CompiledPatterns(codes, nlp_name=nlp_name, collect_errors=True)
    return PatternCheck(compiled.errors, compiled.slow, compiled.fallback)
