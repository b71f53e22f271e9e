"""Transactions: a failure at any step leaves the environment exactly as it was."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cove.errors import WheelError
from cove.install.transaction import Transaction
from cove.install.uninstall import UninstallError, owned_paths
from cove.venv.scheme import Scheme
from tests.support.dists import WheelSpec, build_wheel

SITE = "lib/python3.12/site-packages"


def scheme(env: Path, name: str) -> Scheme:
    return Scheme.for_venv(
        env, site_packages=SITE, bin_dir="bin", python_short="3.12", dist_name=name
    )


def snapshot(env: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(env)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(env.rglob("*"))
    }


def install(txn: Transaction, wheel: Path, env: Path, name: str) -> None:
    txn.install(
        wheel,
        scheme(env, name),
        python=str(env / "bin/python"),
        python_version=(3, 12),
        requested=True,
        link_mode="hardlink",
    )


@pytest.fixture
def env(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    (env / SITE).mkdir(parents=True)
    (env / "bin").mkdir()
    return env


EPS = "[console_scripts]\nold-tool = old:main\n"


def test_replace_commits(env: Path, tmp_path: Path) -> None:
    v1 = build_wheel(tmp_path / "w", WheelSpec("old", "1.0", entry_points=EPS))
    v2 = build_wheel(tmp_path / "w", WheelSpec("old", "2.0"))
    cache = tmp_path / "cache"
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        install(txn, v1, env, "old")
        txn.commit()
    (env / SITE / "old" / "__pycache__").mkdir()
    (env / SITE / "old" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"pyc")
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        removed = txn.remove(env / SITE / "old-1.0.dist-info")
        install(txn, v2, env, "old")
        txn.commit()
    assert env / SITE / "old/__pycache__/__init__.cpython-312.pyc" in removed
    assert (env / SITE / "old/__init__.py").read_text() == "__version__ = '2.0'\n"
    assert not (env / "bin/old-tool").exists()
    assert not (env / SITE / "old-1.0.dist-info").exists()
    assert [p.name for p in env.iterdir() if p.name.startswith(".cove-txn")] == []


def test_failure_restores_everything(env: Path, tmp_path: Path) -> None:
    v1 = build_wheel(tmp_path / "w", WheelSpec("old", "1.0", entry_points=EPS))
    cache = tmp_path / "cache"
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        install(txn, v1, env, "old")
        txn.commit()
    before = snapshot(env)
    good = build_wheel(tmp_path / "w", WheelSpec("good", "1.0"))
    bad = build_wheel(tmp_path / "w", WheelSpec("bad", "1.0", entry_points=EPS))  # old-tool clash
    with (
        pytest.raises(WheelError, match="would overwrite"),
        Transaction(env, cache, (env / SITE, env / "bin")) as txn,
    ):
        txn.remove(env / SITE / "old-1.0.dist-info")
        install(txn, good, env, "good")
        (env / "bin/old-tool").write_text("placed by someone else")
        install(txn, bad, env, "bad")
    (env / "bin/old-tool").unlink(missing_ok=True)
    after = snapshot(env)
    after.pop("bin/old-tool", None)
    before.pop("bin/old-tool", None)
    assert after == before


def test_interrupt_restores(env: Path, tmp_path: Path) -> None:
    v1 = build_wheel(tmp_path / "w", WheelSpec("old", "1.0"))
    with Transaction(env, tmp_path / "c", (env / SITE,)) as txn:
        install(txn, v1, env, "old")
        txn.commit()
    before = snapshot(env)
    with pytest.raises(KeyboardInterrupt), Transaction(env, tmp_path / "c", (env / SITE,)) as txn:
        txn.remove(env / SITE / "old-1.0.dist-info")
        raise KeyboardInterrupt
    assert snapshot(env) == before


def test_site_packages_survive_removing_the_last_dist(env: Path, tmp_path: Path) -> None:
    v1 = build_wheel(tmp_path / "w", WheelSpec("only", "1.0"))
    with Transaction(env, tmp_path / "c", (env / SITE, env / "bin")) as txn:
        install(txn, v1, env, "only")
        txn.commit()
    with Transaction(env, tmp_path / "c", (env / SITE, env / "bin")) as txn:
        txn.remove(env / SITE / "only-1.0.dist-info")
        txn.commit()
    assert (env / SITE).is_dir() and list((env / SITE).iterdir()) == []


def test_no_record_is_refused(env: Path) -> None:
    info = env / SITE / "legacy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: legacy\nVersion: 1.0\n")
    with pytest.raises(UninstallError, match="no RECORD"):
        owned_paths(info, env)


def test_record_paths_outside_the_environment_are_ignored(env: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    info = env / SITE / "evil-1.0.dist-info"
    info.mkdir()
    rel = os.path.relpath(victim, env / SITE)
    (info / "RECORD").write_text(f"{rel},,\nevil-1.0.dist-info/RECORD,,\n")
    assert victim not in owned_paths(info, env)


KILLER = """
import os, signal, sys
from pathlib import Path
from cove.venv.scheme import Scheme
from cove.install.transaction import Transaction
import cove.install.wheel as wheel_module

env, cache, old_info, new_wheel = map(Path, sys.argv[1:5])
scheme = Scheme.for_venv(env, site_packages="lib/python3.12/site-packages", bin_dir="bin",
                         python_short="3.12", dist_name="old")
count = 0
real = wheel_module._place

def dying(*args, **kw):
    global count
    count += 1
    if count == 3:  # two files linked, the journal written: killed mid-install
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind runs
    return real(*args, **kw)

wheel_module._place = dying
with Transaction(env, cache, (env / "lib/python3.12/site-packages", env / "bin")) as txn:
    txn.remove(old_info)
    txn.install(new_wheel, scheme, python="/x/python", python_version=(3, 12), requested=True,
                link_mode="hardlink")
    txn.commit()
"""


def test_killed_install_is_undone_by_the_next_run(env: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    v1 = build_wheel(tmp_path / "w", WheelSpec("old", "1.0", entry_points=EPS))
    v2 = build_wheel(
        tmp_path / "w",
        WheelSpec("old", "2.0", files={"old/a.py": b"a", "old/b.py": b"b", "old/c.py": b"c"}),
    )
    cache = tmp_path / "cache"
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        install(txn, v1, env, "old")
        txn.commit()
    before = snapshot(env)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLER,
            str(env),
            str(cache),
            str(env / SITE / "old-1.0.dist-info"),
            str(v2),
        ],
        capture_output=True,
    )
    assert proc.returncode == -9
    assert list(env.glob(".cove-txn-*")), "the killed run left its journal behind"
    assert snapshot(env) != before
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        txn.commit()  # entering repairs the environment first
    assert snapshot(env) == before
    assert not list(env.glob(".cove-txn-*"))


@pytest.mark.parametrize("mode", ["copy", "clone", "symlink"])
def test_link_modes(mode: str, env: Path, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", WheelSpec("moded", "1.0"))
    with Transaction(env, tmp_path / "cache", (env / SITE,)) as txn:
        done = txn.install(
            wheel,
            scheme(env, "moded"),
            python="/x/python",
            python_version=(3, 12),
            requested=True,
            link_mode=mode,  # type: ignore[arg-type]
        )
        txn.commit()
    module = env / SITE / "moded" / "__init__.py"
    assert module.read_text() == "__version__ = '1.0'\n"
    cached = next((tmp_path / "cache").rglob("moded/__init__.py"))
    if mode == "symlink":
        assert module.is_symlink()
    else:
        assert not module.is_symlink() and module.stat().st_ino != cached.stat().st_ino
    if mode != "symlink":
        # A copy or a copy-on-write clone: editing the environment's file leaves the cache alone.
        with open(module, "a") as f:
            f.write("# edited\n")
        assert cached.read_text() == "__version__ = '1.0'\n"
    assert done.files and str(module) in done.files


def test_compiled_bytecode_goes_with_a_rollback_and_with_a_killed_run(
    env: Path, tmp_path: Path
) -> None:
    """Bytecode compiled inside a transaction is journaled before it exists: a failure, or the
    next run after a kill, removes it with the rest of the new files."""
    import sys

    from cove.install.transaction import recover

    wheel = build_wheel(
        tmp_path / "w", WheelSpec("pkg", "1.0", files={"pkg/__init__.py": b"X = 1\n"})
    )
    tag = sys.implementation.cache_tag
    before = snapshot(env)
    with (
        pytest.raises(RuntimeError),
        Transaction(env, tmp_path / "cache", (env / SITE, env / "bin")) as txn,
    ):
        install(txn, wheel, env, "pkg")
        txn.compiled(Path(sys.executable), tag)
        (dist,) = txn.added
        pyc = env / SITE / "pkg" / "__pycache__" / f"__init__.{tag}.pyc"
        assert pyc.exists() and str(pyc) in dist.files
        assert f"pkg/__pycache__/__init__.{tag}.pyc,," in (dist.dist_info / "RECORD").read_text()
        raise RuntimeError("fails before commit")
    assert snapshot(env) == before
    txn = Transaction(env, tmp_path / "cache", (env / SITE, env / "bin"))
    txn.__enter__()
    install(txn, wheel, env, "pkg")
    txn.compiled(Path(sys.executable), tag)
    txn._added_log.close()  # killed here: no commit, no rollback, only the journal is left
    txn._moved_log.close()
    txn._lock.release()
    assert (env / SITE / "pkg" / "__pycache__").exists()
    recover(env)
    assert snapshot(env) == before


DIES_DELETING_THE_OLD_FILES = """
import os, shutil, signal, sys
from pathlib import Path
from cove.venv.scheme import Scheme
from cove.install.transaction import Transaction

env, cache, old_info, new_wheel = map(Path, sys.argv[1:5])
site = "lib/python3.12/site-packages"
scheme = Scheme.for_venv(env, site_packages=site, bin_dir="bin", python_short="3.12",
                         dist_name="old")
real = shutil.rmtree

def dying(path, ignore_errors=False):
    # Deletes what a kill in the middle of the commit's clean-up may have deleted (the marker
    # and the old files kept aside) and leaves the journal's logs, then dies.
    (Path(path) / "COMMITTED").unlink(missing_ok=True)
    for child in Path(path).iterdir():
        if child.is_dir():
            real(child)
    os.kill(os.getpid(), signal.SIGKILL)

with Transaction(env, cache, (env / site, env / "bin")) as txn:
    txn.remove(old_info)
    txn.install(new_wheel, scheme, python="/x/python", python_version=(3, 12), requested=True,
                link_mode="hardlink")
    shutil.rmtree = dying
    txn.commit()
"""


def test_killed_while_deleting_the_old_files_after_commit_keeps_the_new(
    env: Path, tmp_path: Path
) -> None:
    """Past the commit point nothing may be undone, however far the clean-up got: a journal
    whose old files are gone but whose logs remain must not be taken for an undoable one."""
    import subprocess
    import sys

    v1 = build_wheel(tmp_path / "w", WheelSpec("old", "1.0", entry_points=EPS))
    v2 = build_wheel(tmp_path / "w", WheelSpec("old", "2.0", files={"old/a.py": b"a"}))
    cache = tmp_path / "cache"
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        install(txn, v2, env, "old")
        txn.commit()
    new = snapshot(env)
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        txn.remove(env / SITE / "old-2.0.dist-info")
        install(txn, v1, env, "old")
        txn.commit()
    argv = [str(env), str(cache), str(env / SITE / "old-1.0.dist-info"), str(v2)]
    proc = subprocess.run([sys.executable, "-c", DIES_DELETING_THE_OLD_FILES, *argv])
    assert proc.returncode == -9
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        txn.commit()  # entering finishes what was left
    assert snapshot(env) == new
    assert [p.name for p in env.iterdir() if p.name.startswith(".cove")] == []


HOLDER = """
import sys, time
from pathlib import Path
from cove.venv.lock import environment_lock

with environment_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()  # until the test says so
"""


def _hold(env: Path) -> subprocess.Popen[str]:
    import sys

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(env)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def _let_go(holder: subprocess.Popen[str]) -> None:
    holder.communicate("\n", timeout=30)
    assert holder.returncode == 0


@pytest.mark.timeout(60)
def test_the_lock_is_the_environment_directory_itself(env: Path) -> None:
    """Another process holding it keeps this one out (a lock file nowhere: not in the
    environment, not in a temporary directory); it is reentrant within a process."""
    from cove.venv.lock import environment_lock

    before = sorted(os.listdir(env))
    holder = _hold(env)
    try:
        assert not environment_lock(env).acquire(blocking=False)
    finally:
        _let_go(holder)
    lock = environment_lock(env)
    assert lock.acquire(blocking=False) and lock.acquire(blocking=False)
    lock.release()
    assert not _free_for_others(env)  # still held once
    lock.release()
    assert _free_for_others(env)
    assert sorted(os.listdir(env)) == before


def _free_for_others(env: Path) -> bool:
    """Whether another process can take the lock right now."""
    import sys

    code = "import sys; from pathlib import Path; from cove.venv.lock import "
    code += "environment_lock; sys.exit(0 if environment_lock(Path(sys.argv[1])).acquire("
    code += "blocking=False) else 3)"
    done = subprocess.run([sys.executable, "-c", code, str(env)], timeout=30)
    return done.returncode == 0


@pytest.mark.timeout(60)
def test_a_waiter_follows_an_environment_swapped_while_it_waited(env: Path) -> None:
    """``cove create --clear`` swaps a new directory in: a process that waited on the old one
    must end up holding the lock of the one now at the path, which others will look at."""
    import threading

    from cove.venv.lock import environment_lock

    holder = _hold(env)
    waiting = threading.Event()
    lock = environment_lock(env, waiting=waiting.set)
    taker = threading.Thread(target=lock.acquire)
    taker.start()
    assert waiting.wait(30)  # blocked on the old directory
    env.rename(env.with_name("old-env"))
    env.mkdir()
    _let_go(holder)
    taker.join(30)
    assert not taker.is_alive()
    assert not _free_for_others(env)  # it holds the new directory's lock
    lock.release()
    assert _free_for_others(env)
