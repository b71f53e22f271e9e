"""Metadata without PEP 658 files (issue 12): a wheel's METADATA is read with HTTP range
requests (the zip's directory, then the one member) instead of the whole wheel, kept in the
cache by the wheel's hash, and a server that ignores ranges still works (the whole file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_install import freeze, make_env
from tests.support.dists import WheelSpec
from tests.support.index import Fault, Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")


@pytest.fixture
def no_pep658(index: Index) -> Index:
    """Two wheels, no .metadata files; one of them large, so a whole download would show."""
    payload = {f"bigdep/blob{n}.bin": os.urandom(200_000) for n in range(10)}
    index.add_wheel(WheelSpec("bigdep", "1.0", files={"bigdep/__init__.py": b"", **payload}),
                    metadata=False)  # fmt: skip
    index.add_wheel(WheelSpec("top", "1.0", requires=["bigdep>=1"]), metadata=False)
    return index


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache of this test's own: the session's may know these wheels' metadata already."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))


def whole_downloads(server: IndexServer) -> list[str]:
    """File requests that asked for the whole file (no Range header)."""
    files = [r for r in server.requests if r.startswith("/files/")]
    ranged = [r.split(" ", 1)[0] for r in server.ranges]
    for path in ranged:
        files.remove(path)
    return files


def test_resolution_reads_metadata_by_ranges_and_caches_it(
    tmp_path: Path, no_pep658: Index
) -> None:
    env = make_env(tmp_path)
    with IndexServer(no_pep658) as server:
        proc = run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "top")
        assert proc.returncode == 0, proc.stderr
        assert "bigdep==1.0" in proc.stderr and "top==1.0" in proc.stderr
        assert whole_downloads(server) == []  # no wheel was fetched whole to learn its metadata
        per_wheel = {r.split(" ", 1)[0] for r in server.ranges}
        assert len(per_wheel) == 2 and len(server.ranges) <= 6  # two or three requests a wheel
        run_cove("install", "-p", str(env), "-i", server.url, "top", check=True)
        assert sorted(whole_downloads(server)) == [
            "/files/bigdep-1.0-py3-none-any.whl",
            "/files/top-1.0-py3-none-any.whl",
        ]
        server.requests.clear()
        server.ranges.clear()
        again = make_env(tmp_path, "again")
        proc = run_cove("install", "--dry-run", "-p", str(again), "-i", server.url, "top")
        assert proc.returncode == 0, proc.stderr
        assert not [r for r in server.requests if r.startswith("/files/")]  # all from the cache
    assert {"bigdep==1.0", "top==1.0"} <= set(freeze(env))


def test_a_server_that_ignores_ranges_gets_whole_downloads(
    tmp_path: Path, no_pep658: Index
) -> None:
    env = make_env(tmp_path)
    with IndexServer(no_pep658, ServerOptions(ranges=False)) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "top")
        assert proc.returncode == 0, proc.stderr
        assert len(server.ranges) == 1  # asked once, then never again in the run
        # Each wheel came whole once (for its metadata, then installed from the cache).
        assert sorted(whole_downloads(server)) == [
            "/files/bigdep-1.0-py3-none-any.whl",
            "/files/top-1.0-py3-none-any.whl",
        ]
    assert {"bigdep==1.0", "top==1.0"} <= set(freeze(env))


def test_pages_without_cache_headers_are_asked_again_unless_a_ttl_says_otherwise(
    tmp_path: Path, index: Index
) -> None:
    """An index that sends no Cache-Control (nor ETag) is asked for its pages on every run, as
    pip asks; --cache-ttl (or cache-ttl configured) trusts the cached page for that long, and
    --refresh asks again all the same."""
    index.add("alpha", "1.0")
    page = "/simple/alpha/"
    with IndexServer(index, ServerOptions(etag=False)) as server:
        for n in range(2):
            env = make_env(tmp_path, f"plain{n}")
            run_cove("install", "-p", str(env), "-i", server.url, "alpha", check=True)
        assert server.count(page) == 2
        for n in range(2):
            env = make_env(tmp_path, f"ttl{n}")
            run_cove("install", "-p", str(env), "-i", server.url, "--cache-ttl", "600", "alpha",
                     check=True)  # fmt: skip
        assert server.count(page) == 2  # both trusted the page the last plain run stored
        configured = {**os.environ, "COVE_CACHE_TTL": "600"}
        env = make_env(tmp_path, "configured")
        run_cove("install", "-p", str(env), "-i", server.url, "alpha", env=configured, check=True)
        assert server.count(page) == 2
        env = make_env(tmp_path, "refreshed")
        run_cove("install", "-p", str(env), "-i", server.url, "--refresh", "alpha",
                 env=configured, check=True)  # fmt: skip
        assert server.count(page) == 3


def test_resolution_keeps_many_requests_in_flight(tmp_path: Path, index: Index) -> None:
    """Against an index with latency, pages and metadata of what is likely needed next are
    asked for together, not one after the other: counted by the server, not timed."""
    leaves = [f"leaf{n}" for n in range(12)]
    for name in leaves:
        index.add(name, "1.0")
    index.add("root", "1.0", requires=leaves)
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(latency=0.2)) as server:
        proc = run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "root")
        assert proc.returncode == 0, proc.stderr
        assert server.peak_in_flight >= 12, server.peak_in_flight  # the 12 leaves at once


def test_an_extras_needs_are_asked_for_together(tmp_path: Path, index: Index) -> None:
    """``mid[fmt]``'s extra needs six projects: their pages are asked for at once when the
    extra is pinned, not one by one as the resolver reaches each (counted, not timed)."""
    leaves = [f"leaf{n}" for n in range(6)]
    for name in leaves:
        index.add(name, "1.0")
    index.add("mid", "1.0", extras={"fmt": leaves})
    index.add("root", "1.0", requires=["mid[fmt]"])
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(latency=0.2)) as server:
        proc = run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "root")
        assert proc.returncode == 0, proc.stderr
        assert all(f"leaf{n}==1.0" in proc.stderr for n in range(6)), proc.stderr
        pages = {f"/simple/{name}/" for name in leaves}
        assert server.peak_together(pages) == len(leaves), server.spans


def test_the_crawl_ahead_follows_extras_named_deeper_down(tmp_path: Path, index: Index) -> None:
    """The crawl ahead of the resolver reads each newest release's needs as its metadata
    arrives, extras included: ``root`` needs ``a-slow`` and ``m``, ``m`` needs ``n[x]``, and
    ``n``'s extra ``x`` needs ``p``. While the resolver waits for ``a-slow``'s page (held
    back two seconds), the crawl goes on down ``m``'s branch, and with the extra asked for by
    ``m`` it reaches ``p``: its page is asked for before ``a-slow``'s answer comes, where the
    resolver alone would learn of ``p`` only after that. Counted by the order of the
    requests, not timed."""
    index.add("p", "1.0")
    index.add("n", "1.0", extras={"x": ["p"]})
    index.add("m", "1.0", requires=["n[x]"])
    index.add("a-slow", "1.0")
    index.add("root", "1.0", requires=["a-slow", "m"])
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(latency=0.1)) as server:
        server.inject("/simple/a-slow/", Fault(stall=2.0))
        proc = run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "root")
        assert proc.returncode == 0, proc.stderr
        assert "+ p==1.0" in proc.stderr, proc.stderr
        spans = {path: (start, end) for path, start, end in server.spans}
    assert spans["/simple/p/"][0] < spans["/simple/a-slow/"][1], spans


def test_an_extra_asked_for_after_its_project_was_crawled_is_crawled_then(
    tmp_path: Path, index: Index
) -> None:
    """``n`` is crawled (its page and metadata) before ``m``'s metadata, held back, asks for
    ``n[x]``: the needs of ``x`` (``p``) are fetched when that request is read, not only when
    the resolver, waiting meanwhile for ``a-slow``, gets to ``n[x]``."""
    index.add("p", "1.0")
    index.add("n", "1.0", extras={"x": ["p"]})
    index.add("m", "1.0", requires=["n[x]"])
    index.add("a-slow", "1.0")
    index.add("root", "1.0", requires=["a-slow", "m", "n"])
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(latency=0.1)) as server:
        server.inject("/simple/a-slow/", Fault(stall=2.5))
        server.inject("/simple/m/", Fault(stall=0.6))
        proc = run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "root")
        assert proc.returncode == 0, proc.stderr
        assert "+ p==1.0" in proc.stderr, proc.stderr
        spans = {path: (start, end) for path, start, end in server.spans}
    n_meta = next(span for path, span in spans.items() if path.startswith("/files/n-1.0"))
    m_page = spans["/simple/m/"]
    assert n_meta[1] < m_page[1], spans  # n was crawled before m's page (and metadata) came
    assert spans["/simple/p/"][0] < spans["/simple/a-slow/"][1], spans
