"""The reader takes what real programs write: odd file names, namespaces, ids, paths and source types."""

from __future__ import annotations

import warnings

import pytest

from qualkit.refi import RefiError, read_qdc, read_qdpx, slug
from tests.refi import make_qdpx

SRC_A = "{AAAAAAAA-0000-4000-8000-00000000000A}"  # braced, upper-case
MESSY = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="Messy export" origin="MessyQDA 1">
 <Users><User guid="user-1" name="Rosa"/></Users>
 <CodeBook><Codes>
  <Code guid="code-1" name="Teacher Wellbeing" isCodable="true" color="rgb(255, 0, 16)">
   <Code guid="code-2" name="Workload!" isCodable="true" color="#abc"/>
   <Code guid="code-3" name="workload" isCodable="true"/>
  </Code>
  <Code guid="code-4" name="Élan &amp; Zeal" isCodable="true"/>
  <Code guid="code-5" name="42 answers"/>
 </Codes></CodeBook>
 <Cases>
  <Case guid="case-1" name="School A">
   <Variables><Variable guid="var-1" name="phase" typeOfVariable="Text"/></Variables>
   <VariableValue><VariableRef targetGUID="var-1"/><TextValue>primary</TextValue></VariableValue>
   <SourceRef targetGUID="AAAA_PLACEHOLDER"/>
   <SelectionRef targetGUID="sel-b"/>
  </Case>
 </Cases>
 <Sources>
  <TextSource guid="AAAA_PLACEHOLDER" name="Interview A" plainTextPath="internal://a.txt">
   <PlainTextSelection guid="sel-a1" startPosition="3" endPosition="12">
    <Coding guid="c-1" creatingUser="user-1"><CodeRef targetGUID="code-2"/></Coding>
    <Coding guid="c-2" creatingUser="user-9"><CodeRef targetGUID="code-404"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="sel-a2" name="memo" startPosition="12" endPosition="20">
    <Description>Check this with the head.</Description>
   </PlainTextSelection>
   <VariableValue><VariableRef targetGUID="var-1"/><TextValue>secondary</TextValue></VariableValue>
  </TextSource>
  <TextSource guid="src-b" plainTextPath="b.txt">
   <PlainTextSelection guid="sel-b" startPosition="0" endPosition="5">
    <Coding guid="c-3"><CodeRef targetGUID="code-4"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="src-c" name="From disk" plainTextPath="C:\\Users\\rosa\\Desktop\\c.txt">
   <Coding guid="c-4"><CodeRef targetGUID="code-3"/></Coding>
  </TextSource>
  <TextSource guid="src-d" name="Secret" plainTextPath="/etc/hostname"/>
  <TextSource guid="src-e" name="Inline"><PlainTextContent>Inline text here.</PlainTextContent></TextSource>
  <PDFSource guid="src-f" name="Report" path="internal://f.pdf">
   <PDFSelection guid="pdf-sel" page="1" firstX="0" firstY="0" secondX="9" secondY="9">
    <Coding guid="c-5"><CodeRef targetGUID="code-1"/></Coding>
   </PDFSelection>
   <Representation guid="src-f-text" plainTextPath="internal://f.txt">
    <PlainTextSelection guid="sel-f" startPosition="0" endPosition="6">
     <Coding guid="c-6"><CodeRef targetGUID="code-1"/></Coding>
    </PlainTextSelection>
   </Representation>
  </PDFSource>
  <PDFSource guid="src-g" name="Scan" path="internal://g.pdf"/>
  <PictureSource guid="src-h" name="Photo" path="internal://h.png">
   <PictureSelection guid="pic" firstX="0" firstY="0" secondX="1" secondY="1">
    <Coding guid="c-7"><CodeRef targetGUID="code-1"/></Coding>
   </PictureSelection>
  </PictureSource>
  <AudioSource guid="src-i" name="Recording" path="internal://i.mp3"/>
 </Sources>
 <Sets/>
</Project>
""".replace("AAAA_PLACEHOLDER", SRC_A)


@pytest.fixture
def messy(tmp_path):
    files = {
        "Sources/a.txt": "\ufeffWe workload is heavy\r\nhere.\r\n",
        "Sources/b.txt": "Trust matters.",
        "Sources/c.txt": "Copied into the archive.",
        "Sources/f.txt": "Report text.",
        "Sources/f.pdf": b"%PDF-1.4",
    }
    path = make_qdpx(tmp_path / "messy.qdpx", MESSY, files, qde_name="Messy export.qde")
    return read_qdpx(path)


def _warned(project, fragment: str) -> bool:
    return any(fragment in warning for warning in project.warnings)


def test_read_messy_project_file_named_after_project(messy):
    assert messy.name == "Messy export"
    assert _warned(messy, "'Messy export.qde' rather than 'project.qde'")
    assert _warned(messy, "namespace 'urn:QDA-XML:project:1:0' instead of 'urn:QDA-XML:project:1.0'")


def test_read_messy_codes_keys_colours_and_ids(messy):
    codes = messy.all_codes()
    assert [code.key for code in codes] == [
        "teacher_wellbeing", "teacher_wellbeing.workload", "teacher_wellbeing.workload_2", "elan_zeal", "c_42_answers",
    ]
    assert [code.color for code in codes[:2]] == ["#ff0010", "#aabbcc"]
    assert _warned(messy, "colour(s) were written as rgb()")
    assert _warned(messy, "id(s) are not GUIDs (e.g. 'user-1'")
    assert _warned(messy, "1 code(s) lack the required isCodable attribute")
    assert len({code.guid for code in codes}) == 5


def test_read_messy_sources_paths_and_text(messy):
    names = [source.name for source in messy.sources]
    assert names == ["Interview A", "b", "From disk", "Inline", "Report"]
    by_name = {source.name: source for source in messy.sources}
    assert by_name["Interview A"].text == "We workload is heavy\nhere.\n"  # BOM dropped, CRLF → LF
    assert by_name["Interview A"].guid == "aaaaaaaa-0000-4000-8000-00000000000a"
    assert by_name["Interview A"].attributes == {"phase": "secondary"}
    assert by_name["From disk"].text == "Copied into the archive."
    assert _warned(messy, r"points outside the archive ('C:\\Users\\rosa\\Desktop\\c.txt'); used the archive's copy")
    assert _warned(messy, "lack 'internal://' (e.g. 'b.txt')")
    assert _warned(messy, "source 'Secret': its text file '/etc/hostname' is outside the archive")


def test_read_messy_codings_and_memos(messy):
    sources = messy.source_by_guid()
    codes = messy.code_by_guid()
    found = sorted((sources[c.source_guid].name, sources[c.source_guid].text[c.start:c.end], codes[c.code_guid].key)
                   for c in messy.codings)
    assert found == [
        ("From disk", "Copied into the archive.", "teacher_wellbeing.workload_2"),
        ("Interview A", "workload ", "teacher_wellbeing.workload"),
        ("Report", "Report", "teacher_wellbeing"),
        ("b", "Trust", "elan_zeal"),
    ]
    rosa = messy.users[0]
    assert [c.user for c in messy.codings if sources[c.source_guid].name == "Interview A"] == [rosa.guid]
    assert _warned(messy, "1 coding(s) point at codes not in the codebook (e.g. 'code-404')")
    assert _warned(messy, "1 coding(s) apply to whole sources")
    (memo,) = messy.notes
    assert memo.text == "Check this with the head."
    assert sources[memo.source_guid].text[memo.start:memo.end] == "is heavy"


def test_read_messy_cases_with_variables_inside(messy):
    (case,) = messy.cases
    sources = messy.source_by_guid()
    assert case.name == "School A" and case.attributes == {"phase": "primary"}
    assert [sources[guid].name for guid in case.source_guids] == ["Interview A", "b"]


def test_read_messy_skipped_sources_are_reported(messy):
    assert _warned(messy, "PDF source 'Report' imported as its plain-text representation")
    assert _warned(messy, "1 PDF source(s) skipped")
    assert _warned(messy, "1 picture source(s) skipped")
    assert _warned(messy, "1 audio source(s) skipped")
    assert _warned(messy, "1 coding(s) on skipped non-text sources not imported")
    assert _warned(messy, "empty <Sets/>")


def test_read_without_namespace(tmp_path):
    code = '<Code guid="12345678-1234-4234-8234-123456789abc" name="A" isCodable="true"/>'
    qde = f'<Project name="bare"><CodeBook><Codes>{code}</Codes></CodeBook></Project>'
    project = read_qdpx(make_qdpx(tmp_path / "x.qdpx", qde))
    assert [code.name for code in project.codes] == ["A"]
    assert any("no XML namespace" in warning for warning in project.warnings)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"readme.txt": "x"}, r"no project.qde in the archive; it holds readme.txt"),
        ({"a.qde": "<Project name='a'/>", "b.qde": "<Project name='b'/>"}, r"several project files \(a.qde, b.qde\)"),
        ({"project.qde": "<CodeBook/>"}, r"holds a codebook, not a project; read it with read_qdc"),
        ({"project.qde": "<Project name='x'><Users>"}, r"not well-formed XML"),
    ],
    ids=["no-qde", "two-qde", "codebook-inside", "broken-xml"],
)
def test_read_qdpx_rejects_what_is_not_a_project(tmp_path, members, message):
    import zipfile

    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(RefiError, match=message):
        read_qdpx(path)


def test_read_qdpx_not_a_zip(tmp_path):
    path = tmp_path / "x.qdpx"
    path.write_text("hello")
    with pytest.raises(RefiError, match="not a .qdpx project"):
        read_qdpx(path)


def test_read_qdc_namespace_variant_and_project_file(tmp_path):
    path = tmp_path / "x.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1:0"><Codes><Code guid="x1" name="Alpha" isCodable="true">'
                    '<Code guid="x2" name="Beta" isCodable="true"/></Code></Codes></CodeBook>')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (code,) = read_qdc(path)
    assert [child.key for child in code.children] == ["alpha.beta"]
    assert any("codebook:1:0" in str(w.message) for w in caught)
    path.write_text("<Project name='p'/>")
    with pytest.raises(RefiError, match="read it with read_qdpx"):
        read_qdc(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Teacher Wellbeing", "teacher_wellbeing"), ("Élan", "elan"), ("2022 cohort", "c_2022_cohort"),
     ("字", "code"), ("a--b__c", "a_b_c")],
    ids=["spaces", "accent", "digit-first", "no-latin", "runs"],
)
def test_read_slug(name, expected):
    assert slug(name) == expected


def test_read_wrong_reader_says_which_to_use(tmp_path):
    from qualkit.refi import RefiCode, write_qdc, write_qdpx
    from tests.refi import demo_project

    codebook = write_qdc((RefiCode.new("a", "A"),), tmp_path / "c.qdc")
    project = write_qdpx(demo_project(), tmp_path / "p.qdpx")
    with pytest.raises(RefiError, match="c.qdc: a .qdc is a codebook, not a project archive; read it with read_qdc"):
        read_qdpx(codebook)
    with pytest.raises(RefiError, match=r"p.qdpx: this is a zip archive \(a .qdpx project\?\).*read it with read_qdpx"):
        read_qdc(project)


_TWO_SOURCES = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="Encodings">
 <CodeBook><Codes><Code guid="code-1" name="Mentoring" isCodable="true"/></Codes></CodeBook>
 <Sources>
  <TextSource guid="src-ok" name="Fine" plainTextPath="internal://ok.txt">
   <PlainTextSelection guid="sel-ok" startPosition="0" endPosition="5">
    <Coding guid="c-ok"><CodeRef targetGUID="code-1"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="src-bad" name="Odd" plainTextPath="internal://bad.txt">
   <PlainTextSelection guid="sel-bad" startPosition="0" endPosition="2">
    <Coding guid="c-bad"><CodeRef targetGUID="code-1"/></Coding>
   </PlainTextSelection>
  </TextSource>
 </Sources>
</Project>
"""


@pytest.mark.parametrize(
    ("data", "text", "why"),
    [
        ("Mentor café".encode("utf-16-le"), None, "it holds NUL bytes (UTF-16 without a byte-order mark"),
        (bytes(range(256)) * 4, None, "it holds NUL bytes"),
        (b"\x81\x8d\x8f caf\xe9", None, "it is neither UTF-8 (byte 0) nor Windows-1252 text"),
        ("\ufeffMentor\x00café".encode("utf-16"), None, "it holds NUL characters"),
        ("Mentor café 😀".encode("utf-16"), "Mentor café 😀", "UTF-16"),
        ("Mentor café".encode("cp1252"), "Mentor café", "Windows-1252"),
    ],
    ids=["utf16-without-bom", "random-bytes", "not-cp1252", "nul-in-utf16", "utf16-with-bom", "cp1252"],
)
def test_read_qdpx_source_text_follows_ingests_encoding_rule(tmp_path, data, text, why):
    files = {"sources/ok.txt": "Mentoring works.", "sources/bad.txt": data}
    project = read_qdpx(make_qdpx(tmp_path / "enc.qdpx", _TWO_SOURCES, files))
    names = {source.name: source.text for source in project.sources}
    assert names["Fine"] == "Mentoring works."
    if text is None:  # refused like `qualkit ingest` refuses it: skipped, and said so by name
        assert "Odd" not in names
        assert any(
            warning.startswith("enc.qdpx: source 'Odd' skipped: its text file 'sources/bad.txt' is not text: " + why)
            for warning in project.warnings
        ), project.warnings
        assert "\x00" not in "".join(names.values())
    else:  # read, with a note saying how
        assert names["Odd"] == text
        assert any("source 'Odd' (sources/bad.txt) is not UTF-8; read it as " + why in w for w in project.warnings)
