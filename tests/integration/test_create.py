"""`cove create` against `python -m venv` for real interpreters: same tree, same behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, run_cove

VERSIONS = ["3.8", "3.11", "3.12", "3.13"]
CLEAN_ENV = {
    "PATH": os.environ["PATH"],
    "HOME": os.environ.get("HOME", "/root"),
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
}


def _python_or_skip(minor: str) -> Path:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor} under ~/.pyenv/versions")
    return exe


def tree(root: Path) -> dict[str, str]:
    """Relative path -> kind (dir, file, link target), without bytecode caches."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                target = os.readlink(p)
                out[rel] = "link:" + target.replace(str(root), "<env>")
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = "exec" if os.access(p, os.X_OK) else "file"
    return out


def cfg(root: Path) -> dict[str, str]:
    pairs = (line.split(" = ", 1) for line in (root / "pyvenv.cfg").read_text().splitlines())
    return {k: v for k, v in pairs if k not in ("command", "cove")}


def in_env(python: Path, code: str) -> str:
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, env=CLEAN_ENV
    ).stdout


@pytest.mark.parametrize("minor", VERSIONS)
def test_same_as_venv(minor: str, tmp_path: Path) -> None:
    exe = _python_or_skip(minor)
    ours, theirs = tmp_path / "a" / "env", tmp_path / "b" / "env"
    run_cove("create", "-p", str(exe), str(ours), check=True)
    subprocess.run([str(exe), "-m", "venv", str(theirs)], check=True, env=CLEAN_ENV)

    ours_tree, theirs_tree = tree(ours), tree(theirs)
    ours_tree.pop(".gitignore", None)
    theirs_tree.pop(".gitignore", None)
    for name in [k for k in ours_tree if k.startswith("bin/activate") or k == "bin/Activate.ps1"]:
        ours_tree.pop(name)
        theirs_tree.pop(name, None)
    assert ours_tree == theirs_tree
    assert cfg(ours) == cfg(theirs)

    probe = (
        "import site, sys; print(sys.prefix); print(sys.base_prefix); print(site.ENABLE_USER_SITE)"
    )
    assert in_env(ours / "bin" / "python", probe).replace(str(ours), "<env>") == in_env(
        theirs / "bin" / "python", probe
    ).replace(str(theirs), "<env>")

    pip_list = [str(ours / "bin" / "python"), "-m", "pip", "list", "--format=freeze"]
    ours_list = subprocess.run(pip_list, capture_output=True, text=True, env=CLEAN_ENV)
    pip_list[0] = str(theirs / "bin" / "python")
    theirs_list = subprocess.run(pip_list, capture_output=True, text=True, env=CLEAN_ENV)
    assert ours_list.returncode == 0, ours_list.stderr
    assert ours_list.stdout == theirs_list.stdout
    assert "pip==" in ours_list.stdout

    # Every file pip wrote is byte-identical, but RECORD, which pip extends with bytecode.
    site = next((ours / "lib").glob("python*/site-packages"))
    their_site = theirs / site.relative_to(ours)
    for dist_info in site.glob("*.dist-info"):
        for f in dist_info.iterdir():
            if f.name not in ("RECORD",):
                assert f.read_bytes() == (their_site / dist_info.name / f.name).read_bytes(), f


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
    assert (env / "pyvenv.cfg").is_file()
    assert (env / ".gitignore").read_text().splitlines()[-1] == "*"
    assert "source .venv/bin/activate" in proc.stderr
    assert "VIRTUAL_ENV_PROMPT" in (env / "bin" / "activate").read_text()


def test_no_gitignore_without_pip_copies(tmp_path: Path) -> None:
    env = tmp_path / "e"
    run_cove("create", "--no-gitignore", "--without-pip", "--copies", str(env), check=True)
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


def test_too_old_interpreter(tmp_path: Path) -> None:
    exe = pyenv_python("2.7") or pyenv_python("3.6")
    if exe is None:
        pytest.skip("no old interpreter")
    proc = run_cove("create", "-p", str(exe), str(tmp_path / "e"))
    assert proc.returncode == 1
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_uncreatable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run_cove("create", str(blocker / "sub" / "env"))
    assert proc.returncode == 1
    assert str(blocker) in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_failed_create_leaves_nothing(tmp_path: Path) -> None:
    """A damaged cache entry makes seeding fail midway: nothing may remain."""
    cache = tmp_path / "cache"
    env_vars = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    run_cove("create", str(tmp_path / "first"), env=env_vars, check=True)
    for entry in cache.glob(f"{UNPACKED}/*/pip/_internal"):
        (entry / "main.py").unlink()
    proc = run_cove("create", str(tmp_path / "second"), env=env_vars)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "first"]


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
    environ = {
        **os.environ,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple/",  # nothing listens there
        "PIP_RETRIES": "0",
        "PIP_CONFIG_FILE": os.devnull,
    }
    env = tmp_path / "e"
    proc = run_cove("create", "--upgrade-deps", str(env), env=environ)
    assert proc.returncode == 1 and "127.0.0.1:9" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_usage_errors() -> None:
    proc = run_cove("create", "--clear", "--upgrade", "x")
    assert proc.returncode == 2
    proc = run_cove("create", "--bogus")
    assert proc.returncode == 2
