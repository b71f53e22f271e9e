"""pylock.toml (PEP 751): read with every check, written the same way every time, and narrowed
to one artifact per package for a target environment."""

from __future__ import annotations

import copy
import datetime
import random
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import PackageDirectory, PackageSdist, PackageVcs, PackageWheel
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.version import Version

from cove.errors import LockError
from cove.lock.pylock import (
    dumps,
    from_toml,
    loads,
    normalized,
    read_lock,
    select_artifacts,
)
from cove.lock.toml import dumps as toml_dumps

SHA = "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"
SHA2 = "3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe"
UTC = datetime.UTC
LINUX = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.1",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "3.12.1",
    "python_version": "3.12",
    "sys_platform": "linux",
}
PLATFORMS = ["manylinux_2_36_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "linux_x86_64"]  # fmt: skip
TAGS: list[Tag] = [
    *cpython_tags((3, 12), ["cp312"], PLATFORMS),
    *compatible_tags((3, 12), "cp312", PLATFORMS),
]


def wheel(filename: str, sha: str = SHA, **extra: Any) -> dict[str, Any]:
    return {"name": filename, "url": f"http://127.0.0.1/files/{filename}",
            "hashes": {"sha256": sha}, **extra}  # fmt: skip


def lock_data(*packages: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"lock-version": "1.0", "created-by": "tests", **top, "packages": list(packages)}


def full_lock() -> dict[str, Any]:
    """Every kind of entry PEP 751 has, in no particular order."""
    return lock_data(
        {
            "name": "numpy",
            "version": "2.2.3",
            "requires-python": ">=3.10",
            "index": "http://127.0.0.1/simple/",
            "wheels": [
                wheel("numpy-2.2.3-cp312-cp312-win_amd64.whl", SHA2, size=12626357,
                      **{"upload-time": datetime.datetime(2025, 2, 13, 16, 51, tzinfo=UTC)}),
                wheel("numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                      size=16116679),
            ],
            "sdist": {"name": "numpy-2.2.3.tar.gz", "url": "http://127.0.0.1/numpy-2.2.3.tar.gz",
                      "hashes": {"sha512": "0" * 128, "sha256": SHA}},
            "dependencies": [{"version": "1.0", "name": "zz"}, {"name": "attrs"}],
            "tool": {"z": 1, "a": {"y": [1, 2], "b": "two"}},
        },
        {"name": "attrs", "version": "25.1.0",
         "wheels": [wheel("attrs-25.1.0-py3-none-any.whl")],
         "attestation-identities": [{"kind": "GitHub", "repository": "python-attrs/attrs"}]},
        {"name": "local-pkg", "directory": {"path": "src/local", "editable": True}},
        {"name": "from-git", "vcs": {"type": "git", "url": "https://example.invalid/r.git",
                                     "requested-revision": "main", "commit-id": "a" * 40,
                                     "subdirectory": "pkg"}},
        {"name": "an-archive", "archive": {"url": "http://127.0.0.1/an_archive-1.0.tar.gz",
                                           "size": 10, "hashes": {"sha256": SHA}}},
        {"name": "feature", "version": "1.0", "marker": '"x" in extras',
         "wheels": [wheel("feature-1.0-py3-none-any.whl")]},
        {"name": "dev-tool", "version": "1.0", "marker": '"dev" in dependency_groups',
         "wheels": [wheel("dev_tool-1.0-py3-none-any.whl")]},
        environments=['sys_platform == "linux"', 'sys_platform == "darwin"'],
        **{"requires-python": ">=3.10", "extras": ["x"], "dependency-groups": ["dev"],
           "default-groups": ["default"]},
        tool={"cove": {"command": ["lock", "-o", "pylock.toml"],
                       "when": datetime.date(2025, 1, 1)}},
    )  # fmt: skip


def clean(data: Any) -> Any:
    """Drop the None values the helpers above leave (a lock never holds them)."""
    if isinstance(data, dict):
        return {k: clean(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [clean(v) for v in data]
    return data


def read(data: dict[str, Any], name: str = "pylock.toml") -> Any:
    return loads(toml_dumps(clean(data)), name)


def error_of(data: dict[str, Any]) -> LockError:
    with pytest.raises(LockError) as info:
        read(data)
    assert info.value.hint, info.value.message
    assert "pylock.toml" in info.value.message
    return info.value


# -- round trips and determinism --------------------------------------------------------------


def test_roundtrip_keeps_every_field() -> None:
    lock = read(full_lock()).lock
    text = dumps(lock)
    again = loads(text, "pylock.toml").lock
    assert again == normalized(lock)
    assert dumps(again) == text
    # tomllib sees exactly what was read (nothing dropped, nothing added).
    assert normalized(lock).to_dict() == again.to_dict()


def test_the_same_lock_in_another_order_gives_the_same_bytes() -> None:
    base = clean(full_lock())
    text = dumps(from_toml(base, "a").lock)
    rng = random.Random(13)
    for _ in range(10):
        shuffled = copy.deepcopy(base)
        rng.shuffle(shuffled["packages"])
        for package in shuffled["packages"]:
            for key in ("wheels", "dependencies"):
                if key in package:
                    rng.shuffle(package[key])
            if "sdist" in package:
                package["sdist"]["hashes"] = dict(reversed(package["sdist"]["hashes"].items()))
            if "tool" in package:
                package["tool"] = dict(reversed(package["tool"].items()))
        shuffled["environments"].reverse()
        assert dumps(from_toml(shuffled, "b").lock) == text


def test_written_order_follows_pep_751() -> None:
    text = dumps(read(full_lock()).lock)
    top = [line.split(" = ")[0] for line in text.splitlines()[:8]]
    assert top == ["lock-version", "environments", "requires-python", "extras",
                   "dependency-groups", "default-groups", "created-by", ""]  # fmt: skip
    names = [line for line in text.splitlines() if line.startswith("name = ")]
    assert names == sorted(names)
    numpy = text[text.index('name = "numpy"') :]
    order = ["version", "requires-python", "dependencies", "index", "sdist", "wheels"]
    positions = [numpy.index(f"\n{key} = ") for key in order]
    assert positions == sorted(positions)
    assert numpy.index("manylinux_2_17") < numpy.index("win_amd64")  # wheels by file name
    assert (
        'dependencies = [\n    { name = "attrs" },\n    { name = "zz", version = "1.0" },\n]'
        in text
    )
    assert "hashes = { sha256 = " in text and text.index("sha256 = ") < text.index("sha512 = ")


def test_versions_sort_as_versions_then_markers() -> None:
    packages = [
        {"name": "a", "version": v, "marker": m, "wheels": [wheel(f"a-{v}-py3-none-any.whl")]}
        for v, m in [("1.10", 'sys_platform == "win32"'), ("1.9", 'sys_platform == "linux"'),
                     ("1.10", 'sys_platform == "darwin"')]
    ]  # fmt: skip
    lock = read(lock_data(*packages)).lock
    order = [(str(p.version), str(p.marker)) for p in normalized(lock).packages]
    assert order == [("1.9", 'sys_platform == "linux"'), ("1.10", 'sys_platform == "darwin"'),
                     ("1.10", 'sys_platform == "win32"')]  # fmt: skip


def test_pep_751_example_reads(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(
        "lock-version = '1.0'\n"
        "environments = [\"sys_platform == 'win32'\", \"sys_platform == 'linux'\"]\n"
        "requires-python = '==3.12'\ncreated-by = 'mousebender'\n\n[[packages]]\n"
        "name = 'attrs'\nversion = '25.1.0'\nrequires-python = '>=3.8'\nwheels = [\n"
        "  {name = 'attrs-25.1.0-py3-none-any.whl', upload-time = 2025-01-25T11:30:10.164985+00:00,"
        f" url = 'https://example.invalid/attrs-25.1.0-py3-none-any.whl', size = 63152, hashes = "
        f"{{sha256 = '{SHA}'}}}},\n]\n"
        "[[packages.attestation-identities]]\nenvironment = 'release-pypi'\nkind = 'GitHub'\n\n"
        "[tool.mousebender]\ncommand = ['.', 'lock']\nrun-on = 2025-03-06T12:28:57.760769\n",
        encoding="utf-8",
    )
    read_result = read_lock(path)
    assert read_result.warnings == ()
    lock = read_result.lock
    assert lock.created_by == "mousebender" and lock.packages[0].version == Version("25.1.0")
    assert lock.packages[0].wheels is not None
    assert lock.packages[0].wheels[0].size == 63152


# -- bad input -------------------------------------------------------------------------------


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text("lock-version = '1.0\n", encoding="utf-8")
    with pytest.raises(LockError, match=r"pylock\.toml is not valid TOML") as info:
        read_lock(path)
    assert info.value.hint
    path.write_bytes(b"lock-version = '\xff'\n")
    with pytest.raises(LockError, match="not UTF-8"):
        read_lock(path)
    with pytest.raises(LockError, match="cannot read the lock file"):
        read_lock(tmp_path / "missing.toml")


@pytest.mark.parametrize("version", ["2.0", "0.9", "2.0a1", "10"])
def test_unknown_major_version(version: str) -> None:
    exc = error_of(lock_data(**{"lock-version": version}))
    assert f"lock-version {version!r}" in exc.message and "1.x" in exc.message


def test_newer_minor_version_is_read_with_a_warning() -> None:
    data = lock_data({"name": "a", "version": "1", "wheels": [wheel("a-1-py3-none-any.whl")],
                      "new-key": 1}, **{"lock-version": "1.3", "future": True})  # fmt: skip
    result = read(data)
    assert result.lock.lock_version == Version("1.3")
    assert any("lock-version 1.3" in w for w in result.warnings)
    assert any("future" in w and "packages.new-key" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.pop("created-by"), ["field 'created-by'", "missing"]),
        (lambda d: d.pop("lock-version"), ["field 'lock-version'", "missing"]),
        (lambda d: d.pop("packages"), ["field 'packages'", "missing"]),
        (lambda d: d["packages"][0].pop("name"), ["packages[0]", "field 'name'", "missing"]),
        (lambda d: d.__setitem__("created-by", 3), ["field 'created-by'", "int"]),
        (lambda d: d["packages"][0].__setitem__("version", 1), ["'good'", "field 'version'"]),
        (lambda d: d["packages"][0]["wheels"][0].__setitem__("size", "12"),
         ["'good'", "field 'wheels[0].size'", "str"]),
        (lambda d: d["packages"][0]["wheels"][0].__setitem__("size", True),
         ["'good'", "field 'wheels[0].size'", "bool"]),
        (lambda d: d["packages"][0].__setitem__("wheels", "good-1-py3-none-any.whl"),
         ["'good'", "field 'wheels'"]),
        (lambda d: d["packages"][0].__setitem__("marker", "python_version >>> '3'"),
         ["'good'", "field 'marker'"]),
        (lambda d: d["packages"][0].__setitem__("requires-python", "3.x"),
         ["'good'", "field 'requires-python'"]),
        (lambda d: d["packages"][0].__setitem__("name", "Good_Name"), ["not normalized"]),
        (lambda d: d["packages"][0]["wheels"][0].__setitem__("name", "other-1-py3-none-any.whl"),
         ["'good'", "field 'wheels[0]'", "not consistent"]),
        (lambda d: d["packages"][0].__setitem__("vcs", {"type": "git", "url": "x",
                                                        "commit-id": "a"}),
         ["'good'", "vcs"]),
        (lambda d: d["packages"][0].pop("wheels"), ["'good'", "Exactly one of"]),
    ],
)  # fmt: skip
def test_missing_keys_and_wrong_types(change: Any, words: list[str]) -> None:
    data = lock_data({"name": "good", "version": "1", "wheels": [wheel("good-1-py3-none-any.whl")]})
    change(data)
    exc = error_of(data)
    for word in words:
        assert word in exc.message, (word, exc.message)
    if data.get("created-by") == "tests":  # the hint names the tool that wrote the lock
        assert "with tests" in (exc.hint or "")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"wheels": [{"name": "p-1-py3-none-any.whl", "url": "http://h/p.whl"}]},
         "wheels[0].hashes"),
        ({"wheels": [wheel("p-1-py3-none-any.whl") | {"hashes": {}}]}, "wheels[0].hashes"),
        ({"sdist": {"name": "p-1.tar.gz", "url": "http://h/p-1.tar.gz"}}, "sdist.hashes"),
        ({"archive": {"url": "http://h/p-1.tar.gz"}}, "archive.hashes"),
        ({"wheels": [wheel("p-1-py3-none-any.whl") | {"hashes": {"blake3": "ab"}}]},
         "wheels[0].hashes"),
        ({"wheels": [wheel("p-1-py3-none-any.whl") | {"hashes": {"sha256": "abc"}}]},
         "wheels[0].hashes"),
        ({"wheels": [wheel("p-1-py3-none-any.whl") | {"hashes": {"sha256": "z" * 64}}]},
         "wheels[0].hashes"),
        ({"sdist": {"name": "p-1.tar.gz", "url": "http://h/p-1.tar.gz",
                    "hashes": {"shake_128": "ab"}}}, "sdist.hashes"),
    ],
)  # fmt: skip
def test_a_file_without_a_hash_cove_can_verify(entry: dict[str, Any], field: str) -> None:
    exc = error_of(lock_data({"name": "p", "version": "1", **entry}))
    assert "'p'" in exc.message and field in exc.message


def test_hashes_cove_verifies_are_accepted() -> None:
    hashes = {"sha256": SHA.upper(), "sha512": "ab" * 64, "blake3": "whatever"}
    lock = read(
        lock_data(
            {
                "name": "p",
                "version": "1",
                "wheels": [wheel("p-1-py3-none-any.whl") | {"hashes": hashes}],
            }
        )
    ).lock
    assert lock.packages[0].wheels[0].hashes == hashes  # fmt: skip


@pytest.mark.parametrize(
    "path", ["/etc", "\\\\server\\share", "C:\\src", "c:/src", "..", "../sibling", "a/../..",
             "a\\..\\..\\b", "./../x", "file:///etc", "file:src"],
)  # fmt: skip
def test_a_directory_outside_the_project(path: str) -> None:
    exc = error_of(lock_data({"name": "local", "directory": {"path": path}}))
    assert (
        "'local'" in exc.message and "directory.path" in exc.message and repr(path) in exc.message
    )


@pytest.mark.parametrize("path", [".", "src", "./src/pkg", "a/../b", "a\\b", "deep/er/../../x"])
def test_a_directory_inside_the_project(path: str) -> None:
    lock = read(lock_data({"name": "local", "directory": {"path": path}})).lock
    assert lock.packages[0].directory == PackageDirectory(path=path)


@pytest.mark.parametrize("kind", ["directory", "vcs", "archive"])
def test_a_subdirectory_outside_the_source_tree(kind: str) -> None:
    entry = {
        "directory": {"path": "src", "subdirectory": "../x"},
        "vcs": {"type": "git", "url": "https://h/r.git", "commit-id": "a" * 40,
                "subdirectory": "/abs"},
        "archive": {"url": "http://h/x.tar.gz", "hashes": {"sha256": SHA},
                    "subdirectory": "a/../../b"},
    }[kind]  # fmt: skip
    exc = error_of(lock_data({"name": "p", kind: entry}))
    assert f"{kind}.subdirectory" in exc.message and "'p'" in exc.message


def entry(version: str, marker: str | None) -> dict[str, Any]:
    data = {"name": "dup", "version": version, "wheels": [wheel(f"dup-{version}-py3-none-any.whl")]}
    return data | ({"marker": marker} if marker else {})


@pytest.mark.parametrize(
    ("first", "second"),
    [(None, None), (None, 'sys_platform == "linux"'), ('sys_platform == "linux"', None),
     ('sys_platform == "linux"', "sys_platform == 'linux'")],
)  # fmt: skip
def test_two_entries_no_marker_can_tell_apart(first: str | None, second: str | None) -> None:
    exc = error_of(lock_data(entry("1", first), entry("2", second)))
    assert "'dup' is listed 2 times" in exc.message


def test_two_entries_with_different_markers_are_read() -> None:
    data = lock_data(entry("1", 'sys_platform == "linux"'), entry("2", 'sys_platform == "win32"'))
    assert len(read(data).lock.packages) == 2


def test_writing_checks_the_lock_too() -> None:
    good = read(lock_data(entry("1", 'sys_platform == "linux"'))).lock
    bad = normalized(good)
    import dataclasses

    twice = dataclasses.replace(bad, packages=[*bad.packages, bad.packages[0]])
    with pytest.raises(LockError, match="the lock being written: package 'dup' is listed 2"):
        dumps(twice)


# -- choosing for a target -------------------------------------------------------------------


def choose(data: dict[str, Any], markers: dict[str, str] = LINUX, **kw: Any) -> dict[str, Any]:
    lock = read(data).lock
    return {c.package.name: c.artifact for c in select_artifacts(
        lock, "pylock.toml", markers=markers, tags=TAGS, **kw)}  # fmt: skip


def choice_error(data: dict[str, Any], markers: dict[str, str] = LINUX, **kw: Any) -> LockError:
    with pytest.raises(LockError) as info:
        choose(data, markers, **kw)
    assert info.value.hint and "pylock.toml" in info.value.message
    return info.value


def test_the_best_wheel_by_tag_priority() -> None:
    data = lock_data({"name": "p", "version": "1", "wheels": [
        wheel("p-1-py3-none-any.whl"),
        wheel("p-1-cp312-cp312-linux_x86_64.whl"),
        wheel("p-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        wheel("p-1-cp312-abi3-manylinux_2_36_x86_64.whl"),
        wheel("p-1-cp312-cp312-win_amd64.whl"),
        wheel("p-1-cp313-cp313-manylinux_2_36_x86_64.whl"),
    ]})  # fmt: skip
    chosen = choose(data)["p"]
    assert isinstance(chosen, PackageWheel)
    assert chosen.filename == "p-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    data["packages"][0]["wheels"] = [wheel("p-1-py3-none-any.whl"),
                                     wheel("p-1-1-py3-none-any.whl"),
                                     wheel("p-1-2-py3-none-any.whl")]  # fmt: skip
    assert choose(data)["p"].filename == "p-1-2-py3-none-any.whl"  # the highest build


def test_the_sdist_when_no_wheel_fits_and_the_direct_references() -> None:
    data = full_lock()
    data["packages"][0]["wheels"] = [wheel("numpy-2.2.3-cp312-cp312-win_amd64.whl")]
    chosen = choose(data)
    assert isinstance(chosen["numpy"], PackageSdist)
    assert isinstance(chosen["from-git"], PackageVcs)
    assert isinstance(chosen["local-pkg"], PackageDirectory)
    assert chosen["an-archive"].hashes == {"sha256": SHA}
    assert list(chosen) == sorted(chosen)
    assert "feature" not in chosen and "dev-tool" not in chosen


def test_no_wheel_for_the_platform_names_the_package() -> None:
    data = lock_data(
        {"name": "native", "version": "1", "wheels": [wheel("native-1-cp312-cp312-win_amd64.whl")]},
        {"name": "other", "version": "1", "requires-python": ">=3.13",
         "wheels": [wheel("other-1-py3-none-any.whl")]},
        {"name": "fine", "version": "1", "wheels": [wheel("fine-1-py3-none-any.whl")]},
    )  # fmt: skip
    exc = choice_error(data)
    assert "native 1: no wheel for this platform (cp312, manylinux_2_36_x86_64)" in exc.message
    assert "native-1-cp312-cp312-win_amd64.whl" in exc.message
    assert "other 1: requires Python >=3.13, not 3.12.1" in exc.message
    assert "fine" not in exc.message


def test_requires_python_of_the_lock() -> None:
    exc = choice_error(lock_data(**{"requires-python": ">=3.13"}))
    assert "requires Python >=3.13; this environment has 3.12.1" in exc.message
    candidate = {**LINUX, "python_full_version": "3.13.0rc1", "python_version": "3.13"}
    assert choose(lock_data(**{"requires-python": ">=3.13"}), candidate) == {}  # as pip judges


def test_environments_of_the_lock() -> None:
    data = lock_data(environments=['sys_platform == "win32"', 'sys_platform == "darwin"'])
    exc = choice_error(data)
    assert "locked for other environments" in exc.message and "linux" in exc.message
    assert choose(data, {**LINUX, "sys_platform": "darwin"}) == {}


def test_markers_choose_between_entries_and_must_narrow_to_one() -> None:
    data = lock_data(entry("1", 'sys_platform == "linux"'), entry("2", 'sys_platform == "win32"'))
    assert choose(data)["dup"].filename == "dup-1-py3-none-any.whl"
    assert choose(data, {**LINUX, "sys_platform": "win32"})["dup"].filename == (
        "dup-2-py3-none-any.whl"
    )
    both = lock_data(entry("1", 'sys_platform == "linux"'), entry("2", 'os_name == "posix"'))
    exc = choice_error(both)
    assert "dup 2: packages[0] and packages[1] both apply" in exc.message


def test_extras_and_dependency_groups() -> None:
    data = full_lock()
    assert "feature" not in choose(data) and "dev-tool" not in choose(data)
    assert "feature" in choose(data, extras=["X"])
    assert "dev-tool" in choose(data, groups=["dev"])
    assert "dev-tool" not in choose(data, groups=[])
    data["packages"][-1]["marker"] = '"default" in dependency_groups'
    assert "dev-tool" in choose(data)  # the default groups when none are named
    assert "dev-tool" not in choose(data, groups=["dev"])
    exc = choice_error(data, extras=["nope"])
    assert "no extra nope" in exc.message and "x" in exc.message
    exc = choice_error(data, groups=["docs"])
    assert "no dependency group docs" in exc.message


def test_choosing_for_a_real_interpreter(tmp_path: Path) -> None:
    from cove.python.probe import probe
    from cove.python.tags import supported_tags
    from tests.conftest import pyenv_python

    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs pyenv's Python 3.12")
    interpreter = probe(python, tmp_path / "cache")
    data = lock_data({"name": "p", "version": "1", "wheels": [
        wheel("p-1-py3-none-any.whl"),
        wheel("p-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        wheel("p-1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
        wheel("p-1-cp312-cp312-win_amd64.whl"),
    ]})  # fmt: skip
    lock = read(data).lock
    [choice] = select_artifacts(lock, "pylock.toml", markers=interpreter.markers,
                                tags=supported_tags(interpreter))  # fmt: skip
    machine = interpreter.markers["platform_machine"]
    expected = {"x86_64": "x86_64", "aarch64": "aarch64"}.get(machine)
    assert isinstance(choice.artifact, PackageWheel)
    if expected is None:
        assert choice.artifact.filename == "p-1-py3-none-any.whl"
    else:
        assert expected in choice.artifact.filename
