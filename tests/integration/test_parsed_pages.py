"""A warm resolution takes the Links of an unchanged project page from the parsed-page cache
instead of parsing the page again (issue 12), through the CLI against an index that sends no
cache headers (every page comes again whole, with the same bytes); a changed page is parsed
again; `cove cache info` counts the bucket; --no-cache keeps it empty."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cove.cache import PARSED
from tests.conftest import pyenv_python, run_cove
from tests.integration.test_install import make_env
from tests.support.index import Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")


def stamps(cache: Path) -> dict[str, int]:
    """Each parsed-page entry and when it was last written."""
    return {p.name: p.stat().st_mtime_ns for p in (cache / PARSED).rglob("*") if p.is_file()}


def test_a_warm_resolution_does_not_parse_unchanged_pages_again(
    tmp_path: Path, index: Index
) -> None:
    index.add("alpha", "1.0", requires=["beta"])
    index.add("beta", "1.0")
    cache = tmp_path / "cache"
    environ = {**os.environ, "COVE_CACHE_DIR": str(cache)}
    env = make_env(tmp_path)
    args = ["install", "--dry-run", "-p", str(env), "alpha"]
    with IndexServer(index, ServerOptions(etag=False)) as server:
        first = run_cove(*args, "-i", server.url, env=environ, check=True)
        assert "alpha==1.0" in first.stderr and "beta==1.0" in first.stderr
        written = stamps(cache)
        assert len(written) == 2  # one entry per project page
        second = run_cove(*args, "-i", server.url, env=environ, check=True)
        assert server.count("/simple/beta/") == 2  # the page came again, whole
        assert second.stderr.splitlines()[1:] == first.stderr.splitlines()[1:]  # but the time
        assert stamps(cache) == written  # read, not parsed and written again

        index.add("beta", "2.0")
        third = run_cove(*args, "-i", server.url, env=environ, check=True)
        assert "beta==2.0" in third.stderr
        now = stamps(cache)
        assert len(now) == 3 and {k: now[k] for k in written} == written  # only beta's is new

        info = run_cove("cache", "info", env=environ, check=True).stdout.splitlines()
        rows = {line.split()[0]: line.split()[1:] for line in info[2:]}
        assert rows[PARSED][0] == "3"

        other = tmp_path / "other-cache"
        run_cove(*args, "--no-cache", "-i", server.url,
                 env={**environ, "COVE_CACHE_DIR": str(other)}, check=True)  # fmt: skip
        assert not other.exists() or not any(other.iterdir())
    run_cove("cache", "clean", env=environ, check=True)
    assert not (cache / PARSED).exists()
