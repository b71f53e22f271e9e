"""The prepare stage of an install: the wheel file of every candidate the plan installs, taken
from the cache, downloaded in parallel (hash-checked) or built from its sdist."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cove.cache.unpacked import UnpackedWheel
from cove.prepare.artifacts import Fetch
from cove.resolve.source import Candidate, DirectReference

if TYPE_CHECKING:
    from collections.abc import Callable

    from packaging.utils import NormalizedName

    from cove.prepare.artifacts import DownloadProgress
    from cove.prepare.source import IndexSource


class Prepared(NamedTuple):
    """A wheel ready to link: its file, and its files unpacked in the cache."""

    path: Path
    unpacked: UnpackedWheel


def prepare_wheels(
    candidates: Sequence[Candidate],
    source: IndexSource,
    required: Mapping[NormalizedName, frozenset[str]],
    progress: Callable[[int], DownloadProgress | None],
    unpack: Callable[[Candidate, Path], UnpackedWheel],
) -> dict[NormalizedName, Prepared]:
    """name -> the wheel, downloaded (or from the cache, or built from its sdist) and unpacked:
    each wheel is unpacked as soon as it is there (as many at once as cores, up to 4), so
    unpacking overlaps the downloads still running. ``required`` are the user's --hash values;
    ``progress`` makes the display for that many downloads (None: no display)."""
    out: dict[NormalizedName, Prepared] = {}
    items: dict[str, Candidate] = {}
    fetches: list[Fetch] = []
    for c in candidates:
        link = c.link
        assert link is not None, f"{c} is installed already"
        if link.is_wheel:
            items[link.url] = c
            fetches.append(
                Fetch(
                    link.url, link.filename, link.hashes, required.get(c.name, frozenset()), str(c)
                )
            )
        else:  # an sdist from an index, fetched for its metadata during resolution
            builder = source.builder
            assert builder is not None and not isinstance(c.origin, DirectReference)
            sdist = source.metadata_reader.sdist(c)
            wheel = builder.from_sdist(sdist, str(c), project=c.name)
            out[c.name] = Prepared(wheel, unpack(c, wheel))
    # Unpacking (on a warm run: the cache's tamper check, a stat per file) is Python between
    # short system calls: more of them at once than cores only hand the GIL around (16
    # download workers did: 80,000 futex calls for 99 wheels). It has a pool of its own, so a
    # download worker hands its wheel over and goes on to the next download: waiting for an
    # unpack slot in the worker left nothing in flight while wheels queued to be unpacked.
    unpacker = ThreadPoolExecutor(min(4, os.cpu_count() or 1), thread_name_prefix="cove-unpack")
    unpacks: list[Future[None]] = []
    lock = threading.Lock()

    def unpack_one(candidate: Candidate, path: Path) -> None:
        found = Prepared(path, unpack(candidate, path))
        with lock:
            out[candidate.name] = found

    def ready(item: Fetch, path: Path) -> None:
        future = unpacker.submit(unpack_one, items[item.url], path)
        with lock:
            unpacks.append(future)

    board = progress(len(fetches))
    completed = False
    try:
        try:
            source.preparer.fetch(fetches, board, then=ready)
            completed = True
        finally:
            if board is not None:  # also on an error or Ctrl-C: the terminal gets its cursor back
                board.close(completed)
        wait(unpacks)
        for future in unpacks:  # the first failure, in the order the downloads finished
            future.result()
    finally:
        unpacker.shutdown(wait=True, cancel_futures=True)
    return out
