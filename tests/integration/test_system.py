"""`--system`: installing into an interpreter itself, not a venv, as pip installs into it.

The tests never touch a real interpreter: each builds a throwaway one, a prefix with a copy of
pyenv's python binary and a stdlib directory of links to the real one around an empty
site-packages, which Python takes for an installation of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, build_wheel

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"


def throwaway_python(prefix: Path) -> Path:
    """A Python 3.12 whose sys.prefix is ``prefix`` and whose site-packages starts empty."""
    assert PY is not None
    real_prefix = PY.parent.parent
    (prefix / "bin").mkdir(parents=True)
    stdlib = prefix / "lib" / "python3.12"
    (stdlib / "site-packages").mkdir(parents=True)
    for entry in (real_prefix / "lib" / "python3.12").iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    python = prefix / "bin" / "python3.12"
    shutil.copy2(PY, python)
    code = "import sys, sysconfig; print(sys.prefix, sysconfig.get_path('purelib'))"
    where = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert where == [str(prefix), str(prefix / SITE)]
    return python


def files_of(prefix: Path) -> dict[str, bytes]:
    """What installing put into ``prefix``: everything but the interpreter and its stdlib."""
    out = {}
    for path in sorted(prefix.rglob("*")):
        rel = path.relative_to(prefix).as_posix()
        if path.is_symlink() or not path.is_file() or rel == "bin/python3.12":
            continue
        if "__pycache__" in path.parts:
            continue
        out[rel] = path.read_bytes()
    return out


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    where = tmp_path / "wheels"
    build_wheel(
        where,
        WheelSpec(
            "SysDemo",
            "1.0",
            requires=["helper>=1"],
            entry_points="[console_scripts]\nsysdemo = sysdemo:main\n",
            files={
                "sysdemo/__init__.py": b"def main():\n    print('system ok')\n",
                "SysDemo-1.0.data/headers/sysdemo.h": b"#define SYSDEMO 1\n",
                "SysDemo-1.0.data/data/share/sysdemo/notes.txt": b"notes\n",
                "SysDemo-1.0.data/scripts/sysdemo-tool": b"#!python\nprint('tool')\n",
            },
        ),
    )
    build_wheel(where, WheelSpec("helper", "1.0"))
    return where


def test_system_install_matches_pip_and_uninstalls(tmp_path: Path, wheels: Path) -> None:
    # Prefixes with names of one length, so the two installs can be compared byte for byte.
    ours = throwaway_python(tmp_path / "cove")
    theirs = throwaway_python(tmp_path / "pips")
    proc = run_cove(
        "install", "--system", "-p", str(ours), "--no-index", "-f", str(wheels), "sysdemo"
    )
    assert proc.returncode == 0, proc.stderr
    assert PY is not None
    pip_wheel = next(PY.parent.parent.glob("lib/python3.12/ensurepip/_bundled/pip-*.whl"))
    done = subprocess.run(
        [str(theirs), f"{pip_wheel}/pip", "install", "-q", "--no-compile", "--no-index",
         "-f", str(wheels), "sysdemo"],
        capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "PIP_CONFIG_FILE": os.devnull,
             "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    a, b = files_of(tmp_path / "cove"), files_of(tmp_path / "pips")
    assert sorted(a) == sorted(b)
    assert "include/python3.12/sysdemo/sysdemo.h" in a and "share/sysdemo/notes.txt" in a
    for path in a:
        if path.endswith("/INSTALLER"):
            assert (a[path], b[path]) == (b"cove\n", b"pip\n")
        elif path.endswith("/RECORD"):
            rows_a = [r.split(",")[0] for r in a[path].decode().splitlines()]
            rows_b = [r.split(",")[0] for r in b[path].decode().splitlines()]
            assert rows_a == rows_b
        else:
            assert a[path].replace(b"/cove/", b"/X/") == b[path].replace(b"/pips/", b"/X/"), path
    assert a["bin/sysdemo"].startswith(f"#!{ours}\n".encode())
    ran = subprocess.run([str(tmp_path / "cove/bin/sysdemo")], capture_output=True, text=True)
    assert ran.stdout == "system ok\n"
    listed = run_cove("freeze", "--system", "-p", str(ours), check=True).stdout
    assert listed == "helper==1.0\nSysDemo==1.0\n"
    run_cove("uninstall", "--system", "-y", "-p", str(ours), "sysdemo", "helper", check=True)
    assert files_of(tmp_path / "cove") == {}
    assert (tmp_path / "cove" / SITE).is_dir()


def test_system_rules(tmp_path: Path, wheels: Path) -> None:
    python = throwaway_python(tmp_path / "sys")
    args = ["--no-index", "-f", str(wheels), "helper"]
    plain = run_cove("install", "-p", str(python), *args)
    assert plain.returncode == 1 and "not a virtual environment" in plain.stderr
    assert "--system" in plain.stderr
    marker = tmp_path / "sys" / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    marker.write_text("[externally-managed]\nError=Use the distro's packages.\n")
    managed = run_cove("install", "--system", "-p", str(python), *args)
    assert managed.returncode == 1 and "Use the distro's packages." in managed.stderr
    assert "Traceback" not in managed.stderr
    assert list((tmp_path / "sys" / SITE).iterdir()) == []
    forced = run_cove("install", "--system", "--break-system-packages", "-p", str(python), *args)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "sys" / SITE / "helper-1.0.dist-info" / "RECORD").is_file()


def test_user_site_packages_are_listed_as_pip_lists_them(tmp_path: Path, wheels: Path) -> None:
    """`pip install --user` puts distributions in the user site-packages, which sys.path holds
    for an interpreter itself and for a venv that includes the system's (not for other venvs):
    freeze and list show them where pip does."""
    assert PY is not None
    python = throwaway_python(tmp_path / "sys")
    user_base = tmp_path / "user base"
    pip_wheel = next(PY.parent.parent.glob("lib/python3.12/ensurepip/_bundled/pip-*.whl"))
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONUSERBASE": str(user_base)}  # fmt: skip

    def pip(python: Path, *args: str) -> str:
        done = subprocess.run([str(python), f"{pip_wheel}/pip", *args],
                              capture_output=True, text=True, env=environ)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def cove(*args: str) -> str:
        done = run_cove(*args, env={**os.environ, **environ})
        assert done.returncode == 0, done.stderr
        return done.stdout

    pip(python, "install", "-q", "--user", "--no-index", "-f", str(wheels), "helper")
    assert (user_base / SITE / "helper-1.0.dist-info").is_dir()
    run_cove("install", "--system", "-p", str(python), "--no-index", "-f", str(wheels), "sysdemo",
             "--no-deps", check=True)  # fmt: skip
    assert cove("freeze", "--system", "-p", str(python)) == pip(python, "freeze")
    assert "helper==1.0" in pip(python, "freeze")
    assert cove("list", "--system", "-p", str(python)) == pip(python, "list")
    for scope in (["--user"], ["--local"]):
        for command in ("freeze", "list"):
            got = cove(command, "--system", "-p", str(python), *scope)
            assert got == pip(python, command, *scope), (command, scope)
    assert cove("freeze", "--system", "-p", str(python), "--user") == "helper==1.0\n"
    both = run_cove("freeze", "--system", "-p", str(python), "--user", "--path", str(tmp_path))
    assert both.returncode == 2 and "--path cannot be combined" in both.stderr
    for flag, sees_user in (("--system-site-packages", True), ("--without-pip", False)):
        env = tmp_path / f"env{flag}"
        run_cove("create", "-q", flag, "-p", str(python), str(env), check=True)
        venv_python = env / "bin" / "python"
        assert cove("freeze", "-p", str(env)) == pip(venv_python, "freeze")
        assert ("helper==1.0" in pip(venv_python, "freeze")) is sees_user
        for scope in (["--user"], ["--local"]):
            got = cove("freeze", "-p", str(env), *scope)
            assert got == pip(venv_python, "freeze", *scope), (flag, scope)
    environ["PYTHONNOUSERSITE"] = "1"
    assert (
        cove("freeze", "--system", "-p", str(python)) == pip(python, "freeze") == "SysDemo==1.0\n"
    )
