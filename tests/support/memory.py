"""A PackageSource held in memory, for resolver tests that need no files: projects as a dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.index.evaluate import Release
from cove.index.metadata import CandidateMetadata
from cove.index.models import Link, make_link
from cove.inspect.installed import InstalledDistribution
from cove.resolve.provider import Policy
from cove.resolve.source import Candidate, DirectReference
from tests.support.graphs import Projects

MARKERS = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.1",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.1",
    "platform_system": "Linux",
    "platform_version": "#1",
    "python_full_version": "3.12.1",
    "platform_python_implementation": "CPython",
    "python_version": "3.12",
    "sys_platform": "linux",
}


def wheel_link(name: str, version: str, url: str | None = None) -> Link:
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    link = make_link(filename, url or f"https://files.example/{filename}")
    assert link is not None
    return link


def release(name: str, version: str, yanked: str | None = None) -> Candidate:
    """An index candidate with one wheel (yanked for ``yanked``'s reason)."""
    v = Version(version)
    return Candidate(NormalizedName(name), v, Release(v, (wheel_link(name, version),), yanked))


def installed(name: str, version: str) -> Candidate:
    dist = InstalledDistribution(name, version, Path(f"/nowhere/{name}-{version}.dist-info"))
    return Candidate(NormalizedName(name), Version(version), dist)


class MemorySource:
    """Projects as a dict: name -> {version: (requires_dist, requires_python)}; ``yanked`` maps
    "name version" to the reason a version was yanked."""

    def __init__(self, projects: Projects, yanked: Mapping[str, str] | None = None) -> None:
        self.projects = {canonicalize_name(k): v for k, v in projects.items()}
        self.yanked = dict(yanked or {})
        self.metadata_calls: list[str] = []

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        versions = sorted(self.projects.get(name, {}), key=Version, reverse=True)
        return [release(name, v, self.yanked.get(f"{name} {v}")) for v in versions]

    def direct(self, requirement: Requirement) -> Candidate:
        name = canonicalize_name(requirement.name)
        url = requirement.url or ""
        return Candidate(name, Version("9.9"), DirectReference(url, wheel_link(name, "9.9", url)))

    def metadata(self, candidate: Candidate) -> CandidateMetadata:
        self.metadata_calls.append(str(candidate))
        if candidate.direct:
            reqs: list[str] = []
            rp = None
        else:
            reqs, rp = self.projects[candidate.name][str(candidate.version)]
        return CandidateMetadata(
            name=candidate.name,
            version=candidate.version,
            requires_dist=tuple(Requirement(r) for r in reqs),
            requires_python=SpecifierSet(rp) if rp else None,
            provides_extras=frozenset(),
        )

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        pass

    def describe_unavailable(self, name: NormalizedName) -> str | None:
        return None


def policy(**kw: object) -> Policy:
    """A Policy for CPython 3.12.1 on Linux."""
    return Policy(markers=MARKERS, python_version=Version("3.12.1"), **kw)  # type: ignore[arg-type]
