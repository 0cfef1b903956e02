"""Options shared by many commands, declared once: one spelling and one meaning everywhere.

``--code`` and ``--reviewer`` are repeatable wherever they filter; ``--reviewer`` on a command that
acts (decide, add, undo, review) names the one reviewer acting. Old spellings (``report --codes
A,B``, ``agreement --reviewers A,B``) are still accepted, hidden, with a one-line deprecation note.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from qualkit.cli.base import FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def output_format(function: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="table for people; csv or json for programs (then stdout holds only the data).",
    )(function)


def _legacy_list(name: str, old: str, new: str) -> Callable[[F], F]:
    """Accept the old comma-separated spelling ``old`` (hidden) into the repeatable ``name`` values."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            legacy = kwargs.pop(f"legacy_{name}", None)
            if legacy:
                click.echo(f"note: {old} A,B is deprecated; repeat {new} instead ({new} A {new} B)", err=True)
                kwargs[name] = (*kwargs.get(name, ()), *(part.strip() for part in legacy.split(",") if part.strip()))
            return function(*args, **kwargs)

        return click.option(old, f"legacy_{name}", hidden=True)(wrapper)  # type: ignore[return-value]

    return decorate


def codes_filter(function: F | None = None, *, legacy: bool = False) -> Any:
    """``--code KEY`` (repeatable): this code or theme and everything under it."""

    def decorate(f: F) -> F:
        if legacy:
            f = _legacy_list("codes", "--codes", "--code")(f)
        return click.option("--code", "codes", multiple=True, metavar="KEY",
                            help="Only this code or theme and the codes under it (repeatable).")(f)

    return decorate(function) if function is not None else decorate


def documents_filter(function: F) -> F:
    return click.option("--document", "-d", "documents", multiple=True, metavar="NAME",
                        help="Only this document (repeatable).")(function)


def case_filter(function: F) -> F:
    return click.option("--case", metavar="NAME", help="Only documents of this case.")(function)


def reviewers_filter(function: F | None = None, *, legacy: bool = False, help: str | None = None) -> Any:
    """``--reviewer NAME`` (repeatable): whose decisions count; one reviewer means their own view."""

    def decorate(f: F) -> F:
        if legacy:
            f = _legacy_list("reviewers", "--reviewers", "--reviewer")(f)
        return click.option(
            "--reviewer", "reviewers", multiple=True, metavar="NAME",
            help=help or "Count only this reviewer's decisions (repeatable; one reviewer: their own codings).",
        )(f)

    return decorate(function) if function is not None else decorate


def reviewer_acting(function: F) -> F:
    """``--reviewer NAME``, required: who is deciding (recorded with every decision)."""
    return click.option("--reviewer", required=True, metavar="NAME",
                        help="Who is deciding (recorded with every decision).")(function)


def consensus_option(function: F) -> F:
    return click.option("--consensus", metavar="RULE", default=None,
                        help="How reviewers' decisions combine: any (default), majority, all, adjudicator:NAME.")(
        function)


def where_option(function: F) -> F:
    return click.option("--where", "where", multiple=True, metavar="ATTR=VALUE",
                        help="Only codings with this case or document attribute (repeatable).")(function)


def pending_option(function: F) -> F:
    return click.option("--include-pending", is_flag=True,
                        help="Also count suggestions not yet reviewed (marked as such).")(function)


def codings_options(function: F) -> F:
    """What every analysis of codings takes: --consensus, --reviewer, --include-pending, --where."""
    for option in (where_option, pending_option, reviewers_filter, consensus_option):
        function = option(function)
    return function


def parse_where(values: tuple[str, ...]) -> dict[str, str]:
    where = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: use ATTRIBUTE=VALUE, e.g. phase=primary", param_hint="--where")
        where[key] = wanted
    return where


# -- issue #20: status and source filters ------------------------------------------------------------------

STATUSES = ("pending", "accepted", "rejected", "disputed")
SOURCES = ("rule", "model", "manual", "search")


def status_filter(function: F) -> F:
    """``--status`` (repeatable): suggestions with this status (under --consensus / --reviewer)."""
    return click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
                        help="Only suggestions with this status under --consensus/--reviewer (repeatable).")(function)


def source_filter(function: F) -> F:
    """``--source`` (repeatable): suggestions from this source."""
    return click.option("--source", "sources", multiple=True, type=click.Choice(SOURCES),
                        help="Only suggestions from this source (repeatable).")(function)


# -- issue #22: pseudonymised exports ----------------------------------------------------------------------------


def key_file_option(function: F) -> F:
    """``--key FILE``: the pseudonym key file kept apart from the project."""
    return click.option(
        "--key", "key_file", type=click.Path(dir_okay=False), metavar="FILE",
        help="The pseudonym key file you keep apart (also QUALKIT_PSEUDONYM_KEY); default: the key in the project.",
    )(function)


def pseudonymise_options(function: F) -> F:
    """``--pseudonymise`` and ``--key FILE``, on every export."""
    function = key_file_option(function)
    return click.option(
        "--pseudonymise", is_flag=True,
        help="Replace every name in the pseudonym key (schools, people, places) with its pseudonym, offsets mapped; "
             "the file is checked and not written if a name survives. --key FILE implies it.",
    )(function)
