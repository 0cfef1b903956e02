import pytest

from qualkit.codebook import load_codebook, parse_codebook
from qualkit.errors import CodebookError
from tests.conftest import DATA, ROOT

GOOD = """\
name: Mini
version: 1
codes:
  - key: culture
    name: School culture
    stage: mechanism
    codable: false
    children:
      - key: culture.trust
        name: Trust
        definition: Staff are trusted to use professional judgement.
        patterns: [autonomy, trusted to]
toc:
  stages: [mechanism]
  links: []
"""


def parse(text):
    return parse_codebook(text, path="cb.yaml")


def test_parse_good_codebook():
    codebook, warnings = parse(GOOD)
    assert warnings == []
    assert codebook.keys == ("culture", "culture.trust")
    trust = codebook.code("culture.trust")
    assert (trust.parent, trust.stage, trust.codable) == ("culture", "mechanism", True)
    assert [p.value for p in trust.patterns] == ["autonomy", "trusted to"]
    assert trust.patterns[0].line == 12
    assert codebook.theme("culture.trust") == "culture"


def test_hash_ignores_comments_and_layout_but_not_content():
    block = "patterns:\n          - autonomy  # staff\n          - trusted to"
    reformatted = GOOD.replace("patterns: [autonomy, trusted to]", block)
    assert parse(reformatted)[0].sha256 == parse(GOOD)[0].sha256
    assert parse(GOOD.replace("autonomy", "autonomous"))[0].sha256 != parse(GOOD)[0].sha256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("definition: Staff", "defintion: Staff"),
         "cb.yaml:11: code 'culture.trust': unknown field 'defintion' in a code (did you mean 'definition'?)"),
        (("key: culture.trust", "key: Culture.Trust"), "cb.yaml:9: code 'Culture.Trust': malformed key"),
        (("  links: []", "  links:\n    - {from: culture, to: culture.trsut}"),
         "cb.yaml:16: link refers to code 'culture.trsut', which is not defined (did you mean 'culture.trust'?)"),
        (("definition: Staff are trusted to use professional judgement.", "definition: ''"),
         "cb.yaml:9: code 'culture.trust': empty definition"),
        (("patterns: [autonomy, trusted to]", "patterns: [{regex: '(?<=x)(a+)+b'}]"),
         "cb.yaml:12: code 'culture.trust': regex '(?<=x)(a+)+b' repeats a group that itself repeats"),
        (("patterns: [autonomy, trusted to]", "patterns: [{regex: '(unclosed'}]"),
         "cb.yaml:12: code 'culture.trust': regex '(unclosed' does not compile"),
        (("patterns: [autonomy, trusted to]", "patterns: [{tokens: [{LOWRE: trust}]}]"),
         "cb.yaml:12: code 'culture.trust': token pattern does not compile"),
        (("patterns: [autonomy, trusted to]", "patterns: [{lemma: trust}]"),
         "cb.yaml:12: code 'culture.trust': lemma patterns need a spaCy pipeline with a lemmatizer, "
         "and spacy.blank('en') has none"),
        (("stage: mechanism\n", "stage: mechanisms\n"),
         "cb.yaml:6: code 'culture': stage 'mechanisms' is not in toc.stages (did you mean 'mechanism'?)"),
        (("    codable: false\n", "    codable: false\n    parent: cultre\n"),
         "code 'culture': parent 'cultre' is not defined"),
        (("version: 1\n", "version: 1\nversion: 2\n"), "cb.yaml:3: duplicate key 'version' (first on line 2)"),
    ],
    ids=["typo-field", "malformed-key", "unknown-link", "empty-definition", "catastrophic-regex",
         "bad-regex", "bad-token-pattern", "lemma-without-lemmatizer", "unknown-stage",
         "unknown-parent", "duplicate-top-key"],
)
def test_codebook_errors_name_file_line_key(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(CodebookError) as raised:
        parse(GOOD.replace(old, new, 1))
    assert message in str(raised.value)


def test_duplicate_key_line_is_reported():
    text = GOOD.replace("  links: []", "  links: []") + ""
    text = text.replace(
        "        patterns: [autonomy, trusted to]\n",
        "        patterns: [autonomy, trusted to]\n      - key: culture.trust\n        name: Again\n"
        "        definition: Twice.\n",
    )
    expected = r"cb\.yaml:13: code 'culture\.trust': duplicate key \(first defined on line 9\)"
    with pytest.raises(CodebookError, match=expected):
        parse(text)


def test_duplicate_mapping_key_and_tabs_and_not_yaml():
    with pytest.raises(CodebookError, match=r"cb\.yaml:11: duplicate key 'name' \(first on line 10\)"):
        parse(GOOD.replace("        name: Trust\n", "        name: Trust\n        name: Trust again\n"))
    with pytest.raises(CodebookError, match=r"cb\.yaml:5: a tab in the indentation"):
        parse(GOOD.replace("    name: School culture", "\tname: School culture"))
    with pytest.raises(CodebookError, match=r"cb\.yaml:1: a codebook is a mapping"):
        parse("just a sentence, not a codebook")
    with pytest.raises(CodebookError, match=r"cb\.yaml:2: not valid YAML"):
        parse("name: [unclosed\ncodes: {")


def test_yaml_is_loaded_safely():
    with pytest.raises(CodebookError, match="not valid YAML"):
        parse("name: !!python/object/apply:os.system ['echo pwned']\ncodes: []\n")


def test_all_errors_reported_together():
    text = GOOD.replace("definition: Staff", "defintion: Staff").replace("color", "colour")
    text = text.replace("  links: []", "  links:\n    - {from: nowhere, to: culture}")
    with pytest.raises(CodebookError) as raised:
        parse(text)
    assert len(str(raised.value).splitlines()) >= 3


def test_shared_pattern_is_a_warning():
    text = GOOD.replace(
        "        patterns: [autonomy, trusted to]\n",
        "        patterns: [autonomy, trusted to]\n      - key: culture.learning\n        name: Learning\n"
        "        definition: Professional learning culture.\n        patterns: [Autonomy]\n",
    )
    _, warnings = parse(text)
    assert warnings == [
        "cb.yaml:16: code 'culture.learning': pattern 'Autonomy' is also a pattern of 'culture.trust'; "
        "a passage matching it gets both codes"
    ]


def test_load_codebook_missing_file(tmp_path):
    with pytest.raises(CodebookError, match=r"missing\.yaml: no such codebook file"):
        load_codebook(tmp_path / "missing.yaml")


def test_mini_fixture_loads():
    codebook, _ = load_codebook(DATA / "mini_codebook.yaml")
    assert [c.key for c in codebook.codable] == ["offer.npq", "offer.ecte", "culture.trust"]


def test_bundled_codebook_is_valid_and_complete():
    codebook, warnings = load_codebook(ROOT / "codebooks" / "niot_coherent_offer.yaml")
    expected = {
        "offer": ["itt", "ecte", "npq", "school_led", "networks"],
        "decision": ["context", "capacity", "quality"],
        "culture": ["collaboration", "learning", "trust", "wellbeing"],
        "teaching": ["evidence", "inclusion", "pedagogy", "behaviour"],
        "outcomes": ["attainment", "engagement", "wellbeing", "equity"],
    }
    themes = {c.key: c for c in codebook.codes if c.parent is None}
    assert set(themes) == set(expected)
    assert {k: t.stage for k, t in themes.items()} == {
        "offer": "input", "decision": "moderator", "culture": "mechanism",
        "teaching": "mechanism", "outcomes": "outcome",
    }
    for theme, leaves in expected.items():
        assert not themes[theme].codable
        assert [c.key for c in codebook.children(theme)] == [f"{theme}.{leaf}" for leaf in leaves]
    for code in codebook.codable:
        assert code.definition and code.include and code.exclude
        assert len(code.examples) >= 2 and len(code.patterns) >= 5, code.key
    links = {(link.source, link.target, link.moderates) for link in codebook.links}
    assert links == {
        ("offer", "culture", None), ("offer", "teaching", None), ("culture", "teaching", None),
        ("teaching", "outcomes", None), ("decision", None, ("offer", "culture")),
    }
    # every pattern runs on RE2 (its one former lookbehind became a regex plus exclude patterns)
    assert warnings == []


def test_codebook_with_an_alias_is_refused_with_file_and_line():
    text = GOOD.replace("definition: Staff are", "definition: &d Staff are")
    with pytest.raises(CodebookError) as raised:
        parse(text)
    assert str(raised.value) == (
        "cb.yaml:11: YAML anchors and aliases (&/*) are not allowed in a codebook; repeat the text instead"
    )


def _many_codes(count: int) -> str:
    codes = "".join(f"  - key: c{n}\n    name: C{n}\n    definition: d\n" for n in range(count))
    return f"name: Big\ncodes:\n{codes}"


def _nested(depth: int) -> str:
    lines, indent = ["name: Deep", "codes:"], "  "
    for level in range(depth):
        lines += [f"{indent}- key: k{level}", f"{indent}  name: K", f"{indent}  definition: d", f"{indent}  children:"]
        indent += "    "
    lines[-1] = lines[-1].replace("children:", "codable: true")
    return "\n".join(lines) + "\n"


def test_codebook_size_limits(tmp_path):
    from qualkit import codebook as module

    assert parse(_many_codes(module.MAX_CODES))[0].keys[-1] == f"c{module.MAX_CODES - 1}"
    with pytest.raises(CodebookError, match=r"^cb\.yaml: more than 2,000 codes; a codebook may hold at most 2,000"):
        parse(_many_codes(module.MAX_CODES + 1))

    assert len(parse(_nested(module.MAX_CODE_DEPTH))[0].codes) == module.MAX_CODE_DEPTH
    with pytest.raises(CodebookError, match=r"^cb\.yaml:\d+: codes nested more than 10 levels deep"):
        parse(_nested(module.MAX_CODE_DEPTH + 1))

    many = "[" + ", ".join(f"w{n}" for n in range(module.MAX_PATTERNS_PER_CODE + 1)) + "]"
    with pytest.raises(CodebookError, match=r"cb\.yaml:12: code 'culture\.trust': 1,001 patterns; a code may have"):
        parse(GOOD.replace("[autonomy, trusted to]", many))

    long_phrase = "word " * 300
    with pytest.raises(CodebookError, match=r"cb\.yaml:12: code 'culture\.trust': a pattern of 1,500 characters"):
        parse_codebook(GOOD.replace("[autonomy, trusted to]", f"['{long_phrase}']"), path="cb.yaml",
                       compile_patterns=False)
    tokens = "{tokens: [" + ", ".join(["{LOWER: a}"] * 51) + "]}"
    with pytest.raises(CodebookError, match=r"a token pattern of 51 tokens \(at most 50\)"):
        parse(GOOD.replace("[autonomy, trusted to]", f"[{tokens}]"))

    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "#" * module.MAX_CODEBOOK_BYTES)
    with pytest.raises(CodebookError, match=r"big\.yaml: the codebook file is 5,000,\d+ bytes, more than the 5,0"):
        load_codebook(big)
