"""Pseudonymised copies of what exporters write: table rows, Word report data, REFI-QDA projects.

Each function takes the records an exporter already builds and returns the same records with
every name replaced and every offset mapped, so the exporter writes them unchanged. Nothing
here writes files; run :func:`qualkit.pseudonymise.check_file` on what was written.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from qualkit.pseudonymise.views import OffsetMap, PseudonymisedText, Pseudonymiser

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook
    from qualkit.export.report_data import ReportMemos
    from qualkit.records import Context, Evidence, Memo, QueueItem, ReviewedSuggestion
    from qualkit.refi.model import RefiCode, RefiNote, RefiProject
    from qualkit.review.passage import PassageItem

_CACHED_VIEWS = 8  # rows come in document order: a few views cover a whole table


class DocumentViews:
    """Pseudonymised documents by their original name, each made once, on demand.

    ``texts`` maps a document's name to its text (a mapping, or a function returning None for a
    name it does not know). With ``keep`` only the last ``keep`` documents asked for are kept
    (rows come in document order, so a few cover a whole table); without it every view is kept,
    and :attr:`views` holds them all, for a report of what was replaced.
    """

    def __init__(self, pseudonymiser: Pseudonymiser, texts: Mapping[str, str] | Callable[[str], str | None], *,
                 keep: int | None = None):
        self.pseudonymiser = pseudonymiser
        self._texts = texts
        self._keep = keep
        self._cache: OrderedDict[str, tuple[str, PseudonymisedText]] = OrderedDict()
        self._unknown: set[str] = set()

    def _text(self, document: str) -> str | None:
        if callable(self._texts):
            return self._texts(document)
        return self._texts.get(document)

    def get(self, document: object) -> tuple[str, PseudonymisedText] | None:
        """(original text, pseudonymised view) of ``document``, or None when its text is unknown."""
        if not isinstance(document, str) or document in self._unknown:
            return None
        if document in self._cache:
            self._cache.move_to_end(document)
            return self._cache[document]
        text = self._text(document)
        if text is None:
            self._unknown.add(document)
            return None
        self._cache[document] = (text, self.pseudonymiser(text))
        if self._keep is not None and len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return self._cache[document]

    @property
    def views(self) -> dict[str, PseudonymisedText]:
        """The views made (and kept) so far, by original document name."""
        return {name: view for name, (_, view) in self._cache.items()}


def _views(pseudonymiser: Pseudonymiser, texts: Mapping[str, str] | DocumentViews | None) -> DocumentViews:
    if isinstance(texts, DocumentViews):
        return texts
    return DocumentViews(pseudonymiser, texts or {}, keep=_CACHED_VIEWS)


def pseudonymise_rows(
    rows: Iterable[Mapping[str, object]],
    pseudonymiser: Pseudonymiser,
    *,
    document_texts: Mapping[str, str] | DocumentViews | None = None,
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
    views = _views(pseudonymiser, document_texts)
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


#: Codings-table columns that hold no participant text: codes, numbers, statuses.
CODING_KEEP = frozenset({"kind", "segment", "timestamp", "start", "end", "code", "theme", "stage",
                         "source", "score", "status", "decided_at", "evidence"})


def pseudonymise_codings(frame: pd.DataFrame, pseudonymiser: Pseudonymiser, *,
                         document_texts: Mapping[str, str] | DocumentViews) -> pd.DataFrame:
    """A codings table (:func:`qualkit.analysis.codings_frame`) with every name replaced and every
    offset mapped: a coded span's ``text`` is cut from its pseudonymised document at its mapped
    ``start``/``end``, and ``evidence`` spans are mapped the same way, so the Word report built
    from it (figures included) highlights the same words. Reviewer names stay (the team)."""
    import pandas as pd

    views = _views(pseudonymiser, document_texts)
    rows = []
    for row in frame.to_dict("records"):
        found = views.get(row.get("document"))
        out: dict[str, object] = {}
        for column, cell in row.items():
            if column in CODING_KEEP or column == "reviewers":
                out[column] = cell
            elif isinstance(cell, str):
                out[column] = pseudonymiser.value(cell)
            else:
                out[column] = cell
        if found is not None:
            _, view = found
            start, end = view.offsets.span_to_pseudonymised(int(row["start"]), int(row["end"]))
            out["start"], out["end"], out["text"] = start, end, view.text[start:end]
            out["evidence"] = tuple(view.offsets.span_to_pseudonymised(int(a), int(b))
                                    for a, b in row.get("evidence") or ())
        rows.append(out)
    return pd.DataFrame(rows, columns=list(frame.columns))


@dataclass(frozen=True)
class PseudonymisedRefi:
    """A pseudonymised REFI-QDA project, and each source's view (by its new name) for the report."""

    project: RefiProject
    views: Mapping[str, PseudonymisedText]


def pseudonymise_refi_project(project: RefiProject, pseudonymiser: Pseudonymiser) -> PseudonymisedRefi:
    """A REFI-QDA project with sources, cases, notes and sets pseudonymised and codings mapped.

    Source and case GUIDs are derived again from the pseudonymised names: qualkit derives GUIDs
    from names (uuid5), and a GUID of a real name could be recomputed by anyone who guesses it.
    Coders (the research team) keep their names. The qualkit record (how each document was
    segmented, what each coder coded fully or rejected) is rewritten the same way: its spans
    mapped, its speakers pseudonymised, its sources under their new GUIDs.
    """
    from qualkit.refi.model import stable_guid
    from qualkit.refi.record import NOTE_NAME

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
        record = _record_note(note, pseudonymiser, source_guid, offsets) if note.name == NOTE_NAME else None
        if record is not None:
            notes.append(record)
            continue
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


def _record_note(note: RefiNote, pseudonymiser: Pseudonymiser, source_guid: Mapping[str, str],
                 offsets: Mapping[str, OffsetMap]) -> RefiNote | None:
    """The qualkit record note with every span mapped into the pseudonymised sources (None: the
    note only has the record's name, and is pseudonymised as any other note)."""
    from qualkit.errors import RefiError
    from qualkit.refi.model import stable_guid
    from qualkit.refi.record import CoderRecord, QualkitRecord, dumps, loads

    if note.targets or note.source_guid is not None:
        return None
    try:
        record = loads(note.text, where="the qualkit record")
    except RefiError:
        return None

    def span(guid: str, start: int, end: int) -> tuple[str, int, int]:
        if guid not in offsets:
            return guid, start, end
        return (source_guid[guid], *offsets[guid].span_to_pseudonymised(start, end))

    documents = {}
    for guid, document in record.documents.items():
        segments = []
        for start, end, speaker, timestamp in document.segments:
            _, new_start, new_end = span(guid, start, end)
            segments.append((new_start, new_end, pseudonymiser.value(speaker), timestamp))
        documents[source_guid.get(guid, guid)] = dataclasses.replace(document, segments=tuple(segments))
    coders = {
        name: CoderRecord(
            documents=tuple(source_guid.get(guid, guid) for guid in coder.documents),
            segments=tuple(span(*item) for item in coder.segments),
            rejections=tuple((*span(guid, start, end), code) for guid, start, end, code in coder.rejections),
        )
        for name, coder in record.coders.items()
    }
    rewritten = QualkitRecord(documents=documents, coders=coders)
    return dataclasses.replace(note, guid=stable_guid("qualkit-record", "pseudonymised", note.guid),
                               text=dumps(rewritten))


# -- records an exporter builds ------------------------------------------------------------------------------


def pseudonymise_evidence(evidence: Iterable[Evidence], offsets: OffsetMap,
                          pseudonymiser: Pseudonymiser) -> tuple[Evidence, ...]:
    """Evidence spans (document offsets) mapped through ``offsets``; the pattern shown is pseudonymised too."""
    from qualkit.records import Evidence

    out = []
    for item in evidence:
        start, end = offsets.span_to_pseudonymised(item.start, item.end)
        out.append(Evidence(start=start, end=end, pattern=pseudonymiser.value(item.pattern)))
    return tuple(out)


def pseudonymise_suggestion(item: ReviewedSuggestion, views: DocumentViews) -> ReviewedSuggestion:
    """A suggestion as a table shows it: names replaced, its span, text and evidence in the
    pseudonymised document."""
    changes = _located_changes(item.suggestion, views)
    return dataclasses.replace(item, suggestion=dataclasses.replace(item.suggestion, **changes))  # type: ignore[arg-type]


def pseudonymise_queue_item(item: QueueItem, views: DocumentViews) -> QueueItem:
    """A suggestion waiting for review, as a review sheet shows it."""
    return dataclasses.replace(item, **_located_changes(item, views))  # type: ignore[arg-type]


class _Located(Protocol):
    """What a suggestion and a review queue item both carry about where they are."""

    @property
    def document(self) -> str: ...
    @property
    def case(self) -> str | None: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def evidence(self) -> Any: ...


def _located_changes(found_at: _Located, views: DocumentViews) -> dict[str, object]:
    """The fields of a record located in a document (document, case, speaker, start, end, text,
    evidence) as the pseudonymised document shows them."""
    value = views.pseudonymiser.value
    changes: dict[str, object] = {"document": value(found_at.document), "case": value(found_at.case),
                                  "speaker": value(found_at.speaker)}
    found = views.get(found_at.document)
    if found is None:
        changes["text"] = value(found_at.text)
        return changes
    _, view = found
    start, end = view.offsets.span_to_pseudonymised(found_at.start, found_at.end)
    changes.update(start=start, end=end, text=view.text[start:end],
                   evidence=pseudonymise_evidence(found_at.evidence, view.offsets, views.pseudonymiser))
    return changes


def pseudonymise_passage_item(item: PassageItem, pseudonymiser: Pseudonymiser) -> PassageItem:
    """A segment as passage review shows it (terminal, sheet, web): its text, neighbours, speaker,
    document and case pseudonymised, and each proposal's evidence (offsets into the segment's
    text) mapped into the pseudonymised text, so highlights fall on the same words."""
    view = pseudonymiser(item.text)
    value = pseudonymiser.value
    proposals = []
    for proposal in item.proposals:
        evidence = []
        for shown in proposal.evidence:
            start, end = view.offsets.span_to_pseudonymised(min(shown.start, len(item.text)),
                                                            min(shown.end, len(item.text)))
            words = view.text[start:end]
            if shown.words != item.text[shown.start:shown.end]:  # a model's term and weight: shown as it was
                words = value(shown.words)
            evidence.append(dataclasses.replace(shown, start=start, end=end, words=words))
        proposals.append(dataclasses.replace(
            proposal, code_name=value(proposal.code_name), definition=value(proposal.definition),
            include=tuple(value(i) for i in proposal.include), exclude=tuple(value(e) for e in proposal.exclude),
            evidence=tuple(evidence)))
    return dataclasses.replace(
        item, document=value(item.document), case=value(item.case), speaker=value(item.speaker), text=view.text,
        before=tuple(_context(c, pseudonymiser) for c in item.before),
        after=tuple(_context(c, pseudonymiser) for c in item.after), proposals=tuple(proposals))


def pseudonymise_report_memos(memos: ReportMemos, pseudonymiser: Pseudonymiser) -> ReportMemos:
    """A report's memos: what they are about (documents, cases, segments and their text, case
    attributes), titles and texts pseudonymised; authors (reviewers) and code keys as they are."""
    value = pseudonymiser.value

    def each(found: Iterable[Memo]) -> tuple[Memo, ...]:
        return tuple(dataclasses.replace(
            memo, title=value(memo.title), text=value(memo.text),
            target=dataclasses.replace(memo.target, document=value(memo.target.document),
                                       case=value(memo.target.case)))
            for memo in found)

    return dataclasses.replace(
        memos, project=each(memos.project), codes={key: each(found) for key, found in memos.codes.items()},
        cases={value(name): each(found) for name, found in memos.cases.items()},
        documents={value(name): each(found) for name, found in memos.documents.items()},
        segments=tuple(dataclasses.replace(
            segment, document=value(segment.document), case=value(segment.case), speaker=value(segment.speaker),
            text=value(segment.text), memos=each(segment.memos)) for segment in memos.segments),
        document_cases={value(name): value(case) for name, case in memos.document_cases.items()},
        case_attributes={value(name): {key: value(wanted) for key, wanted in attributes.items()}
                         for name, attributes in memos.case_attributes.items()},
    )


def _context(context: Context, pseudonymiser: Pseudonymiser) -> Context:
    return dataclasses.replace(context, speaker=pseudonymiser.value(context.speaker),
                               text=pseudonymiser.value(context.text))


def pseudonymise_codebook(codebook: Codebook, pseudonymiser: Pseudonymiser) -> Codebook:
    """A codebook as a report or export shows it: names in its name, description, code names,
    definitions, criteria, examples and link labels replaced. Keys, patterns and the hash stay
    (a report names the codebook version it used)."""
    value = pseudonymiser.value
    codes = tuple(
        dataclasses.replace(
            code, name=value(code.name), definition=value(code.definition),
            include=tuple(value(i) for i in code.include), exclude=tuple(value(e) for e in code.exclude),
            examples=tuple(value(e) for e in code.examples))
        for code in codebook.codes
    )
    links = tuple(dataclasses.replace(link, label=value(link.label)) for link in codebook.links)
    return dataclasses.replace(codebook, name=value(codebook.name), description=value(codebook.description),
                               codes=codes, links=links)
