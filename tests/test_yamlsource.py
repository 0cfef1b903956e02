"""Safe YAML: anchors, aliases and deep nesting are refused from the event stream, with a line."""

import pytest

from qualkit.errors import YamlSourceError
from qualkit.yamlsource import MAX_DEPTH, load_yaml


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (billion_laughs(), 1),
        ("name: x\ncodes: &loop [*loop]\n", 2),  # an alias inside its own anchor: a cycle
        ("name: x\ndefinition: plain\nexamples:\n  - &e one\n  - *e\n", 4),
        ("name: x\nbase: {a: 1}\nmore:\n  <<: *base\n", 4),  # a merge key needs an alias too
    ],
    ids=["billion-laughs", "recursive-alias", "anchor-on-a-scalar", "merge-key"],
)
def test_load_yaml_refuses_anchors_and_aliases_with_the_line(text, line):
    with pytest.raises(YamlSourceError) as raised:
        load_yaml(text)
    assert str(raised.value) == (
        "YAML anchors and aliases (&/*) are not allowed in a codebook; repeat the text instead"
    )
    assert raised.value.line == line


def test_load_yaml_refuses_deep_nesting_without_recursing():
    deep = "x: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(YamlSourceError, match=f"nested more than {MAX_DEPTH} levels deep") as raised:
        load_yaml(deep)
    assert raised.value.line == 1
    shallow = "x: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    value = load_yaml(shallow).data["x"]
    for _ in range(MAX_DEPTH - 2):
        value = value[0]
    assert value == [1]


def test_load_yaml_keeps_lines_and_data_of_plain_yaml():
    source = load_yaml("name: Mini\ncodes:\n  - key: a\n    patterns: [x, 'y']\n")
    assert source.data == {"name": "Mini", "codes": [{"key": "a", "patterns": ["x", "y"]}]}
    assert source.line(("codes", 0, "patterns", 1)) == 4
    assert source.line(("codes", 0, "key")) == 3
