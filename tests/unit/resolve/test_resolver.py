"""The resolver over an in-memory PackageSource: extras, markers, constraints, pre-releases,
installed distributions, backtracking and conflict messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.index.evaluate import Release
from cove.index.metadata import CandidateMetadata
from cove.index.models import Link, make_link
from cove.inspect.installed import InstalledDistribution
from cove.resolve.provider import Policy
from cove.resolve.resolver import ResolutionError, resolve
from cove.resolve.source import Candidate, DirectReference

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


def release(name: str, version: str) -> Candidate:
    link = wheel_link(name, version)
    return Candidate(NormalizedName(name), Version(version), Release(Version(version), (link,)))


def installed_candidate(name: str, version: str) -> Candidate:
    dist = InstalledDistribution(name, version, Path(f"/nowhere/{name}-{version}.dist-info"))
    return Candidate(NormalizedName(name), Version(version), dist)


class MemorySource:
    """Projects as a dict: name -> {version: (requires_dist, requires_python)}."""

    def __init__(self, projects: dict[str, dict[str, tuple[list[str], str | None]]]) -> None:
        self.projects = {canonicalize_name(k): v for k, v in projects.items()}
        self.metadata_calls: list[str] = []

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        versions = sorted(self.projects.get(name, {}), key=Version, reverse=True)
        return [release(name, v) for v in versions]

    def direct(self, requirement: Requirement) -> Candidate:
        name = canonicalize_name(requirement.name)
        url = requirement.url or ""
        origin = DirectReference(url, wheel_link(name, "9.9", url))
        return Candidate(name, Version("9.9"), origin)

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
    return Policy(markers=MARKERS, python_version=Version("3.12.1"), **kw)  # type: ignore[arg-type]


def pins(source: MemorySource, reqs: list[str], **kw: object) -> dict[str, str]:
    result = resolve([Requirement(r) for r in reqs], source, policy(**kw))
    return {str(n): str(c.version) for n, c in result.chosen.items()}


WEB = MemorySource(
    {
        "Flask": {
            "2.0": (["click>=7", "Jinja2>=3"], ">=3.7"),
            "3.0": (["click>=8.1", "Jinja2>=3.1", 'asgiref>=3; extra == "async"'], ">=3.8"),
            "4.0": (["click>=9"], ">=3.13"),
        },
        "click": {"7.0": ([], None), "8.0": ([], None), "8.1.7": ([], None), "9.0a1": ([], None)},
        "jinja2": {"3.0": (["markupsafe"], None), "3.1.2": (["markupsafe>=2"], None)},
        "markupsafe": {"1.1": ([], None), "2.1": ([], None)},
        "asgiref": {"3.7": (['typing-extensions; python_version < "3.11"'], None)},
        "typing-extensions": {"4.0": ([], None)},
    }
)


def test_newest_that_fits_the_python() -> None:
    assert pins(WEB, ["flask"]) == {
        "flask": "3.0",
        "click": "8.1.7",
        "jinja2": "3.1.2",
        "markupsafe": "2.1",
    }


def test_extras_and_markers_for_the_target() -> None:
    got = pins(WEB, ["flask[async]"])
    assert got["asgiref"] == "3.7"
    assert "typing-extensions" not in got  # python_version < 3.11 is false for 3.12


def test_backtracks_to_an_older_parent() -> None:
    assert pins(WEB, ["flask", "click<8.1"])["flask"] == "2.0"


def test_constraints_narrow_without_adding() -> None:
    got = pins(WEB, ["flask"], constraints={"markupsafe": SpecifierSet("<2")})
    assert got["markupsafe"] == "1.1" and got["jinja2"] == "3.0"
    assert "asgiref" not in pins(WEB, ["click"], constraints={"asgiref": SpecifierSet(">1")})


def test_prereleases_only_when_asked_or_only_choice() -> None:
    assert pins(WEB, ["click"])["click"] == "8.1.7"
    assert pins(WEB, ["click"], pre=True)["click"] == "9.0a1"
    assert pins(WEB, ["click>=9.0a1"])["click"] == "9.0a1"
    assert pins(WEB, ["click>8.9"])["click"] == "9.0a1"  # no final release fits


def test_installed_kept_unless_upgrading() -> None:
    click = NormalizedName("click")
    installed = {click: installed_candidate("click", "8.0")}
    assert pins(WEB, ["click"], installed=installed)["click"] == "8.0"
    assert pins(WEB, ["click"], installed=installed, upgrade=frozenset({click}))["click"] == "8.1.7"
    assert pins(WEB, ["click>=8.1"], installed=installed)["click"] == "8.1.7"


def test_direct_url_is_the_only_candidate() -> None:
    got = resolve([Requirement("click @ file:///tmp/click-9.9-py3-none-any.whl")], WEB, policy())
    assert got.chosen[NormalizedName("click")].url == "file:///tmp/click-9.9-py3-none-any.whl"


def test_conflict_names_each_requirement_and_who_asked() -> None:
    with pytest.raises(ResolutionError) as info:
        pins(WEB, ["flask==3.0", "click<8"])
    message = info.value.message
    assert "click" in message
    assert "click<8 (you asked for it)" in message
    assert "click>=8.1 (required by flask 3.0)" in message
    assert "available: 7.0, 8.0, 8.1.7" in message


def test_requires_python_conflict_is_explained() -> None:
    with pytest.raises(ResolutionError) as info:
        pins(WEB, ["flask==4.0"])
    assert "flask 4.0 needs Python>=3.13" in info.value.message
    assert "3.12.1" in info.value.message
    assert info.value.hint is not None and "cove create -p" in info.value.hint


def test_unknown_project() -> None:
    with pytest.raises(ResolutionError, match="no versions of nope were found"):
        pins(WEB, ["nope"])


def test_parents_recorded() -> None:
    result = resolve([Requirement("flask")], WEB, policy())
    assert result.parents[NormalizedName("flask")] == ("",)
    assert result.parents[NormalizedName("markupsafe")] == ("jinja2 3.1.2",)
