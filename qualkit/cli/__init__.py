"""The ``qualkit`` command: parse options, call :class:`~qualkit.project.Project`, print.

Only this package imports click; every command goes through ``Project``. One module per area
(corpus, codebooks, proposing, review, outputs); shared options are declared once in
:mod:`qualkit.cli.options`.
"""

from __future__ import annotations

# they register commands: team `users` and `serve` (#21); memos, search, tidy (#20); managing (#18); pseudonymise (#22)
from qualkit.cli import (  # noqa: F401
    codebooks,
    corpus,
    managing,
    memos,
    outputs,
    proposing,
    pseudonymise,
    review,
    search,
    team,
    tidy,
)
from qualkit.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="qualkit")
