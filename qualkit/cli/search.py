"""Searching text and querying codings (issue #20): search, query."""

from __future__ import annotations

from typing import Any

import click

from qualkit.cli.base import cli, clock, emit, open_project, summary
from qualkit.cli.options import (
    codes_filter,
    codings_options,
    consensus_option,
    documents_filter,
    output_format,
    parse_where,
    reviewers_filter,
    status_filter,
    where_option,
)


def _write_rows(rows: list[dict[str, Any]], out: str, fmt: str, what: str) -> None:
    from qualkit.export.tables import write_table

    write_table(rows, out, columns=list(rows[0]) if rows else None)
    summary(f"Wrote {len(rows)} {what} to {out}.", fmt)


def _short(value: object, width: int) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _kwic_table(rows: list[dict[str, Any]], width: int) -> None:
    """Keyword in context: where (document, segment, speaker, case), then the match centred between
    its left context (right-aligned) and its right context."""
    if not rows:
        click.echo("(nothing found)")
        return
    where = [(_short(r["document"], 28), str(r["segment"]), _short(r["speaker"], 16), _short(r["case"], 20))
             for r in rows]
    sizes = [max(len(w[i]) for w in where) for i in range(4)]
    for (document, segment, speaker, case), row in zip(where, rows, strict=True):
        place = f"{document:<{sizes[0]}}  {segment:>{sizes[1]}}  {speaker:<{sizes[2]}}  {case:<{sizes[3]}}"
        match = click.style(row["match"], bold=True)
        click.echo(f"{place}  {row['left']:>{width}} {match} {row['right']}".rstrip())


@cli.command()
@click.argument("query")
@codes_filter
@status_filter
@where_option
@documents_filter
@consensus_option
@reviewers_filter(help="Statuses as these reviewers' decisions give them (one: their own).")
@click.option("--width", type=click.IntRange(10, 200), default=40, show_default=True,
              help="Characters of context either side of a match.")
@click.option("--limit", type=click.IntRange(1), help="Show at most this many segments.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the matches to a file (format from the suffix).")
@click.option("--code-new", "code_new", metavar="KEY",
              help="Turn the hits into suggestions of this code (source 'search'), for review.")
@click.option("--include-interviewer", is_flag=True, help="With --code-new: also suggest on interviewer turns.")
@output_format
@click.pass_context
def search(ctx: click.Context, query: str, codes: tuple[str, ...], statuses: tuple[str, ...], where: tuple[str, ...],
           documents: tuple[str, ...], consensus: str | None, reviewers: tuple[str, ...], width: int,
           limit: int | None, out: str | None, code_new: str | None, include_interviewer: bool, fmt: str) -> None:
    """Find QUERY in segment text and show each match in context (keyword in context).

    Case and accents are ignored. mentor* is a prefix; "performance management" a phrase; words
    are all required unless joined by OR; -word or NOT word leaves out segments with it.
    --code and --status keep segments with a suggestion of that code and status; --where keeps
    documents whose case or own attribute has that value. --code-new turns the hits into
    suggestions for review (nothing is coded until a reviewer accepts it).

    \b
    Examples:
      qualkit search 'mentor* "early career"'
      qualkit search 'autonomy OR trusted' --where phase=primary --format csv
      qualkit search 'lesson study' --code teaching --status accepted
      qualkit search '"instructional coaching"' --code-new teaching.coaching
    """
    filters: dict[str, Any] = {
        "codes": codes or None, "statuses": statuses or None, "where": parse_where(where),
        "documents": documents or None, "consensus": consensus, "reviewers": reviewers or None,
    }
    with open_project(ctx) as project:
        if code_new:
            hits, made = project.code_search_hits(query, code_new, include_interviewer=include_interviewer, **filters)
        else:
            hits, made = project.search(query, limit=limit, **filters), None
        from qualkit.search import kwic

        lines = list(kwic(hits[:limit] if limit else hits, width=width))
    rows: list[dict[str, Any]] = [
        {"document": line.hit.document, "case": line.hit.case, "segment": line.hit.segment,
         "speaker": line.hit.speaker, "time": clock(line.hit.timestamp), "start": line.start, "end": line.end,
         "left": line.left, "match": line.match, "right": line.right}
        for line in lines
    ]
    if out:
        _write_rows(rows, out, fmt, "matches")
    elif fmt == "table":
        _kwic_table(rows, width)
    else:
        emit(rows, fmt)
    documents_hit = len({hit.document for hit in hits})
    more = f" (stopped at --limit {limit}; there may be more)" if limit and len(hits) >= limit else ""
    summary(f"{len(rows)} match(es) in {min(len(hits), limit or len(hits))} segment(s) of {documents_hit} "
            f"document(s){more}.", fmt)
    if made is not None:
        summary(
            f"Made {made.new} new suggestion(s) of {made.code} (source search) for review; {made.already} segment(s) "
            f"already had one; {made.interviewer} interviewer turn(s) skipped as context. Run {made.run_id}. "
            f"Review them: qualkit review --reviewer NAME --code {made.code}", fmt,
        )


@cli.command()
@click.argument("code")
@click.option("--and", "all_of", multiple=True, metavar="CODE",
              help="Keep codings with this code within --within segments (repeatable: all of them).")
@click.option("--not", "none_of", multiple=True, metavar="CODE",
              help="Leave out codings with this code within --within segments (repeatable).")
@click.option("--within", type=click.IntRange(0), default=0, show_default=True,
              help="How many segments apart still counts as near (0: the same segment).")
@click.option("--by", metavar="ATTRIBUTE", help="Add a column with this case or document attribute, and count by it.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the codings to a file (format from the suffix).")
@output_format
@codings_options
@click.pass_context
def query(ctx: click.Context, code: str, all_of: tuple[str, ...], none_of: tuple[str, ...], within: int,
          by: str | None, out: str | None, fmt: str, consensus: str | None, reviewers: tuple[str, ...],
          include_pending: bool, where: tuple[str, ...]) -> None:
    """Codings of CODE that have (--and) or lack (--not) codings of other codes nearby.

    CODE and the other codes may be themes (everything under them counts). Each row is a coding of
    CODE, with the codings that made it match in `with` (code@segment).

    \b
    Examples:
      qualkit query culture.trust --and teaching.feedback --within 2
      qualkit query offer.npq --not outcomes --where phase=primary
      qualkit query culture --and outcomes --by phase --format csv --out out/culture_outcomes.csv
    """
    with open_project(ctx) as project:
        resolved = project.check_where(parse_where(where))
        by = project.check_attribute(by) if by else None
        hits = project.query_codings(code, all_of=all_of, none_of=none_of, within=within, consensus=consensus,
                                     reviewers=reviewers or None, include_pending=include_pending, where=resolved)
    from qualkit.queries import hit_rows

    rows = hit_rows(hits, by=by)
    if out:
        _write_rows(rows, out, fmt, "codings")
    else:
        emit(rows, fmt, widths={"text": 60, "with": 30, "document": 28})
    counted = ""
    if by and rows:
        counts: dict[str, int] = {}
        for row in rows:
            value = "(none)" if row[by] is None else str(row[by])
            counts[value] = counts.get(value, 0) + 1
        counted = f" ({by}: " + ", ".join(f"{value} {n}" for value, n in sorted(counts.items())) + ")"
    documents = len({hit.coding.document for hit in hits})
    summary(f"{len(hits)} coding(s) in {documents} document(s){counted}.", fmt)
