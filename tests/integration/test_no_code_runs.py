"""cove never runs code from an environment it only inspects or fills: a wheel's .pth file and a
sitecustomize.py in site-packages stay inert through freeze, list, install (also with
--compile-bytecode), check and show, each with a fresh cache so the interpreter is probed anew."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_create import CLEAN_ENV
from tests.support.dists import WheelSpec, build_wheel

VERSIONS = ["3.8", "3.12", "3.13"]
PTH = "import sys; open(sys.prefix + '/ran-pth', 'a').close()\n"
SITECUSTOMIZE = "import sys\nopen(sys.prefix + '/ran-sitecustomize', 'a').close()\n"


def ran(env: Path) -> list[str]:
    return sorted(p.name for p in env.glob("ran-*"))


@pytest.mark.parametrize("minor", VERSIONS)
def test_nothing_of_the_environment_runs(minor: str, tmp_path: Path) -> None:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor}")
    wheels = tmp_path / "wheels"
    build_wheel(
        wheels, WheelSpec("hooked", files={"hooked.pth": PTH.encode(), "hooked_mod.py": b""})
    )
    for name in ("beta", "gamma"):
        build_wheel(wheels, WheelSpec(name))
    env = tmp_path / "env"
    # venv's own environment: cove has never seen its interpreter, so each command probes it.
    subprocess.run([str(exe), "-m", "venv", "--without-pip", str(env)], check=True)
    find = ["--no-index", "-f", str(wheels)]

    def cove(*args: str) -> str:
        environ = {**os.environ, "COVE_CACHE_DIR": str(tmp_path / f"cache-{args[0]}-{len(args)}")}
        proc = run_cove(*args, env=environ)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    cove("install", "-p", str(env), *find, "hooked")
    site = next(env.glob("lib/python*/site-packages"))
    assert (site / "hooked.pth").read_text() == PTH
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    assert ran(env) == []

    assert "hooked==1.0" in cove("freeze", "-p", str(env))
    assert "hooked" in cove("list", "-p", str(env))
    cove("install", "-p", str(env), *find, "beta")
    cove("install", "-p", str(env), *find, "--compile-bytecode", "gamma")
    assert list(site.glob("gamma/__pycache__/__init__.*.pyc"))
    cove("check", "-p", str(env))
    assert "Name: hooked" in cove("show", "-p", str(env), "hooked")
    assert ran(env) == []

    # The canaries are live: the environment's own python runs them at startup.
    subprocess.run([str(env / "bin" / "python"), "-c", "pass"], check=True, env=CLEAN_ENV)
    assert ran(env) == ["ran-pth", "ran-sitecustomize"]
