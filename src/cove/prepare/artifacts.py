"""Bring every artifact of a plan onto disk: from the cache when its hash is known, else
downloaded in parallel, verified against the index's hash (and the user's --hash), and kept."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple, Protocol

from cove.cache.artifacts import (
    UrlRecord,
    download_dir,
    find_artifact,
    recall_url,
    remember_url,
    store_artifact,
)
from cove.errors import CoveError
from cove.faults import checkpoint
from cove.http.client import HttpClient
from cove.http.urls import redact, split_auth


class HashMismatch(CoveError):
    """A file's content is not what its index or the user's --hash said it would be."""


class Fetch(NamedTuple):
    """One artifact to bring onto disk."""

    url: str
    filename: str
    hashes: Mapping[str, str] = MappingProxyType({})  # from the index: algo -> hex
    required: frozenset[str] = frozenset()  # user's --hash values "sha256:<hex>"; any must match
    label: str = ""  # "flask 3.0", for progress and errors


# (label, bytes so far, total or None, finished); called from the download threads
ProgressEvent = Callable[[str, int, int | None, bool], None]

DEFAULT_JOBS = 16  # downloads at once


class DownloadProgress(Protocol):
    """A ProgressEvent that is closed once, told whether every artifact arrived."""

    def __call__(self, label: str, done: int, total: int | None, finished: bool) -> None: ...
    def close(self, completed: bool) -> None: ...


class Preparer:
    """Brings artifacts onto disk for one command. A file is taken from the cache when its hash
    is known (the index's, or the URL's ``#sha256=``); a URL without one is revalidated with the
    validators its last download had (ETag, Last-Modified), as pip's HTTP cache does, and fetched
    again when it changed or has none. What this run brought is remembered, so a wheel read for
    its metadata during resolution is not fetched again to be installed."""

    def __init__(self, client: HttpClient, cache_dir: Path) -> None:
        self.client = client
        self.cache_dir = cache_dir
        self._done: dict[str, tuple[Path, str | None]] = {}  # url -> (file, sha256)
        self._lock = threading.Lock()

    def fetch(
        self,
        items: Sequence[Fetch],
        progress: ProgressEvent | None = None,
        jobs: int = DEFAULT_JOBS,
        then: Callable[[Fetch, Path], None] | None = None,
    ) -> dict[str, Path]:
        """url -> local file for every item; the first failure is raised once the rest
        stopped. ``then`` runs in the worker as soon as an item's file is there (unpacking it
        overlaps the other downloads). Ctrl-C drops the files not started and stops the others
        at their next piece, instead of letting every queued download run to its end before the
        process can exit."""
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
            futures = {i.url: pool.submit(self._fetch_one, i, report, then) for i in items}
            wait(futures.values())
        except BaseException:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return {url: f.result() for url, f in futures.items()}

    def sha256(self, url: str) -> str | None:
        """The sha256 of what ``url`` gave in this run, when it was worked out (downloads and
        checked files), for PEP 610 archive_info."""
        with self._lock:
            found = self._done.get(url)
        return found[1] if found else None

    def _fetch_one(
        self, item: Fetch, progress: ProgressEvent, then: Callable[[Fetch, Path], None] | None
    ) -> Path:
        with self._lock:
            done = self._done.get(item.url)
        if done is not None and (done[1] or not (item.required or item.hashes)):
            if done[1]:
                _verify(item, done[1], done[0])
            progress(item.label or item.filename, 0, 0, True)  # counted, nothing fetched
            path = done[0]
        else:
            path, sha256 = self._bring(item, progress)
            with self._lock:
                self._done[item.url] = (path, sha256)
        if then is not None:
            then(item, path)
        return path

    def _bring(self, item: Fetch, progress: ProgressEvent) -> tuple[Path, str | None]:
        """The file and its sha256 (None for a local file nothing asked to check)."""
        label = item.label or item.filename
        if item.url.startswith("file:"):
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            path = Path(url2pathname(urlsplit(item.url).path))
            if not path.is_file():
                raise CoveError(f"{path} does not exist", hint="check the path or the find-links")
            sha256 = None
            if item.required or item.hashes:
                sha256 = _digest(path, "sha256")
                _verify(item, sha256, path)
            progress(label, 0, 0, True)  # counted, nothing fetched
            return path, sha256
        known = item.hashes.get("sha256")
        if known:
            cached = find_artifact(self.cache_dir, known, item.filename)
            if cached is not None:
                _verify(item, known, cached)
                progress(label, 0, 0, True)  # counted, nothing fetched
                return cached, known
        plain = split_auth(item.url)[0]  # the by-url record never holds a secret
        record = None if known else recall_url(self.cache_dir, plain)
        previous = find_artifact(self.cache_dir, record.sha256, item.filename) if record else None
        conditional = None
        if record is not None and previous is not None and (record.etag or record.last_modified):
            from cove.http.client import Validators

            conditional = Validators(record.etag, record.last_modified)

        def report(done: int, total: int | None) -> None:
            checkpoint("download")  # killed with a download partly written
            progress(label, done, total, False)

        got = self.client.download(item.url, download_dir(self.cache_dir), report, conditional)
        if got is None:  # 304: the file behind the URL is still the one cached
            assert record is not None and previous is not None
            _verify(item, record.sha256, previous)
            progress(label, 0, 0, True)
            return previous, record.sha256
        try:
            _verify(item, got.sha256, got.path)
            if item.hashes and "sha256" not in item.hashes:
                _verify_other(item, got.path)
            if not known and item.filename.endswith(".whl"):
                _check_whole_wheel(got.path, item)
        except BaseException:
            got.path.unlink(missing_ok=True)
            raise
        path = store_artifact(self.cache_dir, got.path, got.sha256, item.filename)
        if not known:
            remember_url(self.cache_dir, plain, UrlRecord(got.sha256, *got.validators))
        progress(label, path.stat().st_size, None, True)
        return path, got.sha256


class _Stopped(Exception):
    """Raised inside a download worker once the command was interrupted."""


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


def _check_whole_wheel(path: Path, item: Fetch) -> None:
    """A wheel with no index hash to compare is kept (and revalidated by its ETag, so kept
    for good) only if it is a whole zip: its end record and central directory read back. A
    server that sent less than the file, under a Content-Length that said so, is caught here."""
    from cove.archive import ArchiveError, UnpackPolicy
    from cove.archive.zip import ZipArchive

    try:
        ZipArchive(path, UnpackPolicy(), whole=False).__exit__()
    except ArchiveError as exc:
        raise CoveError(
            f"{item.filename} from {redact(item.url)} is not a whole wheel: {exc.message}",
            hint="the server sent a broken or partial file; nothing was kept, try again later",
        ) from None


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
