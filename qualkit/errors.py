"""The one error root. Every message says what is wrong and how to fix it."""

from __future__ import annotations


class QualkitError(Exception):
    """Something the user can fix; the CLI prints it as ``Error: ...`` and exits with 1."""


class ProjectError(QualkitError):
    """The project file is missing, unreadable or from an incompatible version."""


class IngestError(QualkitError):
    """A source file could not be read into a document."""


class CasesError(QualkitError):
    """A cases file is malformed or names documents the project does not hold."""


class NotFoundError(QualkitError):
    """A named document, case or other record does not exist in the project."""


def did_you_mean(value: str, choices) -> str:
    """' (did you mean 'x'?)' for the nearest choice, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CodebookError(QualkitError):
    """A codebook file is invalid; the message lists every problem with file, line and key."""
