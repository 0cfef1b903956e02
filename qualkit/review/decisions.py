"""Decisions and what follows from them: a reviewer's status and the consensus status.

Decisions are appended, never changed. An undo is itself a decision that names the one it
reverses. What a reviewer currently says about a suggestion is their latest decision that no
undo reverses; what the team says (the consensus) follows from those by a rule the researcher
chooses. Both are derived on demand, never stored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from qualkit.errors import ReviewError


class Verdict(str, enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    UNDO = "undo"


class Status(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPUTED = "disputed"  # reviewers disagree and the rule does not settle it


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

    def status(self, verdicts: Mapping[str, Verdict]) -> Status:
        """The consensus status from each reviewer's current verdict (undone ones left out)."""
        if not verdicts:
            return Status.PENDING
        accepts = sum(v is Verdict.ACCEPT for v in verdicts.values())
        rejects = len(verdicts) - accepts
        if self.name == "adjudicator" and self.adjudicator in verdicts:
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


def reviewer_status(verdict: Verdict | None) -> Status:
    return Status.PENDING if verdict is None else _status(verdict)


@dataclass(frozen=True)
class Decision:
    id: int
    suggestion_id: int
    reviewer: str
    verdict: Verdict
    note: str | None
    via: str
    decided_at: str
    reverses: int | None = None


def current_verdicts(decisions: list[Decision]) -> dict[tuple[int, str], Decision]:
    """(suggestion, reviewer) → the decision in force: the latest that no undo reverses."""
    reversed_ids = {d.reverses for d in decisions if d.verdict is Verdict.UNDO}
    current: dict[tuple[int, str], Decision] = {}
    for decision in sorted(decisions, key=lambda d: d.id):
        if decision.verdict is not Verdict.UNDO and decision.id not in reversed_ids:
            current[(decision.suggestion_id, decision.reviewer)] = decision
    return current
