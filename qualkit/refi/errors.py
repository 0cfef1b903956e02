"""Errors and warnings of the REFI-QDA exchange layer."""

from __future__ import annotations

from qualkit.errors import QualkitError


class RefiError(QualkitError):
    """A REFI-QDA file (.qdpx/.qdc) could not be read or written; the message names the file and the rule."""


class RefiSafetyError(RefiError):
    """An untrusted archive or XML document broke a safety rule and was rejected unread."""


class RefiWarning(UserWarning):
    """Something in a REFI-QDA file was non-conformant or could not be mapped, and was skipped or repaired."""
