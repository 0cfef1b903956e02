import pytest

from qualkit.codebook import parse_codebook
from qualkit.records import Segment, Source, Unit
from qualkit.suggest.patterns import CompiledPatterns, check_regex
from qualkit.suggest.rules import RuleSuggester, rule_score

CODEBOOK = """\
name: Rules
version: 1
codes:
  - key: offer
    name: Offer
    children:
      - key: offer.npq
        name: NPQs
        definition: National professional qualifications.
        patterns: [NPQ, NPQs, "national professional qualification*"]
      - key: offer.ecte
        name: Early career
        definition: Early career entitlement.
        patterns: [mentor*, "early career framework", {tokens: [{LOWER: ect}, {LOWER: "s", OP: "?"}]}]
  - key: culture
    name: Culture
    children:
      - key: culture.trust
        name: Trust
        definition: Trust, autonomy, accountability.
        patterns: [trust, autonomy, accountab*, {regex: "\\\\bKS[1-5]\\\\b"}]
        exclude_patterns: [multi-academy trust, "the trust's", trust-wide]
"""


@pytest.fixture(scope="module")
def suggester():
    codebook, _ = parse_codebook(CODEBOOK, path="rules.yaml")
    return RuleSuggester(codebook)


def run(suggester, text, offset=0):
    segment = Segment(id=7, document_id=1, ordinal=0, start=offset, end=offset + len(text), unit=Unit.TURN, text=text)
    return {s.code: s for s in suggester(segment)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Two staff are on an NPQ this year.", {"offer.npq": ["NPQ"]}),
        ("She is doing her npq in leading teaching.", {"offer.npq": ["npq"]}),
        ("Our head did the NPQH years ago.", {}),
        ("The National Professional Qualifications help.", {"offer.npq": ["National Professional Qualifications"]}),
        ("Mentoring and mentors matter; mentality does not.", {"offer.ecte": ["Mentoring", "mentors"]}),
        ("Every ECT and all ECTs have one.", {"offer.ecte": ["ECT"]}),
        ("Our multi-academy trust runs the training.", {}),
        ("The trust's CPD offer is trust-wide.", {}),
        ("I trust my team, even though the multi-academy trust is big.", {"culture.trust": ["trust"]}),
        ("Accountability and autonomy in KS2.", {"culture.trust": ["Accountability", "autonomy", "KS2"]}),
    ],
    ids=["phrase", "case-insensitive", "npqh-is-not-npq", "wildcard-in-phrase", "prefix-wildcard",
         "token-pattern", "exclude-org-trust", "exclude-possessive", "exclude-only-overlap", "regex"],
)
def test_rule_suggestions(suggester, text, expected):
    found = run(suggester, text)
    assert {code: [text[e.start:e.end] for e in s.evidence] for code, s in found.items()} == expected


def test_evidence_offsets_are_document_offsets(suggester):
    text = "Two staff are on an NPQ."
    [evidence] = run(suggester, text, offset=100)["offer.npq"].evidence
    assert (evidence.start, evidence.end, evidence.pattern) == (120, 123, "NPQ")


def test_score_grows_with_evidence(suggester):
    one = run(suggester, "Autonomy matters.")["culture.trust"]
    three = run(suggester, "Autonomy, accountability and trust.")["culture.trust"]
    assert one.score == rule_score(1) == 0.5
    assert three.score == rule_score(3) == 0.875
    assert one.source is Source.RULE


def test_pipe_keeps_segments_and_order(suggester):
    texts = ["NPQ", "nothing", "mentor", "trust"] * 300
    segments = [Segment(i, 1, i, 0, len(t), Unit.TURN, t) for i, t in enumerate(texts)]
    out = list(suggester.pipe(segments, batch_size=64))
    assert [seg.id for seg, _ in out] == list(range(len(texts)))
    assert [[s.code for s in suggestions] for _, suggestions in out[:4]] == [
        ["offer.npq"], [], ["offer.ecte"], ["culture.trust"]
    ]



def test_rows_are_the_stores_rows_of_the_suggestions(suggester):
    """Workers send rows built without records; they must be what the records would store."""
    from qualkit.store import suggestion_row

    texts = ["Autonomy, accountability and trust.", "nothing", "The multi-academy trust runs NPQs.",
             "Our mentors and ECTs, with KS2 “trust”.", "Two staff are on an NPQ."]
    segments = [Segment(i, 1, i, 40 * i, 40 * i + len(t), Unit.TURN, t) for i, t in enumerate(texts)]
    rows = [(segment.id, found) for segment, found in suggester.rows(segments)]
    expected = [(segment.id, [suggestion_row(s) for s in found]) for segment, found in suggester.pipe(segments)]
    assert rows == expected
    assert sum(len(found) for _, found in rows) >= 5

def test_wildcard_prefixes_that_overlap():
    codebook, _ = parse_codebook(
        """
name: Overlap
codes:
  - key: a
    name: A
    definition: short prefix
    patterns: ["profession*"]
  - key: b
    name: B
    definition: longer prefix
    patterns: ["professional develop*"]
""",
        path="x.yaml",
    )
    suggester = RuleSuggester(codebook)
    found = run(suggester, "Professionalism and professional development, professionally developed.")
    text = "Professionalism and professional development, professionally developed."
    assert [text[e.start:e.end] for e in found["a"].evidence] == ["Professionalism", "professional", "professionally"]
    assert [text[e.start:e.end] for e in found["b"].evidence] == ["professional development"]


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [(r"\bKS[1-5]\b", True), (r"(a+)+$", True), (r"(?<=x)(a+)+$", False), (r"(?=y)(\w+\s?)*x", False),
     (r"(ab|cd){2,5}", True), (r"[", False)],
    ids=["simple", "nested-plus-on-re2", "nested-plus-with-lookbehind", "nested-star-with-lookahead",
         "bounded-alternation", "unbalanced"],
)
def test_check_regex(pattern, ok):
    assert (check_regex(pattern) is None) is ok


def test_compiled_patterns_raise_on_bad_pattern():
    from qualkit.codebook import Code, PatternSpec
    from qualkit.errors import CodebookError

    code = Code("x", "X", "d", None, None, True, patterns=(PatternSpec("tokens", [{"NOPE": 1}], 3),))
    with pytest.raises(CodebookError, match="line 3: code 'x': token pattern does not compile"):
        CompiledPatterns([code])


def _codebook(patterns: str):
    text = f"""
name: Speed
codes:
  - key: x
    name: X
    definition: test
    patterns: {patterns}
"""
    codebook, warnings = parse_codebook(text, path="speed.yaml")
    return RuleSuggester(codebook), warnings


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ('[{tokens: [{LOWER: {REGEX: "^(narrow|clos)"}}, {LOWER: the}, {LOWER: gap}]}]',
         "We are closing the gap and narrowed the gap; enclosing the gap is not it.",
         ["closing the gap", "narrowed the gap"]),
        ('[{tokens: [{LOWER: {REGEX: "^prioriti[sz]"}}]}]', "We prioritise; they prioritized; priority.",
         ["prioritise", "prioritized"]),
        ('[{tokens: [{LOWER: de}, {LOWER: "-", OP: "?"}, {LOWER: {REGEX: "^escalat"}}]}]',
         "De-escalation and de escalating; escalation alone.", ["De-escalation", "de escalating"]),
        ('[{tokens: [{TEXT: {IN: [SEND, SEN]}}, {LOWER: pupils}]}]', "SEND pupils, not send pupils.", ["SEND pupils"]),
        ('[{tokens: [{LOWER: {IN: [year, yr]}}, {IS_DIGIT: true}]}]', "In Year 6 and yr 10, not year six.",
         ["Year 6", "yr 10"]),
    ],
    ids=["regex-prefix-alternation", "regex-char-class", "optional-hyphen", "case-sensitive-mixed", "slow-path"],
)
def test_token_patterns_compile_to_fast_forms_with_the_same_meaning(pattern, text, found):
    suggester, warnings = _codebook(pattern)
    [suggestion] = suggester(Segment(1, 1, 0, 0, len(text), Unit.TURN, text))
    assert [text[e.start:e.end] for e in suggestion.evidence] == found
    slow = bool(suggester.patterns.slow)
    assert slow == ("IS_DIGIT" in pattern)
    assert bool(warnings) == slow
    if slow:
        assert "uses predicates spaCy checks token by token in Python" in warnings[0]


def test_bundled_codebook_has_no_slow_patterns():
    from qualkit.codebook import load_codebook
    from tests.conftest import ROOT

    codebook, _ = load_codebook(ROOT / "codebooks" / "niot_coherent_offer.yaml")
    suggester = RuleSuggester(codebook)
    assert suggester.patterns.slow == [] and len(suggester.patterns.matcher) == 0
