"""A pyproject.toml's requirements without a build: dependencies, extras, PEP 735 groups with
their includes, and every mistake named with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cove.requirements.pyproject import read_pyproject, selected
from cove.requirements.text import RequirementsError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def names(reqs: object) -> list[str]:
    return [str(r) for r in reqs]  # type: ignore[attr-defined]


def test_dependencies_extras_and_groups(tmp_path: Path) -> None:
    project = read_pyproject(write(tmp_path, """
[project]
name = "mine"
requires-python = ">=3.11"
dependencies = ["base>=1", 'winonly; sys_platform == "win32"']
[project.optional-dependencies]
Fast_Path = ["speed[all]"]
[dependency-groups]
test = ["pytest>=8"]
Lint = ["ruff"]
dev = [{include-group = "TEST"}, {include-group = "lint"}, "ipython"]
"""))  # fmt: skip
    assert names(project.dependencies) == ["base>=1", 'winonly; sys_platform == "win32"']
    assert str(project.requires_python) == ">=3.11"
    assert names(project.extra("fast-path")) == ["speed[all]"]
    assert names(project.group("dev")) == ["pytest>=8", "ruff", "ipython"]
    chosen = selected(project, ["fast_path"], ["Dev"])
    assert [(scope, str(r)) for scope, r in chosen] == [
        ("", "base>=1"), ("", 'winonly; sys_platform == "win32"'),
        ("extra:fast-path", "speed[all]"),
        ("group:dev", "pytest>=8"), ("group:dev", "ruff"), ("group:dev", "ipython"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[project\n", ["is not valid TOML"]),
        ('[project]\ndynamic = ["dependencies"]\n', ["'dependencies' as dynamic"]),
        ('[project]\ndependencies = ["not a requirement!"]\n',
         ["project.dependencies[0]", "not a PEP 508 requirement"]),
        ('[project]\ndependencies = "base"\n', ["project.dependencies must be an array"]),
        ("[dependency-groups]\na = [{include-group = 'b'}]\nb = [{include-group = 'a'}]\n",
         ["cycle (a -> b -> a)"]),
        ("[dependency-groups]\na = [{include-group = 'zz'}]\n",
         ["dependency-groups.a[0] includes the group 'zz', which is not defined"]),
        ("[dependency-groups]\na = [{other = 'x'}]\n", ["dependency-groups.a[0] is neither"]),
        ("[dependency-groups]\nA_b = []\na-B = []\n", ["'A_b' and 'a-B' are one group"]),
        ("[dependency-groups]\nb = []\n", ["has no dependency group 'a'", "has: b"]),
    ],
)  # fmt: skip
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, words: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RequirementsError) as info:
        read_pyproject(path).group("a")
    assert str(path) in info.value.message and info.value.hint
    for word in words:
        assert word in info.value.message


def test_an_unused_broken_group_is_no_ones_problem(tmp_path: Path) -> None:
    project = read_pyproject(write(tmp_path, """
[project]
dependencies = ["base"]
[dependency-groups]
broken = [{include-group = "broken"}]
ok = ["x"]
"""))  # fmt: skip
    assert names(project.group("ok")) == ["x"]
    with pytest.raises(RequirementsError, match="has no extra 'nope'"):
        project.extra("nope")
