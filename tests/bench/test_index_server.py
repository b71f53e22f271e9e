"""The benches' remote-like index (bench/index_server.py), through real HTTP on 127.0.0.1:
what it lists, what it leaves out, ranges, validators, and the concurrency it counts."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import zipfile
from pathlib import Path

import pytest
from bench.index_server import BenchIndex, ServeOptions, parse_duration, parse_rate

from tests.support.dists import WheelSpec, build_wheel

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    where = tmp_path / "wheels"
    where.mkdir()
    build_wheel(where, WheelSpec("Alpha", "1.0", requires=["beta"], requires_python=">=3.8"))
    build_wheel(where, WheelSpec("beta", "2.0", files={"beta/__init__.py": b"x" * 50_000}))
    return where


def get(
    server: BenchIndex, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_json_page_lists_files_with_hashes_requires_python_and_metadata(root: Path) -> None:
    with BenchIndex(root) as server:
        status, headers, body = get(server, "/simple/alpha/", {"Accept": JSON})
        assert status == 200 and headers["Content-Type"] == JSON
        (entry,) = json.loads(body)["files"]
        assert entry["filename"] == "alpha-1.0-py3-none-any.whl"
        assert entry["requires-python"] == ">=3.8"
        assert "sha256" in entry["core-metadata"]
        status, _, metadata = get(server, "/files/alpha-1.0-py3-none-any.whl.metadata")
        assert status == 200 and b"Requires-Dist: beta" in metadata
        status, _, page = get(server, "/simple/alpha/", {"Accept": "text/html"})
        assert b'data-core-metadata="sha256=' in page and b'data-requires-python="&gt;=3.8"' in page
        assert get(server, "/simple/Alpha/")[0] == 301


def test_no_metadata_leaves_out_the_pep658_files(root: Path) -> None:
    with BenchIndex(root, ServeOptions(metadata=False)) as server:
        (entry,) = json.loads(get(server, "/simple/alpha/", {"Accept": JSON})[2])["files"]
        assert "core-metadata" not in entry and "data-dist-info-metadata" not in entry
        assert b"core-metadata" not in get(server, "/simple/alpha/")[2]
        assert get(server, "/files/alpha-1.0-py3-none-any.whl.metadata")[0] == 404


def test_pages_revalidate_with_cache_headers_and_have_none_without(root: Path) -> None:
    with BenchIndex(root) as server:
        _, headers, _ = get(server, "/simple/beta/", {"Accept": JSON})
        assert headers["Cache-Control"] == "max-age=0" and "Last-Modified" in headers
        again = get(server, "/simple/beta/", {"Accept": JSON, "If-None-Match": headers["ETag"]})
        assert again[0] == 304 and again[2] == b""
        assert server.take()[0]["not_modified"] == 1
    with BenchIndex(root, ServeOptions(cache_headers=False)) as server:
        status, headers, _ = get(server, "/simple/beta/", {"Accept": JSON, "If-None-Match": "*"})
        assert status == 200
        assert not {"ETag", "Last-Modified", "Cache-Control"} & headers.keys()
        _, file_headers, _ = get(server, "/files/beta-2.0-py3-none-any.whl")
        assert "immutable" in file_headers["Cache-Control"]  # files keep theirs


def test_range_requests_read_the_central_directory_and_can_be_refused(root: Path) -> None:
    wheel = root / "beta-2.0-py3-none-any.whl"
    data = wheel.read_bytes()
    with BenchIndex(root) as server:
        status, headers, _ = get(server, f"/files/{wheel.name}", method="HEAD")
        assert status == 200 and headers["Accept-Ranges"] == "bytes"
        assert headers["Content-Length"] == str(len(data))
        status, headers, tail = get(server, f"/files/{wheel.name}", {"Range": "bytes=-22"})
        assert status == 206 and tail == data[-22:] and tail.startswith(b"PK\x05\x06")
        assert headers["Content-Range"] == f"bytes {len(data) - 22}-{len(data) - 1}/{len(data)}"
        status, _, middle = get(server, f"/files/{wheel.name}", {"Range": "bytes=10-19"})
        assert status == 206 and middle == data[10:20]
        assert get(server, f"/files/{wheel.name}", {"Range": f"bytes={len(data)}-"})[0] == 416
        summary = server.take()[0]
        assert summary["by_kind"] == {"head": 1, "range": 3} and summary["whole_files"] == 0
    with BenchIndex(root, ServeOptions(ranges=False)) as server:
        status, headers, body = get(server, f"/files/{wheel.name}", {"Range": "bytes=-22"})
        assert status == 200 and body == data and "Accept-Ranges" not in headers
        assert server.take()[0]["whole_files"] == 1


def test_a_capped_bandwidth_still_sends_every_byte(root: Path) -> None:
    wheel = root / "beta-2.0-py3-none-any.whl"
    options = ServeOptions(bandwidth=parse_rate("2MB/s"), total_bandwidth=parse_rate("40Mbit/s"))
    with BenchIndex(root, options) as server:
        status, _, body = get(server, f"/files/{wheel.name}")
        assert status == 200 and body == wheel.read_bytes()
        with zipfile.ZipFile(wheel) as zf:
            assert zf.testzip() is None


@pytest.mark.timeout(60)
def test_it_counts_the_requests_in_flight_at_once(root: Path) -> None:
    """With a latency every request is held before its first byte, so requests sent together
    are in flight together; the server counts them (a count, not a timing)."""
    barrier = threading.Barrier(6)
    with BenchIndex(root, ServeOptions(latency=parse_duration("500ms")), log=True) as server:

        def one() -> None:
            barrier.wait()
            assert get(server, "/simple/beta/")[0] == 200

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        summary, log = server.take(reset=True)
        assert summary["peak_in_flight"] == 6 and summary["requests"] == 6
        assert summary["connections"] == 6 and len(log) == 6
        assert all(e.first_byte - e.start >= 0.5 for e in log)
        assert server.take()[0]["requests"] == 0  # the counters started again


def test_durations_and_rates_read_as_written() -> None:
    assert parse_duration("100ms") == pytest.approx(0.1)
    assert parse_duration("0.25s") == parse_duration("0.25") == 0.25
    assert parse_rate("5MB/s") == 5e6
    assert parse_rate("40Mbit/s") == 5e6
    assert parse_rate("1KiB") == 1024


def test_real_pages_are_served_with_local_urls_and_metadata_as_asked(root: Path) -> None:
    """A recorded page (every version the default index lists) is served with each file's URL
    pointing at this server; the wheelhouse's files get its hashes and metadata, others 404."""
    (root / "pages").mkdir()
    recorded = {
        "meta": {"api-version": "1.1", "_last-serial": "1"},
        "name": "beta",
        "versions": ["1.0", "2.0"],
        "files": [
            {
                "filename": "beta-1.0-py3-none-any.whl",
                "url": "https://files.example/beta-1.0-py3-none-any.whl",
                "hashes": {"sha256": "0" * 64},
                "core-metadata": {"sha256": "1" * 64},
                "yanked": "broken",
            },
            {
                "filename": "beta-2.0-py3-none-any.whl",
                "url": "https://files.example/beta-2.0-py3-none-any.whl",
                "hashes": {"sha256": "2" * 64},
            },
        ],
    }
    (root / "pages" / "beta.json").write_text(json.dumps(recorded))
    with BenchIndex(root, ServeOptions(real_pages=True, metadata=False)) as server:
        status, _, body = get(server, "/simple/beta/", {"Accept": JSON})
        assert status == 200
        old, new = json.loads(body)["files"]
        assert old["url"] == "/files/beta-1.0-py3-none-any.whl" and old["yanked"] == "broken"
        assert "core-metadata" not in old and "core-metadata" not in new
        assert new["hashes"]["sha256"] != "2" * 64  # the wheelhouse's own file and hash
        assert get(server, old["url"])[0] == 404
        assert get(server, new["url"])[0] == 200
        _, _, page = get(server, "/simple/beta/")
        assert b'data-yanked="broken"' in page
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/simple/beta/", headers={"Accept": JSON, "Accept-Encoding": "gzip"})
        resp = conn.getresponse()
        assert resp.getheader("Content-Encoding") == "gzip"
        assert json.loads(gzip.decompress(resp.read())) == json.loads(body)
        conn.close()
