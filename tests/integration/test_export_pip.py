"""The hashed requirements cove writes install with pip in --require-hashes mode: pip itself (the
wheel the interpreter bundles, run from the wheel) into a venv made without cove, from the tests'
index server that the file's --index-url names."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cove.lock.export import Options, Pin, requirements_text
from tests.conftest import PYENV
from tests.support.dists import WheelSpec, file_sha256
from tests.support.index import IndexServer

PY = PYENV / "3.12.1" / "bin" / "python3.12"
BUNDLED = sorted((PYENV / "3.12.1/lib/python3.12/ensurepip/_bundled").glob("pip-*.whl"))
pytestmark = pytest.mark.skipif(not PY.exists() or not BUNDLED, reason="needs pyenv's 3.12.1")


def pip_install(env: Path, requirements: Path) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
               "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "PIP_NO_INPUT": "1"}  # fmt: skip
    return subprocess.run(
        [str(env / "bin/python"), f"{BUNDLED[-1]}/pip", "install", "--no-cache-dir",
         "--require-hashes", "-r", str(requirements)],
        capture_output=True, text=True, env=environ, timeout=300,
    )  # fmt: skip


def pins_for(index_server: IndexServer) -> list[Pin]:
    index = index_server.index
    files: dict[str, list[Path]] = {}
    for spec in [
        WheelSpec("App", "1.0", requires=["lib>=1", "util"]),
        WheelSpec("lib", "1.2", requires=["util<3"]),
        WheelSpec("util", "2.0"),
        WheelSpec("util", "2.0", tag="py2.py3-none-any"),  # a second file of the same version
        WheelSpec("util", "3.0"),  # newer, but the pins say 2.0
    ]:
        files.setdefault(f"{spec.name}=={spec.version}", []).append(index.add_wheel(spec))

    def hashes(key: str) -> tuple[str, ...]:
        return tuple(f"sha256:{file_sha256(path)}" for path in files[key])

    return [
        Pin("App", "1.0", hashes("App==1.0"), ("-r requirements.in",)),
        Pin("lib", "1.2", hashes("lib==1.2"), ("app",)),
        Pin("util", "2.0", hashes("util==2.0"), ("app", "lib")),
        # pip reads the marker and leaves the pin out here, before looking for it.
        Pin("winonly", "1.0", ("sha256:" + "1" * 64,), ("app",), marker='sys_platform == "win32"'),
    ]


@pytest.mark.timeout(300)
def test_pip_installs_the_hashed_requirements(tmp_path: Path, index_server: IndexServer) -> None:
    pins = pins_for(index_server)
    options = Options(command="cove lock --format requirements requirements.in",
                      python_version="3.12", index_urls=(index_server.url,))  # fmt: skip
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text(pins, options), encoding="utf-8")
    env = tmp_path / "env"
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(env)], check=True)
    result = pip_install(env, requirements)
    assert result.returncode == 0, result.stdout + result.stderr
    site = env / "lib/python3.12/site-packages"
    installed = sorted(p.name for p in site.glob("*.dist-info"))
    assert installed == ["app-1.0.dist-info", "lib-1.2.dist-info", "util-2.0.dist-info"]
    assert "Ignoring winonly: markers 'sys_platform == \"win32\"' don't match" in result.stdout


@pytest.mark.timeout(300)
def test_pip_refuses_it_when_a_hash_is_wrong(tmp_path: Path, index_server: IndexServer) -> None:
    pins = pins_for(index_server)
    pins[1] = Pin("lib", "1.2", ("sha256:" + "0" * 64,), ("app",))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text(pins, Options(index_urls=(index_server.url,))))
    env = tmp_path / "env"
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(env)], check=True)
    result = pip_install(env, requirements)
    assert result.returncode != 0
    assert "DO NOT MATCH THE HASHES" in result.stderr
    assert not list((env / "lib/python3.12/site-packages").glob("*.dist-info"))
