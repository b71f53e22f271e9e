"""Half of a large link plan is carried out by a forked child (install/forked.py): the result is
the one a single process makes, a failure in the child's half is undone like any other, and a
kill on either side leaves nothing the next command cannot recover. The tests lower the size
at which cove forks (COVE_TEST_FORK_LINK_MIN) and count the forks through a small wrapper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, run_cove
from tests.integration.test_install import freeze, make_env, snapshot
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(
    PY is None or sys.platform != "linux" or (os.cpu_count() or 1) < 2,
    reason="needs pyenv's Python 3.12, Linux and two cores",
)

# cove's CLI with os.fork counted: each fork appends a line to $FORKS (and with $STATS, the stats
# of the cache's files).
WRAPPER = """
import os, runpy, sys
real = os.fork
def fork():
    with open(os.environ["FORKS"], "a") as out:
        out.write("fork\\n")
    if os.environ.get("FORK_FAILS"):
        raise BlockingIOError(11, "Resource temporarily unavailable")
    return real()
os.fork = fork
if os.environ.get("STATS"):  # each stat of a file in the cache's unpacked wheels: "pid path"
    real_stat = os.stat
    def stat(path, *args, **kwargs):
        if "/unpacked-" in str(path):
            with open(os.environ["STATS"], "a") as out:
                out.write(f"{os.getpid()} {path}\\n")
        return real_stat(path, *args, **kwargs)
    os.stat = stat
sys.argv[0] = "cove"
runpy.run_module("cove", run_name="__main__", alter_sys=True)
"""


def counted_cove(
    *args: str, forks: Path, fork_min: int, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORKS": str(forks), "COVE_TEST_FORK_LINK_MIN": str(fork_min)}
    env.pop("COVE_TEST_KILL_AT", None)
    env.update(extra or {})
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def forks(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def several(index: Index) -> Index:
    """Wheels of different sizes, with console scripts and data files, one needing the next."""
    for n, size in enumerate((40, 25, 12, 6, 3)):
        files = {f"pkg{n}/__init__.py": b"", **{f"pkg{n}/m{i}.py": b"x = 1\n" for i in range(size)}}
        index.add(
            f"pkg{n}",
            "1.0",
            files=files,
            requires=[f"pkg{n + 1}"] if n < 4 else [],
            entry_points=f"[console_scripts]\npkg{n}-tool = pkg{n}:main\n",
        )
    return index


def normalized(env: Path) -> dict[str, bytes]:
    """The environment's files with its own path taken out: launchers name it, so their rows in
    RECORD (hash and size) differ between two environments and are left out there."""
    out = {}
    for path, data in snapshot(env).items():
        if path.endswith(".dist-info/RECORD"):
            data = b"".join(
                row for row in data.splitlines(True) if not row.startswith(b"../../../bin/")
            )
        out[path] = data.replace(str(env).encode(), b"ENV")
    return out


def test_a_forked_link_makes_what_one_process_makes(tmp_path: Path, several: Index) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = make_env(tmp_path / "a"), make_env(tmp_path / "b")  # one name: one prompt
    with IndexServer(several) as server:
        single = counted_cove("install", "-q", "-p", str(one), "-i", server.url, "pkg0",
                              forks=tmp_path / "f1", fork_min=10**9)  # fmt: skip
        forked = counted_cove("install", "-q", "-p", str(two), "-i", server.url, "pkg0",
                              forks=tmp_path / "f2", fork_min=1)  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert forked.returncode == 0, forked.stderr
    assert forks(tmp_path / "f1") == 0 and forks(tmp_path / "f2") == 1
    assert normalized(one) == normalized(two)
    assert freeze(two) == freeze(one) and any(line.startswith("pkg4==") for line in freeze(two))
    assert run_cove("check", "-p", str(two)).returncode == 0


def test_a_failure_in_the_childs_half_is_undone(tmp_path: Path, several: Index) -> None:
    """pkg1 (the second largest, so the child's) must make its package directory where a
    dangling symlink is (the plan, made before, cannot see it as a directory): linking fails
    there, the error names the path, and nothing of any wheel is left."""
    env = make_env(tmp_path)
    site = next((env / "lib").glob("python3.*/site-packages"))
    (site / "pkg1").symlink_to(tmp_path / "nowhere")
    before = snapshot(env)
    with IndexServer(several) as server:
        proc = counted_cove("install", "-p", str(env), "-i", server.url, "pkg0",
                            forks=tmp_path / "f", fork_min=1)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert forks(tmp_path / "f") == 1
    assert str(site / "pkg1") in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert snapshot(env) == before
    assert not (site / "pkg0").exists() and not list(site.glob("pkg*.dist-info"))


def test_a_fork_that_fails_leaves_the_linking_to_this_process(
    tmp_path: Path, several: Index
) -> None:
    """No process left for a child (fork fails with EAGAIN): the install links on its own."""
    env = make_env(tmp_path)
    with IndexServer(several) as server:
        proc = counted_cove("install", "-q", "-p", str(env), "-i", server.url, "pkg0",
                            forks=tmp_path / "f", fork_min=1,
                            extra={"FORK_FAILS": "1"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert forks(tmp_path / "f") == 1
    assert any(line.startswith("pkg4==") for line in freeze(env))
    assert run_cove("check", "-p", str(env)).returncode == 0


@pytest.mark.parametrize("point", ["link", "record"])
def test_a_kill_on_either_side_is_recovered(tmp_path: Path, several: Index, point: str) -> None:
    """Killed at a kill point that either process may reach first: the command fails, and the
    next one finds the environment as it was (recovering what the journal lists) and installs."""
    env = make_env(tmp_path)
    before = snapshot(env)
    with IndexServer(several) as server:
        killed = counted_cove("install", "-p", str(env), "-i", server.url, "pkg0",
                              forks=tmp_path / "f", fork_min=1,
                              extra={"COVE_TEST_KILL_AT": point})  # fmt: skip
        assert killed.returncode != 0
        assert forks(tmp_path / "f") == 1
        assert "Traceback" not in killed.stderr
        listed = run_cove("list", "-p", str(env))  # a read: recovers an abandoned journal first
        assert listed.returncode == 0, listed.stderr
        assert snapshot(env) == before
        again = run_cove("install", "-q", "-p", str(env), "-i", server.url, "pkg0")
    assert again.returncode == 0, again.stderr
    assert any(line.startswith("pkg4==") for line in freeze(env))


def test_each_process_checks_the_cache_files_it_links(
    tmp_path: Path, several: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's tamper check (a stat of each file against its stamp) is made by the process
    that links the file: the child checks its half, so the check is split as the links are."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))
    with IndexServer(several) as server:
        first = run_cove("install", "-q", "-p", str(make_env(tmp_path / "a")), "-i", server.url,
                         "pkg0")  # fmt: skip
        assert first.returncode == 0, first.stderr  # the wheels are unpacked, stamped
        (tmp_path / "b").mkdir()
        proc = counted_cove("install", "-q", "-p", str(make_env(tmp_path / "b")), "-i",
                            server.url, "pkg0", forks=tmp_path / "f", fork_min=1,
                            extra={"STATS": str(tmp_path / "stats")})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert forks(tmp_path / "f") == 1
    by_pid: dict[str, list[str]] = {}
    for line in (tmp_path / "stats").read_text().splitlines():
        pid, path = line.split(" ", 1)
        by_pid.setdefault(pid, []).append(path)
    modules = {str(p) for p in (tmp_path / "cache" / UNPACKED).glob("*/pkg*/m*.py")}
    assert len(modules) == 40 + 25 + 12 + 6 + 3
    checked = [set(paths) & modules for paths in by_pid.values()]
    assert len(checked) == 2 and all(checked), by_pid.keys()  # both processes checked some
    assert checked[0].isdisjoint(checked[1]) and checked[0] | checked[1] == modules


def test_an_edit_found_by_the_childs_check_is_undone_and_repaired(
    tmp_path: Path, several: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file edited in place in an environment hardlinked to the cache, found by the forked
    link's check: what either process linked is undone, the entry is unpacked again (and said
    so), and the install is made again from it."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first, second = make_env(tmp_path / "a"), make_env(tmp_path / "b")
    clean = make_env(tmp_path / "c")
    with IndexServer(several) as server:
        assert run_cove("install", "-q", "-p", str(first), "-i", server.url, "pkg0").returncode == 0
        site = next((first / "lib").glob("python3.*/site-packages"))
        for name in ("pkg0/m1.py", "pkg1/m1.py"):  # one in each half
            with open(site / name, "a") as f:
                f.write("print('debugging')\n")
        proc = counted_cove("install", "-p", str(second), "-i", server.url, "pkg0",
                            forks=tmp_path / "f", fork_min=1)  # fmt: skip
        fresh = run_cove("install", "-q", "-p", str(clean), "-i", server.url, "pkg0")
    assert proc.returncode == 0, proc.stderr
    assert forks(tmp_path / "f") >= 1
    assert "the cache's copy of pkg0 1.0 had changed (pkg0/m1.py" in proc.stderr, proc.stderr
    assert "the cache's copy of pkg1 1.0 had changed (pkg1/m1.py" in proc.stderr, proc.stderr
    assert fresh.returncode == 0 and "had changed" not in fresh.stderr
    assert normalized(second) == normalized(clean)
    assert (site / "pkg0/m1.py").read_bytes().endswith(b"print('debugging')\n")
    assert run_cove("check", "-p", str(second)).returncode == 0
