"""`qualkit pseudonymise`: the pseudonym key, candidates from the text, and what the key replaces.

The exports take ``--pseudonymise [--key FILE]`` (declared in :mod:`qualkit.cli.options`); this
module holds the key's own commands and :func:`sharing`, which the exporting commands use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from qualkit.cli.base import cli, emit, open_project, summary
from qualkit.cli.options import key_file_option, output_format

if TYPE_CHECKING:
    from qualkit.project import Project
    from qualkit.pseudonymise import Candidate, KeyEntry, Pseudonymisation

KINDS = ("person", "school", "place", "organisation", "other")


def sharing(project: Project, pseudonymise: bool, key_file: str | None) -> Pseudonymisation | None:
    """What an export is given when it is to be pseudonymised (``--key`` alone implies it)."""
    if not pseudonymise and key_file is None:
        return None
    return project.pseudonymisation(key_file=key_file)


def report_sharing(shared: Pseudonymisation | None) -> None:
    """The replacement summary after a pseudonymised export."""
    if shared is not None:
        click.echo(shared.summary())


def _place(where: str) -> str:
    return where if where == "the project" else f"key file {where}"


def _kinds(entries: Sequence[KeyEntry] | Sequence[Candidate]) -> str:
    """``6 schools, 8 people``: how many of each kind, most first."""
    counts = Counter(entry.kind.value for entry in entries)
    return ", ".join(f"{n} {kind}{'' if n == 1 else 's'}".replace("persons", "people")
                     for kind, n in counts.most_common())


def _entry_row(entry: KeyEntry) -> dict[str, Any]:
    return {"original": entry.original, "pseudonym": entry.pseudonym, "kind": entry.kind.value,
            "source": entry.source.value, "aliases": "; ".join(entry.aliases),
            "case_sensitive": "yes" if entry.case_sensitive else ""}


@cli.group()
def pseudonymise() -> None:
    """Replace participants', schools' and places' names in what you share, keeping the source text.

    Build a key of names and pseudonyms from what qualkit knows (cases, speakers, cases-file values)
    and your own list, add names the text shows (`suggest`, then `accept` or `ignore`), then give
    --pseudonymise to any export: report, export codings|suggestions|qdpx|qdc, review export.

    \b
    Example:
      qualkit pseudonymise key build
      qualkit pseudonymise suggest
      qualkit pseudonymise accept "Rachel Hale" "Northern Lights Learning Trust"
      qualkit report out/shared.docx --pseudonymise
    """


@pseudonymise.group("key")
def key_group() -> None:
    """The pseudonym key: names and their pseudonyms, in the project or a file you keep apart.

    \b
    Examples:
      qualkit pseudonymise key build --names our_list.csv
      qualkit pseudonymise key add "Chloe Rutherford" "ECT 1"
      qualkit pseudonymise key show
    """


@key_group.command("build")
@click.option("--cases", "cases_file", type=click.Path(exists=True, dir_okay=False),
              help="Also the names in this cases file (document,case,...): case names and identifying columns.")
@click.option("--names", "names_file", type=click.Path(exists=True, dir_okay=False),
              help="Your own list: a CSV with name[,kind,pseudonym] columns, or text with one name a line.")
@click.option("--names-kind", type=click.Choice(KINDS), default="person", show_default=True,
              help="The kind of the names in --names that do not give one.")
@click.option("--seed", help="Number default pseudonyms in an order drawn from this text (default: a random one).")
@click.option("--in-order", is_flag=True, help="Number default pseudonyms in the order names are met (alphabetical "
                                               "cases give alphabetical letters).")
@key_file_option
@click.pass_context
def key_build(ctx: click.Context, cases_file: str | None, names_file: str | None, names_kind: str, seed: str | None,
              in_order: bool, key_file: str | None) -> None:
    """Add to the key every name qualkit knows: case names, speaker labels, and case or document
    attributes that name someone or somewhere (interviewee, participant, school, trust, town...).

    Roles (Headteacher, Interviewer, "ECT (year 2)") are not names and are left out, as are short
    forms two names share ("Rachel" for two Rachels); each is listed. Entries already in the key
    keep their pseudonyms; run it again after ingesting more. Without --key the key is kept in the
    project; with --key FILE in that file only (readable by you alone): keep it apart from what you share.

    \b
    Examples:
      qualkit pseudonymise key build
      qualkit pseudonymise key build --names our_list.csv --key ~/secure/study-key.yaml
    """
    with open_project(ctx) as project:
        update = project.build_pseudonym_key(key_file=key_file, cases_file=cases_file, names_file=names_file,
                                             names_kind=names_kind, seed=seed, in_order=in_order)
    if update.added:
        emit([_entry_row(entry) for entry in update.added], "table", widths={"aliases": 40})
    roles = [s.value for s in update.skipped if s.reason.startswith("looks like a role")]
    if roles:
        click.echo(f"left out {len(roles)} role(s), not names: {', '.join(map(repr, roles))} (add any that names "
                   "someone with `qualkit pseudonymise key add`)", err=True)
    for skipped in update.skipped:
        if skipped.value not in roles:
            click.echo(f"left out {skipped.value!r} ({skipped.source.value}): {skipped.reason}", err=True)
    added = f" ({_kinds(update.added)})" if update.added else ""
    click.echo(f"Added {len(update.added)} name(s){added} to the key in {_place(update.where)}: "
               f"{len(update.key.entries)} entries in all; {len(update.skipped)} value(s) left out. Check the "
               "pseudonyms with `qualkit pseudonymise key show`, then look for more names with "
               "`qualkit pseudonymise suggest`.")


@key_group.command("add")
@click.argument("name")
@click.argument("pseudonym", required=False)
@click.option("--kind", type=click.Choice(KINDS), help="What the name names (default for a new name: person).")
@click.option("--alias", "aliases", multiple=True, metavar="FORM",
              help="Another form of the name to replace the same way (repeatable): a nickname, a short form.")
@click.option("--case-sensitive/--any-case", default=None,
              help="Match only as written or in capitals (for names that are also words: Harbour, not harbour).")
@key_file_option
@click.pass_context
def key_add(ctx: click.Context, name: str, pseudonym: str | None, kind: str | None, aliases: tuple[str, ...],
            case_sensitive: bool | None, key_file: str | None) -> None:
    """Add NAME to the key as PSEUDONYM (default: the next of its kind, e.g. Participant 9), or
    change the entry of a name already in it (a new pseudonym, kind or more aliases).

    \b
    Examples:
      qualkit pseudonymise key add "Chloe Rutherford" "ECT 1"
      qualkit pseudonymise key add "Castleton" --kind place
      qualkit pseudonymise key add "Kemi Adeyemi" --alias "Mrs A"
    """
    with open_project(ctx) as project:
        update = project.add_pseudonym(name, pseudonym, kind=kind, aliases=aliases, case_sensitive=case_sensitive,
                                       key_file=key_file)
    entry = (update.added or update.changed)[0]
    forms = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
    verb = "Added" if update.added else "Changed"
    click.echo(f"{verb} {entry.original}{forms} -> {entry.pseudonym} ({entry.kind.value}) in the key in "
               f"{_place(update.where)}: {len(update.key.entries)} entries.")


@key_group.command("show")
@output_format
@key_file_option
@click.pass_context
def key_show(ctx: click.Context, fmt: str, key_file: str | None) -> None:
    """List the key's entries: each name, its pseudonym, kind, where it came from and its other forms.

    The key maps pseudonyms back to names: never share its output.

    \b
    Examples:
      qualkit pseudonymise key show
      qualkit pseudonymise key show --format csv > key.csv
    """
    with open_project(ctx) as project:
        key, where = project.pseudonym_key(key_file=key_file)
    emit([_entry_row(entry) for entry in key.entries], fmt, widths={"aliases": 40})
    ignored = f" and {len(key.ignored)} name(s) reviewed and left as they are" if key.ignored else ""
    summary(f"{len(key.entries)} entries ({_kinds(list(key.entries)) or 'none'}){ignored}, kept in "
            f"{_place(where)}.", fmt)


@key_group.command("remove")
@click.argument("names", nargs=-1, required=True)
@key_file_option
@click.pass_context
def key_remove(ctx: click.Context, names: tuple[str, ...], key_file: str | None) -> None:
    """Remove entries (named by the original or any other form) from the key.

    \b
    Example:
      qualkit pseudonymise key remove "Kirsty"
    """
    with open_project(ctx) as project:
        update = project.remove_pseudonyms(names, key_file=key_file)
    removed = ", ".join(f"{e.original} -> {e.pseudonym}" for e in update.removed)
    click.echo(f"Removed {len(update.removed)} entr{'y' if len(update.removed) == 1 else 'ies'} ({removed}) from the "
               f"key in {_place(update.where)}: {len(update.key.entries)} left.")


@key_group.command("move")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.pass_context
def key_move(ctx: click.Context, file: str, force: bool) -> None:
    """Move the key out of the project into FILE, to keep apart (then give --key FILE, or keep it where
    it is: the project remembers the path).

    \b
    Example:
      qualkit pseudonymise key move /media/secure/study-key.yaml
    """
    with open_project(ctx) as project:
        update = project.move_pseudonym_key(file, overwrite=force)
    click.echo(f"Moved the key ({len(update.key.entries)} entries) to {update.where}; the project no longer holds it.")


@pseudonymise.command("suggest")
@click.option("--places", "places_file", type=click.Path(exists=True, dir_okay=False),
              help="Also look for these places (a text file, one a line): villages, districts, local names.")
@click.option("--no-bundled-places", is_flag=True, help="Leave out qualkit's list of UK cities, counties and towns.")
@click.option("--ner", "ner_pipeline", metavar="PIPELINE",
              help="Named entities from this installed spaCy pipeline (default: en_core_web_sm... when installed).")
@click.option("--no-ner", is_flag=True, help="No named-entity recogniser, even when one is installed.")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="Show only the N most frequent (0: all).")
@output_format
@key_file_option
@click.pass_context
def suggest(ctx: click.Context, places_file: str | None, no_bundled_places: bool, ner_pipeline: str | None,
            no_ner: bool, limit: int, fmt: str, key_file: str | None) -> None:
    """Candidates: names in the documents the key neither replaces nor ignores, for you to review.

    Found by capitalised name patterns, titles (Mrs Patel, Dr Hale), school and trust name patterns
    (St Mary's CE Primary, Northern Lights Learning Trust), places from a list, and a spaCy
    pipeline's named entities where one is installed (qualkit never downloads one). Common capitals
    (Ofsted, DfE, NPQ, months) and words the text also uses in lower case are left out.

    \b
    Examples:
      qualkit pseudonymise suggest
      qualkit pseudonymise suggest --places our_villages.txt --format csv > candidates.csv
    """
    if no_ner and ner_pipeline:
        raise click.UsageError("give --ner PIPELINE or --no-ner, not both")
    with open_project(ctx) as project:
        search = project.find_pseudonym_candidates(key_file=key_file, places_file=places_file,
                                                   bundled_places=not no_bundled_places, ner=not no_ner,
                                                   ner_pipeline=ner_pipeline)
    for note in search.notes:
        click.echo(f"note: {note}", err=True)
    shown = search.candidates[:limit] if limit else search.candidates
    rows: list[dict[str, Any]] = [{"text": c.text, "kind": c.kind.value, "count": c.count,
                                   "documents": len(c.documents),
             "found_by": ", ".join(d.value for d in c.detectors),
             "example": c.contexts[0].snippet if c.contexts else ""} for c in shown]
    if fmt == "json":
        for row, candidate in zip(rows, shown, strict=True):
            row["documents"] = list(candidate.documents)
            row["examples"] = [context.snippet for context in candidate.contexts]
    emit(rows, fmt, widths={"example": 70, "found_by": 24})
    split = f" ({_kinds(search.candidates)})" if search.candidates else ""
    more = f"; {len(shown)} shown" if limit and len(shown) < len(search.candidates) else ""
    summary(f"Found {len(search.candidates)} candidate name(s){split} the key lacks{more}. Review each: "
            "`qualkit pseudonymise accept NAME` adds it to the key, `qualkit pseudonymise ignore NAME` leaves it.",
            fmt)


@pseudonymise.command("accept")
@click.argument("names", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(KINDS), help="What they name (default: the kind the search gave).")
@click.option("--pseudonym", help="The pseudonym (one name only; default: the next of its kind).")
@key_file_option
@click.pass_context
def accept(ctx: click.Context, names: tuple[str, ...], kind: str | None, pseudonym: str | None,
           key_file: str | None) -> None:
    """Add candidates from the last `suggest` to the key.

    \b
    Examples:
      qualkit pseudonymise accept "Rachel Hale" Claire Sophie
      qualkit pseudonymise accept "Northern Lights Learning Trust" --pseudonym "Trust 1"
    """
    with open_project(ctx) as project:
        update = project.accept_pseudonym_candidates(names, kind=kind, pseudonym=pseudonym, key_file=key_file)
    for entry in update.added:
        forms = f" (also {', '.join(entry.aliases)})" if entry.aliases else ""
        click.echo(f"  {entry.original}{forms} -> {entry.pseudonym} ({entry.kind.value})")
    click.echo(f"Accepted {len(update.added)} candidate(s) into the key in {_place(update.where)}: "
               f"{len(update.key.entries)} entries.")


@pseudonymise.command("ignore")
@click.argument("names", nargs=-1, required=True)
@key_file_option
@click.pass_context
def ignore(ctx: click.Context, names: tuple[str, ...], key_file: str | None) -> None:
    """Mark candidates as reviewed and leave them as they are (they are not suggested again).

    \b
    Example:
      qualkit pseudonymise ignore Rosenshine "Education Endowment Foundation"
    """
    with open_project(ctx) as project:
        update = project.ignore_pseudonym_candidates(names, key_file=key_file)
    click.echo(f"Ignoring {len(update.ignored)} more name(s) ({len(update.key.ignored)} in all), noted in the key in "
               f"{_place(update.where)}.")


@pseudonymise.command("report")
@output_format
@key_file_option
@click.pass_context
def report(ctx: click.Context, fmt: str, key_file: str | None) -> None:
    """What the key replaces in every document (per entry: how often, in how many documents), entries
    that never occur (a misspelling?), and the candidates of the last `suggest` not yet reviewed.

    It names the originals: it is for the research team, never for sharing.

    \b
    Examples:
      qualkit pseudonymise report
      qualkit pseudonymise report --format json
    """
    with open_project(ctx) as project:
        found, where, stored = project.pseudonymisation_report(key_file=key_file)
    rows = [{"pseudonym": e.pseudonym, "original": e.original, "kind": e.kind.value, "replaced": e.replaced,
             "documents": e.texts} for e in sorted(found.entries, key=lambda e: (-e.replaced, e.pseudonym))]
    left = [{"text": c.text, "kind": c.kind.value, "count": c.count, "documents": len(c.documents)}
            for c in found.unreviewed]
    if fmt == "json":
        from qualkit.cli.base import emit_json

        emit_json({"key": where, "documents": found.texts, "replaced": found.replaced, "entries": rows,
                   "unreviewed": left, "searched_at": stored.searched_at if stored else None})
    else:
        emit(rows, fmt)
        if fmt == "table" and left:
            click.echo("\nCandidates not yet reviewed (accept or ignore each):")
            emit(left, fmt)
    unused = f"; {len(found.unused)} of them never occur (check their spelling)" if found.unused else ""
    if stored is None:
        candidates = "; no candidate search yet (`qualkit pseudonymise suggest`)"
    elif found.unreviewed:
        candidates = f"; {len(found.unreviewed)} candidate(s) from the search of {stored.searched_at} not yet reviewed"
    else:
        candidates = f"; every candidate from the search of {stored.searched_at} reviewed"
    summary(f"The key in {_place(where)} ({len(found.entries)} entries{unused}) replaces {found.replaced:,} name(s) "
            f"in {found.texts} document(s){candidates}.", fmt)


@pseudonymise.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@key_file_option
@click.pass_context
def check(ctx: click.Context, files: tuple[str, ...], key_file: str | None) -> None:
    """Check files you are about to share for any name in the key (any case, possessives, split
    across lines): .docx, .xlsx, .csv, .json, .txt, .qdpx and more. Exits 1 naming each place found.

    \b
    Example:
      qualkit pseudonymise check out/shared.docx out/shared.xlsx
    """
    with open_project(ctx) as project:
        checked = project.check_pseudonymised(files, key_file=key_file)
    click.echo(f"No name from the key in {len(checked)} file(s): "
               + ", ".join(f"{c.path} ({c.texts:,} text{'' if c.texts == 1 else 's'})" for c in checked) + ".")
