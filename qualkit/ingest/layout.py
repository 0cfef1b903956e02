"""Find a document's natural blocks in its plain text: speaker turns or paragraphs.

Transcripts are recognised by ``Speaker: text`` lines, optionally with a ``[00:12:34]`` or
``00:12:34`` timestamp before the speaker or ``(00:12:34)`` after it. A label counts as a
speaker only when it recurs (or carries a timestamp), so ``Note: ...`` in a policy paper or
``For example: ...`` inside an answer does not start a turn.
"""

from __future__ import annotations

import re
from collections import Counter

from qualkit.records import Block, DocumentKind

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_SPEAKER_LINE = re.compile(
    rf"""^[ \t]*
    (?:\[?(?P<time_before>{_TIME})\]?[ \t]+)?            # [00:12:34] or 00:12:34
    (?P<speaker>[A-Z][^\s:\[\]()]*(?:[ \t]+[A-Za-z][^\s:\[\]()]*){{0,3}})  # 1-4 words
    [ \t]*(?:[\[(](?P<time_after>{_TIME})[\])])?       # Name (00:12:34)
    [ \t]*:[ \t]+(?P<utterance>\S.*?)[ \t]*$""",
    re.VERBOSE,
)

# How much of a text must be speaker lines for `--kind auto` to call it a transcript.
_MIN_TURNS = 4
_MIN_SHARE = 0.5


def parse_timestamp(value: str) -> float:
    """``"01:02:03.5"`` → 3723.5 seconds; ``"12:34"`` is minutes and seconds."""
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _lines(text: str):
    """(start, end, line) for every line, offsets into ``text``."""
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line), line
        start += len(line) + 1


def speaker_turns(text: str) -> tuple[Block, ...]:
    """Speaker turns; lines after a speaker line without a label continue that turn.

    Text before the first speaker line (a title, a table of interview details) is kept in the
    document but belongs to no turn.
    """
    candidates = []
    for start, _end, line in _lines(text):
        match = _SPEAKER_LINE.match(line)
        if match:
            candidates.append((start, _end, match))
    counts = Counter(m["speaker"] for _, _, m in candidates)
    turn_starts = {
        start: match
        for start, _, match in candidates
        if counts[match["speaker"]] >= 2 or match["time_before"] or match["time_after"]
    }
    turns: list[Block] = []
    current: dict | None = None
    for start, _end, line in _lines(text):
        match = turn_starts.get(start)
        if match:
            if current:
                turns.append(Block(**current))
            time = match["time_before"] or match["time_after"]
            current = {
                "start": start + match.start("utterance"),
                "end": start + match.end("utterance"),
                "speaker": match["speaker"].strip(),
                "timestamp": parse_timestamp(time) if time else None,
            }
        elif current and line.strip():
            current["end"] = start + len(line.rstrip())
    if current:
        turns.append(Block(**current))
    return tuple(turns)


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


def looks_like_transcript(text: str, turns: tuple[Block, ...]) -> bool:
    speakers = {turn.speaker for turn in turns}
    return (
        len(turns) >= _MIN_TURNS
        and len(speakers) >= 2
        and len(turns) >= _MIN_SHARE * len(paragraphs(text))
    )


def find_structure(text: str, kind: str) -> tuple[DocumentKind, tuple[Block, ...]]:
    """Decide the kind (for ``auto``) and return the natural blocks of the text."""
    if kind == DocumentKind.DOCUMENT.value:
        return DocumentKind.DOCUMENT, paragraphs(text)
    turns = speaker_turns(text)
    if kind == DocumentKind.TRANSCRIPT.value or looks_like_transcript(text, turns):
        return DocumentKind.TRANSCRIPT, turns
    return DocumentKind.DOCUMENT, paragraphs(text)
