"""Document → segments: its natural blocks (turn, paragraph, row) or sentences within them.

Every segment is a (start, end) pair of code-point offsets into the stored text with no
surrounding whitespace, so ``text[start:end]`` is exactly the segment's text.

No segment is longer than :data:`MAX_SEGMENT_CHARS`: a longer block (a 50 MB file on one line,
a transcript nobody broke into turns) is split at its last sentence end before the limit, else
its last whitespace, else at the limit itself, keeping its speaker and timestamp. So spaCy is
only ever given bounded texts (its ``nlp.max_length`` is 1,000,000 characters) and a reviewer
never faces a segment they cannot read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from qualkit.records import Block, Unit

MAX_SEGMENT_CHARS = 20_000
# The last sentence end in a window: punctuation, at most 3 closing quotes/brackets, then
# whitespace. Greedy ".*" backtracks from the window's end, one step per character.
_LAST_SENTENCE_END = re.compile(r".*[.!?\u2026][\"'\u2019\u201d)\]]{0,3}(?=\s)", re.DOTALL)
_LAST_SPACE = re.compile(r".*\S(?=\s)", re.DOTALL)


def segment_blocks(
    text: str, blocks: Sequence[Block], unit: Unit, *, batch_size: int = 256, max_chars: int = MAX_SEGMENT_CHARS
) -> tuple[Block, ...]:
    """Segments of ``text`` at ``unit``: the blocks themselves, or their sentences.

    Sentences keep the speaker and timestamp of the turn they are in. Blocks (and sentences)
    over ``max_chars`` characters are split as the module says.
    """
    pieces = _bounded(text, blocks, max_chars)
    if unit is not Unit.SENTENCE:
        return tuple(pieces)
    from qualkit.nlp import blank_pipeline

    nlp = blank_pipeline()
    bounded = list(pieces)
    segments: list[Block] = []
    spans = (text[block.start:block.end] for block in bounded)
    for block, doc in zip(bounded, nlp.pipe(spans, batch_size=batch_size), strict=True):
        for sentence in doc.sents:
            start = block.start + sentence.start_char
            end = block.start + sentence.end_char
            if text[start:end].strip():
                segments.append(_trimmed(text, Block(start, end, block.speaker, block.timestamp)))
    return tuple(segments)


def _bounded(text: str, blocks: Sequence[Block], max_chars: int) -> Iterator[Block]:
    """The non-blank blocks, trimmed, the long ones split into pieces of at most ``max_chars``."""
    for block in blocks:
        if not text[block.start:block.end].strip():
            continue
        trimmed = _trimmed(text, block)
        if trimmed.end - trimmed.start <= max_chars:
            yield trimmed
        else:
            yield from split_long_block(text, trimmed, max_chars=max_chars)


def split_long_block(text: str, block: Block, *, max_chars: int = MAX_SEGMENT_CHARS) -> Iterator[Block]:
    """``block`` (trimmed) in trimmed pieces of at most ``max_chars``, cut at the last sentence
    end, else the last whitespace, else the limit (not inside a combining sequence)."""
    start, end = block.start, block.end
    while end - start > max_chars:
        limit = start + max_chars
        found = _LAST_SENTENCE_END.match(text, start, limit) or _LAST_SPACE.match(text, start, limit)
        if found:
            cut = found.end()
        else:
            cut = limit
            while cut > start + 1 and unicodedata.combining(text[cut]):
                cut -= 1  # keep an accent with its letter
        yield _trimmed(text, Block(start, cut, block.speaker, block.timestamp))
        start = cut
        while text[start].isspace():  # the piece after a cut starts at its first character
            start += 1
    yield Block(start, end, block.speaker, block.timestamp)


def _trimmed(text: str, block: Block) -> Block:
    span = text[block.start:block.end]
    start = block.start + len(span) - len(span.lstrip())
    end = block.end - (len(span) - len(span.rstrip()))
    return Block(start=start, end=end, speaker=block.speaker, timestamp=block.timestamp)
