"""The tables researchers write up, as pandas DataFrames: codings, frequencies, co-occurrence,
the framework matrix, intended vs enacted, and theory-of-change evidence.

Everything starts from :func:`codings`: one row per coded segment × code, under a consensus
rule (default ``any``) or one reviewer's view, optionally with pending suggestions (marked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from qualkit.errors import AnalysisError
from qualkit.records import NO_DECISIONS, Coding, Status
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store

QUOTE_LENGTH = 240


CODING_COLUMNS = [
    "document", "kind", "case", "segment", "speaker", "timestamp", "start", "end", "text", "code", "code_name",
    "theme", "stage", "reviewers", "source", "score", "status", "decided_at",
]


def coding_records(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS,
                   include_pending: bool = False) -> list[Coding]:
    """Every coding under ``consensus`` (and pending suggestions, if asked), once per segment × code,
    in document order."""
    from qualkit.review.actions import states

    codes = {code.key: code for code in codebook.codes}
    wanted = {Status.ACCEPTED, Status.PENDING} if include_pending else {Status.ACCEPTED}
    found = states(store)
    documents = {d.name: d for d in store.documents.infos()}
    case_attributes = {case.name: case.attributes for case in store.documents.cases()}
    document_attributes = store.documents.attributes()
    decided = store.decisions.decided_at()
    records: list[Coding] = []
    seen: set[tuple[str, int, str]] = set()
    for view in store.suggestions.views():
        state = found.get(view.id, NO_DECISIONS)
        status = consensus.status(state)
        if status not in wanted:
            continue
        key = (view.document, view.segment, view.code)
        if key in seen:
            continue
        seen.add(key)
        document = documents[view.document]
        code = codes.get(view.code)
        records.append(Coding(
            suggestion_id=view.id, document=view.document, kind=document.kind, case=view.case,
            attributes={**(case_attributes.get(view.case, {}) if view.case else {}),
                        **document_attributes.get(document.id, {})},
            segment=view.segment, speaker=view.speaker, timestamp=view.timestamp, start=view.start, end=view.end,
            text=view.text, code=view.code, code_name=code.name if code else view.code,
            theme=codebook.theme(view.code) if code else None, stage=code.stage if code else None,
            accepted_by=state.only(consensus.reviewers).accepted_by, verdicts=state.verdicts, source=view.source,
            score=view.score,
            status=status, decided_at=decided.get(view.id), evidence=view.evidence,
        ))
    return records


def codings_frame(records: Sequence[Coding], *, where: Mapping[str, str] | None = None):
    """Codings as a table: one row per coding, every case and document attribute as a column."""
    import pandas as pd

    rows = [
        {
            "document": c.document, "kind": c.kind.value, "case": c.case, **c.attributes, "segment": c.segment,
            "speaker": c.speaker, "timestamp": c.timestamp, "start": c.start, "end": c.end, "text": c.text,
            "code": c.code, "code_name": c.code_name, "theme": c.theme, "stage": c.stage,
            "reviewers": "; ".join(f"{name}:{verdict.value}" for name, verdict in sorted(c.verdicts.items())),
            "source": c.source.value, "score": c.score,
            "status": c.status.value, "decided_at": c.decided_at,
        }
        for c in records
    ]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=CODING_COLUMNS)
    for column, value in (where or {}).items():
        if column not in frame.columns:
            raise AnalysisError(f"no attribute {column!r} to filter on; attributes: {', '.join(frame.columns)}")
        frame = frame[frame[column].astype(str) == value]
    return frame


def codings(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS,
            include_pending: bool = False, where: Mapping[str, str] | None = None):
    """:func:`coding_records` as a table (:func:`codings_frame`)."""
    return codings_frame(coding_records(store, codebook, consensus=consensus, include_pending=include_pending),
                         where=where)


def _require(frame, what: str):
    if frame.empty:
        raise AnalysisError(
            f"nothing to {what}: no accepted codings yet; review suggestions first "
            "(`qualkit review`), or include pending suggestions with --include-pending"
        )


def frequency(frame, codebook, *, by: str | None = None):
    """Segments, documents and cases per code, with each code's share of coded segments."""
    import pandas as pd

    _require(frame, "count")
    if by and by not in frame.columns:
        raise AnalysisError(f"no attribute {by!r}; choose one of: {', '.join(_attributes(frame))}")
    total_segments = frame[["document", "segment"]].drop_duplicates().shape[0]
    rows = []
    for code in codebook.codable:
        mine = frame[frame["code"] == code.key]
        row = {
            "code": code.key, "name": code.name, "theme": codebook.theme(code.key),
            "segments": int(mine[["document", "segment"]].drop_duplicates().shape[0]),
            "documents": int(mine["document"].nunique()), "cases": int(mine["case"].dropna().nunique()),
        }
        row["share"] = row["segments"] / total_segments if total_segments else 0.0
        if by:
            for value, group in frame.groupby(by):
                group_segments = group[["document", "segment"]].drop_duplicates().shape[0]
                n = group[group["code"] == code.key][["document", "segment"]].drop_duplicates().shape[0]
                row[f"segments[{by}={value}]"] = int(n)
                row[f"share[{by}={value}]"] = n / group_segments if group_segments else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def _attributes(frame) -> list[str]:
    fixed = {"segment", "start", "end", "text", "score", "timestamp", "decided_at", "reviewers"}
    return [c for c in frame.columns if c not in fixed]


def cooccurrence(frame, *, window: int = 0):
    """Code × code counts of segments (or neighbourhoods of ±window segments) coded with both,
    with the Jaccard index: both / either."""
    import pandas as pd

    _require(frame, "cross-tabulate")
    units: dict[str, set] = {}
    for document, segment, code in frame[["document", "segment", "code"]].itertuples(index=False):
        for offset in range(-window, window + 1):
            units.setdefault(code, set()).add((document, segment + offset))
    exact: dict[str, set] = {}
    for document, segment, code in frame[["document", "segment", "code"]].itertuples(index=False):
        exact.setdefault(code, set()).add((document, segment))
    codes = sorted(exact)
    rows = []
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            # a pair co-occurs at a segment coded b that lies within a's window
            both = len(exact[b] & units[a])
            if both == 0:
                continue
            either = len(exact[a] | exact[b])
            rows.append({"code_a": a, "code_b": b, "both": both, "jaccard": both / either if either else 0.0})
    return pd.DataFrame(rows, columns=["code_a", "code_b", "both", "jaccard"]).sort_values(
        ["both", "code_a", "code_b"], ascending=[False, True, True], ignore_index=True
    )


def _quotes(group, n: int = 2) -> tuple[str, ...]:
    """Representative quotes: highest-scoring, then most direct (shortest), trimmed."""
    ordered = group.assign(_len=group["text"].str.len()).sort_values(["score", "_len"], ascending=[False, True])
    out = []
    for text in ordered["text"].drop_duplicates().head(n):
        text = " ".join(str(text).split())
        out.append(text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rsplit(" ", 1)[0] + "…")
    return tuple(out)


def framework(frame, codebook):
    """Cases × themes: coded segments per cell, and up to two representative quotes per cell."""
    import pandas as pd

    _require(frame, "tabulate")
    themes = [code.key for code in codebook.codes if code.parent is None]
    cased = frame[frame["case"].notna()]
    cases = sorted(cased["case"].unique())
    counts = pd.DataFrame(0, index=cases, columns=themes)
    quotes: dict[tuple[str, str], tuple[str, ...]] = {}
    for (case, theme), group in cased.groupby(["case", "theme"]):
        counts.loc[case, theme] = group[["document", "segment"]].drop_duplicates().shape[0]
        quotes[(case, theme)] = _quotes(group)
    return counts, quotes


def compare(frame, codebook, *, by: str = "kind"):
    """Intended vs enacted: each code's and ToC node's share of coded segments per group of
    ``by`` (policy documents vs interviews by default), side by side, with the gap."""
    import pandas as pd

    _require(frame, "compare")
    if by not in frame.columns:
        raise AnalysisError(f"no attribute {by!r}; choose one of: {', '.join(_attributes(frame))}")
    groups = sorted(frame[by].dropna().astype(str).unique())
    if len(groups) < 2:
        raise AnalysisError(f"--by {by} has only one value ({', '.join(groups)}); nothing to compare")
    totals = {g: frame[frame[by].astype(str) == g][["document", "segment"]].drop_duplicates().shape[0] for g in groups}
    rows = []
    for level, keys in (("code", [c.key for c in codebook.codable]),
                        ("theme", [c.key for c in codebook.codes if c.parent is None])):
        for key in keys:
            column = "code" if level == "code" else "theme"
            row = {"level": level, "key": key}
            for g in groups:
                mine = frame[(frame[by].astype(str) == g) & (frame[column] == key)]
                row[f"share[{g}]"] = mine[["document", "segment"]].drop_duplicates().shape[0] / totals[g]
            shares = [row[f"share[{g}]"] for g in groups]
            row["gap"] = shares[-1] - shares[0] if len(groups) == 2 else max(shares) - min(shares)
            rows.append(row)
    return pd.DataFrame(rows)


def toc_evidence(frame, codebook, *, window: int = 1, by: str | None = None):
    """Evidence for every theory-of-change link: segments and cases where both ends are coded
    together (within ±window segments of one document), split by ``by``; and nodes with none."""
    import pandas as pd

    nodes_in_links = {n for link in codebook.links for n in (link.source, link.target, *(link.moderates or ())) if n}
    units: dict[str, set] = {}
    meta: dict[tuple, tuple] = {}
    for row in frame.itertuples(index=False):
        key = (row.document, row.segment)
        case = row.case if isinstance(row.case, str) else None  # pandas turns a missing case into NaN
        meta[key] = (case, row.text, getattr(row, by) if by else None)
        for node in _nodes(codebook, row.code):
            units.setdefault(node, set()).add(key)

    def near(a: str, b: str) -> set:
        hits = set()
        b_units = units.get(b, set())
        for document, segment in units.get(a, set()):
            for offset in range(-window, window + 1):
                if (document, segment + offset) in b_units:
                    hits.add((document, segment))
                    hits.add((document, segment + offset))
        return hits

    rows = []
    for link in codebook.links:
        if link.target:
            hits = near(link.source, link.target)
            name = f"{link.source} -> {link.target}"
        else:
            a, b = link.moderates
            hits = near(link.source, a) | near(link.source, b)  # the moderator beside either end
            name = f"{link.source} moderates {a} -> {b}"
        cases = sorted({meta[h][0] for h in hits if h in meta and meta[h][0]})
        quotes: list[tuple[str, str, str]] = []
        for h in sorted(hits):
            if h in meta and len(quotes) < 3:
                text = " ".join(str(meta[h][1]).split())
                quotes.append((meta[h][0] or "", h[0], text[:QUOTE_LENGTH]))
        row = {"link": name, "source": link.source, "target": link.target or "", "label": link.label,
               "moderates": " -> ".join(link.moderates) if link.moderates else "",
               "segments": len([h for h in hits if h in meta]), "cases": len(cases),
               "supporting_cases": ", ".join(cases), "quotes": quotes}
        if by:
            for value in sorted({str(meta[h][2]) for h in hits if h in meta}):
                row[f"segments[{by}={value}]"] = sum(1 for h in hits if h in meta and str(meta[h][2]) == value)
        rows.append(row)
    unevidenced = sorted(node for node in nodes_in_links if not units.get(node))
    return pd.DataFrame(rows), unevidenced


def _nodes(codebook, code: str) -> list[str]:
    """A code and every ancestor: a coding of culture.trust is evidence for culture too."""
    out = [code]
    try:
        current = codebook.code(code)
    except KeyError:
        return out
    while current.parent:
        out.append(current.parent)
        current = codebook.code(current.parent)
    return out


def toc_diagram(codebook, evidence, frame, path=None, *, fmt: str = "png") -> bytes:
    """The theory of change as a left-to-right diagram: stages as columns, node size by coded
    segments, link width by supporting segments. Returns the image bytes (and writes ``path``)."""
    import io
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = sorted({n for link in codebook.links for n in (link.source, link.target, *(link.moderates or ())) if n})
    stages = list(codebook.stages) or ["(all)"]
    column = {}
    for node in nodes:
        stage = codebook.code(node).stage
        column[node] = stages.index(stage) if stage in stages else 0
    rows_in: dict[int, list[str]] = {}
    for node in nodes:
        rows_in.setdefault(column[node], []).append(node)
    moderators = {link.source for link in codebook.links if link.moderates}
    position = {}
    for col, members in rows_in.items():
        for i, node in enumerate(members):
            lift = 1.4 if node in moderators else 0.0  # above the link it moderates, so the arrow shows
            position[node] = (col, -(i - (len(members) - 1) / 2) + lift)
    def coded(node: str) -> int:
        mine = frame[frame["theme"].eq(node) | frame["code"].eq(node)]
        return int(mine[["document", "segment"]].drop_duplicates().shape[0])

    size = {n: coded(n) if not frame.empty else 0 for n in nodes}
    figure, axes = plt.subplots(figsize=(10, 5))
    support = {row["link"]: row["segments"] for _, row in evidence.iterrows()} if not evidence.empty else {}
    for link in codebook.links:
        if link.target:
            (x1, y1), (x2, y2) = position[link.source], position[link.target]
            width = 1 + 6 * support.get(f"{link.source} -> {link.target}", 0) / max(1, max(support.values(), default=1))
            axes.annotate("", xy=(x2, y2), xytext=(x1, y1),
                          arrowprops={"arrowstyle": "->", "lw": width, "color": "#4a6fa5",
                                      "shrinkA": 25, "shrinkB": 25})
        else:
            a, b = link.moderates
            mx, my = (position[a][0] + position[b][0]) / 2, (position[a][1] + position[b][1]) / 2
            x1, y1 = position[link.source]
            axes.annotate("", xy=(mx, my), xytext=(x1, y1),
                          arrowprops={"arrowstyle": "-|>", "lw": 1.5, "ls": "--", "color": "#c0504d", "shrinkA": 25})
    biggest = max(size.values(), default=1) or 1
    for node, (x, y) in position.items():
        axes.scatter([x], [y], s=600 + 2400 * size[node] / biggest, color="#dce6f2", edgecolor="#1f3864", zorder=3)
        label = textwrap.fill(codebook.code(node).name, 16)
        axes.text(x, y, f"{label}\n({size[node]})", ha="center", va="center", fontsize=7, zorder=4)
    for i, stage in enumerate(stages):
        axes.text(i, max((p[1] for p in position.values()), default=0) + 0.9, stage.upper(), ha="center",
                  fontsize=9, color="#555555")
    axes.set_xlim(-0.6, len(stages) - 0.4)
    heights = [p[1] for p in position.values()] or [0]
    axes.set_ylim(min(heights) - 1, max(heights) + 1.3)
    axes.axis("off")
    axes.set_title(f"Theory of change: {codebook.name} — node size: coded segments; arrow width: supporting segments",
                   fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, bbox_inches="tight", dpi=150)
    plt.close(figure)
    data = buffer.getvalue()
    if path is not None:
        with open(path, "wb") as handle:
            handle.write(data)
    return data


