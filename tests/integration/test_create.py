"""`cove create` for real interpreters: what it refuses, what it keeps, how it fails
(test_create_vs_venv.py compares its trees with venv's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, python_or_skip, run_cove

CLEAN_ENV = {
    "PATH": os.environ["PATH"],
    "HOME": os.environ.get("HOME", "/root"),
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
}


def in_env(python: Path, code: str) -> str:
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, env=CLEAN_ENV
    ).stdout


def test_pip_runs_inside(tmp_path: Path) -> None:
    env = tmp_path / ".venv"
    run_cove("create", str(env), check=True)
    for cmd in (
        [str(env / "bin" / "pip"), "--version"],
        [str(env / "bin" / "python"), "-m", "pip", "--version"],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=CLEAN_ENV)
        assert proc.returncode == 0, proc.stderr
        assert str(env / "lib") in proc.stdout
    record = next(env.glob("lib/python*/site-packages/pip-*.dist-info/RECORD")).read_text()
    assert "../../../bin/pip," in record
    installer = next(env.glob("lib/python*/site-packages/pip-*.dist-info/INSTALLER"))
    assert installer.read_text() == "pip\n"


def test_default_path_gitignore_and_prompt(workdir: Path) -> None:
    proc = run_cove("create", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    env = workdir / ".venv"
    cfg = (env / "pyvenv.cfg").read_text()
    version = next(line.split(" = ")[1] for line in cfg.splitlines() if line.startswith("version"))
    # venv writes one from 3.13 on
    has_gitignore = tuple(int(p) for p in version.split(".")[:2]) >= (3, 13)
    assert (env / ".gitignore").exists() == has_gitignore
    assert "source .venv/bin/activate" in proc.stderr
    assert "VIRTUAL_ENV_PROMPT" in (env / "bin" / "activate").read_text()


def test_no_gitignore_without_pip_copies(tmp_path: Path) -> None:
    env = tmp_path / "e"
    exe = python_or_skip("3.13")  # the first venv that writes a .gitignore
    run_cove("create", "-p", str(exe), "--without-pip", str(tmp_path / "with"), check=True)
    assert (tmp_path / "with" / ".gitignore").read_text().splitlines()[-1] == "*"
    run_cove(
        "create", "-p", str(exe), "--no-gitignore", "--without-pip", "--copies", str(env),
        check=True,
    )  # fmt: skip
    assert not (env / ".gitignore").exists()
    assert not list(env.glob("lib/python*/site-packages/*"))
    assert not (env / "bin" / "python").is_symlink()
    out = in_env(env / "bin" / "python", "import sys; print(sys.prefix)")
    assert out.strip() == str(env)


def test_prompt_dot_uses_current_directory(workdir: Path) -> None:
    run_cove("create", "--without-pip", "--prompt", ".", "env", cwd=workdir, check=True)
    text = (workdir / "env" / "pyvenv.cfg").read_text()
    assert f"prompt = '{workdir.name}'" in text


def test_system_site_packages(tmp_path: Path) -> None:
    env = tmp_path / "e"
    run_cove("create", "--without-pip", "--system-site-packages", str(env), check=True)
    assert "include-system-site-packages = true" in (env / "pyvenv.cfg").read_text()
    paths = in_env(env / "bin" / "python", "import sys; print(sys.path)")
    assert str(Path(sys.base_prefix)) in paths


def test_existing_environment_needs_clear(tmp_path: Path) -> None:
    env = tmp_path / "e"
    run_cove("create", "--without-pip", str(env), check=True)
    marker = next(env.glob("lib/python*/site-packages")) / "marker.txt"
    marker.write_text("x")
    proc = run_cove("create", "--without-pip", str(env))
    assert proc.returncode == 1
    assert "already a virtual environment" in proc.stderr and "hint:" in proc.stderr
    assert marker.exists()
    run_cove("create", "--without-pip", "--clear", str(env), check=True)
    assert not marker.exists()
    assert (env / "pyvenv.cfg").is_file()


def test_upgrade_keeps_packages(tmp_path: Path) -> None:
    env = tmp_path / "e"
    run_cove("create", "--without-pip", str(env), check=True)
    marker = next(env.glob("lib/python*/site-packages")) / "marker.txt"
    marker.write_text("x")
    (env / "bin" / "python").unlink()
    run_cove("create", "--upgrade", str(env), check=True)
    assert marker.exists()
    assert (env / "bin" / "python").exists()


def test_refuses_non_environment_directory(tmp_path: Path) -> None:
    target = tmp_path / "project"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    proc = run_cove("create", str(target))
    assert proc.returncode == 1
    assert "not a virtual environment" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in target.iterdir()) == ["precious.txt"]


def test_empty_directory_is_fine(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    run_cove("create", "--without-pip", str(target), check=True)
    assert (target / "pyvenv.cfg").is_file()


@pytest.mark.parametrize(
    "request_, expected",
    [
        ("/nonexistent/python3", "/nonexistent/python3"),
        ("9.9", "9.9"),
    ],
)
def test_bad_interpreter(request_: str, expected: str, tmp_path: Path) -> None:
    proc = run_cove("create", "-p", request_, str(tmp_path / "e"))
    assert proc.returncode == 1
    assert expected in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_uncreatable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run_cove("create", str(blocker / "sub" / "env"))
    assert proc.returncode == 1
    assert str(blocker) in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_failed_create_leaves_nothing(tmp_path: Path) -> None:
    """A damaged cache entry is unpacked again; one that cannot be (the cache is read-only)
    makes seeding fail: nothing may remain."""
    cache = tmp_path / "cache"
    env_vars = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    run_cove("create", str(tmp_path / "first"), env=env_vars, check=True)
    for entry in cache.glob(f"{UNPACKED}/*/pip/_internal"):
        (entry / "main.py").unlink()
    run_cove("create", str(tmp_path / "repaired"), env=env_vars, check=True)
    assert list((tmp_path / "repaired").glob("lib/python3*/site-packages/pip/_internal/main.py"))
    for entry in cache.glob(f"{UNPACKED}/*/pip/_internal"):
        (entry / "main.py").unlink()
    bucket = cache / UNPACKED
    if subprocess.run(["chattr", "+i", str(bucket)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        proc = run_cove("create", str(tmp_path / "second"), env=env_vars)
    finally:
        subprocess.run(["chattr", "-i", str(bucket)], check=True)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "first", "repaired"]


def test_hostile_path(tmp_path: Path) -> None:
    env = tmp_path / "we ird 'q' \"dq\" $HOME ;touch PWNED; ünï"
    run_cove("create", str(env), cwd=tmp_path, check=True)
    out = in_env(env / "bin" / "python", "import sys; print(sys.prefix)")
    assert out.strip() == str(env)
    proc = subprocess.run(
        [str(env / "bin" / "pip"), "--version"], capture_output=True, text=True, env=CLEAN_ENV
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "PWNED").exists()


def test_relocatable_pip_runs_after_move(tmp_path: Path) -> None:
    first = tmp_path / "first"
    run_cove("create", "--relocatable", str(first), check=True)
    assert "relocatable = true" in (first / "pyvenv.cfg").read_text()
    moved = tmp_path / "moved dir"
    first.rename(moved)
    proc = subprocess.run(
        [str(moved / "bin" / "pip"), "--version"], capture_output=True, text=True, env=CLEAN_ENV
    )
    assert proc.returncode == 0, proc.stderr
    assert str(moved) in proc.stdout


def test_upgrade_deps_uses_the_configured_index(tmp_path: Path) -> None:
    """--upgrade-deps takes the newest pip from the index pip is configured with (here a
    find-links directory holding the pip wheel that a newer Python bundles)."""
    old, new = pyenv_python("3.12"), pyenv_python("3.13")
    if old is None or new is None:
        pytest.skip("needs pyenv 3.12 and 3.13")
    bundled = next(new.parent.parent.glob("lib/python3.13/ensurepip/_bundled"))
    env = tmp_path / "e"
    environ = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(bundled),
        "PIP_CONFIG_FILE": os.devnull,
    }
    run_cove("create", "-p", str(old), "--upgrade-deps", str(env), env=environ, check=True)
    version = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
        check=True,
    ).stdout
    newest = next(bundled.glob("pip-*.whl")).name.split("-")[1]
    assert version.startswith(f"pip {newest} ")
    # Upgraded in the staging directory, yet its launchers name the final environment.
    assert (env / "bin" / "pip").read_text().startswith(f"#!{env}/bin/python")
    launched = subprocess.run(
        [str(env / "bin" / "pip"), "--version"], capture_output=True, text=True, env=CLEAN_ENV
    )
    assert launched.returncode == 0 and launched.stdout.startswith(f"pip {newest} ")
    assert not list(tmp_path.glob(".e.cove-*"))


def test_failed_upgrade_deps_leaves_nothing(tmp_path: Path) -> None:
    """A newer pip that fails its hash check: nothing is left behind. (An index that cannot be
    reached is skipped with a warning, as pip and venv skip it: the bundled pip stays.)"""
    from tests.support.dists import WheelSpec
    from tests.support.index import Index, IndexServer

    index = Index(tmp_path / "index")
    wheel = index.add_wheel(WheelSpec("pip", "99.0"))
    index.tamper(wheel, b"not the wheel the index lists")
    with IndexServer(index) as server:
        environ = {
            **os.environ,
            "PIP_INDEX_URL": server.url,
            "PIP_RETRIES": "0",
            "PIP_CONFIG_FILE": os.devnull,
        }
        env = tmp_path / "made" / "e"
        env.parent.mkdir()
        proc = run_cove("create", "--upgrade-deps", str(env), env=environ)
    assert proc.returncode == 1 and "pip-99.0" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(env.parent.iterdir()) == []
    unreachable = {**environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple/"}
    proc = run_cove("create", "--upgrade-deps", str(env), env=unreachable)
    assert proc.returncode == 0, proc.stderr
    assert "127.0.0.1:9" in proc.stderr and "warning" in proc.stderr
    assert (env / "bin" / "pip").exists()


def test_usage_errors() -> None:
    proc = run_cove("create", "--clear", "--upgrade", "x")
    assert proc.returncode == 2
    proc = run_cove("create", "--bogus")
    assert proc.returncode == 2
