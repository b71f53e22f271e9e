"""What the resolver knows about packages, and the PackageSource protocol it reads them through."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


@dataclass(frozen=True, slots=True)
class Candidate:
    """One version of a project that could satisfy a requirement.

    ``origin`` says where it comes from (an index link, an installed distribution, a local file);
    the resolver never looks inside it, only the source does.
    """

    name: NormalizedName
    version: Version
    origin: object
    installed: bool = False
    url: str | None = None  # set for `name @ url` and paths: the one and only candidate
    yanked: bool = False  # every file of this version is yanked: only an == pin may pick it

    @property
    def direct(self) -> bool:
        return self.url is not None

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class CandidateMetadata:
    """The parts of a candidate's core metadata that resolution needs."""

    name: str  # as written in METADATA (display case)
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extras: frozenset[str]


class PackageSource(Protocol):
    """Where candidates and their metadata come from: indexes, find-links, installed, in-memory."""

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        """Usable candidates of ``name`` (tags, Requires-Python and yanked already judged),
        newest first."""
        ...

    def direct(self, requirement: Requirement) -> Candidate:
        """The candidate a ``name @ url`` requirement names."""
        ...

    def metadata(self, candidate: Candidate) -> CandidateMetadata: ...

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """A hint that these projects will be asked for soon (fetch their pages in parallel)."""
        ...

    def direct_url_info(self, candidate: Candidate, editable: bool) -> dict[str, object] | None:
        """PEP 610 direct_url.json contents for a direct reference (None otherwise)."""
        ...

    def built_wheel(self, candidate: Candidate) -> Path | None:
        """The wheel built for a source-only candidate during resolution, if any."""
        ...

    def describe_unavailable(self, name: NormalizedName) -> str | None:
        """Why there are no usable candidates (e.g. "no wheel for your platform"), if known."""
        ...
