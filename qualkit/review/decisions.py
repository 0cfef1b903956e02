"""Decisions and what follows from them: a reviewer's status and the consensus status.

Decisions are appended, never changed. An undo is itself a decision that names the one it
reverses. What a reviewer currently says about a suggestion is their latest decision that no
undo reverses; what the team says (the consensus) follows from those by a rule the researcher
chooses. Both are derived on demand, never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qualkit.errors import ReviewError
from qualkit.records import NOBODY_RENAMED, Decision, Reviewers, ReviewState, Status, Verdict

__all__ = [
    "DEFAULT_RULE", "Consensus", "ConsensusRule", "Decision", "Status", "Verdict", "current_verdicts", "review_states",
    "DEFAULT_CONSENSUS", "status_of",
]


@dataclass(frozen=True)
class ConsensusRule:
    """How reviewers' verdicts combine: ``any``, ``majority``, ``all`` or ``adjudicator:NAME``.

    * any — accepted when any reviewer accepted; rejected when all who decided rejected.
    * majority — more accepts than rejects, or the reverse; a tie is disputed.
    * all — accepted only when every reviewer who decided accepted; any reject rejects.
    * adjudicator:NAME — NAME's verdict settles it; until NAME decides, agreement settles it
      and disagreement is disputed.
    """

    name: str
    adjudicator: str | None = None

    RULES = ("any", "majority", "all", "adjudicator")

    @classmethod
    def parse(cls, text: str) -> ConsensusRule:
        name, _, adjudicator = text.partition(":")
        if name not in cls.RULES or (name == "adjudicator") != bool(adjudicator):
            raise ReviewError(
                f"unknown consensus rule {text!r}; use any, majority, all or adjudicator:NAME"
            )
        return cls(name, adjudicator or None)

    def __str__(self) -> str:
        return f"{self.name}:{self.adjudicator}" if self.adjudicator else self.name

    def status(self, state: ReviewState | Mapping[str, Verdict]) -> Status:
        """The consensus status from each reviewer's current verdict (undone ones left out)."""
        verdicts = state.verdicts if isinstance(state, ReviewState) else state
        if not verdicts:
            return Status.PENDING
        accepts = sum(v is Verdict.ACCEPT for v in verdicts.values())
        rejects = len(verdicts) - accepts
        if self.name == "adjudicator" and self.adjudicator is not None and self.adjudicator in verdicts:
            return _status(verdicts[self.adjudicator])
        if self.name == "any":
            return Status.ACCEPTED if accepts else Status.REJECTED
        if self.name == "all":
            return Status.REJECTED if rejects else Status.ACCEPTED
        if accepts == rejects or (self.name == "adjudicator" and accepts and rejects):
            return Status.DISPUTED
        return Status.ACCEPTED if accepts > rejects else Status.REJECTED


DEFAULT_RULE = ConsensusRule("any")


def _status(verdict: Verdict) -> Status:
    return Status.ACCEPTED if verdict is Verdict.ACCEPT else Status.REJECTED


def current_verdicts(decisions: Iterable[Decision], *,
                     reviewers: Reviewers = NOBODY_RENAMED) -> dict[tuple[int, str], Decision]:
    """(suggestion, reviewer) → the decision in force: the latest that no undo reverses. Reviewers
    are keyed by their current name, so a renamed or merged reviewer's decisions count as theirs."""
    decisions = list(decisions)
    reversed_ids = {d.reverses for d in decisions if d.verdict is Verdict.UNDO}
    current: dict[tuple[int, str], Decision] = {}
    for decision in sorted(decisions, key=lambda d: d.id):
        if decision.verdict is not Verdict.UNDO and decision.id not in reversed_ids:
            current[(decision.suggestion_id, reviewers.current(decision.reviewer))] = decision
    return current


def review_states(decisions: Iterable[Decision], *, reviewers: Reviewers = NOBODY_RENAMED) -> dict[int, ReviewState]:
    """suggestion id → every reviewer's verdict in force on it, built once from the decision log."""
    verdicts: dict[int, dict[str, Verdict]] = {}
    for (suggestion_id, reviewer), decision in current_verdicts(decisions, reviewers=reviewers).items():
        verdicts.setdefault(suggestion_id, {})[reviewer] = decision.verdict
    return {suggestion_id: ReviewState(found) for suggestion_id, found in verdicts.items()}


def status_of(state: ReviewState, *, rule: ConsensusRule = DEFAULT_RULE, reviewer: str | None = None) -> Status:
    """A reviewer's own status when ``reviewer`` is given, else the consensus status under ``rule``."""
    return state.of(reviewer) if reviewer is not None else rule.status(state)


@dataclass(frozen=True)
class Consensus:
    """Whose decisions count (``reviewers``; None = everyone's) and how they combine (``rule``).

    With one reviewer this is that reviewer's own status whatever the rule, so `--reviewer NAME`
    and `--consensus RULE` are one idea everywhere: analyses, exports, training, reports.
    """

    rule: ConsensusRule = DEFAULT_RULE
    reviewers: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, consensus: str | None = None, reviewers: Iterable[str] | None = None) -> Consensus:
        chosen = tuple(dict.fromkeys(" ".join(name.split()) for name in reviewers)) if reviewers else None
        return cls(ConsensusRule.parse(consensus) if consensus else DEFAULT_RULE, chosen or None)

    def status(self, state: ReviewState) -> Status:
        if self.reviewers is not None and len(self.reviewers) == 1:
            return state.of(self.reviewers[0])
        return self.rule.status(state.only(self.reviewers))

    def __str__(self) -> str:
        if self.reviewers is not None and len(self.reviewers) == 1:
            return f"reviewer {self.reviewers[0]}"
        who = f" of {', '.join(self.reviewers)}" if self.reviewers else ""
        return f"consensus {self.rule}{who}"

    @property
    def key(self) -> str:
        """How a model records what it learned from: ``reviewer:NAME`` or ``consensus:RULE[:A,B]``."""
        if self.reviewers is not None and len(self.reviewers) == 1:
            return f"reviewer:{self.reviewers[0]}"
        return f"consensus:{self.rule}" + (f"[{','.join(self.reviewers)}]" if self.reviewers else "")
DEFAULT_CONSENSUS = Consensus()
