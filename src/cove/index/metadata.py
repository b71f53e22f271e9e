"""Core metadata (METADATA / PEP 658 files) parsed into what resolution needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from cove.errors import CoveError
from cove.headers import read_header_lists


@dataclass(frozen=True, slots=True)
class CandidateMetadata:
    """The parts of a candidate's core metadata that resolution needs."""

    name: str  # as written in METADATA (display case)
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extras: frozenset[str]


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


def wheel_metadata(wheel: Path) -> bytes:
    """The METADATA member of a wheel file, read without unpacking the rest."""
    import zipfile  # only for indexes without PEP 658 metadata files

    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [
                n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise MetadataError(
                    f"{wheel.name} has {len(names)} .dist-info/METADATA files, expected one",
                    hint="the wheel is broken; pin another version",
                )
            return zf.read(names[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise MetadataError(
            f"{wheel.name} is not a readable wheel: {exc}", hint="pin another version"
        ) from None
