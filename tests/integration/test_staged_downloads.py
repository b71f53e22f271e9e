"""Downloads overlap resolution (issue 12): a wheel the resolver pins is fetched while it still
resolves, into a staging area of the run; only what the install takes enters the cache, and a
resolution that fails leaves no wheel and no staging area behind. Proved by the order in which
the test server saw requests (never by timing) and by the cache's files."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from cove.cache import ARTIFACTS, METADATA, PAGES, UNPACKED
from cove.cache.unpacked import MANIFEST
from tests.conftest import pyenv_python, run_cove
from tests.integration.test_install import freeze, make_env
from tests.support.index import Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")

CHAIN = [f"link{n}" for n in range(6)]


class ClockedServer(IndexServer):
    """Also notes when each request arrived (the wall clock, as file times are)."""

    def __init__(self, index: Index, options: ServerOptions) -> None:
        super().__init__(index, options)
        self.arrived: dict[str, float] = {}

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        self.arrived.setdefault(h.path, time.time())
        super()._handle(h)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("COVE_CACHE_DIR", str(cache))
    return cache


def chain(index: Index) -> None:
    """top -> link0 -> link1 -> ... -> link5: each level is learnt only from the one above, so
    resolution takes a round trip (or two) per level."""
    index.add("top", "1.0", requires=[CHAIN[0]])
    for here, below in zip(CHAIN, [*CHAIN[1:], None], strict=True):
        index.add(here, "1.0", requires=[below] if below else [])


def added(env: Path) -> list[str]:
    """What ``pip freeze --all`` lists beside the pip every new environment has."""
    return [line for line in freeze(env) if not line.startswith("pip==")]


def wheel(name: str) -> str:
    return f"/files/{name}-1.0-py3-none-any.whl"


def test_pinned_wheels_download_before_resolution_ends(
    tmp_path: Path, index: Index, own_cache: Path
) -> None:
    chain(index)
    env = make_env(tmp_path)
    before = set((own_cache / UNPACKED).glob("*/" + MANIFEST))
    server = ClockedServer(index, ServerOptions(latency=0.1))
    with server:
        run_cove("install", "-p", str(env), "-i", server.url, "top", check=True)
        seen = list(server.requests)
    last_page = f"/simple/{CHAIN[-1]}/"  # resolution cannot end before this is answered
    assert seen.index(wheel("top")) < seen.index(last_page), seen  # top's wheel came already
    for name in ["top", *CHAIN]:
        assert seen.count(wheel(name)) == 1, name  # each fetched once: staged, then taken
    assert added(env) == sorted(f"{n}==1.0" for n in ["top", *CHAIN])
    # Downloaded whole before that page was even asked for; moved into the cache when taken,
    # and the staging area is gone.
    assert server.arrived[wheel("top")] < server.arrived[last_page]
    entries = set((own_cache / UNPACKED).glob("*/" + MANIFEST)) - before
    assert len(entries) == 1 + len(CHAIN)
    assert not list(own_cache.rglob(".staged-*"))


def test_dry_run_downloads_no_wheel(tmp_path: Path, index: Index) -> None:
    chain(index)
    env = make_env(tmp_path)
    with IndexServer(index, ServerOptions(latency=0.05)) as server:
        run_cove("install", "--dry-run", "-p", str(env), "-i", server.url, "top", check=True)
        assert [r for r in server.requests if r.endswith(".whl")] == []


def cache_files(cache: Path) -> set[str]:
    """Every file and directory in the cache, but the pages and metadata a resolution reads
    (kept by the page's URL and by the metadata file's sha256 whether or not it succeeds)."""
    return {
        p.relative_to(cache).as_posix()
        for p in cache.rglob("*")
        if p.relative_to(cache).parts[0] not in (PAGES, METADATA)
    }


def test_failed_resolution_leaves_no_staged_wheel(
    tmp_path: Path, index: Index, own_cache: Path
) -> None:
    """top is pinned first and its wheel fetched; two levels down its dependencies disagree
    (left needs base>=2, right base<2): the resolution fails and the cache is as it was."""
    index.add("top", "1.0", requires=["left", "right"])
    index.add("left", "1.0", requires=["mid"])
    index.add("mid", "1.0", requires=["base>=2"])
    index.add("right", "1.0", requires=["base<2"])
    index.add("base", "1.0")
    index.add("base", "2.0")
    env = make_env(tmp_path)
    before = cache_files(own_cache)
    with IndexServer(index, ServerOptions(latency=0.1)) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "top")
        seen = list(server.requests)
    assert proc.returncode == 1, proc.stderr
    assert "base" in proc.stderr and "Traceback" not in proc.stderr
    assert wheel("top") in seen  # it was staged, so the cleanup below is what is tested
    after = cache_files(own_cache)
    assert after - before <= {ARTIFACTS, f"{ARTIFACTS}/incoming"}, sorted(after - before)
    assert not list(own_cache.rglob("*.whl")), list(own_cache.rglob("*.whl"))
    assert added(env) == []
