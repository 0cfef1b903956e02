"""Caption files (.vtt, .srt) from Teams, Zoom or Otter: cues merged into speaker turns.

Teams marks speakers with WebVTT voice spans (``<v Sarah Wilson>``); Zoom and Otter prefix the
cue text with ``Name:``. Consecutive cues of one speaker become one turn that keeps the start
time of its first cue. The stored text reads like a transcript: ``[00:01:05] Name: words``.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from qualkit.errors import IngestError
from qualkit.ingest.base import RawText, ReadOptions
from qualkit.ingest.encoding import decode_text
from qualkit.ingest.layout import parse_timestamp
from qualkit.records import Block, DocumentKind

_NAME_PREFIX = re.compile(r"^(?P<name>[A-Z][\w.'’-]*(?: [A-Za-z][\w.'’-]*){0,3}):\s+(?P<rest>.+)$", re.S)
_TAG = re.compile(r"</?[a-z][^>]*>")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def read_captions(path: Path, data: bytes, options: ReadOptions) -> tuple[list[RawText], list[str]]:
    import webvtt
    from webvtt.errors import MalformedFileError

    text, warning = decode_text(data, source=str(path))
    if not text.strip():
        raise IngestError(f"{path}: the file is empty")
    caption_format = "srt" if path.suffix.lower() == ".srt" else "vtt"
    try:
        captions = list(webvtt.from_buffer(io.StringIO(text), format=caption_format).captions)
    except MalformedFileError as exc:
        raise IngestError(
            f"{path}: not a valid {caption_format.upper()} caption file ({exc}); "
            f"export it again from the meeting tool"
        ) from None
    turns: list[list] = []  # [speaker, start seconds, [texts]]
    for caption in captions:
        words = " ".join(html.unescape(_TAG.sub("", caption.text)).split())
        if not words:
            continue
        speaker = caption.voice
        if not speaker:
            prefixed = _NAME_PREFIX.match(words)
            if prefixed:
                speaker, words = prefixed["name"], prefixed["rest"]
        if speaker and turns and turns[-1][0] == speaker:
            turns[-1][2].append(words)
        else:
            turns.append([speaker, parse_timestamp(caption.start), [words]])
    if not turns:
        raise IngestError(f"{path}: the caption file has no cues with text")
    parts, blocks, position = [], [], 0
    for speaker, start, texts in turns:
        label = f"[{_clock(start)}] " + (f"{speaker}: " if speaker else "")
        utterance = " ".join(texts)
        blocks.append(
            Block(
                start=position + len(label),
                end=position + len(label) + len(utterance),
                speaker=speaker,
                timestamp=float(start),
            )
        )
        parts.append(label + utterance)
        position += len(label) + len(utterance) + 2
    raw = RawText(
        text="\n\n".join(parts),
        blocks=tuple(blocks),
        kind=DocumentKind.TRANSCRIPT,
        metadata={"cues": len(captions)},
    )
    return [raw], [warning] if warning else []
