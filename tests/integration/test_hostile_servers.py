"""Hostile and failing servers, through the public CLI against the real index server with faults
injected per path: index pages are capped in size and a broken one is an error naming it; hash-
checking mode refuses a file without a strong index hash before anything is downloaded; a
partial body never enters the cache; 429/503 are retried (Retry-After honoured up to a cap),
404 is not, resets and stalls are; credentials never follow a redirect to another host."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.index import Fault, Index, IndexServer, ServerOptions

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"
# Short waits, so failing servers fail fast: 2 retries, backoff 0.01 s, Retry-After up to 0.05 s.
FAST = {"COVE_RETRIES": "2", "COVE_RETRY_BACKOFF": "0.01", "COVE_RETRY_AFTER_MAX": "0.05"}


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache of this test's own: what a fault left in it (or did not) is this test's doing."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))


def venv(where: Path) -> Path:
    assert PY is not None
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def cove(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cove(*args, env={**os.environ, **FAST, **env})


def installed(env: Path) -> list[str]:
    return sorted(p.name for p in (env / SITE).iterdir())


def cached_wheels(name: str) -> list[Path]:
    return list((Path(os.environ["COVE_CACHE_DIR"]) / "artifacts-v1").rglob(name))


def failed(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1 with every one of ``expected`` in the error, a hint, and no traceback."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "hint:" in proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr


# -- hash policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "because"),
    [({}, "no hash"), ({"md5": "0" * 32}, "only md5"), ({"sha1": "0" * 40}, "only sha1")],
    ids=["none", "md5", "sha1"],
)
def test_hash_checking_refuses_a_file_without_a_strong_hash_before_downloading_it(
    tmp_path: Path, index: Index, listed: dict[str, str], because: str
) -> None:
    wheel = index.add("demo", "1.0")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    index.list_hashes(wheel, listed)
    env = venv(tmp_path / "env")
    before = installed(env)
    req = tmp_path / "req.txt"
    req.write_text(f"demo==1.0 --hash=sha256:{sha256}\n")
    with IndexServer(index) as server:
        proc = cove("install", "-p", str(env), "-i", server.url, "-r", str(req))
        failed(proc, f"{wheel.name} is refused: the index gives {because} for it", "hash-checking")
        assert server.count(wheel.name) == 0  # nothing was downloaded
        assert server.count(wheel.name + ".metadata") == 0
    assert installed(env) == before and not cached_wheels(wheel.name)


def test_hash_checking_takes_a_file_with_a_strong_hash_beside_a_weak_one(
    tmp_path: Path, index: Index
) -> None:
    wheel = index.add("demo", "1.0")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    index.list_hashes(wheel, {"md5": hashlib.md5(wheel.read_bytes()).hexdigest(), "sha256": sha256})
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        proc = cove("install", "-p", str(env), "-i", server.url, "--require-hashes",
                    "demo==1.0")  # fmt: skip
        failed(proc, "no --hash for: demo 1.0")  # --require-hashes alone: every pin needs one
        req = tmp_path / "req.txt"
        req.write_text(f"demo==1.0 --hash=sha256:{sha256}\n")
        proc = cove("install", "-p", str(env), "-i", server.url, "-r", str(req))
    assert proc.returncode == 0, proc.stderr
    assert "demo-1.0.dist-info" in installed(env)


# -- partial bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "hashed"),
    [
        (Fault(status=206, keep=100, headers={"Content-Range": "bytes 0-99/*"}), False),
        (Fault(status=206, keep=100, headers={"Content-Range": "bytes 0-99/*"}), True),
        (Fault(cut=100), True),  # the connection closes mid-body
        (Fault(length=100), False),  # a Content-Length short of the file: 100 bytes taken
        (Fault(length=100), True),
        (Fault(length=10**6), False),  # one longer than what is sent
    ],
    ids=[
        "206-url",
        "206-index",
        "truncated-index",
        "short-length-url",
        "short-length-index",
        "long-length-url",
    ],
)
def test_a_partial_body_never_enters_the_cache(
    tmp_path: Path, index: Index, fault: Fault, hashed: bool
) -> None:
    """From an index (its sha256 known) and from a URL without a hash (revalidated by the
    ETag the broken answer carried: a cached part would be used for good): the install fails
    cleanly, nothing is cached, and once the server is fixed the next install works."""
    wheel = index.add("demo", "1.0", files={"demo/data.bin": bytes(range(256)) * 256})
    path = f"/files/{wheel.name}"
    env = venv(tmp_path / "env")
    before = installed(env)
    with IndexServer(index) as server:
        source = (
            ["-i", server.url, "demo"]
            if hashed
            else ["--no-index", f"demo @ http://127.0.0.1:{server.port}{path}"]
        )
        fault.times = None
        server.inject(path, fault)
        proc = cove("install", "-p", str(env), *source)
        failed(proc, wheel.name)
        assert installed(env) == before and not cached_wheels(wheel.name)
        server.heal()
        proc = cove("install", "-p", str(env), *source)
    assert proc.returncode == 0, proc.stderr
    assert "demo-1.0.dist-info" in installed(env)
    assert [p.read_bytes() for p in cached_wheels(wheel.name)] == [wheel.read_bytes()]


# -- retries -------------------------------------------------------------------------------------


def test_429_and_503_are_retried_for_pages_and_files(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo", "1.0")
    page, file = "/simple/demo/", f"/files/{wheel.name}"
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        server.inject(page, Fault(status=429, body=b"slow", headers={"Retry-After": "3600"}))
        server.inject(page, Fault(status=503, body=b"busy", headers={"Retry-After": "1"}))
        server.inject(file, Fault(status=503, body=b"busy", times=2))
        proc = cove("install", "-p", str(env), "-i", server.url, "demo")  # an hour: the cap
        assert proc.returncode == 0, proc.stderr
        assert server.count(page) == 3 and server.count(file) == 3
    assert "demo-1.0.dist-info" in installed(env)


def test_persistent_429_and_503_say_how_often_and_how_long(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo", "1.0")
    index.add("other", "1.0")
    page, file = "/simple/other/", f"/files/{wheel.name}"
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        server.inject(page, Fault(status=503, body=b"busy", times=None))
        server.inject(file, Fault(status=429, body=b"no", headers={"Retry-After": "9"}, times=None))
        for name, path, status in (("other", page, 503), ("demo", file, 429)):
            proc = cove("install", "-p", str(env), "-i", server.url, name)
            failed(
                proc, f"127.0.0.1:{server.port}{path} answered HTTP {status} (tried 3 times over"
            )
            assert server.count(path) == 3
    assert "busy or limiting requests" in proc.stderr


def test_404_is_not_retried_and_resets_and_stalls_are(tmp_path: Path, index: Index) -> None:
    wheel = index.add("demo", "1.0", files={"demo/data.bin": bytes(range(256)) * 256})
    file = f"/files/{wheel.name}"
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        server.inject(file, Fault(status=404, body=b"gone", times=None))
        proc = cove("install", "-p", str(env), "-i", server.url, "demo")
        failed(proc, f"{file} answered HTTP 404")
        assert server.count(file) == 1
        server.heal()
        server.inject(file, Fault(cut=1000, reset=True))
        server.inject(file, Fault(cut=1000, stall=3.0))
        proc = cove("install", "-p", str(env), "-i", server.url, "demo", COVE_TIMEOUT="0.5")
        assert proc.returncode == 0, proc.stderr
        assert server.count(file) == 4  # the 404, a reset, a stall, then the whole file


# -- redirects -----------------------------------------------------------------------------------


def _redirect(to: str) -> Fault:
    return Fault(status=302, body=b"", headers={"Location": to}, times=None)


def _authorization(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


@pytest.mark.parametrize("where", ["url", "netrc", "keyring"])
def test_a_redirect_to_another_host_never_carries_credentials(
    tmp_path: Path, index: Index, where: str
) -> None:
    wheel = index.add("demo", "1.0")
    file = f"/files/{wheel.name}"
    env = venv(tmp_path / "env")
    with (
        IndexServer(index, ServerOptions(auth=("alice", "s3cret"))) as origin,
        IndexServer(index, host="localhost") as other,
    ):
        origin.inject(file, _redirect(f"http://localhost:{other.port}{file}"))
        extra: dict[str, str] = {}
        url = origin.url
        if where == "url":
            url = origin.url_with_auth("alice", "s3cret")
        elif where == "netrc":
            netrc = tmp_path / "netrc"
            netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
            netrc.chmod(0o600)
            extra = {"NETRC": str(netrc)}
        else:
            extra = {"KEYRING_SERVICE_NAME_1": f"127.0.0.1:{origin.port}",
                     "KEYRING_SERVICE_USERNAME_1": "alice",
                     "KEYRING_SERVICE_PASSWORD_1": "s3cret"}  # fmt: skip
        proc = cove("install", "-p", str(env), "-i", url, "demo", **extra)
        assert proc.returncode == 0, proc.stderr
        assert _authorization(origin.headers_of(file)[0])  # the origin was sent them
        assert other.headers_of(file) and not any(map(_authorization, other.headers_of(file)))
    assert "demo-1.0.dist-info" in installed(env)


def test_redirect_loops_are_bounded(tmp_path: Path, index: Index) -> None:
    index.add("demo", "1.0")
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        server.inject("/simple/demo/", _redirect(server.url + "demo-again/"))
        server.inject("/simple/demo-again/", _redirect(server.url + "demo/"))
        proc = cove("install", "-p", str(env), "-i", server.url, "demo")
        failed(proc, f"{server.url}demo/ redirected more than 10 times (a redirect loop)")
        assert server.count("/simple/demo/") + server.count("/simple/demo-again/") == 11


# -- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault(body=b" " * 5000), Fault(body=b"{", length=-1, endless=b" " * 4096)],
    ids=["large", "endless"],
)
def test_index_pages_are_read_up_to_a_cap(tmp_path: Path, index: Index, fault: Fault) -> None:
    index.add("demo", "1.0")
    env = venv(tmp_path / "env")
    with IndexServer(index) as server:
        server.inject("/simple/demo/", fault)
        proc = cove("install", "-p", str(env), "-i", server.url, "demo", COVE_PAGE_MAX_SIZE="4K")
        failed(proc, f"{server.url}demo/ is larger than page-max-size (4096 bytes", "512M")
    pages = Path(os.environ["COVE_CACHE_DIR"]) / "pages-v1"
    assert not list(pages.rglob("*.body")) if pages.exists() else True


@pytest.mark.parametrize(
    ("json", "body", "error"),
    [
        (True, b'{"meta": {"api-version": "1.0"}, "files": [', "is not valid Simple API JSON"),
        (
            False,
            b"<html><body><![bogus]]><a href='x.whl'>x</a>",
            "is not an HTML page cove can read",
        ),
    ],
    ids=["json", "html"],
)
def test_a_malformed_page_is_an_error_naming_it(
    tmp_path: Path, index: Index, json: bool, body: bytes, error: str
) -> None:
    index.add("demo", "1.0")
    env = venv(tmp_path / "env")
    before = installed(env)
    with IndexServer(index, ServerOptions(json=json)) as server:
        server.inject("/simple/demo/", Fault(body=body))
        proc = cove("install", "-p", str(env), "-i", server.url, "demo")
        failed(proc, f"{server.url}demo/ {error}")
    assert installed(env) == before
