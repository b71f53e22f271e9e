"""The no-op fast path: only a fully satisfied installed set skips resolution."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from cove.inspect.installed import InstalledDistribution
from cove.install.satisfied import already_satisfied

MARKERS = {"python_version": "3.12", "sys_platform": "linux", "python_full_version": "3.12.1"}


def installed(
    tmp_path: Path, **dists: tuple[str, list[str]]
) -> dict[NormalizedName, InstalledDistribution]:
    out = {}
    for name, (version, requires) in dists.items():
        path = tmp_path / f"{name}-{version}.dist-info"
        path.mkdir()
        lines = [f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
        (path / "METADATA").write_text("\n".join(lines) + "\n\nRequires-Dist: body-not-header\n")
        key = canonicalize_name(name)
        out[key] = InstalledDistribution(name, version, path)
    return out


def check(
    reqs: list[str], have: dict[NormalizedName, InstalledDistribution], **constraints: str
) -> bool:
    cons = {canonicalize_name(k): SpecifierSet(v) for k, v in constraints.items()}
    return already_satisfied([Requirement(r) for r in reqs], cons, have, MARKERS)


def test_transitive_and_markers(tmp_path: Path) -> None:
    have = installed(
        tmp_path,
        flask=(
            "2.0",
            ["click>=7", 'colorama; sys_platform == "win32"', 'asgiref; extra == "async"'],
        ),
        click=("8.1", []),
    )
    assert check(["flask"], have)
    assert check(["flask>=2", "click<9"], have)
    assert not check(["flask>2"], have)
    assert not check(["flask[async]"], have)  # asgiref missing
    assert not check(["flask"], have, click="<8")
    assert not check(["requests"], have)
    assert not check(["flask @ file:///x/flask-2.0-py3-none-any.whl"], have)


def test_missing_dependency(tmp_path: Path) -> None:
    have = installed(tmp_path, flask=("2.0", ["click>=7"]))
    assert not check(["flask"], have)
