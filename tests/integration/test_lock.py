"""`cove lock` and `cove export` against the tests' index server: what a pylock.toml records
(every fitting wheel, the sdist, sizes, hashes, upload times, markers, direct references), the
same bytes for the same inputs, the existing pins kept, other targets, pyproject.toml."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, build_sdist, file_sha256, source_project
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = [pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12"),
              pytest.mark.timeout(300)]  # fmt: skip


def make_env(where: Path, name: str = "env") -> Path:
    env = where / name
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)
    return env


def small_index(index: Index) -> Index:
    """app needs lib and util; lib caps util below 3; util 2.0 has two wheels and an sdist, one
    more wheel for another platform; fast is only an extra's."""
    index.add("App", "1.0", requires=["lib>=1", "util"], extras={"fast": ["speed"]})
    index.add("lib", "1.2", requires=["util<3"])
    index.add("util", "2.0")
    index.add("util", "2.0", tag="py2.py3-none-any")
    index.add("util", "2.0", tag="cp312-cp312-win_amd64")
    index.add_file(build_sdist(index.root / "made", "util", "2.0"))
    index.add("util", "3.0")
    index.add("speed", "1.0")
    return index


def read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def packages(path: Path) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in read_toml(path)["packages"]}


def lock(env: Path, server: IndexServer, *args: str, cwd: Path) -> str:
    proc = run_cove("lock", "-p", str(env), "-i", server.url, *args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_lock_records_every_fitting_file(tmp_path: Path, index: Index) -> None:
    small_index(index)
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        said = lock(env, server, "app", cwd=tmp_path)
    assert "Resolved 3 packages" in said and "Wrote pylock.toml (3 packages)" in said
    data = read_toml(tmp_path / "pylock.toml")
    assert data["lock-version"] == "1.0" and data["created-by"] == "cove"
    assert "environments" not in data  # locked for the environment's own interpreter
    found = packages(tmp_path / "pylock.toml")
    assert sorted(found) == ["app", "lib", "util"]  # no extra asked for: no speed
    util = found["util"]
    assert util["version"] == "2.0" and util["index"] == server.url
    files = index.files["util"]
    wheels = {w["name"]: w for w in util["wheels"]}
    # Every wheel of 2.0 this target takes, not the Windows one; the sdist beside them.
    assert sorted(wheels) == ["util-2.0-py2.py3-none-any.whl", "util-2.0-py3-none-any.whl"]
    for f in files:
        entry = wheels.get(f.path.name) or (util["sdist"] if f.path.name == util["sdist"]["name"]
                                            else None)  # fmt: skip
        if entry is None:
            assert "win_amd64" in f.path.name or "3.0" in f.path.name
            continue
        assert entry["url"] == f"{server.url.removesuffix('simple/')}files/{f.path.name}"
        assert entry["hashes"] == {"sha256": file_sha256(f.path)}
        assert entry["size"] == f.path.stat().st_size
        assert entry["upload-time"].isoformat() == "2025-01-02T03:04:05.678901+00:00"
    assert util["sdist"]["name"] == "util-2.0.tar.gz"


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path, index: Index) -> None:
    small_index(index)
    env = make_env(tmp_path)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    with IndexServer(index) as server:
        lock(env, server, "app[fast]", "lib", cwd=one)
        # Another order of the same requirements, a cold cache, and no pins to keep.
        lock(env, server, "lib", "app[fast]", "--no-cache", cwd=two)
        again = lock(env, server, "lib", "app[fast]", cwd=two)
    assert (one / "pylock.toml").read_bytes() == (two / "pylock.toml").read_bytes()
    assert "Unchanged: pylock.toml" in again
    assert sorted(packages(one / "pylock.toml")) == ["app", "lib", "speed", "util"]


def test_the_lock_file_gets_the_umask_mode(tmp_path: Path, index: Index) -> None:
    small_index(index)
    env = make_env(tmp_path)
    old = os.umask(0o027)
    try:
        with IndexServer(index) as server:
            lock(env, server, "lib", "-o", "pylock.dev.toml", cwd=tmp_path)
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "pylock.dev.toml").stat().st_mode)
    assert mode == 0o640  # not the cache's 0600


def test_existing_pins_are_kept_unless_upgraded(tmp_path: Path, index: Index) -> None:
    index.add("App", "1.0", requires=["lib", "util"])
    index.add("lib", "1.0")
    index.add("util", "1.0")
    env = make_env(tmp_path)
    target = tmp_path / "pylock.toml"

    def versions() -> dict[str, str]:
        return {name: p["version"] for name, p in packages(target).items()}

    with IndexServer(index) as server:
        lock(env, server, "app", cwd=tmp_path)
        index.add("lib", "2.0")
        index.add("util", "2.0")
        index.add("new", "1.0")
        lock(env, server, "app", "new", cwd=tmp_path)  # a small change keeps the rest
        assert versions() == {"app": "1.0", "lib": "1.0", "util": "1.0", "new": "1.0"}
        lock(env, server, "app", "new", "--upgrade-package", "util", cwd=tmp_path)
        assert versions() == {"app": "1.0", "lib": "1.0", "util": "2.0", "new": "1.0"}
        lock(env, server, "app", "new", "--upgrade", cwd=tmp_path)
        assert versions() == {"app": "1.0", "lib": "2.0", "util": "2.0", "new": "1.0"}
        # A pin the requirements no longer allow moves; the others stay.
        index.add("lib", "3.0")
        lock(env, server, "app", "lib<2", "new", cwd=tmp_path)
        assert versions()["lib"] == "1.0" and versions()["util"] == "2.0"


def test_pyproject_dependencies_extras_and_groups(tmp_path: Path, index: Index) -> None:
    index.add("base", "1.0")
    index.add("speed", "1.0", requires=["base"])
    index.add("pytest", "8.0", requires=["pluggy"])
    index.add("pluggy", "1.5")
    index.add("ruff", "0.6")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "mine"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
        'dependencies = ["base"]\n'
        '[project.optional-dependencies]\nfast = ["speed"]\nunused = ["nothere"]\n'
        '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n'
        'dev = [{include-group = "test"}, {include-group = "lint"}]\n'
    )
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        lock(env, server, "--from", "pyproject.toml", "--extra", "fast", "--group", "dev",
             "--group", "test", cwd=project)  # fmt: skip
        data = read_toml(project / "pylock.toml")
        assert data["requires-python"] == ">=3.10"
        assert data["extras"] == ["fast"] and data["dependency-groups"] == ["dev", "test"]
        assert data["default-groups"] == ["dev", "test"]
        found = packages(project / "pylock.toml")
        assert "marker" not in found["base"]  # the project needs it, and so does speed
        assert found["speed"]["marker"] == '"fast" in extras'
        assert found["ruff"]["marker"] == '"dev" in dependency_groups'
        for name in ("pytest", "pluggy"):
            assert (
                found[name]["marker"] == '"dev" in dependency_groups or "test" in dependency_groups'
            )
        # Installing it: the extra only when asked for; the locked groups by default.
        env2 = make_env(tmp_path, "env2")
        site = env2 / "lib/python3.12/site-packages"
        run_cove("sync", "-p", str(env2), str(project / "pylock.toml"), check=True)
        assert sorted(p.name for p in site.glob("*.dist-info")) == [
            "base-1.0.dist-info", "pluggy-1.5.dist-info", "pytest-8.0.dist-info",
            "ruff-0.6.dist-info",
        ]  # fmt: skip
        run_cove("sync", "-p", str(env2), "--extra", "fast", "--group", "test",
                 str(project / "pylock.toml"), check=True)  # fmt: skip
        assert sorted(p.name for p in site.glob("*.dist-info")) == [
            "base-1.0.dist-info", "pluggy-1.5.dist-info", "pytest-8.0.dist-info",
            "speed-1.0.dist-info",
        ]  # fmt: skip


def test_pyproject_mistakes_are_named(tmp_path: Path, index: Index) -> None:
    env = make_env(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mine"\nversion = "0.1"\ndependencies = ["base"]\n'
        '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n'
    )
    with IndexServer(index) as server:
        url = server.url
        proc = run_cove("lock", "-p", str(env), "-i", url, "--from", "pyproject.toml",
                        "--group", "a", cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 1 and "cycle (a -> b -> a)" in proc.stderr, proc.stderr
        proc = run_cove("lock", "-p", str(env), "-i", url, "--from", "pyproject.toml",
                        "--extra", "nope", cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 1 and "has no extra 'nope'" in proc.stderr, proc.stderr
        proc = run_cove("lock", "-p", str(env), "-i", url, "--extra", "x", "app", cwd=tmp_path)
        assert proc.returncode == 2 and "--from" in proc.stderr
    assert not (tmp_path / "pylock.toml").exists()


def test_lock_for_another_python_and_platform(tmp_path: Path, index: Index) -> None:
    for tag in ("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
                "cp312-cp312-manylinux_2_17_x86_64", "cp311-cp311-win_amd64",
                "cp311-cp311-macosx_11_0_arm64"):  # fmt: skip
        index.add("native", "1.0", tag=tag, purelib=False)
    index.add("native", "2.0", requires_python=">=3.12")
    index.add("winonly", "1.0")
    index.add("App", "1.0", requires=["native", 'winonly; sys_platform == "win32"'])
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        lock(env, server, "app", "--python-version", "3.11", "--platform",
             "manylinux_2_28_x86_64", cwd=tmp_path)  # fmt: skip
        lock(env, server, "app", "--python-version", "3.11.4", "--platform", "win_amd64",
             "-o", "pylock.win.toml", cwd=tmp_path)  # fmt: skip
    data = read_toml(tmp_path / "pylock.toml")
    assert data["environments"] == [
        'python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"'
    ]
    found = packages(tmp_path / "pylock.toml")
    assert sorted(found) == ["app", "native"]  # winonly's marker is false on linux
    assert [w["name"] for w in found["native"]["wheels"]] == [
        "native-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    ]  # 2.0 needs Python 3.12; the 3.12, Windows and macOS wheels do not fit
    win = packages(tmp_path / "pylock.win.toml")
    assert sorted(win) == ["app", "native", "winonly"]
    assert [w["name"] for w in win["native"]["wheels"]] == ["native-1.0-cp311-cp311-win_amd64.whl"]
    # That lock does not fit this environment: refused before anything changes, saying why.
    proc = run_cove("sync", "-p", str(env), str(tmp_path / "pylock.toml"))
    assert proc.returncode == 1
    assert "was locked for other environments" in proc.stderr and 'python_version == "3.11"' in (
        proc.stderr
    )


def test_files_without_an_index_hash_are_hashed(tmp_path: Path, index: Index) -> None:
    """A find-links directory lists no hashes: cove hashes each file it locks, and records a
    file inside the lock's directory by its relative path."""
    wheels = tmp_path / "project" / "wheels"
    from tests.support.dists import build_wheel

    made = [
        build_wheel(wheels, WheelSpec("lib", "1.0")),
        build_wheel(wheels, WheelSpec("app", "1.0", requires=["lib"])),
    ]
    env = make_env(tmp_path)
    proc = run_cove("lock", "-p", str(env), "--no-index", "-f", str(wheels), "app",
                    cwd=tmp_path / "project")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = packages(tmp_path / "project" / "pylock.toml")
    for wheel in made:
        name = wheel.name.split("-")[0]
        entry = found[name]["wheels"][0]
        assert entry == {"name": wheel.name, "path": f"wheels/{wheel.name}",
                         "size": wheel.stat().st_size,
                         "hashes": {"sha256": file_sha256(wheel)}}  # fmt: skip
        assert "index" not in found[name]


def test_direct_references_are_locked(tmp_path: Path, index: Index) -> None:
    project = tmp_path / "project"
    source_project(project / "libs" / "mine", "mine", "0.3")
    sdist = build_sdist(project / "dist", "packed", "1.5")
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        lock(env, server, f"mine @ {(project / 'libs' / 'mine').as_uri()}",
             f"packed @ {sdist.as_uri()}", cwd=project)  # fmt: skip
        outside = tmp_path / "elsewhere"
        source_project(outside, "other", "1.0")
        proc = run_cove("lock", "-p", str(env), "-i", server.url, f"other @ {outside.as_uri()}",
                        cwd=project)  # fmt: skip
    found = packages(project / "pylock.toml")
    assert found["mine"] == {"name": "mine", "directory": {"path": "libs/mine"}}  # no version
    assert found["packed"]["version"] == "1.5"
    assert found["packed"]["archive"] == {"path": "dist/packed-1.5.tar.gz",
                                          "size": sdist.stat().st_size,
                                          "hashes": {"sha256": file_sha256(sdist)}}  # fmt: skip
    assert proc.returncode == 1 and "is outside" in proc.stderr and "hint:" in proc.stderr
    # The lock installs: the tree built, the archive checked against its hash.
    env2 = make_env(tmp_path, "env2")
    run_cove("sync", "-p", str(env2), str(project / "pylock.toml"), check=True)
    site = env2 / "lib/python3.12/site-packages"
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "mine-0.3.dist-info", "packed-1.5.dist-info"
    ]  # fmt: skip


def test_export_writes_pip_compile_format(tmp_path: Path, index: Index) -> None:
    small_index(index)
    (tmp_path / "requirements.in").write_text("app[fast]\n")
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        proc = run_cove("export", "-p", str(env), "-i", server.url, "-r", "requirements.in",
                        cwd=tmp_path)  # fmt: skip
        again = run_cove("lock", "--format", "requirements", "-p", str(env), "-i", server.url,
                         "-r", "requirements.in", "-o", "requirements.txt",
                         cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0 and again.returncode == 0, proc.stderr + again.stderr
    text = proc.stdout
    assert "#    cove export -r requirements.in\n" in text
    assert f"--index-url {server.url}\n" in text
    util = [f for f in index.files["util"] if "2.0" in f.path.name and "win" not in f.path.name]
    assert len(util) == 3  # two wheels and the sdist: every file pip might take
    block = text[text.index("util==2.0") :]
    for f in util:
        assert f"--hash=sha256:{file_sha256(f.path)}" in block
    assert "    # via\n    #   app\n    #   lib\n" in block
    assert "app==1.0 \\\n" in text and "    # via -r requirements.in\n" in text
    assert "speed==1.0" in text  # what the extra needs is simply listed
    body = (tmp_path / "requirements.txt").read_text()
    assert body.split("\n", 6)[-1] == text.split("\n", 6)[-1]  # the same but for the command


def test_lock_refuses_usage_mistakes(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    proc = run_cove("lock", "-p", str(env), cwd=tmp_path)
    assert proc.returncode == 2 and "nothing to lock" in proc.stderr
    proc = run_cove("lock", "-p", str(env), "-o", "locked.toml", "app", cwd=tmp_path)
    assert proc.returncode == 2 and "pylock.NAME.toml" in proc.stderr and "hint:" in proc.stderr
    assert not list(tmp_path.glob("*.toml"))
