"""The resolver over an in-memory PackageSource: extras, markers, constraints, pre-releases,
installed distributions, backtracking and conflict messages."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from cove.resolve.explain import ResolutionError
from cove.resolve.resolver import resolve
from tests.support import memory
from tests.support.memory import MemorySource, policy


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
    installed = {click: memory.installed("click", "8.0")}
    assert pins(WEB, ["click"], installed=installed)["click"] == "8.0"
    assert pins(WEB, ["click"], installed=installed, upgrade=frozenset({click}))["click"] == "8.1.7"
    assert pins(WEB, ["click>=8.1"], installed=installed)["click"] == "8.1.7"


def test_direct_url_is_the_only_candidate() -> None:
    got = resolve([Requirement("click @ file:///tmp/click-9.9-py3-none-any.whl")], WEB, policy())
    assert got.chosen[NormalizedName("click")].url == "file:///tmp/click-9.9-py3-none-any.whl"


def test_conflict_names_each_requirement_and_who_asked() -> None:
    with pytest.raises(ResolutionError) as info:
        pins(WEB, ["flask==3.0", "click<8"])
    assert info.value.message.splitlines()[1:] == [
        "  you asked for flask==3.0",
        "  flask 3.0 requires click>=8.1, but you asked for click<8",
        "  so flask==3.0 cannot be installed",
    ]


def test_requires_python_conflict_is_explained() -> None:
    with pytest.raises(ResolutionError) as info:
        pins(WEB, ["flask==4.0"])
    assert "flask 4.0 requires Python>=3.13, but the environment has Python" in info.value.message
    assert "3.12.1" in info.value.message
    assert info.value.hint is not None and "cove create -p" in info.value.hint


def test_unknown_project() -> None:
    with pytest.raises(ResolutionError, match="no versions of nope were found"):
        pins(WEB, ["nope"])


def test_parents_recorded() -> None:
    result = resolve([Requirement("flask")], WEB, policy())
    assert result.parents[NormalizedName("flask")] == ("",)
    assert result.parents[NormalizedName("markupsafe")] == ("jinja2 3.1.2",)
