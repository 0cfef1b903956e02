"""Figures from the analysis tables (matplotlib, no display needed): PNG, SVG or PDF bytes.

Each function takes the DataFrames that :mod:`qualkit.analysis` returns, so a figure shows
exactly the numbers of the table beside it, and returns the image bytes; given ``path`` it
also writes them there (format from the suffix; a missing folder is an ExportError). Each has a
``draw_*`` twin that returns the matplotlib Figure instead, to restyle before saving. Figures
are drawn at the size they are printed, so text is never smaller than :data:`SMALL` points in
a report.

- :func:`toc_figure`: the theory of change, one box per node with its child codes and counts,
  arrows labelled with supporting segments and cases, moderators drawn above the link they
  moderate (dashed);
- :func:`case_heatmap`: coded segments per code (rows) and case (columns);
- :func:`frequency_bars`: each code's share of coded segments, per group of an attribute;
- :func:`cooccurrence_heatmap`: coded segments carrying both of two codes.

:func:`plot` draws the figure for a ``qualkit analyse`` table (the CLI's ``--plot FILE``).
matplotlib is imported inside the functions, with the Agg canvas, never pyplot's global state.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.atomicfile import write_bytes
from qualkit.errors import AnalysisError, ExportError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("png", "svg", "pdf")
DPI = 200
TITLE = 9.5
BODY = 8.0
SMALL = 7.0
INK = "#222222"
MUTED = "#5f5f5f"
ARROW = "#3d5a80"
MODERATOR = "#8c2d19"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
FONT = "DejaVu Sans"  # bundled with matplotlib: the same letters on every machine


# ------------------------------------------------------------------------------------- output


def output_format(path: str | os.PathLike | None, fmt: str | None) -> str:
    """The image format: ``fmt`` if given, else the suffix of ``path``, else PNG."""
    chosen = (fmt or (Path(path).suffix.lstrip(".") if path is not None else "") or "png").lower()
    if chosen not in FORMATS:
        where = f"{path}: " if path is not None else ""
        raise ExportError(f"{where}cannot draw a figure as {chosen!r}; use {', '.join('.' + f for f in FORMATS)}")
    return chosen


def check_output(path: str | os.PathLike) -> Path:
    """``path`` if a file can be written there; an ExportError naming the missing folder if not."""
    path = Path(path)
    if not path.parent.exists():
        raise ExportError(f"{path}: folder {path.parent} does not exist; create it or choose another path")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'figure.png'}")
    return path


def _finish(figure, path: str | os.PathLike | None, fmt: str | None) -> bytes:
    chosen = output_format(path, fmt)
    if path is not None:
        path = check_output(path)
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):  # text stays text: editable, searchable
        figure.savefig(buffer, format=chosen, dpi=DPI, facecolor="white", metadata=_metadata(chosen))
    data = buffer.getvalue()
    if path is not None:
        write_bytes(path, data)
    return data


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date or software version in the file, so the same tables give the same bytes
    return {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}[fmt]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


class _Measure:
    """Text widths in inches, for wrapping labels to the space they are drawn in."""

    def __init__(self, figure):
        from matplotlib.font_manager import FontProperties

        self.renderer = figure.canvas.get_renderer()
        self.dpi = figure.dpi
        self._fonts: dict[tuple[float, str], Any] = {}
        self._properties = FontProperties

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        font = self._fonts.get((size, weight))
        if font is None:
            font = self._fonts[(size, weight)] = self._properties(family=FONT, size=size, weight=weight)
        w, _, _ = self.renderer.get_text_width_height_descent(text or " ", font, ismath=False)
        return w / self.dpi

    def wrap(self, text: str, width: float, size: float, weight: str = "normal") -> list[str]:
        """Lines of whole words no wider than ``width`` (a word wider than it gets a line to itself)."""
        lines: list[str] = []
        for word in text.split():
            if lines and self.width(f"{lines[-1]} {word}", size, weight) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return lines or [""]


def _line(size: float) -> float:
    """Line height in inches for a font size in points."""
    return size * 1.3 / 72


def _names(frequency: pd.DataFrame) -> dict[str, str]:
    return {str(r["code"]): str(r.get("name") or r["code"]) for r in frequency.to_dict("records")}


# ---------------------------------------------------------------------------- theory of change


@dataclass
class _Box:
    key: str
    x: float  # left, inches
    y: float  # top, inches from the bottom of the figure
    width: float
    lines: list[tuple[str, str, float, str]]  # (text, right-hand count, size, weight)
    color: str
    moderator: bool = False

    @property
    def height(self) -> float:
        return sum(_line(size) for _, _, size, _ in self.lines) + 2 * _PAD + _GAP_AFTER_TITLE

    @property
    def bottom(self) -> float:
        return self.y - self.height

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y - self.height / 2)


_PAD = 0.09
_MARGIN = 0.03
_GAP_AFTER_TITLE = 0.04
_BOX_WIDTH = 2.25
_BOX_GAP_Y = 0.7
_MODERATED_LABEL = 0.72  # along a moderated arrow, clear of the moderator's arrow landing at its middle


def toc_figure(codebook, evidence: pd.DataFrame, frequency: pd.DataFrame, framework: pd.DataFrame, *,
               path: str | os.PathLike | None = None, fmt: str | None = None, width: float = 9.8) -> bytes:
    """:func:`draw_toc` as image bytes (and written to ``path``)."""
    if path is not None:
        check_output(path)
    return _finish(draw_toc(codebook, evidence, frequency, framework, width=width), path, fmt)


def draw_toc(codebook, evidence: pd.DataFrame, frequency: pd.DataFrame, framework: pd.DataFrame, *,
             width: float = 9.8):
    """The theory of change as a matplotlib Figure: stages as columns of boxes, each box a node with its coded
    segments and cases and its child codes with theirs; each arrow labelled with the segments
    and cases that support the link (:func:`qualkit.analysis.toc_evidence`), its width growing
    with them; a moderator drawn above the link it moderates, with a dashed arrow onto it.

    ``frequency`` is :func:`qualkit.analysis.frequency`'s table and ``framework`` the
    theme-level framework counts (cases × themes), so every number is one of theirs.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if not codebook.links:
        raise AnalysisError("the codebook defines no theory-of-change links to draw; add them under toc: links:")
    nodes = list(dict.fromkeys(n for link in codebook.links for n in (link.source, link.target, *(link.moderates or ()))
                               if n))
    moderators = [n for n in dict.fromkeys(link.source for link in codebook.links if link.moderates)
                  if not any(n in (link.source, link.target) for link in codebook.links if not link.moderates)]
    main = [n for n in nodes if n not in moderators]
    stages = list(codebook.stages)
    columns: dict[int, list[str]] = {}
    for node in main:
        stage = _stage(codebook, node)
        columns.setdefault(stages.index(stage) if stage in stages else len(stages), []).append(node)
    ordered = [_column_order(members, codebook.links) for _, members in sorted(columns.items())]

    counts = {str(r["code"]): (int(r["segments"]), int(r["cases"])) for r in frequency.to_dict("records")}
    support = {str(r["link"]): (int(r["segments"]), int(r["cases"])) for r in evidence.to_dict("records")} \
        if not evidence.empty else {}
    figure = _figure(width, 6.0)
    measure = _Measure(figure)
    n_columns = len(ordered)
    inner = width - 2 * _MARGIN  # box borders are drawn half outside their edges: keep them on the canvas
    gap = (inner - n_columns * _BOX_WIDTH) / max(1, n_columns - 1) if n_columns > 1 else 0.0
    box_width = _BOX_WIDTH if n_columns > 1 else min(width, _BOX_WIDTH)
    colours = _theme_colours(codebook)

    def lines_for(node: str) -> list[tuple[str, str, float, str]]:
        code = codebook.code(node)
        inner = box_width - 2 * _PAD
        lines = [(text, "", TITLE, "bold") for text in measure.wrap(code.name, inner, TITLE, "bold")]
        segments, cases = _node_counts(node, counts, framework)
        lines.append((f"{_plural(segments, 'coded segment')} · {_plural(cases, 'case')}", "", SMALL, "normal"))
        for child in codebook.children(node):
            if not child.codable:
                continue
            n = counts.get(child.key, (0, 0))[0]
            count_width = measure.width(f"{n:,}", SMALL) + 0.12
            wrapped = measure.wrap(child.name, inner - count_width, SMALL)
            lines.append((wrapped[0], f"{n:,}", SMALL, "normal"))
            lines += [(text, "", SMALL, "normal") for text in wrapped[1:]]
        return lines

    header = _line(BODY) + 0.12
    moderated_by = {n: next(link.moderates for link in codebook.links if link.source == n and link.moderates)
                    for n in moderators}
    placed = [list(members) for members in ordered]
    for node in moderators:  # a moderator sits at the top of the column its link starts from
        source = moderated_by[node][0]
        index = next((i for i, members in enumerate(ordered) if source in members), 0)
        placed[index].insert(0, node) if placed else placed.append([node])
    boxes: dict[str, _Box] = {}
    heights = []
    for index, members in enumerate(placed):
        column_boxes = []
        for n in members:
            moderator = n in moderated_by
            lines = lines_for(n)
            if moderator:
                lines.insert(0, ("MODERATOR", "", SMALL, "normal"))
            column_boxes.append(_Box(n, _MARGIN + index * (box_width + gap), 0, box_width, lines,
                                     colours.get(n, PALETTE[4 if moderator else 0]), moderator=moderator))
        heights.append(sum(b.height for b in column_boxes) + _BOX_GAP_Y * (len(column_boxes) - 1))
        boxes.update({b.key: b for b in column_boxes})
    body = max(heights, default=1.0)
    height = header + body + 0.15
    figure.set_size_inches(width, height)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(0, height)
    axes.axis("off")

    top = height - header
    for index, members in enumerate(placed):  # centre each column vertically
        y = top - (body - heights[index]) / 2
        for node in members:
            boxes[node].y = y
            y -= boxes[node].height + _BOX_GAP_Y
        stage = next((_stage(codebook, n) for n in members if n not in moderated_by), None) or ""
        axes.text(_MARGIN + index * (box_width + gap) + box_width / 2, height - 0.08, stage.upper(), ha="center",
                  va="top", fontsize=BODY, color=MUTED, fontweight="bold", family=FONT)

    arrows = {}
    for link in codebook.links:
        if link.moderates or link.source not in boxes or link.target not in boxes:
            continue
        arrows[(link.source, link.target)] = _anchors(boxes[link.source], boxes[link.target])
    most = max((s for s, _ in support.values()), default=1) or 1
    for (source, target), (start, end) in arrows.items():
        segments, cases = support.get(f"{source} -> {target}", (0, 0))
        axes.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.0 + 3.0 * segments / most,
                                       color=ARROW, shrinkA=2, shrinkB=2, zorder=2))
        moderated = (source, target) in moderated_by.values()
        _arrow_label(axes, start, end, segments, cases, side=_MODERATED_LABEL if moderated else 0.5)

    for node, (a, b) in moderated_by.items():
        box = boxes[node]
        target = arrows.get((a, b))
        if target is None:
            mid = (box.x + box.width / 2, box.bottom - 0.4)
        else:
            (x1, y1), (x2, y2) = target
            mid = ((x1 + x2) / 2, (y1 + y2) / 2)
        if mid[0] > box.x + box.width:  # leave from the side facing the link, low down
            start = (box.x + box.width, box.bottom + min(0.2, box.height / 3))
        elif mid[0] < box.x:
            start = (box.x, box.bottom + min(0.2, box.height / 3))
        else:
            start = (mid[0], box.bottom)
        segments, cases = support.get(f"{node} moderates {a} -> {b}", (0, 0))
        axes.add_patch(FancyArrowPatch(start, mid, arrowstyle="-|>", mutation_scale=12, lw=1.4, ls=(0, (4, 3)),
                                       color=MODERATOR, shrinkA=1, shrinkB=3, zorder=2))
        _arrow_label(axes, start, mid, segments, cases, color=MODERATOR, side=0.45)

    for box in boxes.values():
        axes.add_patch(FancyBboxPatch((box.x, box.bottom), box.width, box.height,
                                      boxstyle="round,pad=0,rounding_size=0.06",
                                      facecolor=_tint(box.color, 0.12), edgecolor=box.color,
                                      lw=1.6 if box.moderator else 1.2, ls="--" if box.moderator else "-", zorder=3))
        y = box.y - _PAD
        for number, (text, count, size, weight) in enumerate(box.lines):
            stats = size == SMALL and not count and number > 0 and box.lines[number - 1][2] == TITLE
            muted = stats or (text == "MODERATOR" and number == 0 and box.moderator)
            axes.text(box.x + _PAD, y, text, ha="left", va="top", fontsize=size, fontweight="bold" if text ==
                      "MODERATOR" and box.moderator else weight, color=MODERATOR if text == "MODERATOR" and
                      box.moderator else (MUTED if muted else INK), family=FONT, zorder=4)
            if count:
                axes.text(box.x + box.width - _PAD, y, count, ha="right", va="top", fontsize=size, color=INK,
                          family=FONT, zorder=4)
            y -= _line(size) + (_GAP_AFTER_TITLE if weight == "bold" and box.lines[number + 1][3] != "bold" else 0)
    return figure


def _stage(codebook, node: str) -> str | None:
    try:
        return codebook.code(node).stage
    except KeyError:
        return None


def _column_order(members: list[str], links) -> list[str]:
    """Nodes of one column, a link's source above its target where links run within the column."""
    order = list(members)
    for _ in range(len(order)):
        moved = False
        for link in links:
            if link.source in order and link.target in order and order.index(link.source) > order.index(link.target):
                order.remove(link.source)
                order.insert(order.index(link.target), link.source)
                moved = True
        if not moved:
            break
    return order


def _node_counts(node: str, counts: Mapping[str, tuple[int, int]], framework: pd.DataFrame) -> tuple[int, int]:
    from qualkit.export.report_data import NO_CASE

    if node in framework.columns:
        column = framework[node]
        return int(column.sum()), int(sum(1 for case, n in column.items() if n and case != NO_CASE))
    return counts.get(node, (0, 0))


def _anchors(source: _Box, target: _Box) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an arrow leaves ``source`` and meets ``target``: side to side across columns,
    bottom to top within one."""
    if abs(source.x - target.x) < 1e-6:
        x = source.x + source.width / 2
        return ((x, source.bottom), (x, target.y)) if source.y > target.y else ((x, source.y), (x, target.bottom))
    (sx, sy), (tx, ty) = source.centre, target.centre
    if sx < tx:
        start_x, end_x = source.x + source.width, target.x
    else:
        start_x, end_x = source.x, target.x + target.width
    # leave and arrive towards the other box, within the middle of each side
    start_y = min(max(ty, source.bottom + 0.25 * source.height), source.y - 0.25 * source.height)
    end_y = min(max(sy, target.bottom + 0.25 * target.height), target.y - 0.25 * target.height)
    return (start_x, start_y), (end_x, end_y)


def _arrow_label(axes, start, end, segments: int, cases: int, *, color: str = ARROW, side: float = 0.5) -> None:
    x = start[0] + (end[0] - start[0]) * side
    y = start[1] + (end[1] - start[1]) * side
    text = f"{_plural(segments, 'segment')}\n{_plural(cases, 'case')}"
    axes.text(x, y, text, ha="center", va="center", fontsize=SMALL, color=color, family=FONT, zorder=5,
              bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": color, "lw": 0.6})


def _theme_colours(codebook) -> dict[str, str]:
    out = {}
    themes = [code for code in codebook.codes if code.parent is None]
    for index, code in enumerate(themes):
        out[code.key] = code.color or PALETTE[index % len(PALETTE)]
    for code in codebook.codes:
        if code.key not in out:
            out[code.key] = code.color or out.get(codebook.theme(code.key), PALETTE[0])
    return out


def _tint(colour: str, alpha: float) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (1 - alpha * (1 - r), 1 - alpha * (1 - g), 1 - alpha * (1 - b))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------------------------- heatmaps


def case_heatmap(counts: pd.DataFrame, frequency: pd.DataFrame, *, path: str | os.PathLike | None = None,
                 fmt: str | None = None, width: float = 6.5) -> bytes:
    """:func:`draw_case_heatmap` as image bytes (and written to ``path``)."""
    if path is not None:
        check_output(path)
    return _finish(draw_case_heatmap(counts, frequency, width=width), path, fmt)


def draw_case_heatmap(counts: pd.DataFrame, frequency: pd.DataFrame, *, width: float = 6.5):
    """Coded segments per code (rows, in codebook order, grouped by theme) and case (columns).

    ``counts`` is :func:`qualkit.analysis.framework` at ``level="code"`` (cases × codes, with
    "(no case)"); ``frequency`` gives the codes' names and themes.
    """
    codes = [str(c) for c in frequency["code"] if c in counts.columns]
    if not codes or counts.empty:
        raise AnalysisError("no coded segments to draw")
    names = _names(frequency)
    matrix = counts[codes].T.to_numpy()
    cases = [str(c) for c in counts.index]
    figure = _figure(width, 4)
    measure = _Measure(figure)
    label_width = min(2.6, max(measure.width(names[c], SMALL) for c in codes) + 0.1)
    row_labels = ["\n".join(measure.wrap(names[c], label_width - 0.1, SMALL)) for c in codes]
    cell_w = (width - label_width - 0.25) / len(cases)
    column_labels = ["\n".join(measure.wrap(c, cell_w - 0.04, SMALL)) for c in cases]
    head = max(label.count("\n") + 1 for label in column_labels) * _line(SMALL) + 0.15
    row_h = max(0.2, max(label.count("\n") + 1 for label in row_labels) * _line(SMALL) + 0.04)
    height = head + row_h * len(codes) + 0.45
    figure.set_size_inches(width, height)
    axes = figure.add_axes((label_width / width, 0.4 / height, (width - label_width - 0.25) / width,
                            (height - head - 0.45) / height))
    _grid(axes, matrix, row_labels, column_labels, top=True)
    themes = list(frequency.set_index("code").loc[codes, "theme"])
    _theme_rules(axes, themes, len(cases))
    figure.text(0.01, 0.1 / height, "Cells: coded segments with the code in the case's documents; darker = more.",
                fontsize=SMALL, color=MUTED, family=FONT)
    return figure


def cooccurrence_heatmap(pairs: pd.DataFrame, frequency: pd.DataFrame, *, path: str | os.PathLike | None = None,
                         fmt: str | None = None, width: float = 6.5) -> bytes:
    """:func:`draw_cooccurrence_heatmap` as image bytes (and written to ``path``)."""
    if path is not None:
        check_output(path)
    return _finish(draw_cooccurrence_heatmap(pairs, frequency, width=width), path, fmt)


def draw_cooccurrence_heatmap(pairs: pd.DataFrame, frequency: pd.DataFrame, *, width: float = 6.5):
    """Coded segments carrying both of two codes (:func:`qualkit.analysis.cooccurrence`, window
    0), as the lower triangle of a code × code grid; the diagonal gives each code's own coded
    segments (from ``frequency``). Columns are numbered like the rows, to keep labels level."""
    import numpy as np

    codes = [str(c) for c in frequency["code"]]
    if not codes:
        raise AnalysisError("no codes to draw")
    index = {c: i for i, c in enumerate(codes)}
    size = len(codes)
    matrix = np.full((size, size), np.nan)
    for record in pairs.to_dict("records"):
        a, b = str(record["code_a"]), str(record["code_b"])
        if a in index and b in index:
            i, j = sorted((index[a], index[b]), reverse=True)
            matrix[i, j] = record["both"]
    for i in range(size):
        for j in range(i):
            if np.isnan(matrix[i, j]):
                matrix[i, j] = 0
    own = {str(r["code"]): int(r["segments"]) for r in frequency.to_dict("records")}
    names = _names(frequency)
    figure = _figure(width, 4)
    measure = _Measure(figure)
    labels = [f"{i + 1}  {names[c]}" for i, c in enumerate(codes)]
    label_width = min(3.0, max(measure.width(label, SMALL) for label in labels) + 0.1)
    row_labels = ["\n".join(measure.wrap(label, label_width - 0.1, SMALL)) for label in labels]
    side = min((width - label_width - 0.2) / size, 0.32)
    row_h = max(side, max(label.count("\n") + 1 for label in row_labels) * _line(SMALL))
    height = row_h * size + 0.75
    figure.set_size_inches(width, height)
    axes = figure.add_axes((label_width / width, 0.45 / height, side * size / width, row_h * size / height))
    _grid(axes, matrix, row_labels, [str(i + 1) for i in range(size)], top=False,
          diagonal=[own.get(c, 0) for c in codes])
    _theme_rules(axes, list(frequency["theme"]), size, triangle=True)
    figure.text(0.01, 0.1 / height, "Cells: coded segments carrying both codes; the grey diagonal: each code's own "
                "coded segments.", fontsize=SMALL, color=MUTED, family=FONT)
    return figure


def _grid(axes, matrix, row_labels, column_labels, *, top: bool, diagonal: Sequence[int] | None = None) -> None:
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    colours = LinearSegmentedColormap.from_list("qualkit", ["#ffffff", "#c6dbef", "#4a7fb5", "#08306b"])
    values = np.ma.masked_invalid(matrix.astype(float))
    most = float(values.max()) if values.count() else 1.0
    axes.imshow(values, cmap=colours, vmin=0, vmax=max(most, 1.0), aspect="auto", interpolation="nearest")
    rows, columns = matrix.shape
    for i in range(rows):
        for j in range(columns):
            value = matrix[i, j]
            if diagonal is not None and i == j:
                axes.add_patch(_cell(i, j, "#e6e6e6"))
                axes.text(j, i, f"{diagonal[i]:,}", ha="center", va="center", fontsize=SMALL - 0.5, color=MUTED,
                          family=FONT)
                continue
            if value != value:  # NaN: above the diagonal
                continue
            dark = most and value / most > 0.55
            axes.text(j, i, f"{int(value):,}" if value else "·", ha="center", va="center", fontsize=SMALL - 0.5,
                      color="white" if dark else (INK if value else "#9a9a9a"), family=FONT)
    axes.set_yticks(range(rows), row_labels, fontsize=SMALL, family=FONT)
    axes.set_xticks(range(columns), column_labels, fontsize=SMALL, family=FONT)
    if top:
        axes.xaxis.tick_top()
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_xticks(np.arange(-0.5, columns, 1), minor=True)
    axes.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    axes.grid(which="minor", color="white", linewidth=1.0)
    axes.tick_params(which="minor", length=0)


def _cell(i: int, j: int, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour, edgecolor="white", lw=1.0, zorder=1)


def _theme_rules(axes, themes: Sequence[Any], size: int, *, triangle: bool = False) -> None:
    """Thin rules between themes, so codes read in their groups (in a triangle, only under it)."""
    for index in range(1, len(themes)):
        if themes[index] != themes[index - 1]:
            axes.plot([-0.5, index - 0.5 if triangle else size - 0.5], [index - 0.5] * 2, color="#7f7f7f", lw=0.8)
            if triangle:
                axes.plot([index - 0.5] * 2, [index - 0.5, len(themes) - 0.5], color="#7f7f7f", lw=0.8)


# ------------------------------------------------------------------------------------ bar chart


def frequency_bars(frequency: pd.DataFrame, *, by: str | None = None, totals: pd.DataFrame | None = None,
                   path: str | os.PathLike | None = None, fmt: str | None = None, width: float = 6.5) -> bytes:
    """:func:`draw_frequency_bars` as image bytes (and written to ``path``)."""
    if path is not None:
        check_output(path)
    return _finish(draw_frequency_bars(frequency, by=by, totals=totals, width=width), path, fmt)


def draw_frequency_bars(frequency: pd.DataFrame, *, by: str | None = None, totals: pd.DataFrame | None = None,
                        width: float = 6.5):
    """Each code's share of coded segments as horizontal bars, codes in codebook order.

    With ``by``, one bar per group (``share[by=value]`` columns of
    :func:`qualkit.analysis.frequency`), so groups of different sizes compare fairly; the
    legend gives each group's coded segments from ``totals`` (:func:`qualkit.analysis.totals`).
    Without it, one bar per code (``share``).
    """
    import numpy as np

    prefix = f"share[{by}="
    groups = [str(c)[len(prefix):-1] for c in frequency.columns if by and str(c).startswith(prefix)]
    if by and not groups:
        raise AnalysisError(f"the frequency table has no share[{by}=...] columns; compute it with by={by!r}")
    codes = [str(c) for c in frequency["code"]]
    names = _names(frequency)
    figure = _figure(width, 4)
    measure = _Measure(figure)
    label_width = min(2.8, max(measure.width(names[c], SMALL) for c in codes) + 0.1)
    labels = ["\n".join(measure.wrap(names[c], label_width - 0.1, SMALL)) for c in codes]
    series = [(g, frequency[f"{prefix}{g}]"].to_numpy()) for g in groups] if by else [("all", frequency["share"]
                                                                                       .to_numpy())]
    bar = 0.1 if len(series) > 1 else 0.16
    row_h = max(bar * len(series) + 0.1, max(label.count("\n") + 1 for label in labels) * _line(SMALL) + 0.04)
    legend = (0.3 + _line(SMALL) * ((len(series) + 1) // 2)) if by else 0.0
    height = row_h * len(codes) + 0.6 + legend
    figure.set_size_inches(width, height)
    axes = figure.add_axes((label_width / width, 0.45 / height, (width - label_width - 0.45) / width,
                            row_h * len(codes) / height))
    denominators = {}
    if totals is not None:
        denominators = {str(r["group"]): int(r["coded_segments"]) for r in totals.to_dict("records")}
    positions = np.arange(len(codes))
    thickness = 0.8 / len(series)
    most = max(float(np.nanmax(values)) if len(values) else 0.0 for _, values in series) or 1.0
    for number, (group, values) in enumerate(series):
        offset = (number - (len(series) - 1) / 2) * thickness
        colour = PALETTE[number % len(PALETTE)] if by else "#4a7fb5"
        label = group if by else "all coded segments"
        if group in denominators:
            label += f" ({denominators[group]:,} coded segments)"
        axes.barh(positions + offset, 100 * values, height=thickness * 0.92, color=colour, label=label)
        for y, value in zip(positions + offset, values, strict=True):
            axes.text(100 * value + most * 1.2, y, f"{100 * value:.0f}%", va="center", fontsize=SMALL - 1,
                      color=MUTED, family=FONT)
    axes.set_yticks(positions, labels, fontsize=SMALL, family=FONT)
    axes.invert_yaxis()
    axes.set_ylim(len(codes) - 0.5, -0.5)
    axes.set_xlim(0, 100 * most * 1.15)
    axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0f}%")
    axes.tick_params(labelsize=SMALL, length=2)
    for spine in ("top", "right"):
        axes.spines[spine].set_visible(False)
    themes = list(frequency["theme"])
    for index in range(1, len(themes)):
        if themes[index] != themes[index - 1]:
            axes.axhline(index - 0.5, color="#bdbdbd", lw=0.6)
    everything = f"all {denominators['(all)']:,}" if "(all)" in denominators else "all"
    denominator = "its group's coded segments" if by else f"{everything} coded segments"
    axes.set_xlabel(f"Share of {denominator} that carry the code", fontsize=SMALL, family=FONT)
    if by:
        handles, texts = axes.get_legend_handles_labels()
        room = width - 0.3 - measure.width(f"{by}:", SMALL, "bold")
        columns = len(texts)
        widths = sorted((measure.width(t, SMALL) + 0.45 for t in texts), reverse=True)
        while columns > 1 and sum(widths[:columns]) > room:
            columns -= 1
        figure.legend(handles, texts, loc="upper left", bbox_to_anchor=(0.01, 1 - 0.05 / height), ncol=columns,
                      fontsize=SMALL, frameon=False, handlelength=1.2, title=f"{by}:", title_fontsize=SMALL,
                      alignment="left")
    return figure


# ------------------------------------------------------------------------------ from the CLI


def plot(analysis: str, frame: pd.DataFrame, codebook, *, path: str | os.PathLike, by: str | None = None,
         window: int | None = None, fmt: str | None = None) -> Path:
    """Draw the figure for ``qualkit analyse ANALYSIS --plot PATH`` from the codings table.

    frequency: bars (per group of ``by``); cooccurrence: the heatmap (``window`` ignored:
    the figure counts shared segments); framework: the code × case heatmap; toc: the theory
    of change. The folder is checked before anything is computed.
    """
    from qualkit import analysis as A

    path = check_output(path)
    output_format(path, fmt)
    if analysis == "frequency":
        frequency_bars(A.frequency(frame, codebook, by=by), by=by, totals=A.totals(frame, by=by), path=path, fmt=fmt)
    elif analysis == "cooccurrence":
        cooccurrence_heatmap(A.cooccurrence(frame), A.frequency(frame, codebook), path=path, fmt=fmt)
    elif analysis == "framework":
        counts, _ = A.framework(frame, codebook, level="code", quotes=0)
        case_heatmap(counts, A.frequency(frame, codebook), path=path, fmt=fmt)
    elif analysis == "toc":
        evidence, _ = A.toc_evidence(frame, codebook, window=1 if window is None else window, quotes=0)
        counts, _ = A.framework(frame, codebook, quotes=0)
        toc_figure(codebook, evidence, A.frequency(frame, codebook), counts, path=path, fmt=fmt)
    else:
        raise AnalysisError(f"no figure for {analysis!r}; --plot draws frequency, cooccurrence, framework and toc")
    return path
