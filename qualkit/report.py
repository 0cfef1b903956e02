"""The Word report: gather a project's codings and analyses into a ReportData, then write it.

The writer (:mod:`qualkit.export.word`) knows nothing of the database; this module is the only
place that decides what a report contains, so the numbers in it are the analysis tables'.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook
    from qualkit.export.report_data import CodeInfo, ReportData
    from qualkit.store import Store


def code_infos(codebook: Codebook) -> tuple[CodeInfo, ...]:
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
                      consensus: Consensus = DEFAULT_CONSENSUS, include_pending: bool = False,
                      diagram: bool = True, agreement: pd.DataFrame | None = None) -> ReportData:
    from qualkit import __version__
    from qualkit import analysis as A
    from qualkit.codebook import is_under
    from qualkit.errors import AnalysisError
    from qualkit.export.report_data import CodedSegment, LinkEvidence, ReportData
    from qualkit.store import utc_timestamp

    # -- what the report is built from (the project's data) --------------------------------
    records = A.coding_records(store, codebook, consensus=consensus, include_pending=include_pending)
    documents = store.documents.infos()
    case_count = len(store.documents.cases())
    reviewers = tuple(store.decisions.reviewers())
    # -- the report ---------------------------------------------------------------------------
    if codes:
        for key in codes:
            if key not in codebook.keys:
                from qualkit.errors import NotFoundError, did_you_mean

                raise NotFoundError(f"no code {key!r} in the codebook{did_you_mean(key, codebook.keys)}")
        records = [record for record in records if is_under(record.code, codes)]
    frame = A.codings_frame(records)
    if frame.empty:
        raise AnalysisError(
            "nothing to report: no accepted codings yet; review suggestions first (`qualkit review`), "
            "or include pending suggestions with --include-pending"
        )
    kinds: dict[str, int] = {}
    for document in documents:
        kinds[document.kind.value] = kinds.get(document.kind.value, 0) + 1
    corpus = {
        "documents": len(documents), "cases": case_count, "words": sum(d.words for d in documents),
        "segments": sum(d.segments for d in documents), "kinds": kinds,
    }
    segments = tuple(
        CodedSegment(
            code=record.code, document=record.document, case=record.case, speaker=record.speaker,
            timestamp=record.timestamp, text=record.text, reviewers=record.accepted_by, status=record.status.value,
            source=record.source.value, score=record.score,
        )
        for record in records
    )
    frequency = A.frequency(frame, codebook, by=by)
    if codes:
        frequency = frequency[frequency["code"].isin(set(frame["code"]))]
    framework, quotes = A.framework(frame, codebook)
    evidence, unevidenced = A.toc_evidence(frame, codebook)
    links = tuple(
        LinkEvidence(
            source=row["source"], target=row["target"], label=row["label"],
            moderates=tuple(row["moderates"].split(" -> ")) if row["moderates"] else None,
            segments=int(row["segments"]), cases=int(row["cases"]),
            case_names=tuple(n for n in row["supporting_cases"].split(", ") if n),
            quotes=tuple(row["quotes"]),
        )
        for row in evidence.to_dict("records")
    )
    png = A.toc_diagram(codebook, evidence, frame) if diagram and codebook.links else None
    return ReportData(
        title=title or f"Coding report: {codebook.name}",
        subtitle=f"{len(frame)} coded segments from {corpus['documents']} documents in {corpus['cases']} cases",
        generated_at=utc_timestamp(), qualkit_version=__version__,
        corpus=corpus, codebook_name=codebook.name, codebook_version=str(codebook.version),
        codebook_hash=codebook.sha256, reviewers=reviewers, consensus_rule=str(consensus), agreement=agreement,
        include_pending=include_pending, codes=code_infos(codebook), segments=segments, frequency=frequency,
        by_attribute=by, framework=framework, framework_quotes=quotes, toc_stages=tuple(codebook.stages),
        toc_links=links, toc_unevidenced=tuple(unevidenced), toc_diagram_png=png, codebook_yaml=codebook.source,
        codebook_description=codebook.description,
    )


def write_codebook(codebook: Codebook, path: str | os.PathLike, *, fmt: str | None = None) -> str:
    """A codebook as .docx (for sign-off), .yaml (as loaded) or .csv (one row a code)."""
    from qualkit.errors import ExportError

    fmt = (fmt or str(path).rsplit(".", 1)[-1]).lower()
    if fmt == "docx":
        from qualkit.export.word import write_codebook_docx

        write_codebook_docx(code_infos(codebook), name=codebook.name, version=str(codebook.version), path=path,
                            codebook_hash=codebook.sha256, description=codebook.description)
    elif fmt == "yaml":
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(codebook.source)
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
