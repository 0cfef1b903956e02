"""Codebook regexes run in bounded time and find exactly what Python's ``re`` finds.

RE2 runs every pattern it can express with re's meaning; the rest run on the ``regex`` module
with a time budget that ends in a clear error. The references here are ``re`` itself (on texts
short enough for it) and, for the hostile patterns, a subprocess with a generous timeout.
"""

import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qualkit.codebook import Code, PatternSpec
from qualkit.errors import PatternTimeoutError
from qualkit.suggest.bounded_regex import RegexEngine, compile_bounded, needs_fallback
from qualkit.suggest.patterns import CompiledPatterns

# The five patterns issue 17 found accepted and hanging `code`, each with a paragraph crafted
# to make a backtracking engine take exponential time (the last is a near miss for each).
CATASTROPHIC = [
    (r"(a|aa)+$", "a" * 5000 + "b"),
    (r"(\s|.)*x", " " * 20000),
    (r"(?i)(mentor|mentors?)+$", "mentors" * 3000 + "!"),
    (r"(a|ab|b)+$", "ab" * 5000 + "c"),
    (r"(x|x?)+y", "x" * 20000),
]


def _spans(pattern: str, text: str) -> list[tuple[int, int]]:
    return [hit.span() for hit in re.finditer(pattern, text) if hit.end() > hit.start()]


@pytest.mark.parametrize(("pattern", "text"), CATASTROPHIC, ids=[p for p, _ in CATASTROPHIC])
def test_compile_bounded_runs_catastrophic_patterns_on_re2_and_finishes(pattern, text):
    assert needs_fallback(pattern) is None
    assert compile_bounded(pattern).engine is RegexEngine.RE2
    script = textwrap.dedent(f"""
        from qualkit.suggest.bounded_regex import compile_bounded
        spans = list(compile_bounded({pattern!r}).spans({text!r}))
        spans += list(compile_bounded({pattern!r}).spans({text[:6] + text[-3:]!r}))
        print(spans)
    """)
    # generous: RE2 takes milliseconds; re would take longer than the universe has left
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    short = text[:6] + text[-3:]
    assert done.stdout.strip() == str(_spans(pattern, short))  # the short text: re can check it


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(?i)(?<!early[ -])\bcareers?\b", "lookaround"),
        (r"(\w)\1", "a backreference"),
        (r"a++b", "a possessive repeat"),
        (r"x\by", r"a \b or \B inside the pattern"),
        (r"\b.x", r"a \b or \B next to text that may or may not be a word character"),
        (r"a$b", "a $ before the end"),
        (r"x*", "a match that may be empty"),
        (r"a{2000}", "a counted repeat above 1000"),
        (r"(?ai)k", "(?a) with (?i)"),
    ],
    ids=["lookbehind", "backreference", "possessive", "inner-boundary", "mixed-boundary", "inner-dollar",
         "empty", "huge-repeat", "ascii-ignorecase"],
)
def test_compile_bounded_falls_back_and_says_why(pattern, why):
    bounded = compile_bounded(pattern)
    assert bounded.engine is RegexEngine.FALLBACK
    assert bounded.why_fallback is not None and bounded.why_fallback.startswith(why)
    assert needs_fallback(pattern) == bounded.why_fallback


def test_compile_bounded_offsets_are_code_points_in_non_ascii_text():
    text = "naïve – café 😀 Café! ıstanbul İzmir KS2, ks3 résumé"
    for pattern in [r"caf\w", r"(?i)caf[eé]", r"\bKS[1-5]\b", r"(?i)\bks[1-5]\b", r"😀\s\w+", r"\w+é\b",
                    r"(?i)i\w+", r"(?i)[h-j]zmir", r"\S+$", r"na\wve\b"]:
        bounded = compile_bounded(pattern)
        assert bounded.engine is RegexEngine.RE2, pattern
        found = list(bounded.spans(text))
        assert found == _spans(pattern, text), pattern
        assert found, pattern  # each of these finds something in the text
    assert [text[s:e] for s, e in compile_bounded(r"caf\w").spans(text)] == ["café"]
    assert [text[s:e] for s, e in compile_bounded(r"(?i)\bi\w+").spans(text)] == ["ıstanbul", "İzmir"]


def test_compile_bounded_fallback_stops_with_a_clear_error_on_a_pathological_text():
    pattern = r"(?<=x)(a|aa)+$"  # lookbehind: fallback; no nested repeat, so the check lets it by
    bounded = compile_bounded(pattern)
    assert bounded.engine is RegexEngine.FALLBACK
    assert list(bounded.spans("xaaa")) == [(1, 4)]
    with pytest.raises(PatternTimeoutError) as raised:
        list(bounded.spans("x" + "a" * 60 + "b"))
    assert raised.value.pattern == pattern
    assert f"regex {pattern!r} took longer than 1 s on a text of 62 characters" in str(raised.value)


def test_compiled_patterns_timeout_names_code_pattern_and_segment():
    pattern = r"(?<=x)(a|aa)+$"
    code = Code("culture.trust", "Trust", "d", None, None, True, patterns=(PatternSpec("regex", pattern, 7),))
    compiled = CompiledPatterns([code])
    assert [(code, spec.value) for code, spec, _ in compiled.fallback] == [("culture.trust", pattern)]
    text = "x" + "a" * 60 + "b"
    with pytest.raises(PatternTimeoutError) as raised:
        compiled.matches(compiled.nlp.make_doc(text), text, segment="segment 12 of 'brookfield_leader.txt'")
    message = str(raised.value)
    assert message.startswith(
        f"code 'culture.trust', segment 12 of 'brookfield_leader.txt': regex {pattern!r} took longer than 1 s"
    )
    assert "\n" not in message


# --- the translation means what re means ----------------------------------------------------------

ALPHABET = list("abxyAB iIıİéÉ_1٣\n-.😀K\u212as\u017f")
ATOMS = ["a", "b", "x", "i", "I", "é", "ı", "İ", "K", r"\.", ".", r"\w", r"\W", r"\d", r"\D", r"\s", r"\S",
         "[a-c]", "[^a]", r"[^\W\d]", "[ié]", r"[\w-]", "[h-j]", r"[^\s]", "(?:ab|a)", "(?:x|y|)"]
QUANTIFIERS = ["", "", "", "*", "+", "?", "{1,3}", "*?", "+?", "??", "{2}"]


@st.composite
def _patterns(draw):
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        atom = draw(st.sampled_from(ATOMS))
        if draw(st.integers(0, 4)) == 0:  # a group of two atoms, sometimes an alternation
            other = draw(st.sampled_from(ATOMS))
            atom = f"(?:{atom}{draw(st.sampled_from(['', '|']))}{other})"
        pieces.append(atom + draw(st.sampled_from(QUANTIFIERS)))
    body = "".join(pieces)
    head = draw(st.sampled_from(["", "", r"\b", r"\B", "^"]))
    tail = draw(st.sampled_from(["", "", r"\b", r"\B", "$"]))
    flags = draw(st.sampled_from(["", "", "(?i)", "(?m)", "(?s)", "(?is)", "(?a)"]))
    return flags + head + body + tail


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_patterns(), text=st.text(alphabet=ALPHABET, max_size=14))
def test_compile_bounded_finds_exactly_what_re_finds(pattern, text):
    try:
        re.compile(pattern)
    except re.error:
        assume(False)
    bounded = compile_bounded(pattern)
    if bounded.engine is RegexEngine.FALLBACK:  # the regex module folds the Turkish i's apart
        assume("\u0131" not in pattern + text and "\u0130" not in pattern + text)
    assert list(bounded.spans(text)) == _spans(pattern, text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=30))
def test_compile_bounded_runs_ordinary_patterns_on_re2(text):
    # the common shapes of codebook regexes all run on the linear-time engine
    for pattern in [r"\bKS[1-5]\b", r"(?i)\bcareers?\b", r"NPQ[HL]?\b", r"(?i)pupil\s+premium", r"colou?r",
                    r"\w+", r"(?i)[a-z]+\d"]:
        bounded = compile_bounded(pattern)
        assert bounded.engine is RegexEngine.RE2
        assert list(bounded.spans(text)) == _spans(pattern, text)


def test_compile_bounded_handles_a_lone_surrogate():
    text = "caf\udce9 café"  # what surrogateescape leaves of a bad byte: not encodable UTF-8
    assert list(compile_bounded(r"caf\w").spans(text)) == _spans(r"caf\w", text) == [(5, 9)]
