"""A `cove create --clear` or `--upgrade` killed at any step leaves the old environment whole or
the new one complete, never neither; the next command that opens it removes or finishes what
the kill left behind, and says so. Kills come from COVE_TEST_KILL_AT (cove.faults)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cove
from tests.integration.test_create import CLEAN_ENV
from tests.support.dists import WheelSpec, build_wheel

# Each phase of `cove create`, in order, and whether the new environment is in place then.
CLEAR_PHASES = [
    ("create-staging", False),
    ("create-linked", False),
    ("create-seeding", False),  # pip linked, setuptools or nothing more still to come
    ("create-built", False),
    ("swap-exchanged", True),  # the old environment still lies beside it, under the new name
]
UPGRADE_PHASES = [
    ("create-staging", False),
    ("create-copied", False),
    ("create-linked", False),
    ("create-built", False),
    ("swap-exchanged", True),
]
LEFT_BEHIND = "left behind by an interrupted `cove create`"


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root``: file contents, symlink targets, directories (but the
    bytecode that running pip writes)."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def leftovers(env: Path) -> list[str]:
    return sorted(p.name for p in env.parent.iterdir() if p.name.startswith(f".{env.name}.cove-"))


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    directory = tmp_path / "wheels"
    directory.mkdir()
    build_wheel(directory, WheelSpec("alpha", entry_points="[console_scripts]\nalpha = alpha:main"))
    return directory


def old_environment(env: Path, wheels: Path) -> dict[str, object]:
    """An environment with pip, a distribution installed by cove (with a script) and a file of
    the user's; returns its snapshot."""
    run_cove("create", "-q", str(env), check=True)
    run_cove("install", "-q", "-p", str(env), "--no-index", "-f", str(wheels), "alpha", check=True)
    (env / "notes.txt").write_text("mine\n")
    return snapshot(env)


def pip_runs(env: Path) -> None:
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
    )
    assert proc.returncode == 0, proc.stderr


def killed(*args: str, phase: str) -> subprocess.CompletedProcess[str]:
    proc = run_cove(*args, env={**os.environ, "COVE_TEST_KILL_AT": phase})
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    return proc


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "phase", "swapped"), [
    *(("--clear", p, s) for p, s in CLEAR_PHASES),
    *(("--upgrade", p, s) for p, s in UPGRADE_PHASES),
])  # fmt: skip
def test_killed_at_every_phase(
    mode: str, phase: str, swapped: bool, tmp_path: Path, wheels: Path
) -> None:
    env = tmp_path / "env"
    # What the uninterrupted command makes of this environment, then the old one afresh.
    old_environment(env, wheels)
    run_cove("create", "-q", mode, str(env), check=True)
    new = snapshot(env)
    shutil.rmtree(env)
    old = old_environment(env, wheels)
    assert new != old

    killed("create", "-q", mode, str(env), phase=phase)
    assert leftovers(env), "the kill left nothing to clean up: the phase was not reached"
    assert snapshot(env) == (new if swapped else old)
    pip_runs(env)

    proc = run_cove("list", "-p", str(env))  # any command that opens the environment
    assert proc.returncode == 0, proc.stderr
    assert LEFT_BEHIND in proc.stderr
    assert leftovers(env) == []
    assert snapshot(env) == (new if swapped else old)
    assert ("alpha" in proc.stdout) == (mode == "--upgrade" or not swapped)


@pytest.mark.parametrize("command", ["create", "install", "freeze"])
def test_next_command_cleans_up(command: str, tmp_path: Path, wheels: Path) -> None:
    env = tmp_path / "env"
    old = old_environment(env, wheels)
    killed("create", "--clear", str(env), phase="create-built")
    args = {
        "create": ["create", "--upgrade", str(env)],
        "install": ["install", "-p", str(env), "--no-index", "-f", str(wheels), "alpha"],
        "freeze": ["freeze", "-p", str(env)],
    }[command]
    proc = run_cove(*args)
    assert proc.returncode == 0, proc.stderr
    assert LEFT_BEHIND in proc.stderr
    assert leftovers(env) == []
    if command != "create":
        assert snapshot(env) == old


def test_two_renames_where_exchange_is_missing(tmp_path: Path, wheels: Path) -> None:
    """Without RENAME_EXCHANGE the old environment is renamed aside, then the new one into its
    place: killed in between, the path is missing until the next command finishes the swap."""
    env = tmp_path / "env"
    old_environment(env, wheels)
    staging = tmp_path / ".env.cove-new-0badcafe"
    run_cove("create", "-q", "--without-pip", str(staging), check=True)
    new = snapshot(staging)
    code = (
        "import sys; from pathlib import Path; from cove.venv.swap import replace; "
        "replace(Path(sys.argv[1]), Path(sys.argv[2]), '0badcafe', existing=True, exchange=False)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(staging), str(env)],
        env={**os.environ, "COVE_TEST_KILL_AT": "swap-aside"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not env.exists()
    assert leftovers(env) == [".env.cove-new-0badcafe", ".env.cove-old-0badcafe"]

    proc = run_cove("freeze", "-p", str(env))
    assert proc.returncode == 0, proc.stderr
    assert "finished an interrupted `cove create`" in proc.stderr
    assert leftovers(env) == []
    assert snapshot(env) == new


def test_old_environment_back_when_only_it_survived(tmp_path: Path, wheels: Path) -> None:
    """Moved aside with no complete new one beside it: it is put back, found through
    ./.venv as well as -p."""
    project = tmp_path / "project"
    project.mkdir()
    env = project / ".venv"
    old = old_environment(env, wheels)
    env.rename(project / "..venv.cove-old-12345678")
    assert leftovers(env) == ["..venv.cove-old-12345678"]
    proc = run_cove("list", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert f"restored {env} after an interrupted `cove create`" in proc.stderr
    assert snapshot(env) == old and leftovers(env) == []


@pytest.mark.timeout(120)
def test_a_running_create_is_left_alone(tmp_path: Path, wheels: Path) -> None:
    """Another command never takes the staging directory of a create that is still running
    for a leftover: the swap holds a lock on it."""
    env = tmp_path / "env"
    old = old_environment(env, wheels)
    paused = subprocess.Popen(
        [sys.executable, "-m", "cove", "create", "-q", "--clear", str(env)],
        env={**os.environ, "COVE_TEST_KILL_AT": "create-built:pause"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert paused.stderr is not None
        assert paused.stderr.readline() == "cove: paused at create-built\n"
        building = leftovers(env)
        assert len(building) == 1
        proc = run_cove("list", "-p", str(env))
        assert proc.returncode == 0, proc.stderr
        assert LEFT_BEHIND not in proc.stderr
        assert leftovers(env) == building
        assert snapshot(env) == old
    finally:
        paused.kill()
        paused.wait()
