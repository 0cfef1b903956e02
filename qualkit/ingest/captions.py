"""Caption files (.vtt, .srt) from Teams, Zoom or Otter: cues merged into speaker turns.

Teams marks speakers with WebVTT voice spans (``<v Sarah Wilson>``); Zoom and Otter prefix the
cue text with ``Name:``. Consecutive cues of one speaker become one turn that keeps the start
time of its first cue, and a cue without a speaker continues the turn before it (captioning
tools label only the first cue of a turn). The stored text reads like a transcript:
``[00:01:05] Name: words``; each turn's block covers only the words.

Cues are read here rather than with a caption library because a library drops a cue whose
time it cannot read without a word; here such a cue's text stays in the turn before it and
the file's warning names the cue and line.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.encoding import decode_text
from qualkit.ingest.layout import parse_timestamp
from qualkit.records import Block, DocumentKind

_NAME_PREFIX = re.compile(r"^(?P<name>[A-Z][\w.'’-]*(?: [A-Za-z0-9][\w.'’-]*){0,3}):\s+(?P<rest>.+)$", re.S)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_CLOCK = r"(?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*(?P<start>{_CLOCK})\s*-->\s*(?P<end>{_CLOCK})(?:\s.*)?$")
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION", "WEBVTT")
_WARNED_CUES = 3  # bad cues named in a file's warning; the rest are counted


@dataclass(frozen=True)
class _Cue:
    number: str  # the cue's identifier if it is a number, else its position in the file
    line: int  # 1-based line of its timing line
    timing: str
    start: float | None  # None: the timing line could not be read
    lines: tuple[str, ...]


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _cues(text: str) -> list[_Cue]:
    """Every cue: a timing line (``-->``), the identifier line just above it, the text below.

    Text after a blank line that starts no cue continues the cue before (some files have
    blank lines in captions); header, NOTE, STYLE and REGION blocks are passed over.
    """
    cues: list[_Cue] = []
    block: list[tuple[int, str]] = []  # (1-based line number, stripped line)
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            block.append((number, line.strip()))
        elif block:
            _read_block(block, cues)
            block = []
    return cues


def _read_block(block: list[tuple[int, str]], cues: list[_Cue]) -> None:
    """Add the cues of one run of non-blank lines to ``cues``."""
    if block[0][1].split(" ", 1)[0] in _VTT_BLOCKS:
        return
    starts = []  # (first line of the cue, its timing line, its identifier line or None)
    for k, (_, line) in enumerate(block):
        if "-->" not in line:
            continue
        above = k - 1
        is_identifier = above >= 0 and "-->" not in block[above][1] and (
            above == 0 or block[above][1].isdigit()
        )
        starts.append((above, k, above) if is_identifier else (k, k, None))
    leading = [line for _, line in block[: starts[0][0] if starts else len(block)]]
    if leading and cues:  # a blank line inside a caption's text
        last = cues[-1]
        cues[-1] = _Cue(last.number, last.line, last.timing, last.start, (*last.lines, *leading))
    for n, (_, timing_at, identifier_at) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(block)
        line_number, timing = block[timing_at]
        identifier = block[identifier_at][1] if identifier_at is not None else ""
        match = _TIMING.match(timing)
        cues.append(
            _Cue(
                number=identifier if identifier.isdigit() else str(len(cues) + 1),
                line=line_number,
                timing=timing,
                start=parse_timestamp(match["start"]) if match else None,
                lines=tuple(line for _, line in block[timing_at + 1:stop]),
            )
        )


def read_captions(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    text, warning = decode_text(data, source=str(path))
    warnings = [warning] if warning else []
    if not text.strip():
        raise IngestError(f"{path}: the file is empty")
    caption_format = "srt" if path.suffix.lower() == ".srt" else "vtt"
    if caption_format == "vtt" and not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise IngestError(
            f"{path}: not a valid VTT caption file (its first line is not 'WEBVTT'); "
            "export it again from the meeting tool"
        )
    cues = _cues(text)
    if not cues:
        raise IngestError(
            f"{path}: not a valid {caption_format.upper()} caption file (no cue times such as "
            "'00:00:01,000 --> 00:00:04,000'); export it again from the meeting tool"
        )
    turns: list[list] = []  # [speaker, start seconds, [texts]]
    bad: list[_Cue] = []
    for cue in cues:
        raw = " ".join(cue.lines)
        voice = _VOICE.search(raw)
        words = " ".join(html.unescape(_TAG.sub("", raw)).split())
        if cue.start is None:
            bad.append(cue)
        if not words:
            continue
        speaker = voice[1].strip() if voice else None
        if not speaker:
            prefixed = _NAME_PREFIX.match(words)
            if prefixed:
                speaker, words = prefixed["name"], prefixed["rest"]
        previous = turns[-1] if turns else None
        if speaker is not None:
            continues = previous is not None and previous[0] == speaker
        else:  # an unlabelled cue continues a speaker's turn (or, without a time, any turn)
            continues = previous is not None and (previous[0] is not None or cue.start is None)
        if previous is not None and continues:
            previous[2].append(words)
        else:
            turns.append([speaker, cue.start, [words]])
    if bad:
        named = "; ".join(f"cue {cue.number} (line {cue.line}: {cue.timing[:40]!r})" for cue in bad[:_WARNED_CUES])
        more = f" and {len(bad) - _WARNED_CUES} more" if len(bad) > _WARNED_CUES else ""
        warnings.append(
            f"{path}: {len(bad)} cue(s) with a time that cannot be read: {named}{more}; their "
            "text was kept in the turn before (times must look like 00:01:02,500)"
        )
    if not turns:
        raise IngestError(f"{path}: the caption file has no cues with text")
    parts, blocks, position = [], [], 0
    for speaker, start, texts in turns:
        label = (f"[{_clock(start)}] " if start is not None else "") + (f"{speaker}: " if speaker else "")
        utterance = " ".join(texts)
        blocks.append(
            Block(
                start=position + len(label),
                end=position + len(label) + len(utterance),
                speaker=speaker,
                timestamp=float(start) if start is not None else None,
            )
        )
        parts.append(label + utterance)
        position += len(label) + len(utterance) + 2
    raw_text = RawText(
        text="\n\n".join(parts),
        blocks=tuple(blocks),
        kind=DocumentKind.TRANSCRIPT,
        metadata={"cues": len(cues)},
    )
    return [raw_text], warnings
