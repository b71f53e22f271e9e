"""Real packages from the default index (pinned), installed by cove and by pip into twin
environments: the same files, byte for byte, native extensions included."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove

pytestmark = pytest.mark.network
PINS = ["requests==2.31.0", "flask==3.0.0", "charset-normalizer==3.3.2", "markupsafe==2.1.5"]


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): p.read_bytes().replace(str(env).encode(), b"<env>")
        for p in sorted(env.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_real_packages_match_pip(tmp_path: Path) -> None:
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs Python 3.12")
    ours, theirs = tmp_path / "a" / "env", tmp_path / "b" / "env"
    for env in (ours, theirs):
        run_cove("create", "-q", "-p", str(python), str(env), check=True)
    run_cove("install", "-q", "-p", str(ours), *PINS, check=True)
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [str(theirs / "bin/pip"), "install", "-q", "--no-compile", *PINS], env=environ, check=True
    )
    a, b = snapshot(ours), snapshot(theirs)
    assert sorted(a) == sorted(b)
    assert any(name.endswith(".so") for name in a)  # native code was part of the check
    for name in a:
        if not name.endswith(("/INSTALLER", "/RECORD")):
            assert a[name] == b[name], name


def test_sdist_only_package_builds_like_pip(tmp_path: Path) -> None:
    """docopt 0.6.2 ships only a setup.py sdist: built through setuptools' PEP 517 fallback."""
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs Python 3.12")
    ours, theirs = tmp_path / "a" / "env", tmp_path / "b" / "env"
    for env in (ours, theirs):
        run_cove("create", "-q", "-p", str(python), str(env), check=True)
    run_cove("install", "-q", "-p", str(ours), "docopt==0.6.2", check=True)
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [str(theirs / "bin/pip"), "install", "-q", "--no-compile", "docopt==0.6.2"],
        env=environ,
        check=True,
    )
    a, b = snapshot(ours), snapshot(theirs)
    assert sorted(a) == sorted(b)
    assert (
        a["lib/python3.12/site-packages/docopt.py"] == b["lib/python3.12/site-packages/docopt.py"]
    )
    again = run_cove("install", "-p", str(ours), "--force-reinstall", "docopt==0.6.2", check=True)
    assert "+ docopt==0.6.2" in again.stderr
