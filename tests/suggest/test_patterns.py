"""Regex patterns skip segments that lack a literal every match contains; that must never
lose a match, whatever the text's case or script."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.suggest.patterns import required_literal

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
