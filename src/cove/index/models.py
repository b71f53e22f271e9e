"""What an index offers: one Link per artifact, with its parsed filename."""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True, slots=True)
class Link:
    """An artifact an index or find-links location offers (wheel or sdist)."""

    filename: str
    url: str  # absolute, without fragment
    project: NormalizedName
    version: Version
    tags: frozenset[Tag] | None  # None for an sdist
    build: tuple[int, str] | tuple[()] = ()
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; "" yanked without a reason
    core_metadata: dict[str, str] | None = field(default=None, hash=False, compare=False)
    source: str = ""  # the page or directory it came from

    @property
    def is_wheel(self) -> bool:
        return self.tags is not None

    @property
    def metadata_url(self) -> str:
        return self.url + ".metadata"


def make_link(
    filename: str,
    url: str,
    *,
    hashes: dict[str, str] | None = None,
    requires_python: str | None = None,
    yanked: str | None = None,
    core_metadata: dict[str, str] | None = None,
    source: str = "",
) -> Link | None:
    """A Link for a wheel or sdist filename; None for anything else (as pip ignores them)."""
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return Link(
                filename, url, name, version, tags, build, dict(hashes or {}),
                requires_python, yanked, core_metadata, source,
            )  # fmt: skip
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return Link(
                filename, url, name, version, None, (), dict(hashes or {}),
                requires_python, yanked, core_metadata, source,
            )  # fmt: skip
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None
