"""Exports validate against the REFI-QDA schemas, are byte-stable, atomic, and refuse bad records."""

from __future__ import annotations

import dataclasses
import zipfile

import pytest

from qualkit.refi import RefiCode, RefiCoding, RefiError, RefiProject, RefiSource, write_qdc, write_qdpx
from tests.refi import demo_project, require_refi, validate


def test_write_qdpx_validates_against_project_xsd(tmp_path):
    require_refi()
    path = write_qdpx(demo_project(), tmp_path / "demo.qdpx")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        document = archive.read("project.qde")
    assert validate(document, "Project.xsd") == []
    project = demo_project()
    assert names == ["project.qde"] + [f"sources/{source.guid}.txt" for source in project.sources]
    assert b'plainTextPath="internal://' in document
    with zipfile.ZipFile(path) as archive:
        assert archive.read(names[1]).decode("utf-8") == project.sources[0].text


def test_write_qdpx_minimal_project_validates(tmp_path):
    require_refi()
    path = write_qdpx(RefiProject(name="empty"), tmp_path / "empty.qdpx")
    assert validate(zipfile.ZipFile(path).read("project.qde"), "Project.xsd") == []


def test_write_qdc_validates_against_codebook_xsd(tmp_path):
    require_refi()
    project = demo_project()
    path = write_qdc(project.codes, tmp_path / "codes.qdc", "NIoT codebook")
    assert validate(path.read_bytes(), "Codebook.xsd") == []
    assert b"NIoT codebook" in path.read_bytes()


def test_write_qdc_sets_use_the_codebook_member_attribute(tmp_path):
    require_refi()
    project = demo_project()
    group = dataclasses.replace(project.sets[0], source_guids=())
    path = write_qdc(project.codes, tmp_path / "codes.qdc", sets=(group,))
    assert validate(path.read_bytes(), "Codebook.xsd") == []
    assert b'<MemberCode guid="' in path.read_bytes()


def test_write_qdpx_is_byte_identical_on_reexport(tmp_path):
    first = write_qdpx(demo_project(), tmp_path / "a.qdpx").read_bytes()
    second = write_qdpx(demo_project(), tmp_path / "b.qdpx").read_bytes()
    assert first == second


def test_write_qdpx_guids_derive_from_keys_and_names():
    assert RefiCode.new("culture.trust", "Trust").guid == RefiCode.new("culture.trust", "Renamed").guid
    assert RefiCode.new("culture.trust", "Trust").guid != RefiCode.new("culture.trusts", "Trust").guid
    assert RefiSource.new("a", "x").guid == RefiSource.new("a", "y").guid


def test_write_qdpx_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.qdpx"
    target.write_bytes(b"old")
    write_qdpx(demo_project(), target)
    assert zipfile.is_zipfile(target)
    assert [path.name for path in tmp_path.iterdir()] == ["out.qdpx"]


def test_write_qdpx_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.qdpx"
    target.write_bytes(b"old")
    project = demo_project()
    bad = dataclasses.replace(project, codings=(dataclasses.replace(project.codings[0], end=10_000),))
    with pytest.raises(RefiError, match=r"span \d+-10000 does not fit source 'interview_head'"):
        write_qdpx(bad, target)
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["out.qdpx"]


def _broken(kind: str) -> RefiProject:
    project = demo_project()
    coding = project.codings[0]
    if kind == "not-a-guid":
        return dataclasses.replace(project, codes=(dataclasses.replace(project.codes[0], guid="code-1"),))
    if kind == "duplicate-guid":
        return dataclasses.replace(project, sources=(project.sources[0], project.sources[0]))
    if kind == "unknown-code":
        return dataclasses.replace(project, codings=(dataclasses.replace(coding, code_guid=project.sources[1].guid),))
    if kind == "unknown-user":
        return dataclasses.replace(project, users=())
    if kind == "bad-colour":
        return dataclasses.replace(project, codes=(dataclasses.replace(project.codes[0], color="rgb(1,2,3)"),))
    if kind == "duplicate-key":
        twin = RefiCode.new("spare", "Twin")
        return dataclasses.replace(project, codes=(*project.codes, dataclasses.replace(twin, key="offer")))
    if kind == "empty-span":
        return dataclasses.replace(project, codings=(RefiCoding(coding.source_guid, 3, 3, coding.code_guid),))
    raise AssertionError(kind)


BROKEN = {
    "not-a-guid": r"code 'Offer' has id 'code-1', which is not a GUID",
    "duplicate-guid": r"source 'interview_head' reuses GUID",
    "unknown-code": r"refers to '[0-9a-f-]+', which is not a code of the project",
    "unknown-user": r"which is not a user of the project",
    "bad-colour": r"colour 'rgb\(1,2,3\)' is not #rrggbb",
    "empty-span": r"span 3-3 does not fit",
    "duplicate-key": r"code 'Twin': key 'offer' is used by another code",
}


@pytest.mark.parametrize("kind", list(BROKEN), ids=list(BROKEN))
def test_write_qdpx_refuses_inconsistent_records(tmp_path, kind):
    with pytest.raises(RefiError, match=BROKEN[kind]):
        write_qdpx(_broken(kind), tmp_path / "x.qdpx")
    assert not (tmp_path / "x.qdpx").exists()


def test_write_qdc_refuses_an_empty_codebook(tmp_path):
    with pytest.raises(RefiError, match="needs at least one code"):
        write_qdc((), tmp_path / "x.qdc")


def test_write_qdpx_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(RefiError, match="does not exist"):
        write_qdpx(demo_project(), tmp_path / "nope" / "x.qdpx")


def test_write_qdpx_scrubs_characters_xml_cannot_hold(tmp_path):
    require_refi()
    project = demo_project()
    odd = dataclasses.replace(project.codes[0], name="Offer\x00\x07", description="bell\x07")
    path = write_qdpx(dataclasses.replace(project, codes=(odd, project.codes[1])), tmp_path / "x.qdpx")
    assert validate(zipfile.ZipFile(path).read("project.qde"), "Project.xsd") == []


def test_write_qdpx_crlf_text_is_written_with_lf_and_offsets_follow(tmp_path):
    from qualkit.refi import read_qdpx

    source = RefiSource.new("crlf", "one\r\ntwo\r\nthree")
    code = RefiCode.new("c", "C")
    start = source.text.index("three")
    project = RefiProject(name="p", codes=(code,), sources=(source,),
                          codings=(RefiCoding(source.guid, start, start + 5, code.guid),))
    back = read_qdpx(write_qdpx(project, tmp_path / "x.qdpx"))
    (coding,) = back.codings
    assert back.sources[0].text == "one\ntwo\nthree"
    assert back.sources[0].text[coding.start:coding.end] == "three"
