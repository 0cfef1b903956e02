"""Codebooks: YAML → validated, immutable :class:`Codebook` with a content hash.

Every error names the file, the line and the code key, and suggests the near spelling.
All problems in a file are reported together, so a researcher fixes them in one pass.

A codebook may come from anyone, so its size is bounded before any work is done on it: the
file, the number of codes and patterns, the length of a pattern and the depth of the code tree
(the ``MAX_*`` constants; the bundled codebook uses a small fraction of each).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.errors import CodebookError, YamlSourceError, did_you_mean
from qualkit.yamlsource import KeyPath, YamlSource, load_yaml

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

TOP_FIELDS = {"name", "version", "description", "codes", "toc", "nlp", "origin"}
CODE_FIELDS = {
    "key", "name", "definition", "include", "exclude", "examples", "patterns",
    "exclude_patterns", "color", "stage", "codable", "children", "parent",
    "renamed_from", "merged_from", "split_from",  # history: what the code was (qualkit.codechanges)
}
TOC_FIELDS = {"stages", "links"}
LINK_FIELDS = {"from", "to", "label", "moderates"}
PATTERN_KINDS = {"tokens", "regex", "lemma", "phrase"}

MAX_CODEBOOK_BYTES = 5_000_000
MAX_CODES = 2_000
MAX_CODE_DEPTH = 10  # theme > code > sub-code ...: levels of children
MAX_PATTERNS_PER_CODE = 1_000  # in each of patterns and exclude_patterns
MAX_PATTERNS = 50_000  # in the whole codebook
MAX_PATTERN_LENGTH = 1_000  # characters of a phrase, regex or lemma
MAX_PATTERN_TOKENS = 50  # token dicts in a {tokens: [...]} pattern


@dataclass(frozen=True)
class PatternSpec:
    """One entry of ``patterns`` / ``exclude_patterns`` as written, before compiling.

    kind: ``phrase`` (case-insensitive, token by token; ``word*`` is a prefix wildcard),
    ``tokens`` (a spaCy Matcher token pattern), ``regex`` or ``lemma``.
    """

    kind: str
    value: object
    line: int | None

    @property
    def label(self) -> str:
        """How the pattern is shown as evidence: as the researcher wrote it."""
        if self.kind == "phrase":
            return str(self.value)
        return f"{self.kind}: {json.dumps(self.value, ensure_ascii=False)}"


@dataclass(frozen=True)
class Code:
    key: str
    name: str
    definition: str
    parent: str | None
    stage: str | None
    codable: bool
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    patterns: tuple[PatternSpec, ...] = ()
    exclude_patterns: tuple[PatternSpec, ...] = ()
    color: str | None = None
    line: int | None = None
    # where the code came from, so an edited file loads as the same codes (see qualkit.codechanges)
    renamed_from: str | None = None  # its key before: its work follows it
    merged_from: tuple[str, ...] = ()  # codes folded into it: their work follows
    split_from: str | None = None  # a code it was split from: it starts empty, the old one keeps its work


@dataclass(frozen=True)
class Link:
    """A theory-of-change link: ``source`` → ``target``, or ``source`` moderating a link."""

    source: str
    target: str | None
    label: str = ""
    moderates: tuple[str, str] | None = None
    line: int | None = None


@dataclass(frozen=True)
class Codebook:
    name: str
    version: int | str
    description: str
    codes: tuple[Code, ...]  # in file order, parents before children
    stages: tuple[str, ...]
    links: tuple[Link, ...]
    sha256: str
    source: str  # the YAML text as loaded
    path: str
    nlp: str | None = None  # a named spaCy pipeline; None = spacy.blank("en")

    def code(self, key: str) -> Code:
        for code in self.codes:
            if code.key == key:
                return code
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(code.key for code in self.codes)

    def children(self, key: str | None) -> tuple[Code, ...]:
        return tuple(code for code in self.codes if code.parent == key)

    def theme(self, key: str) -> str:
        """The top-level code a code sits under (itself, for a theme)."""
        code = self.code(key)
        while code.parent:
            code = self.code(code.parent)
        return code.key

    @property
    def codable(self) -> tuple[Code, ...]:
        return tuple(code for code in self.codes if code.codable)


def is_under(code: str, keys) -> bool:
    """Whether ``code`` is one of ``keys`` or sits under one ("culture.trust" is under "culture")."""
    return any(code == key or code.startswith(key + ".") for key in keys)


def content_hash(data: object) -> str:
    """SHA-256 of the codebook's content, not its formatting: comments and layout don't count."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Problems:
    """Collects every problem in a codebook file, each as ``file:line: key: message``."""

    def __init__(self, path: str, source: YamlSource):
        self.path, self.source = path, source
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.pattern_count = 0
        # a codebook imported from another program (`origin:`) may lack definitions: a warning then
        self.definitions_required = True

    def _format(self, where: KeyPath, key: str | None, message: str) -> str:
        line = self.source.line(where)
        location = f"{self.path}:{line}" if line else self.path
        return f"{location}: {f'code {key!r}: ' if key else ''}{message}"

    def error(self, where: KeyPath, key: str | None, message: str) -> None:
        self.errors.append(self._format(where, key, message))

    def warn(self, where: KeyPath, key: str | None, message: str) -> None:
        self.warnings.append(self._format(where, key, message))


def load_codebook(path: str | Path, *, compile_patterns: bool = True) -> tuple[Codebook, list[str]]:
    """Read, validate and (by default) compile-check a codebook file. Returns it and warnings.

    Raises :class:`CodebookError` listing every problem found.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # reading it says what is wrong
    if size > MAX_CODEBOOK_BYTES:
        raise CodebookError(
            f"{path}: the codebook file is {size:,} bytes, more than the {MAX_CODEBOOK_BYTES:,} a codebook "
            "may be; is it the right file?"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodebookError(f"{path}: no such codebook file") from None
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook ({exc.strerror})") from None
    return parse_codebook(text, path=str(path), compile_patterns=compile_patterns)


def parse_codebook(text: str, *, path: str = "<codebook>", compile_patterns: bool = True) -> tuple[Codebook, list[str]]:
    if len(text) > MAX_CODEBOOK_BYTES:
        raise CodebookError(
            f"{path}: the codebook is {len(text):,} characters, more than the {MAX_CODEBOOK_BYTES:,} a "
            "codebook may be; is it the right file?"
        )
    try:
        source = load_yaml(text)
    except YamlSourceError as exc:
        location = f"{path}:{exc.line}" if exc.line else path
        raise CodebookError(f"{location}: {exc}") from None
    problems = _Problems(path, source)
    data = source.data
    problems.definitions_required = not (isinstance(data, dict) and data.get("origin"))
    if not isinstance(data, dict):
        raise CodebookError(f"{path}:1: a codebook is a mapping with 'name', 'codes' and 'toc'")
    _unknown_fields(problems, data, (), None, TOP_FIELDS, "codebook")
    for field in ("name", "codes"):
        if field not in data:
            problems.error((), None, f"missing {field!r}")
    codes: list[Code] = []
    first_line: dict[str, int | None] = {}
    stages = tuple(str(s) for s in ((data.get("toc") or {}).get("stages") or ()))
    raw_codes = data.get("codes") or []
    if not isinstance(raw_codes, list):
        problems.error(("codes",), None, "'codes' must be a list of codes")
        raw_codes = []
    _check_tree_size(problems, raw_codes)
    for index, raw in enumerate(raw_codes):
        _read_code(problems, raw, ("codes", index), None, None, codes, first_line, stages)
    keys = [code.key for code in codes]
    for code in codes:
        if code.parent and code.parent not in keys:
            problems.error(
                ("codes",), code.key,
                f"parent {code.parent!r} is not defined{did_you_mean(code.parent, keys)}",
            )
    links = _read_toc(problems, data.get("toc"), keys)
    if compile_patterns and not problems.errors:
        from qualkit.suggest.bounded_regex import FALLBACK_TIME_BUDGET
        from qualkit.suggest.patterns import check_patterns

        failed, slow, fallback = check_patterns(codes, nlp_name=data.get("nlp"))
        for key, spec, message in failed:
            problems.errors.append(f"{path}:{spec.line}: code {key!r}: {message}")
        for key, spec in slow:
            problems.warnings.append(
                f"{path}:{spec.line}: code {key!r}: pattern {spec.label} uses predicates spaCy checks "
                "token by token in Python; it works, but slows coding (IN lists, OP '?' and "
                "'^prefix' REGEXes are fast)"
            )
        for key, spec, why in fallback:
            problems.warnings.append(
                f"{path}:{spec.line}: code {key!r}: regex {spec.value!r} needs {why}, which the "
                f"linear-time engine (RE2) cannot run; it runs on a backtracking engine with "
                f"{FALLBACK_TIME_BUDGET:g} s per segment, and a segment that takes longer stops `qualkit "
                "code` with an error naming it"
            )
    _shared_patterns(problems, codes)
    _check_history(problems, codes)
    if problems.errors:
        raise CodebookError("\n".join(problems.errors))
    codebook = Codebook(
        name=str(data["name"]),
        version=data.get("version", 1),
        description=str(data.get("description") or ""),
        codes=tuple(codes),
        stages=stages,
        links=tuple(links),
        sha256=content_hash(data),
        source=text,
        path=path,
        nlp=data.get("nlp"),
    )
    return codebook, problems.warnings


def _check_tree_size(problems: _Problems, raw_codes: list) -> None:
    """Refuse, before reading any code, a tree with too many codes or too many levels."""
    count = 0
    pending: list[tuple[Any, KeyPath, int]] = [(raw, ("codes", index), 1) for index, raw in enumerate(raw_codes)]
    while pending:
        raw, where, depth = pending.pop()
        count += 1
        if count > MAX_CODES:
            raise CodebookError(
                f"{problems.path}: more than {MAX_CODES:,} codes; a codebook may hold at most {MAX_CODES:,} "
                "(split it, or group codes under fewer themes)"
            )
        children = raw.get("children") if isinstance(raw, dict) else None
        if isinstance(children, list) and children:
            if depth >= MAX_CODE_DEPTH:
                line = problems.source.line((*where, "children"))
                raise CodebookError(
                    f"{problems.path}:{line}: codes nested more than {MAX_CODE_DEPTH} levels deep; "
                    "flatten the code tree"
                )
            pending += [(child, (*where, "children", index), depth + 1) for index, child in enumerate(children)]


def _unknown_fields(problems: _Problems, raw: dict, where: KeyPath, key: str | None, allowed: set, what: str) -> None:
    for field in raw:
        if field not in allowed:
            problems.error(
                (*where, field), key,
                f"unknown field {field!r} in a {what}{did_you_mean(str(field), allowed)}; "
                f"allowed: {', '.join(sorted(allowed))}",
            )


def _strings(problems: _Problems, raw: dict, field: str, where: KeyPath, key: str) -> tuple[str, ...]:
    value = raw.get(field) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        problems.error((*where, field), key, f"{field!r} must be a list of strings")
        return ()
    return tuple(" ".join(str(v).split()) for v in value)


def _read_code(problems, raw, where, parent, inherited_stage, codes, first_line, stages) -> None:
    if not isinstance(raw, dict):
        problems.error(where, None, "each code must be a mapping with at least 'key' and 'name'")
        return
    key = raw.get("key")
    _unknown_fields(problems, raw, where, key, CODE_FIELDS, "code")
    if not isinstance(key, str) or not key:
        problems.error(where, None, "a code without a 'key'")
        return
    if not KEY_PATTERN.match(key):
        problems.error(
            (*where, "key"), key,
            "malformed key; use lower-case letters, digits and _ in dot-separated parts "
            "(e.g. 'culture.trust')",
        )
    if key in first_line:
        problems.error(
            (*where, "key"), key, f"duplicate key (first defined on line {first_line[key]})"
        )
    first_line[key] = problems.source.line((*where, "key"))
    parent = raw.get("parent", parent)
    stage = raw.get("stage", inherited_stage)
    if stage is not None and stages and stage not in stages:
        problems.error(
            (*where, "stage"), key,
            f"stage {stage!r} is not in toc.stages{did_you_mean(str(stage), stages)} "
            f"({', '.join(stages)})",
        )
    children = raw.get("children") or []
    codable = raw.get("codable", not children)
    if not isinstance(codable, bool):
        problems.error((*where, "codable"), key, "'codable' must be true or false")
        codable = bool(codable)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.error(where, key, "missing 'name'")
    definition = " ".join(str(raw.get("definition") or "").split())
    if codable and not definition:
        if problems.definitions_required:
            problems.error(where, key, "empty definition; a codable code needs one a second coder can apply")
        else:
            problems.warn(where, key, "no definition (the program it came from had none); write one before a "
                                      "second coder applies this code")
    color = raw.get("color")
    if color is not None and not (isinstance(color, str) and COLOR_PATTERN.match(color)):
        problems.error((*where, "color"), key, f"color {color!r} is not '#rrggbb'")
    code = Code(
        key=key,
        name=str(name or key),
        definition=definition,
        parent=parent,
        stage=stage,
        codable=codable,
        include=_strings(problems, raw, "include", where, key),
        exclude=_strings(problems, raw, "exclude", where, key),
        examples=_strings(problems, raw, "examples", where, key),
        patterns=_patterns(problems, raw, "patterns", where, key),
        exclude_patterns=_patterns(problems, raw, "exclude_patterns", where, key),
        color=color,
        line=first_line[key],
        renamed_from=_history_key(problems, raw, "renamed_from", where, key),
        merged_from=_history_keys(problems, raw, where, key),
        split_from=_history_key(problems, raw, "split_from", where, key),
    )
    if code.patterns and not codable:
        problems.warn(where, key, "has patterns but is not codable; its patterns are not used")
    codes.append(code)
    if not isinstance(children, list):
        problems.error((*where, "children"), key, "'children' must be a list of codes")
        return
    for index, child in enumerate(children):
        _read_code(problems, child, (*where, "children", index), key, stage, codes, first_line, stages)


def _history_key(problems: _Problems, raw: dict, field: str, where: KeyPath, key: str) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        problems.error((*where, field), key, f"{field!r} must be one code key, e.g. 'culture.trust'")
        return None
    return value


def _history_keys(problems: _Problems, raw: dict, where: KeyPath, key: str) -> tuple[str, ...]:
    value = raw.get("merged_from")
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and KEY_PATTERN.match(v) for v in values):
        problems.error((*where, "merged_from"), key, "'merged_from' must be a list of code keys, e.g. [a.x, a.y]")
        return ()
    return tuple(dict.fromkeys(v for v in values if v != key))


def _check_history(problems: _Problems, codes: list[Code]) -> None:
    """renamed_from / merged_from name codes that are gone (else the file would keep and move them at
    once); no old key is claimed twice; split_from names a code still here."""
    keys = {code.key for code in codes}
    claimed: dict[str, str] = {}
    for code in codes:
        location = f"{problems.path}:{code.line}" if code.line else problems.path
        olds = [("renamed_from", code.renamed_from)] if code.renamed_from else []
        olds += [("merged_from", old) for old in code.merged_from]
        for field, old in olds:
            if old == code.key:
                problems.errors.append(f"{location}: code {code.key!r}: {field} names the code itself")
            elif old in keys:
                problems.errors.append(
                    f"{location}: code {code.key!r}: {field} {old!r}, but {old!r} is still in this file; "
                    f"to split a code, keep {old!r} and give the new code `split_from: {old}` (it starts empty)"
                )
            elif claimed.setdefault(old, code.key) != code.key:
                problems.errors.append(
                    f"{location}: code {code.key!r}: {old!r} is already renamed or merged into {claimed[old]!r}; "
                    "an old code's work can follow only one code"
                )
        if code.split_from and code.split_from not in keys:
            problems.errors.append(
                f"{location}: code {code.key!r}: split_from {code.split_from!r} is not in this file; a split keeps "
                f"the old code (to carry its work over, use `renamed_from: {code.split_from}` instead)"
            )


def _patterns(problems: _Problems, raw: dict, field: str, where: KeyPath, key: str) -> tuple[PatternSpec, ...]:
    value = raw.get(field) or []
    if not isinstance(value, list):
        problems.error((*where, field), key, f"{field!r} must be a list")
        return ()
    if len(value) > MAX_PATTERNS_PER_CODE:
        problems.error(
            (*where, field), key,
            f"{len(value):,} {field}; a code may have at most {MAX_PATTERNS_PER_CODE:,} (use wildcards, "
            "IN lists or a classifier for long word lists)",
        )
        return ()
    problems.pattern_count += len(value)
    if problems.pattern_count > MAX_PATTERNS:
        raise CodebookError(
            f"{problems.path}:{problems.source.line((*where, field))}: more than {MAX_PATTERNS:,} patterns in the "
            f"codebook; a codebook may hold at most {MAX_PATTERNS:,}"
        )
    specs = []
    for index, item in enumerate(value):
        line = problems.source.line((*where, field, index))
        too_long = _too_long(item)
        if too_long:
            problems.error((*where, field, index), key, too_long)
            continue
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            phrase = " ".join(str(item).split())
            if not phrase or phrase == "*":
                problems.error((*where, field, index), key, "an empty pattern")
                continue
            specs.append(PatternSpec("phrase", phrase, line))
        elif isinstance(item, dict) and len(item) == 1 and next(iter(item)) in PATTERN_KINDS:
            kind, pattern = next(iter(item.items()))
            specs.append(PatternSpec(kind, pattern, line))
        else:
            problems.error(
                (*where, field, index), key,
                f"pattern {item!r} is not a phrase or one of "
                f"{{tokens: [...]}}, {{regex: '...'}}, {{lemma: word}}, {{phrase: '...'}}",
            )
    return tuple(specs)


def _too_long(item: object) -> str | None:
    """Why a pattern is too big to accept, or None."""
    value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
    if isinstance(value, str) and len(value) > MAX_PATTERN_LENGTH:
        return (
            f"a pattern of {len(value):,} characters (at most {MAX_PATTERN_LENGTH:,}): {value[:40]!r}...; "
            "split it into shorter patterns"
        )
    if isinstance(item, dict) and isinstance(item.get("tokens"), list) and len(item["tokens"]) > MAX_PATTERN_TOKENS:
        return f"a token pattern of {len(item['tokens']):,} tokens (at most {MAX_PATTERN_TOKENS})"
    return None


def _read_toc(problems: _Problems, toc, keys: list[str]) -> list[Link]:
    if toc is None:
        return []
    if not isinstance(toc, dict):
        problems.error(("toc",), None, "'toc' must be a mapping with 'stages' and 'links'")
        return []
    _unknown_fields(problems, toc, ("toc",), None, TOC_FIELDS, "toc section")
    raw_links = toc.get("links") or []
    links = []

    def known(value, where: KeyPath) -> bool:
        if value not in keys:
            problems.error(
                where, None,
                f"link refers to code {value!r}, which is not defined{did_you_mean(str(value), keys)}",
            )
            return False
        return True

    for index, raw in enumerate(raw_links):
        where = ("toc", "links", index)
        if not isinstance(raw, dict):
            problems.error(where, None, "each link is a mapping {from: KEY, to: KEY, label: TEXT}")
            continue
        _unknown_fields(problems, raw, where, None, LINK_FIELDS, "link")
        source, target, moderates = raw.get("from"), raw.get("to"), raw.get("moderates")
        if source is None or (target is None) == (moderates is None):
            problems.error(where, None, "a link needs 'from' and either 'to' or 'moderates: [FROM, TO]'")
            continue
        ok = known(source, (*where, "from"))
        if target is not None:
            ok = known(target, (*where, "to")) and ok
        else:
            if not (isinstance(moderates, list) and len(moderates) == 2):
                problems.error((*where, "moderates"), None, "'moderates' names a link as [FROM, TO]")
                continue
            ok = all([known(m, (*where, "moderates")) for m in moderates]) and ok
        if ok:
            links.append(
                Link(
                    source=source, target=target, label=str(raw.get("label") or ""),
                    moderates=tuple(moderates) if moderates else None,
                    line=problems.source.line(where),
                )
            )
    plain = {(link.source, link.target) for link in links if link.target}
    for link in links:
        if link.moderates and tuple(link.moderates) not in plain:
            problems.error(
                ("toc", "links"), None,
                f"link from {link.source!r} moderates {link.moderates[0]} -> {link.moderates[1]}, "
                "which is not itself a link; add it",
            )
    return links


def _shared_patterns(problems: _Problems, codes: list[Code]) -> None:
    owners: dict[str, str] = {}
    for code in codes:
        for spec in code.patterns:
            if spec.kind != "phrase":
                continue
            phrase = str(spec.value).lower()
            if phrase in owners and owners[phrase] != code.key:
                problems.warnings.append(
                    f"{problems.path}:{spec.line}: code {code.key!r}: pattern {spec.value!r} is "
                    f"also a pattern of {owners[phrase]!r}; a passage matching it gets both codes"
                )
            owners.setdefault(phrase, code.key)
