"""The HTTP client against a real server on 127.0.0.1: cache revalidation, retries, credentials
that never leak into messages, offline mode, file:// pages and hashed downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cove.http.client import HttpClient, HttpOptions, NetworkError
from cove.http.urls import redact, split_auth
from tests.support.index import Index, IndexServer, ServerOptions

JSON = "application/vnd.pypi.simple.v1+json"


def client(tmp_path: Path, **kw: object) -> HttpClient:
    options = HttpOptions(cache_dir=tmp_path / "cache", retries=3, environ={}, **kw)  # type: ignore[arg-type]
    return HttpClient(options)


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
