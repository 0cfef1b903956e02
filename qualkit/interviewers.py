"""Interviewer turns are context, not data: who counts as the interviewer.

By default a speaker labelled Interviewer, INT, I, Researcher, Facilitator or Moderator (or one of
those with a number: 'Interviewer 2', 'INT1'); a project can name its own.
"""

from __future__ import annotations

from collections.abc import Collection

DEFAULT_INTERVIEWERS = ("Interviewer", "INT", "I", "Researcher", "Facilitator", "Moderator")


def is_interviewer(speaker: str | None, names: Collection[str]) -> bool:
    """'Interviewer', 'interviewer 2' and 'INT1' are interviewers when 'Interviewer'/'INT' are;
    ``names`` are casefolded."""
    if not speaker:
        return False
    return speaker.casefold().rstrip("0123456789 ") in names
