"""Hardlinked installs share inodes with the cache: an edit in place of an installed file (a
debugging print in site-packages) changes the cache's copy. The next install notices (sizes and
mtimes against the stamps taken when the wheel was unpacked) and unpacks the wheel again;
``cove cache verify`` reads every file against the wheel's RECORD and repairs what it finds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, run_cove
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"
ORIGINAL = b"def hello():\n    return 'hello'\n"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache of this test's own (the session's is shared by every test), so verify sees
    only what the test put there."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))


def venv(where: Path) -> Path:
    assert PY is not None
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def cache() -> Path:
    return Path(os.environ["COVE_CACHE_DIR"])


def cached(relative: str) -> Path:
    (found,) = (cache() / UNPACKED).glob(f"*/{relative}")
    return found


def test_an_edit_in_place_does_not_reach_the_next_environment(tmp_path: Path, index: Index) -> None:
    index.add("greet", "1.0", files={"greet/__init__.py": ORIGINAL, "greet/other.py": b"X = 1\n"})
    first, second = venv(tmp_path / "first"), venv(tmp_path / "second")
    install = ["install", "--no-index", "-f", str(index.root / "files"), "greet"]
    run_cove(install[0], "-p", str(first), *install[1:], check=True)
    module = first / SITE / "greet/__init__.py"
    assert module.stat().st_ino == cached("greet/__init__.py").stat().st_ino  # hardlinked
    with open(module, "a") as f:  # in place, as `echo >>` or some editors write
        f.write("print('debugging')\n")
    assert cached("greet/__init__.py").read_bytes() != ORIGINAL  # the shared inode changed

    proc = run_cove(install[0], "-p", str(second), *install[1:])
    assert proc.returncode == 0, proc.stderr
    assert "the cache's copy of greet 1.0 had changed (greet/__init__.py" in proc.stderr
    assert (second / SITE / "greet/__init__.py").read_bytes() == ORIGINAL
    assert cached("greet/__init__.py").read_bytes() == ORIGINAL
    assert module.read_bytes() == ORIGINAL + b"print('debugging')\n"  # the edit stays its own
    # The untouched file still links to the entry, and a third install has nothing to repair.
    third = venv(tmp_path / "third")
    again = run_cove(install[0], "-p", str(third), *install[1:])
    assert again.returncode == 0 and "had changed" not in again.stderr
    assert (third / SITE / "greet/__init__.py").stat().st_ino == (
        second / SITE / "greet/__init__.py"
    ).stat().st_ino


def test_an_edit_of_what_the_install_reads_first_is_found_before_it_is_read(
    tmp_path: Path, index: Index
) -> None:
    """METADATA and entry_points.txt are read to lay the wheel out before any file is linked
    (where the other files' check is made): theirs is made before they are read."""
    index.add("greet", "1.0", files={"greet/__init__.py": ORIGINAL},
              entry_points="[console_scripts]\ngreet = greet:hello\n")  # fmt: skip
    first, second = venv(tmp_path / "first"), venv(tmp_path / "second")
    install = ["install", "--no-index", "-f", str(index.root / "files"), "greet"]
    run_cove(install[0], "-p", str(first), *install[1:], check=True)
    info = first / SITE / "greet-1.0.dist-info"
    original = (info / "entry_points.txt").read_bytes()
    with open(info / "entry_points.txt", "a") as f:  # in place, through the shared inode
        f.write("evil = os:system\n")

    proc = run_cove(install[0], "-p", str(second), *install[1:])
    assert proc.returncode == 0, proc.stderr
    assert "had changed (greet-1.0.dist-info/entry_points.txt" in proc.stderr, proc.stderr
    assert not (second / "bin/evil").exists() and (second / "bin/greet").exists()
    assert (second / SITE / "greet-1.0.dist-info/entry_points.txt").read_bytes() == original


def test_a_file_gone_from_the_cache_is_found_when_it_would_be_linked(
    tmp_path: Path, index: Index
) -> None:
    """A cache file removed behind cove's back (a cleaner, a full disk's victim) is found by the
    link's check: the install is undone, the entry unpacked again, and the install made again."""
    index.add("greet", "1.0", files={"greet/__init__.py": ORIGINAL, "greet/other.py": b"X = 1\n"})
    first, second = venv(tmp_path / "first"), venv(tmp_path / "second")
    install = ["install", "--no-index", "-f", str(index.root / "files"), "greet"]
    run_cove(install[0], "-p", str(first), *install[1:], check=True)
    cached("greet/other.py").unlink()

    proc = run_cove(install[0], "-p", str(second), *install[1:])
    assert proc.returncode == 0, proc.stderr
    assert "the cache's copy of greet 1.0 had changed (greet/other.py" in proc.stderr, proc.stderr
    assert (second / SITE / "greet/other.py").read_bytes() == b"X = 1\n"
    assert (
        cached("greet/other.py").stat().st_ino == (second / SITE / "greet/other.py").stat().st_ino
    )
    assert run_cove("check", "-p", str(second)).returncode == 0


def test_cache_verify_checks_hashes_and_repairs(tmp_path: Path, index: Index) -> None:
    index.add("served", "1.0", files={"served/__init__.py": ORIGINAL})
    index.add("local", "1.0", files={"local/__init__.py": b"L = 1\n"})
    index.add("gone", "1.0", files={"gone/__init__.py": b"G = 1\n"})
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:  # downloaded: the wheel stays in the cache
        run_cove("install", "-q", "-p", str(env), "-i", server.url, "served", check=True)
    links = tmp_path / "links"
    links.mkdir()
    for name in ("local", "gone"):
        wheel = next((index.root / "files").glob(f"{name}-1.0-*.whl"))
        (links / wheel.name).write_bytes(wheel.read_bytes())
    run_cove("install", "-q", "-p", str(env), "--no-index", "-f", str(links), "local", "gone",
             check=True)  # fmt: skip
    clean = run_cove("cache", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Checked 3 unpacked wheels" in clean.stdout and "Everything matches." in clean.stdout

    # Same size, mtime put back: only reading the file can tell.
    served = cached("served/__init__.py")
    st = served.stat()
    served.write_bytes(ORIGINAL.replace(b"hello", b"HELLO"))
    os.utime(served, ns=(st.st_atime_ns, st.st_mtime_ns))
    cached("local/__init__.py").unlink()  # a file gone: its wheel is where it was unpacked from
    cached("gone/__init__.py").write_bytes(b"G = 2\n")
    (links / next(links.glob("gone-*.whl")).name).unlink()  # and no copy of the wheel anywhere
    download = next((cache() / "artifacts-v1").glob("??/*/served-1.0-*.whl"))
    download.write_bytes(download.read_bytes() + b"junk")

    proc = run_cove("cache", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "repaired: served-1.0-py3-none-any.whl (download): its content does not match" in out
    assert "repaired: local 1.0 (unpacked): local/__init__.py is missing; unpacked again" in out
    assert "repaired: gone 1.0 (unpacked): gone/__init__.py changed; removed" in out
    # served's download was damaged too, so nothing could unpack it again: removed as well.
    assert "repaired: served 1.0 (unpacked): served/__init__.py changed; removed" in out
    assert "NOT repaired" not in out
    assert cached("local/__init__.py").read_bytes() == b"L = 1\n"
    assert not download.exists()
    again = run_cove("cache", "verify")
    assert again.returncode == 0 and "Everything matches." in again.stdout
    assert "Checked 1 unpacked wheel " in again.stdout
    # The environment still works, and a new one gets what the index serves.
    fresh = venv(tmp_path / "fresh")
    with IndexServer(index) as server:
        run_cove("install", "-q", "-p", str(fresh), "-i", server.url, "served", check=True)
    assert (fresh / SITE / "served/__init__.py").read_bytes() == ORIGINAL


def test_cache_verify_fails_when_it_cannot_repair(tmp_path: Path, index: Index) -> None:
    index.add("stuck", "1.0", files={"stuck/__init__.py": b"S = 1\n"})
    env = venv(tmp_path / "env")
    run_cove("install", "-q", "-p", str(env), "--no-index", "-f", str(index.root / "files"),
             "stuck", check=True)  # fmt: skip
    module = cached("stuck/__init__.py")
    module.write_bytes(b"S = 2\n")
    (index.root / "files" / "stuck-1.0-py3-none-any.whl").unlink()
    entry = module.parent.parent
    if subprocess.run(["chattr", "+i", str(entry)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        proc = run_cove("cache", "verify")
    finally:
        subprocess.run(["chattr", "-i", str(entry)], check=True)
    assert proc.returncode == 1
    assert "NOT repaired: stuck 1.0 (unpacked): stuck/__init__.py changed; could not" in proc.stdout
    assert "Traceback" not in proc.stderr
