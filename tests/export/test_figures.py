"""Figures drawn from analysis tables: every label inside its box, every number from the table."""

import re

import pandas as pd
import pytest

from qualkit.codebook import Code, Codebook, Link
from qualkit.errors import AnalysisError, ExportError
from qualkit.export import figures as F
from tests.conftest import DATA
from tests.test_analysis import SCHOOL_A, SCHOOL_B, interview


def _code(key, name, parent=None, stage=None, codable=True):
    return Code(key=key, name=name, definition="", parent=parent, stage=stage, codable=codable)


CODEBOOK = Codebook(
    name="Test", version=1, description="", stages=("input", "moderator", "mechanism", "outcome"),
    codes=(
        _code("offer", "The coherent offer and other PD provision", stage="input", codable=False),
        _code("offer.npq", "National professional qualifications", "offer", "input"),
        _code("offer.networks", "Hubs, networks, external providers and national programmes", "offer", "input"),
        _code("decision", "School decisions about PD", stage="moderator", codable=False),
        _code("decision.capacity", "Time, cover and funding", "decision", "moderator"),
        _code("culture", "School culture", stage="mechanism", codable=False),
        _code("culture.trust", "Trust, autonomy and accountability", "culture", "mechanism"),
        _code("teaching", "High-quality teaching", stage="mechanism", codable=False),
        _code("teaching.pedagogy", "Pedagogy, curriculum, assessment and subject knowledge", "teaching",
              "mechanism"),
        _code("outcomes", "Pupil outcomes", stage="outcome", codable=False),
        _code("outcomes.equity", "Outcomes for disadvantaged pupils and pupils with SEND", "outcomes", "outcome"),
    ),
    links=(Link("offer", "culture"), Link("offer", "teaching"), Link("culture", "teaching"),
           Link("teaching", "outcomes"), Link("decision", None, moderates=("offer", "culture"))),
    sha256="x", source="", path="",
)
LEAVES = [c for c in CODEBOOK.codes if c.codable]
FREQUENCY = pd.DataFrame({
    "code": [c.key for c in LEAVES], "name": [c.name for c in LEAVES], "theme": [c.parent for c in LEAVES],
    "segments": [43, 54, 80, 30, 47, 17], "documents": [17, 16, 18, 14, 16, 12], "cases": [6, 5, 6, 6, 6, 5],
    "share": [0.16, 0.2, 0.3, 0.11, 0.18, 0.06],
    "share[phase=primary]": [0.2, 0.1, 0.3, 0.1, 0.2, 0.05], "share[phase=(no value)]": [0.1, 0.3, 0.2, 0.1, 0.1, 0.1],
})
FRAMEWORK = pd.DataFrame({"offer": [31, 28, 35], "decision": [21, 18, 23], "culture": [16, 12, 0],
                          "teaching": [17, 15, 7], "outcomes": [6, 5, 3]},
                         index=pd.Index(["Brookfield Primary", "Fellside CE Primary", "(no case)"], name="case"))
EVIDENCE = pd.DataFrame({
    "link": ["offer -> culture", "offer -> teaching", "culture -> teaching", "teaching -> outcomes",
             "decision moderates offer -> culture"],
    "segments": [97, 78, 35, 32, 135], "cases": [6, 6, 6, 5, 6],
})


def _svg_texts(svg: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())]


def test_draw_toc_every_label_inside_its_box():
    from matplotlib.patches import FancyBboxPatch

    figure = F.draw_toc(CODEBOOK, EVIDENCE, FREQUENCY, FRAMEWORK)
    renderer = figure.canvas.get_renderer()
    [axes] = figure.axes
    boxes = [p.get_window_extent(renderer) for p in axes.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 5
    inside = [t for t in axes.texts if t.get_zorder() == 4]
    assert len(inside) >= 5 * 3
    for text in inside:
        extent = text.get_window_extent(renderer)
        assert any(b.x0 <= extent.x0 and extent.x1 <= b.x1 and b.y0 <= extent.y0 and extent.y1 <= b.y1
                   for b in boxes), text.get_text()
    for a in boxes:  # no two boxes overlap
        assert sum(1 for b in boxes if a.overlaps(b)) == 1


def test_toc_figure_labels_nodes_children_and_links_with_their_numbers():
    texts = _svg_texts(F.toc_figure(CODEBOOK, EVIDENCE, FREQUENCY, FRAMEWORK, fmt="svg"))
    joined = " ".join(texts)
    assert "School decisions about PD" in joined and "MODERATOR" in texts
    assert "Time, cover and funding" in texts and "80" in texts  # a child code with its coded segments
    assert "94 coded segments · 2 cases" in texts  # offer: 31 + 28 + 35 from the framework; "(no case)" is no case
    for segments, cases in zip(EVIDENCE["segments"], EVIDENCE["cases"], strict=True):
        assert f"{segments} segments" in texts and f"{cases} cases" in texts


def test_toc_figure_without_links_says_so():
    import dataclasses

    with pytest.raises(AnalysisError, match="no theory-of-change links"):
        F.toc_figure(dataclasses.replace(CODEBOOK, links=()), EVIDENCE, FREQUENCY, FRAMEWORK)


def test_case_heatmap_cells_are_the_counts():
    counts = pd.DataFrame([[8, 1, 0], [5, 14, 2]], index=pd.Index(["School A", "(no case)"], name="case"),
                          columns=["offer.npq", "offer.networks", "culture.trust"])
    figure = F.draw_case_heatmap(counts.T.T, FREQUENCY[FREQUENCY["code"].isin(counts.columns)])
    [axes] = figure.axes
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in axes.texts}
    assert cells[(0, 0)] == "8" and cells[(1, 1)] == "14" and cells[(2, 0)] == "·" and cells[(2, 1)] == "2"
    assert [t.get_text() for t in axes.get_xticklabels()] == ["School A", "(no case)"]


def test_cooccurrence_heatmap_lower_triangle_with_own_counts():
    pairs = pd.DataFrame({"code_a": ["offer.npq", "culture.trust"], "code_b": ["culture.trust", "outcomes.equity"],
                          "both": [9, 4], "jaccard": [0.1, 0.1]})
    figure = F.draw_cooccurrence_heatmap(pairs, FREQUENCY)
    [axes] = figure.axes
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in axes.texts}
    order = list(FREQUENCY["code"])
    assert cells[(order.index("culture.trust"), order.index("offer.npq"))] == "9"
    assert cells[(order.index("outcomes.equity"), order.index("culture.trust"))] == "4"
    assert cells[(0, 0)] == "43"  # the diagonal: the code's own coded segments
    assert not any(row < column for row, column in cells)  # nothing above the diagonal


def test_frequency_bars_one_series_per_group_with_denominators():
    totals = pd.DataFrame({"group": ["(all)", "primary", "(no value)"], "coded_segments": [263, 141, 49]})
    figure = F.draw_frequency_bars(FREQUENCY, by="phase", totals=totals)
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["primary (141 coded segments)",
                                                          "(no value) (49 coded segments)"]
    [axes] = figure.axes
    widths = sorted(round(p.get_width(), 6) for p in axes.patches)
    assert widths == sorted(round(100 * v, 6) for v in FREQUENCY["share[phase=primary]"].tolist()
                            + FREQUENCY["share[phase=(no value)]"].tolist())
    with pytest.raises(AnalysisError, match=r"no share\[region=...\] columns"):
        F.draw_frequency_bars(FREQUENCY, by="region")


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_figures_write_every_format(tmp_path, suffix):
    path = tmp_path / f"bars.{suffix}"
    data = F.frequency_bars(FREQUENCY, path=path)
    assert path.read_bytes() == data
    assert data[:4] in (b"\x89PNG", b"<?xm", b"%PDF")


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing/toc.png", "folder .*missing does not exist; create it"), ("toc.gif", "cannot draw a figure as 'gif'")],
    ids=["missing-folder", "unknown-format"],
)
def test_figures_bad_path_is_a_clear_error(tmp_path, name, message):
    with pytest.raises(ExportError, match=message):
        F.toc_figure(CODEBOOK, EVIDENCE, FREQUENCY, FRAMEWORK, path=tmp_path / name)
    assert not (tmp_path / "missing").exists()


def test_figures_same_tables_same_bytes():
    assert F.case_heatmap(FRAMEWORK[["offer"]].rename(columns={"offer": "offer.npq"}), FREQUENCY[:1]) == \
        F.case_heatmap(FRAMEWORK[["offer"]].rename(columns={"offer": "offer.npq"}), FREQUENCY[:1])


@pytest.fixture
def analysed(project, tmp_path):
    """Two coded interviews in two cases, every suggestion accepted."""
    for name, answers in (("a.txt", SCHOOL_A), ("b.txt", SCHOOL_B)):
        (tmp_path / name).write_text(interview(answers), encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,case,phase\na.txt,School A,primary\nb.txt,School B,secondary\n")
    project.ingest([tmp_path / "a.txt", tmp_path / "b.txt"], cases_file=cases)
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    project.decide("ann", accept=[r["id"] for r in project.suggestions()])
    return project


@pytest.mark.parametrize("analysis", ["frequency", "cooccurrence", "framework", "toc"])
def test_plot_draws_each_analysis_for_the_cli(analysed, tmp_path, analysis):

    _, codebook = analysed.codebook()
    written = F.plot(analysis, analysed.codings(), codebook, path=tmp_path / f"{analysis}.svg",
                     by="phase" if analysis == "frequency" else None)
    assert written.read_bytes().startswith(b"<?xml")


def test_plot_refuses_what_it_cannot_draw(analysed, tmp_path):

    _, codebook = analysed.codebook()
    with pytest.raises(AnalysisError, match="no figure for 'compare'"):
        F.plot("compare", analysed.codings(), codebook, path=tmp_path / "x.png")
    with pytest.raises(ExportError, match="folder .*missing does not exist"):
        F.plot("toc", analysed.codings(), codebook, path=tmp_path / "missing" / "x.png")
