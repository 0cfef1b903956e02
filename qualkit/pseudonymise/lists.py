"""Lists a researcher supplies: names to put in the key, and places to look for in the text.

A names file is either a CSV with a ``name`` column (and optionally ``kind`` and ``pseudonym``)::

    name,kind,pseudonym
    Chloe Rutherford,person,ECT 1
    Northern Lights Learning Trust,organisation,
    Castleton,place,

or plain text, one name per line (a line starting ``#`` is a comment), all of one kind. A places file is
plain text, one place per line. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from qualkit.errors import PseudonymisationError, did_you_mean
from qualkit.pseudonymise.key import EntrySource, Kind, NameInput

MAX_LIST_BYTES = 16 * 1024 * 1024
KINDS = tuple(kind.value for kind in Kind)


def _read_text(path: Path, what: str) -> str:
    from qualkit.errors import IngestError
    from qualkit.ingest.encoding import decode_text

    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise PseudonymisationError(f"{path}: {size:,} bytes is too large for a {what}")
        text, _ = decode_text(path.read_bytes(), source=str(path))
    except FileNotFoundError:
        raise PseudonymisationError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise PseudonymisationError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise PseudonymisationError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except IngestError as exc:
        raise PseudonymisationError(str(exc)) from None
    return text


def _lines(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            found.append((number, " ".join(line.split())))
    return found


def read_names_file(path: str | os.PathLike, *, kind: Kind = Kind.PERSON) -> list[NameInput]:
    """The names in a names file (see the module docstring); ``kind`` for lines that give none."""
    path = Path(path)
    text = _read_text(path, "names file")
    if path.suffix.lower() != ".csv":
        return [NameInput(line, kind, EntrySource.RESEARCHER) for _, line in _lines(text)]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [column.strip().casefold() for column in rows[0]]
    name_column = next((c for c in ("name", "original") if c in header), None)
    if name_column is None:
        raise PseudonymisationError(
            f"{path}:1: a names CSV needs a 'name' column (and may have 'kind' and 'pseudonym'); "
            f"its columns are {', '.join(rows[0]) or 'none'}")
    unknown = [c for c in header if c not in ("name", "original", "kind", "pseudonym")]
    if unknown:
        raise PseudonymisationError(
            f"{path}:1: unknown column {unknown[0]!r}{did_you_mean(unknown[0], ['name', 'kind', 'pseudonym'])}; "
            "a names CSV has name, kind and pseudonym")
    names = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise PseudonymisationError(f"{path}:{number}: {len(row)} fields where the header has {len(header)} "
                                        "(quote a name that has a comma in it)")
        cells = dict(zip(header, [cell.strip() for cell in row], strict=False))
        name = " ".join(cells.get(name_column, "").split())
        if not name:
            raise PseudonymisationError(f"{path}:{number}: no name on this line")
        given = cells.get("kind", "").casefold()
        if given and given not in KINDS:
            raise PseudonymisationError(f"{path}:{number}: kind {cells['kind']!r} is not one of {', '.join(KINDS)}"
                                        f"{did_you_mean(given, KINDS)}")
        names.append(NameInput(name, Kind(given) if given else kind, EntrySource.RESEARCHER,
                               cells.get("pseudonym") or None))
    return names


def read_places_file(path: str | os.PathLike) -> list[str]:
    """Place names, one a line (a line starting ``#`` is a comment)."""
    return [line for _, line in _lines(_read_text(Path(path), "places file"))]
