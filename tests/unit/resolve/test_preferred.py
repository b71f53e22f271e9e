"""A lock's pins as preferences (``Policy.preferred``): the pinned version is tried first, the
newest only where the pin no longer fits, and every project without a pin resolves as before."""

from __future__ import annotations

from packaging.utils import NormalizedName
from packaging.version import Version

from tests.unit.resolve.test_resolver import WEB, pins


def prefer(**versions: str) -> dict[NormalizedName, Version]:
    return {NormalizedName(n): Version(v) for n, v in versions.items()}


def test_the_pinned_versions_are_kept() -> None:
    locked = prefer(flask="2.0", click="8.0", jinja2="3.0", markupsafe="1.1")
    assert pins(WEB, ["flask"], preferred=locked) == {
        "flask": "2.0", "click": "8.0", "jinja2": "3.0", "markupsafe": "1.1"
    }  # fmt: skip
    # Without them the newest are taken: the pins are what kept the older ones.
    assert pins(WEB, ["flask"])["flask"] == "3.0"


def test_a_pin_the_requirements_rule_out_gives_way() -> None:
    got = pins(WEB, ["flask>=3", "click"], preferred=prefer(flask="2.0", click="8.0"))
    assert got["flask"] == "3.0" and got["click"] == "8.1.7"  # flask 3 needs click>=8.1


def test_a_pin_of_a_version_the_index_lacks_is_ignored() -> None:
    assert pins(WEB, ["click"], preferred=prefer(click="5.0")) == {"click": "8.1.7"}
