"""Real-world inputs that broke cove (issue 10): servers that label or change files, configured
and command-line options together, indexes that fail, system site-packages, misleading hints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_install import freeze, make_env, pip, snapshot
from tests.support.dists import WheelSpec, build_sdist, build_wheel
from tests.support.index import Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"


def test_a_tar_gz_labelled_gzip_encoded_is_hashed_as_sent(tmp_path: Path, index: Index) -> None:
    """A server that adds Content-Encoding: gzip to a .tar.gz must not make a false hash
    mismatch: downloads ask for identity and keep the bytes as sent, as pip does."""
    index.add_file(build_sdist(tmp_path / "sd", "labelled", "1.0"))
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(gzip_label_sdists=True)) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "labelled")
    assert proc.returncode == 0, proc.stderr
    assert "labelled==1.0" in freeze(env)


def _module(env: Path, name: str) -> str:
    return (env / SITE / f"{name}/__init__.py").read_text()


def test_a_direct_url_without_a_hash_is_fetched_again_when_it_changes(
    tmp_path: Path, index: Index
) -> None:
    """pip memoises only URLs that carry a hash; others are revalidated (ETag/Last-Modified)
    or fetched again. A changed file behind the same URL reaches new environments and
    --force-reinstall."""
    files = index.root / "files"

    def publish(text: str) -> str:
        spec = WheelSpec("moving", "1.0", files={"moving/__init__.py": text.encode()})
        return build_wheel(files, spec).name

    name = publish("first = 1\n")
    for etag in (True, False):  # revalidated with the validators, or fetched every time
        with IndexServer(index, ServerOptions(etag=etag)) as server:
            req = f"moving @ http://127.0.0.1:{server.port}/files/{name}"
            publish("first = 1\n")
            one = make_env(tmp_path / f"etag-{etag}", "one")
            run_cove("install", "-p", str(one), req, check=True)
            assert _module(one, "moving") == "first = 1\n"
            publish("second = 2\n")
            two = make_env(tmp_path / f"etag-{etag}", "two")
            run_cove("install", "-p", str(two), req, check=True)
            assert _module(two, "moving") == "second = 2\n"
            run_cove("install", "-p", str(one), "--force-reinstall", req, check=True)
            assert _module(one, "moving") == "second = 2\n"


def test_a_direct_url_with_a_hash_is_checked_and_taken_from_the_cache(
    tmp_path: Path, index: Index
) -> None:
    wheel = index.add("pinned", "1.0")
    sha = __import__("hashlib").sha256(wheel.read_bytes()).hexdigest()
    with IndexServer(index) as server:
        url = f"http://127.0.0.1:{server.port}/files/{wheel.name}"
        one, two = make_env(tmp_path, "one"), make_env(tmp_path, "two")
        run_cove("install", "-p", str(one), f"pinned @ {url}#sha256={sha}", check=True)
        run_cove("install", "-p", str(two), f"pinned @ {url}#sha256={sha}", check=True)
        whole = server.count(f"/files/{wheel.name}") - len(server.ranges)  # metadata: ranges
        assert whole == 1  # the second environment's came from the cache
        bad = run_cove(
            "install", "-p", str(make_env(tmp_path, "three")), f"pinned @ {url}#sha256={'0' * 64}"
        )
    assert bad.returncode == 1
    assert "sha256" in bad.stderr and "Traceback" not in bad.stderr
    direct = json.loads((two / SITE / "pinned-1.0.dist-info/direct_url.json").read_text())
    assert direct["archive_info"]["hashes"] == {"sha256": sha}


def test_credentials_in_a_direct_url_never_reach_the_cache(tmp_path: Path, index: Index) -> None:
    wheel = index.add("secret-dist", "1.0")
    env = make_env(tmp_path)
    cache = tmp_path / "cache"
    with IndexServer(index, ServerOptions(auth=("alice", "s3cret-pw"))) as server:
        url = f"http://alice:s3cret-pw@127.0.0.1:{server.port}/files/{wheel.name}"
        environ = {**os.environ, "COVE_CACHE_DIR": str(cache)}
        proc = run_cove("install", "-p", str(env), f"secret-dist @ {url}", env=environ)
    assert proc.returncode == 0, proc.stderr
    for path in cache.rglob("*"):
        if path.is_file():
            assert b"s3cret-pw" not in path.read_bytes(), path
    assert (
        "s3cret-pw"
        not in snapshot(env).get(f"{SITE}/secret_dist-1.0.dist-info/direct_url.json", b"").decode()
    )


def _isolated_env(tmp_path: Path, pip_conf: str) -> dict[str, str]:
    conf = tmp_path / "pip.conf"
    conf.write_text(pip_conf)
    return {**os.environ, "PIP_CONFIG_FILE": str(conf)}


def test_command_line_list_options_add_to_the_configured_ones(tmp_path: Path) -> None:
    """With extra-index-url and find-links in pip.conf, the command line's add to them, as pip
    adds them; pip itself is the oracle."""
    empty, extra_a, extra_b = (Index(tmp_path / n) for n in ("empty", "a", "b"))
    empty.write_html()
    extra_a.add("alpha", "1.0")
    extra_b.add("beta", "1.0")
    links_a, links_b = tmp_path / "links-a", tmp_path / "links-b"
    build_wheel(links_a, WheelSpec("gamma", "1.0"))
    build_wheel(links_b, WheelSpec("delta", "1.0"))
    environ = _isolated_env(
        tmp_path,
        f"[global]\nindex-url = {empty.file_url}\nextra-index-url = {extra_a.file_url}\n"
        f"find-links = {links_a}\n",
    )
    args = ["--extra-index-url", extra_b.file_url, "-f", str(links_b)]
    wanted = ["alpha", "beta", "gamma", "delta"]
    ours, theirs = make_env(tmp_path, "ours"), make_env(tmp_path, "theirs")
    proc = run_cove("install", "-p", str(ours), *args, *wanted, env=environ)
    assert proc.returncode == 0, proc.stderr
    theirs_proc = __import__("subprocess").run(
        [str(theirs / "bin/pip"), "install", "-q", *args, *wanted],
        env={**environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
    )
    assert theirs_proc.returncode == 0, theirs_proc.stderr
    assert freeze(ours) == freeze(theirs)
    assert {"alpha==1.0", "beta==1.0", "gamma==1.0", "delta==1.0"} <= set(freeze(ours))


def test_an_unreachable_index_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """pip warns about an index it cannot reach and uses the others; so does cove."""
    extra = Index(tmp_path / "extra")
    extra.add("alpha", "1.0")
    env = make_env(tmp_path)
    for strategy in ("first-index", "best-match"):
        proc = run_cove(
            "install", "-p", str(env), "--retries", "0", "--index-strategy", strategy,
            "-i", "http://127.0.0.1:9/simple/", "--extra-index-url", extra.file_url, "alpha",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "127.0.0.1:9" in proc.stderr and "warning" in proc.stderr.lower()
        assert "alpha==1.0" in freeze(env)
        run_cove("uninstall", "-y", "-p", str(env), "alpha", check=True)
    missing = run_cove(
        "install", "-p", str(env), "--retries", "0", "-i", "http://127.0.0.1:9/simple/",
        "--extra-index-url", extra.file_url, "nowhere",
    )  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "nowhere was not found" in missing.stderr and "127.0.0.1:9" in missing.stderr


def test_plain_http_indexes_need_a_trusted_host(tmp_path: Path, index: Index) -> None:
    """pip ignores an http:// index on a host that is neither local nor trusted (warning that
    it does); --trusted-host, on the command line or configured, lets it in."""
    from tests.support.index import non_loopback_address

    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    index.add("alpha", "1.0")
    env = make_env(tmp_path)
    with IndexServer(index, host=address) as server:
        netloc = f"{address}:{server.port}"
        refused = run_cove("install", "-p", str(env), "-i", server.url, "alpha")
        assert refused.returncode == 1, refused.stderr
        assert "--trusted-host" in refused.stderr and netloc in refused.stderr
        assert server.count("/simple/alpha/") == 0  # not even asked
        environ = _isolated_env(tmp_path, f"[global]\ntrusted-host = {netloc}\n")
        proc = run_cove(
            "install", "-p", str(env), "-i", server.url, "--trusted-host", "other.example",
            "alpha", env=environ,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    assert "alpha==1.0" in freeze(env)


def test_system_site_packages_satisfy_requirements_as_for_pip(tmp_path: Path) -> None:
    """In a venv that includes the system's site-packages, a project installed in the base
    interpreter satisfies a requirement (pip: "Requirement already satisfied"); an upgrade goes
    into the venv and the base interpreter is left as it was."""
    from tests.integration.test_system import files_of, throwaway_python

    wheels = tmp_path / "wheels"
    build_wheel(wheels, WheelSpec("based", "1.0", requires=["helper"]))
    build_wheel(wheels, WheelSpec("based", "2.0", requires=["helper"]))
    build_wheel(wheels, WheelSpec("helper", "1.0"))
    base = throwaway_python(tmp_path / "base")
    run_cove("install", "--system", "-p", str(base), "--no-index", "-f", str(wheels), "based==1.0",
             check=True)  # fmt: skip
    base_files = files_of(tmp_path / "base")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    run_cove("create", "-q", "--system-site-packages", "-p", str(base), str(ours), check=True)
    run_cove("create", "-q", "--system-site-packages", "-p", str(base), str(theirs), check=True)
    find = ["--no-index", "-f", str(wheels)]
    proc = run_cove("install", "-p", str(ours), *find, "based")
    assert proc.returncode == 0, proc.stderr
    said = pip(theirs, "install", *find, "based")
    assert "Requirement already satisfied: based" in said.stdout
    assert not list((ours / SITE).glob("based-*.dist-info"))  # no second copy
    assert not list((ours / SITE).glob("helper-*.dist-info"))
    assert freeze(ours) == freeze(theirs)
    proc = run_cove("install", "-p", str(ours), *find, "based>=2")
    assert proc.returncode == 0, proc.stderr
    assert pip(theirs, "install", "-q", *find, "based>=2").returncode == 0
    assert [p.name for p in (ours / SITE).glob("based-*.dist-info")] == ["based-2.0.dist-info"]
    assert not list((ours / SITE).glob("helper-*.dist-info"))  # still the base's
    assert freeze(ours) == freeze(theirs)
    assert files_of(tmp_path / "base") == base_files


def test_an_unwritable_report_is_refused_before_anything_changes(
    tmp_path: Path, index: Index
) -> None:
    index.add("alpha", "1.0")
    index.add("alpha", "2.0")
    env = make_env(tmp_path)
    run_cove("install", "-p", str(env), "-i", index.file_url, "alpha==1.0", check=True)
    before = snapshot(env)
    for target in (tmp_path / "missing" / "report.json", tmp_path):
        proc = run_cove(
            "install", "-p", str(env), "-i", index.file_url, "-U", "alpha", "--report",
            str(target),
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert str(target) in proc.stderr and "Traceback" not in proc.stderr
        assert "nothing was changed" not in proc.stderr
        assert snapshot(env) == before


def test_a_write_refused_inside_the_install_says_it_was_undone(
    tmp_path: Path, index: Index
) -> None:
    """A file the system refuses to write (here: a file-size limit, as a full disk would)
    inside the transaction: every file is put back, and only then does the hint say so."""
    import resource
    import signal
    import subprocess
    import sys

    index.add("big", "1.0", files={"big/__init__.py": b"x = 1\n" * 2000})
    warm, env = make_env(tmp_path, "warm"), make_env(tmp_path, "env")
    cache = tmp_path / "cache"
    environ = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    args = ["install", "-i", index.file_url, "--link-mode", "copy", "big"]
    run_cove(*args, "-p", str(warm), env=environ, check=True)  # the cache is filled
    before = snapshot(env)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run(
        [sys.executable, "-m", "cove", *args, "-p", str(env)],
        env=environ, capture_output=True, text=True, preexec_fn=limit, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "File too large" in proc.stderr
    assert "nothing was changed" in proc.stderr
    assert snapshot(env) == before


def test_no_cache_keeps_everything_out_of_the_cache(tmp_path: Path, index: Index) -> None:
    """--no-cache (or no-cache-dir configured) keeps even the interpreter's probe out of the
    cache, for install and uninstall; --isolated ignores the configured one, as pip does."""
    index.add("alpha", "1.0")
    env = make_env(tmp_path)
    cache = tmp_path / "cache"
    base = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    find = ["--no-index", "-f", str(index.root / "files")]
    runs = [
        (["install", *find, "--no-cache", "alpha"], base),
        (["uninstall", "-y", "--no-cache", "alpha"], base),
        (["install", *find, "alpha"], {**base, "PIP_NO_CACHE_DIR": "1"}),
        (["uninstall", "-y", "alpha"], {**base, "PIP_NO_CACHE_DIR": "1"}),
    ]
    for args, environ in runs:
        run_cove(*args, "-p", str(env), env=environ, check=True)
        assert not cache.exists() or not any(cache.iterdir()), (args, list(cache.rglob("*")))
    run_cove("uninstall", "-y", "--isolated", "-p", str(env), "alpha",
             env={**base, "PIP_NO_CACHE_DIR": "1"})  # fmt: skip
    assert any(cache.rglob("*.json")), "--isolated ignores PIP_NO_CACHE_DIR"


def test_hash_checking_takes_the_best_file_the_hashes_allow(tmp_path: Path, index: Index) -> None:
    """When only the py3-none-any wheel is hashed, the better-ranked wheel of the same version
    is passed over, as pip passes over it; pip is the oracle."""
    index.add(
        "multi", "1.0", tag="py312-none-any", files={"multi/__init__.py": b"kind = 'py312'\n"}
    )
    generic = index.add("multi", "1.0", files={"multi/__init__.py": b"kind = 'generic'\n"})
    sha = __import__("hashlib").sha256(generic.read_bytes()).hexdigest()
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"multi==1.0 --hash=sha256:{sha}\n")
    ours, theirs = make_env(tmp_path, "ours"), make_env(tmp_path, "theirs")
    with IndexServer(index) as server:
        proc = run_cove("install", "-p", str(ours), "-i", server.url, "-r", str(reqs))
        assert proc.returncode == 0, proc.stderr
        assert pip(theirs, "install", "-q", "-i", server.url, "-r", str(reqs)).returncode == 0
        plain = make_env(tmp_path, "plain")  # without hashes the better-ranked wheel wins
        run_cove("install", "-p", str(plain), "-i", server.url, "multi==1.0", check=True)
    assert _module(ours, "multi") == _module(theirs, "multi") == "kind = 'generic'\n"
    assert _module(plain, "multi") == "kind = 'py312'\n"


def test_unreadable_distributions_are_named_not_skipped_silently(
    tmp_path: Path, index: Index
) -> None:
    index.add("alpha", "1.0")
    env = make_env(tmp_path)
    broken = env / SITE / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("this is not metadata\n")
    odd = env / SITE / "odd-1.0.dist-info"
    odd.mkdir()
    (odd / "METADATA").write_text("Name: odd\nVersion: not a version\n")
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, "alpha")
    assert proc.returncode == 0, proc.stderr
    assert str(broken) in proc.stderr and str(odd) in proc.stderr
    proc = run_cove("uninstall", "-y", "-p", str(env), "alpha")
    assert proc.returncode == 0, proc.stderr
    assert str(broken) in proc.stderr
