"""What an index offers: one Link per artifact (a wheel or an sdist), its filename parsed."""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

# The archive formats pip accepts for source distributions (PEP 625 allows only .tar.gz, but
# older projects still offer the others), longest first so .tar.gz is not taken for .gz.
SDIST_EXTENSIONS = (
    ".tar.lzma",
    ".tar.bz2",
    ".tar.gz",
    ".tar.lz",
    ".tar.xz",
    ".tar",
    ".tbz",
    ".tgz",
    ".tlz",
    ".txz",
    ".zip",
)


@dataclass(frozen=True, slots=True)
class Link:
    """An artifact an index page or find-links location offers.

    ``url`` is absolute and has no fragment; ``hashes`` maps a hashlib name to a lowercase hex
    digest. ``yanked`` is None unless the file is yanked (PEP 592), then the reason ("" for
    none). ``core_metadata`` is None unless the index serves ``url + ".metadata"`` (PEP 658),
    then that file's hashes (possibly none). ``tags`` and ``build`` are set for wheels only.
    """

    filename: str
    url: str
    project: NormalizedName
    version: Version
    tags: frozenset[Tag] | None = None
    build: tuple[int, str] | tuple[()] = ()
    hashes: dict[str, str] = field(default_factory=dict, hash=False)
    requires_python: str | None = None
    yanked: str | None = None
    core_metadata: dict[str, str] | None = field(default=None, hash=False)
    size: int | None = None  # bytes, when the index says (PEP 700)
    upload_time: str | None = None  # ISO 8601, when the index says (PEP 700)
    source: str = ""  # the page or directory it was found on, for messages

    @property
    def is_wheel(self) -> bool:
        return self.tags is not None

    @property
    def is_yanked(self) -> bool:
        return self.yanked is not None

    @property
    def metadata_url(self) -> str:
        """Where the core metadata file is served (PEP 658): the artifact's URL + .metadata."""
        return self.url + ".metadata"

    def __str__(self) -> str:
        return self.filename


def make_link(
    filename: str,
    url: str,
    *,
    project: str | None = None,
    hashes: dict[str, str] | None = None,
    requires_python: str | None = None,
    yanked: str | None = None,
    core_metadata: dict[str, str] | None = None,
    size: int | None = None,
    upload_time: str | None = None,
    source: str = "",
) -> Link | None:
    """The Link for a wheel or sdist ``filename``; None for any other or an invalid name.

    ``project``, when known, tells where an sdist's name ends (``foo-1.0-beta.tar.gz`` is
    foo 1.0b0), as pip reads it; without it the last dash separates name and version.
    """
    if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
        return None  # a name that could escape a directory is no artifact's
    tags: frozenset[Tag] | None = None
    build: tuple[int, str] | tuple[()] = ()
    if filename.endswith(".whl"):
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None
    else:
        parsed = parse_sdist_name(filename, project)
        if parsed is None:
            return None
        name, version = parsed
    return Link(
        filename,
        url,
        name,
        version,
        tags,
        build,
        hashes=dict(hashes or {}),
        requires_python=requires_python,
        yanked=yanked,
        core_metadata=core_metadata,
        size=size,
        upload_time=upload_time,
        source=source,
    )


def parse_sdist_name(
    filename: str, project: str | None = None
) -> tuple[NormalizedName, Version] | None:
    """(project, version) of an sdist filename in any archive format pip accepts, else None."""
    lower = filename.lower()
    ext = next((e for e in SDIST_EXTENSIONS if lower.endswith(e)), None)
    if ext is None:
        return None
    stem = filename[: -len(ext)]
    cut = -1
    if project is not None:
        want = canonicalize_name(project)
        cut = stem.find("-")
        while cut > 0 and canonicalize_name(stem[:cut]) != want:
            cut = stem.find("-", cut + 1)
    if cut < 0:
        cut = stem.rfind("-")
    if cut <= 0:
        return None
    try:
        return canonicalize_name(stem[:cut]), Version(stem[cut + 1 :])
    except InvalidVersion:
        return None
