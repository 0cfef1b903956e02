"""write_qdpx → read_qdpx gives back the same project: codes, sources, codings, users, cases, notes."""

from __future__ import annotations

import dataclasses
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.refi import (
    RefiCode,
    RefiCoding,
    RefiProject,
    RefiSource,
    RefiUser,
    read_qdc,
    read_qdpx,
    stable_guid,
    write_qdc,
    write_qdpx,
)
from tests.refi import demo_project


def _coding_key(coding: RefiCoding):
    return (coding.source_guid, coding.start, coding.end, coding.code_guid, coding.user or "", str(coding.created))


def test_roundtrip_reproduces_every_record(tmp_path):
    project = demo_project()
    back = read_qdpx(write_qdpx(project, tmp_path / "demo.qdpx"))
    assert back.warnings == ()
    assert back.name == project.name and back.origin.startswith("qualkit")
    assert back.codes == project.codes  # keys, names, colours, descriptions, nesting, codable
    assert back.sources == project.sources  # text and attributes
    assert sorted(back.codings, key=_coding_key) == sorted(project.codings, key=_coding_key)
    assert back.users == project.users
    assert back.cases == project.cases
    assert back.notes == project.notes
    assert back.sets == project.sets


def test_roundtrip_offsets_after_emoji_are_code_points(tmp_path):
    project = demo_project()
    back = read_qdpx(write_qdpx(project, tmp_path / "demo.qdpx"))
    text = back.sources[0].text
    assert {text[c.start:c.end] for c in back.codings if c.source_guid == back.sources[0].guid} == {
        "trust our staff", "NPQ"}


def test_roundtrip_keys_survive_although_names_differ(tmp_path):
    back = read_qdpx(write_qdpx(demo_project(), tmp_path / "demo.qdpx"))
    assert [code.key for code in back.all_codes()] == ["offer", "offer.npq", "culture", "culture.trust"]
    assert back.codes[0].children[0].name == "NPQs"


def test_roundtrip_reexport_of_an_import_is_identical(tmp_path):
    first = write_qdpx(demo_project(), tmp_path / "a.qdpx")
    again = write_qdpx(read_qdpx(first), tmp_path / "b.qdpx")
    assert first.read_bytes() == again.read_bytes()


def test_roundtrip_qdc(tmp_path):
    codes = demo_project().codes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_qdc(write_qdc(codes, tmp_path / "c.qdc", "NIoT")) == codes


def test_roundtrip_source_starting_with_bom_character_keeps_it(tmp_path):
    source = RefiSource.new("bom", "\ufeffzero width no-break space first")
    back = read_qdpx(write_qdpx(RefiProject(name="p", sources=(source,)), tmp_path / "x.qdpx"))
    assert back.sources == (source,)


# --- property: random Unicode texts (astral characters included) and random spans -----------------

# no NUL: a source holding one is refused on import, as `qualkit ingest` refuses it
_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\x00"), min_size=1, max_size=200
) | st.lists(st.sampled_from(["a", "é", " ", "\n", "😀", "𝔘", "字", "\u0301", "\ufeff", "\t"]), min_size=1).map("".join)
_NAME = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=20)


@st.composite
def _projects(draw) -> RefiProject:
    codes = tuple(
        RefiCode.new(f"k{number}", draw(_NAME), color=draw(st.none() | st.sampled_from(["#a1b2c3", "#FFFFFF"])),
                     description=draw(st.none() | _NAME), codable=draw(st.booleans()))
        for number in range(draw(st.integers(1, 3)))
    )
    codes = (dataclasses.replace(codes[0], children=(RefiCode.new("k0.child", draw(_NAME)),)), *codes[1:])
    user = RefiUser.new(draw(_NAME))
    sources = tuple(
        RefiSource(guid=stable_guid("source", number), name=draw(_NAME), text=draw(_TEXT),
                   attributes=draw(st.dictionaries(_NAME, _NAME, max_size=2)))
        for number in range(draw(st.integers(1, 3)))
    )
    all_codes = [codes[0].children[0], *codes]
    codings = []
    for _ in range(draw(st.integers(0, 8))):
        source = draw(st.sampled_from(sources))
        start = draw(st.integers(0, len(source.text) - 1))
        end = draw(st.integers(start + 1, len(source.text)))
        code = draw(st.sampled_from(all_codes))
        codings.append(RefiCoding(source.guid, start, end, code.guid, draw(st.sampled_from([None, user.guid]))))
    return RefiProject(name=draw(_NAME), codes=codes, sources=sources, codings=tuple(codings), users=(user,))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(project=_projects())
def test_roundtrip_property_random_unicode(tmp_path, project):
    back = read_qdpx(write_qdpx(project, tmp_path / "p.qdpx"))
    assert back.warnings == ()
    assert back.sources == project.sources
    assert back.codes == project.codes
    assert back.users == project.users
    assert sorted(back.codings, key=_coding_key) == sorted(project.codings, key=_coding_key)
    texts = {source.guid: source.text for source in project.sources}
    for coding in back.codings:
        assert texts[coding.source_guid][coding.start:coding.end]
