"""Pseudonymised copies of what exporters write: table rows, Word report data, REFI-QDA projects.

Each function takes the records an exporter already builds and returns the same records with
every name replaced and every offset mapped, so the exporter writes them unchanged. Nothing
here writes files; run :func:`qualkit.pseudonymise.check_file` on what was written.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.pseudonymise.views import PseudonymisedText, Pseudonymiser

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.export.report_data import ReportData
    from qualkit.refi.model import RefiCode, RefiProject

_CACHED_VIEWS = 8  # rows come in document order: a few views cover a whole table


class _Views:
    """Pseudonymised documents, made on demand and kept for the last few documents asked for."""

    def __init__(self, pseudonymiser: Pseudonymiser, texts: Mapping[str, str]):
        self._pseudonymiser = pseudonymiser
        self._texts = texts
        self._cache: OrderedDict[str, PseudonymisedText] = OrderedDict()

    def get(self, document: object) -> tuple[str, PseudonymisedText] | None:
        if not isinstance(document, str) or document not in self._texts:
            return None
        if document in self._cache:
            self._cache.move_to_end(document)
        else:
            self._cache[document] = self._pseudonymiser(self._texts[document])
            if len(self._cache) > _CACHED_VIEWS:
                self._cache.popitem(last=False)
        return self._texts[document], self._cache[document]


def pseudonymise_rows(
    rows: Iterable[Mapping[str, object]],
    pseudonymiser: Pseudonymiser,
    *,
    document_texts: Mapping[str, str] | None = None,
    document_column: str = "document",
    span_columns: Sequence[tuple[str, str]] = (("start", "end"),),
    text_column: str | None = "text",
    keep_columns: Collection[str] = (),
) -> Iterator[dict[str, object]]:
    """Table rows (codings, suggestions, review sheets) with names replaced and offsets mapped.

    Every string cell and column name is pseudonymised except ``keep_columns`` (ids, verdicts).
    When ``document_texts`` maps a row's document (its original name) to its text, the
    ``span_columns`` offset pairs are mapped into the pseudonymised document, and ``text_column``
    (when it is exactly the original span's text) becomes the pseudonymised document's slice, so
    a row's text and offsets agree with the pseudonymised document the reader is given.
    """
    views = _Views(pseudonymiser, document_texts or {})
    spans = [pair for pair in span_columns]
    span_names = {name for pair in spans for name in pair}
    for row in rows:
        found = views.get(row.get(document_column))
        out: dict[str, object] = {}
        mapped_text: str | None = None
        for start_column, end_column in spans:
            start, end = row.get(start_column), row.get(end_column)
            if found is None or not isinstance(start, int) or not isinstance(end, int):
                continue
            original, view = found
            new_start, new_end = view.offsets.span_to_pseudonymised(start, end)
            out[start_column], out[end_column] = new_start, new_end
            if text_column and (start_column, end_column) == spans[0] and row.get(text_column) == original[start:end]:
                mapped_text = view.text[new_start:new_end]
        for column, value in row.items():
            name = column if column in keep_columns else pseudonymiser.value(column)
            if column in span_names and column in out:
                out[name] = out.pop(column)
            elif column == text_column and mapped_text is not None:
                out[name] = mapped_text
            elif column in keep_columns or not isinstance(value, str):
                out[name] = value
            else:
                out[name] = pseudonymiser.value(value)
        yield out


def pseudonymise_frame(frame: pd.DataFrame, pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    """A DataFrame with names replaced in string cells, the index and the column labels."""
    def value(item: object) -> object:
        return pseudonymiser.value(item) if isinstance(item, str) else item

    from pandas.api.types import is_numeric_dtype

    result = frame.copy()
    for column in result.columns:
        if not is_numeric_dtype(result[column].dtype):  # object or string columns
            result[column] = result[column].map(value)
    result.index = result.index.map(value)
    result.columns = result.columns.map(value)
    return result


def pseudonymise_report_data(data: ReportData, pseudonymiser: Pseudonymiser) -> ReportData:
    """Word report data with every participant-facing text pseudonymised: quotes, documents,
    cases, speakers, framework rows, theory-of-change evidence, titles and the codebook text.
    Reviewers and the author (the research team) are left as they are."""
    value = pseudonymiser.value

    def texts(items: Iterable[str]) -> tuple[str, ...]:
        return tuple(pseudonymiser(item).text for item in items)

    segments = tuple(
        dataclasses.replace(s, document=value(s.document), case=value(s.case), speaker=value(s.speaker),
                            text=pseudonymiser(s.text).text)
        for s in data.segments
    )
    codes = tuple(
        dataclasses.replace(c, name=pseudonymiser(c.name).text, definition=pseudonymiser(c.definition).text,
                            include=texts(c.include), exclude=texts(c.exclude), examples=texts(c.examples))
        for c in data.codes
    )
    links = tuple(
        dataclasses.replace(
            link, label=pseudonymiser(link.label).text, case_names=texts(link.case_names),
            quotes=tuple((pseudonymiser(case).text, pseudonymiser(document).text, pseudonymiser(quote).text)
                         for case, document, quote in link.quotes),
        )
        for link in data.toc_links
    )
    return dataclasses.replace(
        data,
        title=pseudonymiser(data.title).text,
        subtitle=pseudonymiser(data.subtitle).text,
        codes=codes,
        segments=segments,
        frequency=pseudonymise_frame(data.frequency, pseudonymiser),
        framework=pseudonymise_frame(data.framework, pseudonymiser),
        framework_quotes={(pseudonymiser(case).text, theme): texts(quotes)
                          for (case, theme), quotes in data.framework_quotes.items()},
        toc_links=links,
        codebook_yaml=pseudonymiser(data.codebook_yaml).text,
        codebook_description=pseudonymiser(data.codebook_description).text,
    )


@dataclass(frozen=True)
class PseudonymisedRefi:
    """A pseudonymised REFI-QDA project, and each source's view (by its new name) for the report."""

    project: RefiProject
    views: Mapping[str, PseudonymisedText]


def pseudonymise_refi_project(project: RefiProject, pseudonymiser: Pseudonymiser) -> PseudonymisedRefi:
    """A REFI-QDA project with sources, cases, notes and sets pseudonymised and codings mapped.

    Source and case GUIDs are derived again from the pseudonymised names: qualkit derives GUIDs
    from names (uuid5), and a GUID of a real name could be recomputed by anyone who guesses it.
    Coders (the research team) keep their names.
    """
    from qualkit.refi.model import stable_guid

    value = pseudonymiser.value
    source_guid: dict[str, str] = {}
    views: dict[str, PseudonymisedText] = {}
    offsets = {}
    sources = []
    taken: set[str] = set()
    for source in project.sources:
        view = pseudonymiser(source.text)
        name = _unique(pseudonymiser(source.name).text, taken)
        guid = stable_guid("source", "pseudonymised", name)
        source_guid[source.guid] = guid
        offsets[source.guid] = view.offsets
        views[name] = view
        sources.append(dataclasses.replace(
            source, guid=guid, name=name, text=view.text,
            attributes={k: pseudonymiser(v).text for k, v in source.attributes.items()},
            description=value(source.description),
        ))
    codings = []
    for coding in project.codings:
        new_start, new_end = offsets[coding.source_guid].span_to_pseudonymised(coding.start, coding.end)
        codings.append(dataclasses.replace(
            coding, source_guid=source_guid[coding.source_guid], start=new_start, end=new_end))
    case_names: set[str] = set()
    cases = []
    for case in project.cases:
        name = _unique(pseudonymiser(case.name).text, case_names)
        cases.append(dataclasses.replace(
            case, guid=stable_guid("case", "pseudonymised", name), name=name,
            attributes={k: pseudonymiser(v).text for k, v in case.attributes.items()},
            source_guids=tuple(source_guid.get(g, g) for g in case.source_guids),
            description=value(case.description),
        ))
    notes = []
    for note in project.notes:
        start, end = note.start, note.end
        if note.source_guid in offsets and start is not None and end is not None:
            start, end = offsets[note.source_guid].span_to_pseudonymised(start, end)
        notes.append(dataclasses.replace(
            note, name=pseudonymiser(note.name).text, text=pseudonymiser(note.text).text,
            targets=tuple(source_guid.get(t, t) for t in note.targets),
            source_guid=source_guid.get(note.source_guid, note.source_guid) if note.source_guid else None,
            start=start, end=end,
        ))
    sets = tuple(
        dataclasses.replace(s, name=pseudonymiser(s.name).text, description=value(s.description),
                            source_guids=tuple(source_guid.get(g, g) for g in s.source_guids))
        for s in project.sets
    )
    renamed = dataclasses.replace(
        project, name=pseudonymiser(project.name).text, codes=_codes(project.codes, pseudonymiser),
        sources=tuple(sources), codings=tuple(codings), cases=tuple(cases), notes=tuple(notes), sets=sets,
        warnings=(),
    )
    return PseudonymisedRefi(project=renamed, views=views)


def _codes(codes: tuple[RefiCode, ...], pseudonymiser: Pseudonymiser) -> tuple[RefiCode, ...]:
    return tuple(
        dataclasses.replace(code, name=pseudonymiser(code.name).text, description=pseudonymiser.value(code.description),
                            children=_codes(code.children, pseudonymiser))
        for code in codes
    )


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``... when two originals became the same pseudonymised name."""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    taken.add(candidate.casefold())
    return candidate
