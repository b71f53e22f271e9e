"""The PackageSource the resolver reads: candidates from the finder's pages ranked for the
target, metadata from the cheapest place that has it, direct references made ready. Pages and
metadata are fetched in parallel, ahead of the resolver where a guess is cheap."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.index.evaluate import BinaryPolicy, Judged, RankedTags, all_versions, judge_links
from cove.index.finder import Finder, Locations
from cove.inspect.installed import InstalledDistribution
from cove.prepare.direct import DirectReferences
from cove.prepare.metadata import MetadataReader
from cove.resolve.source import Candidate

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.tags import Tag

    from cove.build.builder import Builder
    from cove.index.metadata import CandidateMetadata
    from cove.prepare.artifacts import Preparer


_A = TypeVar("_A")
_R = TypeVar("_R")

# Pages and metadata in flight at once: against a remote index each request waits a round trip,
# so many are needed to keep the pipe full (uv keeps 50 downloads in flight); the HTTP client
# keeps as many connections per host alive.
INDEX_JOBS = 32


class SourceConfig(NamedTuple):
    locations: Locations
    binary: BinaryPolicy = BinaryPolicy()
    # --hash values per project ("sha256:<hex>"): only files they allow are offered.
    hashes: Mapping[NormalizedName, frozenset[str]] = MappingProxyType({})
    # Hash-checking mode (--require-hashes or any --hash): files without a strong hash on the
    # index are refused before anything is downloaded.
    hash_checking: bool = False


class IndexSource:
    def __init__(
        self,
        preparer: Preparer,
        config: SourceConfig,
        tags: Sequence[Tag],
        python_version: Version,
        cache_dir: Path,
        markers: Mapping[str, str] | None = None,
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        """``markers`` (the target's) let the source crawl ahead: each project's newest
        dependencies are fetched before the resolver asks for them. ``warn`` hears of locations
        that are skipped (unreachable, or insecure)."""
        self.preparer = preparer
        self.config = config
        self.tags = list(tags)
        self.python_version = python_version
        self._ranked = RankedTags.of(self.tags)
        accept = frozenset(str(t) for t in self.tags)
        self.finder = Finder(preparer.client, config.locations, accept, warn)
        self.metadata_reader = MetadataReader(preparer, cache_dir)
        self.direct_references = DirectReferences(preparer, cache_dir, self.tags)
        self._skipped: dict[NormalizedName, int] = {}
        self._pool = ThreadPoolExecutor(max_workers=INDEX_JOBS, thread_name_prefix="cove-index")
        self._pages: dict[Any, Future[Judged]] = {}
        self._metadata: dict[Any, Future[CandidateMetadata]] = {}
        self._offered: dict[NormalizedName, list[Candidate]] = {}
        # For the crawl: the extras asked of each project, and the metadata crawled of it.
        self._extras_wanted: dict[NormalizedName, set[str]] = {}
        self._crawled: dict[NormalizedName, CandidateMetadata] = {}
        self._markers = markers
        self._lock = threading.Lock()  # pages and metadata are requested from worker threads too
        self._builds = 0  # set_builder calls: what _collect ranked before one is not kept

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def quiesce(self) -> None:
        """Let the pool's threads end once the work queued for them is done (a forked link
        wants a process with no other thread: install/forked.py); a later request starts new
        ones."""
        with self._lock:
            old = self._pool
            self._pool = ThreadPoolExecutor(max_workers=INDEX_JOBS, thread_name_prefix="cove-index")
        old.shutdown(wait=False)

    def set_builder(self, builder: Builder | None, editable_urls: frozenset[str]) -> None:
        """Allow building sdists and source trees (the builder installs build requirements
        through this very source, so it is attached after construction)."""
        self.metadata_reader.builder = builder
        self.direct_references.builder = builder
        with self._lock:
            self._offered.clear()  # sdists may be offered now
            self._builds += 1
        self.direct_references.editable_urls = editable_urls

    @property
    def builder(self) -> Builder | None:
        return self.metadata_reader.builder

    # -- PackageSource ------------------------------------------------------------------------

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        for name in names:
            self._start(self._pages, name, self._collect, name)

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        """Worked out once per project: the resolver asks on every find_matches."""
        with self._lock:
            found = self._offered.get(name)
        if found is None:
            found = self._candidates(name, self._judged(name))
            with self._lock:
                self._offered[name] = found
        return found

    def direct(self, requirement: Requirement) -> Candidate:
        return self.direct_references.candidate(requirement)

    def metadata(self, candidate: Candidate) -> CandidateMetadata:
        if self.metadata_reader.needs_caller_thread(candidate):
            return self.metadata_reader.read(candidate)
        return self._metadata_future(candidate).result()

    def describe_unavailable(self, name: NormalizedName) -> str | None:
        judged = self._judged(name)
        versions = all_versions(judged)
        sdists = [r for r in versions if not r.link.is_wheel]
        if sdists:
            return (
                f"{name} {sdists[0].version} is only available as a source distribution "
                f"({sdists[0].link.filename}) and no wheel fits, and building is switched off "
                "(--no-build)"
            )
        reasons = judged.reasons()[:4]
        if self._skipped.get(name):
            reasons.append(
                f"{self._skipped[name]} wheel(s) are built for other Pythons or platforms "
                f"(this environment takes {self.tags[0]} and compatible tags)"
            )
        if reasons:
            return "; ".join(reasons)
        if versions:
            return None
        return self.finder.not_found(name)

    # -- for list --outdated ------------------------------------------------------------------

    def latest(self, name: NormalizedName, pre: bool = False) -> tuple[Version, str] | None:
        """The newest version the target could install and its best file's kind ("wheel" or
        "sdist"), as ``pip list --outdated`` reports it; pre-releases only with ``pre``."""
        options = [
            r
            for r in all_versions(self._judged(name))
            if r.yanked is None and (pre or not r.version.is_prerelease)
        ]
        if not options:
            return None
        best = max(options, key=lambda r: r.version)
        return best.version, "wheel" if best.link.is_wheel else "sdist"

    # -- pages and metadata, in the pool ------------------------------------------------------

    def _judged(self, name: NormalizedName) -> Judged:
        self.prefetch([name])
        with self._lock:
            future = self._pages[name]
        return future.result()

    def _candidates(self, name: NormalizedName, judged: Judged) -> list[Candidate]:
        """Every usable version, its files best first, newest first (an sdist only where no
        wheel fits and building is allowed); the provider applies specifiers, pre-releases
        and yanked pins."""
        builder = self.builder
        can_build = builder is not None and builder.allowed
        return [
            Candidate(name, release.version, release)
            for release in all_versions(judged, self.config.hashes.get(name, ()))
            if release.link.is_wheel or can_build
        ]

    def _collect(self, name: NormalizedName) -> Judged:
        with self._lock:
            builds = self._builds
        found = self.finder.find(name)
        self._skipped[name] = found.skipped
        python = (*self.python_version.release, 0, 0)
        judged = judge_links(
            found.links,
            name,
            tags=self._ranked,
            python_version=(python[0], python[1], python[2]),
            binary=self.config.binary,
            hash_checking=self.config.hash_checking,
        )
        # The likeliest pick, fetched now: the newest final release that is not yanked (a
        # pre-release or a yanked one is chosen only when asked for, and may be megabytes).
        offered = self._candidates(name, judged)
        with self._lock:  # ranked once: candidates() would rank the same files again
            if builds == self._builds:
                self._offered.setdefault(name, offered)
        likely = next(
            (c for c in offered if c.yanked is None and not c.version.is_prerelease), None
        )
        link = likely.link if likely is not None else None
        if likely is not None and link is not None and link.is_wheel and self._markers is not None:
            with contextlib.suppress(RuntimeError):
                self._metadata_future(likely)
        return judged

    def _metadata_future(self, candidate: Candidate) -> Future[CandidateMetadata]:
        # Keyed cheaply: hashing a candidate hashes every file of its release.
        link = candidate.link
        key = (candidate.name, candidate.version, link.url if link else None, candidate.installed)
        found, new = self._start(self._metadata, key, self.metadata_reader.read, candidate)
        if new and not candidate.installed:
            found.add_done_callback(lambda done: self._crawl(candidate.name, done))
        return found

    def _start(
        self,
        futures: dict[Any, Future[_R]],
        key: object,
        work: Callable[[_A], _R],
        arg: _A,
    ) -> tuple[Future[_R], bool]:
        """The future for ``key``, and whether this call made it. It is reserved under the lock
        and handed to the pool outside it: submitting may start a worker thread, and every
        other thread asking for pages or metadata would wait on the lock meanwhile."""
        with self._lock:
            found = futures.get(key)
            if found is not None:
                return found, False
            found = futures[key] = Future()

        def run() -> None:
            if not found.set_running_or_notify_cancel():
                return
            try:
                found.set_result(work(arg))
            except BaseException as exc:
                found.set_exception(exc)

        try:
            self._pool.submit(run)
        except RuntimeError:  # the pool is shutting down: the run is over
            found.cancel()
            raise
        return found, True

    def _crawl(self, name: NormalizedName, future: Future[CandidateMetadata]) -> None:
        """Fetch the pages of what the newest version needs (a guess the resolver usually
        confirms), with the extras that what needs it asked for (``jsonschema[format]``): runs
        in a worker thread when that metadata arrives. An extra asked for after the project's
        metadata was crawled has its needs fetched then."""
        if self._markers is None or future.cancelled() or future.exception() is not None:
            return
        meta = future.result()
        with self._lock:  # read with the crawled record: an extra added meanwhile is not lost
            extras = self._extras_wanted.setdefault(name, set())
            self._crawled[name] = meta
            names = self._needed(meta, {"", *extras})
        with contextlib.suppress(RuntimeError):  # the pool is shutting down: the run is over
            self.prefetch(names)

    def _needed(self, meta: CandidateMetadata, extras: Set[str]) -> list[NormalizedName]:
        """The projects ``meta`` needs with any of ``extras`` ("" for none); each extra they
        ask for is noted, and the needs of those not seen before, where the project was crawled
        already, added. Under the lock."""
        markers = self._markers
        assert markers is not None
        names: list[NormalizedName] = []
        for req in meta.requires_dist:
            if req.marker is not None and not any(
                req.marker.evaluate({**markers, "extra": extra}) for extra in extras
            ):
                continue
            dep = canonicalize_name(req.name)
            names.append(dep)
            if req.extras:
                wanted = self._extras_wanted.setdefault(dep, set())
                new = {canonicalize_name(e) for e in req.extras} - wanted
                wanted |= new
                crawled = self._crawled.get(dep)
                if new and crawled is not None:
                    names += self._needed(crawled, new)
        return names


def installed_candidates(
    installed: Mapping[NormalizedName, InstalledDistribution],
) -> dict[NormalizedName, Candidate]:
    return {n: Candidate(n, d.parsed_version, d) for n, d in installed.items()}
