"""Compile a codebook's patterns into spaCy matchers, once per run.

Pattern language (see the codebook docs):

* ``"initial teacher training"`` — a phrase, case-insensitive and token-aware
  (``NPQ`` does not fire inside ``NPQH``): one ``PhraseMatcher`` on ``LOWER`` holds them all.
* ``"mentor*"`` / ``"professional develop*"`` — a word ending in ``*`` is a prefix wildcard.
* ``{tokens: [...]}`` — a spaCy ``Matcher`` token pattern, validated by spaCy.
* ``{regex: "..."}`` — a Python regex on the text, only where tokens cannot do it; refused
  when it could backtrack catastrophically (a repeat inside a repeat).
* ``{lemma: word}`` — needs a pipeline with a lemmatizer (``nlp:`` in the codebook).

Prefix wildcards are made cheap by giving every word that starts with a wildcard's prefix a
``NORM`` that names the longest such prefix. spaCy computes lexeme attributes once per
distinct word, so a wildcard costs a set lookup per token instead of a regex per token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qualkit.codebook import Code, PatternSpec
from qualkit.errors import CodebookError

_PREFIX_MARK = "\u2063qk-prefix:"  # an invisible separator no real word starts with
_TOKEN_ATTRS_NEEDING = {
    "LEMMA": "lemmatizer", "POS": "tagger", "TAG": "tagger", "MORPH": "morphologizer",
    "DEP": "parser", "ENT_TYPE": "ner", "ENT_IOB": "ner", "SENT_START": "senter",
}
MAX_REGEX_LENGTH = 500


@dataclass(frozen=True)
class Match:
    """A pattern that fired: character offsets into the matched text."""

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
    """Why a regex is refused, or None. Refuses what cannot compile and nested repeats."""
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
    if _nested_repeat(sre_parse.parse(pattern), inside_repeat=False):
        return (
            f"regex {pattern!r} repeats a group that itself repeats (like (a+)+), which can take "
            "exponential time on some text; rewrite it without the nested repeat, or use a "
            "token pattern"
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
    """Every pattern of a set of codes, compiled into one PhraseMatcher, one Matcher and regexes."""

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
        self._install_prefix_norms(
            {prefix for _, spec, _ in entries if spec.kind == "phrase" for prefix in self._prefixes(spec)}
        )
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = Matcher(self.nlp.vocab, validate=True)
        self.regexes: list[tuple[str, PatternSpec, bool, re.Pattern]] = []
        self.labels: dict[int, tuple[str, str, bool]] = {}
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

    # -- compiling -------------------------------------------------------------------------

    def _prefixes(self, spec: PatternSpec) -> Iterable[str]:
        for word in str(spec.value).split():
            if word.endswith("*") and len(word) > 1:
                yield self.nlp.make_doc(word[:-1])[-1].lower_

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

    def _phrase_tokens(self, phrase: str) -> list[dict]:
        tokens: list[dict] = []
        for word in phrase.split():
            wildcard = word.endswith("*")
            pieces = [t.lower_ for t in self.nlp.make_doc(word[:-1] if wildcard else word)]
            tokens += [{"LOWER": piece} for piece in pieces[:-1]]
            last = pieces[-1]
            if wildcard:
                # NORM is the longest registered prefix a word starts with; a word starts with
                # `last` exactly when that longest prefix extends `last`.
                norms = [_PREFIX_MARK + p for p in self.prefixes if p.startswith(last)]
                tokens.append({"NORM": {"IN": norms}})
            else:
                tokens.append({"LOWER": last})
        return tokens

    def _add(self, index: int, code: str, spec: PatternSpec, exclude: bool) -> None:
        match_id = f"qk{index}"  # matchers report it back as its hash
        self.labels[self.nlp.vocab.strings.add(match_id)] = (code, spec.label, exclude)
        if spec.kind == "phrase":
            phrase = " ".join(str(spec.value).split())
            if "*" in phrase:
                if any("*" in word[:-1] for word in phrase.split()):
                    raise CodebookError(f"pattern {phrase!r}: '*' may only end a word (a prefix wildcard)")
                self.matcher.add(match_id, [self._phrase_tokens(phrase)])
            else:
                self.phrases.add(match_id, [self.nlp.make_doc(phrase)])
        elif spec.kind == "tokens":
            pattern = spec.value
            if not (isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)):
                raise CodebookError("a tokens pattern is a list of token dicts, e.g. [{LOWER: npq}]")
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
            try:
                self.matcher.add(match_id, [pattern])
            except Exception as exc:  # spaCy raises ValueError/MatchPatternError with details
                raise CodebookError(f"token pattern does not compile: {_first_line(exc)}") from None
        elif spec.kind == "regex":
            problem = check_regex(spec.value)
            if problem:
                raise CodebookError(problem)
            self.regexes.append((code, spec, exclude, re.compile(spec.value)))
        elif spec.kind == "lemma":
            if not (self.nlp.has_pipe("lemmatizer") or self.nlp.has_pipe("trainable_lemmatizer")):
                raise CodebookError(_lemma_message(self.nlp))
            self.matcher.add(match_id, [[{"LEMMA": str(spec.value).lower()}]])
        else:  # pragma: no cover - the codebook loader only makes the kinds above
            raise CodebookError(f"unknown pattern kind {spec.kind!r}")

    # -- matching --------------------------------------------------------------------------

    def matches(self, doc) -> list[Match]:
        """Every pattern match in a spaCy Doc, as character offsets into ``doc.text``."""
        found = []
        for match_id, start, end in [*self.phrases(doc), *self.matcher(doc)]:
            code, label, exclude = self.labels[match_id]
            span = doc[start:end]
            found.append(Match(code, span.start_char, span.end_char, label, exclude))
        for code, spec, exclude, regex in self.regexes:
            for hit in regex.finditer(doc.text):
                if hit.end() > hit.start():
                    found.append(Match(code, hit.start(), hit.end(), spec.label, exclude))
        return found


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3])[:300]


def check_patterns(codes: Sequence[Code], *, nlp_name: str | None = None) -> list[tuple[str, PatternSpec, str]]:
    """(code key, pattern, problem) for every pattern of ``codes`` that does not compile."""
    return CompiledPatterns(codes, nlp_name=nlp_name, collect_errors=True).errors
