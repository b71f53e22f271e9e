"""`cove create` makes the tree `python -m venv` makes, byte for byte, for every CPython here.

Each pair is made at the same path (venv's first, then moved aside), so pyvenv.cfg's command
line and every file can be compared as bytes, without rewriting paths. Compared: every file,
directory and symlink (its target), each mode, pyvenv.cfg line by line in its order, lib64,
the include directory, .gitignore, and the activation scripts but those in ACTIVATION below.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import python_or_skip, run_cove
from tests.integration.test_create import CLEAN_ENV

pytestmark = pytest.mark.slow

VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
TOO_OLD = ["2.7", "3.6", "3.7"]

# The only files whose bytes are cove's own, and why. venv pastes the environment's path and
# prompt into these scripts unquoted (a `"`, `$(...)` or backquote in a directory name breaks
# the script or runs a command when it is sourced); cove's quote them for each shell, and have
# a variant that finds a --relocatable environment where it lies. Modes are still compared.
ACTIVATION = {
    "bin/activate": "sh-family quoting of path and prompt (venv: raw inside double quotes)",
    "bin/activate.csh": "csh quoting, `!` escaped (venv: raw inside double quotes)",
    "bin/activate.fish": "fish quoting of path and prompt (venv: raw inside double quotes)",
}
# Files venv does not make at all: cove's additions beside venv's scripts.
EXTRA = {
    "bin/activate.nu": "nushell activation (virtualenv ships one; venv has none)",
    "bin/activate_this.py": "activation inside a running Python, as virtualenv's",
}


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Relative path -> (kind, mode, content digest or link target), bytecode left out."""
    out: dict[str, tuple[object, ...]] = {".": ("dir", oct(os.lstat(root).st_mode))}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            st = os.lstat(p)
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", oct(st.st_mode))
            else:
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                out[rel] = ("file", oct(st.st_mode), digest)
    return out


def assert_same_tree(venv: Path, cove: Path, *, record_rows: bool = False) -> None:
    ours, theirs = snapshot(cove), snapshot(venv)
    for name in EXTRA:
        assert ours.pop(name)[0] == "file", name
    for name in ACTIVATION:
        assert ours[name][:2] == theirs[name][:2], name  # same kind and mode
        assert ours.pop(name) != theirs.pop(name), f"{name} is venv's now: drop it from the list"
    if record_rows:  # pip's RECORD: see test_seeded_pip_is_ensurepips
        for name in [n for n in theirs if n.endswith(".dist-info/RECORD")]:
            assert ours.pop(name)[:2] == theirs.pop(name)[:2], name
            assert record(cove / name) == record(venv / name), name
    assert ours.keys() == theirs.keys(), sorted(ours.keys() ^ theirs.keys())
    assert {k: v for k, v in ours.items() if theirs[k] != v} == {}
    assert (cove / "pyvenv.cfg").read_bytes() == (venv / "pyvenv.cfg").read_bytes()


def record(path: Path) -> list[list[str]]:
    """RECORD's rows in their order, without bytecode (pip compiles it at install)."""
    with path.open(newline="") as f:
        return [row for row in csv.reader(f) if not row[0].endswith(".pyc")]


Maker = Callable[..., tuple[Path, Path]]


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Maker:
    """``pair(exe, *flags)`` -> (venv's tree, cove's tree), both made at the same path with the
    same flags, each made once per session."""
    made: dict[tuple[str, ...], tuple[Path, Path]] = {}

    def make(
        exe: Path, *flags: str, before: Callable[[Path], None] | None = None
    ) -> tuple[Path, Path]:
        key = (str(exe), *flags, str(before))
        if key not in made:
            root = tmp_path_factory.mktemp("pair")
            env = root / "work" / "env"
            env.parent.mkdir()
            if before is not None:
                before(env)
            subprocess.run(
                [str(exe), "-m", "venv", *flags, str(env)],
                check=True, env=CLEAN_ENV, cwd=env.parent, capture_output=True,
            )  # fmt: skip
            env.rename(root / "venv")
            if before is not None:
                before(env)
            run_cove("create", "-q", "-p", str(exe), *flags, str(env), cwd=env.parent, check=True)
            made[key] = (root / "venv", env)
        return made[key]

    return make


@pytest.mark.parametrize("name", ["python", "python3", "python3.X"])
@pytest.mark.parametrize("minor", VERSIONS)
def test_tree_is_venvs(minor: str, name: str, pair: Maker) -> None:
    """The interpreter named as the user names it: venv links that name to it and the others
    to that name (python3.X only from 3.9 on)."""
    exe = python_or_skip(minor).parent / name.replace("X", minor.split(".")[1])
    venv, cove = pair(exe, "--without-pip")
    assert_same_tree(venv, cove)
    if minor == "3.8":
        assert not (cove / "bin" / "python3.8").exists() or name == "python3.X"
    assert (cove / ".gitignore").exists() == (minor == "3.13")


FLAGS = [
    ["--copies"],
    ["--system-site-packages"],
    ["--prompt", "my prompt"],
    ["--prompt", "."],  # the current directory's name from 3.9, a literal "." in 3.8
    ["--without-scm-ignore-files"],  # 3.13's flag; cove's --no-gitignore
]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: " ".join(f))
@pytest.mark.parametrize("minor", VERSIONS)
def test_tree_with_flags_is_venvs(minor: str, flags: list[str], pair: Maker) -> None:
    exe = python_or_skip(minor)
    if flags[0] == "--without-scm-ignore-files" and minor != "3.13":
        pytest.skip("venv has the flag from 3.13 on")
    venv, cove = pair(exe, "--without-pip", *flags)
    assert_same_tree(venv, cove)


@pytest.mark.parametrize("flag", ["--upgrade", "--clear"])
@pytest.mark.parametrize("minor", VERSIONS)
def test_replacing_is_venvs(minor: str, flag: str, pair: Maker) -> None:
    """On an environment venv made, with a file of the user's in it: --clear starts afresh;
    --upgrade rewrites pyvenv.cfg, makes missing links and directories, keeps everything else
    (the activation scripts too)."""
    exe = python_or_skip(minor)

    def made_by_venv(env: Path) -> None:
        subprocess.run([str(exe), "-m", "venv", "--without-pip", str(env)], check=True)
        site = next(env.glob("lib/python*/site-packages"))
        (site / "mine.py").write_text("x = 1\n")
        (env / "bin" / "python").unlink()  # as after a broken upgrade of the base Python

    venv, cove = pair(exe, "--without-pip", flag, before=made_by_venv)
    if flag == "--upgrade":
        assert snapshot(venv) == snapshot(cove)  # activation scripts kept: venv's, untouched
        assert (cove / "lib" / f"python{minor}" / "site-packages" / "mine.py").is_file()
    else:
        assert_same_tree(venv, cove)
        assert not (cove / "lib" / f"python{minor}" / "site-packages" / "mine.py").exists()
    assert (cove / "bin" / "python").is_symlink()


@pytest.mark.parametrize("minor", VERSIONS)
def test_seeded_pip_is_ensurepips(minor: str, pair: Maker) -> None:
    """With pip: cove links the bundled wheels where ensurepip installs them. Every file is
    ensurepip's, but for the bytecode pip compiles as it installs (cove compiles only when
    asked) and RECORD, compared row by row without those bytecode rows: pip's csv writer ends
    rows with CRLF, cove's RECORD with LF. INSTALLER says "pip" in both."""
    exe = python_or_skip(minor)
    venv, cove = pair(exe)
    assert_same_tree(venv, cove, record_rows=True)
    assert not list(cove.rglob("__pycache__"))
    assert next(cove.glob("lib/python*/site-packages/pip-*.dist-info/INSTALLER")).read_text() == (
        "pip\n"
    )
    for cmd in (["bin/pip", "--version"], ["bin/python", "-m", "pip", "list"]):
        proc = subprocess.run(
            [str(cove / cmd[0]), *cmd[1:]], capture_output=True, text=True, env=CLEAN_ENV
        )
        assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("minor", TOO_OLD)
def test_older_pythons_are_refused(minor: str, tmp_path: Path) -> None:
    exe = python_or_skip(minor)
    proc = run_cove("create", "-p", str(exe), str(tmp_path / "env"))
    assert proc.returncode == 1
    assert f"is Python {minor}." in proc.stderr and "3.8 or newer" in proc.stderr
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
