"""Locks between tools, tested rather than assumed: a pylock.toml cove writes installs with uv,
the ones pip (``pip lock``) and uv (``uv pip compile``) write install with ``cove sync``, and
cove's hashed requirements install with pip in --require-hashes mode, each giving the same
``pip freeze``. pip and uv come from their pinned wheels in $COVE_TEST_TOOL_WHEELS (.ci/run
downloads them), installed into a throwaway environment; without them the tests are skipped."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_lock import lock, small_index
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
PIP_VERSION = "26.3"
UV_VERSION = "0.13.9"
pytestmark = [pytest.mark.interop, pytest.mark.timeout(600),
              pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")]  # fmt: skip


def tool_wheels() -> tuple[Path, Path]:
    where = os.environ.get("COVE_TEST_TOOL_WHEELS")
    if not where:
        pytest.skip("set COVE_TEST_TOOL_WHEELS to a directory with the pinned pip and uv wheels")
    pip = sorted(Path(where).glob(f"pip-{PIP_VERSION}-*.whl"))
    uv = sorted(Path(where).glob(f"uv-{UV_VERSION}-*.whl"))
    if not pip or not uv:
        pytest.skip(f"{where} lacks pip {PIP_VERSION} or uv {UV_VERSION} (see .ci/run)")
    return pip[0], uv[0]


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway environment holding the pinned pip and uv (pip installs both from their
    wheels, offline)."""
    pip, uv = tool_wheels()
    assert PY is not None
    env = tmp_path_factory.mktemp("tools") / "env"
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(env)], check=True)
    subprocess.run(
        [str(env / "bin/python"), f"{pip}/pip", "install", "-q", "--no-index", "--no-deps",
         str(pip), str(uv)],
        check=True, env=environment(), timeout=300,
    )  # fmt: skip
    return env


def environment() -> dict[str, str]:
    """The tools run with no configuration of the machine's: only the tests' own index."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
            "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1", "UV_NO_CONFIG": "1",
            "XDG_CONFIG_HOME": os.environ.get("XDG_CONFIG_HOME", "/nonexistent")}  # fmt: skip


def tool(tools: Path, name: str, *args: str, cwd: Path | None = None, cache: Path) -> str:
    extra = {"UV_CACHE_DIR": str(cache / "uv"), "PIP_CACHE_DIR": str(cache / "pip")}
    done = subprocess.run(
        [str(tools / "bin" / name), *args], capture_output=True, text=True, cwd=cwd,
        env={**environment(), **extra}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"{name} {args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def fresh(where: Path) -> Path:
    assert PY is not None
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def freeze(tools: Path, env: Path, cache: Path) -> list[str]:
    return tool(tools, "pip", "--python", str(env / "bin/python"), "freeze", "--all",
                cache=cache).splitlines()  # fmt: skip


@pytest.fixture
def served(index: Index) -> Iterator[IndexServer]:
    small_index(index)
    with IndexServer(index) as server:
        yield server


EXPECTED = ["App==1.0", "lib==1.2", "speed==1.0", "util==2.0"]


def test_uv_installs_the_lock_cove_writes(tmp_path: Path, tools: Path, served: IndexServer) -> None:
    builder = fresh(tmp_path / "builder")
    lock(builder, served, "app[fast]", cwd=tmp_path)
    by_uv = fresh(tmp_path / "by-uv")
    tool(tools, "uv", "pip", "install", "-p", str(by_uv / "bin/python"), "-r", "pylock.toml",
         cwd=tmp_path, cache=tmp_path)  # fmt: skip
    by_cove = fresh(tmp_path / "by-cove")
    run_cove("sync", "-p", str(by_cove), str(tmp_path / "pylock.toml"), check=True)
    assert freeze(tools, by_uv, tmp_path) == freeze(tools, by_cove, tmp_path) == EXPECTED


def test_cove_syncs_the_locks_pip_and_uv_write(
    tmp_path: Path, tools: Path, served: IndexServer
) -> None:
    (tmp_path / "requirements.in").write_text("app[fast]\n")
    tool(tools, "pip", "lock", "-q", "-i", served.url, "-o", "pylock.pip.toml", "app[fast]",
         cwd=tmp_path, cache=tmp_path)  # fmt: skip
    target = fresh(tmp_path / "target")
    tool(tools, "uv", "pip", "compile", "-q", "--index-url", served.url, "-p",
         str(target / "bin/python"), "-o", "pylock.uv.toml", "requirements.in",
         cwd=tmp_path, cache=tmp_path)  # fmt: skip
    for made_by in ("pip", "uv"):
        env = fresh(tmp_path / f"from-{made_by}")
        # Something to remove, so sync proves it removes what the lock does not name.
        run_cove("install", "-q", "-p", str(env), "-i", served.url, "util==3.0", check=True)
        proc = run_cove("sync", "-p", str(env), str(tmp_path / f"pylock.{made_by}.toml"))
        assert proc.returncode == 0, proc.stderr
        assert freeze(tools, env, tmp_path) == EXPECTED, made_by


def test_pip_installs_coves_requirements_with_require_hashes(
    tmp_path: Path, tools: Path, served: IndexServer
) -> None:
    builder = fresh(tmp_path / "builder")
    proc = run_cove("lock", "--format", "requirements", "-p", str(builder), "-i", served.url,
                    "-o", "requirements.txt", "app[fast]", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    by_pip = fresh(tmp_path / "by-pip")
    tool(tools, "pip", "--python", str(by_pip / "bin/python"), "install", "-q", "--no-cache-dir",
         "--require-hashes", "--no-deps", "-r", "requirements.txt", cwd=tmp_path,
         cache=tmp_path)  # fmt: skip
    assert freeze(tools, by_pip, tmp_path) == EXPECTED
    # And with dependencies checked, pip agrees nothing is missing.
    tool(tools, "pip", "--python", str(by_pip / "bin/python"), "check", cache=tmp_path)
