"""Guards for untrusted REFI-QDA input: a .qdpx is a zip of XML written by someone else.

Nothing is ever extracted to disk: members are read into memory, one at a time, with the size
capped while decompressing (a zip header can lie). XML is parsed by defusedxml with DTDs
forbidden, so external entities and entity-expansion bombs are rejected before they expand.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qualkit.errors import RefiError, RefiSafetyError

MiB = 1024 * 1024


@dataclass(frozen=True)
class RefiLimits:
    """Limits applied to every archive and XML document before anything is parsed."""

    max_entries: int = 10_000
    max_entry_bytes: int = 256 * MiB  # uncompressed, per member that is read (XML, text)
    max_total_bytes: int = 4096 * MiB  # uncompressed, all members together (media included)
    max_ratio: float = 200.0  # compression ratio beyond which a member is treated as a zip bomb
    ratio_floor_bytes: int = 1 * MiB  # small members may compress well; the ratio rule starts here
    max_code_depth: int = 100


DEFAULT_LIMITS = RefiLimits()

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_name(name: str) -> str | None:
    """Why ``name`` may not appear in an archive (zip slip), or None when it is fine."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "climbs out of the archive with '..'"
    return None


class SafeArchive:
    """A checked, read-only view of a zip archive; members are read into memory, never extracted."""

    def __init__(self, path: Path, *, limits: RefiLimits = DEFAULT_LIMITS):
        self.path = Path(path)
        self.limits = limits
        self._total_read = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise RefiError(f"{self.path}: no such file") from None
        except (zipfile.BadZipFile, OSError) as error:
            if self.path.suffix.lower() == ".qdc":
                raise RefiError(
                    f"{self.path}: a .qdc is a codebook, not a project archive; read it with read_qdc"
                ) from None
            raise RefiError(
                f"{self.path}: not a .qdpx project (not a valid zip archive: {error}); export it again "
                "from the original program"
            ) from None
        try:
            self._check_headers()
        except BaseException:
            self._zip.close()
            raise
        self._by_lower = {info.filename.lower(): info for info in self._zip.infolist() if not info.is_dir()}

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _check_headers(self) -> None:
        limits = self.limits
        infos = self._zip.infolist()
        if len(infos) > limits.max_entries:
            raise RefiSafetyError(
                f"{self.path}: {len(infos):,} entries in the archive (limit {limits.max_entries:,}); refusing it"
            )
        seen: set[str] = set()
        total = 0
        for info in infos:
            reason = unsafe_member_name(info.filename)
            if reason:
                raise RefiSafetyError(
                    f"{self.path}: entry {info.filename!r} {reason} (zip slip); refusing the archive"
                )
            if info.filename in seen:
                raise RefiSafetyError(f"{self.path}: entry {info.filename!r} appears twice; refusing the archive")
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise RefiError(
                    f"{self.path}: entry {info.filename!r} is encrypted; export the project without a password"
                )
            total += info.file_size
            if info.file_size > limits.ratio_floor_bytes:
                ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
                if ratio > limits.max_ratio:
                    raise RefiSafetyError(
                        f"{self.path}: entry {info.filename!r} expands {info.compress_size:,} → {info.file_size:,} "
                        f"bytes (ratio {ratio:,.0f}:1, limit {limits.max_ratio:,.0f}:1), which looks like a zip bomb; "
                        "refusing the archive"
                    )
        if total > limits.max_total_bytes:
            raise RefiSafetyError(
                f"{self.path}: entries unpack to {total:,} bytes (limit {limits.max_total_bytes:,}); "
                "refusing the archive (if you trust the file, pass limits=RefiLimits(max_total_bytes=...))"
            )

    def names(self) -> list[str]:
        """Member file names in archive order (folders left out)."""
        return [info.filename for info in self._zip.infolist() if not info.is_dir()]

    def find(self, name: str) -> str | None:
        """The member called ``name``, compared case-insensitively (``Sources/`` vs ``sources/``)."""
        info = self._by_lower.get(name.replace("\\", "/").lower())
        return info.filename if info else None

    def find_basename(self, basename: str) -> list[str]:
        """Members whose file name (without folders) is ``basename``, case-insensitively."""
        wanted = basename.lower()
        return [info.filename for key, info in self._by_lower.items() if PurePosixPath(key).name == wanted]

    def read(self, name: str) -> bytes:
        """The member's bytes, decompressed under the per-member and total limits."""
        limits = self.limits
        info = self._zip.getinfo(name)
        if info.file_size > limits.max_entry_bytes:
            raise RefiSafetyError(
                f"{self.path}: entry {name!r} unpacks to {info.file_size:,} bytes (limit "
                f"{limits.max_entry_bytes:,} per entry); refusing the archive (if you trust the file, "
                "pass limits=RefiLimits(max_entry_bytes=...))"
            )
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(MiB):
                    size += len(chunk)
                    if size > info.file_size or size > limits.max_entry_bytes:
                        raise RefiSafetyError(
                            f"{self.path}: entry {name!r} unpacks to more than its header says "
                            f"({info.file_size:,} bytes); refusing the archive"
                        )
                    if self._total_read + size > limits.max_total_bytes:
                        raise RefiSafetyError(
                            f"{self.path}: entries unpack to more than {limits.max_total_bytes:,} bytes "
                            "in total; refusing the archive"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
            raise RefiError(f"{self.path}: entry {name!r} is corrupt ({error}); export the project again") from None
        self._total_read += size
        return b"".join(chunks)


def read_limited_file(path: Path, *, limits: RefiLimits = DEFAULT_LIMITS) -> bytes:
    """A whole (XML) file, refusing anything over the per-entry limit."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_entry_bytes:
            raise RefiSafetyError(f"{path}: {size:,} bytes (limit {limits.max_entry_bytes:,}); refusing it")
        return path.read_bytes()
    except FileNotFoundError:
        raise RefiError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RefiError(f"{path}: is a folder, not a file") from None


def parse_xml(data: bytes, *, where: str):
    """Parse untrusted XML into an ElementTree element, keeping processing instructions.

    DOCTYPE declarations (and with them every entity, internal or external) are refused: QDA-XML
    never needs them, and they are how XXE and billion-laughs attacks work.
    """
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(
        target=ET.TreeBuilder(insert_pis=True), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        return parser.close()
    except DTDForbidden:
        raise RefiSafetyError(
            f"{where}: the XML has a DOCTYPE declaration, which QDA-XML never needs and which enables "
            "external-entity (XXE) and entity-expansion attacks; refusing it"
        ) from None
    except EntitiesForbidden as error:
        raise RefiSafetyError(f"{where}: the XML declares entity {error.name!r}; entities are refused") from None
    except ExternalReferenceForbidden as error:
        raise RefiSafetyError(
            f"{where}: the XML refers to an external resource ({error.sysid or error.pubid}); refusing it"
        ) from None
    except DefusedXmlException as error:
        raise RefiSafetyError(f"{where}: unsafe XML ({error}); refusing it") from None
    except ET.ParseError as error:
        raise RefiError(f"{where}: not well-formed XML ({error}); the file is corrupt or not QDA-XML") from None
