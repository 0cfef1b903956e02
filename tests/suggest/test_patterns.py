"""Patterns are compiled into faster forms than spaCy's Matcher; those must mean the same.

Regex patterns skip segments that lack a literal every match contains: that must never lose a
match, whatever the text's case or script. Token patterns become phrases on LOWER and NORM,
checked token by token where case or a shared NORM could let a wrong word through: they must
find exactly what spaCy's Matcher finds with the pattern as written.
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.codebook import Code, PatternSpec
from qualkit.suggest.patterns import CompiledPatterns, required_literal

PATTERNS = [
    r"(?i)(?<!early[ -])\bcareers?\b(?! (?:advice|guidance|fair|education))",
    r"NPQ[HL]?\b",
    r"(?i)pupil\s+premium",
    r"colou?r",
    r"(?i)\bks[1-4]\b",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (PATTERNS[0], ("career", True)),
        (PATTERNS[1], ("NPQ", False)),
        (PATTERNS[2], ("premium", True)),
        (PATTERNS[3], ("colo", False)),
        (PATTERNS[4], None),  # "ks" is too short to be worth a check
        (r"abc|xyz", None),  # alternatives: neither is required
        (r"(?:mentor)+ing", ("ing", False)),  # a group may repeat: only top-level literals count
        (r"[", None),  # not a regex: no literal, the compile error is reported elsewhere
    ],
)
def test_required_literal(pattern, expected):
    assert required_literal(pattern) == expected


# Letters whose case rules are unusual: Kelvin sign, long s, dotted I, German sharp s.
TEXT = st.text(alphabet=st.sampled_from(list("careerCAREERnpqNPQHpupilPREMIUMcolourK\u212a\u017f\u0130\u00df -")),
               max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=TEXT, pattern=st.sampled_from(PATTERNS))
def test_the_literal_check_never_drops_a_match(text, pattern):
    literal = required_literal(pattern)
    if re.search(pattern, text) and literal is not None:
        needle, ignore_case = literal
        assert needle in (text.casefold() if ignore_case else text)


TOKEN_PATTERNS = [
    [{"TEXT": "SEND"}],  # exact case only
    [{"TEXT": {"IN": ["SEND", "SEN"]}}, {"LOWER": "pupils"}],  # exact and any case mixed
    [{"LOWER": "de"}, {"LOWER": "-", "OP": "?"}, {"LOWER": {"REGEX": "^escalat"}}],  # optional + prefix
    [{"LOWER": {"REGEX": "^mentor"}}],  # a prefix alone: its NORM hits need no check
    [{"LOWER": {"REGEX": "^(mentor|coach)"}}, {"LOWER": {"IN": ["meeting", "meetings"]}}],
    [{"LOWER": "the"}, {"LOWER": {"REGEX": "^mentor"}}],  # NORM for a prefix, checked LOWER for "the"
    [{"TEXT": "Mentor"}, {"LOWER": {"REGEX": "^meet"}}],  # exact case next to a wildcard: slow path
]
WORDS = ["SEND", "send", "Send", "SEN", "sen", "pupils", "Pupils", "de", "De", "-", "escalation",
         "escalating", "mentor", "Mentoring", "MENTORS", "coach", "coaching", "meeting", "meetings",
         "the", "The", "THE", "meet"]


@pytest.fixture(scope="module")
def token_codes():
    codes = [
        Code(key=f"c{index}", name=f"C{index}", definition="test", parent=None, stage=None, codable=True,
             patterns=(PatternSpec("tokens", pattern, line=index + 1),))
        for index, pattern in enumerate(TOKEN_PATTERNS)
    ]
    compiled = CompiledPatterns(codes)
    from spacy.matcher import Matcher

    reference = Matcher(compiled.nlp.vocab)
    for index, pattern in enumerate(TOKEN_PATTERNS):
        reference.add(f"c{index}", [pattern])
    return compiled, reference


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), max_size=12))
def test_compiled_token_patterns_find_what_spacys_matcher_finds(token_codes, words):
    compiled, reference = token_codes
    text = " ".join(words)
    doc = compiled.nlp(text)
    fast = sorted((m.code, m.start, m.end) for m in compiled.matches(doc, text))
    strings = compiled.nlp.vocab.strings
    expected = sorted(
        (strings[match_id], doc[start:end].start_char, doc[start:end].end_char)
        for match_id, start, end in reference(doc)
    )
    assert fast == expected
