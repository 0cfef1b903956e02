"""The work every engine does for one page of segments, and the per-process suggesters.

A worker — this process, a pool process or a Dask worker — builds its rule matchers and
loads the model once per :class:`WorkerSetup` and keeps them for every page it is sent.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from dataclasses import dataclass, field

from qualkit.records import Segment, Suggestion


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker needs to propose codes, in picklable form."""

    codebook_source: str
    codebook_path: str
    use_rules: bool
    model_bytes: bytes | None  # the pickled TrainedModel, or None for rules only
    model_options: dict = field(default_factory=dict)  # ModelSuggester keywords: version, thresholds
    interviewers: frozenset[str] = frozenset()  # casefolded speaker names skipped as context
    include_interviewer: bool = False
    batch_size: int = 512

    @property
    def digest(self) -> str:
        """Identifies the setup, so a long-lived worker can keep suggesters for several runs."""
        parts = [
            self.codebook_source, self.codebook_path, repr(self.use_rules), repr(sorted(self.model_options.items())),
            repr(sorted(self.interviewers)), repr(self.include_interviewer), repr(self.batch_size),
        ]
        digest = hashlib.sha256("\x00".join(parts).encode())
        digest.update(self.model_bytes or b"")
        return digest.hexdigest()


@dataclass(frozen=True)
class PageResult:
    """What rules and model proposed for one page of segments."""

    page: tuple[Segment, ...]
    skipped: int  # interviewer turns skipped as context
    proposed: dict[int, frozenset[str]]  # segment id -> codes proposed, for every segment looked at
    rule_suggestions: tuple[Suggestion, ...]
    model_suggestions: tuple[Suggestion, ...]


def is_interviewer(speaker: str | None, names) -> bool:
    """'Interviewer', 'interviewer 2' and 'INT1' are interviewers when 'Interviewer'/'INT' are."""
    if not speaker:
        return False
    return speaker.casefold().rstrip("0123456789 ") in names


class Suggesters:
    """The rule suggester and model suggester one setup builds."""

    def __init__(self, setup: WorkerSetup, *, model=None):
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

            trained = pickle.loads(setup.model_bytes)  # noqa: S301 - the project's own model
            self.model = ModelSuggester(trained, codebook, **setup.model_options)

    def propose(self, page, contexts: dict[int, str] | None) -> PageResult:
        setup = self.setup
        data = [s for s in page if setup.include_interviewer or not is_interviewer(s.speaker, setup.interviewers)]
        proposed: dict[int, set[str]] = {s.id: set() for s in data}
        rule_batch: list[Suggestion] = []
        model_batch: list[Suggestion] = []
        if self.rules:
            for segment, suggestions in self.rules.pipe(data, batch_size=setup.batch_size):
                rule_batch += suggestions
                proposed[segment.id].update(s.code for s in suggestions)
        if self.model:
            contexts = contexts or {}
            pairs = ((s, contexts.get(s.id, "")) for s in data)
            for segment, suggestions in self.model.pipe(pairs, batch_size=setup.batch_size):
                model_batch += suggestions
                proposed[segment.id].update(s.code for s in suggestions)
        return PageResult(
            page=tuple(page), skipped=len(page) - len(data),
            proposed={key: frozenset(codes) for key, codes in proposed.items()},
            rule_suggestions=tuple(rule_batch), model_suggestions=tuple(model_batch),
        )


_BUILT: dict[str, Suggesters] = {}
_LOCK = threading.Lock()  # Dask runs tasks on worker threads


def suggesters(setup: WorkerSetup, *, model=None) -> Suggesters:
    """This process's suggesters for ``setup``, built on first use. ``model``: the setup's model
    suggester when this process already has it unpickled (the in-process engine)."""
    key = setup.digest
    with _LOCK:
        if key not in _BUILT:
            _BUILT.clear()  # one run's worth at a time: a matcher and a model can be large
            _BUILT[key] = Suggesters(setup, model=model)
        return _BUILT[key]


def propose_page(setup: WorkerSetup, page, contexts: dict[int, str] | None = None) -> PageResult:
    """Propose codes for one page: the function every engine runs, wherever it runs."""
    return suggesters(setup).propose(page, contexts)


def propose_with_built(page, contexts: dict[int, str] | None = None) -> PageResult:
    """:func:`propose_page` in a pool process whose initializer built the suggesters, so the
    setup (and the pickled model in it) is sent once per process, not once per page."""
    with _LOCK:
        (built,) = _BUILT.values()
    return built.propose(page, contexts)
