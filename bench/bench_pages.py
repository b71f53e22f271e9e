"""Peak memory and time of reading one large index page: fetched over HTTP from 127.0.0.1 by
cove's client (cached on the way, as an install does) and parsed into links, in a fresh process.

    PYTHONPATH=src python bench/bench_pages.py --size 100M --kind json --kind html

The page lists one project's wheels, most of them for another platform (as a large project's
page is: the filter skips them before parsing), ``--fit`` of them usable here. The numbers are
the child's peak resident set (VmHWM) minus what it held before the fetch, so the
interpreter and cove's imports are not counted. Run it against another checkout (PYTHONPATH) to
compare."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


def _size(text: str) -> int:
    text = text.upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def make_page(kind: str, size: int, fit: float) -> bytes:
    """A project page of about ``size`` bytes."""
    entries: list[str] = []
    total, n = 0, 0
    every = max(1, round(1 / fit)) if fit > 0 else 0
    while total < size:
        platform = "any" if every and n % every == 0 else "win_amd64"
        abi = "none" if platform == "any" else "cp312"
        filename = f"demo-{n // 20}.{n % 20}-py3-{abi}-{platform}.whl"
        digest = hashlib.sha256(filename.encode()).hexdigest()
        if kind == "json":
            entry = json.dumps({
                "filename": filename, "url": f"../../files/{filename}",
                "hashes": {"sha256": digest}, "requires-python": ">=3.8", "size": 123456,
                "upload-time": "2025-01-02T03:04:05.678901Z", "core-metadata": {"sha256": digest},
                "yanked": False,
            })  # fmt: skip
        else:
            entry = (
                f'<a href="../../files/{filename}#sha256={digest}" '
                f'data-requires-python="&gt;=3.8" data-core-metadata="sha256={digest}">'
                f"{filename}</a><br/>\n"
            )
        entries.append(entry)
        total += len(entry) + 2
        n += 1
    if kind == "json":
        head = '{"meta": {"api-version": "1.1"}, "name": "demo", "files": [\n'
        return (head + ",\n".join(entries) + "]}\n").encode()
    return ("<!DOCTYPE html>\n<html><body>\n" + "".join(entries) + "</body></html>\n").encode()


def serve(pages: dict[str, tuple[bytes, str]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body, ctype = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _high_water_kib() -> int:
    """This process's peak resident set (VmHWM: of this program only, where ru_maxrss would
    count the parent's size at fork too)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("needs Linux's /proc/self/status")


def child(url: str, cache: str) -> None:
    """Fetch and parse the page in this process; print what it cost as JSON."""
    import time

    from cove.http.client import HttpClient, HttpOptions
    from cove.index.simple import ACCEPT_HEADER, Filter, parse_project_page

    accept = frozenset({"py3-none-any"})
    before = _high_water_kib()
    started = time.perf_counter()
    client = HttpClient(HttpOptions(cache_dir=Path(cache), environ={}))
    page = client.get_page(url, ACCEPT_HEADER)
    assert page is not None
    links = parse_project_page(page.body, page.content_type, page.url, "demo", Filter(accept))
    elapsed = time.perf_counter() - started
    peak = _high_water_kib()
    print(json.dumps({"peak_mib": (peak - before) / 1024, "seconds": elapsed, "links": len(links)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100M", help="page size (default 100M)")
    parser.add_argument("--kind", action="append", choices=("json", "html"))
    parser.add_argument("--fit", type=float, default=0.01, help="share of usable wheels")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    kinds = args.kind or ["json", "html"]
    size = _size(args.size)
    pages = {
        f"/simple/{kind}/": (
            make_page(kind, size, args.fit),
            JSON_TYPE if kind == "json" else HTML_TYPE,
        )
        for kind in kinds
    }
    server = serve(pages)
    port = server.server_address[1]
    print(f"cove from {os.environ.get('PYTHONPATH') or 'the installed package'}")
    print("| page | size | links kept | peak memory (MiB, best of runs) | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for kind in kinds:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as cache:
                url = f"http://127.0.0.1:{port}/simple/{kind}/"
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, cache],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                results.append(json.loads(out.stdout))
        best = min(results, key=lambda r: r["peak_mib"])
        fastest = min(r["seconds"] for r in results)
        body = pages[f"/simple/{kind}/"][0]
        print(
            f"| {kind} | {len(body) / (1 << 20):.0f} MiB | {best['links']} "
            f"| {best['peak_mib']:.0f} | {fastest:.2f} |"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
