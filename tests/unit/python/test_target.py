"""Another target's marker values and wheel tags, from an interpreter's probe: the tags equal
what packaging lists for that Python and those platforms, the markers name the platform."""

from __future__ import annotations

import pytest
from packaging.tags import compatible_tags, cpython_tags, mac_platforms

from cove.errors import UsageError
from cove.python.probe import probe
from cove.python.tags import expand_platform
from cove.python.target import target_environment
from tests.conftest import python_or_skip


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory: pytest.TempPathFactory) -> object:
    return probe(python_or_skip("3.12"), tmp_path_factory.mktemp("cache"))


def test_the_interpreters_own_target(interpreter: object) -> None:
    from cove.python.interpreter import Interpreter
    from cove.python.tags import supported_tags

    assert isinstance(interpreter, Interpreter)
    own = target_environment(interpreter)
    assert own.tags == supported_tags(interpreter) and own.described is None
    assert own.markers == dict(interpreter.markers)
    assert str(own.python_version) == interpreter.version_string


def test_another_python_and_linux_platform(interpreter: object) -> None:
    from cove.python.interpreter import Interpreter

    assert isinstance(interpreter, Interpreter)
    target = target_environment(interpreter, "3.11", ["manylinux_2_28_x86_64"])
    platforms = expand_platform("manylinux_2_28_x86_64")
    assert platforms[:3] == ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64",
                             "manylinux_2_26_x86_64"]  # fmt: skip
    assert "manylinux2014_x86_64" in platforms and platforms[-1] == "manylinux1_x86_64"
    expected = [*cpython_tags((3, 11), ["cp311"], platforms),
                *compatible_tags((3, 11), "cp311", platforms)]  # fmt: skip
    assert list(target.tags) == expected
    assert target.markers["python_version"] == "3.11"
    assert target.markers["python_full_version"] == "3.11.0" and str(target.python_version) == (
        "3.11.0"
    )
    assert target.markers["sys_platform"] == "linux" and target.markers["os_name"] == "posix"
    assert str(target.described) == (
        'python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"'
    )


@pytest.mark.parametrize(
    ("platform", "values"),
    [
        ("win_amd64", ("win32", "Windows", "nt", "AMD64")),
        ("win32", ("win32", "Windows", "nt", "x86")),
        ("win_arm64", ("win32", "Windows", "nt", "ARM64")),
        ("macosx_11_0_arm64", ("darwin", "Darwin", "posix", "arm64")),
        ("macosx_10_9_x86_64", ("darwin", "Darwin", "posix", "x86_64")),
        ("musllinux_1_2_aarch64", ("linux", "Linux", "posix", "aarch64")),
        ("manylinux2014_aarch64", ("linux", "Linux", "posix", "aarch64")),
        ("linux_x86_64", ("linux", "Linux", "posix", "x86_64")),
    ],
)
def test_platform_markers(interpreter: object, platform: str, values: tuple[str, ...]) -> None:
    from cove.python.interpreter import Interpreter

    assert isinstance(interpreter, Interpreter)
    markers = target_environment(interpreter, platforms=[platform]).markers
    keys = ("sys_platform", "platform_system", "os_name", "platform_machine")
    assert tuple(markers[k] for k in keys) == values
    assert markers["python_version"] == "3.12"  # the interpreter's own, not given


def test_mac_and_musl_platforms_expand_as_packaging_lists_them() -> None:
    assert expand_platform("macosx_12_0_arm64") == list(mac_platforms((12, 0), "arm64"))
    assert expand_platform("musllinux_1_2_x86_64") == [
        "musllinux_1_2_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64"
    ]  # fmt: skip
    assert expand_platform("win_amd64") == ["win_amd64"]


@pytest.mark.parametrize(("version", "platform"), [("3", ()), ("3.x", ()), (None, ("vax",))])
def test_bad_targets_are_usage_errors(
    interpreter: object, version: str | None, platform: tuple[str, ...]
) -> None:
    from cove.python.interpreter import Interpreter

    assert isinstance(interpreter, Interpreter)
    with pytest.raises(UsageError) as info:
        target_environment(interpreter, version, platform)
    assert info.value.hint
