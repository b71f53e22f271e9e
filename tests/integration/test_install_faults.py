"""Kills and full disks lose nothing: an install that fails mid-file, or is killed (SIGKILL) at
any moment, leaves every distribution whole-old or whole-new once the next cove command has
looked at the environment; and the environment's lock holds across users' TMPDIRs."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, record_hash
from tests.support.index import Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"


def venv(where: Path) -> Path:
    assert PY is not None
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def tree(env: Path) -> dict[str, bytes | None]:
    """Every path (directories too, as None) and every file's bytes."""
    return {
        p.relative_to(env).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(env.rglob("*"))
        if "__pycache__" not in p.parts
    }


def whole(env: Path) -> dict[str, str]:
    """{name: version} of what is installed, each RECORD checked: every file present with its
    hash; a distribution installed twice or a broken RECORD fails the test."""
    found: dict[str, str] = {}
    site = env / SITE
    for info in sorted(site.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        assert name not in found, f"{name} is installed twice"
        found[name] = version
        record = info / "RECORD"
        assert record.is_file(), f"{info.name} has no RECORD"
        for line in record.read_text().splitlines():
            path, digest, size = line.rsplit(",", 2)
            target = site / path
            assert target.is_file(), f"{info.name}: {path} is missing"
            if digest:
                data = target.read_bytes()
                assert record_hash(data) == digest and len(data) == int(size), path
    return found


def pip_check(env: Path) -> subprocess.CompletedProcess[str]:
    assert PY is not None
    pip = next(PY.parent.parent.glob("lib/python3.12/ensurepip/_bundled/pip-*.whl"))
    environ = {"PATH": os.environ["PATH"], "PIP_CONFIG_FILE": os.devnull,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    return subprocess.run([str(env / "bin/python"), f"{pip}/pip", "check"],
                          capture_output=True, text=True, env=environ)  # fmt: skip


# -- a failed copy ---------------------------------------------------------------------------


def _no_bigger_files_than(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before it runs cove
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root and a sandbox that allows mounts)."""
    where = tmp_path / "disk"
    where.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
                       check=True, capture_output=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("full", ["file-size-limit", "tmpfs"])
def test_a_copy_that_fails_mid_file_changes_nothing(
    full: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """--link-mode copy of a 3 MiB file onto a full disk (or past RLIMIT_FSIZE): the partly
    written file goes with the rest, the old version is back, and once there is room the same
    install works (nothing left in the way)."""
    links = tmp_path / "links"
    from tests.support.dists import build_wheel

    build_wheel(links, WheelSpec("bulky", "1.0"))
    blob = random.Random(7).randbytes(3 << 20)
    files = {"bulky/__init__.py": b"V = 2\n", "bulky/blob.bin": blob, "bulky/z.py": b"Z = 1\n"}
    build_wheel(links, WheelSpec("bulky", "2.0", files=files))
    where = request.getfixturevalue("small_disk") if full == "tmpfs" else tmp_path
    env = venv(where / "env")
    install = ["install", "-q", "-p", str(env), "--no-index", "-f", str(links), "--link-mode",
               "copy"]  # fmt: skip
    run_cove(*install, "bulky==1.0", check=True)
    run_cove(*install[:3], str(venv(tmp_path / "warm")), *install[4:], "bulky==2.0", check=True)
    before = tree(env)
    limit = _no_bigger_files_than(1 << 20) if full == "file-size-limit" else None
    proc = subprocess.run([sys.executable, "-m", "cove", *install, "bulky==2.0"],
                          capture_output=True, text=True, preexec_fn=limit,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "blob.bin" in proc.stderr
    assert tree(env) == before  # no half-written blob.bin, no journal left behind
    assert whole(env) == {"bulky": "1.0"}
    if full == "tmpfs":
        subprocess.run(["mount", "-o", "remount,size=16m", str(where)], check=True)
    again = run_cove(*install, "bulky==2.0")
    assert again.returncode == 0, again.stderr
    assert whole(env) == {"bulky": "2.0"}
    assert (env / SITE / "bulky/blob.bin").read_bytes() == blob


# -- the environment's lock ------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_two_processes_with_different_tmpdirs_exclude_each_other(
    tmp_path: Path, index: Index
) -> None:
    """One install is held inside the lock (its download waits on the server); another, with
    another TMPDIR, waits for it instead of planning from the same state, and neither leaves
    a lock file anywhere (not in either TMPDIR, not in the environment)."""
    index.add("first", "1.0")
    index.add("second", "1.0", requires=["first"])
    env = venv(tmp_path / "env")
    before = set(os.listdir(env))
    tmpdirs = [tmp_path / "tmp-a", tmp_path / "tmp-b"]
    for d in tmpdirs:
        d.mkdir()
    gate = threading.Event()
    with IndexServer(index, ServerOptions(hold_files=gate)) as server:
        cmd = [sys.executable, "-m", "cove", "install", "-p", str(env), "-i", server.url]
        a = subprocess.Popen([*cmd, "first"], env={**os.environ, "TMPDIR": str(tmpdirs[0])},
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not server.count(".whl.metadata") and not server.count(".whl"):
                assert a.poll() is None, a.communicate()[1]
                assert time.monotonic() < deadline, "the first install never asked for a file"
                time.sleep(0.05)
            # The first holds the lock now (it is taken before anything is read).
            b = subprocess.Popen([*cmd, "second"], env={**os.environ, "TMPDIR": str(tmpdirs[1])},
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
            assert b.stderr is not None
            first_line = b.stderr.readline()
            assert "another cove process is changing" in first_line, first_line
            assert b.poll() is None and not list((env / SITE).glob("second-*"))
        finally:
            gate.set()
        _, err_a = a.communicate(timeout=120)
        _, err_b = b.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    assert " + first==1.0" in err_a
    assert "first" not in err_b.replace("another cove", "")  # it saw first installed already
    assert whole(env) == {"first": "1.0", "second": "1.0"}
    assert [list(d.iterdir()) for d in tmpdirs] == [[], []]
    assert set(os.listdir(env)) == before


# -- killed at any moment --------------------------------------------------------------------


def kill_index(index: Index, payload: int = 0, modules: int = 12) -> None:
    """Three distributions at 1.0 and 2.0 (many modules, a script, data), and a new one."""
    noise = random.Random(3).randbytes(payload) if payload else b""
    for version in ("1.0", "2.0"):
        files = {f"alpha/m{i}.py": f"N = {i}  # {version}\n".encode() for i in range(modules)}
        files["alpha/__init__.py"] = f"V = {version!r}\n".encode()
        if noise:
            files["alpha/noise.bin"] = noise
        index.add("alpha", version, files=files)
        index.add(
            "beta", version, requires=[f"alpha=={version}"],
            entry_points="[console_scripts]\nbeta = beta:main\n",
            files={"beta/__init__.py": f"def main():\n    print({version!r})\n".encode(),
                   **({"beta/noise.bin": noise} if noise else {})},
        )  # fmt: skip
        index.add("gamma", version, files={
            "gamma.py": f"V = {version!r}\n".encode(),
            f"gamma-{version}.data/data/share/gamma/notes.txt": version.encode(),
        })  # fmt: skip
    index.add("delta", "1.0", requires=["alpha>=2"])


OLD = {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
NEW = {"alpha": "2.0", "beta": "2.0", "gamma": "2.0", "delta": "1.0"}
NEW_REQS = ["alpha==2.0", "beta==2.0", "gamma==2.0", "delta"]


def journals(env: Path) -> list[Path]:
    return [*env.glob(".cove-txn-*"), *env.glob(".cove-done-*")]


KILLED_MID_LINK = """
import os, signal, sys
from pathlib import Path
import cove.install.wheel as wheel_module
from cove.venv.scheme import Scheme
from cove.install.transaction import Transaction

env, cache, old_info, new_wheel = map(Path, sys.argv[1:5])
site = "lib/python3.12/site-packages"
scheme = Scheme.for_venv(env, site_packages=site, bin_dir="bin", python_short="3.12",
                         dist_name="alpha")
real, count = wheel_module._place, [0]

def dying(*args, **kw):
    count[0] += 1
    if count[0] == 3:  # two files linked: killed mid-install, no cleanup of any kind
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kw)

wheel_module._place = dying
with Transaction(env, cache, (env / site, env / "bin")) as txn:
    txn.remove(old_info)
    txn.install(new_wheel, scheme, python="/x/python", python_version=(3, 12), requested=True,
                link_mode="hardlink")
    txn.commit()
"""


def test_the_next_install_undoes_a_killed_one_before_reading_the_environment(
    tmp_path: Path, index: Index
) -> None:
    """Killed mid-upgrade, the old version's files are aside and half the new ones linked; the
    next install must put the old version back before it judges what is installed (reading
    first, it saw nothing installed and then tripped over the files it had restored)."""
    kill_index(index)
    env = venv(tmp_path / "env")
    cache = tmp_path / "cache"
    environ = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    run_cove("install", "-p", str(env), "-i", index.file_url, "alpha==1.0", env=environ,
             check=True)  # fmt: skip
    before = tree(env)
    new = next(p for p in (index.root / "files").iterdir() if p.name.startswith("alpha-2.0-"))
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_LINK, str(env), str(cache),
                             str(env / SITE / "alpha-1.0.dist-info"), str(new)])  # fmt: skip
    assert killed.returncode == -9
    again = run_cove("install", "-p", str(env), "-i", index.file_url, "alpha==1.0", env=environ)
    assert again.returncode == 0, again.stderr
    assert f"undid an interrupted install or uninstall in {env}" in again.stderr
    assert "Nothing to change" in again.stderr
    assert tree(env) == before and whole(env) == {"alpha": "1.0"}


def test_freeze_after_a_kill_shows_the_old_state(tmp_path: Path, index: Index) -> None:
    """Commands that only read (freeze here) finish or undo a killed install first too."""
    kill_index(index)
    env = venv(tmp_path / "env")
    install = ["install", "-p", str(env), "-i", index.file_url]
    run_cove(*install, *(f"{n}=={v}" for n, v in OLD.items()), check=True)
    before = tree(env)
    killed = run_cove(*install, *NEW_REQS, env={**os.environ, "COVE_TEST_KILL_AT": "link"})
    assert killed.returncode == -9 and journals(env)
    frozen = run_cove("freeze", "-p", str(env))
    assert frozen.returncode == 0, frozen.stderr
    assert frozen.stdout == "".join(f"{n}=={v}\n" for n, v in OLD.items())
    assert f"undid an interrupted install or uninstall in {env}" in frozen.stderr
    assert tree(env) == before and not journals(env)
    quiet = run_cove("freeze", "-p", str(env))
    assert quiet.stderr == "" and quiet.stdout == frozen.stdout


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "phase",
    ["download", "unpack", "remove", "link", "record", "compile", "commit", "committed"],
)
def test_killed_at_each_phase(phase: str, tmp_path: Path, index: Index) -> None:
    kill_index(index)
    env = venv(tmp_path / "env")
    cache = {**os.environ, "COVE_CACHE_DIR": str(tmp_path / "cache")}
    with IndexServer(index) as server:
        base = ["install", "-p", str(env), "-i", server.url]
        run_cove(*base, *(f"{n}=={v}" for n, v in OLD.items()), env=cache, check=True)
        before = tree(env)
        flags = ["--compile-bytecode"] if phase == "compile" else []
        killed = run_cove(*base, *flags, *NEW_REQS, env={**cache, "COVE_TEST_KILL_AT": phase})
        assert killed.returncode == -9, killed.stderr
        left = journals(env)
        assert bool(left) == (phase not in ("download", "unpack")), phase
        # The next command (a dry run here) finishes or undoes the killed one, and says so.
        look = run_cove(*base, "--dry-run", *NEW_REQS, env=cache)
        assert look.returncode == 0, look.stderr
        assert not journals(env)
        if phase == "committed":
            assert f"finished cleaning up after an interrupted install in {env}" in look.stderr
            assert whole(env) == NEW
        else:
            assert tree(env) == before and whole(env) == OLD
            if left:
                assert f"undid an interrupted install or uninstall in {env} (" in look.stderr
        again = run_cove(*base, *flags, *NEW_REQS, env=cache)
    assert again.returncode == 0, again.stderr
    assert "interrupted" not in again.stderr
    assert whole(env) == NEW
    assert run_cove("check", "-p", str(env), env=cache).returncode == 0
    assert pip_check(env).returncode == 0


@pytest.mark.timeout(600)
def test_killed_at_random_moments(tmp_path: Path, index: Index) -> None:
    """SIGKILL from outside at random moments of upgrades and downgrades of several wheels
    (slow downloads, a cold cache each time): every other run anywhere in the whole command,
    the others once its transaction has begun (when its journal appears)."""
    kill_index(index, payload=256 * 1024, modules=1500)
    env = venv(tmp_path / "env")
    rng = random.Random(int(os.environ.get("COVE_TEST_SEED", "0")) or None)
    with IndexServer(index, ServerOptions(wheel_chunk_delay=0.02)) as server:
        base = [sys.executable, "-m", "cove", "install", "-q", "-p", str(env), "-i", server.url]
        old = [f"{n}=={v}" for n, v in OLD.items()]
        new = [f"{n}==2.0" for n in OLD]
        for n, want in enumerate((old, new, old)):  # how long a whole run takes, undisturbed
            started = time.monotonic()
            environ = {**os.environ, "COVE_CACHE_DIR": str(tmp_path / f"cache-warm-{n}")}
            subprocess.run([*base, *want], env=environ, check=True, timeout=120)
            took = time.monotonic() - started
        seen = []
        for run in range(10):
            want = new if run % 2 == 0 else old
            environ = {**os.environ, "COVE_CACHE_DIR": str(tmp_path / f"cache-{run}")}
            proc = subprocess.Popen([*base, *want], env=environ, stderr=subprocess.PIPE)
            if run % 4 < 2:
                time.sleep(rng.uniform(0.05, took))
            else:
                while not journals(env) and proc.poll() is None:
                    time.sleep(0.001)
                time.sleep(rng.uniform(0, 0.25))
            proc.kill()
            proc.communicate(timeout=60)
            seen.append([sorted(os.listdir(j)) for j in journals(env)])
            look = run_cove("install", "-p", str(env), "-i", server.url, "--dry-run", *want,
                            env=environ)  # fmt: skip
            assert look.returncode == 0, look.stderr
            assert whole(env) in (OLD, dict.fromkeys(OLD, "2.0")), (run, seen[-1])
            done = run_cove("install", "-p", str(env), "-i", server.url, *want, env=environ)
            assert done.returncode == 0, done.stderr
            assert whole(env) == {n: v for n, _, v in (r.partition("==") for r in want)}
    print("journals found after each kill:", seen)
    assert not journals(env)
    assert run_cove("check", "-p", str(env)).returncode == 0
    assert pip_check(env).returncode == 0
