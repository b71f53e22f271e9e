"""`cove activate` and `cove shell` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cove


def test_activate_finds_dot_venv_upward(workdir: Path) -> None:
    run_cove("create", "--without-pip", cwd=workdir, check=True)
    sub = workdir / "src" / "pkg"
    sub.mkdir(parents=True)
    proc = run_cove("activate", "--shell", "bash", cwd=sub)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f". '{workdir / '.venv' / 'bin' / 'activate'}'"
    fish = run_cove("activate", "--shell", "fish", cwd=sub).stdout.strip()
    assert fish.endswith("activate.fish'")


def test_activate_without_environment_is_clear_error(workdir: Path) -> None:
    proc = run_cove("activate", cwd=workdir)
    assert proc.returncode == 1
    assert "no virtual environment found" in proc.stderr and "cove create" in proc.stderr


def test_activate_rejects_non_environment(workdir: Path) -> None:
    proc = run_cove("activate", str(workdir))
    assert proc.returncode == 1 and "not a virtual environment" in proc.stderr


def test_shell_starts_a_subshell_with_the_environment(workdir: Path) -> None:
    run_cove("create", "--without-pip", cwd=workdir, check=True)
    env = {**os.environ, "SHELL": "/bin/bash"}
    proc = subprocess.run(
        [sys.executable, "-m", "cove", "shell"],
        input=(
            'echo "VE=$VIRTUAL_ENV"; echo "PY=$(command -v python)"\n'
            'echo "PH=${PYTHONHOME-unset}"; exit 3\n'
        ),
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 3
    assert f"VE={workdir / '.venv'}" in proc.stdout
    assert f"PY={workdir / '.venv' / 'bin' / 'python'}" in proc.stdout
    assert "PH=unset" in proc.stdout


def test_shell_environment_drops_pythonhome() -> None:
    from cove.venv.active import activated_environ

    out = activated_environ(Path("/e"), "bin", "e", {"PATH": "/usr/bin", "PYTHONHOME": "/x"})
    assert "PYTHONHOME" not in out
    assert out["PATH"] == os.pathsep.join(["/e/bin", "/usr/bin"])
    assert out["VIRTUAL_ENV"] == "/e" and out["VIRTUAL_ENV_PROMPT"] == "e"
