"""`cove cache dir|info|clean`: the cache's place, what it holds, and emptying it without
touching environments or files that are not cove's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cove.cache import INTERPRETERS, UNPACKED
from tests.conftest import pyenv_python, run_cove
from tests.support.index import Index

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")


def test_dir_info_and_clean(tmp_path: Path, index: Index) -> None:
    index.add("tidy", "1.0", files={"tidy/__init__.py": b"VALUE = 'kept'\n"})
    cache = Path(os.environ["COVE_CACHE_DIR"])
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    links = str(index.root / "files")
    run_cove("install", "-q", "-p", str(env), "--no-index", "-f", links, "tidy", check=True)
    assert run_cove("cache", "dir", check=True).stdout == f"{cache}\n"

    info = run_cove("cache", "info", check=True).stdout.splitlines()
    assert info[0] == f"Cache: {cache}"
    rows = {line.split()[0]: line.split()[1:] for line in info[2:]}
    assert {UNPACKED, INTERPRETERS, "total"} <= set(rows)
    assert int(rows[UNPACKED][0]) >= 4  # tidy's module, METADATA, WHEEL, RECORD, manifest

    mine = cache / "notes.txt"  # not cove's: never counted or removed
    mine.write_text("keep me\n")
    cleaned = run_cove("cache", "clean", check=True)
    assert f"Removed {rows['total'][0]} files" in cleaned.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["notes.txt"]
    done = subprocess.run([str(env / "bin/python"), "-c", "import tidy; print(tidy.VALUE)"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout == "kept\n"  # hardlinked files outlive the cache's copies
    again = run_cove("cache", "purge", check=True)
    assert "Nothing to remove" in again.stderr
    other = tmp_path / "env2"
    run_cove("create", "-q", "-p", str(PY), str(other), check=True)  # the cache fills again
    run_cove("install", "-q", "-p", str(other), "--no-index", "-f", links, "tidy", check=True)
    assert (cache / UNPACKED).is_dir()


def test_a_directory_that_is_no_cache_is_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "precious"
    home.mkdir()
    (home / "thesis-v2").mkdir()  # versioned like a bucket, but no name cove uses
    (home / "thesis-v2" / "chapter.txt").write_text("words\n")
    (home / "photos").mkdir()
    environ = {**os.environ, "COVE_CACHE_DIR": str(home)}
    done = run_cove("cache", "clean", env=environ)
    assert done.returncode == 0 and "Nothing to remove" in done.stderr
    assert sorted(p.name for p in home.iterdir()) == ["photos", "thesis-v2"]
    assert (home / "thesis-v2" / "chapter.txt").read_text() == "words\n"
    bad = run_cove("cache", "wipe")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
