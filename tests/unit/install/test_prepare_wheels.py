"""The prepare stage's wheels: downloaded by many workers, unpacked a few at a time."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.version import Version

from cove.cache.unpacked import UnpackedWheel, unpack_wheel
from cove.python.probe import probe
from cove.python.tags import supported_tags
from cove.resolve.source import Candidate
from tests.support.index import Index, IndexServer

if TYPE_CHECKING:
    from cove.prepare.source import IndexSource


def _candidates(
    names: list[str], index: Index, index_server: IndexServer, cache: Path
) -> tuple[IndexSource, list[Candidate]]:
    """An index source on the test server, and the one candidate of each of ``names``."""
    from cove.http.client import HttpClient, HttpOptions
    from cove.index.finder import Locations
    from cove.prepare.artifacts import Preparer
    from cove.prepare.source import IndexSource, SourceConfig
    from cove.resolve.provider import Need, Policy, Provider

    for name in names:
        index.add(name, "1.0")
    interpreter = probe(Path(sys.executable), cache)
    source = IndexSource(
        Preparer(HttpClient(HttpOptions(cache_dir=None)), cache),
        SourceConfig(Locations((index_server.url,))),
        supported_tags(interpreter),
        Version(interpreter.version_string),
        cache,
    )
    policy = Policy(markers={}, python_version=Version(interpreter.version_string))
    candidates: list[Candidate] = []
    for name in names:
        need = Need.from_requirement(Requirement(name))
        found = Provider(source, policy, root=[need]).find_matches(
            need.key, {need.key: iter([need])}, {need.key: iter(())}
        )
        candidates.append(next(iter(found() if callable(found) else found)))
    return source, candidates


def test_downloads_go_on_while_wheels_wait_to_be_unpacked(
    index: Index, index_server: IndexServer, tmp_path: Path
) -> None:
    """More wheels than download workers and unpack slots together: each unpack waits (up to
    two seconds) until every wheel has been asked for. Had a download worker to wait for an
    unpack slot itself, the workers would all be waiting and the last wheels never asked for."""
    from cove.prepare.artifacts import DEFAULT_JOBS
    from cove.prepare.wheels import prepare_wheels

    names = [f"many{i}" for i in range(DEFAULT_JOBS + 4 + 1)]
    cache = tmp_path / "cache"
    source, candidates = _candidates(names, index, index_server, cache)

    def asked() -> int:
        return sum(1 for r in list(index_server.requests) if r.endswith(".whl"))

    saw_all: list[bool] = []

    def unpack(candidate: Candidate, wheel: Path) -> UnpackedWheel:
        deadline = time.monotonic() + 2
        while asked() < len(names) and time.monotonic() < deadline:
            time.sleep(0.01)
        saw_all.append(asked() == len(names))
        return unpack_wheel(wheel, cache)

    try:
        prepared = prepare_wheels(candidates, source, {}, lambda n: None, unpack)
    finally:
        source.close()
    assert sorted(prepared) == sorted(names)
    assert all(saw_all), f"{saw_all.count(False)} unpacks saw downloads stall"


def test_no_more_wheels_are_unpacked_at_once_than_cores(
    index: Index, index_server: IndexServer, tmp_path: Path
) -> None:
    """One wheel more than the cap (min(4, cores)): every download is done at once, but an
    unpack waits while the cap is reached. Each unpack holds its slot until one more arrives or
    a second has passed, so without the cap the last one is seen beside the others."""
    from cove.prepare.wheels import prepare_wheels

    cap = min(4, os.cpu_count() or 1)
    names = [f"pkg{i}" for i in range(cap + 1)]
    cache = tmp_path / "cache"
    source, candidates = _candidates(names, index, index_server, cache)

    active, most = 0, 0
    changed = threading.Condition()

    def unpack(candidate: Candidate, wheel: Path) -> UnpackedWheel:
        nonlocal active, most
        with changed:
            active += 1
            most = max(most, active)
            changed.notify_all()
            changed.wait_for(lambda: most > cap, timeout=1)
            active -= 1
        return unpack_wheel(wheel, cache)

    try:
        prepared = prepare_wheels(candidates, source, {}, lambda n: None, unpack)
    finally:
        source.close()
    assert sorted(prepared) == names
    assert all(p.unpacked.root.is_dir() for p in prepared.values())
    assert most == cap
