"""The work every engine does for one page of segments, and the per-process suggesters.

A worker — this process, a pool process or a Dask worker — builds its rule matchers and
loads the model once per :class:`WorkerSetup` and keeps them for every page it is sent.

The writer sends a worker only what it codes, as :func:`passages`: (id, start, text) tuples,
without interviewer turns (which stay with the writer as context). Pickling a page of
:class:`~qualkit.records.Segment` records and unpickling it in the worker cost as much CPU
as the writer's own reads, on the same cores the workers tokenize on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from qualkit.interviewers import Interviewers, is_interviewer
from qualkit.records import Segment, Source
from qualkit.store import SuggestionRow, suggestion_row

if TYPE_CHECKING:
    from qualkit.suggest.features import RuleMatches

#: One page of segments, with every segment's context (its neighbours' text) when the model reads it.
Page = tuple[Sequence[Segment], "dict[int, str] | None"]


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker needs to propose codes, in picklable form."""

    codebook_source: str
    codebook_path: str
    use_rules: bool
    model_bytes: bytes | None  # the scorer as qualkit.suggest.storage writes it (no pickle), or None
    model_options: dict = field(default_factory=dict)  # ModelSuggester keywords: version, thresholds
    interviewers: Interviewers = Interviewers(names=frozenset())  # whose turns are skipped as context
    include_interviewer: bool = False
    batch_size: int = 512

    @functools.cached_property
    def digest(self) -> str:
        """Identifies the setup, so a long-lived worker can keep suggesters for several runs.
        Computed once: a Dask worker looks its suggesters up by it for every page."""
        parts = [
            self.codebook_source, self.codebook_path, repr(self.use_rules), repr(sorted(self.model_options.items())),
            repr(sorted(self.interviewers)), repr(self.include_interviewer), repr(self.batch_size),
        ]
        digest = hashlib.sha256("\x00".join(parts).encode())
        digest.update(self.model_bytes or b"")
        return digest.hexdigest()


class Passage(NamedTuple):
    """What a worker needs of a segment to code it: the suggesters read only these three."""

    id: int
    start: int  # where the segment starts in its document: evidence offsets are document offsets
    text: str


@dataclass(frozen=True)
class PageResult:
    """What rules and model proposed for one page of segments.

    Suggestions travel as :func:`~qualkit.store.suggestion_row` tuples: a worker's result is
    unpickled by the single writer, and plain tuples unpickle about 100 times faster than
    records — with records, two workers could not outrun the writer.
    """

    page: tuple[Segment, ...]  # empty while in transit: the writer still has the page
    skipped: int  # interviewer turns skipped as context (the writer counts them: see `completed`)
    looked: int  # segments looked at
    without: int  # of those, segments nothing was proposed for
    found: dict[str, int]  # code -> segments it was proposed for
    rule_rows: tuple[SuggestionRow, ...]
    model_rows: tuple[SuggestionRow, ...]
    failures: tuple[tuple[int, str], ...] = ()  # (segment id, why) of segments that could not be coded


def passages(setup: WorkerSetup, page: Iterable[Segment]) -> list[tuple[int, int, str]]:
    """The page's segments to code, as plain (id, start, text) tuples: what the writer sends a
    worker. Interviewer turns are left out (they are context, not data) unless the setup includes them."""
    return [
        (s.id, s.start, s.text)
        for s in page
        if setup.include_interviewer or not is_interviewer(s.speaker, setup.interviewers, s.document_id)
    ]


def parcel(setup: WorkerSetup, page: Sequence[Segment], contexts: dict[int, str] | None):
    """(passages, their contexts): what a worker is sent for one page."""
    shipped = passages(setup, page)
    if contexts is not None:
        contexts = {item[0]: contexts.get(item[0], "") for item in shipped}
    return shipped, contexts


def completed(result: PageResult, page: Sequence[Segment]) -> PageResult:
    """A worker's result with its page, which the writer kept: every page segment not looked at
    was an interviewer turn skipped as context."""
    return dataclasses.replace(result, page=tuple(page), skipped=len(page) - result.looked)


class Suggesters:
    """The rule suggester and model suggester one setup builds."""

    def __init__(self, setup: WorkerSetup, *, model=None):
        """``model``: a model suggester this process already has (the in-process engine), used
        instead of unpickling ``setup.model_bytes``."""
        from qualkit.codebook import parse_codebook

        codebook, _ = parse_codebook(setup.codebook_source, path=setup.codebook_path, compile_patterns=False)
        self.setup = setup
        self.rules = None
        if setup.use_rules:
            from qualkit.suggest.rules import RuleSuggester

            self.rules = RuleSuggester(codebook)
        self.model = model
        if model is None and setup.model_bytes is not None:
            from qualkit.suggest.model import ModelSuggester
            from qualkit.suggest.storage import loads

            self.model = ModelSuggester(loads(setup.model_bytes), codebook, **setup.model_options)

    def propose(self, shipped: Iterable[tuple[int, int, str]], contexts: dict[int, str] | None) -> PageResult:
        """What the rules and the model propose for :func:`passages` of a page (``contexts``: each
        one's neighbours' text, for the model). The result has no page yet: see :func:`completed`.

        With a model, the rules' matches are its features: it makes the one decision per segment
        and code, proposing its own codes as 'model' suggestions and the codes it left to the rules
        as 'rule' suggestions where they matched."""
        setup = self.setup
        data = [Passage._make(item) for item in shipped]
        proposed: dict[int, set[str]] = {s.id: set() for s in data}
        rule_rows: list[SuggestionRow] = []
        model_rows: list[SuggestionRow] = []
        failures: list[tuple[int, str]] = []
        if self.model is None:
            if self.rules:
                for segment, rows in self.rules.rows(data, batch_size=setup.batch_size, failures=failures):
                    if rows:
                        rule_rows += rows
                        proposed[segment.id].update(row[1] for row in rows)
        else:
            contexts = contexts or {}
            items: Iterable[tuple[Passage, str] | tuple[Passage, str, RuleMatches]]
            if self.rules:
                matches: list[tuple[Passage, str, RuleMatches]] = []
                for segment, hits in self.rules.found(data, batch_size=setup.batch_size, failures=failures):
                    matches.append((segment, contexts.get(segment.id, ""), {code: spans for code, _, spans in hits}))
                failed = {segment_id for segment_id, _ in failures}
                items = [item for item in matches if item[0].id not in failed]
            else:  # the model alone: it runs the rules for its features and proposes only its codes
                items = [(s, contexts.get(s.id, "")) for s in data]
            for segment, suggestions in self.model.pipe(items, batch_size=setup.batch_size):
                for suggestion in suggestions:
                    (model_rows if suggestion.source is Source.MODEL else rule_rows).append(suggestion_row(suggestion))
                    proposed[segment.id].add(suggestion.code)
        found: dict[str, int] = {}
        for codes in proposed.values():
            for code in codes:
                found[code] = found.get(code, 0) + 1
        return PageResult(
            page=(), skipped=0, looked=len(data),
            without=sum(1 for codes in proposed.values() if not codes), found=found,
            rule_rows=tuple(rule_rows), model_rows=tuple(model_rows), failures=tuple(failures),
        )


_BUILT: dict[str, Suggesters] = {}
_LOCK = threading.Lock()  # Dask runs tasks on worker threads


def suggesters(setup: WorkerSetup) -> Suggesters:
    """This process's suggesters for ``setup``, built on first use."""
    key = setup.digest
    with _LOCK:
        if key not in _BUILT:
            _BUILT.clear()  # one run's worth at a time: a matcher and a model can be large
            _BUILT[key] = Suggesters(setup)
        return _BUILT[key]


def propose_page(setup: WorkerSetup, shipped, contexts: dict[int, str] | None = None) -> PageResult:
    """Propose codes for one page's :func:`passages`: the function every remote engine runs,
    wherever it runs. The result goes back without the page, which the writer still has."""
    return suggesters(setup).propose(shipped, contexts)


def propose_with_built(shipped, contexts: dict[int, str] | None = None) -> PageResult:
    """:func:`propose_page` in a pool process whose initializer built the suggesters, so the
    setup (and the model in it) is sent once per process, not once per page."""
    with _LOCK:
        (built,) = _BUILT.values()
    return built.propose(shipped, contexts)
