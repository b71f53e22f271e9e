"""Top-level markers evaluated for the target environment (given as values, never read from the
interpreter running the tests)."""

from __future__ import annotations

from packaging.markers import default_environment
from packaging.requirements import Requirement

from cove.requirements.markers import for_environment


def environment(python: str, platform: str) -> dict[str, str]:
    env = {key: str(value) for key, value in default_environment().items()}
    env.update(python_version=python, python_full_version=python + ".0", sys_platform=platform)
    return env


def test_requirements_and_constraints_follow_the_target() -> None:
    reqs = [
        Requirement('old ; python_version < "3.10"'),
        Requirement('new ; python_version >= "3.10"'),
        Requirement('win[x] ; sys_platform == "win32"'),
        Requirement('extra-only ; extra == "test"'),  # nothing asked for an extra here
        Requirement("always"),
    ]
    pins = [
        Requirement('always<2 ; python_version < "3.10"'),
        Requirement("always<3 ; os_name == 'nt'"),
    ]
    target = for_environment(reqs, pins, environment("3.9", "linux"))
    assert [r.name for r in target.requirements] == ["old", "always"]
    assert [str(c) for c in target.constraints] == ['always<2; python_version < "3.10"']
    assert target.ignored == (
        "Ignoring new: markers 'python_version >= \"3.10\"' don't match your environment",
        "Ignoring win: markers 'sys_platform == \"win32\"' don't match your environment",
        "Ignoring extra-only: markers 'extra == \"test\"' don't match your environment",
    )
    other = for_environment(reqs, pins, environment("3.13", "win32"))
    assert [r.name for r in other.requirements] == ["new", "win", "always"]
