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
        assert server.count(f"/files/{wheel.name}") == 1  # the second came from the cache
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
