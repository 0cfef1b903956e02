"""Memos as REFI-QDA notes: exported where the schema puts notes, validated against Project.xsd,
imported back whole, and notes from other programs kept as memos."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import pytest

from qualkit.project import Project
from qualkit.refi.read import read_qdpx
from qualkit.refi.record import NOTE_NAME, loads
from tests.refi import SAMPLES, make_qdpx, require_refi, validate
from tests.test_memos import coded  # noqa: F401  (a coded project with a case)

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def memoed(coded):  # noqa: F811
    """Memos of every kind, one edited twice by two people, and a decision note on the same segment."""
    suggestion = next(r for r in coded.suggestions() if r["code"] == "culture.trust")
    coded.decide("ann", accept=[suggestion["id"]], note="clear case of trust")
    segment = suggestion["segment"]
    memos = {
        "project": coded.add_memo(project=True, author="Amira Khan", text="Six schools.\n\nTwo rural.",
                                  title="Sampling"),
        "document": coded.add_memo(document="leader.txt", author="Ben Roberts", text="Recorded on Teams."),
        "case": coded.add_memo(case="Brookfield", author="Ben Roberts", text="New head in 2023.", title="Context"),
        "code": coded.add_memo(code="culture.trust", author="Amira Khan", text="Mostly autonomy."),
        "theme": coded.add_memo(code="culture", author="Amira Khan", text="Least evidence here."),
        "segment": coded.add_memo(document="leader.txt", segment=segment, author="Ben Roberts", text="Irony?"),
    }
    coded.edit_memo(memos["code"].id, author="Ben Roberts", text="Mostly autonomy; some accountability.")
    coded.edit_memo(memos["code"].id, author="Amira Khan", text="Autonomy in primaries, accountability elsewhere.")
    return coded


def _qde(path) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        return ET.fromstring(archive.read("project.qde"))


def _memos(project: Project):
    return sorted(
        (str(m.target), m.title, m.text, m.author, m.created_at, m.edited_by,
         [(r.text, r.author, r.written_at) for r in project.memo_revisions(m.id)])
        for m in project.memos()
    )


def test_memo_notes_exported_where_the_schema_puts_notes(memoed, tmp_path):
    require_refi()
    out = tmp_path / "p.qdpx"
    memoed.export_qdpx(out)
    with zipfile.ZipFile(out) as archive:
        document = archive.read("project.qde")
    assert validate(document, "Project.xsd") == []
    root = ET.fromstring(document)
    notes = {n.get("name"): n for n in root.iterfind("q:Notes/q:Note", NS)}
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert {"Amira Khan", "Ben Roberts", "ann"} <= set(users.values())

    def refs(element):
        return {ref.get("targetGUID") for ref in element.iterfind("q:NoteRef", NS)}

    project_refs = refs(root)
    assert {notes["Sampling"].get("guid"), notes["Context (case Brookfield)"].get("guid")} <= project_refs
    trust = next(c for c in root.iter(f"{{{NS['q']}}}Code") if c.get("name") == "Trust")
    assert refs(trust) == {notes["Memo on code culture.trust"].get("guid"),  # and the decision note, as before
                           notes["ann on culture.trust"].get("guid")}
    source = root.find("q:Sources/q:TextSource", NS)
    assert refs(source) == {notes["Memo on document leader.txt"].get("guid")}
    segment_note = next(guid for name, n in notes.items() if name.startswith("Memo on segment")
                        for guid in [n.get("guid")])
    [selection] = [s for s in source.iterfind("q:PlainTextSelection", NS) if segment_note in refs(s)]
    [segment] = [s for s in memoed.segments(documents=["leader.txt"]) if s.text.startswith("Accountability")]
    assert (int(selection.get("startPosition")), int(selection.get("endPosition"))) == (segment.start, segment.end)
    assert len(refs(selection)) == 2  # the segment memo and the decision note on the coding there
    code_note = notes["Memo on code culture.trust"]
    assert users[code_note.get("creatingUser")] == "Amira Khan" and users[code_note.get("modifyingUser")] == \
        "Amira Khan"
    assert code_note.get("creationDateTime").endswith("Z") and code_note.find("q:PlainTextContent", NS).text == \
        "Autonomy in primaries, accountability elsewhere."
    assert notes["Sampling"].find("q:PlainTextContent", NS).text == "Six schools.\n\nTwo rural."
    record = loads(notes[NOTE_NAME].find("q:PlainTextContent", NS).text, where="test")
    assert len(record.memos) == 6
    assert record.memos[notes["Context (case Brookfield)"].get("guid")].case == "Brookfield"
    assert [r[1] for r in record.memos[code_note.get("guid")].revisions] == ["Amira Khan", "Ben Roberts", "Amira Khan"]


def test_memo_notes_round_trip_keeps_every_memo(memoed, tmp_path):
    out = tmp_path / "p.qdpx"
    memoed.export_qdpx(out)
    with Project.init(tmp_path / "copy.db") as copy:
        report = copy.import_qdpx(out)
        assert report.memos == {"project": 1, "document": 1, "case": 1, "code": 2, "segment": 1}
        assert report.notes == 1 and [d.note for d in copy.store.decisions.log() if d.note] == ["clear case of trust"]
        assert _memos(copy) == _memos(memoed)  # targets, titles, texts, authors, times and every revision
        [segment_memo] = copy.memos(about=["segment"])
        assert segment_memo.target == memoed.memos(about=["segment"])[0].target
        copy.export_qdpx(tmp_path / "again.qdpx")  # and out again: the same notes

    def notes(path):  # every memo's note as other programs read it (GUIDs aside)
        return sorted((n.get("name"), n.find("q:PlainTextContent", NS).text, n.get("creationDateTime"),
                       n.get("modifiedDateTime")) for n in _qde(path).iterfind("q:Notes/q:Note", NS)
                      if n.get("name") != NOTE_NAME)

    assert notes(tmp_path / "again.qdpx") == notes(out) and len(notes(out)) == 7


def test_memo_notes_edited_in_another_program_gain_a_revision(memoed, tmp_path):
    out = tmp_path / "p.qdpx"
    memoed.export_qdpx(out)
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    note = b">Recorded on Teams.</PlainTextContent>"  # the note, not the record's copy of its history
    assert members["project.qde"].count(note) == 1
    members["project.qde"] = members["project.qde"].replace(note, b">Recorded on Teams; poor audio.</PlainTextContent>")
    edited = make_qdpx(tmp_path / "edited.qdpx", members.pop("project.qde"), members)
    with Project.init(tmp_path / "copy.db") as copy:
        copy.import_qdpx(edited)
        [memo] = copy.memos(about=["document"])
        assert (memo.text, memo.revisions) == ("Recorded on Teams; poor audio.", 2)
        assert [r.text for r in copy.memo_revisions(memo.id)] == ["Recorded on Teams.",
                                                                  "Recorded on Teams; poor audio."]


def _sample_with_notes(tmp_path):
    """The qc 1.3.2 sample (a real export with codings) with notes added the way the standard has other
    programs write them: on the project, a source, a code, a coded selection, an uncoded selection, and
    a MAXQDA-style selection with only a Description."""
    require_refi()
    ET.register_namespace("", NS["q"])
    with zipfile.ZipFile(SAMPLES / "qualitative-coding_demo_qc-1.3.2.qdpx") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = ET.fromstring(members.pop("project.qde"))
    q = f"{{{NS['q']}}}"
    user = root.find("q:Users/q:User", NS).get("guid")
    guids = {kind: f"00000000-0000-4000-8000-00000000000{n}" for n, kind in enumerate(
        ["project", "source", "code", "coded", "uncoded", "selection"], start=1)}
    notes = ET.Element(f"{q}Notes")
    for kind, text in (("project", "Why we chose these boards."), ("source", "Minutes, not a transcript."),
                       ("code", "Programming as a competency, not a tool."), ("coded", "Borderline; kept."),
                       ("uncoded", "Come back to this paragraph.")):
        note = ET.SubElement(notes, f"{q}Note", {"guid": guids[kind], "name": f"{kind} memo", "creatingUser": user,
                                                   "creationDateTime": "2024-08-01T17:48:00Z"})
        ET.SubElement(note, f"{q}PlainTextContent").text = text
    root.insert(list(root).index(root.find("q:Sources", NS)) + 1, notes)
    ET.SubElement(root, f"{q}NoteRef", {"targetGUID": guids["project"]})
    code = next(c for c in root.iter(f"{q}Code") if c.get("name") == "programming")
    code.insert(0, ET.Element(f"{q}NoteRef", {"targetGUID": guids["code"]}))
    source = root.find("q:Sources/q:TextSource", NS)
    first = source.find("q:PlainTextSelection", NS)  # it holds a coding
    ET.SubElement(first, f"{q}NoteRef", {"targetGUID": guids["coded"]})
    last = source.findall("q:PlainTextSelection", NS)[-1]
    end = int(last.get("endPosition"))
    position = list(source).index(last) + 1
    uncoded = ET.Element(f"{q}PlainTextSelection", {"guid": "00000000-0000-4000-8000-0000000000a1",
                                                    "startPosition": str(end + 10), "endPosition": str(end + 60)})
    ET.SubElement(uncoded, f"{q}NoteRef", {"targetGUID": guids["uncoded"]})
    described = ET.Element(f"{q}PlainTextSelection", {"guid": "00000000-0000-4000-8000-0000000000a2",
                                                      "name": "Selection memo", "startPosition": str(end + 100),
                                                      "endPosition": str(end + 160), "creatingUser": user})
    ET.SubElement(described, f"{q}Description").text = "MAXQDA keeps memos on selections like this."
    source.insert(position, described)
    source.insert(position, uncoded)
    source_refs = source.findall("q:VariableValue", NS)
    ref = ET.Element(f"{q}NoteRef", {"targetGUID": guids["source"]})
    source.insert(list(source).index(source_refs[0]) if source_refs else len(source), ref)
    document = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return make_qdpx(tmp_path / "with_notes.qdpx", document, members), document


def test_memo_notes_from_another_program_become_memos(project, tmp_path):
    path, document = _sample_with_notes(tmp_path)
    assert validate(document, "Project.xsd") == []  # what we added is what the schema allows
    refi = read_qdpx(path)
    source_name = refi.sources[0].name  # the source the notes were added to
    [coded_note] = [n for n in refi.notes if n.name == "coded memo"]
    report = project.import_qdpx(path)
    assert report.memos == {"project": 1, "document": 1, "code": 1, "segment": 2}
    assert report.notes == 1
    assert [d.note for d in project.store.decisions.log() if d.note] == ["Borderline; kept."]
    memos = {m.text: m for m in project.memos()}
    assert str(memos["Why we chose these boards."].target) == "the project"
    assert str(memos["Minutes, not a transcript."].target) == f"document {source_name}"
    programming = memos["Programming as a competency, not a tool."]
    assert programming.target.code.endswith(".programming")
    assert all(m.author == "cp" for text, m in memos.items() if not text.startswith("MAXQDA"))
    assert memos["Why we chose these boards."].created_at == "2024-08-01T17:48:00.000Z"
    assert memos["MAXQDA keeps memos on selections like this."].title == "Selection memo"
    text = project.store.documents.text(project.document_id(source_name))
    for note_text in ("Come back to this paragraph.", "MAXQDA keeps memos on selections like this."):
        memo = memos[note_text]
        assert memo.target.about.value == "segment" and memo.target.document == source_name
        [segment] = [s for s in project.segments(documents=[source_name]) if s.ordinal == memo.target.segment]
        assert segment.text == text[segment.start:segment.end]
    assert coded_note.source_guid is not None  # the coded note was anchored, and stayed a decision note
    assert "Borderline; kept." not in memos


def test_memo_notes_a_note_added_elsewhere_to_a_qualkit_file_becomes_a_memo(memoed, tmp_path):
    require_refi()
    out = tmp_path / "p.qdpx"
    memoed.export_qdpx(out)
    ET.register_namespace("", NS["q"])
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = ET.fromstring(members.pop("project.qde"))
    q = f"{{{NS['q']}}}"
    guid = "00000000-0000-4000-8000-0000000000b1"
    note = ET.SubElement(root.find("q:Notes", NS), f"{q}Note", {"guid": guid, "name": "Added in NVivo"})
    ET.SubElement(note, f"{q}PlainTextContent").text = "A thought from the other program."
    ET.SubElement(root, f"{q}NoteRef", {"targetGUID": guid})
    document = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    assert validate(document, "Project.xsd") == []
    with Project.init(tmp_path / "copy.db") as copy:
        report = copy.import_qdpx(make_qdpx(tmp_path / "edited.qdpx", document, members))
        assert report.memos["project"] == 2 and report.notes == 1
        added = next(m for m in copy.memos() if m.title == "Added in NVivo")
        assert (str(added.target), added.text) == ("the project", "A thought from the other program.")
