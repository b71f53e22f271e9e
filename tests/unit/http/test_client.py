"""The HTTP client against a real server on 127.0.0.1: cache revalidation, retries, credentials
that never leak into messages or to another host, offline mode, file:// pages and hashed
downloads; and servers that fail or lie: 429/503 with Retry-After, partial and endless bodies,
resets and stalls mid-body, wrong ranges, redirect loops."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from cove.http.client import HttpClient, HttpOptions, NetworkError, PageTooLarge
from cove.http.urls import redact, split_auth
from tests.support.index import Fault, Index, IndexServer, ServerOptions

JSON = "application/vnd.pypi.simple.v1+json"


def client(tmp_path: Path, **kw: object) -> HttpClient:
    kw = {"cache_dir": tmp_path / "cache", "retries": 3, "environ": {}, **kw}
    return HttpClient(HttpOptions(**kw))  # type: ignore[arg-type]


def test_page_is_cached_and_revalidated(tmp_path: Path, index: Index) -> None:
    index.add("Flask", "2.0")
    with IndexServer(index) as server:
        c = client(tmp_path)
        first = c.get_page(server.url + "flask/", JSON)
        assert first is not None
        assert first.content_type == JSON and b'"flask-2.0-py3-none-any.whl"' in first.body
        (body,) = (tmp_path / "cache").rglob("*.body")
        stored = body.stat()
        second = client(tmp_path).get_page(server.url + "flask/", JSON)
        assert second is not None and second.body == first.body
        assert server.count("/simple/flask/") == 2  # max-age=0: revalidated, answered 304
        again = body.stat()  # a 304 refreshes what is known of the page, not the page itself
        assert (again.st_ino, again.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)
        offline = client(tmp_path, offline=True).get_page(server.url + "flask/", JSON)
        assert offline is not None and offline.body == first.body
        assert server.count("/simple/flask/") == 2


@pytest.mark.parametrize("etag", [True, False], ids=["304", "same-200"])
def test_what_is_known_of_an_unchanged_page_is_written_only_when_a_freshness_window_reads_it(
    tmp_path: Path, index: Index, etag: bool
) -> None:
    # Without a window every run asks again: rewriting each page's record only to say when
    # would be a write per page per run. With --cache-ttl the time is what makes the page
    # fresh, so a confirmed page is trusted for the window from then on.
    index.add("demo", "1.0")
    with IndexServer(index, ServerOptions(etag=etag)) as server:
        url = server.url + "demo/"
        client(tmp_path).get_page(url, JSON)
        (record,) = (tmp_path / "cache").rglob("*.json")
        first, stored = record.stat(), json.loads(record.read_text())["stored"]
        client(tmp_path).get_page(url, JSON)
        kept = record.stat()
        client(tmp_path, page_ttl=600.0, refresh=True).get_page(url, JSON)
        confirmed = json.loads(record.read_text())["stored"]
        client(tmp_path, page_ttl=600.0).get_page(url, JSON)
        asked = server.count("/simple/demo/")
    assert (kept.st_ino, kept.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert confirmed > stored
    assert asked == 3  # the last one was fresh: not asked


def test_offline_without_cache_is_a_clear_error(tmp_path: Path, index: Index) -> None:
    with pytest.raises(NetworkError, match="not in the cache"):
        client(tmp_path, offline=True).get_page("http://127.0.0.1:9/simple/x/", JSON)


def test_missing_project_is_none(tmp_path: Path, index: Index) -> None:
    with IndexServer(index) as server:
        assert client(tmp_path).get_page(server.url + "nope/", JSON) is None


def test_retries_server_errors(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    with IndexServer(index, ServerOptions(fail_next=2)) as server:
        page = client(tmp_path).get_page(server.url + "demo/", JSON)
        assert page is not None and server.count("/simple/demo/") == 3


def test_persistent_failure_names_the_url_without_secrets(tmp_path: Path, index: Index) -> None:
    with IndexServer(index, ServerOptions(fail_next=100)) as server:
        url = server.url_with_auth("alice", "s3cret") + "demo/"
        with pytest.raises(NetworkError) as info:
            client(tmp_path).get_page(url, JSON)
    assert "s3cret" not in info.value.message
    assert "/simple/demo/ answered HTTP 503" in info.value.message


def test_credentials_from_url_apply_to_files_on_the_same_host(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    with IndexServer(index, ServerOptions(auth=("alice", "s3cret"))) as server:
        c = client(tmp_path)
        with pytest.raises(NetworkError, match="access denied"):
            c.get_page(server.url + "demo/", JSON)
        assert c.get_page(server.url_with_auth("alice", "s3cret") + "demo/", JSON) is not None
        got = c.download(f"http://127.0.0.1:{server.port}/files/{wheel.name}", tmp_path / "dl")
        assert got is not None
        path, digest, _ = got
    assert digest == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert path.read_bytes() == wheel.read_bytes()


def test_netrc_credentials(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password pw\n")
    netrc.chmod(0o600)
    with IndexServer(index, ServerOptions(auth=("bob", "pw"))) as server:
        c = HttpClient(HttpOptions(cache_dir=None, environ={"NETRC": str(netrc)}))
        assert c.get_page(server.url + "demo/", JSON) is not None


def test_file_pages(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    c = client(tmp_path)
    page = c.get_page(index.file_url + "demo/", "text/html")
    assert page is not None and b"demo-1.0-py3-none-any.whl" in page.body
    assert c.get_page(index.file_url + "nope/", "text/html") is None


def test_url_helpers() -> None:
    assert split_auth("https://u:p%40ss@h.example/x") == ("https://h.example/x", ("u", "p@ss"))
    assert redact("https://u:pw@h.example/x") == "https://u:****@h.example/x"
    assert redact("https://token@h.example/x") == "https://****@h.example/x"
    assert redact("https://h.example/x") == "https://h.example/x"


def test_keyring_environment_credentials(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    with IndexServer(index, ServerOptions(auth=("carol", "k3y"))) as server:
        environ = {
            "KEYRING_SERVICE_NAME_1": f"http://127.0.0.1:{server.port}/simple/",
            "KEYRING_SERVICE_USERNAME_1": "carol",
            "KEYRING_SERVICE_PASSWORD_1": "k3y",
        }
        c = HttpClient(HttpOptions(cache_dir=None, environ=environ))
        assert c.get_page(server.url + "demo/", JSON) is not None
        wrong = HttpClient(
            HttpOptions(cache_dir=None, environ={**environ, "KEYRING_SERVICE_PASSWORD_1": "no"})
        )
        with pytest.raises(NetworkError, match="access denied"):
            wrong.get_page(server.url + "demo/", JSON)


def test_truncated_downloads_are_retried(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    url_path = f"/files/{wheel.name}"
    with IndexServer(index, ServerOptions(truncate_files=2)) as server:
        got = client(tmp_path).download(
            f"http://127.0.0.1:{server.port}{url_path}", tmp_path / "dl"
        )
        assert got is not None
        path, digest, _ = got
        assert server.count(url_path) == 3
    assert path.read_bytes() == wheel.read_bytes()
    assert digest == hashlib.sha256(wheel.read_bytes()).hexdigest()
    with (
        IndexServer(index, ServerOptions(truncate_files=100)) as server,
        pytest.raises(NetworkError, match="kept failing"),
    ):
        client(tmp_path).download(f"http://127.0.0.1:{server.port}{url_path}", tmp_path / "dl")
    assert [p.name for p in (tmp_path / "dl").iterdir()] == [path.name]  # no partial file left


def test_connection_resets_are_retried(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    with IndexServer(index, ServerOptions(reset_next=2)) as server:
        page = client(tmp_path).get_page(server.url + "demo/", JSON)
        assert page is not None and wheel.name.encode() in page.body
        assert server.count("/simple/demo/") == 3  # two resets, then the answer
    with IndexServer(index, ServerOptions(reset_next=2)) as server:
        url = f"http://127.0.0.1:{server.port}/files/{wheel.name}"
        got = client(tmp_path).download(url, tmp_path / "dl")
        assert got is not None
        path = got.path
        assert path.read_bytes() == wheel.read_bytes()
        assert server.count(f"/files/{wheel.name}") == 3


def test_persistent_resets_name_the_url_without_its_secret(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    with IndexServer(index, ServerOptions(reset_next=100)) as server:
        url = server.url_with_auth("dave", "s3cret") + "demo/"
        with pytest.raises(NetworkError) as info:
            client(tmp_path).get_page(url, JSON)
        assert server.count("/simple/demo/") == 4  # the first try and three retries
    message = str(info.value)
    assert f"127.0.0.1:{server.port}/simple/demo/" in message and "s3cret" not in message
    assert info.value.hint


def test_stalled_answers_time_out_and_are_retried(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    options = ServerOptions(stall_next=1, stall_seconds=1.5)
    with IndexServer(index, options) as server:
        page = client(tmp_path, timeout=0.5).get_page(server.url + "demo/", JSON)
        assert page is not None and b"demo" in page.body
        assert server.count("/simple/demo/") == 2  # the stalled one timed out, the retry answered


# -- hostile and failing servers (issue 14) -------------------------------------------------------


def fast(tmp_path: Path, **kw: object) -> HttpClient:
    """A client whose waits are short: tests stay quick whatever a server asks."""
    options = {"backoff": 0.01, "retry_after_max": 0.05, **kw}
    return client(tmp_path, **options)


def test_429_and_503_are_retried_after_what_retry_after_says(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    page, file = "/simple/demo/", f"/files/{wheel.name}"
    with IndexServer(index) as server:
        server.inject(page, Fault(status=429, body=b"slow down", headers={"Retry-After": "1"}))
        server.inject(page, Fault(status=503, body=b"busy", headers={"Retry-After": "3600"}))
        server.inject(file, Fault(status=503, body=b"busy", headers={"Retry-After": "1"}, times=2))
        c = fast(tmp_path, retry_after_max=0.3)
        got = c.get_page(server.url + "demo/", JSON)  # an hour's Retry-After waits the cap
        assert got is not None and wheel.name.encode() in got.body
        assert server.count(page) == 3
        times = [t for path, t in server.times if path == page]
        assert times[1] - times[0] >= 0.3  # Retry-After: 1, capped at 0.3 s; backoff is 0.01
        done = c.download(f"http://127.0.0.1:{server.port}{file}", tmp_path / "dl")
        assert done is not None and done.path.read_bytes() == wheel.read_bytes()
        assert server.count(file) == 3


def test_persistent_429_says_how_often_and_how_long(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    with IndexServer(index) as server:
        for path in ("/simple/demo/", f"/files/{wheel.name}"):
            server.inject(
                path, Fault(status=429, body=b"no", headers={"Retry-After": "1"}, times=None)
            )
        with pytest.raises(NetworkError) as page:
            fast(tmp_path).get_page(server.url + "demo/", JSON)
        with pytest.raises(NetworkError) as file:
            fast(tmp_path).download(f"http://127.0.0.1:{server.port}/files/{wheel.name}", tmp_path)
        assert server.count("/simple/demo/") == 4 and server.count(f"/files/{wheel.name}") == 4
    for info in (page, file):
        assert "answered HTTP 429 (tried 4 times over " in info.value.message
        assert "limiting requests" in (info.value.hint or "")


def test_404_is_not_retried(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    with IndexServer(index) as server:
        assert fast(tmp_path).get_page(server.url + "nothing/", JSON) is None
        with pytest.raises(NetworkError, match="answered HTTP 404"):
            fast(tmp_path).download(f"http://127.0.0.1:{server.port}/files/gone.whl", tmp_path)
        assert server.count("/simple/nothing/") == 1 and server.count("/files/gone.whl") == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=206, keep=100, headers={"Content-Range": "bytes 0-99/*"}),  # no Range asked
        Fault(cut=100),  # the connection closes after 100 bytes of the promised whole
        Fault(length=10**6),  # says more than it sends, then closes
        Fault(cut=100, reset=True),  # a reset mid-body
        Fault(cut=100, stall=2.0),  # a stall mid-body, past the read timeout
    ],
    ids=["206-unasked", "truncated", "long-length", "reset", "stall"],
)
def test_partial_bodies_are_retried_and_never_kept(
    tmp_path: Path, index: Index, fault: Fault
) -> None:
    wheel = index.add("demo", files={"demo/data.bin": bytes(range(256)) * 64})
    path = f"/files/{wheel.name}"
    with IndexServer(index) as server:
        server.inject(path, replace(fault, times=None))
        url = f"http://127.0.0.1:{server.port}{path}"
        with pytest.raises(NetworkError, match=r"kept failing \(tried 4 times over"):
            fast(tmp_path, timeout=0.5).download(url, tmp_path / "dl")
        assert server.count(path) == 4
        assert not list((tmp_path / "dl").iterdir())  # nothing half written is left
        server.heal()
        server.inject(path, fault)  # once: the retry gets the whole file
        got = fast(tmp_path, timeout=0.5).download(url, tmp_path / "dl")
    assert got is not None and got.path.read_bytes() == wheel.read_bytes()
    assert got.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "fault",
    [Fault(cut=50, reset=True, times=2), Fault(cut=50, stall=2.0), Fault(length=10**5)],
    ids=["reset", "stall", "long-length"],
)
def test_pages_broken_mid_body_are_retried(tmp_path: Path, index: Index, fault: Fault) -> None:
    wheel = index.add("demo")
    broken = fault.times or 0
    with IndexServer(index) as server:
        server.inject("/simple/demo/", fault)
        page = fast(tmp_path, timeout=0.5).get_page(server.url + "demo/", JSON)
        assert page is not None and wheel.name.encode() in page.body
        assert server.count("/simple/demo/") == broken + 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(body=b"[" * 5000),  # larger than the cap, with a Content-Length saying so
        Fault(body=b"{", length=-1, endless=b" " * 4096),  # no length, and it never ends
        Fault(body=b"{", length=10**12, endless=b" " * 4096),  # a terabyte announced
    ],
    ids=["large", "endless", "announced"],
)
def test_pages_past_the_size_cap_are_refused(tmp_path: Path, index: Index, fault: Fault) -> None:
    index.add("demo")
    with IndexServer(index) as server:
        server.inject("/simple/demo/", fault)
        with pytest.raises(PageTooLarge) as info:
            fast(tmp_path, page_max_size=4096).get_page(server.url + "demo/", JSON)
        assert f"127.0.0.1:{server.port}/simple/demo/ is larger than page-max-size" in str(
            info.value
        )
        assert "COVE_PAGE_MAX_SIZE" in (info.value.hint or "")
        assert server.count("/simple/demo/") == 1  # refused, not retried
    assert not list((tmp_path / "cache").rglob("*.body"))


def test_range_answers_must_be_what_was_asked(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo", files={"demo/data.bin": bytes(range(256)) * 64})
    size = wheel.stat().st_size
    path = f"/files/{wheel.name}"
    with IndexServer(index) as server:
        url = f"http://127.0.0.1:{server.port}{path}"
        got = fast(tmp_path).get_range(url, "100-199")
        assert got is not None and got.data == wheel.read_bytes()[100:200]
        for fault in (
            Fault(headers={"Content-Range": f"bytes 0-99/{size}"}),  # another span
            Fault(headers={"Content-Range": f"bytes 100-299/{size}"}),  # more than it sends
            Fault(keep=10, headers={"Content-Range": f"bytes 100-109/{size}"}),  # a shorter one
        ):
            server.inject(path, fault)
            with pytest.raises(NetworkError, match=r"to a request for bytes=100-199"):
                fast(tmp_path).get_range(url, "100-199")
        server.inject(path, Fault(headers={"Content-Range": f"bytes 0-99/{size}"}))
        with pytest.raises(NetworkError, match=rf"answered bytes 0-99/{size} .* bytes=-100"):
            fast(tmp_path).get_range(url, "-100")


def test_a_redirect_to_another_host_carries_no_credentials(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo")
    path = f"/files/{wheel.name}"
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password from-netrc\n")
    netrc.chmod(0o600)
    with IndexServer(index) as origin, IndexServer(index, host="localhost") as other:
        elsewhere = f"http://localhost:{other.port}{path}"
        origin.inject(
            path, Fault(status=302, body=b"", headers={"Location": elsewhere}, times=None)
        )
        origin.inject(
            "/simple/demo/",
            Fault(status=302, body=b"", headers={"Location": other.url + "demo/"}, times=None),
        )
        for c, url in (
            (fast(tmp_path), f"http://alice:s3cret@127.0.0.1:{origin.port}"),  # in the URL
            (fast(tmp_path, environ={"NETRC": str(netrc)}), f"http://127.0.0.1:{origin.port}"),
        ):
            assert c.get_page(url + "/simple/demo/", JSON) is not None
            got = c.download(url + path, tmp_path / "dl")
            assert got is not None and got.path.read_bytes() == wheel.read_bytes()
        sent = origin.headers_of("/simple/demo/") + origin.headers_of(path)
        seen = other.headers_of("/simple/demo/") + other.headers_of(path)
    assert len(sent) == 4 and all(_authorization(h) for h in sent)  # the origin got them
    assert len(seen) == 4 and not any(_authorization(h) for h in seen)


def _authorization(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


def test_redirect_loops_are_bounded(tmp_path: Path, index: Index) -> None:
    index.add("demo")
    with IndexServer(index) as server:
        a, b = server.url + "a/", server.url + "b/"
        server.inject(
            "/simple/a/", Fault(status=302, body=b"", headers={"Location": b}, times=None)
        )
        server.inject(
            "/simple/b/", Fault(status=301, body=b"", headers={"Location": a}, times=None)
        )
        with pytest.raises(NetworkError) as info:
            fast(tmp_path).get_page(a, JSON)
        assert server.count("/simple/a/") + server.count("/simple/b/") == 11  # 1 + 10 redirects
    assert f"{a} redirected more than 10 times (a redirect loop)" in info.value.message


def test_one_retry_budget_covers_statuses_and_broken_bodies(tmp_path: Path, index: Index) -> None:
    """A server that alternates 503s and resets mid-body gets ``retries`` more tries of each
    kind in all, not ``retries`` of one for every try of the other."""
    index.add("demo")
    with IndexServer(index) as server:
        for _ in range(10):
            server.inject("/simple/demo/", Fault(status=503, body=b"busy"))
            server.inject("/simple/demo/", Fault(cut=20, reset=True))
        with pytest.raises(NetworkError, match=r"answered HTTP 503 \(tried 4 times over "):
            fast(tmp_path).get_page(server.url + "demo/", JSON)
        assert server.count("/simple/demo/") == 7  # 503, reset, 503, reset, 503, reset, 503


def test_a_retried_answer_with_an_endless_body_is_not_read_to_its_end(
    tmp_path: Path, index: Index
) -> None:
    """urllib3 reads a retried (or redirected) answer's body before asking again: a 503 or a
    302 whose body never ends would hang cove. Such a connection is dropped instead."""
    wheel = index.add("demo")
    endless = {"body": b"busy", "length": -1, "endless": b"y" * 65536}
    with IndexServer(index) as server:
        server.inject("/simple/demo/", Fault(status=503, **endless, times=None))  # type: ignore[arg-type]
        with pytest.raises(NetworkError, match=r"answered HTTP 503 \(tried 4 times over "):
            fast(tmp_path).get_page(server.url + "demo/", JSON)
        server.heal()
        server.inject("/simple/demo/", Fault(status=503, **endless))  # type: ignore[arg-type]
        moved = {"Location": server.url + "demo/"}
        server.inject("/simple/old/", Fault(status=302, headers=moved, **endless))  # type: ignore[arg-type]
        page = fast(tmp_path).get_page(server.url + "old/", JSON)
        assert page is not None and wheel.name.encode() in page.body
        assert server.count("/simple/demo/") == 4 + 2  # the 503 once more, then the page
