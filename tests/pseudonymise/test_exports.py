"""Every pseudonymised export of the bundled corpus (corpora/niot_case_study and its cases.csv).

One project is built (ingest with the cases file, code with the bundled codebook, the two
reviewers' decisions), its key built from what it knows plus a few accepted candidates, and every
export written with ``pseudonymise=``. The outputs are then read back with other tools (python-docx,
openpyxl, pandas, zipfile) and searched for names with plain regular expressions, not qualkit's matcher.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from qualkit.pseudonymise import Pseudonymiser, reveal
from tests.conftest import CORPUS, ROOT

ROLE_SPEAKERS = {"Interviewer", "Headteacher", "CPD Lead", "Mentor", "Assistant Principal", "NPQ Participant",
                 "Assistant Head", "Executive Head"}
NAMED_SPEAKERS = {"Chloe Rutherford", "Kirsty", "Rachel Thwaite", "Jenna Trevithick", "Gareth Pryce", "Helen Ashby",
                  "Kemi", "Priya Raman"}
ACCEPTED = ["Rachel Hale", "Sam Oduya", "Claire", "Sophie", "Northern Lights Learning Trust",
            "Westward Horizons Trust", "Eastshire County Council"]
GENERIC = {"primary", "school", "academy", "all", "through", "ce", "trust", "learning", "county", "council"}


def _cases_rows() -> list[dict[str, str]]:
    with open(CORPUS / "cases.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _words(names) -> set[str]:
    return {w.casefold() for name in names for w in re.findall(r"[^\W\d_]+", name) if w.casefold() not in GENERIC}


def _texts_of(path: Path) -> list[str]:
    """Every piece of text in an output, read with the tools a recipient would use."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json"):
        return [path.read_text(encoding="utf-8-sig")]
    if suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
        return [str(c) for c in frame.columns] + [str(v) for c in frame.columns for v in frame[c].tolist()]
    if suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path)
        return [sheet.title for sheet in book.worksheets] + [
            str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        texts = [p.text for p in document.paragraphs]
        for table in document.tables:
            texts += [cell.text for row in table.rows for cell in row.cells]
        for section in document.sections:
            for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
                texts += [p.text for p in part.paragraphs]
        props = document.core_properties
        texts += [props.title or "", props.subject or "", props.author or "", props.keywords or ""]
        with zipfile.ZipFile(path) as archive:  # and every XML part, tags dropped (text boxes, fields...)
            texts += [re.sub(r"<[^>]+>", "", archive.read(n).decode("utf-8")) for n in archive.namelist()
                      if n.endswith(".xml")]
        return texts
    if suffix in (".qdpx", ".qdc"):
        if suffix == ".qdc":
            return [path.read_text(encoding="utf-8")]
        with zipfile.ZipFile(path) as archive:
            return archive.namelist() + [archive.read(n).decode("utf-8") for n in archive.namelist()]
    raise AssertionError(f"no reader for {path}")


def _found(path: Path, words: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for text in _texts_of(path):
        for word in words:
            for match in re.finditer(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text, re.IGNORECASE):
                found.setdefault(word, []).append(text[max(0, match.start() - 30):match.end() + 30])
    return found


def _fingerprint(project) -> dict[str, tuple[str, str]]:
    return {info.name: (info.sha256, hashlib.sha256(project.store.documents.text(info.id).encode()).hexdigest())
            for info in project.store.documents.infos()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from qualkit.project import Project

    folder = tmp_path_factory.mktemp("shared")
    project = Project.init(folder / "demo.db")
    project.ingest([CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv")
    project.code(codebook_path=ROOT / "codebooks" / "niot_coherent_offer.yaml")
    project.import_review(CORPUS / "decisions.csv")
    before = _fingerprint(project)
    project.build_pseudonym_key(seed="test")
    project.find_pseudonym_candidates(ner=False)
    project.accept_pseudonym_candidates(ACCEPTED)
    shared = project.pseudonymisation()
    outputs: dict[str, Path] = {}

    def out(name: str) -> Path:
        outputs[name] = folder / name
        return folder / name

    data = project.report(out("report.docx"), by="disadvantage", companion=out("companion.xlsx"),
                          pseudonymise=shared)
    plain = project.report(folder / "plain.docx", figures=False, listing="none", by="disadvantage")
    for suffix in ("csv", "xlsx", "json", "parquet"):
        project.export_codings(out(f"codings.{suffix}"), pseudonymise=shared)
        project.export_suggestions(out(f"suggestions.{suffix}"), pseudonymise=shared)
    project.export_qdpx(out("project.qdpx"), pseudonymise=shared)
    project.export_qdpx(folder / "plain.qdpx")
    project.export_qdc(out("codebook.qdc"), pseudonymise=shared)
    project.export_review(out("review.xlsx"), "Ben Roberts", pseudonymise=shared)
    project.export_review(out("review.csv"), "Ben Roberts", pseudonymise=shared)
    project.export_review(out("passages.xlsx"), "Cara Lowe", passages=True, pseudonymise=shared)
    after = _fingerprint(project)
    yield {"project": project, "shared": shared, "outputs": outputs, "data": data, "plain": plain,
           "before": before, "after": after, "folder": folder}
    project.close()


def test_exports_corpus_key_holds_every_case_named_speaker_and_accepted_candidate(exported):
    key = exported["shared"].key
    originals = {e.original for e in key.entries}
    assert {row["case"] for row in _cases_rows()} <= originals
    speakers = set(exported["project"].store.documents.speakers())
    assert speakers - ROLE_SPEAKERS == NAMED_SPEAKERS <= originals
    assert set(ACCEPTED) <= originals


@pytest.mark.parametrize("name", [
    "report.docx", "companion.xlsx", "codings.csv", "codings.xlsx", "codings.json", "codings.parquet",
    "suggestions.csv", "suggestions.xlsx", "suggestions.json", "suggestions.parquet", "project.qdpx",
    "codebook.qdc", "review.xlsx", "review.csv", "passages.xlsx"])
def test_exports_no_case_speaker_interviewee_or_accepted_name_survives(exported, name):
    interviewees = {row["interviewee"] for row in _cases_rows()}
    named_interviewees = interviewees & {e.original for e in exported["shared"].key.entries}
    words = _words({row["case"] for row in _cases_rows()} | NAMED_SPEAKERS | named_interviewees | set(ACCEPTED))
    assert {"brookfield", "riverside", "chloe", "rutherford", "kemi", "hale", "eastshire"} <= words
    path = exported["outputs"][name]
    assert path.exists(), f"{name} was not written"
    assert _found(path, words) == {}
    # ...and the pseudonyms are there instead (the policy documents name no participant: the codebook does not).
    if name != "codebook.qdc":
        assert any("School " in text or "Participant " in text for text in _texts_of(path)), name


def test_exports_leave_the_source_text_as_it_was(exported):
    assert exported["after"] == exported["before"]
    project = exported["project"]
    assert _fingerprint(project) == exported["before"]
    assert "Chloe" in project.store.documents.text(project.document_id("brookfield_participant.vtt"))


def test_exports_leave_no_unchecked_file_behind(exported):
    hidden = [p.name for p in exported["folder"].iterdir() if p.name.startswith(".")]
    assert hidden == []
    assert {Path(c.path).name for c in exported["shared"].checked} == set(exported["outputs"])


def test_exports_qdpx_codings_point_at_the_same_words(exported):
    from qualkit.refi import read_qdpx

    pseudonymiser = Pseudonymiser(exported["shared"].key)
    plain = read_qdpx(exported["folder"] / "plain.qdpx")
    shared = read_qdpx(exported["outputs"]["project.qdpx"])
    assert len(shared.codings) == len(plain.codings) > 1000
    plain_sources = {s.guid: s for s in plain.sources}
    shared_sources = {s.guid: s for s in shared.sources}

    def selections(project, sources, rename):
        return sorted((rename(sources[c.source_guid].name), sources[c.source_guid].text[c.start:c.end], c.code_guid,
                       c.user) for c in project.codings)

    expected = sorted((name, pseudonymiser(text).text, code, user)
                      for name, text, code, user in selections(plain, plain_sources, pseudonymiser.value))
    assert selections(shared, shared_sources, str) == expected
    # A coding that quotes a name now shows its pseudonym, in place.
    assert any("Participant " in text for _, text, _, _ in selections(shared, shared_sources, str))


def test_exports_qdpx_round_trip_keeps_agreement(exported, tmp_path):
    from qualkit.project import Project

    with Project.init(tmp_path / "back.db") as back:
        report = back.import_qdpx(exported["outputs"]["project.qdpx"])
        assert report.from_record and report.codings == 1162 or report.codings > 1000
        assert back.agreement().report.pairs.to_dict("records") == \
            exported["project"].agreement().report.pairs.to_dict("records")
        names = {d.name for d in back.documents()}
        assert "School" in " ".join(names) and not _words(NAMED_SPEAKERS) & _words(names)


def test_exports_report_quotes_highlight_the_same_words(exported):
    pseudonymiser = Pseudonymiser(exported["shared"].key)
    plain, shared = exported["plain"].segments, exported["data"].segments
    assert len(plain) == len(shared) == 848
    quoted_names = 0
    for before, after in zip(plain, shared, strict=True):
        assert after.text == pseudonymiser(before.text).text
        assert [after.text[a:b] for a, b in after.evidence_in_text] == [
            pseudonymiser(before.text[a:b]).text for a, b in before.evidence_in_text]
        assert (after.document, after.case, after.speaker) == (
            pseudonymiser.value(before.document), pseudonymiser.value(before.case), pseudonymiser.value(before.speaker))
        quoted_names += after.text != before.text
    assert quoted_names > 20
    assert exported["data"].totals == exported["plain"].totals
    assert [c.key for c in exported["data"].codes] == [c.key for c in exported["plain"].codes]


def test_exports_tables_offsets_are_those_of_the_pseudonymised_documents(exported):
    import pandas as pd

    shared = exported["shared"]
    views = {pseudonymiser_name: view for name, view in shared.documents.views.items()
             for pseudonymiser_name in [shared.value(name)]}
    for table in ("codings.csv", "suggestions.csv"):
        frame = pd.read_csv(exported["outputs"][table], keep_default_na=False)
        for row in frame.to_dict("records"):
            assert views[row["document"]].text[row["start"]:row["end"]] == row["text"], (table, row["document"])
        evidence = [e for cell in frame["evidence"] for e in str(cell).split("; ") if e]
        assert evidence
    suggestions = pd.read_csv(exported["outputs"]["suggestions.csv"], keep_default_na=False)
    for row in suggestions.to_dict("records"):
        for start, end in re.findall(r"@(\d+)-(\d+)", row["evidence"]):
            assert row["start"] <= int(start) < int(end) <= row["end"]


def test_exports_reverse_mapping_needs_the_key(exported):
    from qualkit.refi import read_qdpx
    from qualkit.refi.model import stable_guid

    key = exported["shared"].key
    shared = read_qdpx(exported["outputs"]["project.qdpx"])
    raw = b"".join(zipfile.ZipFile(exported["outputs"]["project.qdpx"]).read(n)
                   for n in zipfile.ZipFile(exported["outputs"]["project.qdpx"]).namelist())
    # Nothing derived from a real name travels: no GUID of a real document or case name.
    for info in exported["project"].documents():
        assert stable_guid("source", info.name).encode() not in raw
    for row in _cases_rows():
        assert stable_guid("case", row["case"]).encode() not in raw
    # With the key, the pseudonyms map back to the names.
    source = next(s for s in shared.sources if s.name == Pseudonymiser(key).value("brookfield_participant.vtt"))
    revealed = reveal(source.text, key).text
    assert "Chloe Rutherford" in revealed and "Chloe Rutherford" not in source.text
    case_names = {c.name for c in shared.cases}
    assert {key.original_of(name) for name in case_names} == {row["case"] for row in _cases_rows()}


def test_exports_a_pseudonymised_passage_sheet_reads_back_with_the_key(exported, tmp_path):
    import pandas as pd

    project = exported["project"]
    sheet = pd.read_excel(exported["outputs"]["passages.xlsx"], dtype=str).fillna("")
    proposals = sheet[sheet["code"] != ""]
    first = proposals.index[0]
    document, segment, code = sheet.loc[first, ["document", "segment", "code"]]
    assert document not in {d.name for d in project.documents()}  # a pseudonymised name
    sheet.loc[first, "decision"] = "accept"
    filled = tmp_path / "passages.csv"
    sheet.to_csv(filled, index=False)
    report = project.import_review(filled, covers="none")
    assert report.recorded == 1 and not report.refused
    original = next(d.name for d in project.documents() if exported["shared"].value(d.name) == document)
    rows = project.suggestions(documents=[original], reviewers=["Cara Lowe"], statuses=["accepted"])
    assert [(r["segment"], r["code"]) for r in rows] == [(int(segment), code)]


def test_exports_named_interviewees_in_the_cases_file_leave_no_trace(exported, tmp_path):
    """The bundled cases.csv gives roles as interviewees; a study that names them is covered too."""
    from qualkit.project import Project

    rows = _cases_rows()
    named = {row["document"]: f"{chr(65 + i)}laire Okafor" for i, row in enumerate(rows)}  # Alaire, Blaire...
    cases = tmp_path / "cases.csv"
    with open(cases, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "interviewee": named[row["document"]]} for row in rows)
    exported["project"].backup(tmp_path / "copy.db")
    with Project.open(tmp_path / "copy.db") as project:
        project.assign_cases(cases)
        update = project.build_pseudonym_key()
        assert {e.original for e in update.added} == set(named.values())
        project.export_codings(tmp_path / "codings.json", pseudonymise=project.pseudonymisation())
    text = (tmp_path / "codings.json").read_text(encoding="utf-8")
    assert "Okafor" not in text and "laire" not in text
    assert json.loads(text)[0]["interviewee"].startswith("Participant ")


def test_exports_give_each_case_the_same_pseudonym_everywhere(exported):
    import pandas as pd

    from qualkit.refi import read_qdpx

    key = exported["shared"].key
    expected = {row["case"]: key.entry(row["case"]).pseudonym for row in _cases_rows()}
    assert len(set(expected.values())) == 6
    in_table = set(pd.read_csv(exported["outputs"]["codings.csv"], keep_default_na=False)["case"]) - {""}
    in_sheet = set(pd.read_excel(exported["outputs"]["review.xlsx"], dtype=str)["case"].dropna())
    in_qdpx = {case.name for case in read_qdpx(exported["outputs"]["project.qdpx"]).cases}
    in_report = {s.case for s in exported["data"].segments if s.case}
    assert in_table == in_qdpx == in_report == set(expected.values())
    assert in_sheet and in_sheet <= in_table  # the cases of Ben Roberts's pending suggestions


def test_exports_a_pseudonymised_review_sheet_reads_back_by_id(exported, tmp_path):
    import pandas as pd

    project = exported["project"]
    sheet = pd.read_csv(exported["outputs"]["review.csv"], dtype=str, keep_default_na=False)
    assert not _words(NAMED_SPEAKERS) & _words(" ".join(sheet["text"]).split())
    sheet.loc[0, "decision"] = "reject"
    filled = tmp_path / "review.csv"
    sheet.to_csv(filled, index=False)
    report = project.import_review(filled)
    assert report.recorded == 1 and not report.refused
    [row] = [r for r in project.suggestions(reviewers=["Ben Roberts"], statuses=["rejected"])
             if r["id"] == int(sheet.loc[0, "id"])]
    assert exported["shared"].text(row["text"]) == sheet.loc[0, "text"]  # the decision landed on that passage
