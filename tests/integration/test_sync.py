"""`cove sync FILE` and `cove install -r pylock.toml`: exactly what the file names, nothing
resolved, hash-checked, the rest removed in the same transaction; a file that is broken or does
not fit the environment is refused before anything changes, naming the file, package and field."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_lock import lock, packages, small_index
from tests.support.dists import WheelSpec, build_sdist, build_wheel, file_sha256
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = [pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12"),
              pytest.mark.timeout(300)]  # fmt: skip
SITE = "lib/python3.12/site-packages"


def make_env(where: Path, name: str = "env") -> Path:
    """An environment as cove create makes it: pip seeded."""
    env = where / name
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    return env


def installed(env: Path) -> list[str]:
    return sorted(p.name.removesuffix(".dist-info") for p in (env / SITE).glob("*.dist-info"))


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): p.read_bytes()
        for p in sorted(env.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def pip_freeze(env: Path) -> list[str]:
    environ = {"PATH": os.environ["PATH"], "PIP_CONFIG_FILE": os.devnull,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    done = subprocess.run([str(env / "bin/python"), "-m", "pip", "freeze", "--all"],
                          capture_output=True, text=True, env=environ, check=True)  # fmt: skip
    return done.stdout.splitlines()


@pytest.fixture
def locked(tmp_path: Path, index: Index) -> Iterator[tuple[Path, IndexServer]]:
    """app, lib and util locked into tmp_path/pylock.toml, the index still serving."""
    small_index(index)
    index.add("stray", "1.0")
    builder = make_env(tmp_path, "builder")
    with IndexServer(index) as server:
        lock(builder, server, "app", cwd=tmp_path)
        yield tmp_path / "pylock.toml", server


def test_sync_makes_the_environment_exactly_the_lock(
    tmp_path: Path, locked: tuple[Path, IndexServer]
) -> None:
    path, server = locked
    env = make_env(tmp_path)
    run_cove("install", "-q", "-p", str(env), "-i", server.url, "stray", "util==3.0", check=True)
    proc = run_cove("sync", "-p", str(env), str(path))
    assert proc.returncode == 0, proc.stderr
    assert " - stray==1.0" in proc.stderr and " - util==3.0" in proc.stderr
    assert " + util==2.0" in proc.stderr and " + app==1.0" in proc.stderr
    # pip stays (the file does not name it, and sync keeps the installer).
    assert installed(env) == ["app-1.0", "lib-1.2", "pip-23.2.1", "util-2.0"]
    assert "App==1.0" in pip_freeze(env)
    # --exact takes pip too; a second sync has nothing to do and asks no server anything.
    run_cove("sync", "-p", str(env), "--exact", str(path), check=True)
    assert installed(env) == ["app-1.0", "lib-1.2", "util-2.0"]
    before = len(server.requests)
    again = run_cove("sync", "-p", str(env), str(path))
    assert again.returncode == 0 and "Nothing to change" in again.stderr
    assert len(server.requests) == before


def test_install_from_a_lock_keeps_what_it_does_not_name(
    tmp_path: Path, locked: tuple[Path, IndexServer]
) -> None:
    path, server = locked
    env = make_env(tmp_path)
    run_cove("install", "-q", "-p", str(env), "-i", server.url, "stray", check=True)
    proc = run_cove("install", "-p", str(env), "-r", str(path))
    assert proc.returncode == 0, proc.stderr
    assert installed(env) == ["app-1.0", "lib-1.2", "pip-23.2.1", "stray-1.0", "util-2.0"]
    mixed = run_cove("install", "-p", str(env), "-r", str(path), "stray")
    assert mixed.returncode == 2 and "installed alone" in mixed.stderr


def test_removals_and_installs_are_one_transaction(
    tmp_path: Path, locked: tuple[Path, IndexServer]
) -> None:
    """Killed while linking, after the stray distribution was moved aside: the next command
    puts the environment back as it was, stray included."""
    path, server = locked
    env = make_env(tmp_path)
    run_cove("install", "-q", "-p", str(env), "-i", server.url, "stray", check=True)
    before = snapshot(env)
    killed = run_cove("sync", "-p", str(env), str(path),
                      env={**os.environ, "COVE_TEST_KILL_AT": "link"})  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    look = run_cove("freeze", "-p", str(env))
    assert f"undid an interrupted install or uninstall in {env}" in look.stderr
    assert snapshot(env) == before


def test_a_requirements_file_syncs_in_hash_checking_mode(
    tmp_path: Path, locked: tuple[Path, IndexServer]
) -> None:
    _, server = locked
    env = make_env(tmp_path)
    exported = run_cove("export", "-p", str(env), "-i", server.url, "app", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(exported.stdout)
    run_cove("install", "-q", "-p", str(env), "-i", server.url, "stray", check=True)
    proc = run_cove("sync", "-p", str(env), str(requirements))
    assert proc.returncode == 0, proc.stderr
    assert installed(env) == ["app-1.0", "lib-1.2", "pip-23.2.1", "util-2.0"]
    before = snapshot(env)
    (tmp_path / "loose.txt").write_text(
        f"--index-url {server.url}\nlib>=1\nutil==2.0\nstray==1.0 --hash=sha256:{'0' * 64}\n"
    )
    refused = run_cove("sync", "-p", str(env), str(tmp_path / "loose.txt"))
    assert refused.returncode == 1
    assert "loose.txt:2: lib>=1 is not pinned with ==" in refused.stderr
    assert "loose.txt:3: util==2.0 has no --hash" in refused.stderr
    assert snapshot(env) == before


def test_lock_paths_are_read_against_the_lock_file(tmp_path: Path) -> None:
    """A lock with relative paths, moved elsewhere with its files and run from another
    directory, still installs; a size that does not match is refused before anything changes."""
    project = tmp_path / "project"
    wheels = project / "wheels"
    build_wheel(wheels, WheelSpec("lib", "1.0"))
    build_wheel(wheels, WheelSpec("app", "1.0", requires=["lib"]))
    builder = make_env(tmp_path, "builder")
    run_cove("lock", "-p", str(builder), "--no-index", "-f", str(wheels), "app", cwd=project,
             check=True)  # fmt: skip
    moved = tmp_path / "moved"
    shutil.copytree(project, moved)
    shutil.rmtree(project)
    env = make_env(tmp_path)
    proc = run_cove("sync", "-p", str(env), str(moved / "pylock.toml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert installed(env) == ["app-1.0", "lib-1.0", "pip-23.2.1"]
    text = (moved / "pylock.toml").read_text()
    size = (moved / "wheels/app-1.0-py3-none-any.whl").stat().st_size
    (moved / "pylock.toml").write_text(text.replace(f"size = {size}", f"size = {size + 1}"))
    fresh = make_env(tmp_path, "fresh")
    before = snapshot(fresh)
    bad = run_cove("sync", "-p", str(fresh), str(moved / "pylock.toml"))
    assert bad.returncode == 1
    assert re.search(r"pylock\.toml: package 'app' \(packages\[0\]\), field 'wheels\[0\]': "
                     rf"app-1\.0-py3-none-any\.whl is {size} bytes, but its size says {size + 1}",
                     bad.stderr), bad.stderr  # fmt: skip
    assert snapshot(fresh) == before


def test_sdists_and_git_commits_in_a_lock_are_built(tmp_path: Path, index: Index) -> None:
    from tests.integration.test_sources import _git_repo

    repo = _git_repo(tmp_path / "repo")
    index.add_file(build_sdist(index.root / "made", "onlysource", "1.0"))
    builder = make_env(tmp_path, "builder")
    with IndexServer(index) as server:
        lock(builder, server, "onlysource",
             f"git-proj @ git+{repo.as_uri()}@v1.0#subdirectory=pkg", cwd=tmp_path)  # fmt: skip
        found = packages(tmp_path / "pylock.toml")
        assert "wheels" not in found["onlysource"] and found["onlysource"]["sdist"]
        vcs = found["git-proj"]["vcs"]
        assert vcs["requested-revision"] == "v1.0" and len(vcs["commit-id"]) == 40
        assert vcs["subdirectory"] == "pkg" and "version" not in found["git-proj"]
        env = make_env(tmp_path)
        run_cove("sync", "-p", str(env), str(tmp_path / "pylock.toml"), check=True)
        assert installed(env) == ["git_proj-1.0", "onlysource-1.0", "pip-23.2.1"]
        again = run_cove("sync", "-p", str(env), str(tmp_path / "pylock.toml"))
        assert "Nothing to change" in again.stderr  # the same commit, the same sdist version


# -- bad input ----------------------------------------------------------------------------------


LOCK_HEAD = 'lock-version = "1.0"\ncreated-by = "tests"\n'


def entry(name: str, version: str, url: str, sha: str, extra: str = "") -> str:
    filename = f"{name}-{version}-py3-none-any.whl"
    return (f'\n[[packages]]\nname = "{name}"\nversion = "{version}"\n{extra}wheels = [\n'
            f'    {{ name = "{filename}", url = "{url}{filename}", '
            f'hashes = {{ sha256 = "{sha}" }} }},\n]\n')  # fmt: skip


@pytest.mark.parametrize(
    "case",
    ["not-toml", "lock-version", "no-hash", "hash-mismatch", "outside", "twice", "python"],
)
def test_bad_locks_change_nothing(case: str, tmp_path: Path, index: Index) -> None:
    index.add("stray", "1.0")
    good = index.add("good", "1.0")
    lib = index.add("lib", "1.0")
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        run_cove("install", "-q", "-p", str(env), "-i", server.url, "stray", check=True)
        files = server.url.removesuffix("simple/") + "files/"
        ok = entry("good", "1.0", files, file_sha256(good))
        lib_entry = entry("lib", "1.0", files, file_sha256(lib))
        text, words = {
            "not-toml": ("lock-version = 1.0\n[[packages]\n", ["is not valid TOML"]),
            "lock-version": (LOCK_HEAD.replace('"1.0"', '"2.0"') + ok,
                             ["lock-version '2.0'", "version 1.x"]),
            "no-hash": (LOCK_HEAD + ok + lib_entry.replace(f'sha256 = "{file_sha256(lib)}"', ""),
                        ["package 'lib' (packages[1])", "'wheels[0].hashes'"]),
            "hash-mismatch": (LOCK_HEAD + ok + entry("lib", "1.0", files, "ab" * 32),
                              ["package 'lib' (packages[1]), field 'wheels[0]'",
                               f"has sha256 {file_sha256(lib)}", f"but the lock says {'ab' * 32}"]),
            "outside": (LOCK_HEAD + ok + '\n[[packages]]\nname = "mine"\n'
                        'directory = { path = "../elsewhere" }\n',
                        ["package 'mine' (packages[1])", "'directory.path'",
                         "leaves the directory of the lock file"]),
            "twice": (LOCK_HEAD + ok + lib_entry + lib_entry.replace("wheels", 'marker = '
                      '"python_version >= \'3\'"\nwheels'),
                      ["package 'lib' is listed 2 times", "packages[1] has no marker"]),
            "python": (LOCK_HEAD + ok + entry("lib", "1.0", files, file_sha256(lib),
                                              'requires-python = ">=3.13"\n'),
                       ["does not fit this environment", "lib 1.0: requires Python >=3.13"]),
        }[case]  # fmt: skip
        path = tmp_path / "pylock.toml"
        path.write_text(text)
        before = snapshot(env)
        proc = run_cove("sync", "-p", str(env), str(path))
    assert proc.returncode == 1, proc.stderr
    assert str(path) in proc.stderr and "hint:" in proc.stderr and "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert snapshot(env) == before  # nothing installed, nothing removed
    assert "stray-1.0" in installed(env)


def test_direct_references_in_a_requirements_file_replace_an_index_copy(
    tmp_path: Path, index: Index
) -> None:
    """A project the environment has from an index is installed again from the directory the
    file names (the same version, another source); the editable install is then kept."""
    from tests.support.dists import source_project

    project = source_project(tmp_path / "mine", "mine", "0.3")
    with (project / "pyproject.toml").open("a") as f:
        f.write('[project]\nname = "mine"\nversion = "0.3"\n')  # its name, without a build
    index.add("mine", "0.3")
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        run_cove("install", "-q", "-p", str(env), "-i", server.url, "mine==0.3", check=True)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"-e {project}\n")
    proc = run_cove("sync", "-p", str(env), str(requirements))
    assert proc.returncode == 0, proc.stderr
    assert " - mine==0.3" in proc.stderr and " + mine==0.3" in proc.stderr
    assert (env / SITE / "mine-0.3.dist-info" / "direct_url.json").is_file()
    again = run_cove("sync", "-p", str(env), str(requirements))
    assert again.returncode == 0 and "Nothing to change" in again.stderr, again.stderr
