"""Document → segments: its natural blocks (turn, paragraph, row) or sentences within them.

Every segment is a (start, end) pair of code-point offsets into the stored text with no
surrounding whitespace, so ``text[start:end]`` is exactly the segment's text.
"""

from __future__ import annotations

from collections.abc import Sequence

from qualkit.records import Block, Unit


def segment_blocks(
    text: str, blocks: Sequence[Block], unit: Unit, *, batch_size: int = 256
) -> tuple[Block, ...]:
    """Segments of ``text`` at ``unit``: the blocks themselves, or their sentences.

    Sentences keep the speaker and timestamp of the turn they are in.
    """
    if unit is not Unit.SENTENCE:
        return tuple(_trimmed(text, block) for block in blocks if text[block.start:block.end].strip())
    from qualkit.nlp import blank_pipeline

    nlp = blank_pipeline()
    segments: list[Block] = []
    spans = [text[block.start:block.end] for block in blocks]
    for block, doc in zip(blocks, nlp.pipe(spans, batch_size=batch_size), strict=True):
        for sentence in doc.sents:
            start = block.start + sentence.start_char
            end = block.start + sentence.end_char
            if text[start:end].strip():
                segments.append(
                    _trimmed(text, Block(start, end, block.speaker, block.timestamp))
                )
    return tuple(segments)


def _trimmed(text: str, block: Block) -> Block:
    span = text[block.start:block.end]
    start = block.start + len(span) - len(span.lstrip())
    end = block.end - (len(span) - len(span.rstrip()))
    return Block(start=start, end=end, speaker=block.speaker, timestamp=block.timestamp)
