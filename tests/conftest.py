"""Shared fixtures: an isolated cache and environment for every test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PYENV = Path.home() / ".pyenv" / "versions"


def pyenv_python(minor: str) -> Path | None:
    """The newest pyenv interpreter for a minor version like '3.12', or None."""
    if not PYENV.is_dir():
        return None
    found = sorted(
        (p for p in PYENV.iterdir() if p.name.startswith(minor + ".")),
        key=lambda p: tuple(int(x) for x in p.name.split(".") if x.isdigit()),
    )
    for p in reversed(found):
        exe = p / "bin" / f"python{minor}"
        if exe.exists():
            return exe
    return None


def python_or_skip(minor: str) -> Path:
    """``pyenv_python(minor)``, or skip the test where pyenv has no such Python."""
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor} under ~/.pyenv/versions")
    return exe


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's pip config, cove cache or active venv."""
    cache = tmp_path_factory.getbasetemp() / "cove-cache"
    for name in list(os.environ):
        if name in ("COVE_TEST_BACKEND_WHEELS", "COVE_TEST_TOOL_WHEELS"):
            continue
        if name.startswith(("PIP_", "COVE_", "UV_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COVE_CACHE_DIR", str(cache))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "xdg-config"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("PYTHONHOME", raising=False)


def run_cove(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the cove CLI as a subprocess, the way a user does (killed after ``timeout`` seconds,
    which fails the test)."""
    proc = subprocess.run(
        [sys.executable, "-m", "cove", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"cove {args} failed {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cove() -> object:
    return run_cove


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "work"
    d.mkdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def index(tmp_path: Path) -> object:
    """An empty package index on disk; add wheels with ``index.add("name", "1.0", ...)``."""
    from tests.support.index import Index

    return Index(tmp_path / "index")


@pytest.fixture
def index_server(index: object) -> Iterator[object]:
    """The ``index`` fixture served over HTTP on 127.0.0.1 (``index_server.url``)."""
    from tests.support.index import Index, IndexServer

    assert isinstance(index, Index)
    with IndexServer(index) as server:
        yield server


@pytest.fixture(scope="session")
def backend_wheels() -> Path:
    """Wheels of real build backends (setuptools, wheel, flit_core, hatchling and what they
    need), downloaded by .ci/run into $COVE_TEST_BACKEND_WHEELS; the tests read them offline."""
    where = os.environ.get("COVE_TEST_BACKEND_WHEELS")
    if not where or not any(Path(where).glob("hatchling-*.whl")):
        pytest.skip("set COVE_TEST_BACKEND_WHEELS to a directory of build backend wheels")
    return Path(where)
