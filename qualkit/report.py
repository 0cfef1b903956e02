"""The Word report: gather a project's codings and analyses into a ReportData, then write it.

The writer (:mod:`qualkit.export.word`) knows nothing of the database, and this module only
reads the project in :func:`build_report_data`'s first lines; :func:`assemble_report_data`
decides what a report contains from plain values, and every number in it comes from the
:mod:`qualkit.analysis` function that ``qualkit analyse`` prints, so the two always agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook
    from qualkit.export.report_data import ReportData, ReportMemos
    from qualkit.pseudonymise import Pseudonymisation
    from qualkit.store import Store

CODE_QUOTES = 3  # representative quotes per code in the report body (--quotes N)
FRAMEWORK_QUOTES = 2  # per case × theme cell of the framework matrix
LINK_QUOTES = 3  # per theory-of-change link
CODE_QUOTE_WORDS = 60
MATRIX_QUOTE_WORDS = 30
LINK_QUOTE_WORDS = 45


def code_infos(codebook) -> tuple:
    from qualkit.export.report_data import CodeInfo

    return tuple(
        CodeInfo(
            key=code.key, name=code.name, theme=codebook.theme(code.key), stage=code.stage,
            definition=code.definition, include=code.include, exclude=code.exclude, examples=code.examples,
            codable=code.codable, parent=code.parent,
        )
        for code in codebook.codes
    )


def build_report_data(store: Store, codebook: Codebook, *, title: str | None = None,
                      codes: Sequence[str] | None = None, by: str | None = None,
                      consensus: Consensus = DEFAULT_CONSENSUS, where: Mapping[str, str] | None = None,
                      include_pending: bool = False, quotes: int = CODE_QUOTES, figures: bool = True,
                      diagram: bool = True, author: str | None = None,
                      agreement: pd.DataFrame | None = None, pseudonymise: Pseudonymisation | None = None,
                      ) -> ReportData:
    """A project's report: the codings ``consensus`` gives (whose decisions count and how they
    combine), filtered by attribute values (``where``) and ``codes`` (and everything under them),
    with frequencies split by the attribute ``by``, ``quotes`` representative quotes per code, the
    ``agreement`` table (computed by the caller, over the same judgements ``qualkit agreement``
    uses) and figures.

    With ``pseudonymise`` every name of its key is replaced before anything is assembled: the
    codings (texts cut from the pseudonymised documents, evidence offsets mapped, so quotes are
    highlighted on the same words), case and document names, attribute values, the codebook's
    texts, the title and the filters; figures are drawn from what is already pseudonymised."""
    from qualkit import analysis as A

    # --- project access: the only lines that read the project --------------------------------
    check_codes(codebook, codes)
    if pseudonymise is not None:
        codebook = pseudonymise.codebook(codebook)
    records = A.coding_records(store, codebook, consensus=consensus, include_pending=include_pending)
    frame = A.codings_frame(records, where=dict(where or {}))
    frame = describe_respondents(frame, store.documents.survey_attributes())
    documents = [(d.name, d.kind.value, d.words, d.segments, d.case) for d in store.documents.infos()]
    case_count = len(store.documents.cases())
    reviewers = tuple(consensus.reviewers or store.decisions.reviewers())
    memos = gather_memos(store, where=where)
    # ------------------------------------------------------------------------------------------
    if pseudonymise is not None:
        value = pseudonymise.value
        frame = pseudonymise.codings(frame)
        documents = [(str(value(name)), kind, words, segments, value(case))
                     for name, kind, words, segments, case in documents]
        where = {name: str(value(wanted)) for name, wanted in (where or {}).items()}
        title = value(title)
        memos = pseudonymise.report_memos(memos)
    single = consensus.reviewers[0] if consensus.reviewers and len(consensus.reviewers) == 1 else None
    return assemble_report_data(
        frame, codebook, documents=documents, case_count=case_count, reviewers=reviewers, agreement=agreement,
        title=title, codes=codes, by=by, consensus=str(consensus.rule), reviewer=single, where=where,
        include_pending=include_pending, quotes=quotes, figures=figures and diagram, author=author, memos=memos,
    )


def gather_memos(store: Store, *, where: Mapping[str, str] | None = None) -> ReportMemos:
    """Every memo for a report, with the segments that segment memos are on. With ``where``, memos on
    cases, documents and segments are kept only for the documents that match it (and their cases);
    project and code memos always."""
    from qualkit.attributes import document_attributes, matching_documents
    from qualkit.export.report_data import ReportMemos, SegmentMemos
    from qualkit.memos import memo_index

    index = memo_index(store)
    infos = store.documents.infos()
    cases = store.documents.cases()
    kept = {d.id for d in infos}
    if where:
        kept = matching_documents(where, document_attributes(infos, cases, store.documents.attributes()))
    names = {d.id: d.name for d in infos if d.id in kept}
    case_of = {d.name: d.case for d in infos if d.id in kept}
    kept_cases = {case for case in case_of.values() if case}
    segments = store.documents.segments_by_id(index.segments)
    on_segments = sorted(
        (segment for segment in segments.values() if segment.document_id in names),
        key=lambda segment: (names[segment.document_id].casefold(), segment.ordinal),
    )
    return ReportMemos(
        project=index.project,
        codes=dict(index.codes),
        cases={case: memos for case, memos in index.cases.items() if case in kept_cases},
        documents={name: memos for name, memos in index.documents.items() if name in case_of},
        segments=tuple(
            SegmentMemos(document=names[segment.document_id], case=case_of[names[segment.document_id]],
                         segment=segment.ordinal, speaker=segment.speaker, timestamp=segment.timestamp,
                         text=segment.text, memos=index.segments[segment.id])
            for segment in on_segments
        ),
        document_cases=case_of,
        case_attributes={case.name: dict(case.attributes) for case in cases if case.name in kept_cases},
    )


RESPONDENT_ATTRIBUTES = 3  # of a survey respondent's columns shown with their quotes


def describe_respondents(frame: pd.DataFrame, attributes: Mapping[str, Sequence[tuple[str, str]]]) -> pd.DataFrame:
    """The codings with each survey answer's speaker (the respondent's id) followed by who they
    are, from their first columns in the file (not the question): "r17 (Headteacher, primary)",
    so the report's quotes say who wrote them (issue #18). Exports keep the columns apart."""
    from qualkit.interviewers import ATTRIBUTES

    if frame.empty or "kind" not in frame.columns:
        return frame
    shown = {
        document: ", ".join([value for name, value in pairs
                             if name != "question" and name.casefold() not in ATTRIBUTES][:RESPONDENT_ATTRIBUTES])
        for document, pairs in attributes.items()
    }

    def speaker(row) -> object:
        about = shown.get(row["document"]) if row["kind"] == "survey" else None
        if not about:
            return row["speaker"]
        return f"{row['speaker']} ({about})" if isinstance(row["speaker"], str) and row["speaker"] else about

    return frame.assign(speaker=frame.apply(speaker, axis=1))


def check_codes(codebook, codes: Sequence[str] | None) -> None:
    """A NotFoundError (with a suggestion) for a code the codebook does not define."""
    from qualkit.errors import NotFoundError, did_you_mean

    for key in codes or ():
        if key not in codebook.keys:
            raise NotFoundError(f"no code {key!r} in the codebook{did_you_mean(key, codebook.keys)}")


def assemble_report_data(
    frame: pd.DataFrame, codebook, *, documents: Sequence[tuple[str, str, int, int, str | None]], case_count: int,
    reviewers: Sequence[str] = (), agreement: pd.DataFrame | None = None, title: str | None = None,
    codes: Sequence[str] | None = None, by: str | None = None, consensus: str = "any", reviewer: str | None = None,
    where: Mapping[str, str] | None = None, include_pending: bool = False, quotes: int = CODE_QUOTES,
    figures: bool = True, author: str | None = None, generated_at: str | None = None,
    memos: ReportMemos | None = None,
) -> ReportData:
    """The report's content from plain values: the codings table (:func:`qualkit.analysis.codings`,
    with an optional ``evidence`` column), the codebook, ``documents`` as (name, kind, words,
    segments, case) tuples for the corpus totals, and the ``memos`` to show (with ``codes``, only
    the memos on those codes and the codes under them; memos change no count)."""
    from qualkit import __version__
    from qualkit import analysis as A
    from qualkit.codebook import is_under
    from qualkit.errors import AnalysisError
    from qualkit.export import quotes as Q
    from qualkit.export.report_data import (
        CodedSegment,
        LinkEvidence,
        ReportData,
        ReportMemos,
        Totals,
        segments_from_frame,
    )
    from qualkit.store import utc_timestamp

    if quotes < 0:
        raise AnalysisError(f"--quotes {quotes}: give 0 or more quotes per code")
    check_codes(codebook, codes)
    if codes:
        frame = frame[frame["code"].apply(lambda c: is_under(c, codes))]
    if frame.empty:
        raise AnalysisError(
            "nothing to report: no accepted codings yet; review suggestions first (`qualkit review`), "
            "or include pending suggestions with --include-pending"
        )
    if by:
        A.groups(frame, by)  # an unknown attribute is refused before anything is computed

    segments = segments_from_frame(frame)
    kinds: dict[str, int] = {}
    for _, kind, *_ in documents:
        kinds[kind] = kinds.get(kind, 0) + 1
    totals = Totals(
        documents=len(documents), cases=case_count, words=sum(d[2] for d in documents),
        segments=sum(d[3] for d in documents), coded_segments=int(frame[["document", "segment"]].drop_duplicates()
                                                                  .shape[0]),
        codings=len(frame), kinds=tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0]))),
        uncased_documents=sum(1 for d in documents if not d[4]),
    )

    frequency = A.frequency(frame, codebook, by=by)
    if codes:
        frequency = frequency[frequency["code"].apply(lambda c: is_under(c, codes))].reset_index(drop=True)
    frequency_totals = A.totals(frame, by=by)
    framework, _ = A.framework(frame, codebook, quotes=0)
    if codes:
        framework = framework.loc[:, framework.sum(axis=0) > 0]
    framework_quotes = A.framework_quotes(frame, codebook, n=FRAMEWORK_QUOTES, max_words=MATRIX_QUOTE_WORDS)

    by_code: dict[str, list[CodedSegment]] = {}
    for segment in segments:
        by_code.setdefault(segment.code, []).append(segment)
    code_quotes = Q.representative_per_cell(by_code, n=quotes, max_words=CODE_QUOTE_WORDS) if quotes else {}

    links: tuple[LinkEvidence, ...] = ()
    unevidenced: list[str] = []
    evidence = None
    if codebook.links:
        evidence, unevidenced = A.toc_evidence(frame, codebook, by="case", quotes=0)
        link_quotes = A.toc_quotes(frame, codebook, n=LINK_QUOTES, max_words=LINK_QUOTE_WORDS)
        links = tuple(_link_evidence(row, link_quotes.get(row["link"], ())) for row in evidence.to_dict("records"))

    infos = code_infos(codebook)
    if codes:
        wanted = {key for code in codebook.codes for key in A.lineage(codebook, code.key) if is_under(code.key, codes)}
        infos = tuple(info for info in infos if info.key in wanted)
    memos = memos or ReportMemos()
    if codes:
        memos = replace(memos, codes={key: found for key, found in memos.codes.items() if is_under(key, codes)})
    drawn = _figures(frame, codebook, frequency, frequency_totals, framework, evidence, by=by) if figures else ()
    filters = _filters(consensus=consensus, reviewer=reviewer, where=where, codes=codes,
                       include_pending=include_pending)
    return ReportData(
        title=title or f"Coding report: {codebook.name}",
        subtitle=(f"{totals.codings:,} codings in {totals.coded_segments:,} coded segments "
                  f"of {totals.documents:,} documents in {totals.cases:,} cases"),
        generated_at=generated_at or utc_timestamp(), qualkit_version=__version__, totals=totals,
        codebook_name=codebook.name, codebook_version=str(codebook.version), codebook_hash=codebook.sha256,
        reviewers=tuple(reviewers), consensus_rule=reviewer and f"{reviewer}'s own codings" or consensus,
        agreement=agreement, include_pending=include_pending, codes=infos, segments=segments,
        frequency=frequency, frequency_totals=frequency_totals, by_attribute=by, framework=framework,
        framework_quotes=framework_quotes, code_quotes=code_quotes, toc_stages=tuple(codebook.stages),
        toc_links=links, toc_unevidenced=tuple(unevidenced), figures=drawn, filters=filters,
        codebook_description=codebook.description, author=author, memos=memos,
    )


def _link_evidence(row: Mapping, quotes: tuple):
    from qualkit.export.report_data import LinkEvidence

    prefix = "segments[case="
    per_case = tuple((str(k)[len(prefix):-1], int(v)) for k, v in row.items()
                     if str(k).startswith(prefix) and v == v and int(v))
    return LinkEvidence(
        source=row["source"], target=row["target"], label=row["label"],
        moderates=tuple(row["moderates"].split(" -> ")) if row["moderates"] else None,
        segments=int(row["segments"]), cases=int(row["cases"]),
        case_names=tuple(n for n in row["supporting_cases"].split(", ") if n), quotes=tuple(quotes),
        case_segments=per_case,
    )


def _figures(frame, codebook, frequency, frequency_totals, framework, evidence, *, by: str | None) -> tuple:
    from qualkit import analysis as A
    from qualkit.export import figures as F
    from qualkit.export.report_data import Figure

    drawn = []
    if evidence is not None and not evidence.empty:
        drawn.append(Figure(
            "toc", "The theory of change and the coded evidence for it",
            "Each box is a node of the theory of change with its coded segments and cases, and its codes with "
            "their coded segments. Each arrow gives the segments (and the cases they come from) where both ends "
            "are coded in the same or a neighbouring segment; arrows are wider where there is more evidence. A "
            "dashed box and arrow is a moderator, drawn onto the link it moderates.",
            F.toc_figure(codebook, evidence, frequency, framework), landscape=True,
        ))
    if by:
        caption = (f"The share of each {by} group's coded segments that carry each code; the legend gives each "
                   "group's coded segments. Shares within a group add up to more than 100% because a segment "
                   "can carry several codes.")
        title = f"Codes by {by}"
    else:
        caption = ("The share of all coded segments that carry each code. Shares add up to more than 100% "
                   "because a segment can carry several codes.")
        title = "How often each code was applied"
    drawn.append(Figure("frequency", title, caption, F.frequency_bars(frequency, by=by, totals=frequency_totals)))
    by_case, _ = A.framework(frame, codebook, level="code", quotes=0)
    drawn.append(Figure(
        "cases", "Codes by case",
        "Coded segments with each code in each case's documents; documents that belong to no case (such as "
        "policy documents) form the column “(no case)”.",
        F.case_heatmap(by_case, frequency),
    ))
    drawn.append(Figure(
        "cooccurrence", "Codes applied together",
        "Coded segments that carry both codes (the same segment, not neighbours). Codes are numbered down the "
        "side and along the bottom in the same order.",
        F.cooccurrence_heatmap(A.cooccurrence(frame), frequency),
    ))
    return tuple(drawn)


def _filters(*, consensus: str, reviewer: str | None, where: Mapping[str, str] | None, codes: Sequence[str] | None,
             include_pending: bool) -> tuple[str, ...]:
    out = [f"Codings of reviewer {reviewer}" if reviewer else f"Consensus rule: {consensus}"]
    for attribute, value in (where or {}).items():
        out.append(f"Only documents with {attribute} = {value}")
    if codes:
        out.append("Only the codes " + ", ".join(codes) + " and the codes under them")
    if include_pending:
        out.append("Pending suggestions included, marked as such")
    return tuple(out)


def write_report_listing(data: ReportData, path: str | os.PathLike) -> int:
    """Every coding of a report as a table file (.xlsx, .csv, .json, .parquet), the companion of
    (or the alternative to) the report's appendix: one row per coding, with the words that
    matched. Returns the number of rows."""
    from qualkit.export.quotes import highlight
    from qualkit.export.report_data import NO_CASE
    from qualkit.export.tables import write_table

    names = {code.key: code.name for code in data.codes}
    rows = []
    for segment in data.segments:
        marked = highlight(segment.text, segment.evidence_in_text).highlighted
        rows.append({
            "case": segment.case or NO_CASE, "document": segment.document, "speaker": segment.speaker,
            "time_s": segment.timestamp, "start": segment.start, "end": segment.end, "code": segment.code,
            "code_name": names.get(segment.code, segment.code), "status": segment.status,
            "accepted_by": "; ".join(segment.reviewers), "source": segment.source, "score": segment.score,
            "matched": "; ".join(dict.fromkeys(marked)), "text": segment.text,
        })
    return write_table(rows, path, sheet="codings", columns=list(rows[0]) if rows else None)


def write_codebook(codebook: Codebook, path: str | os.PathLike, *, fmt: str | None = None) -> str:
    """A codebook as .docx (for sign-off), .yaml (as loaded) or .csv (one row a code)."""
    from qualkit.errors import ExportError

    fmt = (fmt or str(path).rsplit(".", 1)[-1]).lower()
    if fmt == "docx":
        from qualkit.export.word import write_codebook_docx

        write_codebook_docx(code_infos(codebook), name=codebook.name, version=str(codebook.version), path=path,
                            codebook_hash=codebook.sha256, description=codebook.description)
    elif fmt == "yaml":
        from qualkit.atomicfile import write_text

        write_text(path, codebook.source)
    elif fmt == "csv":
        from qualkit.export.tables import write_table

        write_table([
            {"key": c.key, "name": c.name, "parent": c.parent, "stage": c.stage, "codable": c.codable,
             "definition": c.definition, "include": "; ".join(c.include), "exclude": "; ".join(c.exclude),
             "examples": " | ".join(c.examples), "patterns": "; ".join(p.label for p in c.patterns),
             "exclude_patterns": "; ".join(p.label for p in c.exclude_patterns)}
            for c in codebook.codes
        ], path)
    else:
        raise ExportError(f"{path}: codebook export formats are docx, yaml and csv (not {fmt!r})")
    return fmt
