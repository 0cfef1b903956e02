"""Find a document's natural blocks in its plain text: speaker turns or paragraphs.

A transcript's turns are found with a small registry of layouts (:data:`LAYOUTS`), one entry
per way transcription tools label a turn:

* ``colon`` — ``Name: text``, optionally ``[00:12:34] Name: text``, ``00:12:34 Name: text`` or
  ``Name (00:12:34): text``; initials and codes (``SO:``, ``P07:``, ``INT:``) are names too;
* ``rev`` — Rev: ``Name (00:00:03):`` on its own line, the utterance on the lines after;
* ``name-time`` — Otter .txt and the Teams Word download: ``Sarah Okafor  0:03`` on its own
  line, the utterance after.

Each layout is one regex for the line that starts a turn (written so that no run of spaces can
be split two ways, which keeps matching linear on hostile input) (groups ``speaker``, ``time...`` and,
for labels on the same line as the words, ``utterance``), so adding a layout is one entry. The
stored text is never changed: a turn's block covers only the utterance, never its label or
timestamp. A label counts as a speaker only when it recurs (or carries a timestamp), so
``Note: ...`` in a policy paper or ``For example: ...`` inside an answer does not start a turn.
Text before the first turn (a title, a date, a duration, a table of interview details) belongs
to no turn; its first lines are kept as metadata.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from qualkit.errors import IngestError
from qualkit.records import Block, DocumentKind

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A speaker: 1-4 words, the first capitalised ("Sarah Okafor", "SO", "P07"). Where a time
# follows the name (Rev, Otter, Teams) a later word may be a number ("Speaker 1"); before a bare
# colon it may not, so "Year 7: ..." or "Step 2: ..." inside an answer never becomes a speaker.
_NAME = r"(?P<speaker>[A-Z][^\s:\[\]()]*(?:[ \t]+[A-Za-z][^\s:\[\]()]*){0,3})"
_TIMED_NAME = r"(?P<speaker>[A-Z][^\s:\[\]()]*(?:[ \t]+[A-Za-z0-9][^\s:\[\]()]*){0,3})"
_GAP = r"[ \t\u00a0]"


@dataclass(frozen=True)
class TranscriptLayout:
    """One way of labelling turns: how to recognise a label line and split it.

    ``label`` matches a whole line that starts a turn, with a ``speaker`` group, optional groups
    whose names start with ``time``, and an ``utterance`` group when the words follow the label
    on the same line (otherwise they are the lines after it). ``trailer`` matches a line that
    ends the transcript (a tool's footer), which then belongs to no turn.
    """

    name: str
    example: str  # shown when no layout fits, so the user can see what qualkit reads
    label: re.Pattern[str]
    trailer: re.Pattern[str] | None = None


LAYOUTS: tuple[TranscriptLayout, ...] = (
    TranscriptLayout(
        name="colon",
        example="'Name: text', '[00:12:34] Name: text', 'Name (00:12:34): text'",
        label=re.compile(
            rf"""^[ \t]*
            (?:\[?(?P<time_before>{_TIME})\]?[ \t]+)?       # [00:12:34] or 00:12:34
            {_NAME}
            [ \t]*(?:[\[(](?P<time_after>{_TIME})[\])][ \t]*)?  # Name (00:12:34)
            :[ \t]+(?P<utterance>\S(?:.*\S)?)[ \t]*$""",
            re.VERBOSE,
        ),
    ),
    TranscriptLayout(
        name="rev",
        example="'Name (00:00:03):' then the text (Rev)",
        label=re.compile(rf"^[ \t]*{_TIMED_NAME}[ \t]*[\[(](?P<time>{_TIME})[\])][ \t]*(?::[ \t]*)?$"),
    ),
    TranscriptLayout(
        name="name-time",
        example="'Sarah Okafor  0:03' then the text (Otter .txt, Teams .docx)",
        label=re.compile(rf"^{_GAP}*{_TIMED_NAME}{_GAP}+(?P<time>{_TIME}){_GAP}*$"),
        trailer=re.compile(r"^\s*Transcribed by https?://otter\.ai\s*$", re.IGNORECASE),
    ),
)

# How much of a text must be turns for `--kind auto` to call it a transcript.
_MIN_TURNS = 4
_MIN_SHARE = 0.5
# What an unreadable transcript's error shows of it.
_SHOWN_LINES = 3
_SHOWN_CHARS = 60
_PREAMBLE_LINES = 6
_PREAMBLE_LINE_CHARS = 150  # longer paragraphs before the first turn are prose, not a header

_DURATION = re.compile(r"^(?:\d+h)?\s*(?:\d+m(?:in)?)?\s*(?:\d+s)?$")
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Structure:
    """A text's kind, natural blocks and, for a transcript, its layout and preamble."""

    kind: DocumentKind
    blocks: tuple[Block, ...]
    layout: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Turns:
    layout: TranscriptLayout
    turns: tuple[Block, ...]
    first_label: int  # offset of the first turn's label line
    end: int  # offset where the transcript ends (a trailer line, or the end of the text)
    label_only_lines: frozenset[int]  # where label lines with no words on them start (stripped)


def parse_timestamp(value: str) -> float:
    """``"01:02:03.5"`` → 3723.5 seconds; ``"12:34"`` is minutes and seconds."""
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(start offset, line) for every line of ``text``."""
    start = 0
    for line in text.split("\n"):
        yield start, line
        start += len(line) + 1


def _time_of(match: re.Match[str]) -> str | None:
    return next((v for k, v in match.groupdict().items() if k.startswith("time") and v), None)


def _turns_in_layout(text: str, layout: TranscriptLayout) -> _Turns:
    """Turns of ``text`` read in one layout; lines without a label continue the turn before."""
    lines = list(_lines(text))
    candidates = [(start, match) for start, line in lines if (match := layout.label.match(line))]
    counts = Counter(match["speaker"] for _, match in candidates)
    turn_starts = {
        start: match for start, match in candidates if counts[match["speaker"]] >= 2 or _time_of(match)
    }
    end = len(text)
    if layout.trailer is not None and turn_starts:
        last = max(turn_starts)
        end = next((s for s, line in lines if s > last and layout.trailer.match(line)), end)
    turns: list[Block] = []
    label_only: set[int] = set()
    current: dict | None = None
    for start, line in lines:
        if start >= end:
            break
        match = turn_starts.get(start)
        if match:
            if current and current["start"] is not None:
                turns.append(Block(**current))
            time = _time_of(match)
            current = {
                "start": None, "end": None, "speaker": match["speaker"].strip(),
                "timestamp": parse_timestamp(time) if time else None,
            }
            if "utterance" in match.re.groupindex and match["utterance"]:
                current["start"], current["end"] = start + match.start("utterance"), start + match.end("utterance")
            else:
                label_only.add(start + len(line) - len(line.lstrip()))
        elif current and line.strip():
            if current["start"] is None:
                current["start"] = start + len(line) - len(line.lstrip())
            current["end"] = start + len(line.rstrip())
    if current and current["start"] is not None:
        turns.append(Block(**current))
    return _Turns(layout, tuple(turns), min(turn_starts, default=0), end, frozenset(label_only))


def _best_turns(text: str) -> _Turns:
    """The layout that finds the most turns (the first listed on a tie)."""
    best = _turns_in_layout(text, LAYOUTS[0])
    for layout in LAYOUTS[1:]:
        found = _turns_in_layout(text, layout)
        if len(found.turns) > len(best.turns):
            best = found
    return best


def speaker_turns(text: str) -> tuple[Block, ...]:
    """Speaker turns in the layout that fits ``text`` best (empty when none does)."""
    return _best_turns(text).turns


def paragraphs(text: str) -> tuple[Block, ...]:
    """Paragraphs separated by blank lines; a text with no blank lines has one per line."""
    separator = re.compile(r"\n[ \t]*\n\s*") if re.search(r"\n[ \t]*\n", text) else re.compile(r"\n")
    blocks, position = [], 0
    for match in [*separator.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[position:end]
        stripped = chunk.strip()
        if stripped:
            offset = position + (len(chunk) - len(chunk.lstrip()))
            blocks.append(Block(start=offset, end=offset + len(stripped)))
        if match:
            position = match.end()
    return tuple(blocks)


def _looks_like_transcript(text: str, found: _Turns) -> bool:
    """Enough turns, two speakers, and most paragraphs are turns.

    Short lines before the first turn (a title, a date, the cells of a table of interview
    details) do not count against it, nor do label lines that stand in a paragraph of their
    own (Teams' Word file); long paragraphs before it do, so a paper quoting a few exchanges
    stays a document.
    """
    turns = found.turns
    if len(turns) < _MIN_TURNS or len({turn.speaker for turn in turns}) < 2:
        return False
    body = [
        block for block in paragraphs(text)
        if block.start < found.end
        and block.start not in found.label_only_lines
        and (block.start >= found.first_label or block.end - block.start > _PREAMBLE_LINE_CHARS)
    ]
    return len(turns) >= _MIN_SHARE * len(body)


def _preamble(text: str, found: _Turns) -> dict[str, str]:
    """Title, date and duration from the lines before the first turn (Teams puts them there)."""
    lines = [line.strip() for line in text[:found.first_label].split("\n") if line.strip()]
    metadata: dict[str, str] = {}
    for line in lines[:_PREAMBLE_LINES]:
        if "duration" not in metadata and re.search(r"\d", line) and _DURATION.match(line):
            metadata["duration"] = line
        elif "date" not in metadata and _DATE.search(line):
            metadata["date"] = line
        elif "title" not in metadata:
            metadata["title"] = line
    return metadata


def _shorten(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= _SHOWN_CHARS else line[: _SHOWN_CHARS - 1] + "…"


def unreadable_transcript_message(source: str, text: str) -> str:
    """One line: no known layout fits; which layouts exist; the first lines qualkit saw."""
    shown = [_shorten(line) for line in text.split("\n") if line.strip()][:_SHOWN_LINES]
    known = "; ".join(f"{layout.name} ({layout.example})" for layout in LAYOUTS)
    first = " | ".join(repr(line) for line in shown) or "(no text)"
    return (
        f"{source}: no transcript layout recognised (no speaker label recurs); known layouts: "
        f"{known}; the first lines are: {first}; ingest it with --kind document, or label "
        "each turn 'Name: ...'"
    )


def read_structure(text: str, kind: str, *, source: str = "text") -> Structure:
    """Decide the kind (for ``auto``) and find the natural blocks of ``text``.

    ``kind`` is ``auto``, ``transcript`` or ``document``. A forced transcript in which no
    layout finds a turn raises IngestError naming the known layouts and showing its first lines.
    """
    if kind == DocumentKind.DOCUMENT.value:
        return Structure(DocumentKind.DOCUMENT, paragraphs(text))
    found = _best_turns(text)
    if kind == DocumentKind.TRANSCRIPT.value or _looks_like_transcript(text, found):
        if not found.turns:
            raise IngestError(unreadable_transcript_message(source, text))
        metadata = {"layout": found.layout.name, **_preamble(text, found)}
        return Structure(DocumentKind.TRANSCRIPT, found.turns, found.layout.name, metadata)
    return Structure(DocumentKind.DOCUMENT, paragraphs(text))


def find_structure(text: str, kind: str) -> tuple[DocumentKind, tuple[Block, ...]]:
    """(kind, blocks) of ``text``; a forced transcript without turns has no blocks."""
    try:
        structure = read_structure(text, kind)
    except IngestError:
        return DocumentKind.TRANSCRIPT, ()
    return structure.kind, structure.blocks
