"""Safe YAML loading that remembers where every value came from.

``yaml.safe_load`` constructs only plain data (no arbitrary objects) but forgets line numbers
and silently keeps the last of two duplicate keys. Here the text is composed into nodes, so
every value's line is known and duplicate keys are an error, and the nodes into data.

Anchors and aliases (``&name`` / ``*name``) are refused before anything is composed: a few
hundred bytes of nested aliases expand into gigabytes ("billion laughs"), and an alias inside
its own anchor makes a cycle. So is nesting deeper than :data:`MAX_DEPTH`, which would
otherwise end in a RecursionError. Both checks read the parser's event stream, which is linear
in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from qualkit.errors import YamlSourceError

KeyPath = tuple  # a path into the data: ("codes", 0, "children", 2, "definition")
MAX_DEPTH = 40  # mappings and lists inside each other; a codebook needs about a dozen


@dataclass(frozen=True)
class YamlSource:
    """Parsed data plus the 1-based line of every mapping key, list item and value."""

    data: object
    lines: dict[KeyPath, int]

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def load_yaml(text: str, *, what: str = "a codebook") -> YamlSource:
    """Parse ``text``; :class:`YamlSourceError` (with a line) if it is not valid or not safe YAML."""
    if "\t" in text:
        for number, line in enumerate(text.splitlines(), start=1):
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlSourceError("a tab in the indentation; YAML indents with spaces only", number)
    # libyaml's C loader when PyYAML has it: same safe constructors, many times faster
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_events(text, loader_class, what=what)
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if "\t" in problem or "'\\t'" in problem:
            problem = "a tab character; YAML indents with spaces only"
        raise YamlSourceError(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(f"not valid YAML: {exc}", None) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlSource(data=data, lines=lines)


def _check_events(text: str, loader_class, *, what: str) -> None:
    """Refuse anchors, aliases and deep nesting, reading events only (nothing is expanded)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlSourceError(
                f"YAML anchors and aliases (&/*) are not allowed in {what}; repeat the text instead",
                event.start_mark.line + 1 if event.start_mark else None,
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlSourceError(
                    f"lists and mappings nested more than {MAX_DEPTH} levels deep; flatten the file",
                    event.start_mark.line + 1 if event.start_mark else None,
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlSourceError(
                    f"duplicate key {key!r} (first on line {seen[key]}); keep one of them", line
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)
