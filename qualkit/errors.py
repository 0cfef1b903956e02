"""Every error qualkit raises on purpose, in one place. Each message says what is wrong and how
to fix it; the CLI prints it as one ``Error: ...`` line and exits with status 1.

The hierarchy::

    QualkitError                    something the user can fix
    ├── ProjectError                the project file is missing, locked, unreadable or too new
    │   ├── DatabaseBusyError       another qualkit process held the project too long
    │   ├── RunInProgressError      another `qualkit code` run is still going on the project
    │   └── BackupError             a backup cannot be written, or the copy does not verify
    ├── NotFoundError               a named document, case, code, reviewer or record does not exist
    ├── IngestError                 a source file could not be read into documents
    ├── DocumentInUseError          a document people coded cannot be removed or replaced without --force
    ├── CasesError                  a cases file is malformed
    ├── CodebookError               a codebook is invalid (file, line and key in the message)
    │   ├── YamlSourceError         the file is not valid (or not safe) YAML
    │   ├── PatternTimeoutError     a backtracking regex ran past its time budget on one text
    │   └── CodeChangeError         a rename, merge or move of codes cannot be made as asked
    ├── ReviewError                 a review action or review file cannot be carried out as asked
    ├── ModelError                  a model cannot be trained, stored or loaded as asked
    ├── EngineError                 an engine (process pool, Dask) could not start or keep going
    ├── StagedSuggestionsError      a --to-parquet folder cannot be written or imported
    ├── AgreementError              judgements that cannot be compared
    ├── AnalysisError               an analysis or report cannot be computed as asked
    ├── ExportError                 an output file cannot be written as asked
    ├── PseudonymisationError       a pseudonym key or key file is invalid, or an output cannot be checked
    │   └── PseudonymLeakError      a key entry still appears in an output that should be pseudonymised
    ├── RefiError                   a REFI-QDA file (.qdpx/.qdc) cannot be read or written
    │   └── RefiSafetyError         an untrusted archive or XML document broke a safety rule
    ├── MemoError                   a memo cannot be written as asked (no text, two texts, bad target)
    ├── SearchError                 a search query cannot be run (empty, or only operators)
    ├── AccountError                a web account cannot be added, found or changed as asked
    │   └── SignInError             a sign-in was refused: wrong name or password, or too many tries
    └── WebServerError              `qualkit serve` cannot start as asked (address in use, bad host)

    QualkitWarning (UserWarning)    something was repaired or skipped, and the user should know
    └── RefiWarning                 a REFI-QDA file was non-conformant or partly unmappable
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AccountError",
    "AgreementError",
    "AnalysisError",
    "BackupError",
    "CasesError",
    "CodeChangeError",
    "CodebookError",
    "DatabaseBusyError",
    "DocumentInUseError",
    "EngineError",
    "ExportError",
    "IngestError",
    "MemoError",
    "ModelError",
    "NotFoundError",
    "PatternTimeoutError",
    "ProjectError",
    "PseudonymLeakError",
    "PseudonymisationError",
    "QualkitError",
    "QualkitWarning",
    "RefiError",
    "RefiSafetyError",
    "RefiWarning",
    "ReviewError",
    "RunInProgressError",
    "SearchError",
    "SignInError",
    "StagedSuggestionsError",
    "WebServerError",
    "YamlSourceError",
    "did_you_mean",
]


class QualkitError(Exception):
    """Something the user can fix; the CLI prints it as ``Error: ...`` and exits with 1."""


class ProjectError(QualkitError):
    """The project file is missing, unreadable, locked or from an incompatible version."""


class DatabaseBusyError(ProjectError):
    """Another qualkit process kept the project busy for longer than qualkit waits."""


class RunInProgressError(ProjectError):
    """Another process is running `qualkit code` on the project; one run at a time."""


class NotFoundError(QualkitError):
    """A named document, case, code, reviewer or other record does not exist in the project."""


class IngestError(QualkitError):
    """A source file could not be read into a document."""


class DocumentInUseError(QualkitError):
    """A document with decisions, coverage marks or memos about it is not removed or replaced without --force."""


class CasesError(QualkitError):
    """A cases file is malformed or names documents the project does not hold."""


class CodebookError(QualkitError):
    """A codebook file is invalid; the message lists every problem with file, line and key."""


class YamlSourceError(CodebookError):
    """A file is not valid YAML, or uses YAML features qualkit refuses; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class PatternTimeoutError(CodebookError):
    """A codebook regex that RE2 cannot run took longer than its time budget on one text."""

    def __init__(self, reason: str, *, pattern: str, code: str | None = None, segment: str | None = None):
        where = ", ".join(part for part in (f"code {code!r}" if code else "", segment or "") if part)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason, self.pattern, self.code, self.segment = reason, pattern, code, segment

    def naming(self, *, code: str | None = None, segment: str | None = None) -> PatternTimeoutError:
        """The same error, its message led by the code and the segment (e.g. "segment 12 of
        'brookfield_leader.txt'") it happened on."""
        return PatternTimeoutError(self.reason, pattern=self.pattern, code=code or self.code,
                                   segment=segment or self.segment)


class ReviewError(QualkitError):
    """A review action, or a review file, cannot be carried out as asked."""


class ModelError(QualkitError):
    """A model cannot be trained, stored or loaded as asked."""


class EngineError(QualkitError):
    """An engine (a process pool or Dask) could not start, reach its scheduler or keep its workers."""


class StagedSuggestionsError(QualkitError):
    """A folder of suggestion partitions (``code --to-parquet``) cannot be written to or imported."""


class AgreementError(QualkitError):
    """Judgements that cannot be compared: mismatched lengths, non-binary values, unknown coders."""


class AnalysisError(QualkitError):
    """An analysis or a report cannot be computed as asked."""


class ExportError(QualkitError):
    """An output file cannot be written as asked (format, folder, size)."""


class PseudonymisationError(QualkitError):
    """A pseudonym key or key file is invalid, or an output cannot be pseudonymised or checked."""


class PseudonymLeakError(PseudonymisationError):
    """A name from the pseudonym key still appears in an output meant to be pseudonymised.

    ``leaks`` lists every place found, so a caller can show or log them all.
    """

    def __init__(self, message: str, leaks: tuple = ()):
        super().__init__(message)
        self.leaks = leaks


class RefiError(QualkitError):
    """A REFI-QDA file (.qdpx/.qdc) could not be read or written; the message names the file and the rule."""


class RefiSafetyError(RefiError):
    """An untrusted archive or XML document broke a safety rule and was rejected unread."""


# -- the web server (`qualkit serve`, issue #21) ---------------------------------------------


class AccountError(QualkitError):
    """A web account cannot be added, found, removed or changed as asked."""


class SignInError(AccountError):
    """A sign-in was refused: wrong name or password, or too many failed tries (``retry_after`` seconds)."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class WebServerError(QualkitError):
    """``qualkit serve`` cannot start as asked: the address is in use or cannot be bound."""
class BackupError(ProjectError):
    """A backup of the project cannot be written where asked, or the copy failed its integrity check."""


class CodeChangeError(CodebookError):
    """A rename, merge or move of codes cannot be made as asked (unknown key, key taken, cycle)."""


class MemoError(QualkitError):
    """A memo cannot be written as asked: no text, two texts, or no single thing it is about."""


class SearchError(QualkitError):
    """A text search cannot be run as asked (an empty query, or one of operators only)."""


class QualkitWarning(UserWarning):
    """Something was repaired or skipped on the way, and the user should be told."""


class RefiWarning(QualkitWarning):
    """Something in a REFI-QDA file was non-conformant or could not be mapped, and was skipped or repaired."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest choice, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
