"""Reading the Word files qualkit writes, as the tests need it: cell text without the zero-width
spaces that let long identifiers wrap, a row's cells with merged ones once, the table under a heading."""

from __future__ import annotations

from docx.table import Table

from qualkit.export.docx_layout import ZERO_WIDTH_SPACE


def cell_text(cell) -> str:
    return cell.text.replace(ZERO_WIDTH_SPACE, "")


def distinct_cells(row) -> list:
    """A row's cells, a merged cell once (python-docx repeats it for every column it spans)."""
    seen, out = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            out.append(cell)
    return out


def row_texts(row) -> list[str]:
    return [cell_text(cell) for cell in distinct_cells(row)]


def table_after(document, heading_text: str, *, last: bool = False) -> Table:
    """The first table after the (first, or ``last``) heading with this text."""
    found, seen = None, False
    for block in document.iter_inner_content():
        if not isinstance(block, Table) and block.text == heading_text and block.style.name.startswith("Heading"):
            seen = True
        elif seen and isinstance(block, Table):
            found, seen = block, False
            if not last:
                return found
    if found is None:
        raise AssertionError(f"no table after {heading_text!r}")
    return found
