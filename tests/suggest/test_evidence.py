"""Evidence shown as the matched words with offsets, never the pattern's source."""

from __future__ import annotations

from qualkit.records import Evidence
from qualkit.suggest.evidence import describe, describe_all

TEXT = "We stopped graded observations. Performance management is now about growth, not accountability."
OFFSET = 1000  # the segment starts at document offset 1000


def _at(word: str) -> tuple[int, int]:
    start = TEXT.index(word) + OFFSET
    return start, start + len(word)


def test_describe_rule_evidence_quotes_the_words_not_the_pattern():
    start, end = _at("Performance management")
    shown = describe(Evidence(start, end, '{tokens: [{"LOWER": "performance"}, {"LOWER": "management"}]}'), TEXT,
                     offset=OFFSET)
    assert shown == f"“Performance management” @{start}-{end}"
    assert "LOWER" not in shown and "tokens" not in shown


def test_describe_model_evidence_gives_its_weight():
    start, end = _at("accountability")
    assert describe(Evidence(start, end, "model +0.31"), TEXT, offset=OFFSET) == \
        f"“accountability” @{start}-{end} (model +0.31)"


def test_describe_old_model_evidence_and_spans_outside_the_text():
    start, end = _at("growth")
    assert describe((start, end, "growth (+0.05)"), TEXT, offset=OFFSET) == f"“growth” @{start}-{end} (model +0.05)"
    assert describe((5, 9, "accountab*"), TEXT, offset=OFFSET) == "@5-9"  # not in this text: offsets only
    assert describe((5, 9, "growth (+0.05)"), TEXT, offset=OFFSET) == "“growth” @5-9 (model +0.05)"


def test_describe_all_orders_limits_and_shortens():
    long_text = "word " * 40
    items = [Evidence(0, len(long_text) - 1, "x")] + [Evidence(i * 5, i * 5 + 4, "p") for i in range(9, 0, -1)]
    shown = describe_all(items, long_text, limit=3)
    parts = shown.split("; ")
    assert len(parts) == 4 and parts[-1] == "(+7 more)"
    assert parts[0].startswith("“word word") and "…" in parts[0] and len(parts[0]) < 90
    assert parts[1] == "“word” @5-9"  # text order


def test_describe_keeps_the_query_of_a_search_hit():
    from qualkit.suggest.evidence import describe

    text = "Two staff are on the NPQ."
    at = text.index("NPQ")
    assert describe((at, at + 3, "search: npq* OR team"), text) == f"“NPQ” @{at}-{at + 3} (search: npq* OR team)"
