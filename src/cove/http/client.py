"""The one HTTP(S) and file:// client: retries with backoff (urllib3's Retry: 429 and 5xx,
Retry-After up to a cap, resets and stalls mid-body too), credentials from the URL or .netrc
(never sent to another host on a redirect), proxies, TLS options, a revalidating page cache,
pages read up to a size cap, and streamed downloads with progress that refuse a partial body."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar
from urllib.parse import urlsplit

from cove.cache import PAGES
from cove.cache.files import write_atomic
from cove.errors import CoveError
from cove.http.urls import host_of, redact, split_auth

if TYPE_CHECKING:
    import urllib3

_T = TypeVar("_T")

PAGE_BUCKET = PAGES
USER_AGENT = "cove/{version} (python {py})"
CONNECTIONS_PER_HOST = 32
PAGE_MAX_SIZE = 128 << 20  # the largest index page or metadata file read (page-max-size)
REDIRECTS = 10  # a longer chain is a loop, or as good as one
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # asked again, after Retry-After or backoff
BACKOFF_MAX = 10.0  # seconds: the longest wait between two tries without a Retry-After
CHUNK = 256 * 1024
DRAIN_MAX = 64 * 1024  # a retried answer's body is read (to keep the connection) up to this
Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)
Known = Callable[[str, str, str], bool]  # (sha256, content type, url): the body is not needed


class NetworkError(CoveError):
    """A URL could not be fetched after retries, or the answer was unusable."""


class PageTooLarge(CoveError):
    """A page or metadata file is larger than page-max-size: refused, not skipped (a server
    that sends one is broken or hostile, and an index skipped would change what resolves)."""


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Everything that shapes a request, from flags, environment variables and config files."""

    cache_dir: Path | None = None  # None: no page cache (--no-cache)
    timeout: float = 15.0
    retries: int = 5
    backoff: float = 0.25  # seconds: tries wait 0, 2x, 4x, 8x ... this (at most BACKOFF_MAX)
    retry_after_max: float = 60.0  # the longest Retry-After honoured (a longer one waits this)
    page_max_size: int = PAGE_MAX_SIZE
    cert: str | None = None  # CA bundle
    client_cert: str | None = None
    proxy: str | None = None  # else the *_proxy environment variables
    trusted_hosts: tuple[str, ...] = ()
    offline: bool = False
    # A cached page younger than this many seconds is used without asking the server again,
    # whatever its headers say (0: as they say; an index without Cache-Control is asked every
    # run). ``refresh`` asks again even when the headers say the page is fresh.
    page_ttl: float = 0.0
    refresh: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


class Validators(NamedTuple):
    """What a server said identifies a file's version (for a conditional request later)."""

    etag: str | None
    last_modified: str | None


class Ranged(NamedTuple):
    """A part of a remote file: its bytes, where they start, and the whole file's size."""

    data: bytes
    start: int
    total: int


class Download(NamedTuple):
    path: Path  # a temporary file in the directory asked for; the caller moves or removes it
    sha256: str
    validators: Validators


class Response(NamedTuple):
    url: str  # where the body came from, after redirects, without credentials
    status: int
    content_type: str
    body: bytes
    # The body's sha256 when the page cache holds this body (None with --no-cache, for a
    # no-store answer or a file:// page): what keys the Links parsed from it (index/parsed.py).
    sha256: str | None = None


@dataclass(slots=True)
class _Budget:
    """What one fetch may still retry (a urllib3 Retry, replaced as it is spent, by urllib3
    before a body and by cove after a broken one) and when the fetch began."""

    retry: urllib3.Retry
    started: float


class HttpClient:
    """Thread-safe: the resolver's prefetch and the parallel downloads share one instance."""

    def __init__(self, options: HttpOptions) -> None:
        self.options = options
        self._auth: dict[str, tuple[str, str]] = {}  # host -> credentials seen in a URL
        self._lock = threading.Lock()
        self._pools: dict[tuple[str | None, bool], urllib3.PoolManager] = {}

    # -- public -------------------------------------------------------------------------------

    def get_page(self, url: str, accept: str, known: Known | None = None) -> Response | None:
        """An index or find-links page, revalidated against the cache; None when it is 404.

        ``known(sha256, content_type, url)``, asked of a cached body before it is read: True
        when the caller already has what it needs from that body (the finder: its Links, in
        the parsed-page cache). The body is then neither read nor checked, and a fresh or 304
        answer comes back with ``body`` empty and that ``sha256``."""
        url = self._remember_auth(url)
        if url.startswith("file:"):
            return self._file_page(url)
        entry = self._cache_entry(url, accept)
        cached = self._read_cache(entry, known) if entry else None
        if cached is not None:
            meta, body = cached
            age = time.time() - meta["stored"]
            fresh = age < max(meta.get("max_age", 0), self.options.page_ttl)
            if (fresh and not self.options.refresh) or self.options.offline:
                return Response(meta["url"], 200, meta["content_type"], body, meta["sha256"])
        elif self.options.offline:
            raise NetworkError(
                f"{redact(url)} is not in the cache and --offline forbids the network",
                hint="run once without --offline, or use --find-links with local files",
            )
        headers = {"Accept": accept}
        if cached is not None:
            if cached[0].get("etag"):
                headers["If-None-Match"] = cached[0]["etag"]
            if cached[0].get("last_modified"):
                headers["If-Modified-Since"] = cached[0]["last_modified"]
        resp, body = self._retrying(url, lambda b: self._fetch_whole(url, headers, b, (304, 404)))
        if resp.status == 304 and cached is not None:
            old, body = cached
            meta = {**old, "stored": time.time(), "max_age": _max_age(resp.headers)}
            if entry and self._rewrite_needed(old, meta):
                self._write_cache(entry, meta)  # the body is unchanged: only its freshness
            return Response(meta["url"], 200, meta["content_type"], body, meta["sha256"])
        if resp.status == 404:
            return None
        final = split_auth(_final_url(resp, url))[0]
        ctype = resp.headers.get("Content-Type", "")
        digest: str | None = None
        if entry:
            meta = {
                "url": final,
                "content_type": ctype,
                "etag": resp.headers.get("ETag"),
                "last_modified": resp.headers.get("Last-Modified"),
                "max_age": _max_age(resp.headers),
                "stored": time.time(),
            }
            if "no-store" not in resp.headers.get("Cache-Control", ""):
                digest = hashlib.sha256(body).hexdigest()
                # The same page again (an index that sends no validators): only what is known
                # of it is refreshed, not its body (a large project's page is megabytes). A
                # body ``known`` spared reading is written again only when it is gone or cut
                # short; any other damage is found where every body is read, by its sha256.
                unchanged = cached is not None and cached[0].get("sha256") == digest
                if unchanged and cached is not None and not cached[1]:
                    unchanged = _stored_size(entry) == len(body)
                meta["sha256"] = digest
                if not unchanged:
                    self._write_cache(entry, meta, body)
                elif cached is not None and self._rewrite_needed(cached[0], meta):
                    self._write_cache(entry, meta)
        return Response(final, resp.status, ctype, body, digest)

    def get_bytes(self, url: str) -> bytes:
        """A small file (a PEP 658 metadata file), whole."""
        url = self._remember_auth(url)
        if url.startswith("file:"):
            return _file_path(url).read_bytes()
        self._refuse_offline(url)
        return self._retrying(url, lambda b: self._fetch_whole(url, {}, b))[1]

    def get_range(self, url: str, spec: str) -> Ranged | None:
        """Part of a file: ``spec`` as the Range header takes it (``-65536`` for the last
        64 KiB, ``100-199``). None when the server does not serve ranges (it answered with the
        whole file, which is left unread: the caller downloads it the usual way)."""
        url = self._remember_auth(url)
        self._refuse_offline(url)
        return self._retrying(url, lambda b: self._range_once(url, spec, b))

    def _range_once(self, url: str, spec: str, budget: _Budget) -> Ranged | None:
        headers = {"Range": f"bytes={spec}", "Accept-Encoding": "identity"}
        resp = self._request(url, headers, budget)
        try:
            if resp.status != 206:
                if resp.status == 200:
                    resp.close()  # the rest of a whole file would follow: drop the connection
                    return None
                self._check(resp, url)
            found = _content_range(resp.headers.get("Content-Range", ""))
            if found is None:
                resp.close()
                return None  # a 206 without a usable Content-Range: no way to place it
            start, last, total = found
            if (start, last) != _asked_span(spec, total):
                _bad_range(url, spec, f"bytes {start}-{last}/{total}")
            data = resp.read(last - start + 2, decode_content=False)  # a longer body shows
            if len(data) != last - start + 1:
                _bad_range(url, spec, f"bytes {start}-{last}/{total} in {len(data)} bytes")
        except BaseException:
            resp.close()
            raise
        resp.release_conn()
        return Ranged(bytes(data), start, total)

    def download(
        self,
        url: str,
        dest_dir: Path,
        progress: Progress | None = None,
        validators: Validators | None = None,
    ) -> Download | None:
        """Stream ``url`` into a new temporary file in ``dest_dir``: its path, sha256 and the
        validators the server sent. With ``validators`` from an earlier download the request is
        conditional, and None means the server said the file has not changed (304). The body is
        taken as sent (``Accept-Encoding: identity``, never decoded), as pip does, so a server
        that labels a .tar.gz ``Content-Encoding: gzip`` cannot make a false hash mismatch. A body
        cut short, longer or shorter than its Content-Length, a ``206`` part of the file, or a
        connection reset or stalled mid-transfer is retried from the start, and never kept."""
        url = self._remember_auth(url)
        self._refuse_offline(url)
        dest_dir.mkdir(parents=True, exist_ok=True)
        headers = {"Accept-Encoding": "identity"}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        return self._retrying(
            url, lambda b: self._download_once(url, dest_dir, headers, progress, b)
        )

    def _download_once(
        self,
        url: str,
        dest_dir: Path,
        headers: dict[str, str],
        progress: Progress | None,
        budget: _Budget,
    ) -> Download | None:
        import tempfile  # downloads only: its import costs every install that fetches nothing

        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out:
                resp = self._request(url, headers, budget)
                try:
                    if resp.status == 304 and headers.keys() & {
                        "If-None-Match",
                        "If-Modified-Since",
                    }:
                        resp.release_conn()
                        Path(tmp).unlink()
                        return None
                    self._check(resp, url)
                    size = _whole(resp)
                    done = 0
                    for chunk in resp.stream(CHUNK, decode_content=False):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, size)
                    if size is not None and done != size:
                        _broken(f"{done} bytes of the {size} its Content-Length says")
                    found = Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
                except BaseException:
                    resp.close()  # what is left unread would be taken for the next answer
                    raise
                resp.release_conn()
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Download(Path(tmp), digest.hexdigest(), found)

    # -- requests -----------------------------------------------------------------------------

    def _retrying(self, url: str, attempt: Callable[[_Budget], _T]) -> _T:
        """``attempt(budget)``, tried again from the start when the body breaks off (a reset,
        a stall past the timeout, fewer bytes than promised, a part for the whole). One budget
        (a urllib3 Retry) counts these and what urllib3 retries before a body alike, so a
        fetch is tried at most ``retries`` more times for each kind of failure (connection,
        read, status) and its time is bounded."""
        import urllib3

        budget = _Budget(self._retry(), time.monotonic())
        while True:
            try:
                return attempt(budget)
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError) as exc:
                retry = budget.retry
                try:
                    budget.retry = retry.increment("GET", url, error=exc)
                except urllib3.exceptions.MaxRetryError:
                    tried = _tries(len(retry.history) + 1, budget.started)
                    raise NetworkError(
                        f"fetching {redact(url)} kept failing ({tried}): {_describe(exc)}",
                        hint="check your connection or proxy, then try again",
                    ) from None
                budget.retry.sleep()

    def _fetch_whole(
        self, url: str, headers: dict[str, str], budget: _Budget, passed: tuple[int, ...] = ()
    ) -> tuple[urllib3.BaseHTTPResponse, bytes]:
        """A page or a small file, whole and at most page_max_size (decoded) bytes, read in
        pieces (a page that never ends is cut off at the cap); an answer with a status in
        ``passed`` is read too, and handed back for the caller to judge."""
        import io

        resp = self._request(url, headers, budget)
        try:
            if resp.status not in passed:
                self._check(resp, url)
            limit = self.options.page_max_size
            size = _whole(resp)
            if size is not None and size > limit:
                self._too_large(url, f"its Content-Length says {size} bytes")
            out = io.BytesIO()  # its getvalue() hands over the buffer: no second copy
            for chunk in resp.stream(CHUNK, decode_content=True):
                if out.tell() + len(chunk) > limit:
                    self._too_large(url, "it goes on past that")
                out.write(chunk)
            encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
            if size is not None and not encoded and out.tell() != size:
                _broken(f"{out.tell()} bytes of the {size} its Content-Length says")
        except BaseException:
            resp.close()  # the rest, if any, is not read: the connection cannot be reused
            raise
        resp.release_conn()
        return resp, out.getvalue()

    def _too_large(self, url: str, why: str) -> NoReturn:
        limit = self.options.page_max_size
        raise PageTooLarge(
            f"{redact(url)} is larger than page-max-size ({limit} bytes; {why}): refused",
            hint="an index page that large is broken or hostile; if it is real, raise "
            "page-max-size (COVE_PAGE_MAX_SIZE, or in cove.toml), like 512M",
        )

    def _retry(self) -> urllib3.Retry:
        """How often and how long a request is tried again: connection errors, reads that
        break off and the statuses of RETRY_STATUSES each up to ``retries`` times; redirects
        up to REDIRECTS (urllib3 drops Authorization when one leads to another host)."""
        n = self.options.retries
        return _capped_retry()(
            total=None, connect=n, read=n, status=n, other=0, redirect=REDIRECTS,
            backoff_factor=self.options.backoff, backoff_max=BACKOFF_MAX,
            status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
            raise_on_status=False, respect_retry_after_header=True,
            retry_after_max=self.options.retry_after_max,
        )  # fmt: skip

    def _request(
        self, url: str, headers: dict[str, str], budget: _Budget
    ) -> urllib3.BaseHTTPResponse:
        """The answer to a GET of ``url``, its body unread (the caller streams it, so a
        broken one is retried through ``budget`` and a large one is never held whole)."""
        import urllib3

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise NetworkError(
                f"unsupported URL scheme in {redact(url)}",
                hint="use an http://, https:// or file:// URL",
            )
        # Pages may come compressed; downloads ask for identity (see ``download``).
        headers = {"User-Agent": _user_agent(), "Accept-Encoding": "gzip, deflate", **headers}
        creds = self._credentials(parts.netloc)
        if creds is not None:
            headers.update(urllib3.make_headers(basic_auth=f"{creds[0]}:{creds[1]}"))
        started = budget.started
        try:
            resp = self._pool(url).request(
                "GET",
                url,
                headers=headers,
                retries=budget.retry,
                timeout=urllib3.Timeout(connect=self.options.timeout, read=self.options.timeout),
                preload_content=False,
                decode_content=False,
            )
        except urllib3.exceptions.MaxRetryError as exc:
            if isinstance(exc.reason, urllib3.exceptions.ResponseError):  # too many redirects
                raise NetworkError(
                    f"{redact(url)} redirected more than {REDIRECTS} times (a redirect loop)",
                    hint="the server is misconfigured; check the URL, or ask its operators",
                ) from None
            raise NetworkError(
                f"could not fetch {redact(url)} ({_tries(self.options.retries + 1, started)}): "
                f"{_describe(exc.reason or exc)}",
                hint="check the URL and your connection (proxy, --cert, --trusted-host), "
                "or use --offline to work from the cache",
            ) from None
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise NetworkError(
                f"could not fetch {redact(url)}: {_describe(reason)}",
                hint="check the URL and your connection (proxy, --cert, --trusted-host), "
                "or use --offline to work from the cache",
            ) from None
        if resp.retries is not None:
            budget.retry = resp.retries  # what urllib3 spent on this request is spent
        if resp.status in RETRY_STATUSES:
            history = resp.retries.history if resp.retries is not None else ()
            tries = 1 + sum(1 for step in history if step.status in RETRY_STATUSES)
            resp.close()
            busy = resp.status in (429, 503)
            raise NetworkError(
                f"{redact(url)} answered HTTP {resp.status} ({_tries(tries, started)})",
                hint=(
                    "the server is busy or limiting requests: wait, then try again (--retries "
                    "and retry-after-max allow more and longer waits)"
                    if busy
                    else "the server is failing; try again later"
                ),
            )
        return resp

    def _pool(self, url: str) -> urllib3.PoolManager:
        key = (self._proxy_for(url), self._trusted(url))
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._new_pool(*key)
                self._pools[key] = pool
            return pool

    def _trusted(self, url: str) -> bool:
        """--trusted-host: this host's certificate is not verified (as pip does)."""
        parts = urlsplit(url)
        return any(t in (parts.hostname, parts.netloc) for t in self.options.trusted_hosts)

    def _new_pool(self, proxy: str | None, trusted: bool) -> urllib3.PoolManager:
        import urllib3

        # As many connections kept alive per host as requests go out at once (the index source's
        # 32): beyond maxsize urllib3 opens throwaway ones, a new TCP and TLS handshake each.
        kw: dict[str, Any] = {"num_pools": 16, "maxsize": CONNECTIONS_PER_HOST}
        if self.options.cert:
            kw["ca_certs"] = self.options.cert
        if self.options.client_cert:
            kw["cert_file"] = self.options.client_cert
        if trusted:
            kw["cert_reqs"] = "CERT_NONE"
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        if proxy:
            return urllib3.ProxyManager(proxy, **kw)
        return urllib3.PoolManager(**kw)

    def _proxy_for(self, url: str) -> str | None:
        if self.options.proxy:
            return self.options.proxy
        env = {
            k.lower(): v for k, v in self.options.environ.items() if k.lower().endswith("_proxy")
        }
        scheme = urlsplit(url).scheme
        proxy = env.get(f"{scheme}_proxy") or env.get("all_proxy")
        if not proxy:
            return None
        host = urlsplit(url).hostname or ""
        for entry in (e.strip() for e in env.get("no_proxy", "").split(",")):
            if entry == "*" or (
                entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))
            ):
                return None
        return proxy

    def _check(self, resp: urllib3.BaseHTTPResponse, url: str) -> None:
        if 200 <= resp.status < 300:
            return
        if resp.status in (401, 403):
            raise NetworkError(
                f"{redact(url)} answered {resp.status}: access denied",
                hint="give credentials in the index URL (user:password@host), in ~/.netrc, "
                "or check the ones you gave",
            )
        raise NetworkError(
            f"{redact(url)} answered HTTP {resp.status}",
            hint="check the URL; if the server is failing, try again later",
        )

    def _refuse_offline(self, url: str) -> None:
        if self.options.offline and not url.startswith("file:"):
            raise NetworkError(
                f"--offline forbids fetching {redact(url)}",
                hint="run once without --offline so the file lands in the cache",
            )

    # -- credentials --------------------------------------------------------------------------

    def _remember_auth(self, url: str) -> str:
        plain, creds = split_auth(url)
        if creds is not None:
            with self._lock:
                self._auth[host_of(plain)] = creds
        return plain

    def _credentials(self, netloc: str) -> tuple[str, str] | None:
        with self._lock:
            if netloc in self._auth:
                return self._auth[netloc]
        host = netloc.rpartition(":")[0] or netloc
        return _keyring_env(netloc, self.options.environ) or _netrc(host, self.options.environ)

    # -- file:// ------------------------------------------------------------------------------

    def _file_page(self, url: str) -> Response | None:
        path = _file_path(url)
        if path.is_dir():
            index = path / "index.html"
            if not index.is_file():
                return Response(url, 200, "x-cove/directory", b"")
            path = index
        if not path.is_file():
            return None
        return Response(url, 200, "text/html", path.read_bytes())

    # -- page cache ---------------------------------------------------------------------------

    def _cache_entry(self, url: str, accept: str) -> Path | None:
        if self.options.cache_dir is None:
            return None
        key = hashlib.sha256(f"{url}\0{accept}".encode()).hexdigest()
        return self.options.cache_dir / PAGE_BUCKET / key[:2] / key

    def _read_cache(
        self, entry: Path, known: Known | None = None
    ) -> tuple[dict[str, Any], bytes] | None:
        """What is stored of a page and its body (checked against its sha256), or b"" for the
        body when ``known`` says the caller needs none."""
        try:
            meta = json.loads(entry.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        digest = meta.get("sha256")
        if known is not None and isinstance(digest, str):
            ctype, where = meta.get("content_type"), meta.get("url")
            if isinstance(ctype, str) and isinstance(where, str) and known(digest, ctype, where):
                return meta, b""
        try:
            body = entry.with_suffix(".body").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(body).hexdigest() != digest:
            return None
        return meta, body

    def _rewrite_needed(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """Whether what is known of a page that did not change must be written again: when
        more than the time it was asked changed, or when that time is read (a freshness
        window: ``--cache-ttl`` or the index's max-age). Without one every run asks again, and
        rewriting each page's record only to say when is a write per page per run."""
        if self.options.page_ttl > 0 or new.get("max_age") or old.get("max_age"):
            return True
        return {**old, "stored": None} != {**new, "stored": None}

    def _write_cache(self, entry: Path, meta: dict[str, Any], body: bytes | None = None) -> None:
        """Store a page (``body``) and what is known of it (``meta``, with the body's sha256),
        or only refresh what is known of the body already stored."""
        try:
            if body is not None:
                entry.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(entry.with_suffix(".body"), body)
            write_atomic(entry.with_suffix(".json"), json.dumps(meta).encode())
        except OSError:
            pass  # a read-only cache slows cove down but must not fail it


def _stored_size(entry: Path) -> int | None:
    """The size of the page body stored for ``entry``; None when there is none."""
    try:
        return entry.with_suffix(".body").stat().st_size
    except OSError:
        return None


def _file_path(url: str) -> Path:
    from urllib.request import url2pathname

    return Path(url2pathname(urlsplit(url).path))


def _final_url(resp: Any, url: str) -> str:
    history = getattr(getattr(resp, "retries", None), "history", ())
    for step in reversed(history or ()):
        if step.redirect_location:
            from urllib.parse import urljoin

            return str(urljoin(step.url or url, step.redirect_location))
    return url


def _content_range(value: str) -> tuple[int, int, int] | None:
    """(first byte, last byte, whole size) of ``bytes 100-199/5000``; None when one is unknown."""
    unit, _, rest = value.partition(" ")
    span, _, total = rest.partition("/")
    first, _, last = span.partition("-")
    if unit != "bytes" or not (first.isdigit() and last.isdigit() and total.isdigit()):
        return None
    return int(first), int(last), int(total)


def _asked_span(spec: str, total: int) -> tuple[int, int]:
    """The (first, last) bytes a Range of ``spec`` (``-N``, ``A-B`` or ``A-``) asks of a file
    of ``total`` bytes, as RFC 9110 reads it."""
    first, _, last = spec.partition("-")
    if not first:
        return max(0, total - int(last)), total - 1
    return int(first), min(int(last), total - 1) if last else total - 1


def _bad_range(url: str, spec: str, answered: str) -> NoReturn:
    raise NetworkError(
        f"{redact(url)} answered {answered} to a request for bytes={spec}",
        hint="the server's range answers are broken; try again, or use an index that serves "
        "PEP 658 metadata files",
    )


def _whole(resp: urllib3.BaseHTTPResponse) -> int | None:
    """The size a whole body should have (its Content-Length), after refusing a ``206``: a
    part of a file, sent to a request for all of it, must never pass for the file."""
    if resp.status == 206:
        _broken("206 Partial Content, a part of the file, to a request for all of it")
    total = resp.headers.get("Content-Length")
    return int(total) if total and total.isdigit() else None


def _broken(why: str) -> NoReturn:
    """A body that is not the whole answer: retried like a reset (urllib3 counts it a read
    error), and never kept."""
    import urllib3

    raise urllib3.exceptions.ProtocolError(f"the server sent {why}")


def _tries(n: int, started: float) -> str:
    seconds = time.monotonic() - started
    return f"tried {n} time{'s' if n != 1 else ''} over {seconds:.1f} s"


@functools.cache
def _capped_retry() -> Callable[..., urllib3.Retry]:
    """urllib3's Retry, with Retry-After capped by ``retry_after_max`` on every urllib3 2.x
    (urllib3 itself has the cap only in its newest releases)."""
    import urllib3

    class CappedRetry(urllib3.Retry):
        def __init__(self, *args: Any, retry_after_max: float = 60.0, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self.cap = retry_after_max

        def new(self, **kw: Any) -> CappedRetry:
            fresh = super().new(**kw)
            fresh.cap = self.cap
            return fresh

        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), self.cap)

        def increment(self, *args: Any, **kw: Any) -> CappedRetry:
            # urllib3 reads a retried or redirected answer's body to the end to reuse the
            # connection: one without a length, or a long one, would be read forever (an
            # endless 503). Such a connection is dropped instead.
            response = kw.get("response", args[2] if len(args) > 2 else None)
            if response is not None:
                length = response.headers.get("Content-Length", "")
                if not length.isdigit() or int(length) > DRAIN_MAX:
                    response.close()
            return super().increment(*args, **kw)

    return CappedRetry


def _max_age(headers: Mapping[str, str]) -> int:
    for part in headers.get("Cache-Control", "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "max-age" and value.isdigit():
            return int(value)
    return 0


def _user_agent() -> str:
    import sys

    from cove import __version__

    return USER_AGENT.format(version=__version__, py=".".join(map(str, sys.version_info[:3])))


def _describe(reason: object) -> str:
    text = str(reason)
    # urllib3 wraps errors in reprs full of object addresses; keep the human part.
    if ": " in text and "object at 0x" in text:
        text = text.rsplit(": ", 1)[-1]
    return text.rstrip(")'\"") or type(reason).__name__


def _keyring_env(netloc: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """Credentials in the variables the keyrings.envvars backend reads:
    KEYRING_SERVICE_NAME_<n> (a host, host:port or URL), _USERNAME_<n>, _PASSWORD_<n>."""
    host = netloc.rpartition(":")[0] or netloc
    for key, service in environ.items():
        if not key.startswith("KEYRING_SERVICE_NAME_"):
            continue
        n = key.removeprefix("KEYRING_SERVICE_NAME_")
        target = urlsplit(service).netloc if "://" in service else service
        if target in (netloc, host):
            user = environ.get(f"KEYRING_SERVICE_USERNAME_{n}", "")
            password = environ.get(f"KEYRING_SERVICE_PASSWORD_{n}")
            if password is not None:
                return user, password
    return None


def _netrc(host: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    import netrc

    path = environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        found = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if not found:
        return None
    login, _, password = found
    return str(login or ""), str(password or "")
