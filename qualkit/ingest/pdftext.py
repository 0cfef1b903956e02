"""Clean up text extracted from a PDF: page furniture, wrapped lines, hyphens, split ligatures.

PDF text arrives as lines cut at the page margin, with running headers and page numbers, words
hyphenated across lines, and ligature glyphs (ﬁ, ﬂ) that extractors often emit as the letters
plus a space: "fi ndings", "refl ects". Every repair here is one that the document itself
makes unambiguous; anything doubtful is left as it was.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

# Letters a ligature glyph stands for; a word fragment ending in one of these followed by a
# space and a lower-case continuation is a split ligature candidate.
_LIGATURE_SPLIT = re.compile(r"\b([A-Za-z]*?(?:ffi|ffl|fi|fl|ff)) (?=([a-z]+)\b)")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_HYPHEN_BREAK = re.compile(r"([A-Za-z]+)-$")
_TERMINAL = tuple('.!?:;"”’)')
_BULLET = re.compile(r"^\s*(?:[•▪◦●·\-–*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
# "Foreword by the Chief Executive | 5": a running head with its page number.
_RUNNING_HEAD = re.compile(r"^[^|]{1,80}\|\s*\d{1,4}\s*$|^\s*\d{1,4}\s*\|[^|]{1,80}$")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)


_LETTERS = re.compile(r"[^\W\d_]{2}")


def page_has_words(page: str) -> bool:
    """Whether a page's extracted text holds anything but page numbers ("3", "Page 3 of 9")."""
    return any(_LETTERS.search(line) for line in page.splitlines() if not _PAGE_NUMBER.match(line))


def clean_pdf_text(text: str) -> str:
    """Clean text extracted from a PDF elsewhere; form feeds, when present, separate pages."""
    pages = text.split("\f") if "\f" in text else [text]
    return clean_pages(pages)


def clean_pages(pages: list[str]) -> str:
    """Join a PDF's pages into clean plain text: paragraphs separated by blank lines."""
    pages = [page.replace("\r\n", "\n").replace("\r", "\n") for page in pages]
    pages = _drop_furniture(pages)
    paragraphs = _reflow("\n".join(pages))
    body = "\n\n".join(paragraphs)
    return repair_ligatures(body)


def _shape(line: str) -> str:
    """A line with its numbers blanked, so 'Page 3' and 'Page 4' compare equal."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def _drop_furniture(pages: list[str]) -> list[str]:
    """Drop running headers/footers and page numbers.

    With real pages: a line among the first or last three of a page whose shape repeats on at
    least half the pages (and at least two). Without page breaks: a short line with a number
    whose shape recurs three or more times ("Foreword by the Chief Executive | 5").
    """
    line_lists = [page.split("\n") for page in pages]
    edge_shapes: Counter[str] = Counter()
    for lines in line_lists:
        content = [line for line in lines if line.strip()]
        edges = {_shape(line) for line in content[:3] + content[-3:]}
        edge_shapes.update(edges)
    all_shapes = Counter(_shape(line) for lines in line_lists for line in lines if line.strip())
    many_pages = len(pages) >= 2

    def is_furniture(line: str, at_edge: bool) -> bool:
        if not line.strip():
            return False
        if (at_edge and _PAGE_NUMBER.match(line)) or _RUNNING_HEAD.match(line):
            return True
        shape = _shape(line)
        if many_pages:
            return at_edge and edge_shapes[shape] >= max(2, len(pages) / 2)
        return len(shape) <= 80 and "#" in shape and all_shapes[shape] >= 3

    cleaned = []
    for lines in line_lists:
        content_index = [i for i, line in enumerate(lines) if line.strip()]
        edge = set(content_index[:3] + content_index[-3:])
        cleaned.append(
            "\n".join(
                line for i, line in enumerate(lines)
                if not is_furniture(line, at_edge=(i in edge) or not many_pages)
            )
        )
    return cleaned


def _reflow(text: str) -> list[str]:
    """Join lines cut at the margin back into paragraphs.

    A line continues into the next when it does not end a sentence, is not much shorter than
    the text's usual line (a heading or the last line of a paragraph) and the next line is not
    a bullet. Lines ending in a hyphenated word fragment join without the break.
    """
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return []
    typical = statistics.median(lengths)
    vocabulary = Counter(word.lower() for word in _WORD.findall(text))
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            continue
        if not current:
            current = line
            continue
        previous = current.rsplit("\n", 1)[-1]
        continues = not _BULLET.match(line) and (
            line[:1].islower()
            or (
                not previous.endswith(_TERMINAL)
                and len(previous) >= 0.6 * typical
                # a bullet item ends where a capitalised line follows it
                and not (_BULLET.match(previous) and line[:1].isupper())
            )
        )
        if continues:
            current = _join(current, line, vocabulary)
        else:
            paragraphs.append(current)
            current = line
    if current:
        paragraphs.append(current)
    return paragraphs


def _join(current: str, line: str, vocabulary: Counter[str]) -> str:
    hyphenated = _HYPHEN_BREAK.search(current)
    if hyphenated and line[:1].islower():
        head = hyphenated.group(1)
        tail = re.match(r"[A-Za-z]+", line)
        tail_word = tail.group(0) if tail else ""
        # Keep the hyphen only where the document itself spells the word with one
        # ("well-being") and never without it.
        joined = (head + tail_word).lower()
        keep_hyphen = vocabulary[f"{head}-{tail_word}".lower()] > 0 and vocabulary[joined] == 0
        return current[: len(current) - (0 if keep_hyphen else 1)] + line
    return current + " " + line


def repair_ligatures(text: str) -> str:
    """Rejoin words split after a ligature: "fi ndings" → "findings", "refl ects" → "reflects".

    Fragments ending in fi/fl/ffi/ffl are not English words, so they are always joined;
    a fragment ending in ff can be a word ("staff development"), so it is joined only when
    the document spells the joined word elsewhere ("eff ective" → "effective").
    """
    vocabulary = Counter(word.lower() for word in _WORD.findall(text))

    def join(match: re.Match) -> str:
        head, tail = match.group(1), match.group(2)
        if not head.lower().endswith("ff") or vocabulary[(head + tail).lower()] > 0:
            return head  # drop the space; the tail is only looked at, never consumed
        return match.group(0)

    return _LIGATURE_SPLIT.sub(join, text)
