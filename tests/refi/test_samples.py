"""Real exports from other programs (shared/refi/samples) import with their content intact."""

from __future__ import annotations

import re
import warnings
import zipfile

import pytest

from qualkit.refi import RefiWarning, read_qdc, read_qdpx, walk_codes
from tests.refi import SAMPLES, require_refi

QDPX = ["paper_themes_maxqda24", "ponte_blank-atlas-project", "ponte_target-atlas-project",
        "qualitative-coding_demo_qc-1.3.2", "qualitative-coding_nvivo-mac-15.0.0"]
QDC = ["atlasti-win-23.4.0_codebook__from_requal_test", "taguette_codebook__from_tests_py"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
KEY = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
# Every sample on disk is read, including ones added after these tests were written.
ALL_QDPX = sorted({*QDPX, *(path.stem for path in SAMPLES.glob("*.qdpx"))})
ALL_QDC = sorted({*QDC, *(path.stem for path in SAMPLES.glob("*.qdc"))})


def _sample(name: str):
    require_refi()
    return SAMPLES / name


def _read_qdc(name: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codes = read_qdc(_sample(f"{name}.qdc"))
    return codes, [str(warning.message) for warning in caught if issubclass(warning.category, RefiWarning)]


def test_samples_folder_holds_the_known_samples():
    require_refi()
    found = {path.stem for path in SAMPLES.iterdir() if path.suffix in (".qdpx", ".qdc")}
    assert set(QDPX + QDC) <= found


@pytest.mark.parametrize("name", ALL_QDC, ids=ALL_QDC)
def test_read_qdc_sample_is_consistent(name):
    codes, _ = _read_qdc(name)
    keys = [code.key for code in walk_codes(codes)]
    assert codes and all(KEY.match(key) for key in keys) and len(set(keys)) == len(keys)
    assert all(GUID.match(code.guid) for code in walk_codes(codes))


@pytest.mark.parametrize("name", ALL_QDPX, ids=ALL_QDPX)
def test_read_qdpx_sample_is_consistent(name):
    project = read_qdpx(_sample(f"{name}.qdpx"))
    codes = project.all_codes()
    guids = [c.guid for c in codes] + [s.guid for s in project.sources] + [u.guid for u in project.users]
    assert all(GUID.match(guid) for guid in guids)
    assert len(set(guids)) == len(guids)
    keys = [code.key for code in codes]
    assert all(KEY.match(key) for key in keys) and len(set(keys)) == len(keys)
    for code in codes:
        for child in code.children:
            assert child.key.startswith(code.key + ".")
    sources = project.source_by_guid()
    known = {code.guid for code in codes}
    user_guids = {user.guid for user in project.users}
    for coding in project.codings:
        text = sources[coding.source_guid].text
        assert 0 <= coding.start < coding.end <= len(text)
        assert re.search(r"[A-Za-z]{2,}", text[coding.start:coding.end])
        assert coding.code_guid in known
        assert coding.user is None or coding.user in user_guids
    assert all("\r" not in source.text for source in project.sources)


def test_read_qdpx_maxqda_codes_sources_and_sets():
    project = read_qdpx(_sample("paper_themes_maxqda24.qdpx"))
    assert project.origin.startswith("MAXQDA 24")
    assert len(project.all_codes()) == 307
    parent = project.codes[0]
    assert parent.name == "Additional Themes and Ideas"
    assert parent.color == "#ef8256" and parent.description.startswith("This category encompasses")
    assert parent.children[0].name == "THEME - Affinity Spaces (Gee)"
    assert parent.children[0].key == "additional_themes_and_ideas.theme_affinity_spaces_gee"
    assert len(project.sources) == 10  # the README's table says 20; the archive holds 10 TextSources
    assert all(len(source.text) > 30_000 for source in project.sources)
    assert {source.name for source in project.sources} >= {"ICLS 2024 3-10", "ICLS 2025 1034-1042"}
    assert project.codings == () and [user.name for user in project.users] == ["johnb"]
    assert [(s.name, len(s.source_guids)) for s in project.sets] == [("ICLS 2024", 5), ("ICLS 2025", 5)]
    assert project.warnings == ()


def test_read_qdpx_atlas_projects_users_and_nested_codes():
    blank = read_qdpx(_sample("ponte_blank-atlas-project.qdpx"))
    assert [user.name for user in blank.users] == ["Enric Llagostera", "ATLAS.ti"]
    assert blank.codes == () and blank.sources == () and blank.warnings == ()
    target = read_qdpx(_sample("ponte_target-atlas-project.qdpx"))
    (commits,) = target.codes
    assert commits.name == "Commits" and commits.guid == "a182cd3a-d83c-4d8c-bc80-26d9103ec6d6"
    assert [child.key for child in commits.children] == [
        "commits.c_2022_05_10t02_05_59z_19e4dce",
        "commits.c_2022_02_11t10_39_25z_cdbfd92",
    ]


def test_read_qdpx_qc_selections_land_on_their_lines():
    path = _sample("qualitative-coding_demo_qc-1.3.2.qdpx")
    project = read_qdpx(path)
    assert len(project.all_codes()) == 262 and len(project.codings) == 205
    assert {source.name for source in project.sources} == {"board_2017", "admin-1"}
    assert any("lack 'internal://'" in warning and "board_2017.txt" in warning for warning in project.warnings)
    # qc names each selection after its 0-based line: the imported span must be exactly that line.
    qde = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    lines_named = {(int(a), int(b)): int(n) for n, a, b in re.findall(
        r'name="line:(\d+)" startPosition="(\d+)" endPosition="(\d+)"', qde)}
    board = next(source for source in project.sources if source.name == "board_2017")
    lines = board.text.split("\n")
    spans = {(c.start, c.end) for c in project.codings}
    assert spans == set(lines_named)
    for (start, end), number in lines_named.items():
        assert board.text[start:end] == lines[number] + "\n"
    # The same name under two parents gets two keys.
    keys = sorted(code.key for code in project.all_codes() if code.name == "programming")
    assert keys == ["rq1_definition.competencies.programming", "rq1_definition.framings.cs_as_programming.programming"]


def test_read_qdpx_nvivo_mac_empty_plain_texts_are_reported():
    project = read_qdpx(_sample("qualitative-coding_nvivo-mac-15.0.0.qdpx"))
    assert len(project.all_codes()) == 262
    assert {user.name for user in project.users} == {"chrisp", "cp"}
    assert len(project.sources) == 2 and all(source.text.strip() == "" for source in project.sources)
    empty = [warning for warning in project.warnings if "empty plain text" in warning]
    assert len(empty) == 2 and all(".docx" in warning for warning in empty)


def test_read_qdc_atlas_codebook():
    codes, messages = _read_qdc(QDC[0])
    (code,) = codes
    assert (code.name, code.color, code.description, code.key) == ("code1", "#46AA00", "description", "code1")
    assert code.guid == "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"
    assert any("code group 1" in message for message in messages)


def test_read_qdc_taguette_invalid_codebook_imports_with_warning():
    codes, messages = _read_qdc(QDC[1])
    assert [(code.name, code.key) for code in walk_codes(codes)] == [
        ("interesting", "interesting"),
        ("people", "people"),
        ("interesting\\places", "interesting_places"),
    ]
    assert any("empty <Sets/>" in message for message in messages)
