"""`cove freeze` prints the bytes `pip freeze` prints for the same environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, build_wheel, source_project
from tests.support.index import Index


def pip(env: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        # pip's wheel cache is keyed by an sdist's path: a wheel built from an earlier file at
        # the same path (a test run before, with the same tmp path) comes back with that file's
        # hash in direct_url.json. Each test's pip starts with none.
        "PIP_NO_CACHE_DIR": "1",
    }
    return subprocess.run(
        [str(env / "bin/pip"), *args], capture_output=True, text=True, env=environ, cwd=cwd
    )


def same_as_pip(env: Path, *flags: str) -> str:
    ours = run_cove("freeze", "-p", str(env), *flags)
    theirs = pip(env, "freeze", *flags)
    assert ours.returncode == theirs.returncode == 0, ours.stderr + theirs.stderr
    assert ours.stdout == theirs.stdout
    return ours.stdout


@pytest.mark.parametrize("minor", ["3.11", "3.12"])
def test_freeze_matches_pip(minor: str, tmp_path: Path, index: Index) -> None:
    python = pyenv_python(minor)
    if python is None:
        pytest.skip(f"no Python {minor}")
    index.add("Flask", "2.0", requires=["click"])
    index.add("click", "8.1")
    index.add("zope.interface", "6.0")
    index.add("Odd_Name", "1.0.post1")
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(python), str(env), check=True)
    run_cove(
        "install", "-q", "-p", str(env), "-i", index.file_url, "flask", "zope.interface", check=True
    )
    pip(env, "install", "-q", "-i", index.file_url, "odd-name")
    wheel = build_wheel(tmp_path / "direct", WheelSpec("Direct", "2.0"))
    assert pip(env, "install", "-q", "--no-deps", str(wheel)).returncode == 0
    out = same_as_pip(env)
    assert "Flask==2.0\n" in out and "Odd_Name==1.0.post1\n" in out
    assert f"Direct @ {wheel.as_uri()}" in out
    same_as_pip(env, "--all")
    same_as_pip(env, "--exclude", "flask", "--exclude", "Click")
    same_as_pip(env, "-l")


def test_editable_installs_match_pip(tmp_path: Path) -> None:
    python = pyenv_python("3.12")
    git = shutil.which("git")
    if python is None or git is None:
        pytest.skip("needs Python 3.11 and git")
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(python), str(env), check=True)
    plain = source_project(tmp_path / "plain", "Plain")
    tracked = source_project(tmp_path / "tracked", "tracked")
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "init"],
        ["remote", "add", "origin", "https://git.example/t.git"],
    ):
        subprocess.run([git, "-C", str(tracked), *args], check=True)
    for where in (plain, tracked):
        proc = pip(env, "install", "-q", "--no-build-isolation", "-e", str(where))
        assert proc.returncode == 0, proc.stderr
    out = same_as_pip(env)
    assert f"# Editable install with no version control (Plain==0.3)\n-e {plain}\n" in out
    assert "-e git+https://git.example/t.git@" in out and "#egg=tracked" in out
    same_as_pip(env, "--exclude-editable")


def test_broken_metadata_is_skipped_with_a_warning(tmp_path: Path) -> None:
    env = tmp_path / "env"
    run_cove("create", "-q", str(env), check=True)
    site = next(env.glob("lib/python3*/site-packages"))
    broken = site / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\n")
    ours = run_cove("freeze", "-p", str(env))
    assert ours.returncode == 0 and "broken" not in ours.stdout
    assert "Skipping" in ours.stderr and "Traceback" not in ours.stderr


def test_versions_print_as_pip_prints_them(tmp_path: Path) -> None:
    """pip prints a PEP 440 version in its normal form and anything else after ``===``; the
    fast path for plain release numbers must agree with packaging on every form."""
    env = tmp_path / "env"
    run_cove("create", "-q", str(env), check=True)
    site = next(env.glob("lib/python3*/site-packages"))
    versions = {
        "plain": "1.2.3",
        "zeros": "01.002.0",
        "beta": "1.0.0-Beta1",
        "epoch": "1!2.0.post",
        "local": "2.0+Ubuntu.1",
        "single": "7",
        "legacy": "not a version",
    }
    for name, version in versions.items():
        info = site / f"{name}-0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "RECORD").write_text("")
    out = same_as_pip(env)
    for line in ("zeros==1.2.0", "beta==1.0.0b1", "epoch==1!2.0.post0", "local==2.0+ubuntu.1"):
        assert line + "\n" in out
    assert "plain==1.2.3\n" in out and "single==7\n" in out
    assert "legacy===not a version\n" in out


def test_no_environment(tmp_path: Path) -> None:
    proc = run_cove("freeze", cwd=tmp_path)
    assert proc.returncode == 1 and "cove create" in proc.stderr


def test_freeze_with_requirements_file_matches_pip(tmp_path: Path, index: Index) -> None:
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("no Python 3.12")
    index.add("Flask", "2.0", requires=["click"])
    index.add("click", "8.1")
    index.add("extra-thing", "1.0")
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(python), str(env), check=True)
    run_cove(
        "install", "-q", "-p", str(env), "-i", index.file_url, "flask", "extra-thing", check=True
    )
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# app\n-i https://idx.example/simple\n\nFLASK>=1  # web\n\n# tools\nmissing==1\n"
        "pip\nflask\n./dist/click-8.1-py3-none-any.whl\n"
    )
    ours = run_cove("freeze", "-p", str(env), "-r", str(req))
    theirs = pip(env, "freeze", "-r", str(req))
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout == theirs.stdout
    assert "## The following requirements were added by pip freeze:\n" in ours.stdout
    assert "but package 'missing' is not installed" in ours.stderr
