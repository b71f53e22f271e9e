"""`cove install` / `cove uninstall` against a real index server on 127.0.0.1, file:// indexes
and find-links directories: results, safety, and file-for-file equality with pip."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, run_cove
from tests.support.dists import file_sha256
from tests.support.index import Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"


def web_index(index: Index) -> Index:
    """A small web stack shaped like flask's, with an extra, a marker, a script and old pins."""
    index.add(
        "Flask", "2.0", requires=["click>=7", "Jinja2>=3"], extras={"async": ["asgiref>=3"]},
        entry_points="[console_scripts]\nflask = flask:main\n",
        files={"flask/__init__.py": b"__version__ = '2.0'\ndef main():\n    print('flask 2.0')\n"},
    )  # fmt: skip
    index.add("Flask", "3.0", requires=["click>=8"], requires_python=">=3.13")
    index.add("click", "7.0")
    index.add("click", "8.1")
    index.add("click", "8.2", yanked="broken release")
    index.add("Jinja2", "3.1", requires=["MarkupSafe>=2", 'colorama; sys_platform == "win32"'])
    index.add("MarkupSafe", "1.1")
    index.add("MarkupSafe", "2.1")
    index.add("asgiref", "3.7")
    return index


def make_env(where: Path, name: str = "env") -> Path:
    env = where / name
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    return env


def snapshot(env: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(env.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".cove"):
            out[p.relative_to(env).as_posix()] = p.read_bytes()
    return out


def pip(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ["PATH"],
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }
    return subprocess.run(
        [str(env / "bin/pip"), *args],  # as people run it: the launcher
        capture_output=True, text=True, env=environ, check=False,
    )  # fmt: skip


def freeze(env: Path) -> list[str]:
    return pip(env, "freeze", "--all").stdout.splitlines()


def test_install_resolves_extras_markers_and_scripts(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    with IndexServer(index) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "flask[async]")
    assert proc.returncode == 0, proc.stderr
    assert "Resolved 5 packages" in proc.stderr and " + flask==2.0" in proc.stderr
    assert set(freeze(env)) >= {
        "asgiref==3.7", "click==8.1", "Flask==2.0", "Jinja2==3.1", "MarkupSafe==2.1",
    }  # fmt: skip
    assert not any(line.startswith("colorama") for line in freeze(env))  # win32 marker
    assert pip(env, "check").returncode == 0
    out = subprocess.run([str(env / "bin/flask")], capture_output=True, text=True, check=True)
    assert out.stdout == "flask 2.0\n"
    info = env / SITE / "flask-2.0.dist-info"
    assert (info / "INSTALLER").read_text() == "cove\n" and (info / "REQUESTED").exists()
    assert not (env / SITE / "click-8.1.dist-info" / "REQUESTED").exists()
    # pip itself sees a consistent environment and can uninstall what cove installed
    assert pip(env, "uninstall", "-y", "click").returncode == 0
    assert not (env / SITE / "click").exists()


def test_same_files_as_pip(tmp_path: Path, index: Index) -> None:
    web_index(index)
    ours, theirs = make_env(tmp_path / "ours"), make_env(tmp_path / "theirs")
    run_cove("install", "-p", str(ours), "-i", index.file_url, "flask[async]", check=True)
    proc = pip(theirs, "install", "--no-compile", "-q", "-i", index.file_url, "flask[async]")
    assert proc.returncode == 0, proc.stderr
    a, b = snapshot(ours), snapshot(theirs)
    assert sorted(a) == sorted(b)
    for path in a:
        if path.endswith("/INSTALLER"):
            assert (a[path], b[path]) in ((b"cove\n", b"pip\n"), (b"pip\n", b"pip\n"))
        elif path.endswith("/RECORD"):
            rows_a = [r for r in a[path].decode().splitlines() if "/INSTALLER," not in r]
            rows_b = [r for r in b[path].decode().splitlines() if "/INSTALLER," not in r]
            assert [r.split(",")[0] for r in rows_a] == [r.split(",")[0] for r in rows_b]
        else:
            assert a[path].replace(b"/ours/", b"/X/") == b[path].replace(b"/theirs/", b"/X/")


def test_compiled_bytecode_is_recorded_as_pip_records_it(tmp_path: Path, index: Index) -> None:
    """--compile-bytecode: the environment's python compiles every new module, one that does
    not compile is skipped, and RECORD lists the bytecode as pip's does."""
    index.add(
        "Compiled", "1.0", entry_points="[console_scripts]\ncompiled = compiled:main\n",
        files={
            "compiled/__init__.py": b"def main():\n    print('ok')\n",
            "compiled/sub/mod.py": b"VALUE = 1\n",
            "compiled/broken.py": b"def (:\n",
        },
    )  # fmt: skip
    # Names of one length: the code objects hold their source paths.
    ours, theirs = make_env(tmp_path / "cove"), make_env(tmp_path / "pips")
    proc = run_cove(
        "install", "-p", str(ours), "--compile-bytecode", "-i", index.file_url, "compiled"
    )
    assert proc.returncode == 0, proc.stderr
    done = pip(theirs, "install", "-q", "-i", index.file_url, "compiled")
    assert done.returncode == 0, done.stderr

    def compiled(env: Path) -> dict[str, bytes]:
        return {
            p.relative_to(env).as_posix(): p.read_bytes()
            for p in (env / SITE).rglob("*.pyc")
            if "compiled" in p.parts
        }

    def record(env: Path) -> list[list[str]]:
        text = (env / SITE / "compiled-1.0.dist-info" / "RECORD").read_text()
        return [row.split(",") for row in text.splitlines() if "/INSTALLER," not in row]

    a, b = compiled(ours), compiled(theirs)
    assert (
        sorted(a)
        == sorted(b)
        == [
            f"{SITE}/compiled/__pycache__/__init__.cpython-312.pyc",
            f"{SITE}/compiled/sub/__pycache__/mod.cpython-312.pyc",
        ]
    )
    for path in a:  # the same code; the header holds each file's own source mtime
        assert a[path][:8] == b[path][:8]
        assert a[path][16:].replace(b"/cove/", b"/X/") == b[path][16:].replace(b"/pips/", b"/X/")
    rows_a, rows_b = record(ours), record(theirs)
    assert [r[0] for r in rows_a] == [r[0] for r in rows_b]
    for row_a, row_b in zip(rows_a, rows_b, strict=True):
        if row_a[0] == "../../../bin/compiled":  # its shebang names each environment
            assert row_a[2] == row_b[2]
        else:
            assert row_a == row_b
    assert ["compiled/__pycache__/__init__.cpython-312.pyc", "", ""] in rows_a
    assert pip(ours, "check").returncode == 0
    run_cove("uninstall", "-y", "-p", str(ours), "compiled", check=True)
    assert not (ours / SITE / "compiled").exists()
    run_cove("install", "-p", str(ours), "-i", index.file_url, "compiled", check=True)
    assert compiled(ours) == {}  # no bytecode unless asked


def test_two_environments_two_versions_one_cache(tmp_path: Path, index: Index) -> None:
    web_index(index)
    old, new = make_env(tmp_path, "old"), make_env(tmp_path, "new")
    run_cove("install", "-p", str(old), "-i", index.file_url, "click==7.0", "jinja2", check=True)
    run_cove("install", "-p", str(new), "-i", index.file_url, "click==8.1", "jinja2", check=True)
    for env, version in ((old, "7.0"), (new, "8.1")):
        code = "import click; print(click.__version__)"
        out = subprocess.run([str(env / "bin/python"), "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == version
    shared = "markupsafe/__init__.py"
    assert os.stat(old / SITE / shared).st_ino == os.stat(new / SITE / shared).st_ino


def test_find_links_directory_without_index(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    proc = run_cove(
        "install", "-p", str(env), "--no-index", "-f", str(index.root / "files"), "jinja2"
    )
    assert proc.returncode == 0, proc.stderr
    assert "Jinja2==3.1" in freeze(env)


def test_uninstall_removes_every_file(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    before = snapshot(env)
    run_cove("install", "-p", str(env), "-i", index.file_url, "flask", check=True)
    (env / SITE / "flask" / "__pycache__").mkdir()
    (env / SITE / "flask" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"x")
    proc = run_cove("uninstall", "-p", str(env), "flask", "click", "jinja2", "markupsafe", "nope")
    assert proc.returncode == 0, proc.stderr
    assert "skipping nope: it is not installed" in proc.stderr
    assert " - Flask==2.0" in proc.stderr
    assert snapshot(env) == before
    assert not (env / SITE / "flask").exists()
    again = run_cove("uninstall", "-p", str(env), "flask")
    assert again.returncode == 1 and "not installed" in again.stderr


def test_upgrade_downgrade_and_yanked(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    url = index.file_url
    run_cove("install", "-p", str(env), "-i", url, "click==7.0", check=True)
    keep = run_cove("install", "-p", str(env), "-i", url, "click", check=True)
    assert "Nothing to change" in keep.stderr and "click==7.0" in freeze(env)
    up = run_cove("install", "-p", str(env), "-i", url, "-U", "click", check=True)
    assert " - click==7.0" in up.stderr and " + click==8.1" in up.stderr  # 8.2 is yanked
    pinned = run_cove("install", "-p", str(env), "-i", url, "click==8.2", check=True)
    assert " + click==8.2" in pinned.stderr
    run_cove("install", "-p", str(env), "-i", url, "--force-reinstall", "click==8.2", check=True)
    assert "click==8.2" in freeze(env)


def test_failures_change_nothing(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    run_cove("install", "-p", str(env), "-i", index.file_url, "click==7.0", check=True)
    before = snapshot(env)
    conflict = run_cove("install", "-p", str(env), "-i", index.file_url, "jinja2", "markupsafe<2")
    assert conflict.returncode == 1
    assert "jinja2 3.1 requires MarkupSafe>=2, but you asked for markupsafe<2" in conflict.stderr
    py = run_cove("install", "-p", str(env), "-i", index.file_url, "flask==3.0")
    assert py.returncode == 1 and "3.0 requires Python >=3.13" in py.stderr
    assert "hint: use an environment with a Python that fits" in py.stderr
    req = tmp_path / "req.txt"
    req.write_text("markupsafe==2.1 --hash=sha256:" + "0" * 64 + "\n")
    bad_hash = run_cove("install", "-p", str(env), "-i", index.file_url, "-r", str(req))
    assert bad_hash.returncode == 1 and "does not match any --hash" in bad_hash.stderr
    assert "Traceback" not in conflict.stderr + py.stderr + bad_hash.stderr
    assert snapshot(env) == before


def test_hash_mismatch_from_the_index_keeps_cache_clean(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo", "1.0")
    env = make_env(tmp_path)
    before = snapshot(env)
    with IndexServer(index) as server:
        index.tamper(wheel, wheel.read_bytes() + b"tampered")  # the index keeps the old hash
        proc = run_cove("install", "-p", str(env), "-i", server.url, "demo")
    assert proc.returncode == 1 and "but the index says" in proc.stderr
    assert snapshot(env) == before
    cache = Path(os.environ["COVE_CACHE_DIR"]) / "artifacts-v1"
    assert not [p for p in cache.rglob("demo-1.0-py3-none-any.whl")]


def test_requirements_files_constraints_and_hashes(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    ms = index.root / "files" / "markupsafe-2.1-py3-none-any.whl"
    (tmp_path / "base.txt").write_text(
        "# the base\n-i ${TEST_INDEX}\njinja2 \\\n  >=3 # inline comment\n-c constraints.txt\n"
    )
    (tmp_path / "constraints.txt").write_text("click<8\nasgiref==3.7\n")
    (tmp_path / "req.txt").write_text("-r base.txt\nclick\n")
    environ = {**os.environ, "TEST_INDEX": index.file_url}
    proc = run_cove("install", "-p", str(env), "-r", str(tmp_path / "req.txt"), env=environ)
    assert proc.returncode == 0, proc.stderr
    frozen = freeze(env)
    assert "click==7.0" in frozen and "Jinja2==3.1" in frozen
    assert not any(f.startswith("asgiref") for f in frozen)  # constraints add nothing
    # Hash-checking mode, as pip: one --hash switches it on for every requirement.
    hashed = tmp_path / "hashed.txt"
    hashed.write_text(f"markupsafe==2.1 --hash=sha256:{file_sha256(ms)}\nasgiref\n")
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, "-r", str(hashed))
    assert proc.returncode == 1 and "not pinned with ==: asgiref" in proc.stderr
    hashed.write_text(f"markupsafe==2.1 \\\n  --hash=sha256:{file_sha256(ms)}\n")
    run_cove("uninstall", "-p", str(env), "markupsafe", check=True)
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, "-r", str(hashed))
    assert proc.returncode == 0, proc.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("jinja2\nflask>>2\n")
    proc = run_cove("install", "-p", str(env), "-r", str(bad), "-i", index.file_url)
    assert proc.returncode == 1 and f"{bad}:2: invalid requirement 'flask>>2'" in proc.stderr


def test_dry_run_and_report(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    before = snapshot(env)
    proc = run_cove(
        "install", "-p", str(env), "-i", index.file_url, "--dry-run", "--report", "-", "jinja2"
    )
    assert proc.returncode == 0, proc.stderr
    assert snapshot(env) == before
    report = json.loads(proc.stdout)
    assert report["version"] == "1"
    got = {i["metadata"]["name"]: i["requested"] for i in report["install"]}
    assert got == {"Jinja2": True, "MarkupSafe": False}
    assert report["environment"]["python_version"] == "3.12"


def test_http_cache_retries_and_offline(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(fail_next=2, reset_next=1)) as server:
        run_cove("install", "-p", str(env), "-i", server.url, "markupsafe", check=True)
        requests = len(server.requests)
    run_cove("uninstall", "-p", str(env), "markupsafe", check=True)
    proc = run_cove("install", "-p", str(env), "-i", server.url, "--offline", "markupsafe")
    assert proc.returncode == 0, proc.stderr
    assert requests >= 4  # two 503s, a reset, then the page (the file may be cached already)
    assert "MarkupSafe==2.1" in freeze(env)


def test_no_environment_and_usage_errors(tmp_path: Path) -> None:
    proc = run_cove("install", "requests", cwd=tmp_path)
    assert proc.returncode == 1 and "cove create" in proc.stderr and "Traceback" not in proc.stderr
    env = make_env(tmp_path)
    proc = run_cove("install", "-p", str(env))
    assert proc.returncode == 2 and "nothing to install" in proc.stderr
    proc = run_cove("install", "-p", str(env), "--no-index", "nothing-here")
    assert proc.returncode == 1 and "nothing-here" in proc.stderr


def test_pip_configuration_is_honoured(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {index.file_url}\n")
    environ = {**os.environ, "PIP_CONFIG_FILE": str(conf)}
    run_cove("install", "-p", str(env), "markupsafe", env=environ, check=True)
    assert "MarkupSafe==2.1" in freeze(env)
    isolated = run_cove("install", "-p", str(env), "--isolated", "--no-index", "click", env=environ)
    assert isolated.returncode == 1


def test_system_interpreters_are_protected(tmp_path: Path) -> None:
    """Without --system an interpreter outside a venv is never touched; PEP 668 is respected."""
    system = Path("/usr/bin/python3")
    plain = run_cove("install", "-p", str(system), "requests")
    assert plain.returncode == 1 and "not a virtual environment" in plain.stderr
    if not system.exists():
        pytest.skip("no /usr/bin/python3")
    marker = next(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"), None)
    proc = run_cove("install", "--system", "-p", str(system), "--no-index", "requests")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    if marker is not None:
        assert "externally managed (PEP 668)" in proc.stderr and "cove create" in proc.stderr


def test_two_processes_fill_two_environments_from_one_cold_cache(
    tmp_path: Path, index: Index
) -> None:
    """Both download, unpack and link the same wheels at once: each wheel enters the cache once
    (atomic renames under per-entry locks) and both environments link the same files."""
    import sys

    web_index(index)
    envs = [make_env(tmp_path, "one"), make_env(tmp_path, "two")]
    cache = tmp_path / "shared-cache"
    environ = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cove", "install", "-q", "-p", str(env), "-i", index.file_url,
             "flask[async]"],
            stderr=subprocess.PIPE, text=True, env=environ,
        )
        for env in envs
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert freeze(envs[0]) == freeze(envs[1])
    assert pip(envs[0], "check").returncode == 0 and pip(envs[1], "check").returncode == 0
    unpacked = [p for p in (cache / UNPACKED).iterdir() if p.is_dir() and len(p.name) == 64]
    assert len(unpacked) == 5  # flask, click, jinja2, markupsafe, asgiref: once each
    assert not [p for p in (cache / UNPACKED).iterdir() if p.name.startswith(".tmp")]
    module = f"{SITE}/markupsafe/__init__.py"
    assert (envs[0] / module).stat().st_ino == (envs[1] / module).stat().st_ino


def test_two_processes_queue_on_one_environment(tmp_path: Path, index: Index) -> None:
    import sys

    web_index(index)
    env = make_env(tmp_path)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cove",
                "install",
                "-q",
                "-p",
                str(env),
                "-i",
                index.file_url,
                req,
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for req in ("flask", "click")  # both want click: the second must see the first's
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    frozen = freeze(env)
    assert {"Flask==2.0", "click==8.1"} <= set(frozen)
    assert pip(env, "check").returncode == 0
    assert not list(env.glob(".cove-txn-*"))


def test_verbose_names_where_each_file_came_from(tmp_path: Path, index: Index) -> None:
    web_index(index)
    env = make_env(tmp_path)
    run_cove("install", "-q", "-p", str(env), "-i", index.file_url, "markupsafe", check=True)
    proc = run_cove("install", "-v", "-p", str(env), "-i", index.file_url, "jinja2")
    assert proc.returncode == 0, proc.stderr
    assert (
        " + jinja2==3.1  (file://" in proc.stderr and "jinja2-3.1-py3-none-any.whl)" in proc.stderr
    )
    assert " = markupsafe==2.1  (already installed)" in proc.stderr
