"""What the resolver knows about packages, and the PackageSource protocol it reads them through:
a candidate is one version of a project, and its origin says where it would come from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from packaging.version import Version

from cove.index.evaluate import Release
from cove.index.metadata import CandidateMetadata
from cove.index.models import Link
from cove.inspect.installed import InstalledDistribution

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.utils import NormalizedName


class VcsCheckout(NamedTuple):
    """The commit a git reference resolved to, for PEP 610's vcs_info."""

    repo: str  # the repository URL, credentials redacted
    commit: str
    requested_revision: str | None
    subdirectory: str | None


class DirectReference(NamedTuple):
    """A ``name @ url`` requirement (or a path, or a git URL) made ready: the wheel to install,
    remote or built from the tree, sdist or commit, and what PEP 610 will record of it."""

    url: str  # as requested (fragment included); compared with other requirements' URLs
    wheel: Link
    vcs: VcsCheckout | None = None
    directory: bool = False  # a local project directory (dir_info)


class Candidate(NamedTuple):
    """One version of a project that could satisfy a requirement, and where it comes from: an
    index release (its files best first), an installed distribution, or a direct reference.
    The resolver compares candidates; only the prepare stage looks inside the origin."""

    name: NormalizedName
    version: Version
    origin: Release | InstalledDistribution | DirectReference

    @property
    def installed(self) -> bool:
        return isinstance(self.origin, InstalledDistribution)

    @property
    def url(self) -> str | None:
        """The requested URL of a direct reference (the one and only candidate for it)."""
        return self.origin.url if isinstance(self.origin, DirectReference) else None

    @property
    def direct(self) -> bool:
        return isinstance(self.origin, DirectReference)

    @property
    def yanked(self) -> str | None:
        """PEP 592: the yank reason ("" for none) when every file of this release is yanked."""
        return self.origin.yanked if isinstance(self.origin, Release) else None

    @property
    def link(self) -> Link | None:
        """The file that would be installed (None for an installed distribution)."""
        if isinstance(self.origin, Release):
            return self.origin.link
        if isinstance(self.origin, DirectReference):
            return self.origin.wheel
        return None

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class PackageSource(Protocol):
    """Where candidates and their metadata come from: indexes, find-links, what is installed."""

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        """Usable candidates of ``name`` (tags, Requires-Python, binary policy and hashes
        already judged), newest first."""
        ...

    def direct(self, requirement: Requirement) -> Candidate:
        """The candidate a ``name @ url`` requirement names."""
        ...

    def metadata(self, candidate: Candidate) -> CandidateMetadata: ...

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """A hint that these projects will be asked for soon (fetch their pages in parallel)."""
        ...

    def describe_unavailable(self, name: NormalizedName) -> str | None:
        """Why there are no usable candidates (e.g. "no wheel for your platform"), if known."""
        ...
