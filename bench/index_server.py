"""A remote-like Simple API index for benches: real wheels and sdists from a directory, served
over HTTP/1.1 on 127.0.0.1 with the costs a real index has (a latency per request, a bandwidth
cap), with or without PEP 658/714 metadata files, cache headers and range requests, counting
what each client asks for and how much it has in flight at once.

    python bench/index_server.py --root /tmp/cove-bench-wheels/large --latency 100ms \\
        --bandwidth 5MB/s --no-metadata --no-cache-headers --port 8000

Routes: ``/simple/`` (PEP 503 HTML or PEP 691 JSON by the Accept header), ``/simple/<name>/``,
``/files/<file>`` (GET and HEAD, single ``Range: bytes=`` requests answered 206),
``/files/<file>.metadata`` (PEP 658/714, unless left out), and ``/_stats`` (JSON counters;
``/_stats?reset=1`` also starts them again), which is neither delayed nor counted.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import hashlib
import html
import json
import re
import signal
import socket
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
# What a real file host says of a file that never changes under its URL.
IMMUTABLE = "max-age=365000000, immutable, public"
CHUNK = 64 * 1024


# -- options ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How remote the index looks. Every field has a command-line flag of the same name."""

    latency: float = 0.0  # seconds before the first byte of every response
    connect_latency: float = 0.0  # more, once per new connection (a TCP + TLS handshake)
    bandwidth: float | None = None  # bytes per second per connection
    total_bandwidth: float | None = None  # bytes per second over all connections
    metadata: bool = True  # serve PEP 658/714 core-metadata files for wheels
    cache_headers: bool = True  # ETag, Last-Modified, Cache-Control on pages (and 304s)
    file_cache_headers: bool = True  # the same on files and metadata files
    page_max_age: int = 0  # Cache-Control max-age of pages, when they have cache headers
    ranges: bool = True  # answer Range requests with 206 (else the whole file, 200)
    json: bool = True  # answer PEP 691 JSON when asked (else HTML only)
    gzip: bool = True  # pages gzipped for a client that accepts it, as real indexes send them
    real_pages: bool = False  # the default index's own pages from root/pages/ (wheelhouse.py)


def parse_duration(text: str) -> float:
    """``100ms``, ``0.1s`` or ``0.1`` (seconds) -> seconds."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s)?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (say 100ms or 0.1s)")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


_UNITS = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


def parse_rate(text: str) -> float:
    """``5MB/s``, ``500KiB/s``, ``40Mbit/s`` (``b``: bits, ``B``: bytes) or a plain number of
    bytes per second -> bytes per second."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgG]i?)?(B|b|bit|bits)?(/s)?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (say 5MB/s)")
    value = float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    return value / 8 if match.group(3) in ("b", "bit", "bits") else value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of :class:`ServeOptions` as flags, for this script and every bench."""
    g = parser.add_argument_group("index server (bench/index_server.py)")
    g.add_argument("--latency", type=parse_duration, default=0.0, help="per request: 100ms")
    g.add_argument(
        "--connect-latency",
        type=parse_duration,
        default=0.0,
        help="more on each new connection (a handshake); default 0",
    )
    g.add_argument("--bandwidth", type=parse_rate, help="per connection: 5MB/s (default: none)")
    g.add_argument("--total-bandwidth", type=parse_rate, help="over all connections")
    g.add_argument("--no-metadata", action="store_true", help="leave out PEP 658/714 files")
    g.add_argument(
        "--no-cache-headers",
        action="store_true",
        help="pages without ETag, Last-Modified, Cache-Control (as the default index's)",
    )
    g.add_argument(
        "--no-file-cache-headers",
        action="store_true",
        help="files and metadata files without them too",
    )
    g.add_argument("--page-max-age", type=int, default=0, help="seconds (default 0)")
    g.add_argument("--no-ranges", action="store_true", help="ignore Range: answer 200, whole")
    g.add_argument("--html-only", action="store_true", help="no PEP 691 JSON")
    g.add_argument("--no-gzip", action="store_true", help="pages uncompressed even when accepted")
    g.add_argument(
        "--real-pages",
        action="store_true",
        help="serve the default index's own pages kept by wheelhouse.py --pages (every version)",
    )


def options_from(args: argparse.Namespace) -> ServeOptions:
    return ServeOptions(
        latency=args.latency,
        connect_latency=args.connect_latency,
        bandwidth=args.bandwidth,
        total_bandwidth=args.total_bandwidth,
        metadata=not args.no_metadata,
        cache_headers=not args.no_cache_headers,
        file_cache_headers=not args.no_file_cache_headers,
        page_max_age=args.page_max_age,
        ranges=not args.no_ranges,
        json=not args.html_only,
        gzip=not args.no_gzip,
        real_pages=args.real_pages,
    )


def describe(options: ServeOptions) -> str:
    """One line for a results table: what differs from a local zero-latency index."""
    parts = [f"latency {options.latency * 1000:g} ms"]
    if options.connect_latency:
        parts.append(f"connect +{options.connect_latency * 1000:g} ms")
    if options.bandwidth:
        parts.append(f"{options.bandwidth / 1e6:g} MB/s per connection")
    if options.total_bandwidth:
        parts.append(f"{options.total_bandwidth / 1e6:g} MB/s in all")
    parts.append("PEP 658" if options.metadata else "no PEP 658")
    parts.append("cache headers" if options.cache_headers else "no cache headers on pages")
    if not options.file_cache_headers:
        parts.append("none on files")
    if not options.ranges:
        parts.append("no ranges")
    if not options.json:
        parts.append("HTML only")
    if options.real_pages:
        parts.append("real pages")
    return ", ".join(parts)


# -- what is served -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Artifact:
    """One wheel or sdist in the root directory, and what an index lists about it."""

    path: Path
    project: str  # canonical name
    sha256: str
    size: int
    mtime: float
    requires_python: str | None
    metadata: bytes | None  # a wheel's METADATA, served as its PEP 658 file


def _read_wheel_metadata(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as zf:
            name = next(
                n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            )
            return zf.read(name)
    except (zipfile.BadZipFile, StopIteration, OSError):
        return None


def _requires_python(metadata: bytes | None) -> str | None:
    if metadata is None:
        return None
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        key, _, value = line.partition(":")
        if key.lower() == "requires-python":
            return value.strip() or None
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(root: Path) -> dict[str, list[Artifact]]:
    """canonical project name -> its files, from every wheel and sdist directly in ``root``."""
    projects: dict[str, list[Artifact]] = {}
    for path in sorted(root.iterdir()):
        try:
            if path.name.endswith(".whl"):
                project = str(parse_wheel_filename(path.name)[0])
            elif path.name.endswith((".tar.gz", ".zip")):
                project = str(parse_sdist_filename(path.name)[0])
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        metadata = _read_wheel_metadata(path) if path.name.endswith(".whl") else None
        stat = path.stat()
        projects.setdefault(project, []).append(
            Artifact(
                path,
                project,
                _sha256(path),
                stat.st_size,
                stat.st_mtime,
                _requires_python(metadata),
                metadata,
            )
        )
    return projects


class Catalog:
    """The pages of an index over :func:`scan`'s files, rendered once (and gzipped, as real
    indexes send them). With ``real_pages`` a project's page is the one kept in
    ``root/pages/<name>.json`` (wheelhouse.py --pages): every version the default index lists,
    each file's URL pointing here; files not in the wheelhouse answer 404 (the resolvers take the
    newest, which the wheelhouse holds)."""

    def __init__(self, root: Path, metadata: bool, real_pages: bool = False) -> None:
        self.root = root
        self.projects = scan(root)
        self.files = {a.path.name: a for files in self.projects.values() for a in files}
        self._metadata = metadata
        self.pages: dict[tuple[str, str], bytes] = {}  # (project or "", "json"|"html") -> body
        self.gzipped: dict[tuple[str, str], bytes] = {}
        self.modified: dict[str, float] = {}  # project or "" -> newest mtime
        for name, files in self.projects.items():
            recorded = root / "pages" / f"{name}.json"
            if real_pages and recorded.is_file():
                page = self._rewritten(json.loads(recorded.read_bytes()), files)
            else:
                page = self._project_json(name, files)
            self.pages[name, "json"] = json.dumps(page).encode()
            self.pages[name, "html"] = _project_html(page["files"]).encode()
            self.modified[name] = max(a.mtime for a in files)
        names = sorted(self.projects)
        self.pages["", "json"] = json.dumps(
            {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
        ).encode()
        links = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names)
        self.pages["", "html"] = f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode()
        self.modified[""] = max(self.modified.values(), default=time.time())
        import gzip

        self.gzipped = {key: gzip.compress(body, 6, mtime=0) for key, body in self.pages.items()}

    def _core_metadata(self, a: Artifact) -> str | None:
        if not self._metadata or a.metadata is None:
            return None
        return hashlib.sha256(a.metadata).hexdigest()

    def _entry(self, a: Artifact) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "filename": a.path.name,
            "url": f"/files/{a.path.name}",
            "hashes": {"sha256": a.sha256},
            "requires-python": a.requires_python,
            "size": a.size,
            "upload-time": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(a.mtime)),
            "yanked": False,
        }
        digest = self._core_metadata(a)
        if digest is not None:
            entry["core-metadata"] = entry["data-dist-info-metadata"] = {"sha256": digest}
        return entry

    def _project_json(self, name: str, files: list[Artifact]) -> dict[str, Any]:
        versions = set()
        for a in files:
            if a.path.name.endswith(".whl"):
                versions.add(str(parse_wheel_filename(a.path.name)[1]))
            else:
                versions.add(str(parse_sdist_filename(a.path.name)[1]))
        return {
            "meta": {"api-version": "1.1"},
            "name": name,
            "versions": sorted(versions),
            "files": [self._entry(a) for a in files],
        }

    def _rewritten(self, page: dict[str, Any], files: list[Artifact]) -> dict[str, Any]:
        """A recorded page served from here: URLs local, metadata as the options say."""
        local = {a.path.name: a for a in files}
        entries = []
        for entry in page["files"]:
            entry = {
                k: v
                for k, v in entry.items()
                if k not in ("core-metadata", "data-dist-info-metadata", "dist-info-metadata")
            }
            entry["url"] = f"/files/{entry['filename']}"
            if entry["filename"] in local:
                entry = {**entry, **self._entry(local.pop(entry["filename"]))}
            entries.append(entry)
        entries += [self._entry(a) for a in local.values()]  # the mirror's own, if any
        return {**page, "meta": {"api-version": "1.1"}, "files": entries}


def _project_html(entries: list[dict[str, Any]]) -> str:
    """PEP 503 links for the JSON page's file entries."""
    out = []
    for e in entries:
        attrs = [f'href="{e["url"]}#sha256={e["hashes"].get("sha256", "")}"']
        if e.get("requires-python"):
            attrs.append(f'data-requires-python="{html.escape(e["requires-python"])}"')
        if e.get("yanked"):
            reason = e["yanked"] if isinstance(e["yanked"], str) else ""
            attrs.append(f'data-yanked="{html.escape(reason)}"')
        if e.get("core-metadata"):
            digest = e["core-metadata"]["sha256"]
            attrs.append(f'data-dist-info-metadata="sha256={digest}"')
            attrs.append(f'data-core-metadata="sha256={digest}"')
        out.append(f"<a {' '.join(attrs)}>{html.escape(e['filename'])}</a><br/>\n")
    return f"<!DOCTYPE html>\n<html><body>\n{''.join(out)}</body></html>\n"


# -- counting -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """One request, for the log: times in seconds since the counters started."""

    start: float
    first_byte: float
    end: float
    method: str
    path: str
    kind: str  # page, metadata, file, range, head, other
    status: int
    sent: int  # body bytes
    connection: int
    in_flight: int  # requests in flight when this one arrived, itself included


@dataclass(slots=True)
class Stats:
    started: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    peak_in_flight: int = 0
    open_connections: int = 0
    peak_connections: int = 0
    connections: int = 0
    requests: Counter[str] = field(default_factory=Counter)  # kind -> count
    sent: Counter[str] = field(default_factory=Counter)  # kind -> body bytes
    not_modified: int = 0
    whole_files: Counter[str] = field(default_factory=Counter)  # file name -> 200 answers
    log: list[Entry] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        repeated = {name: n for name, n in self.whole_files.items() if n > 1}
        return {
            "seconds": round(time.monotonic() - self.started, 3),
            "requests": sum(self.requests.values()),
            "by_kind": dict(self.requests),
            "bytes": sum(self.sent.values()),
            "bytes_by_kind": dict(self.sent),
            "not_modified": self.not_modified,
            "peak_in_flight": self.peak_in_flight,
            "connections": self.connections,
            "peak_connections": self.peak_connections,
            "whole_files": len(self.whole_files),
            "files_fetched_again": repeated,
        }


class Pacer:
    """Bandwidth caps: a clock per connection and one shared by all (when set)."""

    def __init__(self, per_connection: float | None, total: float | None) -> None:
        self.per_connection = per_connection
        self.total = total
        self._lock = threading.Lock()
        self._next = 0.0  # when the shared link is free again

    def chunk_size(self) -> int:
        rates = [r for r in (self.per_connection, self.total) if r]
        # Small pieces when slow, so the caps hold within a 20th of a second.
        return max(1024, min(CHUNK, int(min(rates) / 20))) if rates else CHUNK

    def wait(self, connection_clock: list[float], size: int) -> None:
        """Sleep until ``size`` more bytes may go out on this connection."""
        now = time.monotonic()
        due = now
        if self.per_connection:
            connection_clock[0] = max(connection_clock[0], now) + size / self.per_connection
            due = connection_clock[0]
        if self.total:
            with self._lock:
                self._next = max(self._next, now) + size / self.total
                due = max(due, self._next)
        if due > now:
            time.sleep(due - now)


# -- the server ---------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # uv opens dozens of connections at once; 5 would drop SYNs
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is fine
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class BenchIndex:
    """Serves ``root``'s files at ``http://127.0.0.1:PORT/simple/`` (in a thread, or with
    :meth:`serve_forever`), counting requests as :class:`Stats`."""

    def __init__(
        self, root: Path, options: ServeOptions | None = None, port: int = 0, log: bool = False
    ) -> None:
        """``log``: keep one :class:`Entry` per request (for a breakdown)."""
        self.options = options or ServeOptions()
        self.catalog = Catalog(root, self.options.metadata, self.options.real_pages)
        self.keep_log = log
        self.pacer = Pacer(self.options.bandwidth, self.options.total_bandwidth)
        self._lock = threading.Condition()  # notified when a request is counted
        self._stats = Stats()
        self._next_connection = 0
        self.httpd = _HTTPServer(("127.0.0.1", port), self._handler())
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def __enter__(self) -> BenchIndex:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        try:
            self.httpd.serve_forever()
        finally:
            self.httpd.server_close()

    def take(self, reset: bool = False, settle: float = 2.0) -> tuple[dict[str, Any], list[Entry]]:
        """The counters so far (:meth:`Stats.summary`) and the request log; ``reset`` starts
        new ones (a bench calls it between runs). A client may have read a whole answer before
        its request is counted: this waits up to ``settle`` seconds for none to be in flight."""
        with self._lock:
            self._lock.wait_for(lambda: self._stats.in_flight == 0, timeout=settle)
            current = self._stats
            summary, log = current.summary(), list(current.log)
            if reset:
                self._stats = Stats(
                    in_flight=current.in_flight, open_connections=current.open_connections
                )
        return summary, log

    # -- per connection and request -------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive
            server_version = "bench-index"
            sys_version = ""

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.clock = [0.0]  # the per-connection bandwidth clock
                self.fresh = True  # no request answered on this connection yet
                with server._lock:
                    server._next_connection += 1
                    self.number = server._next_connection
                    s = server._stats
                    s.connections += 1
                    s.open_connections += 1
                    s.peak_connections = max(s.peak_connections, s.open_connections)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with server._lock:
                        server._stats.open_connections -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self, head=False)

            def do_HEAD(self) -> None:
                server._handle(self, head=True)

        return Handler

    def _handle(self, h: Any, head: bool) -> None:
        parts = urlsplit(h.path)
        path = unquote(parts.path)
        if path == "/_stats":
            reset = parse_qs(parts.query).get("reset") == ["1"]
            body = json.dumps(self.take(reset=reset)[0], indent=1).encode()
            self._answer(h, 200, {"Content-Type": "application/json"}, body, head)
            return
        start = time.monotonic()
        with self._lock:
            s = self._stats
            s.in_flight += 1
            s.peak_in_flight = max(s.peak_in_flight, s.in_flight)
            in_flight = s.in_flight
        kind, status, sent, first_byte = "other", 0, 0, start
        try:
            delay = self.options.latency + (self.options.connect_latency if h.fresh else 0.0)
            h.fresh = False
            if delay:
                time.sleep(delay)
            first_byte = time.monotonic()
            kind, status, sent = self._route(h, path, head)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        finally:
            end = time.monotonic()
            with self._lock:
                s = self._stats
                s.in_flight -= 1
                self._lock.notify_all()
                s.requests[kind] += 1
                s.sent[kind] += sent
                if status == 304:
                    s.not_modified += 1
                if kind == "file" and status == 200 and not head:
                    s.whole_files[Path(path).name] += 1
                if self.keep_log:
                    t0 = s.started
                    s.log.append(
                        Entry(
                            start - t0,
                            first_byte - t0,
                            end - t0,
                            h.command,
                            path,
                            kind,
                            status,
                            sent,
                            h.number,
                            in_flight,
                        )
                    )

    def _route(self, h: Any, path: str, head: bool) -> tuple[str, int, int]:
        """(kind, status, body bytes sent) for one request, answered."""
        segments = [p for p in path.split("/") if p]
        if segments and segments[0] == "simple" and len(segments) <= 2:
            name = segments[1] if len(segments) == 2 else ""
            if name and canonicalize_name(name) != name:
                location = f"/simple/{canonicalize_name(name)}/"
                return "page", self._answer(h, 301, {"Location": location}, b"", head), 0
            if name and name not in self.catalog.projects:
                return "page", self._answer(h, 404, {}, b"not found", head), 9
            return ("page", *self._page(h, name, head))
        if len(segments) == 2 and segments[0] == "files":
            filename = segments[1]
            if filename.endswith(".metadata") and self.options.metadata:
                artifact = self.catalog.files.get(filename.removesuffix(".metadata"))
                if artifact is not None and artifact.metadata is not None:
                    headers = {"Content-Type": "text/plain"}
                    status = self._cached(h, headers, artifact.sha256 + "-m", artifact.mtime, True)
                    body = b"" if status == 304 else artifact.metadata
                    sent = 0 if head else len(body)
                    return "metadata", self._answer(h, status, headers, body, head), sent
            artifact = self.catalog.files.get(filename)
            if artifact is not None:
                return self._file(h, artifact, head)
        return "other", self._answer(h, 404, {}, b"not found", head), 9

    def _page(self, h: Any, name: str, head: bool) -> tuple[int, int]:
        accept = h.headers.get("Accept", "")
        form = "json" if self.options.json and JSON_TYPE in accept else "html"
        gz = self.options.gzip and "gzip" in h.headers.get("Accept-Encoding", "")
        body = (self.catalog.gzipped if gz else self.catalog.pages)[name, form]
        headers = {"Content-Type": JSON_TYPE if form == "json" else HTML_TYPE}
        headers["Vary"] = "Accept, Accept-Encoding"
        if gz:
            headers["Content-Encoding"] = "gzip"
        digest = hashlib.sha256(body).hexdigest()[:32]
        status = self._cached(h, headers, digest, self.catalog.modified[name], False)
        body = b"" if status == 304 else body
        return self._answer(h, status, headers, body, head), 0 if head else len(body)

    def _cached(
        self, h: Any, headers: dict[str, str], tag: str, mtime: float, immutable: bool
    ) -> int:
        """Add the validators (when this kind of response has them): 200, or 304 when the
        request's validators still match."""
        on = self.options.file_cache_headers if immutable else self.options.cache_headers
        if not on:
            return 200
        etag = f'"{tag}"'
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        headers["ETag"] = etag
        headers["Last-Modified"] = last_modified
        headers["Cache-Control"] = (
            IMMUTABLE if immutable else f"max-age={self.options.page_max_age}"
        )
        if etag in [t.strip() for t in h.headers.get("If-None-Match", "").split(",")]:
            return 304
        since = h.headers.get("If-Modified-Since")
        if since and "If-None-Match" not in h.headers:
            try:
                if email.utils.parsedate_to_datetime(since).timestamp() >= int(mtime):
                    return 304
            except (TypeError, ValueError):
                pass
        return 200

    def _file(self, h: Any, a: Artifact, head: bool) -> tuple[str, int, int]:
        headers = {"Content-Type": "application/octet-stream"}
        if self.options.ranges:
            headers["Accept-Ranges"] = "bytes"
        status = self._cached(h, headers, a.sha256, a.mtime, True)
        if status == 304:
            return "file", self._answer(h, 304, headers, b"", head), 0
        first, last = 0, a.size - 1
        wanted = h.headers.get("Range") if self.options.ranges else None
        if wanted:
            span = _parse_range(wanted, a.size)
            if span is None:
                headers["Content-Range"] = f"bytes */{a.size}"
                return "range", self._answer(h, 416, headers, b"", head), 0
            first, last = span
            status = 206
            headers["Content-Range"] = f"bytes {first}-{last}/{a.size}"
        kind = "head" if head else "range" if status == 206 else "file"
        count = last - first + 1
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(count))
        h.end_headers()
        if head:
            return kind, status, 0
        with open(a.path, "rb") as f:
            self._send_body(h, f, first, count)
        return kind, status, count

    def _send_body(self, h: Any, f: IO[bytes], offset: int, count: int) -> None:
        if not (self.options.bandwidth or self.options.total_bandwidth):
            h.wfile.flush()
            h.connection.sendfile(f, offset, count)
            return
        f.seek(offset)
        size = self.pacer.chunk_size()
        left = count
        while left > 0:
            piece = f.read(min(size, left))
            if not piece:
                break
            self.pacer.wait(h.clock, len(piece))
            h.wfile.write(piece)
            left -= len(piece)

    def _answer(self, h: Any, status: int, headers: dict[str, str], body: bytes, head: bool) -> int:
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head and body:
            if self.options.bandwidth or self.options.total_bandwidth:
                import io

                self._send_body(h, io.BytesIO(body), 0, len(body))
            else:
                h.wfile.write(body)
        return status


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range -> (first, last), inclusive; None when unsatisfiable."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
    if not match or not (match.group(1) or match.group(2)):
        return None
    if not match.group(1):  # the last N bytes
        n = int(match.group(2))
        return (max(0, size - n), size - 1) if n else None
    first = int(match.group(1))
    last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    return (first, last) if first <= last and first < size else None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the server as Ctrl-C does: with the counters printed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a directory of wheels/sdists")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--log", type=Path, help="write one JSON line per request here at exit")
    add_arguments(parser)
    args = parser.parse_args(argv)
    index = BenchIndex(args.root, options_from(args), args.port, log=args.log is not None)
    files = len(index.catalog.files)
    print(
        f"{index.url}  {files} files of {len(index.catalog.projects)} projects; "
        f"{describe(index.options)}",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        index.serve_forever()
    summary, log = index.take()
    print(json.dumps(summary, indent=1), file=sys.stderr)
    if args.log is not None:
        with open(args.log, "w", encoding="utf-8") as out:
            for entry in log:
                out.write(json.dumps(asdict(entry)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
