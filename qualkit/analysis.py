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

QUOTE_WORDS = 40  # representative quotes in tables: a sentence or two around the evidence


CODING_COLUMNS = [
    "document", "kind", "case", "segment", "speaker", "timestamp", "start", "end", "text", "code", "code_name",
    "theme", "stage", "reviewers", "source", "score", "status", "decided_at", "evidence",
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
            "evidence": tuple((e.start, e.end) for e in c.evidence),  # document offsets of the matched words
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


# Three counts, never confused (see qualkit.export.report_data): a *coding* is one row of the
# codings table (a passage x code); a *coded segment* is a (document, segment) with at least one
# coding; shares divide coded segments by coded segments, never by codings or by all segments.


def _passages(frame) -> int:
    """Coded segments in ``frame``: distinct (document, segment) pairs."""
    return int(frame[["document", "segment"]].drop_duplicates().shape[0])


def _cases(frame) -> int:
    """Real cases in ``frame``; documents without a case are not a case."""
    return int(frame["case"].dropna().nunique())


def groups(frame, by: str):
    """``frame[by]`` as text, a missing value named: "(no case)" for ``case``, else "(no value)".

    Every coding falls in exactly one group, so group counts add up to the total.
    """
    from qualkit.export.report_data import NO_CASE, NO_VALUE

    if by not in frame.columns:
        raise AnalysisError(f"no attribute {by!r}; choose one of: {', '.join(_attributes(frame))}")
    missing = NO_CASE if by == "case" else NO_VALUE
    values = frame[by]
    return values.where(values.notna() & values.astype(str).ne(""), missing).astype(str)


def group_order(values) -> list[str]:
    """Group names sorted, with the "(no case)"/"(no value)" group last."""
    from qualkit.export.report_data import NO_CASE, NO_VALUE

    present = set(values)
    return sorted(present - {NO_CASE, NO_VALUE}, key=str.casefold) + [g for g in (NO_CASE, NO_VALUE) if g in present]


def totals(frame, *, by: str | None = None):
    """The denominators: codings, coded segments, documents and cases, overall (group
    ``"(all)"``) and per group of ``by``. Groups add up to the overall row."""
    import pandas as pd

    _require(frame, "count")
    rows = [{"group": "(all)", "codings": len(frame), "coded_segments": _passages(frame),
             "documents": int(frame["document"].nunique()), "cases": _cases(frame)}]
    if by:
        grouped = frame.assign(_group=groups(frame, by))
        for value in group_order(grouped["_group"].unique()):
            mine = grouped[grouped["_group"] == value]
            rows.append({"group": value, "codings": len(mine), "coded_segments": _passages(mine),
                         "documents": int(mine["document"].nunique()), "cases": _cases(mine)})
    return pd.DataFrame(rows, columns=["group", "codings", "coded_segments", "documents", "cases"])


def frequency(frame, codebook, *, by: str | None = None):
    """Per codable code: ``segments`` (coded segments carrying it), ``documents``, ``cases`` and
    ``share`` = segments / all coded segments. A segment can carry several codes, so shares add
    up to more than 1. With ``by``: ``segments[by=value]`` and ``share[by=value]`` (of that
    group's coded segments) for every value, "(no value)" included, so the groups add up to
    ``segments``. The denominators are :func:`totals`."""
    import pandas as pd

    _require(frame, "count")
    total_segments = _passages(frame)
    grouped = frame.assign(_group=groups(frame, by)) if by else frame
    values = group_order(grouped["_group"].unique()) if by else []
    group_segments = {v: _passages(grouped[grouped["_group"] == v]) for v in values}
    rows = []
    for code in codebook.codable:
        mine = grouped[grouped["code"] == code.key]
        row = {
            "code": code.key, "name": code.name, "theme": codebook.theme(code.key),
            "segments": _passages(mine), "documents": int(mine["document"].nunique()), "cases": _cases(mine),
        }
        row["share"] = row["segments"] / total_segments if total_segments else 0.0
        for value in values:
            n = _passages(mine[mine["_group"] == value])
            row[f"segments[{by}={value}]"] = n
            row[f"share[{by}={value}]"] = n / group_segments[value] if group_segments[value] else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def _attributes(frame) -> list[str]:
    fixed = {"segment", "start", "end", "text", "score", "timestamp", "decided_at", "reviewers", "evidence"}
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


def _framework_columns(codebook, level: str) -> list[str]:
    if level == "theme":
        return [code.key for code in codebook.codes if code.parent is None]
    if level == "code":
        return [code.key for code in codebook.codable]
    raise AnalysisError(f"framework level {level!r}: use theme or code")


def framework(frame, codebook, *, level: str = "theme", quotes: int = 2, max_words: int = QUOTE_WORDS):
    """Cases × themes (or × codes with ``level="code"``): coded segments per cell, and up to
    ``quotes`` representative quotes per cell (their text; :func:`framework_quotes` gives the
    records). Documents without a case form the row "(no case)", so every coding is counted."""
    import pandas as pd

    _require(frame, "tabulate")
    columns = _framework_columns(codebook, level)
    column = "theme" if level == "theme" else "code"
    grouped = frame.assign(_case=groups(frame, "case"))
    cases = group_order(grouped["_case"].unique())
    counts = pd.DataFrame(0, index=pd.Index(cases, name="case"), columns=columns)
    for (case, key), group in grouped.groupby(["_case", column]):
        if key in counts.columns:
            counts.loc[case, key] = _passages(group)
    chosen = framework_quotes(frame, codebook, level=level, n=quotes, max_words=max_words) if quotes else {}
    return counts, {cell: tuple(q.text for q in found) for cell, found in chosen.items()}


def framework_quotes(frame, codebook, *, level: str = "theme", n: int = 2, max_words: int = QUOTE_WORDS):
    """(case, theme or code) -> representative quotes, never one passage twice in the matrix."""
    from qualkit.export.quotes import representative_per_cell
    from qualkit.export.report_data import segments_from_frame

    columns = set(_framework_columns(codebook, level))
    column = "theme" if level == "theme" else "code"
    grouped = frame.assign(_case=groups(frame, "case"))
    cells = {}
    for (case, key), group in grouped.groupby(["_case", column], sort=True):
        if key in columns:
            cells[(str(case), str(key))] = segments_from_frame(group)
    return representative_per_cell(cells, n=n, max_words=max_words)


def compare(frame, codebook, *, by: str = "kind"):
    """Intended vs enacted: each code's and ToC node's share of coded segments per group of
    ``by`` (policy documents vs interviews by default), side by side, with the gap."""
    import pandas as pd

    _require(frame, "compare")
    grouped = frame.assign(_group=groups(frame, by))
    values = group_order(grouped["_group"].unique())
    if len(values) < 2:
        raise AnalysisError(f"--by {by} has only one value ({', '.join(values)}); nothing to compare")
    totals_by = {g: _passages(grouped[grouped["_group"] == g]) for g in values}
    rows = []
    for level, keys in (("code", [c.key for c in codebook.codable]),
                        ("theme", [c.key for c in codebook.codes if c.parent is None])):
        for key in keys:
            column = "code" if level == "code" else "theme"
            row = {"level": level, "key": key}
            for g in values:
                mine = grouped[(grouped["_group"] == g) & (grouped[column] == key)]
                row[f"share[{g}]"] = _passages(mine) / totals_by[g]
            shares = [row[f"share[{g}]"] for g in values]
            row["gap"] = shares[-1] - shares[0] if len(values) == 2 else max(shares) - min(shares)
            rows.append(row)
    return pd.DataFrame(rows)


def _link_name(link) -> str:
    if link.target:
        return f"{link.source} -> {link.target}"
    a, b = link.moderates
    return f"{link.source} moderates {a} -> {b}"


def _link_nodes(link) -> tuple[str, ...]:
    return tuple(n for n in (link.source, link.target, *(link.moderates or ())) if n)


def _toc_hits(frame, codebook, window: int) -> tuple[dict[str, set], dict[str, set]]:
    """Per link, the (document, segment) keys that support it; per node, the keys coded with it."""
    units: dict[str, set] = {}
    for document, segment, code in frame[["document", "segment", "code"]].itertuples(index=False):
        for node in lineage(codebook, code):
            units.setdefault(node, set()).add((document, segment))

    def near(a: str, b: str) -> set:
        hits = set()
        b_units = units.get(b, set())
        for document, segment in units.get(a, set()):
            for offset in range(-window, window + 1):
                if (document, segment + offset) in b_units:
                    hits.add((document, segment))
                    hits.add((document, segment + offset))
        return hits

    out = {}
    for link in codebook.links:
        if link.target:
            out[_link_name(link)] = near(link.source, link.target)
        else:
            a, b = link.moderates
            out[_link_name(link)] = near(link.source, a) | near(link.source, b)  # the moderator beside either end
    return out, units


def toc_evidence(frame, codebook, *, window: int = 1, by: str | None = None, quotes: int = 3,
                 max_words: int = QUOTE_WORDS):
    """Evidence for every theory-of-change link: segments and cases where both ends are coded
    together (within ±window segments of one document), split by ``by`` ("(no case)"/"(no
    value)" included, so the split adds up); ``quotes`` exemplar (case, document, quote)
    triples from :func:`toc_quotes`; and the nodes with no evidence."""
    import pandas as pd

    from qualkit.export.report_data import NO_CASE

    hits, units = _toc_hits(frame, codebook, window)
    keyed = frame.assign(_case=groups(frame, "case"), _by=groups(frame, by) if by else "")
    group = {(d, s): (c, b) for d, s, c, b in keyed[["document", "segment", "_case", "_by"]].itertuples(index=False)}
    chosen = toc_quotes(frame, codebook, window=window, n=quotes, max_words=max_words) if quotes else {}
    rows = []
    for link in codebook.links:
        name = _link_name(link)
        found = [h for h in hits[name] if h in group]
        cases = sorted({group[h][0] for h in found} - {NO_CASE}, key=str.casefold)
        row = {"link": name, "source": link.source, "target": link.target or "", "label": link.label,
               "moderates": " -> ".join(link.moderates) if link.moderates else "",
               "segments": len(found), "cases": len(cases), "supporting_cases": ", ".join(cases),
               "quotes": [(q.segment.case or NO_CASE, q.segment.document, q.text) for q in chosen.get(name, ())]}
        if by:
            for value in group_order({group[h][1] for h in found}):
                row[f"segments[{by}={value}]"] = sum(1 for h in found if group[h][1] == value)
        rows.append(row)
    nodes_in_links = {n for link in codebook.links for n in _link_nodes(link)}
    unevidenced = sorted(node for node in nodes_in_links if not units.get(node))
    return pd.DataFrame(rows), unevidenced


def toc_quotes(frame, codebook, *, window: int = 1, n: int = 3, max_words: int = QUOTE_WORDS):
    """Link name -> exemplar quotes: passages coded with both ends of the link first, then
    passages beside one, spread across cases and documents, never one passage for two links."""
    from qualkit.export.quotes import representative
    from qualkit.export.report_data import segments_from_frame

    hits, _ = _toc_hits(frame, codebook, window)
    records = segments_from_frame(frame)
    keys = list(zip(frame["document"], frame["segment"], strict=True))
    quoted: list = []
    out: dict[str, tuple] = {}
    links = sorted(codebook.links, key=lambda link: len(hits[_link_name(link)]))  # sparse links choose first
    for link in links:
        name = _link_name(link)
        ends = set(_link_nodes(link))
        mine = [r for r, k in zip(records, keys, strict=True)
                if k in hits[name] and set(lineage(codebook, r.code)) & ends]
        carried: dict[tuple, set] = {}
        for record in mine:
            carried.setdefault(record.passage, set()).update(set(lineage(codebook, record.code)) & ends)
        both = [r for r in mine if len(carried[r.passage]) >= 2]
        chosen = representative(both, n=n, max_words=max_words, quoted=quoted)
        if len(chosen) < n:
            chosen += representative(mine, n=n - len(chosen), max_words=max_words, quoted=quoted + list(chosen))
        quoted += chosen
        out[name] = chosen
    return {_link_name(link): out[_link_name(link)] for link in codebook.links}


def lineage(codebook, code: str) -> list[str]:
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
    """The theory of change drawn by :func:`qualkit.export.figures.toc_figure` from this
    project's tables. Returns the image bytes (and writes ``path``; a missing folder is an
    ExportError)."""
    from qualkit.export.figures import toc_figure

    counts, _ = framework(frame, codebook, quotes=0)
    return toc_figure(codebook, evidence, frequency(frame, codebook), counts, path=path, fmt=fmt)


