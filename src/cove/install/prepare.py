"""Bring every artifact of a plan onto disk: from the cache when its hash is known, else
downloaded in parallel, verified against the index's hash (and the user's --hash), and kept."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cove.cache.artifacts import (
    download_dir,
    find_artifact,
    recall_url,
    remember_url,
    store_artifact,
)
from cove.errors import CoveError
from cove.faults import checkpoint
from cove.http.client import HttpClient
from cove.http.urls import redact


class HashMismatch(CoveError):
    """A file's content is not what its index or the user's --hash said it would be."""


@dataclass(frozen=True, slots=True)
class Fetch:
    """One artifact to bring onto disk."""

    url: str
    filename: str
    hashes: Mapping[str, str] = field(default_factory=dict)  # from the index: algo -> hex
    required: frozenset[str] = frozenset()  # user's --hash values "sha256:<hex>"; any must match
    label: str = ""  # "flask 3.0", for progress and errors


# (label, bytes so far, total or None, finished); called from the download threads
ProgressEvent = Callable[[str, int, int | None, bool], None]

DEFAULT_JOBS = 8  # downloads at once


class DownloadProgress(Protocol):
    """A ProgressEvent that is closed once, told whether every artifact arrived."""

    def __call__(self, label: str, done: int, total: int | None, finished: bool) -> None: ...
    def close(self, completed: bool) -> None: ...


def fetch_all(
    items: Sequence[Fetch],
    client: HttpClient,
    cache_dir: Path,
    progress: ProgressEvent | None = None,
    jobs: int = DEFAULT_JOBS,
) -> dict[str, Path]:
    """url -> local file for every item; the first failure is raised once the rest stopped.
    Ctrl-C drops the files not started and stops the others at their next piece, instead of
    letting every queued download run to its end before the process can exit."""
    if not items:
        return {}
    stop = threading.Event()

    def report(label: str, done: int, total: int | None, finished: bool) -> None:
        if stop.is_set():
            raise _Stopped  # unwinds the download in this worker; its temporary file goes too
        if progress is not None:
            progress(label, done, total, finished)

    pool = ThreadPoolExecutor(max_workers=min(jobs, len(items)))
    try:
        futures = {i.url: pool.submit(_fetch_one, i, client, cache_dir, report) for i in items}
        wait(futures.values())
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return {url: f.result() for url, f in futures.items()}


class _Stopped(Exception):
    """Raised inside a download worker once the command was interrupted."""


def _fetch_one(
    item: Fetch, client: HttpClient, cache_dir: Path, progress: ProgressEvent | None
) -> Path:
    if item.url.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        path = Path(url2pathname(urlsplit(item.url).path))
        if not path.is_file():
            raise CoveError(f"{path} does not exist", hint="check the path or the find-links")
        if item.required or item.hashes:
            _verify(item, hashlib.sha256(path.read_bytes()).hexdigest(), path)
        if progress is not None:
            progress(item.label or item.filename, 0, 0, True)  # counted, nothing fetched
        return path
    known = item.hashes.get("sha256") or recall_url(cache_dir, item.url)
    if known:
        cached = find_artifact(cache_dir, known, item.filename)
        if cached is not None:
            _verify(item, known, cached)
            if progress is not None:
                progress(item.label or item.filename, 0, 0, True)  # counted, nothing fetched
            return cached

    def report(done: int, total: int | None) -> None:
        checkpoint("download")  # killed with a download partly written
        if progress is not None:
            progress(item.label or item.filename, done, total, False)

    tmp, sha256 = client.download(item.url, download_dir(cache_dir), report)
    try:
        _verify(item, sha256, tmp)
        if item.hashes and "sha256" not in item.hashes:
            _verify_other(item, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    path = store_artifact(cache_dir, tmp, sha256, item.filename)
    if "sha256" not in item.hashes:
        remember_url(cache_dir, item.url, sha256)
    if progress is not None:
        progress(item.label or item.filename, path.stat().st_size, None, True)
    return path


def _verify(item: Fetch, sha256: str, path: Path) -> None:
    expected = item.hashes.get("sha256")
    if expected and expected.lower() != sha256:
        raise HashMismatch(
            f"{item.filename} from {redact(item.url)} has sha256 {sha256}, "
            f"but the index says {expected}",
            hint="the file or the index is corrupt or was tampered with; nothing was installed",
        )
    if item.required:
        ours = {f"sha256:{sha256}"}
        for spec in item.required:
            algo, _, _ = spec.partition(":")
            if algo != "sha256":
                ours.add(f"{algo}:{_digest(path, algo)}")
        if not ours & {r.lower() for r in item.required}:
            raise HashMismatch(
                f"{item.filename} does not match any --hash given for it:\n"
                f"  expected: {', '.join(sorted(item.required))}\n  got:      sha256:{sha256}",
                hint="update the hashes in your requirements file if the new file is trusted",
            )


def _verify_other(item: Fetch, path: Path) -> None:
    for algo, expected in item.hashes.items():
        if algo in hashlib.algorithms_guaranteed and _digest(path, algo) != expected.lower():
            raise HashMismatch(
                f"{item.filename} from {redact(item.url)} does not match its {algo} hash",
                hint="the file or the index is corrupt; nothing was installed",
            )


def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
