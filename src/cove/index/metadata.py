"""Core metadata (METADATA / PEP 658 files) parsed into what resolution needs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from cove.errors import CoveError
from cove.headers import read_header_lists

if TYPE_CHECKING:
    from cove.archive.zip import RandomAccess


class CandidateMetadata(NamedTuple):
    """The parts of a candidate's core metadata that resolution needs."""

    name: str  # as written in METADATA (display case)
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extras: frozenset[str]


_MAX_METADATA = 64 << 20  # read into memory: far more than any real METADATA


class MetadataError(CoveError):
    """A distribution's metadata cannot be read or is inconsistent."""


def parse_metadata(data: bytes, origin: str) -> CandidateMetadata:
    """``origin`` names the file for messages (``flask-3.0-py3-none-any.whl``)."""
    headers = read_header_lists(data.decode("utf-8", errors="replace"), lower=True)
    raw = {key: values[0] for key, values in headers.items()}
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise MetadataError(
            f"the metadata of {origin} has no Name or Version",
            hint="the file is broken; report it to the project or pin another version",
        )
    try:
        parsed_version = Version(version)
    except InvalidVersion:
        raise MetadataError(
            f"{origin} has an invalid version {version!r}", hint="pin another version"
        ) from None
    requires = []
    for text in headers.get("requires-dist", []):
        try:
            requires.append(Requirement(text))
        except InvalidRequirement as exc:
            raise MetadataError(
                f"{origin} has an invalid requirement {text!r}: {exc}",
                hint="pin another version of this project",
            ) from None
    requires_python = None
    if raw.get("requires-python"):
        try:
            requires_python = SpecifierSet(raw["requires-python"])
        except InvalidSpecifier:
            requires_python = None  # pip ignores an invalid Requires-Python too
    return CandidateMetadata(
        name=name,
        version=parsed_version,
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extras=frozenset(headers.get("provides-extra", [])),
    )


def wheel_metadata(wheel: Path | RandomAccess) -> bytes:
    """The METADATA member of a wheel (a file, or one read remotely by ranges), read without
    unpacking the rest, through the same strict ZIP reader that unpacks it (which checks the
    rest of the file, and the unpack limits, when it unpacks it)."""
    from cove.archive import UnpackPolicy
    from cove.archive.zip import ZipArchive

    unbounded = UnpackPolicy(max_size=1 << 62, max_files=1 << 62, max_ratio=float("inf"))
    name = wheel.name
    try:
        with ZipArchive(wheel, unbounded, whole=False) as zf:
            found = [
                m
                for m in zf.members
                if m.name.count("/") == 1 and m.name.endswith(".dist-info/METADATA")
            ]
            if len(found) != 1:
                raise MetadataError(
                    f"{name} has {len(found)} .dist-info/METADATA files, expected one",
                    hint="the wheel is broken; pin another version",
                )
            if found[0].size > _MAX_METADATA:
                raise MetadataError(
                    f"{name} has a METADATA file of {found[0].size:,} bytes",
                    hint="the wheel is broken or malicious; pin another version",
                )
            return b"".join(zf.chunks(found[0]))
    except OSError as exc:
        raise MetadataError(
            f"{name} is not a readable wheel: {exc}", hint="pin another version"
        ) from None
