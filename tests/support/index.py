"""A real Simple API index for tests: PEP 503 HTML, PEP 691 JSON, PEP 658/714 metadata, PEP 592
yanked files, served over HTTP on 127.0.0.1 or read from disk through file:// URLs; the server
injects faults per path (statuses with Retry-After, partial and truncated bodies, wrong
lengths, resets, stalls, redirects, endless pages) and records every request's headers."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from tests.support.dists import WheelSpec, build_wheel, wheel_metadata


@dataclass
class IndexFile:
    path: Path
    yanked: str | bool = False  # True, or the reason
    requires_python: str | None = None
    metadata: bool = True  # serve <file>.metadata (PEP 658)
    sha256: str = ""  # the hash the index lists: of the file as uploaded
    size: int = 0  # the size the JSON page lists (PEP 700): of the file as uploaded
    upload_time: str = "2025-01-02T03:04:05.678901Z"  # PEP 700, on the JSON page
    listed: dict[str, str] | None = None  # the hashes the pages list instead of the sha256

    @property
    def hashes(self) -> dict[str, str]:
        return {"sha256": self.sha256} if self.listed is None else self.listed


@dataclass
class Index:
    """A package index laid out on disk: ``root/files/*`` plus ``root/simple/<project>/``."""

    root: Path
    files: dict[str, list[IndexFile]] = field(default_factory=dict)  # canonical name -> files

    def __post_init__(self) -> None:
        (self.root / "files").mkdir(parents=True, exist_ok=True)

    def add_wheel(
        self, spec: WheelSpec, *, yanked: str | bool = False, metadata: bool = True
    ) -> Path:
        wheel = build_wheel(self.root / "files", spec)
        if metadata:
            (self.root / "files" / (wheel.name + ".metadata")).write_bytes(wheel_metadata(wheel))
        self.add_file(wheel, yanked=yanked, requires_python=spec.requires_python, metadata=metadata)
        return wheel

    def add(
        self, name: str, version: str = "1.0", *, yanked: str | bool = False, **kw: object
    ) -> Path:
        return self.add_wheel(WheelSpec(name, version, **kw), yanked=yanked)  # type: ignore[arg-type]

    def add_file(
        self,
        path: Path,
        *,
        yanked: str | bool = False,
        requires_python: str | None = None,
        metadata: bool = False,
    ) -> None:
        if path.parent != self.root / "files":
            target = self.root / "files" / path.name
            target.write_bytes(path.read_bytes())
            path = target
        if path.name.endswith(".whl"):
            project = parse_wheel_filename(path.name)[0]
        else:
            project = parse_sdist_filename(path.name)[0]
        self.files.setdefault(canonicalize_name(project), []).append(
            IndexFile(path, yanked, requires_python, metadata, _sha(path), path.stat().st_size)
        )
        self.write_html()

    def list_hashes(self, path: Path, hashes: dict[str, str]) -> None:
        """List ``hashes`` for a file instead of its sha256 (``{}``: none, ``{"md5": ...}``)."""
        for files in self.files.values():
            for f in files:
                if f.path == path:
                    f.listed = hashes
        self.write_html()

    def tamper(self, path: Path, data: bytes) -> None:
        """Replace a served file's bytes while the index keeps listing the original hash."""
        path.write_bytes(data)

    # -- the static file:// tree (PEP 503 HTML only, which is all a directory can serve) ---------

    def write_html(self) -> None:
        simple = self.root / "simple"
        simple.mkdir(exist_ok=True)
        (simple / "index.html").write_text(self.root_html())
        for name in self.files:
            (simple / name).mkdir(exist_ok=True)
            (simple / name / "index.html").write_text(self.project_html(name, "../../files/"))

    @property
    def file_url(self) -> str:
        return (self.root / "simple").as_uri() + "/"

    def root_html(self) -> str:
        links = "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(self.files))
        return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"

    def project_html(self, name: str, prefix: str) -> str:
        out = []
        for f in self.files.get(name, []):
            fragment = "&".join(f"{algo}={digest}" for algo, digest in f.hashes.items())
            attrs = [f'href="{prefix}{f.path.name}{"#" + fragment if fragment else ""}"']
            if f.requires_python:
                attrs.append(f'data-requires-python="{html.escape(f.requires_python)}"')
            if f.yanked:
                reason = f.yanked if isinstance(f.yanked, str) else ""
                attrs.append(f'data-yanked="{html.escape(reason)}"')
            if f.metadata:
                meta = Path(str(f.path) + ".metadata").read_bytes()
                digest = hashlib.sha256(meta).hexdigest()
                attrs.append(f'data-dist-info-metadata="sha256={digest}"')
                attrs.append(f'data-core-metadata="sha256={digest}"')
            out.append(f"<a {' '.join(attrs)}>{f.path.name}</a><br/>\n")
        return f"<!DOCTYPE html>\n<html><body>\n{''.join(out)}</body></html>\n"

    def project_json(self, name: str, prefix: str) -> dict[str, object]:
        files = []
        for f in self.files.get(name, []):
            entry: dict[str, object] = {
                "filename": f.path.name,
                "url": prefix + f.path.name,
                "hashes": f.hashes,
                "size": f.size,
                "upload-time": f.upload_time,
            }
            if f.requires_python:
                entry["requires-python"] = f.requires_python
            if f.yanked:
                entry["yanked"] = f.yanked
            if f.metadata:
                meta = Path(str(f.path) + ".metadata").read_bytes()
                entry["core-metadata"] = {"sha256": hashlib.sha256(meta).hexdigest()}
            files.append(entry)
        return {"meta": {"api-version": "1.1"}, "name": name, "files": files}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Fault:
    """What the server does instead of a path's normal answer, for the next ``times`` requests
    of that path (None: every one). Unset fields keep the normal answer's part."""

    status: int | None = None  # answer this status (its body: ``body``, else the normal one)
    headers: dict[str, str] = field(default_factory=dict)  # Retry-After, Location, Content-Range
    body: bytes | None = None  # instead of the normal body
    keep: int | None = None  # the body is only its first ``keep`` bytes (a partial answer)
    length: int | None = None  # the Content-Length claimed (-1: none, the close ends the body)
    cut: int | None = None  # after this many bytes of the body, stop: the connection is closed
    reset: bool = False  # at the cut, a TCP reset instead of a close
    stall: float = 0.0  # seconds to wait: before the answer, or at the cut when there is one
    endless: bytes | None = None  # after the body, this again and again until the client leaves
    times: int | None = 1


@dataclass
class ServerOptions:
    json: bool = True  # answer PEP 691 JSON when asked
    auth: tuple[str, str] | None = None  # required basic-auth credentials
    fail_next: int = 0  # answer this many requests with 503 before serving
    truncate_files: int = 0  # cut this many file bodies short (full Content-Length, half sent)
    reset_next: int = 0  # drop this many connections with a TCP reset instead of answering
    stall_next: int = 0  # keep this many requests waiting ``stall_seconds`` before answering
    stall_seconds: float = 2.0
    etag: bool = True
    wheel_chunk_delay: float = 0.0  # seconds between 64 KiB pieces of a wheel body (slow network)
    # Label .tar.gz files "Content-Encoding: gzip" (the bytes unchanged), as some servers do.
    gzip_label_sdists: bool = False
    hold_files: threading.Event | None = None  # file bodies wait until it is set (at most 60 s)
    ranges: bool = True  # answer Range requests for files with 206 (else the whole file, 200)
    latency: float = 0.0  # seconds every answer waits first, as a remote index's would


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (a timeout the test provoked) is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class IndexServer:
    """Serves an :class:`Index` at ``http://127.0.0.1:PORT/simple/`` and records each request."""

    def __init__(
        self, index: Index, options: ServerOptions | None = None, host: str = "127.0.0.1"
    ) -> None:
        """``host``: the address to listen on (a non-loopback one for an insecure origin)."""
        self.index = index
        self.host = host
        self.options = options or ServerOptions()
        self.requests: list[str] = []
        self.ranges: list[str] = []  # "/files/NAME bytes=..." for every Range request
        self.headers: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every request
        self.faults: dict[str, list[Fault]] = {}  # path -> faults still to inject, in order
        self.times: list[tuple[str, float]] = []  # (path, monotonic time) of every request
        self.peak_in_flight = 0  # the most requests being answered at once
        self.spans: list[tuple[str, float, float]] = []  # (path, start, end) of every answer
        self._in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real indexes serve

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                start = time.monotonic()
                with server._lock:
                    server._in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server._in_flight)
                try:
                    if server.options.latency:
                        time.sleep(server.options.latency)  # a remote index's round trip
                    server._handle(self)
                finally:
                    with server._lock:
                        server._in_flight -= 1
                        path = unquote(urlsplit(self.path).path)
                        server.spans.append((path, start, time.monotonic()))

        self.httpd = _Server((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/simple/"

    def url_with_auth(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@{self.host}:{self.port}/simple/"

    def __enter__(self) -> IndexServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, suffix: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.endswith(suffix))

    def peak_together(self, paths: Collection[str]) -> int:
        """The most of ``paths`` that were being answered at one moment: 1 when they were
        asked for one after another, ``len(paths)`` when all at once."""
        with self._lock:
            events = [(t, step) for p, a, b in self.spans if p in paths for t, step in
                      ((a, 1), (b, -1))]  # fmt: skip
        peak = now = 0
        for _t, step in sorted(events):  # an end before a start at the same instant
            now += step
            peak = max(peak, now)
        return peak

    def inject(self, path: str, fault: Fault) -> None:
        """Answer ``path`` (``/files/NAME``, ``/simple/NAME/``) with ``fault``, after the
        faults injected there before it."""
        with self._lock:
            self.faults.setdefault(path, []).append(fault)

    def heal(self) -> None:
        """No more faults: every path is answered normally again."""
        with self._lock:
            self.faults.clear()

    def headers_of(self, suffix: str) -> list[dict[str, str]]:
        """The headers of every request for a path ending with ``suffix``, in order."""
        with self._lock:
            return [headers for path, headers in self.headers if path.endswith(suffix)]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(path)
            if not queue:
                return None
            fault = queue[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
            return fault

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = unquote(urlsplit(h.path).path)
        fault = self._take_fault(path)
        h.fault = fault  # type: ignore[attr-defined]  # what _send does instead
        with self._lock:
            self.requests.append(path)
            self.headers.append((path, dict(h.headers.items())))
            self.times.append((path, time.monotonic()))
            failing = self.options.fail_next > 0
            if failing:
                self.options.fail_next -= 1
            resetting = not failing and self.options.reset_next > 0
            if resetting:
                self.options.reset_next -= 1
            stalling = not failing and not resetting and self.options.stall_next > 0
            if stalling:
                self.options.stall_next -= 1
        if resetting:
            # SO_LINGER with a zero timeout makes close() send RST: the client sees a reset.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return None
        if stalling:
            time.sleep(self.options.stall_seconds)
        if failing:
            return self._send(h, 503, b"try later", "text/plain")
        if fault is not None and fault.status is not None and fault.body is not None:
            return self._send(h, fault.status, fault.body, "text/plain")
        if self.options.auth:
            expected = base64.b64encode(":".join(self.options.auth).encode()).decode()
            if h.headers.get("Authorization") != f"Basic {expected}":
                h.send_response(401)
                h.send_header("WWW-Authenticate", 'Basic realm="test"')
                h.send_header("Content-Length", "0")
                h.end_headers()
                return None
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            return self._send(h, 200, self.index.root_html().encode(), "text/html")
        if len(parts) == 2 and parts[0] == "simple":
            name = parts[1]
            if canonicalize_name(name) != name:
                h.send_response(301)
                h.send_header("Location", f"/simple/{canonicalize_name(name)}/")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return None
            if name not in self.index.files:
                return self._send(h, 404, b"not found", "text/plain")
            accept = h.headers.get("Accept", "")
            if self.options.json and "application/vnd.pypi.simple.v1+json" in accept:
                body = json.dumps(self.index.project_json(name, "/files/")).encode()
                return self._send(h, 200, body, "application/vnd.pypi.simple.v1+json")
            body = self.index.project_html(name, "/files/").encode()
            return self._send(h, 200, body, "application/vnd.pypi.simple.v1+html")
        if len(parts) == 2 and parts[0] == "files":
            target = self.index.root / "files" / parts[1]
            if self.options.hold_files is not None:
                self.options.hold_files.wait(timeout=60)
            if target.is_file():
                body = target.read_bytes()
                with self._lock:
                    truncate = self.options.truncate_files > 0 and parts[1].endswith(".whl")
                    if truncate:
                        self.options.truncate_files -= 1
                if truncate:
                    h.send_response(200)
                    h.send_header("Content-Length", str(len(body)))
                    h.end_headers()
                    h.wfile.write(body[: len(body) // 2])
                    h.wfile.flush()
                    h.close_connection = True
                    return None
                if self.options.wheel_chunk_delay and parts[1].endswith(".whl"):
                    return self._send_slowly(h, body)
                if self.options.gzip_label_sdists and parts[1].endswith(".tar.gz"):
                    return self._send(h, 200, body, "application/x-tar", encoding="gzip")
                asked = h.headers.get("Range")
                if asked is not None:
                    with self._lock:
                        self.ranges.append(f"/files/{parts[1]} {asked}")
                    if self.options.ranges:
                        return self._send_range(h, body, asked)
                return self._send(h, 200, body, "application/octet-stream")
        return self._send(h, 404, b"not found", "text/plain")

    def _send_range(self, h: BaseHTTPRequestHandler, body: bytes, asked: str) -> None:
        """One range of the file (``bytes=-N`` or ``bytes=A-B``), as a 206."""
        first, _, last = asked.removeprefix("bytes=").partition("-")
        if not first:
            start, end = max(0, len(body) - int(last)), len(body) - 1
        else:
            start, end = int(first), min(int(last) if last else len(body) - 1, len(body) - 1)
        part = body[start : end + 1]
        fault: Fault | None = getattr(h, "fault", None)
        if fault is not None:
            real = {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
            fault = replace(fault, headers={**real, **fault.headers})
            return self._send_fault(h, fault, 206, part, "application/octet-stream")
        h.send_response(206)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        h.send_header("Content-Length", str(len(part)))
        h.end_headers()
        h.wfile.write(part)

    def _send_slowly(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for start in range(0, len(body), 64 * 1024):
                h.wfile.write(body[start : start + 64 * 1024])
                h.wfile.flush()
                time.sleep(self.options.wheel_chunk_delay)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (Ctrl-C)
            h.close_connection = True

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        encoding: str | None = None,
    ) -> None:
        fault: Fault | None = getattr(h, "fault", None)
        if fault is not None:
            return self._send_fault(h, fault, status, body, ctype)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if status == 200 and self.options.etag and h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        if encoding is not None:
            h.send_header("Content-Encoding", encoding)
        if status == 200 and self.options.etag:
            h.send_header("ETag", etag)
            h.send_header("Cache-Control", "max-age=0")
        h.end_headers()
        h.wfile.write(body)

    def _send_fault(
        self, h: BaseHTTPRequestHandler, fault: Fault, status: int, body: bytes, ctype: str
    ) -> None:
        """The normal answer (``status``, ``body``) changed as ``fault`` says. The ETag stays
        the normal body's, as a server's partial or broken answer of a file carries it."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if fault.body is not None:
            body = fault.body
        if fault.keep is not None:
            body = body[: fault.keep]
        if fault.stall and fault.cut is None:
            time.sleep(fault.stall)
        h.send_response(fault.status or status)
        h.send_header("Content-Type", ctype)
        length = len(body) if fault.length is None else fault.length
        if length >= 0 and (fault.endless is None or fault.length is not None):
            h.send_header("Content-Length", str(length))
        else:
            h.send_header("Connection", "close")
        if self.options.etag:
            h.send_header("ETag", etag)
        for key, value in fault.headers.items():
            h.send_header(key, value)
        h.end_headers()
        try:
            h.wfile.write(body if fault.cut is None else body[: fault.cut])
            h.wfile.flush()
            if fault.cut is not None:
                if fault.stall:
                    time.sleep(fault.stall)
                if fault.reset:
                    h.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                h.close_connection = True
                h.connection.close()
                return
            if fault.endless is not None:
                while True:
                    h.wfile.write(fault.endless)
        except OSError:  # the client gave up on the endless or broken answer
            pass
        if fault.endless is not None or length != len(body):
            h.close_connection = True


def non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (an insecure origin for pip), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("198.51.100.1", 9))  # no packet is sent: this only picks a route
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def serve(index: Index, options: ServerOptions | None = None) -> Iterator[IndexServer]:
    with IndexServer(index, options) as server:
        yield server
